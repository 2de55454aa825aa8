//! Trusting what is read: ID token checks, signature verdicts, introspection, userinfo.

use super::{Engine, EngineError, oauth_error};
use crate::config::Account;
use crate::jwt::validate::{self, Expected};
use crate::jwt::verify::Verdict;
use crate::oauth::OAuthError;
use crate::oauth::discovery::Need;
use crate::token::TokenSet;
use chrono::Utc;
use serde_json::Value;

impl Engine {
    /// OIDC Core §3.1.3.7 / §12.2: the ID token names this provider and this client, is
    /// current, and is signed by one of the provider's keys (when it publishes them).
    pub(crate) async fn check_id_token(
        &self,
        account: &Account,
        tokens: &TokenSet,
    ) -> Result<(), EngineError> {
        let Some(id_token) = &tokens.id_token else {
            return Ok(());
        };
        let name = &account.name;
        let endpoints = match self.endpoints(account, &[Need::Jwks]).await {
            Err(EngineError::OAuth {
                source: OAuthError::MissingEndpoint { .. },
                ..
            }) => self.endpoints(account, &[]).await?,
            other => other?,
        };
        let Some(issuer) = endpoints.issuer.as_deref() else {
            return Ok(());
        };
        let claims = crate::jwt::claims(id_token.expose()).ok_or_else(|| {
            oauth_error(
                name,
                OAuthError::Other("the ID token is not a readable JWT".into()),
            )
        })?;
        let expected = Expected {
            issuer,
            client_id: &account.provider.client_id,
            nonce: None,
        };
        validate::id_token(&claims, &expected, Utc::now()).map_err(|f| {
            oauth_error(
                name,
                OAuthError::IdToken {
                    claim: f.claim,
                    expected: f.expected,
                    got: f.got,
                },
            )
        })?;
        let Some(uri) = endpoints.jwks_uri.as_deref() else {
            return Ok(());
        };
        let http = self.http(name)?;
        let (verdict, _) = self
            .client
            .jwks()
            .verify(&http, uri, id_token.expose(), Utc::now(), false)
            .await
            .map_err(|e| oauth_error(name, e))?;
        match verdict {
            Verdict::Valid { .. } | Verdict::NotVerifiable(_) => Ok(()),
            bad => Err(oauth_error(
                name,
                OAuthError::Other(format!(
                    "the ID token failed its signature check: {}",
                    bad.describe()
                )),
            )),
        }
    }

    /// RFC 7662: what the provider says about the access (or refresh) token.
    pub async fn introspect(&self, name: &str, refresh_token: bool) -> Result<Value, EngineError> {
        let account = self.account(name)?;
        let endpoints = self
            .offered(account, Need::Introspection, "introspection")
            .await?;
        let record = self
            .load_bound(name)
            .await?
            .ok_or_else(|| EngineError::NeedsLogin {
                account: name.to_string(),
                reason: "has no token yet".into(),
            })?;
        self.check_bound(account, &record, &endpoints, &[Need::Introspection])
            .await?;
        let dpop = self.key_of(&record.tokens);
        let (token, hint) = if refresh_token {
            let token = record
                .tokens
                .refresh_token
                .ok_or_else(|| EngineError::NeedsLogin {
                    account: name.to_string(),
                    reason: "holds no refresh token".into(),
                })?;
            (token, "refresh_token")
        } else {
            (record.tokens.access_token, "access_token")
        };
        let url = endpoints
            .introspection_endpoint
            .as_deref()
            .unwrap_or_default();
        let http = self.http(name)?;
        let client = self.client_of(account).await.with_dpop(dpop);
        crate::oauth::grants::introspect(&http, url, &client, token.expose(), hint)
            .await
            .map_err(|e| jwt_hint(account, token.expose(), e))
            .map_err(|e| super::client_hint(account, e))
    }

    /// OIDC Core §5.3: the user's claims, fetched with a fresh access token.
    pub async fn userinfo(&self, name: &str) -> Result<Value, EngineError> {
        let account = self.account(name)?;
        let endpoints = self.offered(account, Need::Userinfo, "userinfo").await?;
        let fresh = self
            .fresh_tokens(name, std::time::Duration::from_secs(10))
            .await?;
        if let Some(record) = self.load(name).await? {
            self.check_bound(account, &record, &endpoints, &[Need::Userinfo])
                .await?;
        }
        let http = self.http(name)?;
        let token = fresh.tokens.access_token.expose();
        let dpop = self.presenting_key(&fresh.tokens);
        crate::oauth::grants::userinfo(
            &http,
            endpoints.userinfo_endpoint.as_deref().unwrap_or_default(),
            token,
            dpop.as_ref(),
        )
        .await
        .map_err(|e| jwt_hint(account, token, e))
    }

    async fn offered(
        &self,
        account: &Account,
        need: Need,
        what: &str,
    ) -> Result<crate::oauth::Endpoints, EngineError> {
        match self.endpoints(account, &[need]).await {
            Err(EngineError::OAuth {
                source: OAuthError::MissingEndpoint { .. },
                ..
            }) => Err(EngineError::NotOffered(format!(
                "{what} is not offered by provider '{}' (no {} in its metadata or config)",
                account.provider.name,
                need.key()
            ))),
            other => other,
        }
    }
}

/// A provider that refuses a JWT (at introspection or userinfo) is not the only one who
/// can read it: the refusal says where its claims are.
fn jwt_hint(account: &Account, token: &str, error: OAuthError) -> EngineError {
    let name = account.name.as_str();
    // A bad client is the client's problem, whatever the token (see `client_hint`).
    let refused = match &error {
        OAuthError::Provider { error, .. } => error != "invalid_client",
        OAuthError::HttpStatus { .. } => true,
        _ => false,
    };
    let error = oauth_error(name, error);
    if !refused || crate::jwt::claims(token).is_none() {
        return error;
    }
    // An account by exchange holds no ID token: its source's says who the user is.
    let id_from = account.by_exchange().map_or(name, |d| d.from.as_str());
    EngineError::Hinted {
        error: Box::new(error),
        hint: format!(
            "this token is a JWT, readable without the provider: `tokdeck token {name} | tokdeck decode --account {name}` shows and verifies its claims, and the ID token (`tokdeck token {id_from} --id-token`) says who the user is"
        ),
    }
}
