//! The non-interactive grants: refresh (RFC 6749 §6), client credentials (§4.4),
//! and token revocation (RFC 7009).

use super::request::{post_form, read_json, send_form};
use super::{Client, Http, OAuthError, Request, TokenResponse};
use crate::token::TokenSet;
use chrono::Utc;

/// OIDC parameters that only mean something at the authorization endpoint.
const AUTHORIZATION_ONLY: &[&str] = &[
    "prompt",
    "login_hint",
    "max_age",
    "acr_values",
    "ui_locales",
    "display",
    "access_type",
    "dpop_jkt",
];

/// Extra parameters that also belong on token requests (`audience`, `resource`, ...).
pub(crate) fn token_params(request: &Request) -> impl Iterator<Item = (&str, &str)> {
    request
        .params
        .iter()
        .filter(|(k, _)| !AUTHORIZATION_ONLY.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

/// Posts a grant to the token endpoint and checks the answer (RFC 6749 §5.1, §7.1).
/// An answer that carries a new refresh token but fails a check comes back as
/// [`OAuthError::Rotated`] with that token: the provider may already have retired the
/// old one (rotation, RFC 6749 §10.4), so the caller must keep it.
pub(crate) async fn token_request(
    http: &Http,
    token_endpoint: &str,
    client: &Client,
    params: &[(&str, &str)],
) -> Result<TokenResponse, OAuthError> {
    let response = super::request::send_form(http, token_endpoint, client, params).await?;
    let salvaged = response
        .status()
        .is_success()
        .then(|| salvage_refresh_token(response.body()))
        .flatten();
    let answer: serde_json::Value =
        super::request::read_json("token endpoint", token_endpoint, response).map_err(|error| {
            // A 2xx answer serde cannot read (a number out of range, bytes after the
            // object) may still carry the only copy of the new refresh token.
            match salvaged {
                Some(refresh_token) => OAuthError::Rotated {
                    refresh_token,
                    error: Box::new(error),
                },
                None => error,
            }
        })?;
    let rotated = answer
        .get("refresh_token")
        .and_then(|v| v.as_str())
        .filter(|t| crate::token::check_token("refresh_token", t).is_ok())
        .map(crate::secret::Secret::new);
    check_answer(answer, token_endpoint, client).map_err(|error| match rotated {
        Some(refresh_token) => OAuthError::Rotated {
            refresh_token,
            error: Box::new(error),
        },
        None => error,
    })
}

/// The `refresh_token` string of a JSON object that does not parse as a whole: the
/// first `"refresh_token"` key followed by a plain string (no escapes) that passes
/// [`crate::token::check_token`]. Anything less clear gives nothing.
fn salvage_refresh_token(body: &[u8]) -> Option<crate::secret::Secret> {
    let text = std::str::from_utf8(body).ok()?;
    let key = "\"refresh_token\"";
    let after = &text[text.find(key)? + key.len()..];
    let after = after.trim_start().strip_prefix(':')?.trim_start();
    let value = after.strip_prefix('"')?;
    let value = &value[..value.find('"')?];
    (!value.contains('\\') && crate::token::check_token("refresh_token", value).is_ok())
        .then(|| crate::secret::Secret::new(value))
}

fn check_answer(
    answer: serde_json::Value,
    token_endpoint: &str,
    client: &Client,
) -> Result<TokenResponse, OAuthError> {
    let malformed = |reason: String| OAuthError::Malformed {
        endpoint: "token endpoint",
        url: token_endpoint.to_string(),
        reason,
    };
    let response: TokenResponse = serde_json::from_value(answer).map_err(|e| {
        let said = e.to_string();
        // serde quotes a string it did not expect, and that string could be a token.
        malformed(if said.contains('"') {
            "not an access token response (a field has the wrong type)".to_string()
        } else {
            format!("not an access token response: {said}")
        })
    })?;
    super::tokens::check_response(&response).map_err(malformed)?;
    // RFC 6749 §7.1: a client must not use a token whose type it does not understand.
    // A DPoP token is one only when tokdeck sent a proof, and it must be bound to that key.
    let dpop_token = response.token_type.eq_ignore_ascii_case("dpop");
    let refused = match &client.dpop {
        Some(dpop) if dpop_token => dpop.check_binding(response.access_token.expose()).err(),
        _ if response.token_type.eq_ignore_ascii_case("bearer") => None,
        Some(_) => Some(format!("token_type '{}' is neither DPoP nor Bearer", crate::printable::Printable(&response.token_type))),
        None if dpop_token => Some(
            "token_type 'DPoP' came back to a request without a proof; set `dpop = true` on the account".to_string(),
        ),
        None => Some(format!(
            "token_type '{}' is not supported; tokdeck sends tokens as Bearer (RFC 6750) or DPoP (RFC 9449)",
            crate::printable::Printable(&response.token_type)
        )),
    };
    match refused {
        Some(reason) => Err(malformed(reason)),
        None => Ok(response),
    }
}

/// Refreshes `current`. A rotated refresh token comes back inside the new set; the caller
/// must persist it before using the new access token.
pub async fn refresh(
    http: &Http,
    token_endpoint: &str,
    client: &Client,
    request: &Request,
    current: &TokenSet,
) -> Result<TokenSet, OAuthError> {
    let refresh_token = current
        .refresh_token
        .as_ref()
        .ok_or_else(|| OAuthError::Other("no refresh token is held; log in again".to_string()))?;
    let mut params = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.expose()),
    ];
    params.extend(token_params(request));
    let response = token_request(http, token_endpoint, client, &params).await?;
    Ok(current.refreshed(response, Utc::now()))
}

/// Client credentials grant for service accounts: no user, no refresh token.
pub async fn client_credentials(
    http: &Http,
    token_endpoint: &str,
    client: &Client,
    request: &Request,
) -> Result<TokenSet, OAuthError> {
    if client.client_secret.is_none() && client.assertion.is_none() {
        return Err(OAuthError::Other(
            "the client credentials flow needs `client_secret` (or a signed assertion, client_auth) on the provider".to_string(),
        ));
    }
    let scope = request.scope_param();
    let mut params = vec![("grant_type", "client_credentials")];
    if let Some(scope) = &scope {
        params.push(("scope", scope));
    }
    params.extend(token_params(request));
    let response = token_request(http, token_endpoint, client, &params).await?;
    Ok(TokenSet::from_response(
        response,
        &request.scopes,
        Utc::now(),
    ))
}

/// Which token is being revoked (RFC 7009 §2.1 `token_type_hint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

/// RFC 7009 §2: revoke one token. An unknown or already invalid token also answers 200.
pub async fn revoke(
    http: &Http,
    revocation_endpoint: &str,
    client: &Client,
    token: &str,
    kind: TokenKind,
) -> Result<(), OAuthError> {
    let hint = match kind {
        TokenKind::Access => "access_token",
        TokenKind::Refresh => "refresh_token",
    };
    let response = send_form(
        http,
        revocation_endpoint,
        client,
        &[("token", token), ("token_type_hint", hint)],
    )
    .await?;
    if response.status().is_success() {
        return Ok(());
    }
    read_json::<serde_json::Value>("revocation endpoint", revocation_endpoint, response).map(|_| ())
}

/// RFC 7662 §2: the provider's view of a token.
pub async fn introspect(
    http: &Http,
    introspection_endpoint: &str,
    client: &Client,
    token: &str,
    hint: &str,
) -> Result<serde_json::Value, OAuthError> {
    post_form(
        http,
        "introspection endpoint",
        introspection_endpoint,
        client,
        &[("token", token), ("token_type_hint", hint)],
    )
    .await
}

/// A token-endpoint POST whose JSON answer is the caller's to read (token exchange).
pub async fn post_token_form(
    http: &Http,
    token_endpoint: &str,
    client: &Client,
    params: &[(&str, &str)],
) -> Result<serde_json::Value, OAuthError> {
    post_form(http, "token endpoint", token_endpoint, client, params).await
}

/// OIDC Core §5.3.1: claims about the user, with the access token as bearer.
pub async fn userinfo(
    http: &Http,
    userinfo_endpoint: &str,
    access_token: &str,
    dpop: Option<&super::dpop::Dpop>,
) -> Result<serde_json::Value, OAuthError> {
    super::request::get_json(
        http,
        "userinfo endpoint",
        userinfo_endpoint,
        Some(access_token),
        dpop,
    )
    .await
}
