//! One account as the dashboard holds it: its tokens, what is being done to it, and the
//! status its badge shows (in the words of [`TokenState`]).

use crate::config::{Flow, Kind, Renewal};
use crate::engine::{EXPIRING_WITHIN, TokenState};
use crate::jwt::verify::{Risk, Verdict};
use crate::token::Identity;
use crate::token::TokenSet;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub struct AccountRow {
    pub name: String,
    pub provider: String,
    /// Where its tokens come from.
    pub source: Source,
    /// Whether the store has been read, and what went wrong since.
    pub health: Health,
    pub tokens: Option<TokenSet>,
    pub last_refresh: Option<DateTime<Utc>>,
    pub activity: Activity,
    /// Signature verdicts of the current tokens, once checked in the background.
    pub trust: Option<Trust>,
    /// Who the account is logged in as.
    pub identity: Option<Identity>,
    /// The APIs of `resources = [...]`, each with its own token.
    pub apis: Vec<ApiToken>,
    /// Logged out (here or by another process): an account that renews alone is not
    /// fetched again on its own, which would undo the logout; `r` fetches it.
    pub logged_out: bool,
    /// The access token this row held before its tokens last changed (a refresh, here or
    /// by another process), to compare with the new one (`d`).
    pub previous_access: Option<crate::secret::Secret>,
}

/// The token of one API (RFC 8707) an account's login asked for, kept fresh beside the
/// account's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub resource: String,
    pub tokens: Option<TokenSet>,
    pub busy: bool,
    pub error: Option<String>,
}

impl ApiToken {
    /// The badge of the API's line, in the words and colours of the account rows.
    pub fn status(&self, now: DateTime<Utc>) -> TokenStatus {
        if self.busy {
            return TokenStatus::Refreshing;
        }
        if self.error.is_some() {
            return TokenStatus::Error;
        }
        let Some(tokens) = &self.tokens else {
            return TokenStatus::NoToken;
        };
        match tokens.remaining(now) {
            None => TokenStatus::NoExpiry,
            Some(left) if left.num_seconds() <= 0 => TokenStatus::Expired { ago: -left },
            Some(left) if tokens.expiring(now, EXPIRING_WITHIN) => TokenStatus::Expiring { left },
            Some(left) => TokenStatus::Valid { left },
        }
    }

    pub fn target(&self) -> crate::token::Target {
        crate::token::Target::resource(&self.resource)
    }
}

/// A token's signature verdict and header risks (or why it could not be checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub verdict: Result<Verdict, String>,
    pub risks: Vec<Risk>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trust {
    pub access: Option<Checked>,
    pub id: Option<Checked>,
}

impl AccountRow {
    pub fn new(name: &str, provider: &str, source: Source) -> Self {
        Self {
            name: name.to_string(),
            provider: provider.to_string(),
            source,
            health: Health::Loading,
            tokens: None,
            last_refresh: None,
            activity: Activity::Idle,
            trust: None,
            identity: None,
            apis: Vec::new(),
            logged_out: false,
            previous_access: None,
        }
    }

    /// The row of a configured account: its APIs and where its tokens come from.
    pub fn of(account: &crate::config::Account) -> Self {
        Self {
            apis: account
                .resources()
                .iter()
                .map(|resource| ApiToken {
                    resource: resource.clone(),
                    tokens: None,
                    busy: false,
                    error: None,
                })
                .collect(),
            ..Self::new(&account.name, &account.provider.name, Source::of(account))
        }
    }

    /// A row for an account whose table cannot be used: it shows the reason, nothing
    /// more (no provider: the table's may be what is broken; its kind is not read).
    pub fn broken(name: &str, reason: String) -> Self {
        Self {
            health: Health::BrokenConfig { reason },
            ..Self::new(name, "", Source::Unknown)
        }
    }

    /// The dashboard refreshes this account on its own.
    pub fn auto_refreshes(&self) -> bool {
        self.renews_alone()
            || self
                .tokens
                .as_ref()
                .is_some_and(|t| t.refresh_token.is_some())
    }

    pub fn renewal(&self) -> Renewal {
        match self.source {
            Source::Login(_) | Source::Unknown => Renewal::Login,
            Source::Service => Renewal::ClientCredentials,
            Source::Exchange { .. } => Renewal::Exchange,
        }
    }

    /// New tokens come without a refresh token (client credentials, token exchange).
    pub fn renews_alone(&self) -> bool {
        self.renewal() != Renewal::Login
    }

    pub fn status(&self, now: DateTime<Utc>) -> TokenStatus {
        match self.activity {
            Activity::Refreshing => return TokenStatus::Refreshing,
            Activity::LoggingIn => return TokenStatus::LoggingIn,
            Activity::LoggingOut => return TokenStatus::LoggingOut,
            Activity::Idle => {}
        }
        match self.health {
            Health::BrokenConfig { .. } => return TokenStatus::ConfigError,
            Health::Loading => return TokenStatus::Loading,
            Health::Unreadable { .. } => return TokenStatus::Error,
            Health::Fine
            | Health::Failed { .. }
            | Health::Retrying { .. }
            | Health::NeedsLogin { .. } => {}
        }
        let tokens = self.tokens.as_ref();
        let left = tokens.and_then(|t| t.remaining(now));
        let needs_login = self.health.needs_login();
        match TokenState::judge(tokens, needs_login, self.renewal(), now) {
            TokenState::LoginNeeded => TokenStatus::NeedsLogin,
            TokenState::NoToken => TokenStatus::NoToken,
            TokenState::Error => TokenStatus::Error,
            TokenState::ConfigError => TokenStatus::ConfigError,
            _ => match left {
                None => TokenStatus::NoExpiry,
                Some(left) if left.num_seconds() <= 0 => TokenStatus::Expired { ago: -left },
                Some(left) if tokens.is_some_and(|t| t.expiring(now, EXPIRING_WITHIN)) => {
                    TokenStatus::Expiring { left }
                }
                Some(left) => TokenStatus::Valid { left },
            },
        }
    }
}

/// Where a row's account gets its tokens, as the dashboard shows and schedules it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A person logs in with this flow (device or browser).
    Login(Flow),
    /// Client credentials.
    Service,
    /// Exchanged from that account's tokens.
    Exchange { from: String },
    /// Its table is broken: nothing of it is read.
    Unknown,
}

impl Source {
    pub fn of(account: &crate::config::Account) -> Self {
        match &account.kind {
            Kind::Login { flow, .. } => Self::Login(*flow),
            Kind::Service { .. } => Self::Service,
            Kind::Exchange(by) => Self::Exchange {
                from: by.from.clone(),
            },
        }
    }

    /// The account its tokens are exchanged from.
    pub fn exchanged_from(&self) -> Option<&str> {
        match self {
            Self::Exchange { from } => Some(from),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Idle,
    Refreshing,
    LoggingIn,
    LoggingOut,
}

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

/// What a row's badge says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Loading,
    Valid {
        left: chrono::Duration,
    },
    Expiring {
        left: chrono::Duration,
    },
    Expired {
        ago: chrono::Duration,
    },
    NoExpiry,
    NoToken,
    Refreshing,
    LoggingIn,
    LoggingOut,
    NeedsLogin,
    /// The store could not be read.
    Error,
    ConfigError,
}

/// How urgent a status is; the views colour by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Comfortable,
    Soon,
    Expired,
    None,
    Busy,
}

impl TokenStatus {
    pub fn label(self) -> String {
        use crate::humanize::duration;
        match self {
            Self::Loading => "…".into(),
            Self::Valid { left } | Self::Expiring { left } => duration(left),
            Self::Expired { ago } => format!("expired {} ago", duration(ago)),
            Self::NoExpiry => "no expiry".into(),
            Self::NoToken => TokenState::NoToken.label().into(),
            Self::Refreshing => "refreshing…".into(),
            Self::LoggingIn => "logging in…".into(),
            Self::LoggingOut => "logging out…".into(),
            Self::NeedsLogin => TokenState::LoginNeeded.label().into(),
            Self::Error => TokenState::Error.label().into(),
            Self::ConfigError => TokenState::ConfigError.label().into(),
        }
    }

    pub fn urgency(self) -> Urgency {
        match self {
            Self::Valid { .. } | Self::NoExpiry => Urgency::Comfortable,
            Self::Expiring { .. } => Urgency::Soon,
            Self::Expired { .. } | Self::NeedsLogin | Self::Error | Self::ConfigError => {
                Urgency::Expired
            }
            Self::NoToken | Self::Loading => Urgency::None,
            Self::Refreshing | Self::LoggingIn | Self::LoggingOut => Urgency::Busy,
        }
    }
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
