//! Before a login: a client tokdeck registered that the server no longer knows (RFC 7592
//! read), or that its endpoints refuse (`invalid_client`), is registered again and
//! config.toml's `client_id` follows; the person is told.

use super::{ByHand, blocking, register, unregister};
use crate::config::{Account, Provider, Registration as HowRegistered};
use crate::engine::{Engine, EngineError, LoginObserver};
use crate::oauth::registration::{self as dcr, Read};
use crate::printable::printable;
use crate::store::registration::Registration;
use std::sync::Arc;

impl Engine {
    /// Before a login: the account as it is, or, when its dynamically registered client
    /// is no longer known to the server, with a client registered again (config.toml's
    /// `client_id` updated, and the observer told).
    pub(in crate::engine) async fn registered_again(
        &self,
        account: &Account,
        observer: &dyn LoginObserver,
    ) -> Result<Option<Account>, EngineError> {
        let provider = &account.provider;
        if provider.registration != HowRegistered::Dynamic {
            return Ok(None);
        }
        let kept = self.registration(provider).await?;
        let gone = match &kept {
            // Nothing kept here (another machine, a store emptied): a client of its own.
            None => true,
            // A confidential client whose secret has expired (RFC 7591 §3.2.1).
            Some(k)
                if k.client_secret_expires_at
                    .is_some_and(|at| at <= chrono::Utc::now()) =>
            {
                true
            }
            // config.toml names another client (edited by hand): it rules.
            Some(k) if k.client_id != provider.client_id => false,
            Some(
                kept @ Registration {
                    registration_client_uri: Some(uri),
                    registration_access_token: Some(token),
                    ..
                },
            ) => {
                let http = self.http(&account.name)?;
                match dcr::read(&http, uri, token).await {
                    Ok(Read::Gone) => true,
                    Ok(Read::Known(None)) => false,
                    // §2.1: the token the server wants used from now on is kept.
                    Ok(Read::Known(Some(rotated))) => {
                        let renewed = Registration {
                            registration_access_token: Some(rotated),
                            ..kept.clone()
                        };
                        let (place, name) = (self.registrations(), provider.name.clone());
                        if let Err(e) = blocking(move || place.save(&name, &renewed)).await {
                            log::warn!(
                                "'{}': the new registration access token could not be kept: {e}",
                                account.name
                            );
                        }
                        false
                    }
                    // A server that does not answer now says nothing of the client: the
                    // login goes on with it (a refusal would show there).
                    Err(e) => {
                        log::warn!(
                            "'{}': could not ask whether the client is still registered: {e}",
                            account.name
                        );
                        false
                    }
                }
            }
            // No way to ask: a client refused at the provider's endpoints (invalid_client)
            // is registered again then (see `login`).
            Some(_) => false,
        };
        if !gone {
            return Ok(None);
        }
        let why = match kept {
            None => format!(
                "no registration is kept here for client_id {} (it stays registered there; tokdeck cannot delete it without one)",
                provider.client_id
            ),
            Some(_) => "the client tokdeck registered there is no longer known".to_string(),
        };
        self.register_again(account, observer, &why).await.map(Some)
    }

    /// `account` with a client registered anew at its provider (config.toml's
    /// `client_id` updated, the observer told why).
    pub(in crate::engine) async fn register_again(
        &self,
        account: &Account,
        observer: &dyn LoginObserver,
        why: &str,
    ) -> Result<Account, EngineError> {
        let provider = &account.provider;
        // The server's metadata as it is now (a cached copy may predate its registration
        // endpoint).
        let issuer = provider.endpoints.issuer.as_deref().unwrap_or_default();
        let http = self.http(&account.name)?;
        let endpoints = crate::oauth::discovery::fetch(&http, issuer)
            .await
            .map_err(|e| crate::engine::oauth_error(&account.name, e))?;
        let registration = register(
            &self.client,
            &self.registrations(),
            &provider.name,
            &endpoints,
            &account.scopes,
            ByHand::Config,
        )
        .await?;
        if let Err(e) = self.write_client_id(&provider.name, &registration.client_id) {
            // Not left registered for a config that does not name it.
            let _ = unregister(
                &self.client,
                &self.registrations(),
                &provider.name,
                Some(&registration),
            )
            .await;
            return Err(e);
        }
        observer.note(&format!(
            "{why}: registered again at {} as client_id {} (config.toml updated)",
            printable(&registration.issuer),
            registration.client_id
        ));
        let mut renewed = account.clone();
        let mut new_provider = Provider::clone(provider);
        new_provider.client_id = registration.client_id;
        renewed.provider = Arc::new(new_provider);
        Ok(renewed)
    }

    fn write_client_id(&self, provider: &str, client_id: &str) -> Result<(), EngineError> {
        use crate::config::edit;
        let path = &self.paths.config_file;
        let failed = |e: edit::EditError| {
            EngineError::Refused(format!(
                "registered again as client_id {client_id}, but config.toml could not be updated ({e}); set `client_id = \"{client_id}\"` in [providers.{provider}]"
            ))
        };
        let before = std::fs::read_to_string(path).map_err(|e| {
            failed(edit::EditError::Write {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        })?;
        let after = edit::set_client_id(path, &before, provider, client_id).map_err(failed)?;
        edit::save(path, Some(&before), &after).map_err(failed)
    }
}
