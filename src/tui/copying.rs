//! What `c`, `i` and `H` put on the clipboard: made from the tokens just read from the
//! store (not the row's copy, which another process may have replaced a moment ago),
//! and never a token that has expired.

use super::event::{Command, CopyWhat};
use crate::secret::Secret;
use crate::token::TokenSet;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The copy of `what` from `name`'s `tokens`, or why there is none.
pub fn command(
    name: &str,
    tokens: Option<&TokenSet>,
    what: CopyWhat,
    clear_after: Option<Duration>,
    now: DateTime<Utc>,
) -> Result<Command, String> {
    let Some(tokens) = tokens else {
        return Err(format!("'{name}' has no token to copy; press l to log in"));
    };
    if let Some(reason) = tokens.unusable() {
        return Err(format!("the tokens of '{name}' cannot be copied: {reason}"));
    }
    if tokens
        .remaining(now)
        .is_some_and(|left| left <= chrono::Duration::zero())
    {
        return Err(format!(
            "the token of '{name}' has expired; press r to refresh it, then copy"
        ));
    }
    let (label, text) = match what {
        CopyWhat::Access => (
            "the access token",
            Some(tokens.access_token.expose().to_string()),
        ),
        CopyWhat::Id => (
            "the ID token",
            tokens.id_token.as_ref().map(|t| t.expose().to_string()),
        ),
        CopyWhat::Header if tokens.is_dpop() => (
            "the Authorization header (DPoP-bound: each request also needs a proof, from `tokdeck header --url`)",
            Some(tokens.authorization_header()),
        ),
        CopyWhat::Header => (
            "the Authorization header",
            Some(tokens.authorization_header()),
        ),
    };
    let Some(text) = text else {
        return Err(format!("'{name}' holds no ID token"));
    };
    Ok(Command::Copy {
        what: format!("{label} of '{name}'"),
        text: Secret::new(text),
        clear_after,
    })
}
