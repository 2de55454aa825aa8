//! One OS keyring entry per account (Secret Service, macOS Keychain, Windows Credential
//! Manager), holding the account's record as JSON. A keyring set replaces the whole
//! secret in one call, so a record is never half-written; a record larger than the
//! platform's entries (Windows: 2560 bytes) is kept in parts under a manifest, which
//! readers see change at once ([`super::parts`]).
//!
//! Entries are filed under a service name that includes the data directory
//! (`tokdeck:/home/me/.local/share/tokdeck`), so two configs (two `TOKDECK_HOME`s) with
//! an account of the same name never share an entry. Entries of tokdeck before 0.2 (service
//! `tokdeck`) are moved under the new name once per data directory.

use super::parts::Parted;
use super::{StoreError, TokenStore, WriteLock};
use crate::token::TokenRecord;
use std::path::{Path, PathBuf};

#[cfg(target_os = "linux")]
pub(super) type Backend = super::secret_service::SecretServiceClient;
#[cfg(not(target_os = "linux"))]
pub(super) type Backend = super::os_keyring::OsKeyring;

/// The keyring "service" of entries written before they were namespaced.
pub const LEGACY_SERVICE: &str = "tokdeck";
/// Marks a data directory whose legacy entries were migrated.
const MIGRATED_MARKER: &str = "keyring-migrated";

pub struct KeyringStore {
    backend: Parted<Backend>,
    service: String,
    data_dir: PathBuf,
    /// The config's accounts, whose legacy entries are migrated before the first call
    /// (inside that call, so within its timeout: a hung keyring hangs nothing else).
    accounts: Vec<String>,
    migrated: std::sync::Once,
    /// The access tokens in the kernel's user keyring, in front of the Secret Service.
    #[cfg(target_os = "linux")]
    cache: super::kernel_cache::KernelCache,
}

impl KeyringStore {
    pub fn new(data_dir: &Path, accounts: Vec<String>) -> Self {
        Self {
            backend: Parted::new(Backend::new()),
            service: service_for(data_dir),
            data_dir: data_dir.to_path_buf(),
            accounts,
            migrated: std::sync::Once::new(),
            #[cfg(target_os = "linux")]
            cache: super::kernel_cache::KernelCache::new(data_dir),
        }
    }

    fn migrate_once(&self) {
        self.migrated
            .call_once(|| self.migrate_legacy(self.accounts.iter().map(String::as_str)));
    }

    fn get(&self, service: &str, account: &str) -> Result<Option<TokenRecord>, StoreError> {
        let Some(secret) = self.backend.read(service, account)? else {
            return Ok(None);
        };
        let location = format!("keyring entry '{service}/{account}'");
        let json = String::from_utf8(secret).map_err(|_| StoreError::Corrupt {
            location: location.clone(),
            reason: "not UTF-8".into(),
        })?;
        TokenRecord::from_json(&json, &location).map(Some)
    }

    /// Moves the legacy entries of `accounts` under this store's service, once per data
    /// directory: afterwards a legacy entry left behind belongs to another config and is
    /// never read here. An entry that already exists under the new name is kept.
    fn migrate_legacy<'a>(&self, accounts: impl Iterator<Item = &'a str>) {
        let marker = self.data_dir.join(MIGRATED_MARKER);
        if marker.exists() {
            return;
        }
        for account in accounts {
            match self.migrate_one(account) {
                Ok(true) => log::info!(
                    "moved the keyring entry of '{account}' to '{}'",
                    self.service
                ),
                Ok(false) => {}
                // Try again next time rather than lose the entry.
                Err(e) => {
                    log::warn!("cannot migrate the keyring entry of '{account}': {e}");
                    return;
                }
            }
        }
        let _ = std::fs::create_dir_all(&self.data_dir).and_then(|()| {
            crate::files::write_no_follow(&marker, b"legacy keyring entries migrated\n")
        });
    }

    fn migrate_one(&self, account: &str) -> Result<bool, StoreError> {
        let Some(record) = self.get(LEGACY_SERVICE, account)? else {
            return Ok(false);
        };
        if self.get(&self.service, account)?.is_none() {
            self.put(account, &record)?;
        }
        let _lock = self.write_lock(account)?;
        self.backend.delete(LEGACY_SERVICE, account)?;
        Ok(true)
    }
}

/// The service name of a data directory's entries.
/// The keyring service of the client keys of a data directory (`client_key =
/// "keyring"`), one entry per provider.
fn client_key_service(data_dir: &Path) -> String {
    format!("tokdeck-client-key:{}", data_dir.display())
}

/// The PEM of `provider`'s client key, as `tokdeck client-key import` stored it.
pub fn client_key(data_dir: &Path, provider: &str) -> Result<Option<String>, StoreError> {
    let service = client_key_service(data_dir);
    match Parted::new(Backend::new()).read(&service, provider)? {
        Some(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| StoreError::Corrupt {
                location: format!("keyring entry '{service}/{provider}'"),
                reason: "not UTF-8 text".into(),
            }),
        None => Ok(None),
    }
}

/// Stores (or replaces) `provider`'s client key.
pub fn set_client_key(data_dir: &Path, provider: &str, pem: &str) -> Result<(), StoreError> {
    // An RSA-4096 key's PEM is over Windows' 2560 bytes: kept in parts there.
    Parted::new(Backend::new()).write(&client_key_service(data_dir), provider, pem.as_bytes())
}

/// Deletes `provider`'s client key (nothing to delete is not an error).
pub fn delete_client_key(data_dir: &Path, provider: &str) -> Result<(), StoreError> {
    Parted::new(Backend::new()).delete(&client_key_service(data_dir), provider)
}

/// The service name of a data directory's entries.
pub fn service_for(data_dir: &Path) -> String {
    format!("{LEGACY_SERVICE}:{}", data_dir.display())
}

impl TokenStore for KeyringStore {
    /// The kernel's copy of the access token: no D-Bus, no keyring daemon.
    #[cfg(target_os = "linux")]
    fn peek(&self, account: &str) -> Option<super::Peek> {
        Some(
            self.cache
                .get(account)
                .map_or(super::Peek::Unknown, super::Peek::AccessOnly),
        )
    }

    fn load(&self, account: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.migrate_once();
        let record = self.get(&self.service, account)?;
        match &record {
            Some(record) => self.cached(account, record),
            None => self.uncache(account),
        }
        Ok(record)
    }

    fn save(&self, account: &str, record: &TokenRecord) -> Result<(), StoreError> {
        self.migrate_once();
        // The old copy goes first: a failed save must not leave a newer cache than store.
        self.uncache(account);
        self.put(account, record)?;
        self.cached(account, record);
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.migrate_once();
        self.uncache(account);
        let _lock = self.write_lock(account)?;
        self.backend.delete(&self.service, account)
    }
}

impl KeyringStore {
    #[cfg(target_os = "linux")]
    fn cached(&self, account: &str, record: &TokenRecord) {
        self.cache.put(account, record, chrono::Utc::now());
    }

    #[cfg(target_os = "linux")]
    fn uncache(&self, account: &str) {
        self.cache.remove(account);
    }

    #[cfg(not(target_os = "linux"))]
    fn cached(&self, _account: &str, _record: &TokenRecord) {}

    #[cfg(not(target_os = "linux"))]
    fn uncache(&self, _account: &str) {}

    fn put(&self, account: &str, record: &TokenRecord) -> Result<(), StoreError> {
        let json = record.to_json()?;
        let _lock = self.write_lock(account)?;
        self.backend.write(&self.service, account, json.as_bytes())
    }

    /// Writers of one account's entries, one at a time across processes.
    fn write_lock(&self, account: &str) -> Result<WriteLock, StoreError> {
        WriteLock::take(&self.data_dir.join("locks"), account)
    }
}
