//! The agent's protocol: one JSON object per line each way, a request and its answer.
//!
//! Every request names its operation in `op`; a field the operation does not take, an
//! operation that does not exist, or a line over [`MAX_LINE`] bytes is refused with
//! [`Code::BadRequest`] or [`Code::UnknownOp`]. There is no operation that returns a
//! refresh token or a DPoP key, and none can be made by adding fields.
//!
//! An answer is `{"ok": true, ...}` with the operation's fields, or
//! `{"ok": false, "error": {"code": "...", "message": "..."}}`.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The protocol's version, said by `hello`; a client of another version is refused.
pub const VERSION: u32 = 1;

/// The longest request line read (a token request is a few hundred bytes).
pub const MAX_LINE: usize = 64 * 1024;

/// The operations an agent answers, as `hello` lists them.
pub const OPERATIONS: &[&str] = &[
    "hello",
    "list",
    "token",
    "dpop_proof",
    "status",
    "lock",
    "unlock",
    "pending",
    "decide",
    "forward",
    "stop",
];

/// What a forwarded connection (`tokdeck ssh`) may ask: nothing that changes the agent.
pub const FORWARDED_OPERATIONS: &[&str] = &["hello", "list", "token", "dpop_proof"];

/// A request, as read from its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// The first request of a client: the versions are compared.
    Hello {
        v: u32,
        /// What the caller says it is (claimed, never verified).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// The accounts: names, issuer, person, state, expiry; never a secret.
    List,
    /// An access token (or the ID token) of an account.
    Token {
        #[serde(flatten)]
        ask: TokenAsk,
    },
    /// A DPoP proof (RFC 9449 §4) for a request with the token the agent handed out: the
    /// agent signs, the key never leaves it.
    DpopProof {
        account: String,
        method: String,
        url: String,
        /// `ath`: the base64url SHA-256 of the access token the proof goes with.
        ath: String,
    },
    /// Whether the agent is locked, how many records it holds, what waits for a person.
    Status,
    /// Drops every record and approval from memory and refuses requests until `unlock`.
    Lock,
    Unlock,
    /// The requests waiting for a person's answer.
    Pending,
    /// A person's answer to a waiting request.
    Decide {
        id: u64,
        answer: Answer,
    },
    /// A listener for one ssh connection to `host` (`tokdeck ssh`): it serves only
    /// [`FORWARDED_OPERATIONS`], tags its callers `forwarded: HOST`, and ends, with every
    /// connection through it, when the connection that asked for it closes.
    Forward {
        host: String,
    },
    /// Ends the agent.
    Stop,
}

/// What a `token` request asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenAsk {
    /// The account; `None`: chosen as `tokdeck which` does, from the caller's
    /// `TOKDECK_ACCOUNT` and working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The caller's `TOKDECK_ACCOUNT` (claimed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_env: Option<String>,
    /// The caller's working directory as it says (the kernel's is used where it can be
    /// read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// Seconds the token must stay valid; `None`: served until its refresh point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_valid: Option<u64>,
    /// A token for this API (RFC 8707).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// A token for these scopes only ("a b").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The ID token instead of the access token (the account's policy must allow it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub id_token: bool,
    /// A credential helper's request: the account is the one whose `urls` claim it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<ForTool>,
}

/// A credential helper's request for a URL, answered with the account that claims it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "tool", rename_all = "snake_case", deny_unknown_fields)]
pub enum ForTool {
    /// git's `protocol://host/path/`, and whether git gave the path (`useHttpPath`).
    Git { url: String, has_path: bool },
    /// A registry host or URL, as Docker sends it.
    Docker { server: String },
}

/// A person's answer to a waiting request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// This request only.
    Once,
    /// This request and the caller's session's next ones for the account.
    Session,
    /// The same program (its executable, as the kernel says) for the account, until the
    /// agent stops or locks.
    Program,
    Deny,
}

impl Answer {
    pub fn allows(self) -> bool {
        self != Self::Deny
    }

    /// As a person types it: `o`, `s`, `p`, `d` or the word.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "o" | "once" | "y" | "yes" => Some(Self::Once),
            "s" | "session" => Some(Self::Session),
            "p" | "program" | "always" => Some(Self::Program),
            "d" | "deny" | "n" | "no" => Some(Self::Deny),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::Session => "session",
            Self::Program => "program",
            Self::Deny => "deny",
        }
    }
}

/// Why a request was refused; callers (and the coding agents reading their errors) act
/// on the code, people read the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    BadRequest,
    UnknownOp,
    Version,
    /// Another user, or a caller that may not do this (a coding agent answering its own
    /// request).
    NotAllowed,
    Locked,
    /// A person said no.
    Denied,
    /// Nobody answered in time.
    TimedOut,
    /// The account's policy refuses what was asked (ID token, scope, resource).
    Policy,
    /// No such account, or none could be chosen.
    Account,
    /// Only a login by a person helps (`tokdeck login NAME`).
    NeedsLogin,
    /// No account claims the URL a credential helper asked about.
    Unclaimed,
    /// The provider, the network or the store failed.
    Failed,
}

/// A refusal, with the command a person must run where one helps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: Code,
    pub message: String,
}

impl Failure {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

mod answers;
pub use answers::*;

/// The line an answer is sent as.
pub fn answer_line<T: Serialize>(result: Result<T, Failure>) -> String {
    let value = match result.map(|t| serde_json::to_value(t)) {
        Ok(Ok(serde_json::Value::Object(mut fields))) => {
            fields.insert("ok".into(), true.into());
            serde_json::Value::Object(fields)
        }
        Ok(Ok(_)) | Ok(Err(_)) => failure_value(&Failure::new(
            Code::Failed,
            "the agent could not write its answer",
        )),
        Err(failure) => failure_value(&failure),
    };
    let mut line = value.to_string();
    line.push('\n');
    line
}

fn failure_value(failure: &Failure) -> serde_json::Value {
    serde_json::json!({ "ok": false, "error": failure })
}

/// An answer line read back: the operation's fields, or the agent's refusal.
pub fn read_answer<T: for<'de> Deserialize<'de>>(line: &str) -> Result<T, Failure> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
        Failure::new(
            Code::BadRequest,
            format!("the agent's answer is not JSON ({e})"),
        )
    })?;
    if value.get("ok").and_then(serde_json::Value::as_bool) == Some(true) {
        return serde_json::from_value(value).map_err(|e| {
            Failure::new(
                Code::BadRequest,
                format!("the agent's answer is not what this tokdeck expects ({e}); is the agent of another version?"),
            )
        });
    }
    Err(value
        .get("error")
        .cloned()
        .and_then(|e| serde_json::from_value(e).ok())
        .unwrap_or_else(|| Failure::new(Code::Failed, "the agent refused without saying why")))
}

/// A request line read: the request, or why it is refused.
pub fn read_request(line: &str) -> Result<Request, Failure> {
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| Failure::new(Code::BadRequest, format!("not a JSON request: {e}")))?;
    let op = value
        .get("op")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    match op {
        None => Err(Failure::new(
            Code::BadRequest,
            "a request names its operation in \"op\"",
        )),
        Some(op) if !OPERATIONS.contains(&op.as_str()) => Err(Failure::new(
            Code::UnknownOp,
            format!(
                "no operation '{}'; the agent answers: {}",
                crate::printable::printable(&op),
                OPERATIONS.join(", ")
            ),
        )),
        // serde lets fields past an operation without any through: refused here.
        Some(op)
            if ["list", "status", "lock", "unlock", "pending", "stop"].contains(&op.as_str()) =>
        {
            match value
                .as_object()
                .and_then(|o| o.keys().find(|k| k.as_str() != "op"))
            {
                Some(field) => Err(Failure::new(
                    Code::BadRequest,
                    format!(
                        "'{op}': unknown field `{}`, it takes none",
                        crate::printable::printable(field)
                    ),
                )),
                None => serde_json::from_value(value)
                    .map_err(|e| Failure::new(Code::BadRequest, format!("'{op}': {e}"))),
            }
        }
        Some(op) => serde_json::from_value(value).map_err(|e| {
            Failure::new(
                Code::BadRequest,
                format!("'{op}': {}", crate::printable::printable(&e.to_string())),
            )
        }),
    }
}

#[cfg(test)]
mod tests;
