//! Everything the command line prints on stdout goes through here: a write error is an
//! error (exit 1, named), a closed pipe ends quietly, and warnings go to stderr.

use super::args::TokenFormat;
use super::error::CliError;
use crate::engine::{Engine, Fresh};
use std::io::Write;

/// Writes one line to stdout and flushes it; control characters in it (other than its
/// own line breaks) are shown escaped: see [`crate::printable`].
pub fn line(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", crate::printable::printable_lines(text))?;
    out.flush()?;
    Ok(())
}

/// One line on stderr, made printable (the `say!` macro's work). A failed write to
/// stderr has nowhere to be reported.
pub fn stderr_line(text: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "{}",
        crate::printable::printable_lines(text)
    );
}

/// Writes what `write` produces to stdout (completions, the man page), then flushes.
pub fn with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    write(&mut out)?;
    out.flush()?;
    Ok(())
}

/// A token as `tokdeck token` prints it: the bare token or a kubectl ExecCredential.
pub fn token(
    format: TokenFormat,
    token: &crate::secret::Secret,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), CliError> {
    match format {
        TokenFormat::Text => line(token.expose()),
        TokenFormat::K8s => line(&super::export::exec_credential(token, expires_at)),
        // `token` writes the whole object itself; this is the token alone, as JSON.
        TokenFormat::Json => {
            line(&serde_json::json!({ "access_token": token.expose() }).to_string())
        }
    }
}

/// The tokens, after the store's and the refresh's warnings went to stderr.
pub fn with_warnings(engine: &Engine, fresh: Fresh) -> crate::token::TokenSet {
    warn_store(engine);
    if let Some(warning) = &fresh.warning {
        say!("tokdeck: {warning}");
    }
    fresh.tokens
}

/// Prints what the store noticed on the way (permissions it fixed), once.
pub fn warn_store(engine: &Engine) {
    for warning in engine.take_store_warnings() {
        say!("tokdeck: {warning}");
    }
}

/// The broken parts of config.toml, once on stderr, for a command about another
/// account: the others keep working, but nobody should miss that one is broken. One
/// problem is said whole; several in one line that names them and where to read why.
pub fn warn_config(config: &crate::config::Config, using: &str) {
    let problems: Vec<_> = config
        .problems()
        .filter(|(what, name, _)| !(*what == "account" && *name == using))
        .collect();
    match problems.as_slice() {
        [] => {}
        [(what, name, error)] => {
            say!("tokdeck: warning: {what} '{name}' is skipped: {error}");
        }
        many => {
            let names: Vec<String> = many
                .iter()
                .map(|(what, name, _)| format!("{what} '{name}'"))
                .collect();
            say!(
                "tokdeck: warning: '{}' has {} broken parts, skipped: {}; `tokdeck list` shows why",
                config.path.display(),
                many.len(),
                names.join(", ")
            );
        }
    }
}
