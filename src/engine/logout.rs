//! Ending an account's tokens: revocation at the provider (RFC 7009), deletion here, and
//! optionally the end of the provider's browser session (OIDC RP-Initiated Logout 1.0).

use super::{Engine, EngineError, binding};
use crate::config::Account;
use crate::oauth::OAuthError;
use crate::oauth::discovery::Need;
use crate::oauth::end_session::EndSession;
use crate::oauth::grants::{self, TokenKind};
use crate::secret::Secret;
use crate::store;
use crate::token::Identity;
use crate::token::TokenSet;
use chrono::Utc;

/// What logout did at the provider.
#[derive(Debug, Default)]
pub struct LogoutReport {
    pub revoked: Vec<&'static str>,
    pub notes: Vec<String>,
    /// The provider's end-session request, for the browser (`--end-session`).
    pub end_session: Option<EndSession>,
}

/// How to log out.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogoutOptions {
    /// Delete the tokens here even when the provider cannot be reached to revoke them.
    pub local: bool,
    /// Also end the provider's browser session, so the next login can pick another person.
    pub end_session: bool,
}

impl Engine {
    /// Deletes the account's tokens here without asking the provider to revoke them.
    pub async fn forget(&self, name: &str) -> Result<(), EngineError> {
        self.account(name)?;
        self.delete(name).await?;
        store::mark_logged_out(&self.paths.data_dir, name);
        log::info!("deleted the tokens of '{name}' without revoking them");
        Ok(())
    }

    /// Deletes the stored tokens (and with them the pinned person) under the lock.
    pub(crate) async fn delete(&self, name: &str) -> Result<(), EngineError> {
        let _lock = self.lock(name).await?;
        self.delete_locked(name).await
    }

    /// Deletes the stored tokens; the caller holds the account's lock.
    async fn delete_locked(&self, name: &str) -> Result<(), EngineError> {
        let owned = name.to_string();
        store::run_bounded(&self.store, move |s| s.delete(&owned)).await?;
        store::mark_changed(&self.paths.data_dir);
        Ok(())
    }

    /// Revokes the refresh token, then the access token (RFC 7009), where the provider
    /// offers revocation; then deletes the tokens locally in any case.
    /// With `local`, the tokens are deleted even when the provider cannot be reached;
    /// without it, an unreachable provider keeps them (and says so), since a refresh
    /// token that was not revoked stays usable at the provider. Tokens issued by another
    /// server than the one configured now are never sent anywhere: only `local` deletes
    /// them.
    pub async fn logout(
        &self,
        name: &str,
        options: LogoutOptions,
    ) -> Result<LogoutReport, EngineError> {
        let account = self.account(name)?;
        // Held from the read to the delete: a refresh in between would save a rotated
        // refresh token that the delete then drops unrevoked, its grant still live.
        let _lock = self.lock(name).await?;
        let Some(record) = self.load(name).await? else {
            let mut report = LogoutReport::default();
            report
                .notes
                .push(format!("account '{name}' held no tokens"));
            return Ok(report);
        };
        let mut report = match self.revocation_allowed(account, &record).await {
            Ok(()) => {
                self.revoke(
                    account,
                    &record.tokens,
                    record.identity.as_ref(),
                    Some(&record),
                    options.local,
                )
                .await?
            }
            Err(e) if options.local => LogoutReport {
                notes: vec![format!(
                    "{e}; they were deleted here without revoking them, so the grant is still live at the server that issued them"
                )],
                ..LogoutReport::default()
            },
            Err(e) => return Err(e),
        };
        if options.end_session {
            match self.end_session(account, &record).await {
                Ok(url) => report.end_session = Some(url),
                Err(note) => report.notes.push(note),
            }
        }
        self.delete_locked(name).await?;
        store::mark_logged_out(&self.paths.data_dir, name);
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

    /// The stored tokens may go to the revocation endpoint known now: their server and
    /// client are the configured ones, and the endpoint is where they were bound (an
    /// endpoint the provider does not offer is no refusal: nothing is sent).
    async fn revocation_allowed(
        &self,
        account: &Account,
        record: &crate::token::TokenRecord,
    ) -> Result<(), EngineError> {
        binding::check(account, record)?;
        match self.endpoints(account, &[Need::Revocation]).await {
            Ok(endpoints) => {
                self.check_bound(account, record, &endpoints, &[Need::Revocation])
                    .await
            }
            Err(_) => Ok(()),
        }
    }

    /// Revokes `tokens` where the provider can, never failing: for tokens tokdeck does
    /// not keep (another person's, or the person an account is no longer).
    /// `bound`: the record the tokens came from or with, whose binding decides where they
    /// may go (`None`: tokens issued just now by the endpoints configured now).
    pub(crate) async fn revoke_tokens(
        &self,
        account: &Account,
        tokens: &TokenSet,
        person: Option<&Identity>,
        bound: Option<&crate::token::TokenRecord>,
    ) -> LogoutReport {
        self.revoke(account, tokens, person, bound, true)
            .await
            .unwrap_or_else(|e| LogoutReport {
                notes: vec![e.to_string()],
                ..LogoutReport::default()
            })
    }

    /// Other accounts of this config that hold tokens of `person` at the same server and
    /// client: at many providers (oidc-provider, Keycloak) they share one grant, and
    /// revoking a refresh token ends the whole grant, theirs too.
    async fn sharing_grant(&self, account: &Account, person: Option<&Identity>) -> Vec<String> {
        // Exchanged tokens are a grant of their own (RFC 8693): nothing to share.
        let Some(person) = person.filter(|_| account.by_exchange().is_none()) else {
            return Vec::new();
        };
        let mut sharing = Vec::new();
        for other in self.config.accounts.values() {
            if other.name == account.name
                || other.by_exchange().is_some()
                || !super::binding::same_server(other, account)
                || other.provider.client_id != account.provider.client_id
            {
                continue;
            }
            // One whose refresh token is gone or was rejected has no grant to keep.
            if let Ok(Some(record)) = self.load_bound(&other.name).await
                && record.login_needed.is_none()
                && record.tokens.refresh_token.is_some()
                && record
                    .identity
                    .as_ref()
                    .is_some_and(|i| i.same_person(person))
            {
                sharing.push(other.name.clone());
            }
        }
        sharing
    }

    /// Revokes `tokens`; with `bound`, only at the revocation endpoint its record was
    /// bound to (anything else is refused before it is sent, and said).
    async fn revoke(
        &self,
        account: &Account,
        tokens: &TokenSet,
        person: Option<&Identity>,
        bound: Option<&crate::token::TokenRecord>,
        local: bool,
    ) -> Result<LogoutReport, EngineError> {
        let name = account.name.as_str();
        let mut report = LogoutReport::default();
        let sharing = self.sharing_grant(account, person).await;
        if !sharing.is_empty() {
            report.notes.push(format!(
                "not revoked at the provider: {} the same person at the same client, and revoking would end that grant too; the tokens were deleted here only",
                match sharing.as_slice() {
                    [one] => format!("account '{one}' holds"),
                    many => format!("accounts '{}' hold", many.join("', '")),
                }
            ));
            return Ok(report);
        }
        let endpoints = match self.endpoints(account, &[Need::Revocation]).await {
            Ok(endpoints) => endpoints,
            Err(EngineError::OAuth {
                source: OAuthError::MissingEndpoint { .. },
                ..
            }) => {
                report.notes.push(format!(
                    "provider '{}' offers no revocation endpoint; the tokens were deleted locally only",
                    account.provider.name
                ));
                return Ok(report);
            }
            Err(e) => {
                report
                    .notes
                    .push(format!("could not revoke at the provider: {e}"));
                return Ok(report);
            }
        };
        if let Some(record) = bound
            && let Err(e) = self
                .check_bound(account, record, &endpoints, &[Need::Revocation])
                .await
        {
            report
                .notes
                .push(format!("not revoked at the provider: {e}"));
            return Ok(report);
        }
        let url = endpoints.revocation_endpoint.as_deref().unwrap_or_default();
        let http = self.http(name)?;
        let client = self.client_of(account).await.with_dpop(self.key_of(tokens));
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
                    return Err(EngineError::RevokeUnreachable {
                        account: name.to_string(),
                        reason: e.to_string(),
                    });
                }
                Err(e) => report.notes.push(format!(
                    "could not revoke the {label} ({e}); it stays valid at the provider until it expires"
                )),
            }
        }
        Ok(report)
    }

    /// RP-Initiated Logout 1.0 §2: the end-session request with `id_token_hint` and
    /// `client_id` (and `post_logout_redirect_uri` + `state` when configured); `Err`
    /// says why there is none.
    async fn end_session(
        &self,
        account: &Account,
        record: &crate::token::TokenRecord,
    ) -> Result<EndSession, String> {
        let tokens = &record.tokens;
        let provider = &account.provider.name;
        let endpoints = self
            .endpoints(account, &[Need::EndSession])
            .await
            .map_err(|e| match e {
                EngineError::OAuth {
                    source: OAuthError::MissingEndpoint { .. },
                    ..
                } => format!(
                    "provider '{provider}' offers no end-session endpoint (end_session_endpoint), so its browser session goes on; sign out there yourself to pick another person at the next login"
                ),
                other => format!("cannot end the browser session: {other}"),
            })?;
        self.check_bound(account, record, &endpoints, &[Need::EndSession])
            .await
            .map_err(|e| format!("the browser session was not ended: {e}"))?;
        let mut fields = Vec::new();
        if let Some(id_token) = &tokens.id_token {
            fields.push(("id_token_hint".to_string(), id_token.clone()));
        }
        fields.push((
            "client_id".to_string(),
            Secret::new(account.provider.client_id.clone()),
        ));
        if let Some(redirect) = &account.provider.post_logout_redirect_uri {
            let state = oauth2::CsrfToken::new_random();
            fields.push((
                "post_logout_redirect_uri".into(),
                Secret::new(redirect.clone()),
            ));
            fields.push(("state".into(), Secret::new(state.secret().clone())));
        }
        Ok(EndSession {
            endpoint: endpoints.end_session_endpoint.unwrap_or_default(),
            fields,
        })
    }
}
