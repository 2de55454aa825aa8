//! Tokens for one API or fewer scopes than the account's (RFC 8707 resource
//! indicators, RFC 6749 §6 scope narrowing), as `az account get-access-token --resource`
//! gives them: got with the account's refresh token (a service account asks again with
//! its client credentials), kept beside the account's own token, served from the store
//! while valid. A rotated refresh token replaces the account's under the same lock.

use super::{Engine, EngineError, oauth_error, request};
use crate::config::{Account, Kind};
use crate::oauth::discovery::Need;
use crate::oauth::{OAuthError, grants};
use crate::token::TokenRecord;
use crate::token::{Target, TokenSet};

impl Engine {
    /// Gets and saves the token for `target`; the caller holds the account's lock.
    pub(super) async fn narrow(
        &self,
        account: &Account,
        record: Option<TokenRecord>,
        target: &Target,
    ) -> Result<TokenSet, EngineError> {
        if let Some(resource) = &target.resource {
            granted(account, record.as_ref(), resource)?;
        }
        let record = match record {
            Some(record) => record,
            // A service account that holds nothing yet: its own token first.
            None => self.client_credentials(account, None).await?,
        };
        let endpoints = self
            .bound_endpoints(account, &record, &[Need::Token])
            .await?;
        let token_endpoint = endpoints.token_endpoint.as_deref().unwrap_or_default();
        let http = self.http(&account.name)?;
        let dpop = self.dpop_for(account, Some(&record.tokens))?;
        let client = self.client_of(account).await.with_dpop(dpop.clone());
        let mut ask = request(account);
        ask.params.remove("resource");
        ask.params.remove("scope");
        if let Some(resource) = &target.resource {
            ask.params.insert("resource".into(), resource.clone());
        }
        let result = if matches!(account.kind, Kind::Service { .. }) {
            if !target.scopes.is_empty() {
                ask.scopes = target.scopes.clone();
            }
            grants::client_credentials(&http, token_endpoint, &client, &ask).await
        } else {
            self.refresh_for(&http, token_endpoint, &client, &ask, &record, target)
                .await
        };
        let got = match result {
            Ok(got) => got,
            Err(e) if e.rotated().is_some() => {
                self.keep_rotated(account, record, &e).await?;
                return Err(oauth_error(&account.name, e));
            }
            Err(e) => return self.narrowing_refused(account, record, target, e).await,
        };
        let mut updated = record;
        if got.refresh_token.is_some() {
            // Rotation (RFC 6749 §10.4): the new refresh token is the account's now.
            updated.tokens.refresh_token = got.refresh_token.clone();
        }
        updated.tokens.dpop_key = dpop.as_ref().map(|d| d.stored());
        // A token with none of the scopes asked for is no token for them (the provider
        // filtered them out): not kept, and said.
        let granted_none =
            !target.scopes.is_empty() && !got.scopes.iter().any(|s| target.scopes.contains(s));
        let api_token = got
            .access_only()
            .with_dpop_key(updated.tokens.dpop_key.clone());
        if !granted_none {
            updated.per_api.insert(target.key(), api_token.clone());
        }
        self.save_issued(&account.name, updated).await?;
        if granted_none {
            return Err(EngineError::Refused(format!(
                "the provider granted none of the scopes asked ({}) for {} (it granted '{}'); ask for scopes of that API",
                target.scopes.join(" "),
                target.describe(),
                api_token.scopes.join(" ")
            )));
        }
        log::info!(
            "'{}': got a token for {}{}",
            account.name,
            target.describe(),
            super::expiry_for_log(&api_token)
        );
        Ok(api_token)
    }
}

impl Engine {
    /// RFC 6749 §6 with a narrower `scope` and RFC 8707 `resource`: a token for those
    /// (the scopes asked when the answer names none), not a new set of the account's.
    async fn refresh_for(
        &self,
        http: &crate::oauth::Http,
        token_endpoint: &str,
        client: &crate::oauth::Client,
        ask: &crate::oauth::Request,
        record: &TokenRecord,
        target: &Target,
    ) -> Result<TokenSet, OAuthError> {
        let refresh_token =
            record.tokens.refresh_token.as_ref().ok_or_else(|| {
                OAuthError::Other("no refresh token is held; log in again".into())
            })?;
        let scope = target.scopes.join(" ");
        let mut params = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        params.extend(grants::token_params(ask));
        if !scope.is_empty() {
            params.push(("scope", &scope));
        }
        let response = grants::token_request(http, token_endpoint, client, &params).await?;
        let asked = if target.scopes.is_empty() {
            &record.tokens.scopes
        } else {
            &target.scopes
        };
        Ok(TokenSet::from_response(response, asked, chrono::Utc::now()))
    }

    /// The token for `target` was refused: a rejected refresh token is the account's
    /// trouble; any other refusal is said with what was asked, and for an account that
    /// logs in, with whether its refresh token survived: some providers (oidc-provider)
    /// spend it before they refuse the resource, and a refresh tells.
    async fn narrowing_refused(
        &self,
        account: &Account,
        record: TokenRecord,
        target: &Target,
        e: OAuthError,
    ) -> Result<TokenSet, EngineError> {
        if e.is_invalid_grant() {
            let reason =
                format!("cannot be refreshed: the provider rejected the refresh token ({e})");
            return self.mark_login_needed(account, record, reason).await;
        }
        // A service account has no refresh token to lose; a failure of the network
        // spent nothing.
        if matches!(account.kind, Kind::Service { .. }) || !matches!(e, OAuthError::Provider { .. })
        {
            return Err(refused(account, target, e, String::new()));
        }
        let after = match self.refresh_record(account, record).await {
            Ok(_) => "the account's refresh token still works (checked with a refresh)".to_string(),
            Err(EngineError::NeedsLogin { .. }) => format!(
                "the provider spent the account's refresh token on the refusal: run `tokdeck login {}`",
                account.name
            ),
            Err(other) => {
                format!(
                    "whether the account's refresh token survived could not be checked ({other})"
                )
            }
        };
        Err(refused(account, target, e, after))
    }
}

/// An account that logs in is asked for no other API than those its login asked for
/// (`resources` when it logged in): some providers (oidc-provider) spend the refresh
/// token on refusing another. A service account asks for what it is told.
fn granted(
    account: &Account,
    record: Option<&TokenRecord>,
    resource: &str,
) -> Result<(), EngineError> {
    if account.renews_alone() {
        return Ok(());
    }
    let name = &account.name;
    let refuse = |why: String| Err(EngineError::Refused(format!("resource '{resource}' {why}")));
    if !account.resources().iter().any(|r| r == resource) {
        let listed = if account.resources().is_empty() {
            "it lists no `resources`".to_string()
        } else {
            format!("its `resources` are {}", account.resources().join(", "))
        };
        return refuse(format!(
            "is not one account '{name}' logged in for ({listed}); add it to `resources` in [accounts.{name}] and run `tokdeck login {name}`"
        ));
    }
    let asked = record.and_then(|r| r.login_resources.as_ref());
    if asked.is_some_and(|asked| !asked.iter().any(|r| r == resource)) {
        return refuse(format!(
            "was added to the `resources` of '{name}' after its login, which did not ask for it; run `tokdeck login {name}` to ask for it"
        ));
    }
    Ok(())
}

/// The provider's refusal with what was asked, what to do about the usual ones, and
/// `after`: what became of the account's own refresh token.
fn refused(account: &Account, target: &Target, e: OAuthError, after: String) -> EngineError {
    let service = matches!(account.kind, Kind::Service { .. });
    let hint = match &e {
        OAuthError::Provider { error, .. } if error == "invalid_target" && service => format!(
            "tokdeck asked for {}; the provider gives client '{}' no tokens for it (check the API's permissions at the provider)",
            target.describe(),
            account.provider.client_id
        ),
        OAuthError::Provider { error, .. } if error == "invalid_target" => format!(
            "tokdeck asked for {}; a provider grants only the resources the login asked for: check it in `resources` of [accounts.{}] and run `tokdeck login {}`",
            target.describe(),
            account.name,
            account.name
        ),
        OAuthError::Provider { error, .. } if error == "invalid_scope" && !service => format!(
            "tokdeck asked for {}; a refresh can only narrow the scopes the login granted ({})",
            target.describe(),
            account.scopes.join(" ")
        ),
        _ => format!("tokdeck asked for {}", target.describe()),
    };
    EngineError::Hinted {
        error: Box::new(oauth_error(&account.name, e)),
        hint: if after.is_empty() {
            hint
        } else {
            format!("{hint}; {after}")
        },
    }
}
