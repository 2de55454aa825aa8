//! The one stream the dashboard reacts to: terminal input, the 1 s tick, and the results
//! of background work. Everything arrives here as an owned [`Msg`].

use super::model::{Checked, Trust};
use crate::config::edit::ConfigText;
use crate::secret::Secret;
use crate::token::TokenRecord;
use crate::token::TokenSet;
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use std::path::PathBuf;
use std::time::Duration;

// A message is moved once, through the channel, and dropped after `update`: 240 bytes
// on the stack cost less than a heap allocation for every key and tick.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Msg {
    /// The terminal is gone (closed, the SSH connection dropped, SIGHUP): nothing more is
    /// drawn, and tokdeck quits once the refreshes in flight are answered and saved.
    TerminalGone,
    Key(KeyEvent),
    /// Bracketed paste.
    Paste(String),
    /// The clock, once a second; `update` takes time only from here.
    Tick(DateTime<Utc>),
    Resized,
    Done(Outcome),
}

/// A finished (or progressing) piece of background work.
#[derive(Debug)]
pub enum Outcome {
    /// The agent's waiting requests changed (`None`: no agent answers).
    AgentPending(Option<Vec<crate::agent::protocol::Waiting>>),
    /// New lines of the agent's audit.
    AgentActivity(Vec<crate::agent::audit::Entry>),
    /// The agent took (or refused) the person's answer.
    AgentAnswered {
        id: u64,
        answer: crate::agent::protocol::Answer,
        result: Result<(), String>,
    },
    Loaded {
        account: String,
        result: Result<Option<Box<TokenRecord>>, Failure>,
        /// It holds nothing because it was logged out on purpose (by any process).
        logged_out: bool,
    },
    Refreshed {
        account: String,
        result: Result<TokenSet, Failure>,
    },
    ApiRefreshed {
        account: String,
        resource: String,
        result: Result<TokenSet, Failure>,
    },
    Login {
        account: String,
        progress: LoginProgress,
    },
    LoggedOut {
        account: String,
        result: Result<Vec<String>, String>,
    },
    Copied {
        what: String,
        result: Result<String, String>,
    },
    /// The record read again for a copy (see [`Command::CopyStored`]).
    ReadForCopy {
        account: String,
        what: CopyWhat,
        clear_after: Option<Duration>,
        result: Result<Option<Box<TokenRecord>>, Failure>,
    },
    BrowserFailed(String),
    Verified {
        account: String,
        /// The access token of the tokens judged.
        access_token: Secret,
        trust: Trust,
    },
    /// The verdict on `token` (applied only while the inspector still shows it).
    InspectorChecked {
        token: Secret,
        checked: Checked,
    },
    /// The inspector's draft signed (`Ok`: the new token and its verdict with the key
    /// that signed it), or why not.
    InspectorSigned(Result<(Secret, Checked), String>),
    ProviderJson {
        title: String,
        result: Result<serde_json::Value, String>,
    },
    /// The config file's text (`None`: there is none yet).
    ConfigRead {
        purpose: ConfigPurpose,
        result: Result<Option<ConfigText>, String>,
    },
    /// The tokens of an account about to be removed (or moved to another provider) were
    /// logged out or deleted (or not).
    LoggedOutForWrite {
        account: String,
        result: Result<Vec<String>, String>,
        write: ConfigWrite,
    },
    /// The config file changed on disk and was loaded again (or why it could not be).
    ConfigChanged(Result<Reloaded, String>),
    /// The config was written and loaded again (or why not).
    ConfigSaved {
        write: ConfigWrite,
        result: Result<Reloaded, String>,
    },
    /// The server of the API at `url` (RFC 9728), or why it could not be found.
    ApiFound {
        url: String,
        result: Result<Box<crate::engine::from_url::ApiServer>, String>,
    },
    /// tokdeck registered its client for a reviewed change, now to be written (its
    /// client ID filled in), or why not.
    RegisteredForWrite(Result<ConfigWrite, String>),
    /// A client registration was deleted (or not): said to the user.
    Unregistered(Result<String, String>),
    /// The registration of a provider table about to be removed was deleted (or not,
    /// said): the change is written now.
    UnregisteredForWrite {
        note: String,
        write: ConfigWrite,
    },
}

/// Why the config file is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigPurpose {
    Add,
    Change(String),
    Remove(String),
    /// The open form's copy of the file, after a write was refused.
    RefreshForm,
}

/// A confirmed change to config.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWrite {
    pub path: std::path::PathBuf,
    /// The text the change was made from; the file must still hold it.
    pub before: Option<ConfigText>,
    pub after: ConfigText,
    /// Said on success.
    pub done: String,
    /// Select this account afterwards.
    pub select: Option<String>,
    /// Start its login afterwards.
    pub login: bool,
    /// Then offer to remove this provider table, which no account uses any more.
    pub offer_provider_removal: Option<String>,
    /// The client tokdeck registered for the change (for its provider): deleted again
    /// if the change cannot be written.
    pub registered: Option<(String, crate::store::registration::Registration)>,
}

/// The accounts of the config as just loaded.
#[derive(Debug)]
pub struct Reloaded {
    pub rows: Vec<super::model::AccountRow>,
    pub clipboard_clear: Option<Duration>,
    /// The account chosen by the dashboard's working directory (or TOKDECK_ACCOUNT).
    pub here: Option<crate::config::Chosen>,
}

/// Which of an account's tokens to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyWhat {
    Access,
    Id,
    Header,
}

/// Why a refresh or login failed, and whether only a new login can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub needs_login: bool,
    /// A login came back as another person than the account's.
    pub other_person: bool,
}

#[derive(Debug)]
pub enum LoginProgress {
    Device {
        user_code: String,
        verification_uri: String,
        complete: Option<String>,
        expires_in: Duration,
    },
    Browser {
        url: String,
    },
    /// Something to know that is not an error (tokdeck's client registered again).
    Note(String),
    Finished(Result<Box<TokenRecord>, Failure>),
}

/// Work `update` asks the runtime to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Re-read every account's tokens.
    LoadAll,
    /// Tell the agent the person's answer to a waiting request.
    AnswerAgent {
        id: u64,
        answer: crate::agent::protocol::Answer,
    },
    /// Read the account's record again, then copy `what` of it (the row may be a
    /// moment behind another process's refresh).
    CopyStored {
        account: String,
        what: CopyWhat,
        clear_after: Option<Duration>,
    },
    /// Load the config again if its file changed on disk (one `stat` when it did not).
    CheckConfig,
    /// Refresh unless the store already holds a token other than `seen` (another process
    /// refreshed it first).
    Refresh {
        account: String,
        seen: Option<Secret>,
    },
    /// Get the account's token for one of its `resources`, one valid for longer than
    /// `min_valid` (the current one's remaining time: a newer one).
    RefreshApi {
        account: String,
        resource: String,
        min_valid: std::time::Duration,
    },
    Login {
        account: String,
        /// Make the account the person who logs in now (after the user said so).
        replace_user: bool,
    },
    CancelLogin,
    Logout(String),
    Copy {
        what: String,
        text: Secret,
        clear_after: Option<Duration>,
    },
    OpenBrowser(String),
    /// Check the signatures of these tokens of the account (the ones its row holds).
    Verify {
        account: String,
        tokens: Box<TokenSet>,
    },
    /// Check a pasted token against an account's provider, a typed issuer, a secret or
    /// a key file.
    VerifyPasted {
        token: Secret,
        against: VerifyAgainst,
    },
    /// Sign the inspector's edited header and claims.
    SignDraft {
        draft: crate::tui::model::Draft,
        with: SignWith,
    },
    Introspect(String),
    Userinfo(String),
    ReadConfig(ConfigPurpose),
    /// Write the config (if the file still holds `before`) and load it again.
    SaveConfig(ConfigWrite),
    /// Log an account out (`revoke`: at its provider; else only delete the tokens here),
    /// then write the config (without it, or with it on another provider).
    LogoutThenWrite {
        account: String,
        revoke: bool,
        write: ConfigWrite,
    },
    /// Find the server of an API's URL (RFC 9728) for the open form.
    FindApi(crate::tui::editor::ApiAsk),
    /// Register tokdeck's client (RFC 7591), then write the change with its client ID.
    RegisterThenWrite {
        registering: Box<crate::tui::editor::Registering>,
        write: ConfigWrite,
    },
    /// Delete the client tokdeck registered for a provider table about to be removed
    /// (RFC 7592), then write the change.
    UnregisterThenWrite {
        provider: String,
        write: ConfigWrite,
    },
    /// Delete a client registration that no written change uses.
    Unregister {
        provider: String,
        registration: crate::store::registration::Registration,
    },
}

#[derive(Debug, PartialEq, Eq)]
pub enum VerifyAgainst {
    Account(String),
    Issuer(String),
    Secret(Secret),
    KeyFile(PathBuf),
}

/// What signs the inspector's draft.
#[derive(Debug, PartialEq, Eq)]
pub enum SignWith {
    /// A private key file (PEM or a private JWK): its type decides the algorithm.
    KeyFile(PathBuf),
    /// The secret typed in the inspector, with this HMAC algorithm.
    Secret(Secret, String),
}
