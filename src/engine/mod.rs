//! The operations on accounts that the CLI and the dashboard share: read tokens, keep
//! them fresh, log in, log out. No terminal I/O here: progress goes to a [`LoginObserver`].

use crate::config::{Account, Config, Paths, StoreKind};
use crate::oauth::device::{DeviceAuthorization, PollEvent};
use crate::oauth::discovery::Need;
use crate::oauth::grants;
use crate::oauth::{self, Http, OAuthError, ProviderClient};
use crate::store::{self, FileStore, KeyringStore, StoreError, TokenStore};
use crate::token::TokenRecord;
use crate::token::TokenSet;
use chrono::Utc;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// What was asked cannot be done with this account or provider as configured (a
    /// login of an account by exchange, a resource it does not list, a provider without
    /// the endpoint a setting needs): said with what to do instead.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("account '{account}': {source}")]
    OAuth {
        account: String,
        #[source]
        source: OAuthError,
    },
    /// A failure reported by the refresh worker process, already worded for the user.
    #[error("{0}")]
    Worker(String),
    /// Verification keys could not be had (an issuer or JWKS URL that does not answer).
    #[error("{0}")]
    Keys(String),
    /// The provider offers no endpoint for what was asked (introspection, userinfo).
    #[error("{0}")]
    NotOffered(String),
    /// The refresh token could not be revoked for want of the network: the tokens stay.
    #[error(
        "could not reach the provider to revoke the refresh token of '{account}' ({reason}); the tokens were kept. Try again when online, or run `tokdeck logout {account} --local` to delete them here only"
    )]
    RevokeUnreachable { account: String, reason: String },
    /// Only an interactive login can help; scripts get a distinct exit status.
    #[error("account '{account}' {reason}; run `tokdeck login {account}`")]
    NeedsLogin { account: String, reason: String },
    /// The stored tokens were issued by another server or to another client than the
    /// account's provider as configured now: nothing is sent or handed out.
    #[error(
        "the tokens of '{account}' {reason}: run `tokdeck login {account}` (or `tokdeck logout {account} --local` to delete them here; only the old provider, put back in config.toml, can revoke them)"
    )]
    Rebound { account: String, reason: String },
    /// A login came back as another person than the one the account holds.
    #[error("{0}")]
    OtherPerson(String),
    /// A provider's refusal, with what to try instead.
    #[error("{error}; {hint}")]
    Hinted {
        error: Box<EngineError>,
        hint: String,
    },
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
    /// Something the user should know of that is not an error (a client registered
    /// again).
    fn note(&self, _text: &str) {}
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

pub struct Engine {
    config: Config,
    paths: Paths,
    store: Arc<dyn TokenStore>,
    /// HTTP, discovery, JWKS and DPoP keys: what talks to the providers.
    client: ProviderClient,
    worker_setup: Option<WorkerSetup>,
}

impl Engine {
    pub fn new(config: Config, paths: Paths) -> Self {
        let store: Arc<dyn TokenStore> = match config.store {
            StoreKind::Keyring => Arc::new(KeyringStore::new(
                &paths.data_dir,
                config.accounts.keys().cloned().collect(),
            )),
            StoreKind::File => Arc::new(FileStore::new(paths.tokens_dir())),
        };
        Self::with_store(config, paths, store)
    }

    pub fn with_store(config: Config, paths: Paths, store: Arc<dyn TokenStore>) -> Self {
        Self {
            client: provider_client(&paths),
            config,
            paths,
            store,
            worker_setup: None,
        }
    }

    /// Use `http` instead of the network (tests).
    pub fn with_http(mut self, http: Http) -> Self {
        self.client = self.client.with_http(http);
        self
    }

    /// Run CLI refreshes in a detached worker process (see [`WorkerSetup`]).
    pub fn with_refresh_worker(mut self, worker_setup: WorkerSetup) -> Self {
        self.worker_setup = Some(worker_setup);
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
        self.client.http().map_err(|e| oauth_error(account, e))
    }

    /// What talks to the providers, for uses that concern no account.
    pub fn client(&self) -> &ProviderClient {
        &self.client
    }

    pub fn account(&self, name: &str) -> Result<&Account, EngineError> {
        Ok(self.config.account(name)?)
    }

    pub async fn load(&self, account: &str) -> Result<Option<TokenRecord>, EngineError> {
        let name = account.to_string();
        Ok(store::run_bounded(&self.store, move |s| s.load(&name)).await?)
    }

    /// The stored record, refused when it was issued by another server or to another
    /// client than the account's provider as configured now (see [`binding`]).
    pub async fn load_bound(&self, name: &str) -> Result<Option<TokenRecord>, EngineError> {
        let account = self.account(name)?;
        let record = self.load(name).await?;
        if let Some(record) = &record {
            binding::check(account, record)?;
        }
        Ok(record)
    }

    /// The stored records of `names`, each as [`Self::load_bound`] gives it, read
    /// [`LOAD_BATCH`] at a time in one call to the store each (one trip to its thread,
    /// not one per account). An account the store cannot read is an error of its own; a
    /// store that does not answer is the error of every account of the batch.
    pub async fn load_many(
        &self,
        names: Vec<String>,
    ) -> Vec<(String, Result<Option<TokenRecord>, EngineError>)> {
        let mut out = Vec::with_capacity(names.len());
        for batch in names.chunks(LOAD_BATCH) {
            let read = batch.to_vec();
            let loaded = store::run_bounded(&self.store, move |s| {
                Ok(read.iter().map(|name| s.load(name)).collect::<Vec<_>>())
            })
            .await;
            match loaded {
                Ok(records) => {
                    for (name, record) in batch.iter().zip(records) {
                        let bound = record.map_err(EngineError::from).and_then(|record| {
                            if let Some(record) = &record {
                                binding::check(self.account(name)?, record)?;
                            }
                            Ok(record)
                        });
                        out.push((name.clone(), bound));
                    }
                }
                Err(e) => out.extend(
                    batch
                        .iter()
                        .map(|name| (name.clone(), Err(EngineError::from(e.clone())))),
                ),
            }
        }
        out
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
        store::run_to_completion(&self.store, move |s| s.save(&name, &record), &what).await?;
        store::clear_logged_out(&self.paths.data_dir, account);
        store::mark_changed(&self.paths.data_dir);
        Ok(())
    }

    /// The account was logged out on purpose (see [`store::mark_logged_out`]).
    pub fn was_logged_out(&self, account: &str) -> bool {
        store::was_logged_out(&self.paths.data_dir, account)
    }

    pub(crate) async fn save(&self, account: &str, record: TokenRecord) -> Result<(), EngineError> {
        let name = account.to_string();
        store::run_bounded(&self.store, move |s| s.save(&name, &record)).await?;
        store::mark_changed(&self.paths.data_dir);
        Ok(())
    }

    /// A service account's tokens, fetched again (with the DPoP key of the `previous`
    /// record, whose tokens per API stay).
    pub(crate) async fn client_credentials(
        &self,
        account: &Account,
        previous: Option<&TokenRecord>,
    ) -> Result<TokenRecord, EngineError> {
        let endpoints = self.endpoints(account, &[Need::Token]).await?;
        let token_endpoint = endpoints.token_endpoint.as_deref().unwrap_or_default();
        let http = self.http(&account.name)?;
        let dpop = self.dpop_for(account, previous.map(|r| &r.tokens))?;
        let client = self.client_of(account).await.with_dpop(dpop.clone());
        let mut tokens =
            grants::client_credentials(&http, token_endpoint, &client, &request(account))
                .await
                .map_err(|e| oauth_error(&account.name, e))?;
        tokens.dpop_key = dpop.map(|d| d.stored());
        let binding =
            binding::issued_for(account, &self.known_endpoints(account, &endpoints).await);
        let identity = identity::identity_without_network(account, &tokens, &binding);
        let mut record = TokenRecord::issued(tokens, binding, identity);
        if let Some(previous) = previous {
            record.per_api = previous.per_api.clone();
        }
        self.save_issued(&account.name, record.clone()).await?;
        Ok(record)
    }
}

/// " (expires in 59m 58s)" or "" for a log line.
pub(crate) fn expiry_for_log(tokens: &TokenSet) -> String {
    tokens
        .remaining(Utc::now())
        .map(|left| format!(" (expires in {})", crate::humanize::duration(left)))
        .unwrap_or_default()
}

/// RFC 6749 §5.2 `invalid_client`: the provider does not accept the client as
/// configured; the message names the client and the table to look at.
pub(crate) fn client_hint(account: &Account, e: EngineError) -> EngineError {
    match e {
        EngineError::OAuth {
            account: name,
            source:
                OAuthError::Provider {
                    endpoint,
                    error,
                    description,
                },
        } if error == "invalid_client" => {
            let provider = &account.provider;
            let hint = match (&provider.registration, &provider.client_auth) {
                (crate::config::Registration::Dynamic, _) => format!(
                    "the client tokdeck registered at the provider may have been deleted there: `tokdeck login {}` registers it again",
                    account.name
                ),
                (_, client_auth) => {
                    let how = match client_auth {
                        Some(oauth::assertion::SigningKey::Private { source, .. }) => format!(
                            " and that the provider holds the public key of {source} with the kid tokdeck signs with (`tokdeck client-key show` prints the JWKS of a key in the keyring)"
                        ),
                        Some(oauth::assertion::SigningKey::Secret(_)) => {
                            " and its `client_secret` (client_secret_jwt signs with it)".to_string()
                        }
                        None if provider.client_secret.is_some() => {
                            " and its `client_secret`".into()
                        }
                        None => {
                            " (no `client_secret` is set: does the provider expect one?)".into()
                        }
                    };
                    format!(
                        "check `client_id = \"{}\"` in [providers.{}]{how}",
                        provider.client_id, provider.name
                    )
                }
            };
            EngineError::OAuth {
                account: name,
                source: OAuthError::Provider {
                    endpoint,
                    error,
                    description: Some(match description {
                        Some(d) => format!("{d}; {hint}"),
                        None => hint,
                    }),
                },
            }
        }
        other => other,
    }
}

pub(crate) fn oauth_error(account: &str, source: OAuthError) -> EngineError {
    EngineError::OAuth {
        account: account.to_string(),
        source,
    }
}

/// Accounts read in one call to the store by [`Engine::load_many`]: few enough that a
/// slow keyring answers them within [`store::STORE_TIMEOUT`].
pub const LOAD_BATCH: usize = 64;

pub(crate) fn client(account: &Account) -> oauth::Client {
    let provider = &account.provider;
    oauth::Client {
        client_id: provider.client_id.clone(),
        client_secret: provider.client_secret.clone(),
        assertion: provider
            .client_auth
            .clone()
            .map(|key| oauth::assertion::ClientAssertion {
                key,
                audience: provider.endpoints.issuer.clone(),
                read: client_key::read,
            }),
        dpop: None,
    }
}

impl Engine {
    /// The DPoP key of `tokens`, for the calls that concern them (introspection,
    /// revocation, exchange): a proof goes along. Presenting the access token as DPoP
    /// (userinfo) also needs a token of type DPoP: see [`Self::presenting_key`].
    pub(crate) fn key_of(&self, tokens: &TokenSet) -> Option<oauth::dpop::Dpop> {
        let stored = tokens.dpop_key.as_ref()?;
        self.client
            .dpop_key(stored)
            .inspect_err(|m| log::warn!("{m}"))
            .ok()
    }

    /// The key to present the access token with (`Authorization: DPoP` and a proof):
    /// only for a DPoP-bound token; a Bearer token of an account with `dpop = true` (a
    /// provider that ignored the proof) goes as Bearer.
    pub(crate) fn presenting_key(&self, tokens: &TokenSet) -> Option<oauth::dpop::Dpop> {
        self.key_of(tokens).filter(|_| tokens.is_dpop())
    }

    /// The DPoP key for a request about `tokens` (RFC 9449): the one they are bound to,
    /// else (an account with `dpop = true`) a new one; `None` for bearer accounts.
    pub(crate) fn dpop_for(
        &self,
        account: &Account,
        tokens: Option<&TokenSet>,
    ) -> Result<Option<oauth::dpop::Dpop>, EngineError> {
        let made = match tokens.and_then(|t| t.dpop_key.as_ref()) {
            Some(stored) => self.client.dpop_key(stored),
            None if account.dpop() => self.client.new_dpop_key(),
            None => return Ok(None),
        };
        made.map(Some)
            .map_err(|m| oauth_error(&account.name, OAuthError::Other(m)))
    }
}

/// The provider client of an engine on `paths`, or of a command without accounts.
pub fn provider_client(paths: &Paths) -> ProviderClient {
    ProviderClient::new(paths.discovery_cache_dir(), paths.jwks_cache_dir())
}

/// What the account's own grant asks (an account by exchange asks its scopes only).
pub(crate) fn request(account: &Account) -> oauth::Request {
    let grant = account.grant().cloned().unwrap_or_default();
    oauth::Request {
        scopes: account.scopes.clone(),
        params: grant.params,
        select_account: false,
        resources: grant.resources,
    }
}

mod binding;
mod by_exchange;
mod client_key;
mod endpoints;
mod exchange;
pub mod from_url;
mod identity;
mod inspect;
mod login;
mod logout;
mod per_api;
mod plan;
mod refresh;
pub mod registration;
mod state;
mod trust;
mod want;
pub use exchange::Exchange;
pub use login::LoginOptions;
pub use logout::{LogoutOptions, LogoutReport};
pub use refresh::Want;
pub use state::{EXPIRING_WITHIN, TokenState};
pub use trust::{Judgement, KeySource, judge};
mod worker;
pub use worker::{Reply, Request as WorkerRequest, WorkerSetup};

#[cfg(test)]
mod tests;
