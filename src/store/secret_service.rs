//! The Secret Service (gnome-keyring, KeePassXC, KWallet's bridge) over D-Bus, for the
//! keyring store on Linux: get, set and delete one item by its `service` and `username`
//! attributes, the schema of the keyring crate's store (entries written by tokdeck 0.1
//! and 0.2 are the same items).
//!
//! One connection per process, made on first use, with a **plain** session: the secret
//! goes over the user's own session-bus socket unencrypted, as the Secret Service
//! specification allows. The `dh-ietf1024-sha256-aes128-cbc-pkcs7` session protects only
//! against a bus eavesdropper, and on a session bus the only ones who can eavesdrop run
//! as the user (or root) and can ask the Secret Service for the same item directly; it
//! costs a 1024-bit Diffie-Hellman exchange, about 8 ms of the 10 ms a connection takes
//! here. SECURITY.md has the argument.

use super::StoreError;
use super::parts::Entries;
use secret_service::blocking::{Item, SecretService};
use secret_service::{EncryptionType, Error};
use std::collections::HashMap;
use std::sync::Mutex;

pub struct SecretServiceClient {
    /// Connected on first use; a failed connection is tried again by the next call.
    connection: Mutex<Option<SecretService<'static>>>,
}

impl SecretServiceClient {
    pub fn new() -> Self {
        Self {
            connection: Mutex::new(None),
        }
    }

    /// Runs `call` with the connection, connecting first when there is none.
    fn with<T>(
        &self,
        call: impl FnOnce(&SecretService<'static>) -> Result<T, Error>,
    ) -> Result<T, StoreError> {
        let mut guard = self
            .connection
            .lock()
            .map_err(|_| StoreError::Other("keyring: a keyring call panicked".into()))?;
        if guard.is_none() {
            let service = SecretService::connect(EncryptionType::Plain)
                .map_err(|e| StoreError::KeyringUnavailable(e.to_string()))?;
            *guard = Some(service);
        }
        match guard.as_ref() {
            Some(service) => call(service).map_err(map_error),
            None => Err(StoreError::KeyringUnavailable("no connection".into())),
        }
    }
}

impl Entries for SecretServiceClient {
    /// The secret of the item with these attributes, `None` when there is none.
    fn get(&self, service: &str, user: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|ss| match find(ss, service, user)? {
            Found::One(item) => item.get_secret().map(|s| Ok(Some(s))),
            Found::None => Ok(Ok(None)),
            Found::Many => Ok(Err(ambiguous())),
        })?
    }

    /// Sets the item's secret, creating the item in the default collection if needed.
    fn set(&self, service: &str, user: &str, secret: &[u8]) -> Result<(), StoreError> {
        self.with(|ss| {
            match find(ss, service, user)? {
                Found::One(item) => return item.set_secret(secret, CONTENT_TYPE).map(Ok),
                Found::Many => return Ok(Err(ambiguous())),
                Found::None => {}
            }
            let collection = ss.get_default_collection()?;
            if collection.is_locked()? {
                collection.unlock()?;
            }
            let label = format!("keyring:{user}@{service}");
            let attributes = attributes(service, user);
            collection.create_item(&label, attributes, secret, true, CONTENT_TYPE)?;
            Ok(Ok(()))
        })?
    }

    /// Deletes the item; no item is no error.
    fn delete(&self, service: &str, user: &str) -> Result<bool, StoreError> {
        self.with(|ss| match find(ss, service, user)? {
            Found::One(item) => item.delete().map(|()| Ok(true)),
            Found::None => Ok(Ok(false)),
            Found::Many => Ok(Err(ambiguous())),
        })?
    }

    /// The Secret Service holds secrets of any size.
    fn limit(&self) -> Option<usize> {
        None
    }
}

const CONTENT_TYPE: &str = "application/octet-stream";

fn attributes<'a>(service: &'a str, user: &'a str) -> HashMap<&'a str, &'a str> {
    HashMap::from([("service", service), ("username", user)])
}

enum Found<'a> {
    None,
    One(Item<'a>),
    /// Two items claim the account: tokdeck never guesses which.
    Many,
}

/// The item with these attributes, unlocked (which may prompt).
fn find<'a>(ss: &'a SecretService<'static>, service: &str, user: &str) -> Result<Found<'a>, Error> {
    let found = ss.search_items(attributes(service, user))?;
    if !found.locked.is_empty() {
        let locked: Vec<&Item> = found.locked.iter().collect();
        ss.unlock_all(&locked)?;
    }
    let mut items = found.unlocked.into_iter().chain(found.locked);
    Ok(match (items.next(), items.next()) {
        (None, _) => Found::None,
        (Some(item), None) => Found::One(item),
        (Some(_), Some(_)) => Found::Many,
    })
}

fn ambiguous() -> StoreError {
    StoreError::Other(
        "keyring: two entries match this account; delete one (seahorse, or `secret-tool clear`)"
            .into(),
    )
}

fn map_error(error: Error) -> StoreError {
    match error {
        Error::Locked | Error::Prompt | Error::PromptDisconnected => {
            StoreError::KeyringLocked(error.to_string())
        }
        // gnome-keyring answers so for a default collection that was never unlocked.
        Error::NoResult => {
            StoreError::KeyringLocked("the keyring has no open default collection".into())
        }
        Error::Unavailable => StoreError::KeyringUnavailable(error.to_string()),
        Error::ZbusFdo(zbus::fdo::Error::ServiceUnknown(e)) => StoreError::KeyringUnavailable(e),
        other => StoreError::Other(format!("keyring: {other}")),
    }
}
