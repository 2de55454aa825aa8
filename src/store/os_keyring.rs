//! The macOS Keychain and the Windows Credential Manager, through the keyring crate:
//! get, set and delete one entry by service and account, as
//! [`super::secret_service`] does on Linux.

use super::StoreError;
use super::parts::Entries;
use keyring::{Entry, Error};

pub struct OsKeyring;

impl OsKeyring {
    pub fn new() -> Self {
        Self
    }

    fn entry(service: &str, user: &str) -> Result<Entry, StoreError> {
        if let Err(e) = Entry::store_status() {
            return Err(StoreError::KeyringUnavailable(e.to_string()));
        }
        Entry::new(service, user).map_err(map_error)
    }
}

impl Entries for OsKeyring {
    fn get(&self, service: &str, user: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match Self::entry(service, user)?.get_secret() {
            Ok(secret) => Ok(Some(secret)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    fn set(&self, service: &str, user: &str, secret: &[u8]) -> Result<(), StoreError> {
        Self::entry(service, user)?
            .set_secret(secret)
            .map_err(map_error)
    }

    fn delete(&self, service: &str, user: &str) -> Result<bool, StoreError> {
        match Self::entry(service, user)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(e)),
        }
    }

    /// Windows' `CRED_MAX_CREDENTIAL_BLOB_SIZE`; the macOS Keychain has no small limit.
    fn limit(&self) -> Option<usize> {
        cfg!(windows).then_some(2560)
    }
}

fn map_error(error: Error) -> StoreError {
    match error {
        Error::NoStorageAccess(e) => StoreError::KeyringLocked(e.to_string()),
        Error::PlatformFailure(e) => StoreError::KeyringUnavailable(e.to_string()),
        Error::NoDefaultStore => {
            StoreError::KeyringUnavailable("no keyring store for this platform".into())
        }
        Error::TooLong(what, limit) => StoreError::TooLong {
            what,
            limit: limit as usize,
        },
        other => StoreError::Other(format!("keyring: {other}")),
    }
}
