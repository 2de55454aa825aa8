//! Everything the dashboard shows, as plain data. Views read it; only `update` changes it.

use super::editor::{Editor, Review};
pub use super::health::{Health, Retry};
pub use super::row::{AccountRow, Activity, Checked, Source, TokenStatus, Trust, Urgency};
use crate::jwt::Decoded;
use crate::secret::Secret;
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
    /// The account whose token text shows instead of the mask (`v`): that one only, so
    /// that moving on never shows another account's token.
    pub reveal: Option<String>,
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
    /// `q` was pressed while refreshes were in flight: quit when they are done (their
    /// answers carry the new refresh tokens).
    pub quit_when_idle: bool,
    /// The terminal is gone ([`super::event::Msg::TerminalGone`]): nothing is drawn.
    pub terminal_gone: bool,
    /// The agent's waiting requests and activity.
    pub agent: super::agent::AgentState,
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
    /// The keys; scrolled when the terminal is too short for all of them.
    Help {
        scroll: u16,
    },
    Login {
        account: String,
        stage: LoginStage,
    },
    /// A question whose answers are chosen with the arrows and Enter, never a letter.
    Confirm(Confirm),
    Inspector(Box<Inspector>),
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

/// A pasted token, decoded: a workbench that verifies it with a provider, an issuer, a
/// secret or a key file, edits its claims and signs it again, and compares it with
/// another token.
#[derive(Debug, Clone, Default)]
pub struct Inspector {
    pub token: Option<Secret>,
    pub decoded: Option<Result<Decoded, String>>,
    pub scroll: u16,
    pub checked: Option<Checked>,
    /// The line being typed, and what it is for.
    pub input: Option<(Field, TextInput)>,
    /// A note about the last key or action (a refused character, an edit that failed).
    pub note: Option<String>,
    /// Claims changed since the token was signed (`e`), shown until it is signed again.
    pub draft: Option<Draft>,
    /// The secret typed to verify (`s`), kept to sign again with it; never shown.
    pub secret: Option<Secret>,
    /// The comparison with a second token (`d`), shown instead of the claims.
    pub compare: Option<Vec<crate::jwt::compare::Row>>,
}

impl Inspector {
    /// An inspector on `token`, decoded.
    pub fn showing(token: Secret) -> Self {
        let mut inspector = Self::default();
        inspector.load(token);
        inspector
    }

    /// Shows `token` (decoded: a paste that is not a JWT shows as such).
    pub fn load(&mut self, token: Secret) {
        self.decoded = Some(crate::jwt::decode(token.expose()).map_err(|e| e.to_string()));
        self.token = Some(token);
    }
}

/// What the inspector's input line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// An issuer URL to verify against (`u`).
    Issuer,
    /// A shared secret to verify with (`s`), masked.
    Secret,
    /// A key file (PEM or JWK, public or private) to verify with (`f`).
    KeyFile,
    /// A claim edit: `name=value`, `-name`, `exp+=10m` (`e`).
    Edit,
    /// The private key file to sign with (`S`); empty: the secret typed with `s`.
    SignKey,
    /// A second token to compare with (`d`).
    Compare,
}

/// A token's header and claims as edited, not signed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub header: serde_json::Map<String, serde_json::Value>,
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// JSON values compare as equal or not (no NaN in JSON): the commands that carry a
/// draft compare whole.
impl Eq for Draft {}

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
            reveal: None,
            popup: None,
            status: None,
            clipboard_clear: None,
            no_color: false,
            last_reload: now,
            config_path: PathBuf::new(),
            last_form: None,
            here: None,
            quit: false,
            quit_when_idle: false,
            terminal_gone: false,
            agent: super::agent::AgentState::default(),
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

    /// Refreshes (of accounts or their APIs) whose answers have not come yet.
    pub fn refreshes_in_flight(&self) -> usize {
        self.accounts
            .iter()
            .map(|r| {
                usize::from(r.activity == Activity::Refreshing)
                    + r.apis.iter().filter(|a| a.busy).count()
            })
            .sum()
    }

    /// A row's badge: its own status, except that an account by exchange whose source
    /// needs a login (or holds nothing) needs that login too, whatever it still holds: it
    /// cannot be renewed (as `tokdeck list` says it).
    pub fn status_of(&self, row: &AccountRow) -> TokenStatus {
        let own = row.status(self.now);
        let Some(from) = row.source.exchanged_from() else {
            return own;
        };
        if matches!(
            own,
            TokenStatus::Refreshing | TokenStatus::LoggingIn | TokenStatus::LoggingOut
        ) {
            return own;
        }
        let source_dead = self
            .accounts
            .iter()
            .find(|r| r.name == from)
            .is_none_or(|source| {
                matches!(
                    source.status(self.now),
                    TokenStatus::NeedsLogin | TokenStatus::NoToken
                )
            });
        if source_dead {
            TokenStatus::NeedsLogin
        } else {
            own
        }
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
    /// The person's answer to the agent's waiting request.
    Agent {
        id: u64,
        answer: crate::agent::protocol::Answer,
    },
}

impl Confirm {
    pub fn logout(account: &str) -> Self {
        Self {
            title: " Log out ".into(),
            lines: vec![
                format!("Log out of '{account}'?"),
                "Deletes the tokens here, and revokes them at the provider where it can:".into(),
                "not when another account holds the same person's grant, which would end too."
                    .into(),
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
