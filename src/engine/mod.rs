//! The operations on accounts that the CLI and the dashboard share: read tokens, keep
//! them fresh, log in, log out. No terminal I/O here: progress goes to a [`LoginObserver`].

use crate::config::{Account, Config, Flow, Paths, StoreKind};
use crate::oauth::device::{DeviceAuthorization, PollEvent};
use crate::oauth::discovery::Need;
use crate::oauth::grants::{self, TokenKind};
use crate::oauth::{self, DiscoveryCache, Endpoints, Http, OAuthError, TokenSet};
use crate::store::{self, FileStore, KeyringStore, StoreError, TokenRecord, TokenStore};
use chrono::{DateTime, Utc};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Below this much validity a token is shown as `expiring`.
pub const EXPIRING_WITHIN: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("account '{account}': {source}")]
    OAuth {
        account: String,
        #[source]
        source: OAuthError,
    },
    /// `decode` was asked to verify and the signature did not verify (already reported).
    #[error("the signature did not verify")]
    Unverified,
    /// A failure reported by the refresh worker process, already worded for the user.
    #[error("{0}")]
    Relayed(String),
    /// The user's input (not the config) is wrong.
    #[error("{0}")]
    Usage(String),
    /// Only an interactive login can help; scripts get a distinct exit status.
    #[error("account '{account}' {reason}; run `tokdeck login {account}`")]
    NeedsLogin { account: String, reason: String },
}

/// A token's state as lists and the dashboard show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    Valid,
    Expiring,
    Expired,
    NoToken,
}

impl TokenState {
    pub fn of(tokens: Option<&TokenSet>, now: DateTime<Utc>) -> Self {
        match tokens.map(|t| t.remaining(now)) {
            None => Self::NoToken,
            Some(None) => Self::Valid,
            Some(Some(left)) if left.num_seconds() <= 0 => Self::Expired,
            Some(Some(_)) if tokens.is_some_and(|t| t.expiring(now, EXPIRING_WITHIN)) => {
                Self::Expiring
            }
            Some(Some(_)) => Self::Valid,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::NoToken => "no token",
        }
    }
}

/// Progress of an interactive login.
pub trait LoginObserver: Send + Sync {
    /// The device flow has a user code to show.
    fn device_code(&self, authorization: &DeviceAuthorization);
    /// The browser flow has its authorization URL.
    fn browser_url(&self, url: &str);
    fn poll(&self, _event: &PollEvent) {}
    /// True when the user pastes the browser's final URL instead of a loopback redirect.
    fn pastes(&self) -> bool {
        false
    }
    /// Blocks until the user has pasted the URL (only asked when [`Self::pastes`]).
    fn pasted_redirect(&self) -> Result<String, String> {
        Err("this front end cannot read a pasted URL".to_string())
    }
}

/// Tokens handed out by [`Engine::fresh_tokens`], with what happened to get them.
#[derive(Debug)]
pub struct Fresh {
    pub tokens: TokenSet,
    /// A refresh was due but failed for a reason that may pass (network); the still
    /// valid old token is served and this says why.
    pub warning: Option<String>,
}

/// What logout did at the provider.
#[derive(Debug, Default)]
pub struct LogoutReport {
    pub revoked: Vec<&'static str>,
    pub notes: Vec<String>,
}

pub struct Engine {
    config: Config,
    paths: Paths,
    store: Arc<dyn TokenStore>,
    http: OnceLock<Http>,
    discovery: DiscoveryCache,
    jwks: crate::oauth::jwks::JwksCache,
    detached: Option<Detached>,
}

impl Engine {
    pub fn new(config: Config, paths: Paths) -> Self {
        let store: Arc<dyn TokenStore> = match config.store {
            StoreKind::Keyring => Arc::new(KeyringStore::new()),
            StoreKind::File => Arc::new(FileStore::new(paths.tokens_dir())),
        };
        Self::with_store(config, paths, store)
    }

    pub fn with_store(config: Config, paths: Paths, store: Arc<dyn TokenStore>) -> Self {
        let discovery = DiscoveryCache::new(paths.discovery_cache_dir());
        let paths_jwks = paths.cache_dir.join("jwks");
        Self {
            config,
            paths,
            store,
            http: OnceLock::new(),
            discovery,
            jwks: crate::oauth::jwks::JwksCache::new(paths_jwks),
            detached: None,
        }
    }

    /// Use `http` instead of the network (tests).
    pub fn with_http(self, http: Http) -> Self {
        let _ = self.http.set(http);
        self
    }

    /// Run CLI refreshes in a detached worker process (see [`Detached`]).
    pub fn with_detached_refresh(mut self, detached: Detached) -> Self {
        self.detached = Some(detached);
        self
    }

    /// Holds `name`'s cross-process lock; short waits only: never held during a login.
    pub(crate) async fn lock(&self, name: &str) -> Result<store::AccountLock, EngineError> {
        Ok(
            store::AccountLock::acquire(&self.paths.data_dir.join("locks"), name, store::LOCK_WAIT)
                .await?,
        )
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Store warnings collected so far (for the CLI to print once).
    pub fn take_store_warnings(&self) -> Vec<String> {
        self.store.take_warnings()
    }

    /// The HTTP client, built on first use so a cached `token` never sets up TLS.
    pub(crate) fn http(&self, account: &str) -> Result<Http, EngineError> {
        if let Some(http) = self.http.get() {
            return Ok(http.clone());
        }
        let http = Http::real().map_err(|e| oauth_error(account, e.into()))?;
        Ok(self.http.get_or_init(|| http).clone())
    }

    pub fn account(&self, name: &str) -> Result<&Account, EngineError> {
        Ok(self.config.account(name)?)
    }

    pub async fn load(&self, account: &str) -> Result<Option<TokenRecord>, EngineError> {
        let name = account.to_string();
        Ok(store::run_bounded(&self.store, move |s| s.load(&name)).await?)
    }

    /// Saves newly issued tokens (a rotated refresh token among them): never given up on,
    /// however slow the store; see [`store::run_to_completion`].
    pub(crate) async fn save_issued(
        &self,
        account: &str,
        record: TokenRecord,
    ) -> Result<(), EngineError> {
        let name = account.to_string();
        let what = format!("saving the new tokens of '{account}'");
        Ok(store::run_to_completion(&self.store, move |s| s.save(&name, &record), &what).await?)
    }

    pub(crate) async fn save(&self, account: &str, record: TokenRecord) -> Result<(), EngineError> {
        let name = account.to_string();
        Ok(store::run_bounded(&self.store, move |s| s.save(&name, &record)).await?)
    }

    pub(crate) async fn endpoints(
        &self,
        account: &Account,
        needs: &[Need],
    ) -> Result<Endpoints, EngineError> {
        let http = self.http(&account.name)?;
        self.discovery
            .resolve(
                &http,
                &account.provider.name,
                &account.provider.endpoints,
                needs,
                Utc::now(),
            )
            .await
            .map_err(|e| oauth_error(&account.name, e))
    }

    pub(crate) async fn client_credentials(
        &self,
        account: &Account,
    ) -> Result<TokenSet, EngineError> {
        let endpoints = self.endpoints(account, &[Need::Token]).await?;
        let http = self.http(&account.name)?;
        let tokens = grants::client_credentials(
            &http,
            endpoints.token_endpoint.as_deref().unwrap_or_default(),
            &client(account),
            &request(account),
        )
        .await
        .map_err(|e| oauth_error(&account.name, e))?;
        self.save(&account.name, TokenRecord::new(tokens.clone()))
            .await?;
        Ok(tokens)
    }

    /// Runs `flow` (the account's own when `None`) to completion and stores the tokens.
    /// `open_browser` is called with the URL the user must visit.
    pub async fn login(
        &self,
        name: &str,
        flow: Option<Flow>,
        observer: &dyn LoginObserver,
    ) -> Result<TokenSet, EngineError> {
        let account = self.account(name)?;
        log::info!(
            "login to '{name}' with the {} flow",
            flow.unwrap_or(account.flow)
        );
        let result = self.login_inner(account, flow, observer).await;
        match &result {
            Ok(tokens) => log::info!("logged in to '{name}'{}", expiry_for_log(tokens)),
            Err(e) => log::warn!("login to '{name}' failed: {e}"),
        }
        result
    }

    async fn login_inner(
        &self,
        account: &Account,
        flow: Option<Flow>,
        observer: &dyn LoginObserver,
    ) -> Result<TokenSet, EngineError> {
        let name = account.name.as_str();
        // Fail before the user approves anything if the tokens could not be kept.
        self.load(name).await?;
        let http = self.http(name)?;
        let client = client(account);
        let request = request(account);
        let tokens = match flow.unwrap_or(account.flow) {
            Flow::ClientCredentials => {
                let _lock = self.lock(name).await?;
                return self.client_credentials(account).await;
            }
            Flow::Device => {
                let endpoints = self
                    .endpoints(account, &[Need::DeviceAuthorization, Need::Token])
                    .await?;
                let device_endpoint = endpoints
                    .device_authorization_endpoint
                    .as_deref()
                    .unwrap_or_default();
                let token_endpoint = endpoints.token_endpoint.as_deref().unwrap_or_default();
                let authorization = oauth::device::start(&http, device_endpoint, &client, &request)
                    .await
                    .map_err(|e| oauth_error(name, e))?;
                observer.device_code(&authorization);
                oauth::device::poll(
                    &http,
                    token_endpoint,
                    &client,
                    &request,
                    &authorization,
                    |event| observer.poll(&event),
                )
                .await
            }
            Flow::Browser => {
                let read_pasted = || observer.pasted_redirect();
                let endpoints = self
                    .endpoints(account, &[Need::Authorization, Need::Token])
                    .await?;
                oauth::browser::login(
                    &http,
                    oauth::browser::Server {
                        authorization_endpoint: endpoints
                            .authorization_endpoint
                            .as_deref()
                            .unwrap_or_default(),
                        token_endpoint: endpoints.token_endpoint.as_deref().unwrap_or_default(),
                        issuer: endpoints.issuer.as_deref(),
                    },
                    &client,
                    &request,
                    account.provider.redirect_port,
                    if observer.pastes() {
                        oauth::browser::Redirect::Paste(&read_pasted)
                    } else {
                        oauth::browser::Redirect::Listen
                    },
                    |url| observer.browser_url(url),
                )
                .await
            }
        }
        .map_err(|e| oauth_error(name, e))?;
        self.check_id_token(account, &tokens).await?;
        // The interactive part is over: lock only for the save.
        let _lock = self.lock(name).await?;
        self.save(name, TokenRecord::new(tokens.clone())).await?;
        Ok(tokens)
    }

    /// Deletes the account's tokens here without asking the provider to revoke them.
    pub async fn forget(&self, name: &str) -> Result<(), EngineError> {
        self.account(name)?;
        self.delete(name).await?;
        log::info!("deleted the tokens of '{name}' without revoking them");
        Ok(())
    }

    /// Deletes the stored tokens under the account's lock.
    async fn delete(&self, name: &str) -> Result<(), EngineError> {
        let owned = name.to_string();
        let _lock = self.lock(name).await?;
        Ok(store::run_bounded(&self.store, move |s| s.delete(&owned)).await?)
    }

    /// Revokes the refresh token, then the access token (RFC 7009), where the provider
    /// offers revocation; then deletes the tokens locally in any case.
    /// With `local`, the tokens are deleted even when the provider cannot be reached;
    /// without it, an unreachable provider keeps them (and says so), since a refresh
    /// token that was not revoked stays usable at the provider.
    pub async fn logout(&self, name: &str, local: bool) -> Result<LogoutReport, EngineError> {
        let account = self.account(name)?;
        let mut report = LogoutReport::default();
        let Some(record) = self.load(name).await? else {
            report
                .notes
                .push(format!("account '{name}' held no tokens"));
            return Ok(report);
        };
        match self.endpoints(account, &[Need::Revocation]).await {
            Ok(endpoints) => {
                let url = endpoints.revocation_endpoint.as_deref().unwrap_or_default();
                let http = self.http(name)?;
                let client = client(account);
                let tokens = &record.tokens;
                let pairs = [
                    (
                        tokens.refresh_token.as_ref(),
                        TokenKind::Refresh,
                        "refresh token",
                    ),
                    (
                        Some(&tokens.access_token),
                        TokenKind::Access,
                        "access token",
                    ),
                ];
                for (token, kind, label) in pairs {
                    let Some(token) = token else { continue };
                    match grants::revoke(&http, url, &client, token.expose(), kind).await {
                        Ok(()) => report.revoked.push(label),
                        // RFC 7009 §2.2.1: e.g. self-contained JWT access tokens.
                        Err(OAuthError::Provider { error, .. }) if error == "unsupported_token_type" => {
                            report.notes.push(format!(
                                "the provider cannot revoke this {label}; it stays valid until it expires{}",
                                tokens
                                    .remaining(Utc::now())
                                    .filter(|left| left.num_seconds() > 0)
                                    .map(|left| format!(" (in {})", crate::humanize::duration(left)))
                                    .unwrap_or_default()
                            ))
                        }
                        Err(OAuthError::Transport(e)) if !local && kind == TokenKind::Refresh => {
                            return Err(EngineError::Relayed(format!(
                                "could not reach the provider to revoke the refresh token of '{name}' ({e}); the tokens were kept. Try again when online, or run `tokdeck logout {name} --local` to delete them here only"
                            )));
                        }
                        Err(e) => report.notes.push(format!(
                            "could not revoke the {label} ({e}); it stays valid at the provider until it expires"
                        )),
                    }
                }
            }
            Err(EngineError::OAuth {
                source: OAuthError::MissingEndpoint { .. },
                ..
            }) => report.notes.push(format!(
                "provider '{}' offers no revocation endpoint; the tokens were deleted locally only",
                account.provider.name
            )),
            Err(e) => report
                .notes
                .push(format!("could not revoke at the provider: {e}")),
        }
        self.delete(name).await?;
        log::info!(
            "logged out of '{name}' (revoked: {})",
            if report.revoked.is_empty() {
                "nothing".to_string()
            } else {
                report.revoked.join(", ")
            }
        );
        Ok(report)
    }
}

/// " (expires in 59m 58s)" or "" for a log line.
pub(crate) fn expiry_for_log(tokens: &TokenSet) -> String {
    tokens
        .remaining(Utc::now())
        .map(|left| format!(" (expires in {})", crate::humanize::duration(left)))
        .unwrap_or_default()
}

pub(crate) fn oauth_error(account: &str, source: OAuthError) -> EngineError {
    EngineError::OAuth {
        account: account.to_string(),
        source,
    }
}

pub(crate) fn client(account: &Account) -> oauth::Client {
    oauth::Client {
        client_id: account.provider.client_id.clone(),
        client_secret: account.provider.client_secret.clone(),
    }
}

pub(crate) fn request(account: &Account) -> oauth::Request {
    oauth::Request {
        scopes: account.scopes.clone(),
        params: account.params.clone(),
    }
}

mod inspect;
mod refresh;
pub use refresh::Want;
mod worker;
pub use worker::{Detached, Reply};

#[cfg(test)]
mod tests;
