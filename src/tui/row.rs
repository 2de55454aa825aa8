//! One account as the dashboard holds it: its tokens, what is being done to it, and the
//! status its badge shows (in the words of [`TokenState`]).

use super::health::Health;
use crate::config::{Flow, Kind, Renewal};
use crate::engine::{EXPIRING_WITHIN, TokenState};
use crate::jwt::risks::Risk;
use crate::jwt::verify::Verdict;
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
    /// The client_id tokdeck registered itself for its provider (RFC 7591).
    pub registered_client: Option<String>,
    /// The API its login's tokens are for (`params.resource`, RFC 8707).
    pub for_api: Option<String>,
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
            registered_client: None,
            for_api: None,
        }
    }

    /// The row of a configured account: its APIs and where its tokens come from.
    pub fn of(account: &crate::config::Account) -> Self {
        let provider = &account.provider;
        Self {
            registered_client: (provider.registration == crate::config::Registration::Dynamic)
                .then(|| provider.client_id.clone()),
            for_api: account
                .grant()
                .and_then(|g| g.params.get("resource"))
                .or_else(|| provider.params.get("resource"))
                .cloned(),
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
