//! One OS keyring entry per account (Secret Service, macOS Keychain, Windows Credential
//! Manager), holding the account's record as JSON. A keyring set replaces the whole
//! secret in one call, so a record is never half-written.

use super::{StoreError, TokenRecord, TokenStore};
use keyring::{Entry, Error};

/// The keyring "service" under which every tokdeck entry is filed.
pub const SERVICE: &str = "tokdeck";

pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub fn new() -> Self {
        Self {
            service: SERVICE.to_string(),
        }
    }

    fn entry(&self, account: &str) -> Result<Entry, StoreError> {
        if let Err(e) = Entry::store_status() {
            return Err(StoreError::KeyringUnavailable(e.to_string()));
        }
        Entry::new(&self.service, account).map_err(map_error)
    }
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new()
    }
}

fn map_error(error: Error) -> StoreError {
    match error {
        Error::NoStorageAccess(e) => StoreError::KeyringLocked(e.to_string()),
        Error::PlatformFailure(e) => StoreError::KeyringUnavailable(e.to_string()),
        Error::NoDefaultStore => {
            StoreError::KeyringUnavailable("no keyring store for this platform".into())
        }
        other => StoreError::Other(format!("keyring: {other}")),
    }
}

impl TokenStore for KeyringStore {
    fn load(&self, account: &str) -> Result<Option<TokenRecord>, StoreError> {
        match self.entry(account)?.get_password() {
            Ok(json) => {
                TokenRecord::from_json(&json, &format!("keyring entry '{SERVICE}/{account}'"))
                    .map(Some)
            }
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    fn save(&self, account: &str, record: &TokenRecord) -> Result<(), StoreError> {
        self.entry(account)?
            .set_password(&record.to_json()?)
            .map_err(map_error)
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e)),
        }
    }
}
