//! The inspector's keys: verify a pasted token with the selected account's provider (`a`),
//! an issuer URL (`u`), a shared secret (`s`, masked) or a key file (`f`); edit its claims
//! (`e`) and sign it again (`S`); compare it with a second token (`d`); copy it (`c`).

use super::event::{Command, SignWith, VerifyAgainst};
use super::model::{Draft, Field, Inspector, Model, Popup, Setup};
use super::text_input::{Edit, TextInput};
use crate::jwt::Decoded;
use crate::secret::Secret;
use crossterm::event::{KeyCode, KeyEvent};
use std::path::PathBuf;

pub fn key(model: &mut Model, key: KeyEvent) -> Vec<Command> {
    let selected = model
        .accounts
        .get(model.selected)
        .filter(|_| model.setup == Setup::Ready)
        .map(|r| r.name.clone());
    let clear_after = model.clipboard_clear;
    let Some(Popup::Inspector(inspector)) = &mut model.popup else {
        return Vec::new();
    };
    if inspector.input.is_some() {
        return input_key(inspector, key);
    }
    let is_jwt = matches!(inspector.decoded, Some(Ok(Decoded::Jwt { .. })));
    let has_token = inspector.token.is_some();
    let ask = |inspector: &mut Inspector, field| {
        let input = if field == Field::Secret {
            TextInput::masked("")
        } else {
            TextInput::default()
        };
        inspector.note = None;
        inspector.input = Some((field, input));
    };
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') if inspector.compare.is_some() => {
            inspector.compare = None
        }
        // Unsigned edits go first (back to the token as it was), then the inspector.
        KeyCode::Esc | KeyCode::Char('q') if inspector.draft.is_some() => {
            inspector.draft = None;
            inspector.note = Some("edits dropped: the token as it was".into());
        }
        KeyCode::Char('u' | 's' | 'f' | 'e' | 'S' | 'd' | 'c' | 'a') if !has_token => {
            inspector.note = Some("paste a JWT first (your terminal's paste key)".into())
        }
        KeyCode::Esc | KeyCode::Char('q') => model.popup = None,
        KeyCode::Down | KeyCode::Char('j') => inspector.scroll = inspector.scroll.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') => inspector.scroll = inspector.scroll.saturating_sub(1),
        KeyCode::Char('u') if has_token => ask(inspector, Field::Issuer),
        KeyCode::Char('s') if is_jwt => ask(inspector, Field::Secret),
        KeyCode::Char('f') if is_jwt => ask(inspector, Field::KeyFile),
        KeyCode::Char('e') if is_jwt => ask(inspector, Field::Edit),
        KeyCode::Char('S') if is_jwt => ask(inspector, Field::SignKey),
        KeyCode::Char('d') if is_jwt => ask(inspector, Field::Compare),
        KeyCode::Char('a') => {
            if let (Some(token), Some(account)) = (inspector.token.clone(), selected) {
                return vec![Command::VerifyPasted {
                    token,
                    against: VerifyAgainst::Account(account),
                }];
            }
        }
        KeyCode::Char('c') => match (&inspector.draft, &inspector.token) {
            (Some(_), _) => {
                inspector.note =
                    Some("the claims were edited: S signs them first, then c copies".into())
            }
            (None, Some(token)) => {
                return vec![Command::Copy {
                    what: "the inspector's token".into(),
                    text: token.clone(),
                    clear_after,
                }];
            }
            (None, None) => {}
        },
        _ => {}
    }
    Vec::new()
}

/// A key while the input line has the keyboard: Enter acts on it, Esc drops it.
fn input_key(inspector: &mut Inspector, key: KeyEvent) -> Vec<Command> {
    let Some((field, input)) = &mut inspector.input else {
        return Vec::new();
    };
    let field = *field;
    match key.code {
        KeyCode::Esc => inspector.input = None,
        KeyCode::Enter => {
            let text = input.text().to_string();
            inspector.input = None;
            return submit(inspector, field, text);
        }
        _ => {
            if let Edit::Refused(c) = input.key(key, accepts(field)) {
                inspector.note = Some(format!("'{c}' does not belong in {}", about(field)));
            }
        }
    }
    Vec::new()
}

/// Text pasted while the input line has the keyboard.
pub fn paste(inspector: &mut Inspector, text: &str) {
    if let Some((field, input)) = &mut inspector.input {
        let text = match field {
            Field::Compare => crate::jwt::presented(text),
            _ => text.trim(),
        };
        input.insert_str(text, accepts(*field));
    }
}

/// The characters each field takes: URLs and tokens have no spaces; paths, secrets and
/// claim values may.
fn accepts(field: Field) -> fn(char) -> bool {
    match field {
        Field::Issuer | Field::Compare => |c| !c.is_whitespace() && !c.is_control(),
        Field::Secret | Field::KeyFile | Field::SignKey | Field::Edit => |c| !c.is_control(),
    }
}

fn about(field: Field) -> &'static str {
    match field {
        Field::Issuer => "an issuer URL",
        Field::Secret => "the secret",
        Field::KeyFile | Field::SignKey => "a file name",
        Field::Edit => "a claim edit",
        Field::Compare => "a token",
    }
}

fn submit(inspector: &mut Inspector, field: Field, text: String) -> Vec<Command> {
    let Some(token) = inspector.token.clone() else {
        return Vec::new();
    };
    let verify = |against| {
        vec![Command::VerifyPasted {
            token: token.clone(),
            against,
        }]
    };
    match field {
        Field::Issuer => return verify(VerifyAgainst::Issuer(text.trim().to_string())),
        Field::KeyFile => return verify(VerifyAgainst::KeyFile(path(&text))),
        Field::Secret if text.is_empty() => inspector.note = Some("no secret typed".into()),
        Field::Secret => {
            let secret = Secret::new(text);
            inspector.secret = Some(secret.clone());
            return verify(VerifyAgainst::Secret(secret));
        }
        Field::Edit => edit(inspector, &text),
        Field::SignKey => return sign(inspector, text.trim()),
        Field::Compare => compare(inspector, crate::jwt::presented(&text)),
    }
    Vec::new()
}

/// The token's header and claims, to edit or sign.
fn draft_of(inspector: &Inspector) -> Option<Draft> {
    if let Some(draft) = &inspector.draft {
        return Some(draft.clone());
    }
    match &inspector.decoded {
        Some(Ok(Decoded::Jwt { header, claims })) => Some(Draft {
            header: header.as_object().cloned().unwrap_or_default(),
            claims: claims.as_object().cloned().unwrap_or_default(),
        }),
        _ => None,
    }
}

fn edit(inspector: &mut Inspector, text: &str) {
    let Some(mut draft) = draft_of(inspector) else {
        return;
    };
    let applied = crate::jwt::edit::Edit::parse(text).and_then(|e| e.apply(&mut draft.claims));
    inspector.note = Some(match applied {
        Ok(()) => {
            inspector.draft = Some(draft);
            "edited, not signed: e edits more, S signs".to_string()
        }
        Err(e) => e,
    });
}

/// Signs the draft (or the token as it is) with a private key file, or, with nothing
/// typed, with the secret given to `s` and the token's HMAC algorithm.
fn sign(inspector: &mut Inspector, file: &str) -> Vec<Command> {
    let Some(draft) = draft_of(inspector) else {
        return Vec::new();
    };
    let mut weak = None;
    let with = if !file.is_empty() {
        SignWith::KeyFile(path(file))
    } else if let Some(secret) = inspector.secret.clone() {
        let alg = draft
            .header
            .get("alg")
            .and_then(|a| a.as_str())
            .filter(|a| a.starts_with("HS"))
            .unwrap_or("HS256")
            .to_string();
        weak = crate::jwt::sign::Hmac::parse(&alg)
            .ok()
            .and_then(|hmac| hmac.weak_secret(secret.expose().as_bytes()));
        SignWith::Secret(secret, alg)
    } else {
        inspector.note = Some(
            "type a private key file (PEM or JWK), or give a secret with s first to sign with it"
                .into(),
        );
        return Vec::new();
    };
    // A weak secret's warning stays said with the outcome (see `InspectorSigned`).
    inspector.note = Some(weak.map_or_else(|| "signing…".into(), |w| format!("warning: {w}")));
    vec![Command::SignDraft { draft, with }]
}

fn compare(inspector: &mut Inspector, other: &str) {
    let first = match draft_of(inspector) {
        Some(draft) => (draft.header.into(), draft.claims.into()),
        None => return,
    };
    match crate::jwt::decode(other) {
        Ok(Decoded::Jwt { header, claims }) => {
            inspector.compare = Some(crate::jwt::compare::compare(
                (&first.0, &first.1),
                (&header, &claims),
            ));
            inspector.scroll = 0;
        }
        _ => inspector.note = Some("that is not a signed JWT: nothing to compare".into()),
    }
}

/// The selected account's access token in the inspector, compared with the one it held
/// before its last refresh (`d` on the list).
pub fn compare_refresh(model: &mut Model) {
    let Some(row) = model.selected_row() else {
        return;
    };
    let (Some(now), Some(before)) = (
        row.tokens.as_ref().map(|t| t.access_token.clone()),
        row.previous_access.clone(),
    ) else {
        let text = format!(
            "'{}' has no earlier access token in this session to compare with: r refreshes it, then d compares",
            row.name
        );
        model.error(text);
        return;
    };
    let mut inspector = Inspector::showing(now);
    compare(&mut inspector, before.expose());
    if inspector.compare.is_some() {
        inspector.note = Some(format!(
            "'{}': this token is the access token now, the second the one before its last refresh",
            row.name
        ));
    }
    model.popup = Some(Popup::Inspector(Box::new(inspector)));
}

/// A typed file name, `~/` being the home directory.
fn path(text: &str) -> PathBuf {
    let text = text.trim();
    match (text.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(dirs)) => dirs.home_dir().join(rest),
        _ => PathBuf::from(text),
    }
}

#[cfg(test)]
mod tests;
