//! Interactive logins and what is kept of them: the tokens, bound to the server and
//! client that issued them, and the person they belong to, checked against the person the
//! account already holds.

use super::identity::{self, Pinned};
use super::{Engine, EngineError, LoginObserver, binding, oauth_error, request};
use crate::config::{Account, Flow, Kind};
use crate::oauth;
use crate::oauth::discovery::Need;
use crate::token::TokenRecord;
use crate::token::TokenSet;

/// How to log in.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoginOptions {
    /// The account's own flow when `None`.
    pub flow: Option<Flow>,
    /// Accept a login as another person than the one the account holds: the old
    /// person's tokens are revoked and the account is theirs no more.
    pub replace_user: bool,
}

impl Engine {
    /// Runs the login flow to completion and stores the tokens, unless they belong to
    /// another person than the account's (see [`LoginOptions::replace_user`]).
    pub async fn login(
        &self,
        name: &str,
        options: LoginOptions,
        observer: &dyn LoginObserver,
    ) -> Result<TokenRecord, EngineError> {
        let configured = self.account(name)?;
        let renewed = self.registered_again(configured, observer).await?;
        let account = renewed.as_ref().unwrap_or(configured);
        if let Some(flow) = options.flow.or(account.flow()) {
            log::info!("login to '{name}' with the {flow} flow");
        }
        let result = match self.login_inner(account, options, observer).await {
            // A client tokdeck registered that the provider refuses (a server without
            // RFC 7592 cannot be asked beforehand): registered again, and one more try.
            Err(e)
                if is_invalid_client(&e)
                    && account.provider.registration == crate::config::Registration::Dynamic =>
            {
                let why = "the provider refused the client tokdeck registered (invalid_client)";
                let renewed = self.register_again(account, observer, why).await?;
                self.login_inner(&renewed, options, observer).await
            }
            other => other,
        };
        let result = match result {
            Ok(record) => Ok(record),
            Err(e) => Err(self
                .dpop_hint(account, super::client_hint(account, e))
                .await),
        };
        match &result {
            Ok(record) => log::info!(
                "logged in to '{name}'{}",
                super::expiry_for_log(&record.tokens)
            ),
            Err(e) => log::warn!("login to '{name}' failed: {e}"),
        }
        result
    }

    async fn login_inner(
        &self,
        account: &Account,
        options: LoginOptions,
        observer: &dyn LoginObserver,
    ) -> Result<TokenRecord, EngineError> {
        let name = account.name.as_str();
        let configured = match &account.kind {
            Kind::Exchange(by_exchange) => {
                return Err(super::by_exchange::no_login(account, by_exchange));
            }
            Kind::Login { flow, .. } => *flow,
            Kind::Service { .. } => Flow::ClientCredentials,
        };
        // Fail before the user approves anything if the tokens could not be kept.
        let stored = self.load(name).await?;
        let flow = options.flow.unwrap_or(configured);
        // One key per account: a new login keeps the key of the tokens it replaces.
        let previous = stored
            .as_ref()
            .filter(|r| binding::check(account, r).is_ok());
        if flow == Flow::ClientCredentials {
            let _lock = self.lock(name).await?;
            return self.client_credentials(account, previous).await;
        }
        let dpop = self.dpop_for(account, previous.map(|r| &r.tokens))?;
        let client = self.client_of(account).await.with_dpop(dpop.clone());
        let mut request = request(account);
        if let Some(hint) = self.login_hint(account, stored.as_ref()) {
            request.params.insert("login_hint".into(), hint);
        }
        let (mut tokens, token_endpoint) = match flow {
            Flow::Device => {
                self.device_login(account, &client, &request, observer)
                    .await?
            }
            _ => {
                request.select_account = self.may_select_account(account).await;
                if let Some(dpop) = &dpop {
                    // RFC 9449 §10: the authorization code is bound to the key too.
                    request.params.insert("dpop_jkt".into(), dpop.thumbprint());
                }
                self.browser_login(account, &client, &request, observer)
                    .await?
            }
        };
        tokens.dpop_key = dpop.map(|d| d.stored());
        self.check_id_token(account, &tokens).await?;
        self.keep_login(account, tokens, &token_endpoint, options.replace_user)
            .await
    }

    async fn device_login(
        &self,
        account: &Account,
        client: &oauth::Client,
        request: &oauth::Request,
        observer: &dyn LoginObserver,
    ) -> Result<(TokenSet, String), EngineError> {
        let name = account.name.as_str();
        let http = self.http(name)?;
        let endpoints = self
            .endpoints(account, &[Need::DeviceAuthorization, Need::Token])
            .await?;
        let device_endpoint = endpoints
            .device_authorization_endpoint
            .as_deref()
            .unwrap_or_default();
        let token_endpoint = endpoints.token_endpoint.unwrap_or_default();
        let authorization = oauth::device::start(&http, device_endpoint, client, request)
            .await
            .map_err(|e| oauth_error(name, e))?;
        observer.device_code(&authorization);
        let tokens = oauth::device::poll(
            &http,
            &token_endpoint,
            client,
            request,
            &authorization,
            |event| observer.poll(&event),
        )
        .await
        .map_err(|e| oauth_error(name, e))?;
        Ok((tokens, token_endpoint))
    }

    async fn browser_login(
        &self,
        account: &Account,
        client: &oauth::Client,
        request: &oauth::Request,
        observer: &dyn LoginObserver,
    ) -> Result<(TokenSet, String), EngineError> {
        let name = account.name.as_str();
        let http = self.http(name)?;
        let read_pasted = || observer.pasted_redirect();
        let endpoints = self
            .endpoints(account, &[Need::Authorization, Need::Token])
            .await?;
        let token_endpoint = endpoints.token_endpoint.clone().unwrap_or_default();
        let tokens = oauth::browser::login(
            &http,
            oauth::browser::Server {
                authorization_endpoint: endpoints
                    .authorization_endpoint
                    .as_deref()
                    .unwrap_or_default(),
                token_endpoint: &token_endpoint,
                issuer: endpoints.issuer.as_deref(),
                par_endpoint: par_endpoint(account, &endpoints)?,
            },
            client,
            request,
            account.provider.redirect_port,
            if observer.pastes() {
                oauth::browser::Redirect::Paste(&read_pasted)
            } else {
                oauth::browser::Redirect::Listen
            },
            |url| observer.browser_url(url),
        )
        .await
        .map_err(|e| oauth_error(name, e))?;
        Ok((tokens, token_endpoint))
    }

    /// `login_hint` for the authorization request: the account's own, else the person
    /// it holds (so that the provider asks for them again).
    fn login_hint(&self, account: &Account, stored: Option<&TokenRecord>) -> Option<String> {
        let own = match &account.kind {
            Kind::Login {
                login_hint, grant, ..
            } => {
                if grant.params.contains_key("login_hint") {
                    return None;
                }
                login_hint.clone()
            }
            Kind::Service { .. } | Kind::Exchange(_) => None,
        };
        own.or_else(|| {
            stored
                .filter(|r| binding::check(account, r).is_ok())
                .and_then(|r| r.identity.as_ref())
                .and_then(|i| i.hint())
                .map(str::to_string)
        })
    }

    /// OIDC Core §3.1.2.1 `prompt=select_account`, for an account that shares its
    /// provider's browser session with other accounts, sets no prompt of its own, and
    /// whose provider says it knows the value.
    async fn may_select_account(&self, account: &Account) -> bool {
        let shared = self
            .config
            .accounts
            .values()
            .filter(|a| binding::same_server(a, account))
            .count()
            > 1;
        let sets_prompt = account
            .grant()
            .is_some_and(|g| g.params.contains_key("prompt"));
        if !shared || sets_prompt {
            return false;
        }
        self.endpoints(account, &[Need::Authorization])
            .await
            .is_ok_and(|e| {
                e.prompt_values_supported
                    .iter()
                    .any(|v| v == "select_account")
            })
    }

    /// Saves the tokens of a login, bound and identified, under the account's lock,
    /// unless they belong to another person than the one the account holds: those are
    /// revoked and never stored. With `replace`, the old person's tokens are revoked
    /// instead, and the new person is pinned.
    async fn keep_login(
        &self,
        account: &Account,
        tokens: TokenSet,
        token_endpoint: &str,
        replace: bool,
    ) -> Result<TokenRecord, EngineError> {
        let name = account.name.as_str();
        let used = oauth::Endpoints {
            token_endpoint: Some(token_endpoint.to_string()),
            ..Default::default()
        };
        let binding = binding::issued_for(account, &self.known_endpoints(account, &used).await);
        let mut found = self.identify(account, &tokens, &binding).await;
        // The interactive part is over: lock only for the comparison and the save.
        let _lock = self.lock(name).await?;
        let old = self
            .load(name)
            .await?
            .filter(|r| binding::check(account, r).is_ok());
        if found.is_none() {
            // Who logged in cannot be told: the account keeps its person.
            found = old.as_ref().and_then(|r| r.identity.clone());
        }
        match identity::pinned(old, found.as_ref(), replace) {
            Pinned::Keep => {}
            Pinned::Refuse { pinned, got } => {
                let report = self.revoke_tokens(account, &tokens, Some(&got), None).await;
                log::info!(
                    "'{name}': the other person's new tokens: revoked {:?}; {:?}",
                    report.revoked,
                    report.notes
                );
                return Err(identity::mismatch(name, &pinned, &got));
            }
            Pinned::Replace(old) => {
                let report = self
                    .revoke_tokens(account, &old.tokens, old.identity.as_ref(), Some(&old))
                    .await;
                log::info!(
                    "'{name}': the previous person's tokens: revoked {:?}; {:?}",
                    report.revoked,
                    report.notes
                );
            }
        }
        let mut record = TokenRecord::issued(tokens, binding, found);
        record.login_resources = Some(account.resources().to_vec());
        self.save_issued(name, record.clone()).await?;
        Ok(record)
    }
}

impl Engine {
    /// A login refused for want of PAR (the client is marked, not the provider), or at
    /// the token endpoint of a provider that takes DPoP proofs, for an account without
    /// `dpop = true`: the client may require DPoP-bound tokens (RFC 9449
    /// §5.2 `dpop_bound_access_tokens`), which providers do not say in their refusal.
    async fn dpop_hint(&self, account: &Account, e: EngineError) -> EngineError {
        // RFC 9126 §5: a client marked to push its requests (not in the metadata).
        if let EngineError::OAuth {
            source: oauth::OAuthError::Callback(why),
            ..
        } = &e
            && why
                .to_ascii_lowercase()
                .contains("pushed authorization request")
            && !account
                .provider
                .endpoints
                .require_pushed_authorization_requests
        {
            let provider = &account.provider.name;
            return EngineError::Hinted {
                error: Box::new(e),
                hint: format!(
                    "the provider wants this client's authorization requests pushed (RFC 9126): set `par = true` in [providers.{provider}]"
                ),
            };
        }
        let refused_grant = matches!(
            &e,
            EngineError::OAuth {
                source: oauth::OAuthError::Provider { endpoint: "token endpoint", error, .. },
                ..
            } if matches!(error.as_str(), "invalid_grant" | "invalid_request" | "invalid_dpop_proof")
        );
        if account.dpop() || !refused_grant {
            return e;
        }
        let Ok(endpoints) = self.endpoints(account, &[Need::Token]).await else {
            return e;
        };
        if endpoints.dpop_signing_alg_values_supported.is_empty() {
            return e;
        }
        EngineError::Hinted {
            error: Box::new(e),
            hint: format!(
                "the provider takes DPoP proofs (its metadata lists dpop_signing_alg_values_supported): if client '{}' requires DPoP-bound tokens, set `dpop = true` in [accounts.{}] or [providers.{}]",
                account.provider.client_id, account.name, account.provider.name
            ),
        }
    }
}

/// RFC 9126: the PAR endpoint when the provider requires pushed requests or the config
/// says `par = true`; an error when one is required and none is known.
fn par_endpoint<'e>(
    account: &Account,
    endpoints: &'e oauth::Endpoints,
) -> Result<Option<&'e str>, EngineError> {
    if !endpoints.require_pushed_authorization_requests {
        return Ok(None);
    }
    match endpoints.pushed_authorization_request_endpoint.as_deref() {
        Some(endpoint) => Ok(Some(endpoint)),
        None => Err(EngineError::Refused(format!(
            "provider '{}' must push its authorization requests (RFC 9126), and its metadata names no pushed_authorization_request_endpoint; set one in [providers.{}]",
            account.provider.name, account.provider.name
        ))),
    }
}

/// RFC 6749 §5.2 `invalid_client` from any of the provider's endpoints.
fn is_invalid_client(e: &EngineError) -> bool {
    matches!(e, EngineError::OAuth { source: oauth::OAuthError::Provider { error, .. }, .. } if error == "invalid_client")
}
