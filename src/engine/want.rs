//! What a refresh must achieve, checked again under the account's lock (another process
//! may have refreshed meanwhile).

use crate::secret::Secret;
use crate::token::TokenRecord;
use crate::token::{Target, TokenSet};
use chrono::Utc;
use std::time::Duration;

/// What a refresh must achieve; checked again under the lock.
#[derive(Debug, Clone)]
pub enum Want {
    /// A token valid for at least this long (`tokdeck token --min-valid`), or as fresh
    /// as the provider makes them when it makes none that long.
    ValidFor(Duration),
    /// The same of the ID token (`tokdeck token --id-token`).
    IdValidFor(Duration),
    /// A newer token than `seen`: if the store already holds another one, use it.
    Replace(Secret),
    /// A token issued after this moment, whatever the expiry (`tokdeck refresh`, asked
    /// at that moment): a refresh that finished after the ask satisfies it, so callers
    /// queued behind a slow one do not each replace the token again.
    NewerThan(chrono::DateTime<Utc>),
    /// A token for this API or these scopes valid for this long (`token --resource`).
    Narrowed(Target, Duration),
}

impl Want {
    /// The token a request for `target` and `min_valid` wants.
    pub fn valid_for(target: Option<&Target>, min_valid: Duration) -> Self {
        match target {
            Some(target) => Self::Narrowed(target.clone(), min_valid),
            None => Self::ValidFor(min_valid),
        }
    }

    pub fn target(&self) -> Option<&Target> {
        match self {
            Self::Narrowed(target, _) => Some(target),
            _ => None,
        }
    }

    /// The tokens in `record` that satisfy the want, if they do.
    pub(super) fn served(&self, record: &TokenRecord) -> Option<TokenSet> {
        let tokens = record.select(self.target())?;
        (tokens.unusable().is_none() && self.satisfied_by(tokens)).then(|| tokens.clone())
    }

    pub(super) fn satisfied_by(&self, tokens: &TokenSet) -> bool {
        match self {
            Self::ValidFor(min_valid) | Self::Narrowed(_, min_valid) => {
                tokens.fresh_enough(Utc::now(), *min_valid)
            }
            Self::IdValidFor(min_valid) => tokens
                .id_token_lifetime()
                .is_some_and(|l| l.fresh_enough(Utc::now(), *min_valid)),
            Self::Replace(seen) => tokens.access_token != *seen,
            Self::NewerThan(asked) => tokens.issued_at > *asked,
        }
    }
}

impl Want {
    /// A refresh asked for now (see [`Want::NewerThan`]).
    pub fn refresh_now() -> Self {
        Self::NewerThan(Utc::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(at: chrono::DateTime<Utc>) -> TokenSet {
        TokenSet::bearer("a", at).expiring_at(at + chrono::Duration::seconds(600))
    }

    #[test]
    fn a_refresh_that_finished_after_the_ask_answers_it() {
        let asked = Utc::now();
        let want = Want::NewerThan(asked);
        assert!(want.satisfied_by(&issued(asked + chrono::Duration::milliseconds(5))));
        assert!(!want.satisfied_by(&issued(asked - chrono::Duration::seconds(1))));
        // The worker gets the moment of the ask, not its own.
        let request = super::super::worker::Request::new("a", &want);
        assert_eq!(request.asked_at, Some(asked));
        assert!(matches!(request.want(), Want::NewerThan(at) if at == asked));
    }
}
