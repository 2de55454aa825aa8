//! What finished work outside the accounts' tokens does to the model: the clipboard, the
//! browser, the inspector and provider answers.

use crate::tui::event::Outcome;
use crate::tui::model::{Model, Popup};

/// Applies one of those outcomes.
pub(super) fn apply(model: &mut Model, outcome: Outcome) {
    match outcome {
        Outcome::Copied { what, result } => match result {
            Ok(via) => {
                let clear = match model.clipboard_clear {
                    None => String::new(),
                    Some(d) if via == crate::clipboard::VIA_SYSTEM => {
                        format!("; clears in {} s", d.as_secs())
                    }
                    // Said on every such copy: the setting promises something else.
                    Some(_) => "; not cleared later: a terminal's clipboard cannot be read back to check it still holds the token, and the token stays in the terminal's history".to_string(),
                };
                model.info(format!("Copied {what} to the clipboard ({via}){clear}"));
            }
            Err(e) => model.error(format!("Could not copy {what}: {e}")),
        },
        Outcome::BrowserFailed(e) => model.error(e),
        Outcome::InspectorChecked { token, checked } => {
            if let Some(Popup::Inspector(inspector)) = &mut model.popup
                && inspector.token.as_ref() == Some(&token)
            {
                inspector.checked = Some(checked);
            }
        }
        Outcome::InspectorSigned(result) => {
            if let Some(Popup::Inspector(inspector)) = &mut model.popup {
                match result {
                    Ok((token, checked)) => {
                        inspector.load(token);
                        inspector.checked = Some(checked);
                        inspector.draft = None;
                        inspector.compare = None;
                        let signed = "signed: c copies the new token, d compares it with another";
                        inspector.note = Some(match inspector.note.take() {
                            Some(warning) if warning.starts_with("warning:") => {
                                format!("{signed} ({warning})")
                            }
                            _ => signed.to_string(),
                        });
                    }
                    Err(e) => inspector.note = Some(format!("not signed: {e}")),
                }
            }
        }
        Outcome::ProviderJson { title, result } => {
            model.status = None;
            model.popup = Some(Popup::Json {
                title,
                body: result,
                scroll: 0,
            });
        }
        _ => {}
    }
}
