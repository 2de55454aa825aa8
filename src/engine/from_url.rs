//! An account from an API's URL alone (what MCP clients do): the API's protected
//! resource metadata (RFC 9728) names its authorization servers; the chosen server's
//! metadata (RFC 8414 / OIDC discovery, issuer checked) says how to log in and whether
//! tokdeck may register itself there (RFC 7591).

use super::EngineError;
use crate::oauth::resource_metadata;
use crate::oauth::{Endpoints, ProviderClient};
use crate::printable::printable;

/// What an API's URL led to.
#[derive(Debug, Clone)]
pub struct ApiServer {
    /// The API's resource identifier (RFC 8707): what its tokens are for.
    pub resource: String,
    /// The API's own name for itself, printable.
    pub resource_name: Option<String>,
    /// The chosen authorization server's issuer.
    pub issuer: String,
    /// Its metadata.
    pub endpoints: Endpoints,
    /// The scopes to ask for: those given, else the API's challenge's, else those its
    /// metadata lists; after `openid` and `offline_access` when the server knows them
    /// (who the account is, and a refresh token).
    pub scopes: Vec<String>,
}

impl ApiServer {
    /// "URL (its name) is protected by ISSUER", for the user.
    pub fn protected_by(&self) -> String {
        format!(
            "{}{} is protected by {}",
            printable(&self.resource),
            self.resource_name
                .as_deref()
                .map(|n| format!(" ({})", printable(n)))
                .unwrap_or_default(),
            printable(&self.issuer)
        )
    }
}

/// The authorization servers an API names, for the user to pick one.
pub trait PickServer {
    /// One of `servers` (in the metadata's order), or why none.
    fn pick(&self, resource: &str, servers: &[String]) -> Result<String, EngineError>;
}

/// Reads `url`'s metadata and its server's; `issuer` picks among several servers.
pub async fn api_server(
    client: &ProviderClient,
    url: &str,
    issuer: Option<&str>,
    scopes: &[String],
    picker: &(dyn PickServer + Sync),
) -> Result<ApiServer, EngineError> {
    let http = client
        .http()
        .map_err(|e| EngineError::Refused(e.to_string()))?;
    let metadata = resource_metadata::discover(&http, url)
        .await
        .map_err(|e| EngineError::Refused(e.to_string()))?;
    let servers = &metadata.authorization_servers;
    let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
    let issuer = match issuer {
        Some(wanted) => servers
            .iter()
            .find(|s| same(s, wanted))
            .cloned()
            .ok_or_else(|| {
                EngineError::Refused(format!(
                    "'{}' is not among the authorization servers of {}: {}",
                    printable(wanted),
                    metadata.resource,
                    list(servers)
                ))
            })?,
        None if servers.len() == 1 => servers[0].clone(),
        None => picker.pick(&metadata.resource, servers)?,
    };
    let endpoints = crate::oauth::discovery::fetch(&http, &issuer)
        .await
        .map_err(|e| EngineError::Refused(e.to_string()))?;
    let api: &[String] = if !scopes.is_empty() {
        scopes
    } else if metadata.challenge_scopes.is_empty() {
        &metadata.scopes_supported
    } else {
        &metadata.challenge_scopes
    };
    let scopes = with_oidc(api, &endpoints);
    Ok(ApiServer {
        resource: metadata.resource,
        resource_name: metadata.resource_name,
        issuer,
        endpoints,
        scopes,
    })
}

/// `openid` and `offline_access` first when the server knows them (who the account is,
/// and a refresh token), then `scopes`.
pub fn with_oidc(scopes: &[String], endpoints: &Endpoints) -> Vec<String> {
    let mut chosen: Vec<String> = ["openid", "offline_access"]
        .into_iter()
        .filter(|o| {
            endpoints.scopes_supported.iter().any(|s| s == o) || scopes.iter().any(|s| s == o)
        })
        .map(str::to_string)
        .collect();
    for scope in scopes {
        if !chosen.contains(scope) {
            chosen.push(scope.clone());
        }
    }
    chosen
}

/// The servers, comma-separated, for a message.
pub fn list(servers: &[String]) -> String {
    servers
        .iter()
        .map(|s| printable(s).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}
