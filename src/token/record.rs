//! What is kept per account: the tokens, who issued them to which client, and whose
//! they are.

use super::{Target, TokenSet};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version 2 added [`Binding`] and [`Identity`]; version 1 records read as unbound.
const RECORD_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub version: u32,
    pub tokens: TokenSet,
    /// When the last successful refresh happened.
    pub last_refresh: Option<DateTime<Utc>>,
    /// Set when the provider refused the refresh token: every process then knows that
    /// only a new login helps, without asking the provider again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_needed: Option<String>,
    /// The server and client the tokens were issued for; `None` in records written
    /// before tokdeck kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<Binding>,
    /// The person (or, for client credentials, the client) the tokens belong to; the
    /// first login pins it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// Access tokens for one API or fewer scopes (`token --resource/--scope`), got with
    /// the refresh token of `tokens`, by [`Target::key`]. No refresh or ID
    /// token in them: those stay in `tokens`.
    /// Stored as `narrowed`, its name in records written before the rename.
    #[serde(
        default,
        rename = "narrowed",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub per_api: BTreeMap<String, TokenSet>,
    /// When a refresh was sent and no answer came even after
    /// `oauth::http::REFRESH_ANSWER_WAIT`: the provider may have rotated the refresh
    /// token into an answer nobody read. Said if the refresh token is refused later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unanswered_refresh: Option<DateTime<Utc>>,
    /// The `resources` the login asked for (RFC 8707): the grant covers these only.
    /// `None` in records written before tokdeck kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_resources: Option<Vec<String>>,
}

/// Where tokens came from. Tokens are only ever sent to, or handed out for, the provider
/// that issued them: the account's provider as configured now must still match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// The issuer as configured when the tokens were issued (`None`: no discovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The token endpoint that issued them (discovered or configured).
    pub token_endpoint: String,
    pub client_id: String,
    /// Every endpoint of the server, by its metadata key (`revocation_endpoint`,
    /// `userinfo_endpoint`, ...), as configured or listed by the issuer's own metadata
    /// when the tokens were issued: the only places the tokens and the client's
    /// credentials may go. `None` in records written before tokdeck kept it (filled at
    /// their next refresh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<BTreeMap<String, String>>,
}

impl Binding {
    /// The issuer, else the token endpoint: the server as a person names it.
    pub fn server(&self) -> &str {
        self.issuer.as_deref().unwrap_or(&self.token_endpoint)
    }

    /// Whether `url` is where these tokens may go as `key` (a metadata key such as
    /// `revocation_endpoint`): `Err` holds the URL bound for it (`None`: none was).
    /// The token endpoint is always bound; records older than the wider binding accept
    /// the other endpoints until their next refresh binds them.
    pub fn allows(&self, key: &str, url: &str) -> Result<(), Option<&str>> {
        let bound = match (key, &self.endpoints) {
            ("token_endpoint", _) => Some(self.token_endpoint.as_str()),
            (_, Some(endpoints)) => endpoints.get(key).map(String::as_str),
            (_, None) => return Ok(()),
        };
        match bound {
            Some(bound) if bound == url => Ok(()),
            other => Err(other),
        }
    }
}

/// Who an account is logged in as (OIDC Core §5.1 claims). `iss` + `sub` is the pin;
/// the rest is for people to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub iss: String,
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Identity {
    /// A short "who": the email, else the username, else the name, else `sub`; as the
    /// provider sent it, it could hold control characters: shown escaped (see
    /// [`crate::printable`]), stored as received.
    pub fn who(&self) -> std::borrow::Cow<'_, str> {
        crate::printable::printable(
            self.email
                .as_deref()
                .or(self.preferred_username.as_deref())
                .or(self.name.as_deref())
                .unwrap_or(&self.sub),
        )
    }

    /// The same person at the same issuer (OIDC Core §5.7: only `iss` + `sub` are stable).
    pub fn same_person(&self, other: &Identity) -> bool {
        self.iss == other.iss && self.sub == other.sub
    }

    /// What to send as `login_hint` to ask for this person again.
    pub fn hint(&self) -> Option<&str> {
        self.email.as_deref().or(self.preferred_username.as_deref())
    }
}

impl TokenRecord {
    pub fn new(tokens: TokenSet) -> Self {
        Self {
            version: RECORD_VERSION,
            tokens,
            last_refresh: None,
            login_needed: None,
            binding: None,
            identity: None,
            per_api: BTreeMap::new(),
            unanswered_refresh: None,
            login_resources: None,
        }
    }

    /// The account's tokens, or its token for `target`.
    pub fn select(&self, target: Option<&Target>) -> Option<&TokenSet> {
        match target {
            None => Some(&self.tokens),
            Some(target) => self.per_api.get(&target.key()),
        }
    }

    /// New tokens issued for `binding` to `identity`.
    pub fn issued(tokens: TokenSet, binding: Binding, identity: Option<Identity>) -> Self {
        Self {
            binding: Some(binding),
            identity,
            ..Self::new(tokens)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_record_reads_as_unbound_and_anonymous() {
        let v1 = r#"{"version":1,"tokens":{"access_token":"at","token_type":"Bearer","refresh_token":null,"id_token":null,"scopes":[],"issued_at":"2026-01-01T00:00:00Z","expires_at":null},"last_refresh":null}"#;
        let record: TokenRecord = serde_json::from_str(v1).expect("reads");
        assert_eq!(record.binding, None);
        assert_eq!(record.identity, None);
    }

    #[test]
    fn who_prefers_email_then_username_then_name_then_sub() {
        let mut id = Identity {
            iss: "https://idp".into(),
            sub: "42".into(),
            email: Some("bob@example.test".into()),
            preferred_username: Some("bob".into()),
            name: Some("Bob B".into()),
        };
        assert_eq!(id.who(), "bob@example.test");
        id.email = None;
        assert_eq!(id.who(), "bob");
        id.preferred_username = None;
        assert_eq!(id.who(), "Bob B");
        id.name = None;
        assert_eq!(id.who(), "42");
        id.email = Some("bob\x1b[2J\r@x".into());
        assert_eq!(id.who(), "bob\\x1b[2J\\r@x", "shown escaped");
    }
}
