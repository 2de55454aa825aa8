//! Secrets typed by the person: read from stdin, or at a terminal prompt that does not
//! echo them.

use super::error::CliError;
use crate::secret::Secret;

/// The client secret: one line from stdin, or typed at a prompt that does not echo it.
pub(super) fn read_secret() -> Result<Secret, CliError> {
    use std::io::IsTerminal;
    let secret = if std::io::stdin().is_terminal() {
        prompt_secret()?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| {
            CliError::Failed(format!("cannot read the client secret from stdin: {e}"))
        })?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    if secret.is_empty() {
        return Err(CliError::Usage(
            "--client-secret-stdin read an empty secret; pipe it in (`printf %s \"$SECRET\" | tokdeck add …`) or type it at the prompt".into(),
        ));
    }
    Ok(Secret::new(secret))
}

/// Reads a line from the terminal with echo off (raw mode), Enter to end, Ctrl-C to stop.
fn prompt_secret() -> Result<String, CliError> {
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, read};
    eprint!("Client secret (not shown): ");
    let failed = |e: std::io::Error| CliError::Failed(format!("cannot read the secret: {e}"));
    crossterm::terminal::enable_raw_mode().map_err(failed)?;
    let mut secret = String::new();
    let result = loop {
        match read() {
            Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => match key.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err(CliError::Failed("cancelled".into()));
                }
                KeyCode::Char(c) => secret.push(c),
                KeyCode::Backspace => {
                    secret.pop();
                }
                _ => {}
            },
            Ok(Event::Paste(text)) => secret.push_str(text.trim_end()),
            Ok(_) => {}
            Err(e) => break Err(failed(e)),
        }
    };
    let _ = crossterm::terminal::disable_raw_mode();
    say!();
    result.map(|()| secret)
}
