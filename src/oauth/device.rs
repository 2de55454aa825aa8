//! RFC 8628 device authorization grant.

use super::grants::{token_params, token_request};
use super::request::post_form;
use super::{Client, Http, OAuthError, Request};
use crate::secret::Secret;
use crate::token::TokenSet;
use chrono::Utc;
use serde::Deserialize;
use std::time::Duration;

/// §3.2: polling interval when the provider sends none.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// §3.5: every `slow_down` adds this to the interval, for that poll and all later ones.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// The longest a device code is waited on, whatever `expires_in` says (§3.2 suggests
/// minutes; a larger number is a broken or hostile server, not a reason to overflow).
pub const MAX_CODE_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// The longest first interval taken from a server (a slow_down can still add to it).
pub const MAX_INTERVAL: Duration = Duration::from_secs(60);
/// Longest wait between polls after network errors.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// §3.2 device authorization response.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: Duration,
    pub interval: Duration,
}

#[derive(Deserialize)]
struct RawAuthorization {
    device_code: Secret,
    user_code: String,
    // Google calls it verification_url.
    #[serde(alias = "verification_url")]
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_in: u64,
    interval: Option<u64>,
}

impl DeviceAuthorization {
    /// The page to open: the one with the code filled in when the provider offers it.
    pub fn browser_uri(&self) -> &str {
        self.verification_uri_complete
            .as_deref()
            .unwrap_or(&self.verification_uri)
    }
}

/// What the poll loop reports while it waits for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollEvent {
    /// `authorization_pending`: the user has not finished yet.
    Pending,
    /// `slow_down`: the interval is now this long.
    SlowDown(Duration),
    /// A network error; polling goes on, after this wait.
    Retrying { after: Duration, reason: String },
}

/// §3.1: ask for a device code and a user code.
pub async fn start(
    http: &Http,
    device_endpoint: &str,
    client: &Client,
    request: &Request,
) -> Result<DeviceAuthorization, OAuthError> {
    let scope = request.scope_param();
    let mut params: Vec<(&str, &str)> = Vec::new();
    if let Some(scope) = &scope {
        params.push(("scope", scope));
    }
    params.extend(token_params(request));
    for resource in &request.resources {
        params.push(("resource", resource));
    }
    let raw: RawAuthorization = post_form(
        http,
        "device authorization endpoint",
        device_endpoint,
        client,
        &params,
    )
    .await?;
    Ok(DeviceAuthorization {
        device_code: raw.device_code,
        user_code: raw.user_code,
        verification_uri: raw.verification_uri,
        verification_uri_complete: raw.verification_uri_complete,
        expires_in: Duration::from_secs(raw.expires_in).min(MAX_CODE_LIFETIME),
        interval: raw
            .interval
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_INTERVAL)
            .clamp(Duration::from_secs(1), MAX_INTERVAL),
    })
}

/// §3.4-3.5: poll the token endpoint until the user approves, denies, or the code expires.
/// Waits `interval` before each poll and stops the moment tokens arrive (redeeming a
/// device code twice revokes the grant at some providers).
pub async fn poll(
    http: &Http,
    token_endpoint: &str,
    client: &Client,
    request: &Request,
    authorization: &DeviceAuthorization,
    mut on_event: impl FnMut(PollEvent) + Send,
) -> Result<TokenSet, OAuthError> {
    let deadline = tokio::time::Instant::now() + authorization.expires_in;
    let mut interval = authorization.interval;
    let mut wait = interval;
    let mut params = vec![
        ("grant_type", GRANT_TYPE),
        ("device_code", authorization.device_code.expose()),
    ];
    params.extend(token_params(request));
    loop {
        tokio::time::sleep(wait).await;
        if tokio::time::Instant::now() >= deadline {
            return Err(OAuthError::DeviceCodeExpired);
        }
        wait = interval;
        match token_request(http, token_endpoint, client, &params).await {
            Ok(response) => {
                return Ok(TokenSet::from_response(
                    response,
                    &request.scopes,
                    Utc::now(),
                ));
            }
            Err(OAuthError::Provider {
                error, description, ..
            }) => match error.as_str() {
                "authorization_pending" => on_event(PollEvent::Pending),
                "slow_down" => {
                    interval += SLOW_DOWN_STEP;
                    wait = interval;
                    on_event(PollEvent::SlowDown(interval));
                }
                // Microsoft Entra says `authorization_declined` for the same thing.
                "access_denied" | "authorization_declined" => {
                    return Err(OAuthError::AccessDenied(description));
                }
                "expired_token" => return Err(OAuthError::DeviceCodeExpired),
                _ => {
                    return Err(OAuthError::Provider {
                        endpoint: "token endpoint",
                        error,
                        description,
                    });
                }
            },
            Err(OAuthError::Transport(e)) => {
                // §3.5: back off on connection trouble, but keep the code alive.
                wait = (wait * 2).min(MAX_BACKOFF);
                on_event(PollEvent::Retrying {
                    after: wait,
                    reason: e.to_string(),
                });
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests;
