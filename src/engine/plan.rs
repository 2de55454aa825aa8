//! The one decision of the token path: serve the stored tokens, refresh, or fail, from
//! the stored record alone (no lock, no network); and what a refresh's outcome hands out.

use super::{EngineError, Fresh, binding, oauth_error};
use crate::config::Account;
use crate::oauth::OAuthError;
use crate::token::TokenRecord;
use crate::token::{Target, TokenSet};
use chrono::Utc;
use std::time::Duration;

/// What to do about a request for tokens valid for some time, given the stored record.
pub(super) enum Plan {
    Serve(TokenSet),
    Refresh,
    Fail(EngineError),
}

impl Plan {
    pub(super) fn of(
        name: &str,
        account: &Account,
        record: Option<&TokenRecord>,
        target: Option<&Target>,
        min_valid: Duration,
    ) -> Self {
        if let Some(record) = record {
            if let Err(e) = binding::check(account, record) {
                // Tokens of another server: an account that renews alone just gets new
                // ones (nothing of the old is sent); any other needs a login.
                return if account.renews_alone() {
                    Self::Refresh
                } else {
                    Self::Fail(e)
                };
            }
            let selected = record.select(target);
            let unusable = selected.and_then(TokenSet::unusable);
            if let Some(tokens) = selected
                && unusable.is_none()
                && tokens.fresh_enough(Utc::now(), min_valid)
            {
                return Self::Serve(tokens.clone());
            }
            if let Some(reason) = unusable {
                log::warn!("'{name}': the stored tokens are not served: {reason}");
                if !(record.tokens.refresh_token.is_some() || account.renews_alone()) {
                    return Self::Fail(EngineError::NeedsLogin {
                        account: name.to_string(),
                        reason: format!("holds tokens that cannot be handed out ({reason})"),
                    });
                }
            }
            if let Some(reason) = &record.login_needed {
                return Self::Fail(EngineError::NeedsLogin {
                    account: name.to_string(),
                    reason: reason.clone(),
                });
            }
        }
        let refreshable =
            record.is_some_and(|r| r.tokens.refresh_token.is_some()) || account.renews_alone();
        if refreshable {
            Self::Refresh
        } else {
            Self::Fail(no_refresh(name, record, min_valid))
        }
    }
}

/// A refresh's outcome as handed out: when the provider cannot be reached and the cached
/// token is still valid, it is served with a warning.
pub(super) fn settle(
    name: &str,
    result: Result<TokenSet, EngineError>,
    cached: Option<TokenSet>,
) -> Result<Fresh, EngineError> {
    match result {
        Ok(tokens) => Ok(Fresh {
            tokens,
            warning: None,
        }),
        Err(EngineError::OAuth {
            source: source @ OAuthError::Transport(_),
            ..
        }) => match cached {
            Some(tokens)
                if tokens.valid_for(Utc::now(), Duration::ZERO) && tokens.unusable().is_none() =>
            {
                Ok(Fresh {
                    warning: Some(format!(
                        "could not refresh '{name}' ({source}); using the cached token, valid for {}",
                        crate::humanize::duration(tokens.remaining(Utc::now()).unwrap_or_default())
                    )),
                    tokens,
                })
            }
            _ => Err(oauth_error(name, source)),
        },
        Err(e) => Err(e),
    }
}

pub(super) fn no_refresh(
    name: &str,
    record: Option<&TokenRecord>,
    min_valid: Duration,
) -> EngineError {
    let reason = match record.map(|r| r.tokens.remaining(Utc::now())) {
        None => "has no token yet".to_string(),
        Some(Some(left)) if left.num_seconds() <= 0 => format!(
            "has a token that expired {} ago and no refresh token",
            crate::humanize::duration(left)
        ),
        Some(_) => format!(
            "has a token valid for less than {} s and no refresh token",
            min_valid.as_secs()
        ),
    };
    EngineError::NeedsLogin {
        account: name.to_string(),
        reason,
    }
}
