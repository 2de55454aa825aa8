//! Form POSTs to provider endpoints and the reading of their JSON answers.

use super::dpop::{self, Dpop};
use super::http::{Http, HttpRequest, HttpResponse};
use super::{Client, OAuthError};
use base64::Engine;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// RFC 6749 §5.2 error body.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    pub error: String,
    pub error_description: Option<String>,
}

/// POST `params` to `url`, authenticating as `client` (RFC 6749 §2.3.1), and read a JSON `T`.
pub(crate) async fn post_form<T: DeserializeOwned>(
    http: &Http,
    endpoint: &'static str,
    url: &str,
    client: &Client,
    params: &[(&str, &str)],
) -> Result<T, OAuthError> {
    let response = send_form(http, url, client, params).await?;
    read_json(endpoint, url, response)
}

pub(crate) async fn send_form(
    http: &Http,
    url: &str,
    client: &Client,
    params: &[(&str, &str)],
) -> Result<HttpResponse, OAuthError> {
    send_with_nonce(http, client.dpop.as_ref(), url, || {
        form_request(url, client, params)
    })
    .await
}

/// Sends the request `build` makes; with DPoP, keeps the nonce the server hands out and,
/// when it refused the proof for want of that nonce, sends the request once more with a
/// new proof (RFC 9449 §8, §9).
async fn send_with_nonce(
    http: &Http,
    dpop: Option<&Dpop>,
    url: &str,
    build: impl Fn() -> Result<HttpRequest, OAuthError>,
) -> Result<HttpResponse, OAuthError> {
    let response = http.send(build()?).await?;
    let Some(dpop) = dpop else {
        return Ok(response);
    };
    let Some(nonce) = response
        .headers()
        .get(dpop::NONCE_HEADER)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(response);
    };
    dpop.remember_nonce(url, nonce);
    if !asks_for_nonce(&response) {
        return Ok(response);
    }
    log::debug!("the server asked for a DPoP nonce; sending the request again");
    let again = http.send(build()?).await?;
    if let Some(nonce) = again
        .headers()
        .get(dpop::NONCE_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        dpop.remember_nonce(url, nonce);
    }
    Ok(again)
}

/// `use_dpop_nonce` in the body (authorization servers) or in `WWW-Authenticate`
/// (resource servers, RFC 9449 §9).
fn asks_for_nonce(response: &HttpResponse) -> bool {
    let in_body = serde_json::from_slice::<ErrorBody>(response.body())
        .is_ok_and(|e| e.error == dpop::USE_NONCE);
    let in_challenge = response
        .headers()
        .get(http::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(dpop::USE_NONCE));
    !response.status().is_success() && (in_body || in_challenge)
}

/// Built apart from the async fn: the form serializer is not `Send`.
fn form_request(
    url: &str,
    client: &Client,
    params: &[(&str, &str)],
) -> Result<HttpRequest, OAuthError> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        form.append_pair(k, v);
    }
    let mut builder = http::Request::post(url)
        .header(http::header::ACCEPT, "application/json")
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        );
    // A refresh-token grant's answer is the only copy of a rotated refresh token.
    if params.contains(&("grant_type", "refresh_token")) {
        builder = builder.extension(super::http::AnswerMatters);
    }
    if let Some(dpop) = &client.dpop {
        let proof = dpop.proof("POST", url, None).map_err(OAuthError::Other)?;
        builder = builder.header(dpop::HEADER, proof);
    }
    if let Some(signed) = &client.assertion {
        let audience = signed.audience.as_deref().unwrap_or(url);
        let assertion = signed
            .key
            .assertion(&client.client_id, audience, signed.read)
            .map_err(OAuthError::Other)?;
        form.append_pair("client_id", &client.client_id);
        form.append_pair(
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        );
        form.append_pair("client_assertion", &assertion);
        return builder
            .body(form.finish().into_bytes())
            .map_err(|e| OAuthError::Other(format!("cannot build a request to '{url}': {e}")));
    }
    match &client.client_secret {
        Some(secret) => {
            let encode =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", encode(&client.client_id), encode(secret.expose()));
            let basic = base64::engine::general_purpose::STANDARD.encode(pair);
            builder = builder.header(http::header::AUTHORIZATION, format!("Basic {basic}"));
        }
        None => {
            form.append_pair("client_id", &client.client_id);
        }
    }
    builder
        .body(form.finish().into_bytes())
        .map_err(|e| OAuthError::Other(format!("cannot build a request to '{url}': {e}")))
}

/// GET `url` as JSON, presenting `bearer`: as a DPoP-bound token with a proof when
/// `dpop` is given (RFC 9449 §7.1), else as a bearer token (RFC 6750 §2.1).
pub(crate) async fn get_json<T: DeserializeOwned>(
    http: &Http,
    endpoint: &'static str,
    url: &str,
    bearer: Option<&str>,
    dpop: Option<&Dpop>,
) -> Result<T, OAuthError> {
    let build = || {
        let mut builder = http::Request::get(url).header(http::header::ACCEPT, "application/json");
        match (bearer, dpop) {
            (Some(token), Some(dpop)) => {
                let proof = dpop
                    .proof("GET", url, Some(token))
                    .map_err(OAuthError::Other)?;
                builder = builder
                    .header(http::header::AUTHORIZATION, format!("DPoP {token}"))
                    .header(dpop::HEADER, proof);
            }
            (Some(token), None) => {
                builder = builder.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
            }
            (None, _) => {}
        }
        builder
            .body(Vec::new())
            .map_err(|e| OAuthError::Other(format!("cannot build a request to '{url}': {e}")))
    };
    let response = send_with_nonce(http, dpop, url, build).await?;
    read_json(endpoint, url, response)
}

/// A 2xx body must be the JSON `T`; anything else becomes the provider's error or a
/// message that shows what came back instead (an HTML error page, a truncated body).
pub(crate) fn read_json<T: DeserializeOwned>(
    endpoint: &'static str,
    url: &str,
    response: HttpResponse,
) -> Result<T, OAuthError> {
    let status = response.status();
    let body = response.body();
    if status.is_success() {
        // GitHub answers token requests it refuses (`authorization_pending`, `slow_down`,
        // `bad_verification_code`...) with 200 and an error body (RFC 6749 §5.2 says 400).
        if let Ok(err) = serde_json::from_slice::<ErrorBody>(body)
            && !contains_access_token(body)
        {
            return Err(OAuthError::Provider {
                endpoint,
                error: err.error,
                description: err.error_description,
            });
        }
        // A 2xx body may hold tokens, so errors describe it without quoting it.
        return serde_json::from_slice(body).map_err(|e| OAuthError::Malformed {
            endpoint,
            url: url.to_string(),
            reason: if looks_like_json(body) {
                without_quoted_values(&e.to_string())
            } else {
                let content_type = response
                    .headers()
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("no content type");
                format!("expected JSON, got {content_type} ({} bytes)", body.len())
            },
        });
    }
    if status.is_redirection() {
        let location = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(no Location)");
        return Err(OAuthError::Malformed {
            endpoint,
            url: url.to_string(),
            reason: format!(
                "it redirects to '{location}' (HTTP {}); tokdeck never follows redirects of OAuth requests, so fix the endpoint in config.toml",
                status.as_u16()
            ),
        });
    }
    if let Ok(err) = serde_json::from_slice::<ErrorBody>(body) {
        return Err(OAuthError::Provider {
            endpoint,
            error: err.error,
            description: err.error_description,
        });
    }
    Err(OAuthError::HttpStatus {
        endpoint,
        url: url.to_string(),
        status: status.as_u16(),
        snippet: snippet(body),
    })
}

fn contains_access_token(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .is_ok_and(|map| map.contains_key("access_token"))
}

/// serde quotes the offending value ("invalid type: string \"…\""); that value may be a token.
fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if !quoted {
                out.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// The first words of a body with HTML tags removed, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    const MAX_CHARS: usize = 160;
    let text = String::from_utf8_lossy(&body[..body.len().min(16 * 1024)]);
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(if c.is_control() { ' ' } else { c }),
            _ => {}
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    let mut joined = words.join(" ");
    if joined.chars().count() > MAX_CHARS {
        joined = joined.chars().take(MAX_CHARS).collect::<String>() + "…";
    }
    if joined.is_empty() {
        "(empty body)".to_string()
    } else {
        format!("'{joined}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> HttpResponse {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .expect("response")
    }

    #[derive(Debug, Deserialize)]
    struct T {
        #[allow(dead_code)]
        a: u32,
    }

    #[test]
    fn html_error_page_is_described_not_dumped() {
        let html = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
        let err = read_json::<T>("token endpoint", "https://idp/token", response(502, html))
            .expect_err("must fail");
        let text = err.to_string();
        assert!(text.contains("HTTP 502"), "{text}");
        assert!(text.contains("502 Bad Gateway Bad Gateway"), "{text}");
        assert!(!text.contains("<h1>"), "{text}");
    }

    #[test]
    fn oauth_error_body_becomes_provider_error() {
        let err = read_json::<T>(
            "token endpoint",
            "u",
            response(
                400,
                r#"{"error":"invalid_grant","error_description":"grant revoked"}"#,
            ),
        )
        .expect_err("must fail");
        assert!(err.is_invalid_grant());
        assert_eq!(
            err.to_string(),
            "token endpoint refused the request: invalid_grant (grant revoked)"
        );
    }

    #[test]
    fn truncated_json_names_the_problem() {
        let err = read_json::<T>("token endpoint", "u", response(200, r#"{"a": 1"#))
            .expect_err("must fail");
        assert!(err.to_string().contains("EOF"), "{err}");
    }

    #[test]
    fn non_json_success_is_shown() {
        let err = read_json::<T>("token endpoint", "u", response(200, "access_token=abc&x=1"))
            .expect_err("must fail");
        let text = err.to_string();
        assert!(text.contains("expected JSON"), "{text}");
        assert!(!text.contains("abc"), "a 2xx body may hold a token: {text}");
    }

    #[test]
    fn type_errors_do_not_quote_values() {
        let err = read_json::<T>("token endpoint", "u", response(200, r#"{"a": "tok-123"}"#))
            .expect_err("must fail");
        let text = err.to_string();
        assert!(text.contains("invalid type"), "{text}");
        assert!(!text.contains("tok-123"), "{text}");
    }
}
