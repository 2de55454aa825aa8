//! `[accounts.NAME.agent]`: what `tokdeck agent` may hand out of an account, and to whom
//! without asking the person.

use serde::Deserialize;
use std::time::Duration;

/// When the agent asks the person before it hands out a token of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approve {
    /// Never asks: any process of the user gets the token.
    Never,
    /// Asks once per caller's session (its terminal, else its process session), until
    /// the approval's time is up or the agent locks.
    Session,
    /// Asks for every request.
    Always,
}

/// The account's agent policy as configured; defaults: see each field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentPolicy {
    /// `None`: never for the user's own shells and programs, once per session for coding
    /// agents, containers and forwarded connections.
    pub approve: Option<Approve>,
    /// The ID token is handed out only when `id_token = true`: it says who the person is
    /// to whoever holds it.
    pub id_token: bool,
    /// A ceiling on the scopes a caller may get (`None`: the account's own).
    pub scopes: Option<Vec<String>>,
    /// A ceiling on the APIs (RFC 8707 resources) a caller may get a token for.
    pub resources: Option<Vec<String>>,
    /// Revoke and delete the grant when no caller used it for this long.
    pub forget_after: Option<Duration>,
    /// Visible through `tokdeck ssh` on remote hosts.
    pub forwardable: bool,
}

/// The table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AgentSection {
    approve: Option<Approve>,
    #[serde(default)]
    id_token: bool,
    scopes: Option<Vec<String>>,
    resources: Option<Vec<String>>,
    forget_after: Option<String>,
    #[serde(default)]
    forwardable: bool,
}

impl AgentSection {
    /// The policy, or what is wrong with the table (said after "account 'NAME': ").
    pub(super) fn policy(self) -> Result<AgentPolicy, String> {
        let forget_after = match &self.forget_after {
            None => None,
            Some(text) => match crate::jwt::edit::seconds(text) {
                Some(s) if s > 0 => Some(Duration::from_secs(s.unsigned_abs())),
                _ => {
                    return Err(format!(
                        "agent.forget_after '{text}' is not a duration; write e.g. \"14d\", \"12h\" or \"90m\""
                    ));
                }
            },
        };
        for resource in self.resources.iter().flatten() {
            super::check_resource(resource)
                .map_err(|m| format!("agent.resources: '{resource}' {m}"))?;
        }
        if let Some(scope) = self
            .scopes
            .iter()
            .flatten()
            .find(|s| s.is_empty() || s.contains(char::is_whitespace))
        {
            return Err(format!(
                "agent.scopes: '{scope}' is not a scope; list each scope as its own string"
            ));
        }
        Ok(AgentPolicy {
            approve: self.approve,
            id_token: self.id_token,
            scopes: self.scopes,
            resources: self.resources,
            forget_after,
            forwardable: self.forwardable,
        })
    }
}
