//! A dashboard row's standing apart from its tokens and the work in flight: whether its
//! tokens have been read, and what went wrong since, with the ways it changes.

use chrono::{DateTime, Utc};

/// An account's standing apart from its tokens and the work in flight: whether its
/// tokens have been read, and what went wrong since (the details pane says it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// The store has not been read for it yet.
    Loading,
    /// Nothing is wrong.
    Fine,
    /// Something failed that nothing waits on (a login, a refresh whose retry the user
    /// replaced with one of their own, tokens the account cannot use).
    Failed { error: String },
    /// A refresh failed for a reason that may pass: it is tried again at `retry.at`.
    Retrying { retry: Retry, error: String },
    /// The provider refused the refresh token, or the tokens are gone: only a login
    /// helps, and nothing is retried.
    NeedsLogin { reason: String },
    /// The store could not be read: the row holds no tokens.
    Unreadable { error: String },
    /// The account's table in config.toml is invalid: why. It stays so until the
    /// config changes.
    BrokenConfig { reason: String },
}

impl Health {
    /// The store has been read (or there is nothing to read).
    pub fn loaded(&self) -> bool {
        !matches!(self, Self::Loading)
    }

    pub fn needs_login(&self) -> bool {
        matches!(self, Self::NeedsLogin { .. })
    }

    /// The next automatic try of a failed refresh.
    pub fn retry(&self) -> Option<Retry> {
        match self {
            Self::Retrying { retry, .. } => Some(*retry),
            _ => None,
        }
    }

    /// What went wrong last, for the details pane.
    pub fn error(&self) -> Option<&str> {
        match self {
            Self::Loading | Self::Fine => None,
            Self::Failed { error } | Self::Retrying { error, .. } | Self::Unreadable { error } => {
                Some(error)
            }
            Self::NeedsLogin { reason } | Self::BrokenConfig { reason } => Some(reason),
        }
    }

    pub fn config_error(&self) -> Option<&str> {
        match self {
            Self::BrokenConfig { reason } => Some(reason),
            _ => None,
        }
    }

    /// Fresh tokens, or another process's login: the trouble is over (a broken table
    /// stays broken; a row not read yet stays so).
    pub fn clear(&mut self) {
        if !matches!(self, Self::Loading | Self::BrokenConfig { .. }) {
            *self = Self::Fine;
        }
    }

    /// `error` happened: said in place of the last one, in the same standing (a row
    /// that needs a login still does; a retry stays due), or as a failure of its own.
    pub fn failed(&mut self, error: String) {
        match self {
            Self::Failed { error: e }
            | Self::Retrying { error: e, .. }
            | Self::Unreadable { error: e } => {
                *e = error;
            }
            Self::NeedsLogin { reason } => *reason = error,
            Self::BrokenConfig { .. } => {}
            Self::Loading | Self::Fine => *self = Self::Failed { error },
        }
    }

    /// The user asked for a refresh: a scheduled retry gives way to it.
    pub fn retry_now(&mut self) {
        if let Self::Retrying { error, .. } = self {
            *self = Self::Failed {
                error: std::mem::take(error),
            };
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempt: u32,
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retrying() -> Health {
        Health::Retrying {
            retry: Retry {
                attempt: 2,
                at: DateTime::from_timestamp(1_800_000_000, 0).expect("ts"),
            },
            error: "connection refused".into(),
        }
    }

    #[test]
    fn a_new_failure_is_said_in_the_standing_the_row_has() {
        let mut needs = Health::NeedsLogin {
            reason: "invalid_grant".into(),
        };
        needs.failed("the login was denied".into());
        assert_eq!(
            needs,
            Health::NeedsLogin {
                reason: "the login was denied".into()
            }
        );
        let mut retry = retrying();
        retry.failed("timeout".into());
        assert_eq!(retry.retry().map(|r| r.attempt), Some(2));
        assert_eq!(retry.error(), Some("timeout"));
        let mut fine = Health::Fine;
        fine.failed("denied".into());
        assert_eq!(fine.error(), Some("denied"));
        assert!(!fine.needs_login() && fine.retry().is_none());
    }

    #[test]
    fn fresh_tokens_clear_trouble_but_not_a_broken_table() {
        let mut broken = Health::BrokenConfig {
            reason: "line 4: unknown key".into(),
        };
        broken.clear();
        assert_eq!(broken.config_error(), Some("line 4: unknown key"));
        for mut trouble in [
            retrying(),
            Health::NeedsLogin { reason: "x".into() },
            Health::Unreadable { error: "x".into() },
        ] {
            trouble.clear();
            assert_eq!(trouble, Health::Fine);
        }
        let mut loading = Health::Loading;
        loading.clear();
        assert!(!loading.loaded());
    }

    #[test]
    fn a_refresh_asked_for_replaces_the_scheduled_retry_and_keeps_the_error() {
        let mut health = retrying();
        health.retry_now();
        assert_eq!(
            health,
            Health::Failed {
                error: "connection refused".into()
            }
        );
    }
}
