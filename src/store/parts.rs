//! A record of any size in a keyring whose entries are small: Windows' Credential Manager
//! holds at most 2560 bytes in a credential, and one login with an ID token, two APIs and
//! a DPoP key is larger. A record that fits stays one entry (always so on Linux and
//! macOS). One that does not is cut into **parts**, entries named `ACCOUNT#SLOT.I`
//! (`#` is never in an account name), and the account's own entry holds a **manifest**:
//! the generation, the number of parts, the length and the SHA-256 of the whole.
//!
//! A write, step by step, with what a `kill -9` after each step leaves:
//! 1. read the account's entry (the old manifest of generation `g`, a whole record, or
//!    none). Unchanged bytes end the write here: no keychain prompt, no audit entry.
//! 2. write the parts of generation `g + 1` into slot `(g + 1) % 2`, the slot the old
//!    manifest does **not** point at. Killed here: the old manifest and its parts are
//!    untouched, readers get the old record whole; the half-written slot is overwritten
//!    by the next write.
//! 3. write the manifest (one platform call, which replaces the entry at once). From now
//!    on readers get the new record.
//! 4. sweep: delete the other slot's parts and any beyond the new count in this slot
//!    (left by a larger or an interrupted write). Killed here: leftovers nobody reads,
//!    swept by the next write or the logout.
//!
//! A reader never mixes two writes: it checks the length and the SHA-256 of what the
//! parts give; when they do not match (a writer overwrote the slot while it read), it
//! reads the manifest again and starts over; when the manifest has not changed, the
//! record is torn (a part deleted by hand, a keyring restored from a backup) and the
//! read fails with a message that names the missing part and says to log in again,
//! never with garbage and never with another record. Writers of one account take a
//! lock file around steps 1-4 (see [`super::keyring`]), so two writers never share a
//! slot.

use super::StoreError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A keyring: get, set and delete one secret by service and user.
pub trait Entries: Send + Sync {
    fn get(&self, service: &str, user: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Fails with [`StoreError::TooLong`] when the secret exceeds the platform's limit.
    fn set(&self, service: &str, user: &str, secret: &[u8]) -> Result<(), StoreError>;
    /// Deletes the entry; whether there was one.
    fn delete(&self, service: &str, user: &str) -> Result<bool, StoreError>;
    /// The largest secret one entry holds, on platforms that have a limit.
    fn limit(&self) -> Option<usize>;
}

/// More parts than this is not a token record (64 × 2560 bytes = 160 KiB).
const MAX_PARTS: usize = 64;
/// Reads started over because a writer moved on while they read.
const READ_ATTEMPTS: usize = 4;

#[derive(Serialize, Deserialize)]
struct Manifest {
    tokdeck_parts: Parts,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Parts {
    generation: u64,
    count: usize,
    length: usize,
    sha256: String,
}

impl Parts {
    /// The manifest in an account's entry; `None` for a whole record.
    fn of(entry: &[u8]) -> Option<Self> {
        serde_json::from_slice::<Manifest>(entry)
            .ok()
            .map(|m| m.tokdeck_parts)
            .filter(|p| p.count <= MAX_PARTS)
    }

    fn describing(bytes: &[u8], generation: u64, count: usize) -> Self {
        Self {
            generation,
            count,
            length: bytes.len(),
            sha256: digest(bytes),
        }
    }

    fn describes(&self, bytes: &[u8]) -> bool {
        self.length == bytes.len() && self.sha256 == digest(bytes)
    }

    fn slot(&self) -> u64 {
        self.generation % 2
    }
}

fn digest(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(bytes))
}

fn part_name(account: &str, slot: u64, index: usize) -> String {
    format!("{account}#{slot}.{index}")
}

/// Why the parts a manifest names do not give its record.
enum Torn {
    Missing { index: usize, count: usize },
    Mismatch,
}

/// A keyring that holds records of any size (see the module's text).
pub struct Parted<B> {
    entries: B,
}

impl<B: Entries> Parted<B> {
    pub fn new(entries: B) -> Self {
        Self { entries }
    }

    /// The record's bytes, whole or gathered from its parts.
    pub fn read(&self, service: &str, account: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut entry = self.entries.get(service, account)?;
        for _ in 0..READ_ATTEMPTS {
            let Some(bytes) = entry else {
                return Ok(None);
            };
            let Some(parts) = Parts::of(&bytes) else {
                return Ok(Some(bytes));
            };
            let torn = match self.gather(service, account, &parts)? {
                Ok(whole) => return Ok(Some(whole)),
                Err(torn) => torn,
            };
            entry = self.entries.get(service, account)?;
            if entry.as_deref() == Some(bytes.as_slice()) {
                let reason = match torn {
                    Torn::Missing { index, count } => format!(
                        "part {} of {count} (entry '{}') is missing",
                        index + 1,
                        part_name(account, parts.slot(), index)
                    ),
                    Torn::Mismatch => {
                        format!("its {} parts do not add up to the record", parts.count)
                    }
                };
                return Err(torn_record(service, account, &reason));
            }
        }
        Err(torn_record(
            service,
            account,
            &format!("it changed each of the {READ_ATTEMPTS} times it was read"),
        ))
    }

    fn gather(
        &self,
        service: &str,
        account: &str,
        parts: &Parts,
    ) -> Result<Result<Vec<u8>, Torn>, StoreError> {
        let mut whole = Vec::with_capacity(parts.length);
        for index in 0..parts.count {
            match self
                .entries
                .get(service, &part_name(account, parts.slot(), index))?
            {
                Some(piece) => whole.extend_from_slice(&piece),
                None => {
                    return Ok(Err(Torn::Missing {
                        index,
                        count: parts.count,
                    }));
                }
            }
        }
        Ok(if parts.describes(&whole) {
            Ok(whole)
        } else {
            Err(Torn::Mismatch)
        })
    }

    /// Stores `bytes` as the record of `account`: one entry when it fits, parts and a
    /// manifest when not; nothing when the stored record is already these bytes.
    pub fn write(&self, service: &str, account: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let current = self.entries.get(service, account)?;
        if current.as_deref() == Some(bytes) {
            return Ok(());
        }
        let old = current.as_deref().and_then(Parts::of);
        if let Some(old) = &old
            && old.describes(bytes)
            && self.gather(service, account, old)?.is_ok()
        {
            return Ok(());
        }
        let fits = self
            .entries
            .limit()
            .is_none_or(|limit| bytes.len() <= limit);
        let new = if fits {
            match self.entries.set(service, account, bytes) {
                Ok(()) => None,
                Err(StoreError::TooLong { limit, .. }) => {
                    Some(self.write_parts(service, account, bytes, limit, old.as_ref())?)
                }
                Err(e) => return Err(e),
            }
        } else {
            let limit = self.entries.limit().unwrap_or(bytes.len());
            Some(self.write_parts(service, account, bytes, limit, old.as_ref())?)
        };
        if self.entries.limit().is_some() || old.is_some() || new.is_some() {
            // The record is saved; what is left over is only swept again next time.
            if let Err(e) = self.sweep(service, account, new.as_ref()) {
                log::warn!("could not delete old parts of the record of '{account}': {e}");
            }
        }
        Ok(())
    }

    /// Steps 2 and 3 of a write.
    fn write_parts(
        &self,
        service: &str,
        account: &str,
        bytes: &[u8],
        limit: usize,
        old: Option<&Parts>,
    ) -> Result<Parts, StoreError> {
        let count = bytes.len().div_ceil(limit.max(1));
        if count > MAX_PARTS {
            return Err(StoreError::Other(format!(
                "the record of '{account}' is {} bytes, more than {MAX_PARTS} keyring entries of {limit} bytes hold; keep tokens in a file instead (`store = \"file\"`)",
                bytes.len()
            )));
        }
        let parts = Parts::describing(bytes, old.map_or(1, |o| o.generation + 1), count);
        for (index, piece) in bytes.chunks(limit.max(1)).enumerate() {
            self.entries
                .set(service, &part_name(account, parts.slot(), index), piece)?;
        }
        let manifest = serde_json::to_vec(&Manifest {
            tokdeck_parts: parts.clone(),
        })
        .map_err(|e| StoreError::Other(format!("manifest: {e}")))?;
        self.entries.set(service, account, &manifest)?;
        Ok(parts)
    }

    /// Deletes every part the manifest `keep` does not name.
    fn sweep(&self, service: &str, account: &str, keep: Option<&Parts>) -> Result<(), StoreError> {
        for slot in [0, 1] {
            let from = keep.filter(|k| k.slot() == slot).map_or(0, |k| k.count);
            for index in from..MAX_PARTS {
                if !self
                    .entries
                    .delete(service, &part_name(account, slot, index))?
                {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Deletes the record and its parts: the account's entry first, so that readers
    /// find no tokens from then on.
    pub fn delete(&self, service: &str, account: &str) -> Result<(), StoreError> {
        let was_parted = self
            .entries
            .get(service, account)?
            .is_some_and(|e| Parts::of(&e).is_some());
        self.entries.delete(service, account)?;
        if was_parted || self.entries.limit().is_some() {
            self.sweep(service, account, None)?;
        }
        Ok(())
    }
}

fn torn_record(service: &str, account: &str, reason: &str) -> StoreError {
    StoreError::Corrupt {
        location: format!("keyring entry '{service}/{account}'"),
        reason: format!("the record was stored in parts and {reason}"),
    }
}

#[cfg(test)]
mod tests;
