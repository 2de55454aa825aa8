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
pub mod loopback;
mod provider_client;
pub mod registration;
mod request;
pub mod resource_metadata;
#[cfg(test)]
pub mod testing;
pub mod tokens;

pub use discovery::{DiscoveryCache, Endpoints};
pub use error::OAuthError;
pub use http::Http;
pub use provider_client::ProviderClient;
pub use tokens::TokenResponse;

use crate::secret::Secret;
use std::collections::BTreeMap;

/// The client tokdeck acts as, and how it authenticates at the token endpoint.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    /// `Some`: a confidential client using `client_secret_basic` (RFC 6749 §2.3.1).
    pub client_secret: Option<Secret>,
    /// `Some`: the client authenticates with a signed assertion instead (RFC 7523 §2.2).
    pub assertion: Option<assertion::ClientAssertion>,
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

impl Request {
    pub fn scope_param(&self) -> Option<String> {
        (!self.scopes.is_empty()).then(|| self.scopes.join(" "))
    }
}

/// Entry points for the fuzz targets (fuzz/), which cannot reach private modules.
#[doc(hidden)]
pub mod fuzzing {
    use super::OAuthError;
    use crate::token::TokenSet;

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
