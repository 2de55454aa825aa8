//! A copy of each account's access token in the Linux kernel's user keyring (keyrings(7),
//! `@u`), in front of the Secret Service, which stays the store of record. A cached
//! `tokdeck token` then costs two system calls instead of a D-Bus session with the
//! keyring daemon.
//!
//! What is kept: the access token with its type, times, scopes and binding, never the
//! refresh token or the ID token. Each key is readable by its possessor only (the user's
//! own processes; never other users) and carries the token's remaining lifetime as its
//! timeout, so the kernel drops it when the token expires. Every save of the account
//! (login, refresh) replaces it; a logout or a delete invalidates it. SECURITY.md has
//! the argument.

use crate::token::TokenRecord;
use linux_keyutils::{KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};
use std::path::Path;

/// How long a token without a known lifetime stays cached before the Secret Service is
/// asked again.
const NO_EXPIRY_TTL_SECS: i64 = 10 * 60;

pub struct KernelCache {
    /// `tokdeck:<data dir>:` — the same namespace as the Secret Service entries.
    prefix: String,
}

impl KernelCache {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            prefix: format!("{}:", super::keyring::service_for(data_dir)),
        }
    }

    fn description(&self, account: &str) -> String {
        format!("{}{account}", self.prefix)
    }

    fn keyring() -> Option<KeyRing> {
        KeyRing::from_special_id(KeyRingIdentifier::User, false).ok()
    }

    /// The cached copy of `account`'s record (access token only), if the kernel still
    /// holds one.
    pub fn get(&self, account: &str) -> Option<TokenRecord> {
        let key = Self::keyring()?.search(&self.description(account)).ok()?;
        let bytes = key.read_to_vec().ok()?;
        let record: TokenRecord = serde_json::from_slice(&bytes).ok()?;
        // Only ever the access token: a copy with more is not ours.
        let tokens = &record.tokens;
        (tokens.refresh_token.is_none() && tokens.id_token.is_none() && tokens.dpop_key.is_none())
            .then_some(record)
    }

    /// Caches the access token of `record`; failures only cost a later Secret Service
    /// call, so they are logged, not returned.
    pub fn put(&self, account: &str, record: &TokenRecord, now: chrono::DateTime<chrono::Utc>) {
        let ttl = match record.tokens.remaining(now) {
            Some(left) if left.num_seconds() <= 0 => return self.remove(account),
            Some(left) => left.num_seconds(),
            None => NO_EXPIRY_TTL_SECS,
        };
        let mut copy = record.clone();
        copy.tokens.refresh_token = None;
        copy.tokens.id_token = None;
        // A DPoP key outlives its access tokens: it stays in the Secret Service only.
        copy.tokens.dpop_key = None;
        copy.identity = None;
        copy.per_api.clear();
        let Ok(json) = serde_json::to_vec(&copy) else {
            return;
        };
        let Some(keyring) = Self::keyring() else {
            return;
        };
        let result = keyring
            .add_key(&self.description(account), &json)
            .and_then(|key| {
                let possessor_only = KeyPermissionsBuilder::builder()
                    .posessor(Permission::ALL)
                    .build();
                key.set_perms(possessor_only)?;
                key.set_timeout(ttl as usize)
            });
        if let Err(e) = result {
            log::debug!("'{account}': the kernel keyring did not take the access token ({e:?})");
            self.remove(account);
        }
    }

    /// Drops the cached copy (logout, delete, a record that cannot be cached).
    pub fn remove(&self, account: &str) {
        if let Some(key) = Self::keyring().and_then(|k| k.search(&self.description(account)).ok()) {
            let _ = key.invalidate();
        }
    }
}
