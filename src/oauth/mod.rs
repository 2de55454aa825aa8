//! OAuth 2.0 / OpenID Connect flows. No UI here: flows report progress through
//! callbacks and return owned results, so the CLI and the dashboard drive the same code.

pub mod assertion;
pub mod browser;
pub mod device;
pub mod discovery;
pub mod dpop;
pub mod end_session;
mod error;
pub mod grants;
pub mod http;
pub mod jwks;
pub mod lifetime;
pub mod loopback;
mod request;
#[cfg(test)]
pub mod testing;
pub mod tokens;

pub use discovery::{DiscoveryCache, Endpoints};
pub use error::OAuthError;
pub use http::Http;
pub use lifetime::Lifetime;
pub use tokens::{TokenResponse, TokenSet};

use crate::secret::Secret;
use std::collections::BTreeMap;

/// The client tokdeck acts as, and how it authenticates at the token endpoint.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    /// `Some`: a confidential client using `client_secret_basic` (RFC 6749 §2.3.1).
    pub client_secret: Option<Secret>,
    /// `Some`: the client authenticates with a signed assertion instead (RFC 7523 §2.2),
    /// for this audience (the issuer; the endpoint called when there is none).
    pub assertion: Option<(assertion::SigningKey, Option<String>)>,
    /// `Some`: every request carries a DPoP proof of this key (RFC 9449).
    pub dpop: Option<dpop::Dpop>,
}

impl Client {
    /// The same client, proving possession of `dpop` with every request (RFC 9449).
    pub fn with_dpop(mut self, dpop: Option<dpop::Dpop>) -> Self {
        self.dpop = dpop;
        self
    }
}

/// What a login or refresh asks for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub scopes: Vec<String>,
    /// Extra authorization/token parameters (`audience`, `resource`, `prompt`, ...).
    pub params: BTreeMap<String, String>,
    /// Ask the provider for its account chooser (`prompt=select_account`).
    pub select_account: bool,
    /// RFC 8707 resource indicators asked for at the authorization (or device
    /// authorization) request, so that the grant covers each of these APIs.
    pub resources: Vec<String>,
}

/// A token for one API or a narrower set of scopes than the account's (RFC 8707 §2.2,
/// RFC 6749 §6 `scope`), obtained with the account's refresh token.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Sorted and without repeats: one cache entry per set of scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

impl Target {
    /// A token for the API `resource`, with the scopes the provider gives for it.
    pub fn resource(resource: &str) -> Self {
        Self {
            resource: Some(resource.to_string()),
            scopes: Vec::new(),
        }
    }

    /// `None` when neither a resource nor scopes are asked for (the account's own token).
    pub fn new(resource: Option<&str>, scope: Option<&str>) -> Option<Self> {
        let mut scopes: Vec<String> = scope
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        scopes.sort();
        scopes.dedup();
        let resource = resource.filter(|r| !r.is_empty()).map(str::to_string);
        (resource.is_some() || !scopes.is_empty()).then_some(Self { resource, scopes })
    }

    /// The key of the cached token: `RESOURCE SCOPE…` (a resource never holds a space).
    pub fn key(&self) -> String {
        let mut key = self.resource.clone().unwrap_or_default();
        for scope in &self.scopes {
            key.push(' ');
            key.push_str(scope);
        }
        key
    }

    /// "resource 'R' with scope 'S'", for messages.
    pub fn describe(&self) -> String {
        let scope = self.scopes.join(" ");
        match (&self.resource, scope.is_empty()) {
            (Some(r), true) => format!("resource '{r}'"),
            (Some(r), false) => format!("resource '{r}' with scope '{scope}'"),
            (None, _) => format!("scope '{scope}'"),
        }
    }
}

impl Request {
    pub fn scope_param(&self) -> Option<String> {
        (!self.scopes.is_empty()).then(|| self.scopes.join(" "))
    }
}

/// Entry points for the fuzz targets (fuzz/), which cannot reach private modules.
#[doc(hidden)]
pub mod fuzzing {
    use super::{OAuthError, TokenSet};

    /// Reads `body` as a token endpoint answer with HTTP `status`, checks its tokens and
    /// makes the token set of it, at now and at the last instant a date can hold (no
    /// server number may overflow either).
    pub fn read_token_response(status: u16, body: &[u8]) -> Result<TokenSet, OAuthError> {
        let response = http::Response::builder()
            .status(status)
            .body(body.to_vec())
            .map_err(|e| OAuthError::Other(e.to_string()))?;
        let answer: super::TokenResponse =
            super::request::read_json("token endpoint", "https://fuzz/token", response)?;
        super::tokens::check_response(&answer).map_err(OAuthError::Other)?;
        let _ = TokenSet::from_response(
            answer.clone(),
            &[],
            chrono::DateTime::<chrono::Utc>::MAX_UTC,
        );
        Ok(TokenSet::from_response(answer, &[], chrono::Utc::now()))
    }
}
