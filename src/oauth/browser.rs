//! Authorization code grant with PKCE S256 (RFC 7636) and a loopback redirect (RFC 8252).

use super::grants::{token_params, token_request};
use super::loopback::Loopback;
use super::{Client, Http, OAuthError, Request};
use crate::token::TokenSet;
use chrono::Utc;
use oauth2::{AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope};
use std::time::Duration;

/// How long the listener waits for the browser to come back.
pub const CALLBACK_TIMEOUT: Duration = Duration::from_secs(300);

/// Where the browser flow sends the user, and the values it must see again.
#[derive(Debug)]
pub struct Authorization {
    pub url: String,
    pub redirect_uri: String,
    state: CsrfToken,
    /// Sent (and checked in the ID token) only with the `openid` scope.
    nonce: Option<CsrfToken>,
    verifier: oauth2::PkceCodeVerifier,
}

/// Builds the authorization URL: PKCE S256, a random `state` and `nonce`, and, when no
/// prompt is configured, `prompt=consent` when `offline_access` is asked for (OIDC Core
/// §11: providers may drop `offline_access` without it) and `select_account` when asked.
pub fn authorization(
    authorization_endpoint: &str,
    client: &Client,
    request: &Request,
    redirect_uri: &str,
) -> Result<Authorization, OAuthError> {
    let auth_url = AuthUrl::new(authorization_endpoint.to_string()).map_err(|e| {
        OAuthError::Other(format!(
            "authorization_endpoint '{authorization_endpoint}' is not a URL: {e}"
        ))
    })?;
    let redirect = RedirectUrl::new(redirect_uri.to_string())
        .map_err(|e| OAuthError::Other(format!("redirect URI '{redirect_uri}': {e}")))?;
    let oauth = oauth2::basic::BasicClient::new(ClientId::new(client.client_id.clone()))
        .set_auth_uri(auth_url)
        .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    // OIDC Core §3.1.2.1: a nonce belongs to an OpenID request (servers refuse it
    // without the `openid` scope, and no ID token comes back to carry it).
    let nonce = request
        .scopes
        .iter()
        .any(|s| s == "openid")
        .then(CsrfToken::new_random);
    let mut builder = oauth
        .authorize_url(CsrfToken::new_random)
        .add_scopes(request.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge);
    if let Some(nonce) = &nonce {
        builder = builder.add_extra_param("nonce", nonce.secret().clone());
    }
    for (key, value) in &request.params {
        builder = builder.add_extra_param(key.clone(), value.clone());
    }
    for resource in &request.resources {
        builder = builder.add_extra_param("resource", resource.clone());
    }
    if !request.params.contains_key("prompt") {
        let prompt: Vec<&str> = [
            request.select_account.then_some("select_account"),
            request
                .scopes
                .iter()
                .any(|s| s == "offline_access")
                .then_some("consent"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !prompt.is_empty() {
            builder = builder.add_extra_param("prompt", prompt.join(" "));
        }
    }
    let (url, state) = builder.url();
    Ok(Authorization {
        url: url.to_string(),
        redirect_uri: redirect_uri.to_string(),
        state,
        nonce,
        verifier,
    })
}

/// Runs the whole flow: listen, hand the URL to `open` (print it, start the browser),
/// wait for the callback, redeem the code, and check the ID token's `nonce`.
/// How the authorization response comes back.
pub enum Redirect<'a> {
    /// The loopback listener receives the browser's redirect.
    Listen,
    /// The user pastes the URL the browser ended on (a browser on another machine, as
    /// over SSH); `state` and `iss` are checked the same way.
    Paste(&'a (dyn Fn() -> Result<String, String> + Sync)),
}

/// The provider's side of a browser login.
#[derive(Debug, Clone, Copy)]
pub struct Server<'a> {
    pub authorization_endpoint: &'a str,
    pub token_endpoint: &'a str,
    /// Compared with the `iss` of the response when the provider sends one (RFC 9207).
    pub issuer: Option<&'a str>,
    /// RFC 9126: push the request here and send the browser only its `request_uri`.
    pub par_endpoint: Option<&'a str>,
}

pub async fn login(
    http: &Http,
    server: Server<'_>,
    client: &Client,
    request: &Request,
    port: u16,
    redirect: Redirect<'_>,
    open: impl FnOnce(&str),
) -> Result<TokenSet, OAuthError> {
    let Server {
        authorization_endpoint,
        token_endpoint,
        issuer,
        par_endpoint,
    } = server;
    let (auth, code) = match redirect {
        Redirect::Listen => {
            let loopback = Loopback::bind(port).await?;
            let auth = authorization(
                authorization_endpoint,
                client,
                request,
                &loopback.redirect_uri(),
            )?;
            open(&pushed(http, par_endpoint, client, &auth.url).await?);
            let code = loopback
                .wait(auth.state.secret(), issuer, CALLBACK_TIMEOUT)
                .await?;
            (auth, code)
        }
        Redirect::Paste(read) => {
            // Nothing listens: the port only has to look like a loopback redirect.
            let port = match port {
                0 => Loopback::bind(0).await?.port(),
                fixed => fixed,
            };
            let redirect_uri = format!("http://127.0.0.1:{port}{}", super::loopback::CALLBACK_PATH);
            let auth = authorization(authorization_endpoint, client, request, &redirect_uri)?;
            open(&pushed(http, par_endpoint, client, &auth.url).await?);
            let pasted = read().map_err(OAuthError::Callback)?;
            let code = code_from_pasted(&pasted, auth.state.secret(), issuer)?;
            (auth, code)
        }
    };
    let mut params = vec![
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("redirect_uri", auth.redirect_uri.as_str()),
        ("code_verifier", auth.verifier.secret().as_str()),
    ];
    params.extend(token_params(request));
    let response = token_request(http, token_endpoint, client, &params).await?;
    let tokens = TokenSet::from_response(response, &request.scopes, Utc::now());
    if let Some(nonce) = &auth.nonce {
        check_nonce(&tokens, nonce.secret())?;
    }
    Ok(tokens)
}

/// RFC 9126 §2: the authorization request's parameters (PKCE, state, nonce, scopes, …)
/// go to the PAR endpoint with the client's authentication; the browser gets only
/// `client_id` and the `request_uri` it returned. Without an endpoint, `url` itself.
async fn pushed(
    http: &Http,
    par_endpoint: Option<&str>,
    client: &Client,
    url: &str,
) -> Result<String, OAuthError> {
    let Some(endpoint) = par_endpoint else {
        return Ok(url.to_string());
    };
    let parsed = url::Url::parse(url)
        .map_err(|e| OAuthError::Other(format!("the authorization URL is not a URL: {e}")))?;
    let params: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != "client_id")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let borrowed: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    #[derive(serde::Deserialize)]
    struct Pushed {
        request_uri: String,
    }
    let answer: Pushed = super::request::post_form(
        http,
        "pushed authorization request endpoint",
        endpoint,
        client,
        &borrowed,
    )
    .await?;
    let mut browser = parsed.clone();
    browser
        .query_pairs_mut()
        .clear()
        .append_pair("client_id", &client.client_id)
        .append_pair("request_uri", &answer.request_uri);
    Ok(browser.to_string())
}

/// The code in a pasted redirect URL, after the same checks the listener makes.
fn code_from_pasted(
    pasted: &str,
    state: &str,
    issuer: Option<&str>,
) -> Result<crate::secret::Secret, OAuthError> {
    let url = url::Url::parse(pasted.trim()).map_err(|e| {
        OAuthError::Callback(format!(
            "the pasted text is not a URL ({e}); paste the whole address from the browser"
        ))
    })?;
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    match super::loopback::classify(&target, state, issuer) {
        super::loopback::Callback::Finish(Ok(code)) => Ok(code),
        super::loopback::Callback::Finish(Err(reason)) if reason.starts_with("access_denied") => {
            Err(OAuthError::AccessDenied(
                reason.split_once(": ").map(|(_, d)| d.to_string()),
            ))
        }
        super::loopback::Callback::Finish(Err(reason)) => Err(OAuthError::Callback(reason)),
        super::loopback::Callback::Ignore { reason, .. } => Err(OAuthError::Callback(format!(
            "the pasted URL is not this login's redirect: {reason}"
        ))),
    }
}

/// OIDC Core §3.1.3.7 item 11: the ID token must carry the nonce this login sent.
fn check_nonce(tokens: &TokenSet, nonce: &str) -> Result<(), OAuthError> {
    let Some(id_token) = &tokens.id_token else {
        return Ok(());
    };
    let claims = crate::jwt::claims(id_token.expose()).ok_or_else(|| {
        OAuthError::Other("the provider sent an ID token that is not a readable JWT".into())
    })?;
    let got = claims
        .get("nonce")
        .and_then(|v| v.as_str())
        .unwrap_or("(absent)");
    if got != nonce {
        return Err(OAuthError::IdToken {
            claim: "nonce",
            expected: "the value sent with this login".into(),
            got: got.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public_client() -> Client {
        Client {
            client_id: "cli".into(),
            client_secret: None,
            assertion: None,
            dpop: None,
        }
    }

    /// The authorization of `request` by the public client `cli`.
    fn authorize(request: &Request) -> Authorization {
        authorization(
            "https://idp/authorize",
            &public_client(),
            request,
            "http://127.0.0.1:4242/callback",
        )
        .expect("authorization")
    }

    fn query(url: &str) -> std::collections::HashMap<String, String> {
        url::Url::parse(url)
            .expect("url")
            .query_pairs()
            .into_owned()
            .collect()
    }

    #[test]
    fn url_carries_pkce_s256_state_nonce_and_consent_for_offline_access() {
        let request = Request {
            scopes: vec!["openid".into(), "offline_access".into()],
            params: [("audience".to_string(), "api".to_string())].into(),
            ..Default::default()
        };
        let auth = authorize(&request);
        let q = query(&auth.url);
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "cli");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:4242/callback");
        assert_eq!(q["scope"], "openid offline_access");
        assert_eq!(q["prompt"], "consent");
        assert_eq!(q["audience"], "api");
        assert_eq!(q["state"], auth.state.secret().as_str());
        assert_eq!(
            q["nonce"],
            auth.nonce
                .as_ref()
                .expect("an OpenID request")
                .secret()
                .as_str()
        );
        assert!(q["state"].len() >= 20 && q["state"] != q["nonce"]);
        // The challenge is the S256 of the verifier we will send, never the verifier itself.
        assert_ne!(q["code_challenge"], auth.verifier.secret().as_str());
        assert_eq!(
            q["code_challenge"],
            PkceCodeChallenge::from_code_verifier_sha256(&auth.verifier).as_str()
        );
    }

    #[test]
    fn a_request_without_openid_sends_no_nonce() {
        let request = Request {
            scopes: vec!["api:read".into()],
            ..Default::default()
        };
        let auth = authorize(&request);
        assert!(!query(&auth.url).contains_key("nonce"), "{}", auth.url);
        assert!(auth.nonce.is_none());
    }

    #[test]
    fn configured_prompt_is_kept() {
        let client = public_client();
        let request = Request {
            scopes: vec!["offline_access".into()],
            params: [("prompt".to_string(), "login".to_string())].into(),
            select_account: true,
            resources: Vec::new(),
        };
        let auth = authorization(
            "https://idp/authorize",
            &client,
            &request,
            "http://127.0.0.1:1/callback",
        )
        .expect("authorization");
        assert_eq!(query(&auth.url)["prompt"], "login");
    }

    #[test]
    fn select_account_goes_before_consent_and_alone_without_offline_access() {
        let client = public_client();
        let prompt_for = |scopes: &[&str], select_account| {
            let request = Request {
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                select_account,
                ..Default::default()
            };
            let auth = authorization(
                "https://idp/a",
                &client,
                &request,
                "http://127.0.0.1:1/callback",
            )
            .expect("authorization");
            query(&auth.url).get("prompt").cloned()
        };
        assert_eq!(
            prompt_for(&["openid", "offline_access"], true).as_deref(),
            Some("select_account consent")
        );
        assert_eq!(
            prompt_for(&["openid"], true).as_deref(),
            Some("select_account")
        );
        assert_eq!(prompt_for(&["openid"], false), None);
    }
}
