//! RFC 8693 token exchange: the account's access (or ID) token traded at its provider's
//! token endpoint for one for another audience, resource or scope.

use super::{Engine, EngineError, oauth_error};
use crate::oauth::discovery::Need;
use std::time::Duration;

pub const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";

/// What to ask for.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    pub audience: Option<String>,
    pub resource: Option<String>,
    pub scope: Option<String>,
    pub requested_token_type: Option<String>,
    /// Trade the ID token instead of the access token.
    pub id_token: bool,
    /// RFC 8693 §2.1 `actor_token`: the access token of this account (at the same
    /// server), acting for the subject (delegation).
    pub actor: Option<String>,
}

impl Engine {
    /// The provider's answer (RFC 8693 §2.2.1: `access_token`, `issued_token_type`, …).
    pub async fn exchange(
        &self,
        name: &str,
        ask: &Exchange,
    ) -> Result<serde_json::Value, EngineError> {
        let account = self.account(name)?;
        let fresh = self.fresh_tokens(name, Duration::from_secs(30)).await?;
        let dpop = self.key_of(&fresh.tokens);
        let (subject, subject_type) = if ask.id_token {
            let id = fresh
                .tokens
                .id_token
                .ok_or_else(|| EngineError::NeedsLogin {
                    account: name.to_string(),
                    reason: "holds no ID token to exchange (request the `openid` scope)".into(),
                })?;
            (id, ID_TOKEN_TYPE)
        } else {
            (fresh.tokens.access_token, ACCESS_TOKEN_TYPE)
        };
        let endpoints = match self.load(name).await? {
            Some(record) => {
                self.bound_endpoints(account, &record, &[Need::Token])
                    .await?
            }
            None => self.endpoints(account, &[Need::Token]).await?,
        };
        let url = endpoints.token_endpoint.as_deref().unwrap_or_default();
        let mut params = vec![
            ("grant_type", GRANT),
            ("subject_token", subject.expose()),
            ("subject_token_type", subject_type),
        ];
        for (key, value) in [
            ("audience", &ask.audience),
            ("resource", &ask.resource),
            ("scope", &ask.scope),
            ("requested_token_type", &ask.requested_token_type),
        ] {
            if let Some(value) = value {
                params.push((key, value.as_str()));
            }
        }
        let actor = match &ask.actor {
            Some(actor) => Some(self.actor_token(account, actor).await?),
            None => None,
        };
        if let Some(actor) = &actor {
            params.push(("actor_token", actor.expose()));
            params.push(("actor_token_type", ACCESS_TOKEN_TYPE));
        }
        let http = self.http(name)?;
        let client = self.client_of(account).await.with_dpop(dpop);
        crate::oauth::grants::post_token_form(&http, url, &client, &params)
            .await
            .map_err(|e| super::client_hint(account, oauth_error(name, e)))
    }

    /// The actor's fresh access token, only when its server is the subject's: a token
    /// never goes to a server that did not issue it.
    async fn actor_token(
        &self,
        subject: &crate::config::Account,
        actor: &str,
    ) -> Result<crate::secret::Secret, EngineError> {
        let actor_account = self.account(actor)?;
        if !super::binding::same_server(actor_account, subject) {
            let server = |a: &crate::config::Account| {
                let e = &a.provider.endpoints;
                e.issuer
                    .clone()
                    .or_else(|| e.token_endpoint.clone())
                    .unwrap_or_default()
            };
            return Err(EngineError::Refused(format!(
                "--actor '{actor}' is an account of another server ({}) than '{}' ({}); its token is sent only to the server that issued it",
                server(actor_account),
                subject.name,
                server(subject)
            )));
        }
        Ok(self
            .fresh_tokens(actor, Duration::from_secs(30))
            .await?
            .tokens
            .access_token)
    }
}
