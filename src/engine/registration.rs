//! Clients tokdeck registers itself (RFC 7591): registered when an account is added
//! from an API's URL or an issuer alone, checked before each login and registered again
//! when the server no longer knows them (the provider's `client_id` in config.toml is
//! updated and the user told), deleted with the last account that uses them (RFC 7592).

use super::{Engine, EngineError};
use crate::config::{Account, Paths, Provider, Registration as HowRegistered, StoreKind};
use crate::oauth::registration::{self as dcr, ClientMetadata, Known};
use crate::oauth::{Endpoints, ProviderClient};
use crate::printable::printable;
use crate::store::StoreError;
use crate::store::registration::{Place, Registration};

/// Where a store of `kind` keeps registrations: the keyring, or beside the token files.
pub fn place(paths: &Paths, kind: StoreKind) -> Place {
    match kind {
        StoreKind::Keyring => Place::Keyring {
            data_dir: paths.data_dir.clone(),
        },
        StoreKind::File => Place::Dir(paths.data_dir.join("registrations")),
    }
}

/// Where the person gives tokdeck a client registered by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByHand {
    /// `tokdeck add … --client-id ID`.
    CommandLine,
    /// The dashboard's add form, its Client ID field.
    AddForm,
    /// config.toml, for a provider that is there (a login that registers again).
    Config,
}

/// What to register by hand when the server will not let tokdeck register itself, and
/// where its ID goes then.
pub fn by_hand(issuer: &str, provider: &str, by: ByHand) -> String {
    let issuer = printable(issuer);
    let then = match by {
        ByHand::CommandLine => format!(
            "Then run the same command with --issuer {issuer} --client-id ID (it goes to `client_id` in [providers.{provider}])"
        ),
        ByHand::AddForm => "Then type its ID as the Client ID".to_string(),
        ByHand::Config => format!(
            "Then set `client_id = \"ID\"` in [providers.{provider}] and remove its `registration = \"dynamic\"`"
        ),
    };
    format!(
        "register a client for tokdeck at {issuer} by hand: a public (native) client, no secret, PKCE S256, redirect URI http://127.0.0.1/callback (any port), grant types authorization_code and refresh_token. {then}"
    )
}

/// The server's registration endpoint, or what to register by hand when it has none.
pub fn registration_endpoint<'e>(
    endpoints: &'e Endpoints,
    provider: &str,
    by: ByHand,
) -> Result<&'e str, EngineError> {
    endpoints.registration_endpoint.as_deref().ok_or_else(|| {
        let issuer = endpoints.issuer.as_deref().unwrap_or_default();
        EngineError::Refused(format!(
            "{} offers no dynamic client registration (no `registration_endpoint` in its metadata, RFC 7591): {}",
            printable(issuer),
            by_hand(issuer, provider, by)
        ))
    })
}

/// Registers tokdeck at the server of `endpoints` for `scopes`, and keeps what it
/// returned under `provider` in `place`.
pub async fn register(
    client: &ProviderClient,
    place: &Place,
    provider: &str,
    endpoints: &Endpoints,
    scopes: &[String],
    by: ByHand,
) -> Result<Registration, EngineError> {
    let issuer = endpoints.issuer.clone().unwrap_or_default();
    let endpoint = registration_endpoint(endpoints, provider, by)?;
    let http = client
        .http()
        .map_err(|e| EngineError::Refused(e.to_string()))?;
    let mut grant_types = vec![
        "authorization_code".to_string(),
        "refresh_token".to_string(),
    ];
    if endpoints.device_authorization_endpoint.is_some() {
        grant_types.push("urn:ietf:params:oauth:grant-type:device_code".into());
    }
    // A registration kept under this name from before (a provider removed by hand, a
    // client the server forgot) is not overwritten and lost: deleted at its server first.
    let (earlier_place, name) = (place.clone(), provider.to_string());
    if let Ok(Some(earlier)) = blocking(move || earlier_place.load(&name)).await
        && let (Some(uri), Some(token)) = (
            &earlier.registration_client_uri,
            &earlier.registration_access_token,
        )
        && same_transport(uri, &earlier.issuer)
        && let Err(e) = dcr::delete(&http, uri, token).await
    {
        log::warn!(
            "the earlier registration of '{provider}' (client_id {}) could not be deleted: {e}",
            earlier.client_id
        );
    }
    let metadata = ClientMetadata::native(grant_types, scopes);
    let registered = dcr::register(&http, endpoint, &metadata)
        .await
        .map_err(|e| {
            EngineError::Refused(format!(
                "registering tokdeck at {} failed: {e}; {}",
                printable(&issuer),
                by_hand(&issuer, provider, by)
            ))
        })?;
    // The management URI gets the registration access token: only a place of the
    // server's own kind (https, or loopback http for a server on this machine).
    let manage = registered
        .registration_client_uri
        .clone()
        .filter(|uri| same_transport(uri, &issuer))
        .zip(registered.registration_access_token.clone());
    // A server may make the client confidential whatever was asked (RFC 7591 §3.2.1):
    // its secret is kept with the registration and sent as tokdeck sends secrets, with
    // client_secret_basic; another method is not one tokdeck speaks.
    let method = registered.token_endpoint_auth_method.as_deref();
    let secret = registered.client_secret.clone().filter(|s| !s.is_empty());
    let speaks = matches!(
        (&secret, method),
        (None, None | Some("none")) | (Some(_), None | Some("client_secret_basic"))
    );
    if !speaks {
        if let Some((uri, token)) = &manage {
            let _ = dcr::delete(&http, uri, token).await;
        }
        return Err(EngineError::Refused(format!(
            "{} registered tokdeck for client authentication '{}'{}, which tokdeck does not use (it asked for none, and sends a secret with client_secret_basic); the registration was deleted again. {}",
            printable(&issuer),
            printable(method.unwrap_or("client_secret_basic")),
            if secret.is_some() {
                " with a secret"
            } else {
                " without a secret"
            },
            by_hand(&issuer, provider, by)
        )));
    }
    let client_secret_expires_at = registered
        .client_secret_expires_at
        .filter(|at| *at > 0)
        .and_then(|at| chrono::DateTime::from_timestamp(at, 0));
    let (registration_client_uri, registration_access_token) = match manage {
        Some((uri, token)) => (Some(uri), Some(token)),
        None => (None, None),
    };
    let registration = Registration {
        issuer,
        client_id: registered.client_id,
        client_secret: secret,
        registration_access_token,
        registration_client_uri,
        registered_at: chrono::Utc::now(),
        client_secret_expires_at,
    };
    let (kept, name) = (registration.clone(), provider.to_string());
    let place = place.clone();
    if let Err(e) = blocking(move || place.save(&name, &kept)).await {
        // A registration that cannot be kept is not left behind at the server.
        let undone = match (
            &registration.registration_client_uri,
            &registration.registration_access_token,
        ) {
            (Some(uri), Some(token)) => match dcr::delete(&http, uri, token).await {
                Ok(_) => "the registration was deleted there again".to_string(),
                Err(d) => format!(
                    "client_id {} stays registered there ({d})",
                    registration.client_id
                ),
            },
            _ => format!(
                "client_id {} stays registered there (it cannot be deleted)",
                registration.client_id
            ),
        };
        return Err(EngineError::Refused(format!(
            "tokdeck registered at {} but cannot keep the registration: {e}; {undone}",
            printable(&registration.issuer)
        )));
    }
    Ok(registration)
}

/// https, or http on the loopback interface when the issuer is there too.
fn same_transport(uri: &str, issuer: &str) -> bool {
    match (url::Url::parse(uri), url::Url::parse(issuer)) {
        (Ok(u), Ok(i)) => crate::oauth::http::may_carry_secrets(&u, &i),
        (Ok(u), Err(_)) => u.scheme() == "https",
        _ => false,
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, EngineError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| EngineError::Refused(format!("the store's thread failed: {e}")))?
        .map_err(EngineError::from)
}

impl Engine {
    /// The client tokdeck acts as for `account`: as configured, with the secret a
    /// server gave when it registered tokdeck (kept in the store, never in config.toml).
    pub(crate) async fn client_of(&self, account: &Account) -> crate::oauth::Client {
        let mut client = super::client(account);
        let provider = &account.provider;
        if provider.registration == HowRegistered::Dynamic && client.client_secret.is_none() {
            // A registration that cannot be read leaves the client as configured (a
            // public one): a server that wants the secret says so (invalid_client).
            client.client_secret = match self.registration(provider).await {
                Ok(kept) => kept
                    .filter(|kept| kept.client_id == provider.client_id)
                    .and_then(|kept| kept.client_secret),
                Err(e) => {
                    log::warn!("'{}': {e}", account.name);
                    None
                }
            };
        }
        client
    }

    /// Where this engine's store keeps registrations.
    pub fn registrations(&self) -> Place {
        place(&self.paths, self.config.store)
    }

    /// The registration kept for `provider` (a dynamic one), refused when another
    /// issuer made it: its tokens go nowhere else.
    pub async fn registration(
        &self,
        provider: &Provider,
    ) -> Result<Option<Registration>, EngineError> {
        let (place, name) = (self.registrations(), provider.name.clone());
        let Some(found) = blocking(move || place.load(&name)).await? else {
            return Ok(None);
        };
        let issuer = provider.endpoints.issuer.as_deref().unwrap_or_default();
        if found.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
            return Err(EngineError::Refused(format!(
                "the client registration kept for provider '{}' was made by {}, not by its issuer {}: tokdeck will not use it. Run `tokdeck remove` and add the account again",
                provider.name,
                printable(&found.issuer),
                printable(issuer)
            )));
        }
        Ok(Some(found))
    }

    /// Deletes `provider`'s registration at the server (RFC 7592) and here; what became
    /// of it, in words.
    pub async fn unregister(&self, provider: &Provider) -> Result<String, EngineError> {
        match self.registration(provider).await {
            Ok(kept) => {
                unregister(
                    &self.client,
                    &self.registrations(),
                    &provider.name,
                    kept.as_ref(),
                )
                .await
            }
            // Not one tokdeck may use (another issuer's), or not readable: forgotten here
            // all the same, so that the provider can go.
            Err(e) => {
                let (place, name) = (self.registrations(), provider.name.clone());
                let _ = blocking(move || place.delete(&name)).await;
                Ok(format!(
                    "its client registration was not deleted at the server ({e}); it was forgotten here"
                ))
            }
        }
    }
}

/// Deletes the registration `kept` at its server (RFC 7592) and `provider`'s entry in
/// `place`; what became of it, in words.
pub async fn unregister(
    client: &ProviderClient,
    place: &Place,
    provider: &str,
    kept: Option<&Registration>,
) -> Result<String, EngineError> {
    let note = match kept {
        None => "no client registration was kept for it".to_string(),
        Some(Registration {
            registration_client_uri: Some(uri),
            registration_access_token: Some(token),
            issuer,
            client_id,
            ..
        }) => {
            let deleted = match client.http() {
                Ok(http) => dcr::delete(&http, uri, token).await,
                Err(e) => Err(e),
            };
            match deleted {
                Ok(Known::Yes) => {
                    format!(
                        "its client registration at {} was deleted",
                        printable(issuer)
                    )
                }
                Ok(Known::Gone) => format!(
                    "its client registration at {} was already gone there",
                    printable(issuer)
                ),
                // Not kept here for a later try: the account it served is going.
                Err(e) => format!(
                    "its client registration at {} could not be deleted ({e}): client_id {client_id} stays registered there",
                    printable(issuer)
                ),
            }
        }
        Some(r) => format!(
            "{} does not let clients delete their registration (no RFC 7592 management): client_id {} stays registered there",
            printable(&r.issuer),
            r.client_id
        ),
    };
    let (place, name) = (place.clone(), provider.to_string());
    blocking(move || place.delete(&name)).await?;
    Ok(note)
}

mod renew;
#[cfg(test)]
mod tests;
