//! Dynamic client registration (RFC 7591) and its management (RFC 7592): tokdeck
//! registers itself as a native public client, can tell later whether the server still
//! knows it, and deletes it when the account goes.

use super::request::{read_json, snippet};
use super::{Http, OAuthError};
use crate::printable::printable;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// What tokdeck asks to be registered as (RFC 7591 §2).
#[derive(Debug, Clone, Serialize)]
pub struct ClientMetadata {
    pub client_name: String,
    /// RFC 8252 §7.3: loopback redirects, whose port the server must not compare.
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    /// `none`: a public client with PKCE (RFC 8252 §8.4).
    pub token_endpoint_auth_method: String,
    /// OIDC Registration §2: a native application (loopback redirects allowed).
    pub application_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub software_id: String,
    pub software_version: String,
}

impl ClientMetadata {
    /// tokdeck as a native public client asking for `grant_types` and `scopes`.
    pub fn native(grant_types: Vec<String>, scopes: &[String]) -> Self {
        Self {
            client_name: "tokdeck".into(),
            redirect_uris: vec![format!(
                "http://127.0.0.1{}",
                super::loopback::CALLBACK_PATH
            )],
            response_types: vec!["code".into()],
            grant_types,
            token_endpoint_auth_method: "none".into(),
            application_type: "native".into(),
            scope: (!scopes.is_empty()).then(|| scopes.join(" ")),
            // RFC 7591 §2: the same for every copy of tokdeck, a UUID.
            software_id: SOFTWARE_ID.into(),
            software_version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// tokdeck's RFC 7591 `software_id`.
pub const SOFTWARE_ID: &str = "6d1f4c3e-2b8a-4f7e-9c5d-0a7b3e9f1d24";

/// What the server registered (RFC 7591 §3.2.1, RFC 7592 §3).
#[derive(Debug, Clone, Deserialize)]
pub struct Registered {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<Secret>,
    #[serde(default)]
    pub registration_access_token: Option<Secret>,
    #[serde(default)]
    pub registration_client_uri: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    /// When the secret expires (seconds since the epoch; 0 or absent: never).
    #[serde(default)]
    pub client_secret_expires_at: Option<i64>,
}

/// Registers `metadata` at `endpoint`.
pub async fn register(
    http: &Http,
    endpoint: &str,
    metadata: &ClientMetadata,
) -> Result<Registered, OAuthError> {
    let body = serde_json::to_vec(metadata)
        .map_err(|e| OAuthError::Other(format!("cannot write the registration: {e}")))?;
    let request = http::Request::post(endpoint)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json")
        .body(body)
        .map_err(|e| OAuthError::Other(format!("cannot build a request to '{endpoint}': {e}")))?;
    let response = http.send(request).await?;
    let registered: Registered = read_json("registration endpoint", endpoint, response)?;
    if registered.client_id.is_empty()
        || !registered.client_id.chars().all(|c| c.is_ascii_graphic())
        || registered.client_id.len() > 512
    {
        return Err(OAuthError::Malformed {
            endpoint: "registration endpoint",
            url: endpoint.to_string(),
            reason: format!(
                "the client_id it gave, '{}', is not a printable ASCII string",
                printable(&registered.client_id)
            ),
        });
    }
    Ok(registered)
}

/// Whether the server still knows a registered client (RFC 7592 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    Yes,
    /// 401, 403 or 404: the client (or its registration access token) is gone.
    Gone,
}

/// What reading a registration told (RFC 7592 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// The server knows the client; with the registration access token it wants used
    /// from now on, when it issued a new one (§2.1: some servers do at every read).
    Known(Option<Secret>),
    Gone,
}

/// Reads the registration at `uri` (RFC 7592 §2.1).
pub async fn read(http: &Http, uri: &str, token: &Secret) -> Result<Read, OAuthError> {
    let response = send(http, http::Method::GET, uri, token).await?;
    match response.status().as_u16() {
        200..=299 => {
            let rotated = serde_json::from_slice::<serde_json::Value>(response.body())
                .ok()
                .and_then(|v| {
                    v.get("registration_access_token")?
                        .as_str()
                        .map(str::to_string)
                })
                .filter(|new| {
                    new != token.expose()
                        && crate::token::check_token("registration_access_token", new).is_ok()
                })
                .map(Secret::new);
            Ok(Read::Known(rotated))
        }
        401 | 403 | 404 => Ok(Read::Gone),
        status => Err(status_error(uri, status, response.body())),
    }
}

/// Deletes the registration at `uri` (RFC 7592 §2.3): whether the server still knew it
/// (`Gone`: deleted before, or its token no longer valid).
pub async fn delete(http: &Http, uri: &str, token: &Secret) -> Result<Known, OAuthError> {
    let response = send(http, http::Method::DELETE, uri, token).await?;
    match response.status().as_u16() {
        200..=299 => Ok(Known::Yes),
        401 | 403 | 404 => Ok(Known::Gone),
        status => Err(status_error(uri, status, response.body())),
    }
}

async fn send(
    http: &Http,
    method: http::Method,
    uri: &str,
    token: &Secret,
) -> Result<super::http::HttpResponse, OAuthError> {
    let request = http::Request::builder()
        .method(method)
        .uri(uri)
        .header(http::header::ACCEPT, "application/json")
        .header(
            http::header::AUTHORIZATION,
            format!("Bearer {}", token.expose()),
        )
        .body(Vec::new())
        .map_err(|e| OAuthError::Other(format!("cannot build a request to '{uri}': {e}")))?;
    Ok(http.send(request).await?)
}

fn status_error(uri: &str, status: u16, body: &[u8]) -> OAuthError {
    OAuthError::HttpStatus {
        endpoint: "client configuration endpoint",
        url: uri.to_string(),
        status,
        snippet: snippet(body),
    }
}
