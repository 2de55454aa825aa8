//! The one vocabulary of account states that `list`, `list --json` and the dashboard
//! share, so that a script and a person see the same thing.

use crate::config::Renewal;
use crate::token::TokenSet;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Below this much validity (or a fifth of the token's lifetime, when that is shorter) a
/// token is `expiring`.
pub const EXPIRING_WITHIN: Duration = Duration::from_secs(5 * 60);

/// An account's state. In JSON the snake_case key; on screen [`TokenState::label`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    /// The access token is valid (or has no expiry).
    Valid,
    /// Valid, but within [`EXPIRING_WITHIN`] (or the last fifth of its lifetime).
    Expiring,
    /// Expired, and renewable without a person: a refresh token, or client credentials.
    Expired,
    /// Only an interactive login helps: the provider rejected the refresh token, there
    /// is none, or the tokens belong to another issuer or client than configured.
    LoginNeeded,
    NoToken,
    /// The tokens could not be read (the store's reason goes with it).
    Error,
    /// The account's table (or its provider's) in config.toml is invalid.
    ConfigError,
}

impl TokenState {
    /// The state of `tokens` by their expiry alone.
    pub fn of(tokens: Option<&TokenSet>, now: DateTime<Utc>) -> Self {
        match tokens.map(|t| t.remaining(now)) {
            None => Self::NoToken,
            Some(None) => Self::Valid,
            Some(Some(left)) if left.num_seconds() <= 0 => Self::Expired,
            Some(Some(_)) if tokens.is_some_and(|t| t.expiring(now, EXPIRING_WITHIN)) => {
                Self::Expiring
            }
            Some(Some(_)) => Self::Valid,
        }
    }

    /// The state of an account's stored tokens: `login_needed` when a login must happen
    /// (the provider rejected the refresh token; for an account by exchange, its source
    /// needs one), except for a service account, which has no login; an expired token
    /// nothing can renew needs a login too.
    pub fn judge(
        tokens: Option<&TokenSet>,
        login_needed: bool,
        renewal: Renewal,
        now: DateTime<Utc>,
    ) -> Self {
        if login_needed && renewal != Renewal::ClientCredentials {
            return Self::LoginNeeded;
        }
        let renewable =
            renewal != Renewal::Login || tokens.is_some_and(|t| t.refresh_token.is_some());
        match Self::of(tokens, now) {
            Self::Expired if !renewable => Self::LoginNeeded,
            state => state,
        }
    }

    /// The key scripts read (`list --json`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::LoginNeeded => "login_needed",
            Self::NoToken => "no_token",
            Self::Error => "error",
            Self::ConfigError => "config_error",
        }
    }

    /// The words people read (`list`, the dashboard).
    pub fn label(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::LoginNeeded => "login needed",
            Self::NoToken => "no token",
            Self::Error => "error",
            Self::ConfigError => "config error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Flow;

    fn set(now: DateTime<Utc>, left: Option<i64>, refresh: bool) -> TokenSet {
        let set = TokenSet::bearer("a", now - chrono::Duration::seconds(3600))
            .expiring_at(left.map(|s| now + chrono::Duration::seconds(s)));
        if refresh {
            set.with_refresh_token("r")
        } else {
            set
        }
    }

    #[test]
    fn a_fresh_short_lived_token_is_not_expiring() {
        let now = Utc::now();
        let five_minutes = TokenSet::bearer("a", now)
            .with_refresh_token("r")
            .expiring_at(now + chrono::Duration::seconds(300));
        assert_eq!(TokenState::of(Some(&five_minutes), now), TokenState::Valid);
        let later = now + chrono::Duration::seconds(250);
        assert_eq!(
            TokenState::of(Some(&five_minutes), later),
            TokenState::Expiring
        );
    }

    #[test]
    fn states_by_expiry() {
        let now = Utc::now();
        let of = |left, refresh| TokenState::of(Some(&set(now, left, refresh)), now);
        assert_eq!(TokenState::of(None, now), TokenState::NoToken);
        assert_eq!(of(Some(3600), true), TokenState::Valid);
        assert_eq!(of(Some(120), true), TokenState::Expiring);
        assert_eq!(of(Some(-1), true), TokenState::Expired);
        assert_eq!(of(None, false), TokenState::Valid);
    }

    #[test]
    fn an_expired_token_nothing_can_renew_needs_a_login() {
        let now = Utc::now();
        let judge = |left, refresh, rejected, flow| {
            TokenState::judge(
                Some(&set(now, left, refresh)),
                rejected,
                if flow == Flow::ClientCredentials {
                    Renewal::ClientCredentials
                } else {
                    Renewal::Login
                },
                now,
            )
        };
        assert_eq!(
            judge(Some(-1), true, false, Flow::Device),
            TokenState::Expired
        );
        assert_eq!(
            judge(Some(-1), false, false, Flow::Device),
            TokenState::LoginNeeded
        );
        assert_eq!(
            judge(Some(600), true, true, Flow::Browser),
            TokenState::LoginNeeded
        );
        // Client credentials fetch a new token without anyone.
        assert_eq!(
            judge(Some(-1), false, false, Flow::ClientCredentials),
            TokenState::Expired
        );
        assert_eq!(
            judge(Some(600), false, false, Flow::Device),
            TokenState::Valid
        );
        assert_eq!(
            TokenState::judge(None, false, Renewal::Login, now),
            TokenState::NoToken
        );
    }
}
