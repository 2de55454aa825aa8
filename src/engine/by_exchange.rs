//! Accounts defined by token exchange (`exchange_from`, RFC 8693): their token is the
//! answer of the provider to an exchange of the source account's fresh access token,
//! kept and served like any account's, and exchanged again when it expires. They hold
//! no refresh token and need no login of their own.

use super::{Engine, EngineError, binding, oauth_error};
use crate::config::{Account, ByExchange};
use crate::oauth::discovery::Need;
use crate::oauth::{OAuthError, TokenResponse};
use crate::token::TokenRecord;
use crate::token::TokenSet;
use chrono::Utc;

impl Engine {
    /// A new token for `account` from its source's; the caller holds `account`'s lock
    /// (the source's own refresh, if due, takes the source's lock).
    pub(super) async fn derive(
        &self,
        account: &Account,
        by_exchange: &ByExchange,
    ) -> Result<TokenSet, EngineError> {
        let ask = super::Exchange {
            audience: by_exchange.audience.clone(),
            resource: by_exchange.resource.clone(),
            scope: by_exchange.scope.clone(),
            ..Default::default()
        };
        // Boxed: the exchange may refresh the source, which is this same path.
        let answer = Box::pin(self.exchange(&by_exchange.from, &ask))
            .await
            .map_err(|e| match e {
                EngineError::NeedsLogin {
                    account: from,
                    reason,
                } if from == by_exchange.from => EngineError::NeedsLogin {
                    reason: format!("{reason} (account '{}' is exchanged from it)", account.name),
                    account: from,
                },
                other => other,
            })?;
        let endpoints = self.endpoints(account, &[Need::Token]).await?;
        let token_endpoint = endpoints.token_endpoint.as_deref().unwrap_or_default();
        let malformed = |reason: String| {
            oauth_error(
                &account.name,
                OAuthError::Malformed {
                    endpoint: "token endpoint",
                    url: token_endpoint.to_string(),
                    reason,
                },
            )
        };
        let response: TokenResponse = serde_json::from_value(answer).map_err(|_| {
            malformed("the token exchange answer is not an access token response".into())
        })?;
        // The source's record: its DPoP key and who it is (the exchange read its tokens,
        // not the identity beside them).
        crate::oauth::tokens::check_response(&response).map_err(&malformed)?;
        let source = self.load_bound(&by_exchange.from).await?;
        let mut tokens = TokenSet::from_response(response, &[], Utc::now());
        match tokens.token_type.to_ascii_lowercase().as_str() {
            "bearer" => {}
            "dpop" => {
                // Bound to the source's key, as the token endpoint checks its own answers.
                let key = source.as_ref().and_then(|r| self.key_of(&r.tokens));
                let Some(key) = key else {
                    return Err(malformed(
                        "the exchanged token is DPoP-bound, and the source holds no DPoP key"
                            .into(),
                    ));
                };
                key.check_binding(tokens.access_token.expose())
                    .map_err(&malformed)?;
                tokens.dpop_key = Some(key.stored());
            }
            other => {
                return Err(malformed(format!(
                    "the exchanged token's token_type is '{other}', not an access token tokdeck can present"
                )));
            }
        }
        let record = TokenRecord::issued(
            tokens.clone(),
            binding::issued_for(account, &self.known_endpoints(account, &endpoints).await),
            source.and_then(|r| r.identity),
        );
        self.save_issued(&account.name, record).await?;
        log::info!(
            "'{}': exchanged from '{}'{}",
            account.name,
            by_exchange.from,
            super::expiry_for_log(&tokens)
        );
        Ok(tokens)
    }
}

/// A login of an account that has none of its own.
pub(super) fn no_login(account: &Account, by_exchange: &ByExchange) -> EngineError {
    EngineError::Refused(format!(
        "account '{}' gets its tokens by exchange from '{}' and has no login of its own; run `tokdeck login {}`",
        account.name, by_exchange.from, by_exchange.from
    ))
}
