//! What each operation answers (beside `{"ok": true}`): the types a client reads back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `hello`'s answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    pub v: u32,
    pub agent: String,
    pub ops: Vec<String>,
    pub locked: bool,
    /// On a forwarded connection: the host it was forwarded to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_to: Option<String>,
}

/// `forward`'s answer: the local socket ssh forwards to the remote host.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Forwarding {
    pub id: u64,
    pub socket: PathBuf,
}

/// One account in `list`'s answer: nothing secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Listed {
    pub name: String,
    pub provider: Option<String>,
    pub issuer: Option<String>,
    pub person: Option<String>,
    pub state: String,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct List {
    pub accounts: Vec<Listed>,
}

/// `token`'s answer: the token and what a tool needs to use it; never a refresh token.
/// Its `Debug` leaves the token out.
#[derive(Clone, Serialize, Deserialize)]
pub struct Token {
    pub account: String,
    pub provider: String,
    pub token: String,
    pub token_type: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Bound to the account's DPoP key: each request needs a `dpop_proof`.
    #[serde(default)]
    pub dpop: bool,
    /// The variables `tokdeck exec` puts the token in (the account's `env`).
    #[serde(default)]
    pub env: Vec<String>,
    /// Who the account is logged in as.
    #[serde(default)]
    pub person: Option<String>,
    /// For a credential helper's request: the user name to send with the token.
    #[serde(default)]
    pub username: Option<String>,
    /// What the caller's user should know (a refresh that failed for a passing reason).
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("account", &self.account)
            .field("token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Proof {
    pub proof: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    pub locked: bool,
    pub pid: u32,
    pub socket: PathBuf,
    pub started_at: DateTime<Utc>,
    /// Accounts whose tokens the agent holds in memory.
    pub held: usize,
    pub pending: usize,
    pub approvals: usize,
}

/// A request waiting for a person, as `pending` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Waiting {
    pub id: u64,
    pub account: String,
    pub resource: Option<String>,
    pub scope: Option<String>,
    pub id_token: bool,
    /// Who asks, one line (verified facts first).
    pub caller: String,
    /// The caller's facts, each marked verified or claimed.
    pub facts: Vec<crate::agent::caller::Fact>,
    pub asked_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Waiting {
    /// What it asks for, as people read it: `a token of 'work' for API (scope s)`.
    pub fn what(&self) -> String {
        let mut what = format!("a token of '{}'", self.account);
        if let Some(resource) = &self.resource {
            what.push_str(&format!(" for {resource}"));
        }
        if let Some(scope) = &self.scope {
            what.push_str(&format!(" (scope {scope})"));
        }
        if self.id_token {
            what.push_str(", its ID token");
        }
        what
    }

    /// One line per fact: `verified  executable      /usr/bin/curl`.
    pub fn fact_lines(&self) -> Vec<String> {
        self.facts
            .iter()
            .map(|fact| {
                let mark = if fact.verified {
                    "verified"
                } else {
                    "claimed "
                };
                format!("{mark}  {:<15} {}", fact.name, fact.value)
            })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub requests: Vec<Waiting>,
}

/// An answer with nothing in it (`lock`, `unlock`, `decide`, `stop`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Done {}
