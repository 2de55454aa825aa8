//! Everything the dashboard shows, as plain data. Views read it; only `update` changes it.

use super::editor::{Editor, Review};
use crate::config::Flow;
use crate::engine::{EXPIRING_WITHIN, TokenState};
use crate::jwt::Decoded;
use crate::jwt::verify::{Risk, Verdict};
use crate::oauth::TokenSet;
use crate::secret::Secret;
use crate::store::Identity;
use crate::tui::text_input::TextInput;
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Model {
    pub now: DateTime<Utc>,
    pub setup: Setup,
    /// Sorted by provider, then name.
    pub accounts: Vec<AccountRow>,
    /// Index into `accounts` of the selected row (a visible one).
    pub selected: usize,
    pub filter: TextInput,
    /// The filter line has the keyboard.
    pub filtering: bool,
    pub claims: ClaimsView,
    /// Show token text instead of the mask.
    pub reveal: bool,
    pub popup: Option<Popup>,
    pub status: Option<Status>,
    pub clipboard_clear: Option<Duration>,
    /// `NO_COLOR` is set: meaning goes through text and reverse video only.
    pub no_color: bool,
    pub last_reload: DateTime<Utc>,
    /// The config file the account editor reads and writes.
    pub config_path: PathBuf,
    /// The form behind a write in flight, reopened if the write fails.
    pub last_form: Option<Box<Editor>>,
    /// The account that commands started where the dashboard was would use, and why.
    pub here: Option<crate::config::Chosen>,
    pub quit: bool,
}

/// Whether there is a config to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setup {
    Ready,
    /// No config file yet: the welcome screen says where it goes.
    FirstRun {
        config_path: PathBuf,
    },
    /// The config did not parse; tokdeck shows why and never rewrites it.
    Broken {
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct AccountRow {
    pub name: String,
    pub provider: String,
    pub flow: Flow,
    /// `false` until the store has been read for this account.
    pub loaded: bool,
    pub tokens: Option<TokenSet>,
    pub last_refresh: Option<DateTime<Utc>>,
    pub activity: Activity,
    /// The provider refused the refresh token: only a login helps; no more retries.
    pub needs_login: bool,
    pub last_error: Option<String>,
    pub retry: Option<Retry>,
    /// Signature verdicts of the current tokens, once checked in the background.
    pub trust: Option<Trust>,
    /// Who the account is logged in as.
    pub identity: Option<Identity>,
    /// The store could not be read (the row holds no tokens then).
    pub unreadable: bool,
    /// The account's table in config.toml is invalid: why.
    pub config_error: Option<String>,
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
    pub fn new(name: &str, provider: &str, flow: Flow) -> Self {
        Self {
            name: name.to_string(),
            provider: provider.to_string(),
            flow,
            loaded: false,
            tokens: None,
            last_refresh: None,
            activity: Activity::Idle,
            needs_login: false,
            last_error: None,
            retry: None,
            trust: None,
            identity: None,
            unreadable: false,
            config_error: None,
        }
    }

    /// A row for an account whose table cannot be used: it shows the reason, nothing more.
    pub fn broken(name: &str, reason: String) -> Self {
        Self {
            loaded: true,
            last_error: Some(reason.clone()),
            config_error: Some(reason),
            ..Self::new(name, "-", Flow::Browser)
        }
    }

    /// Fresh tokens, or another process's login: the row's trouble is over.
    pub fn clear_trouble(&mut self) {
        self.needs_login = false;
        self.retry = None;
        self.last_error = None;
    }

    /// The dashboard refreshes this account on its own.
    pub fn auto_refreshes(&self) -> bool {
        self.flow == Flow::ClientCredentials
            || self
                .tokens
                .as_ref()
                .is_some_and(|t| t.refresh_token.is_some())
    }

    pub fn status(&self, now: DateTime<Utc>) -> TokenStatus {
        match self.activity {
            Activity::Refreshing => return TokenStatus::Refreshing,
            Activity::LoggingIn => return TokenStatus::LoggingIn,
            Activity::LoggingOut => return TokenStatus::LoggingOut,
            Activity::Idle => {}
        }
        if self.config_error.is_some() {
            return TokenStatus::ConfigError;
        }
        if !self.loaded {
            return TokenStatus::Loading;
        }
        if self.unreadable {
            return TokenStatus::Error;
        }
        let tokens = self.tokens.as_ref();
        let left = tokens.and_then(|t| t.remaining(now));
        match TokenState::judge(tokens, self.needs_login, self.flow, now) {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Idle,
    Refreshing,
    LoggingIn,
    LoggingOut,
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

/// Which token the claims pane decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenChoice {
    Access,
    Id,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimsView {
    pub source: TokenChoice,
    pub scroll: u16,
}

#[derive(Debug, Clone)]
pub enum Popup {
    Help,
    Login {
        account: String,
        stage: LoginStage,
    },
    /// A question whose answers are chosen with the arrows and Enter, never a letter.
    Confirm(Confirm),
    Inspector(Inspector),
    /// Adding or changing an account.
    Editor(Box<Editor>),
    /// A change to config.toml waiting for a yes.
    Review(Box<Review>),
    /// A provider's JSON answer (introspection, userinfo).
    Json {
        title: String,
        body: Result<serde_json::Value, String>,
        scroll: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginStage {
    Starting,
    Device {
        user_code: String,
        verification_uri: String,
        complete: Option<String>,
        expires_at: DateTime<Utc>,
    },
    Browser {
        url: String,
    },
}

/// A pasted token, decoded.
#[derive(Debug, Clone)]
pub struct Inspector {
    pub token: Option<Secret>,
    pub decoded: Option<Result<Decoded, String>>,
    pub scroll: u16,
    pub checked: Option<Checked>,
    /// The issuer URL being typed (`u`), when verifying against a typed issuer.
    pub issuer_input: Option<TextInput>,
    /// A note about the last key (a character the issuer field does not take).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub level: Level,
    /// When it was said: news fades after [`Status::NEWS_FOR`].
    pub at: DateTime<Utc>,
    /// The manual refresh of this account is what it is about (`r`).
    pub refreshing: Option<String>,
}

impl Status {
    /// How long a piece of news stays on the status line.
    pub const NEWS_FOR: Duration = Duration::from_secs(8);
}

impl Model {
    pub fn new(setup: Setup, accounts: Vec<AccountRow>, now: DateTime<Utc>) -> Self {
        let mut accounts = accounts;
        accounts.sort_by(|a, b| (&a.provider, &a.name).cmp(&(&b.provider, &b.name)));
        Self {
            now,
            setup,
            accounts,
            selected: 0,
            filter: TextInput::default(),
            filtering: false,
            claims: ClaimsView {
                source: TokenChoice::Access,
                scroll: 0,
            },
            reveal: false,
            popup: None,
            status: None,
            clipboard_clear: None,
            no_color: false,
            last_reload: now,
            config_path: PathBuf::new(),
            last_form: None,
            here: None,
            quit: false,
        }
    }

    pub fn matches_filter(&self, row: &AccountRow) -> bool {
        if self.filter.is_empty() {
            return true;
        }
        let needle = self.filter.text().to_lowercase();
        row.name.to_lowercase().contains(&needle) || row.provider.to_lowercase().contains(&needle)
    }

    /// Indices of the rows the filter lets through, in display order.
    pub fn visible(&self) -> Vec<usize> {
        (0..self.accounts.len())
            .filter(|&i| self.matches_filter(&self.accounts[i]))
            .collect()
    }

    pub fn selected_row(&self) -> Option<&AccountRow> {
        self.accounts
            .get(self.selected)
            .filter(|row| self.matches_filter(row))
    }

    pub fn row_mut(&mut self, name: &str) -> Option<&mut AccountRow> {
        self.accounts.iter_mut().find(|r| r.name == name)
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            level: Level::Info,
            at: self.now,
            refreshing: None,
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            level: Level::Error,
            at: self.now,
            refreshing: None,
        });
    }
}

/// A destructive question. The answers are picked by moving the highlight (← → Tab) and
/// pressing Enter, and Esc always means "no": no character of a token or of pasted text
/// can answer it. The highlight starts on the harmless answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub answers: Vec<(String, Answer)>,
    pub highlighted: usize,
}

/// What an answer does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Close the question; nothing happens.
    Keep,
    Logout(String),
    /// Log in again and make the account the person who logs in.
    ReplaceUser(String),
    /// Back to the form the question was about.
    BackToForm,
    /// Throw away the filled form.
    DiscardForm,
}

impl Confirm {
    pub fn logout(account: &str) -> Self {
        Self {
            title: " Log out ".into(),
            lines: vec![
                format!("Log out of '{account}'?"),
                "Revokes the tokens at the provider and deletes them here.".into(),
            ],
            answers: vec![
                ("Keep".into(), Answer::Keep),
                ("Log out".into(), Answer::Logout(account.to_string())),
            ],
            highlighted: 0,
        }
    }

    pub fn replace_user(account: &str, message: &str) -> Self {
        Self {
            title: " Another person ".into(),
            lines: vec![
                // The CLI's way out (`--replace-user`) is this question's answer here.
                message
                    .split(". Sign out there")
                    .next()
                    .unwrap_or(message)
                    .to_string(),
                String::new(),
                format!(
                    "Log in again and make '{account}' that person's? The tokens it holds now are revoked. Or keep it, sign the browser out at the provider, and log in again."
                ),
            ],
            answers: vec![
                ("Keep the account as it is".into(), Answer::Keep),
                (
                    "Log in again and replace".into(),
                    Answer::ReplaceUser(account.to_string()),
                ),
            ],
            highlighted: 0,
        }
    }

    pub fn discard_form() -> Self {
        Self {
            title: " Discard the form? ".into(),
            lines: vec!["The form has values that were not written to config.toml.".into()],
            answers: vec![
                ("Go back to the form".into(), Answer::BackToForm),
                ("Discard".into(), Answer::DiscardForm),
            ],
            highlighted: 0,
        }
    }
}
