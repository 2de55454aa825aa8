//! Refreshing without races: one grant, many processes.
//!
//! Read, refresh and save happen under the account's cross-process lock, and the store
//! is read again once the lock is held, so a token another process just refreshed is
//! used instead of spending (and, with rotation, burning) the refresh token twice.

use super::plan::{Plan, no_refresh, settle};
use super::worker::{self, WorkerSetup};
use super::{Engine, EngineError, Fresh, binding, identity, oauth_error, request};
use crate::config::{Account, Kind};
use crate::oauth::discovery::Need;
use crate::oauth::{OAuthError, grants};
use crate::token::TokenRecord;
use crate::token::{Target, TokenSet};
use chrono::Utc;
use std::time::Duration;

pub use super::want::Want;

impl Engine {
    /// Tokens valid for at least `min_valid`: the cached ones without any network call or
    /// lock, else refreshed (or, for a service account, fetched again). When the provider
    /// cannot be reached and the cached token is still valid, it is served with a warning.
    pub async fn fresh_tokens(
        &self,
        name: &str,
        min_valid: Duration,
    ) -> Result<Fresh, EngineError> {
        self.fresh_for(name, None, min_valid).await
    }

    /// [`Self::fresh_tokens`], or with a `target` the account's token for that API or
    /// those scopes, kept beside its own and refreshed the same way.
    pub async fn fresh_for(
        &self,
        name: &str,
        target: Option<&Target>,
        min_valid: Duration,
    ) -> Result<Fresh, EngineError> {
        let account = self.account(name)?;
        if let (Some(by_exchange), Some(_)) = (account.by_exchange(), target) {
            return Err(EngineError::Refused(format!(
                "account '{name}' is exchanged from '{}' and holds no refresh token to get tokens per API with; use --resource and --scope on '{}', or its own `resource` and `scopes`",
                by_exchange.from, by_exchange.from
            )));
        }
        let record = self.load(name).await?;
        match Plan::of(name, account, record.as_ref(), target, min_valid) {
            Plan::Serve(tokens) => Ok(Fresh {
                tokens,
                warning: None,
            }),
            Plan::Fail(e) => Err(e),
            Plan::Refresh => {
                let want = Want::valid_for(target, min_valid);
                let result = match &self.worker_setup {
                    Some(worker_setup) => self.refresh_in_worker(worker_setup, name, want).await,
                    None => self.refresh_with(name, want).await,
                };
                let cached = record.and_then(|r| r.select(target).cloned());
                settle(name, result, cached)
            }
        }
    }

    /// [`Self::fresh_tokens`] on this thread and without an async runtime, from what the
    /// store can say at once ([`crate::store::TokenStore::peek`]): the file store's
    /// record, the keyring's cached access token. What a shell prompt's `tokdeck token`
    /// needs, as cheaply as it can be. A refresh runs in the worker (forked on Linux,
    /// where this process has one thread here; its exit is never waited for: for
    /// short-lived CLI processes only). `None` means "take the general path": no quick
    /// look, a copy that cannot decide (expiring, no refresh token in it), no worker.
    pub(crate) fn fresh_on_this_thread(
        &self,
        name: &str,
        min_valid: Duration,
    ) -> Option<Result<Fresh, EngineError>> {
        use crate::store::Peek;
        let account = self.account(name).ok()?;
        let (record, complete) = match self.store.peek(name)? {
            Peek::Full(record) => (record, true),
            Peek::AccessOnly(record) => (Some(record), false),
            Peek::Unknown => (None, false),
        };
        let plan = Plan::of(name, account, record.as_ref(), None, min_valid);
        match plan {
            Plan::Serve(tokens) => {
                return Some(Ok(Fresh {
                    tokens,
                    warning: None,
                }));
            }
            Plan::Fail(e) if complete => return Some(Err(e)),
            // A refresh, or a copy that cannot decide: the worker reads the store of
            // record under the lock, and serves or refreshes (one keyring session, not two).
            _ => {}
        }
        let worker_setup = self.worker_setup.as_ref()?;
        let reply = worker::start(
            worker::Start::ForkOf(self),
            worker_setup,
            name,
            &Want::ValidFor(min_valid),
        )?;
        Some(settle(
            name,
            reply.into_result(name),
            record.map(|r| r.tokens),
        ))
    }

    /// Tokens whose ID token is valid for at least `min_valid` (`tokdeck token
    /// --id-token`), or as fresh as the provider makes them: ID tokens often live
    /// shorter than access tokens, so one that expires sooner is refreshed for, once.
    /// Whether it lasts `min_valid` is the caller's to tell (and warn about).
    pub async fn fresh_id_token(
        &self,
        name: &str,
        min_valid: Duration,
    ) -> Result<TokenSet, EngineError> {
        let mut tokens = self.fresh_tokens(name, min_valid).await?.tokens;
        let want = Want::IdValidFor(min_valid);
        if !want.satisfied_by(&tokens) && tokens.refresh_token.is_some() {
            tokens = match &self.worker_setup {
                Some(worker_setup) => self.refresh_in_worker(worker_setup, name, want).await,
                None => self.refresh_with(name, want).await,
            }?;
        }
        let lifetime = tokens.id_token_lifetime();
        let why = match (&tokens.id_token, lifetime) {
            (None, _) => "holds no ID token (request the `openid` scope)".to_string(),
            (Some(_), Some(l)) if !l.valid_for(Utc::now(), Duration::ZERO) => {
                "holds an expired ID token, and no refresh brought a new one (the provider sends ID tokens at login only)".to_string()
            }
            _ => return Ok(tokens),
        };
        Err(EngineError::NeedsLogin {
            account: name.to_string(),
            reason: why,
        })
    }

    /// Refreshes now, whatever the expiry.
    pub async fn refresh(&self, name: &str) -> Result<TokenSet, EngineError> {
        match &self.worker_setup {
            Some(worker_setup) => {
                self.refresh_in_worker(worker_setup, name, Want::refresh_now())
                    .await
            }
            None => self.refresh_with(name, Want::refresh_now()).await,
        }
    }

    /// Refreshes under the account's lock unless the store, read again under the lock,
    /// already satisfies `want`. The rotated refresh token is saved before the new access
    /// token is returned; a failed refresh leaves the stored tokens as they were, except
    /// that `invalid_grant` marks the record `login_needed`.
    pub async fn refresh_with(&self, name: &str, want: Want) -> Result<TokenSet, EngineError> {
        let account = self.account(name)?;
        let _lock = self.lock(name).await?;
        log::debug!("'{name}': lock held");
        let mut record = self.load(name).await?;
        log::debug!("'{name}': record read under the lock");
        if let Some(held) = &record
            && let Err(e) = binding::check(account, held)
        {
            if !account.renews_alone() {
                return Err(e);
            }
            log::info!("'{name}': the stored tokens are another server's; getting new ones");
            record = None;
        }
        if let Some(tokens) = record.as_ref().and_then(|r| want.served(r)) {
            log::debug!("'{name}': the stored token is fresh enough; no refresh");
            return Ok(tokens);
        }
        // The dashboard's refresh of tokens that a logout (done while it waited for the
        // lock) deleted: fetching new ones would undo the logout.
        if record.is_none() && matches!(want, Want::Replace(_)) && self.was_logged_out(name) {
            return Err(EngineError::NeedsLogin {
                account: name.to_string(),
                reason: "was logged out".into(),
            });
        }
        let result = match (record, want.target(), account.by_exchange()) {
            (_, None, Some(by_exchange)) => self.derive(account, by_exchange).await,
            (Some(record), None, _) if record.tokens.refresh_token.is_some() => {
                self.refresh_record(account, record).await
            }
            (record, Some(target), _)
                if matches!(account.kind, Kind::Service { .. })
                    || record
                        .as_ref()
                        .is_some_and(|r| r.tokens.refresh_token.is_some()) =>
            {
                self.narrow(account, record, target).await
            }
            (other, _, _) if matches!(account.kind, Kind::Service { .. }) => self
                .client_credentials(account, other.as_ref())
                .await
                .map(|r| r.tokens),
            (other, _, _) => Err(no_refresh(name, other.as_ref(), Duration::ZERO)),
        }
        .map_err(|e| super::client_hint(account, e));
        match &result {
            Ok(tokens) => log::info!("refreshed '{name}'{}", super::expiry_for_log(tokens)),
            Err(e) => log::warn!("refresh of '{name}' failed: {e}"),
        }
        result
    }

    pub(super) async fn refresh_record(
        &self,
        account: &Account,
        record: TokenRecord,
    ) -> Result<TokenSet, EngineError> {
        let endpoints = self
            .bound_endpoints(account, &record, &[Need::Token])
            .await?;
        let token_endpoint = endpoints.token_endpoint.as_deref().unwrap_or_default();
        let http = self.http(&account.name)?;
        log::debug!("'{}': endpoints and HTTP client ready", account.name);
        let dpop = self.dpop_for(account, Some(&record.tokens))?;
        let client = self.client_of(account).await.with_dpop(dpop.clone());
        // The binding the refreshed record keeps, worked out before the grant: after it,
        // the rotated refresh token exists only in memory until it is saved.
        let metadata = self.metadata(account).await;
        let binding = match &record.binding {
            Some(b) if b.endpoints.is_some() => binding::grown(b, &metadata),
            // One reading of the metadata serves both (not a second cache read or fetch).
            _ => binding::widened(
                account,
                &record,
                &super::endpoints::known_from(account, &endpoints, metadata.clone()),
                &metadata,
            ),
        };
        match grants::refresh(
            &http,
            token_endpoint,
            &client,
            &request(account),
            &record.tokens,
        )
        .await
        {
            Ok(mut tokens) => {
                tokens.dpop_key = dpop.map(|d| d.stored());
                // A bad new ID token must not cost the rotated refresh token: save the
                // rest, drop the ID token, and say so.
                let checked = self.check_id_token(account, &tokens).await;
                log::debug!("'{}': ID token checked", account.name);
                if checked.is_err() {
                    tokens.id_token = None;
                }
                // Only a new ID token tells who the refresh was for: an access token's `sub`
                // may be another identifier of the same person (Entra's pairwise `sub`).
                let found = (tokens.id_token != record.tokens.id_token)
                    .then(|| identity::from_id_token(&tokens, &binding))
                    .flatten();
                if let (Some(pinned), Some(got)) = (&record.identity, &found)
                    && !pinned.same_person(got)
                {
                    return self
                        .refreshed_as_someone_else(account, record, &tokens, got)
                        .await;
                }
                let updated = TokenRecord {
                    tokens: tokens.clone(),
                    last_refresh: Some(tokens.issued_at),
                    login_needed: None,
                    unanswered_refresh: None,
                    identity: record.identity.clone().or(found),
                    binding: Some(binding),
                    ..record
                };
                self.save_issued(&account.name, updated).await?;
                match checked {
                    Ok(()) => Ok(tokens),
                    // The refresh itself worked; only the JWKS could not be fetched to
                    // check the new ID token, which was not kept. Not "the provider is
                    // unreachable", which would serve the old token as if nothing had been
                    // refreshed, and no reason to withhold the new access token.
                    Err(EngineError::OAuth {
                        source: OAuthError::Transport(e),
                        ..
                    }) => {
                        log::warn!(
                            "'{}': refreshed, but the new ID token could not be checked ({e}); it was not kept",
                            account.name
                        );
                        Ok(tokens)
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) if e.is_invalid_grant() => {
                let mut reason =
                    format!("cannot be refreshed: the provider rejected the refresh token ({e})");
                if let Some(at) = record.unanswered_refresh {
                    reason.push_str(&format!(
                        "; a refresh sent at {} got no answer: the provider most likely rotated the refresh token then, into an answer that never arrived",
                        at.format("%Y-%m-%d %H:%M:%S UTC")
                    ));
                }
                self.mark_login_needed(account, record, reason).await
            }
            Err(OAuthError::Transport(crate::oauth::http::TransportError::Timeout {
                url,
                secs,
            })) => {
                // Waited the whole REFRESH_ANSWER_WAIT: whatever the provider did with
                // the request is unknown; remember it for the next refusal.
                let mut marked = record;
                marked.unanswered_refresh = Some(Utc::now());
                self.save(&account.name, marked).await?;
                Err(oauth_error(
                    &account.name,
                    OAuthError::Transport(crate::oauth::http::TransportError::Timeout {
                        url,
                        secs,
                    }),
                ))
            }
            Err(e) => {
                self.keep_rotated(account, record, &e).await?;
                Err(oauth_error(&account.name, e))
            }
        }
    }

    /// An answer the provider gave, unusable but for its new refresh token: that token
    /// is kept (the old one may be spent), the rest of the record as it was.
    pub(super) async fn keep_rotated(
        &self,
        account: &Account,
        mut record: TokenRecord,
        e: &OAuthError,
    ) -> Result<(), EngineError> {
        let Some(rotated) = e.rotated() else {
            return Ok(());
        };
        log::warn!(
            "'{}': the provider's answer was refused ({e}); its new refresh token was kept",
            account.name
        );
        record.tokens.refresh_token = Some(rotated.clone());
        self.save_issued(&account.name, record).await
    }

    /// OIDC Core §12.2: a refreshed ID token must name the same `sub`. One that names
    /// another person fails the refresh: the new tokens are revoked and not kept, the old
    /// ones stay (their refresh token may be spent), and the account needs a login.
    async fn refreshed_as_someone_else(
        &self,
        account: &Account,
        record: TokenRecord,
        tokens: &TokenSet,
        got: &crate::token::Identity,
    ) -> Result<TokenSet, EngineError> {
        let pinned = record
            .identity
            .as_ref()
            .map(|i| i.who())
            .unwrap_or_default();
        let reason = format!(
            "was refreshed as {} (sub '{}'), not {pinned}; the new tokens were revoked and not kept",
            got.who(),
            got.sub
        );
        self.revoke_tokens(account, tokens, Some(got), Some(&record))
            .await;
        self.mark_login_needed(account, record, reason).await
    }

    /// Keeps `record` marked: only a login helps now, and every process knows it without
    /// asking the provider again.
    pub(super) async fn mark_login_needed(
        &self,
        account: &Account,
        record: TokenRecord,
        reason: String,
    ) -> Result<TokenSet, EngineError> {
        let marked = TokenRecord {
            login_needed: Some(reason.clone()),
            ..record
        };
        self.save(&account.name, marked).await?;
        Err(EngineError::NeedsLogin {
            account: account.name.clone(),
            reason,
        })
    }

    /// Starts the worker (see [`worker::start`]) and waits for its reply on a thread of
    /// its own; refreshes here when no worker can be started.
    async fn refresh_in_worker(
        &self,
        worker_setup: &WorkerSetup,
        name: &str,
        want: Want,
    ) -> Result<TokenSet, EngineError> {
        let (worker_setup, owned_name, owned_want) =
            (worker_setup.clone(), name.to_string(), want.clone());
        // This process has threads (the runtime's): the worker is a program, never a fork.
        let reply = tokio::task::spawn_blocking(move || {
            worker::start(
                worker::Start::Program,
                &worker_setup,
                &owned_name,
                &owned_want,
            )
        })
        .await
        .map_err(|e| EngineError::Worker(format!("the refresh worker's waiter failed: {e}")))?;
        match reply {
            Some(reply) => reply.into_result(name),
            None => self.refresh_with(name, want).await,
        }
    }
}
