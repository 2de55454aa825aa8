//! One refresh at a time per account, across processes: an advisory lock on a file under
//! the data dir (not on the token entry). OS locks die with their process, so a crashed
//! holder never blocks anyone; every wait is bounded.

use super::StoreError;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Longest wait for another process's refresh (its HTTP calls are bounded by 30 s).
pub const LOCK_WAIT: Duration = Duration::from_secs(40);
const POLL: Duration = Duration::from_millis(15);

/// Held while the account's tokens are read, refreshed and saved; released on drop.
#[derive(Debug)]
pub struct AccountLock {
    file: File,
}

impl AccountLock {
    fn path(dir: &Path, account: &str) -> PathBuf {
        dir.join(format!("{account}.lock"))
    }

    /// Takes the lock, waiting up to `wait`; the error names the holder's PID when known.
    pub async fn acquire(dir: &Path, account: &str, wait: Duration) -> Result<Self, StoreError> {
        let path = Self::path(dir, account);
        let io = |e: std::io::Error| StoreError::Io {
            path: path.clone(),
            reason: e.to_string(),
        };
        let mut file = lock_file(dir, &path).map_err(io)?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if start.elapsed() < wait => {
                    tokio::time::sleep(POLL).await
                }
                Err(TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    return Err(StoreError::Locked {
                        account: account.to_string(),
                        secs: wait.as_secs(),
                        holder: if holder.is_empty() {
                            "unknown".into()
                        } else {
                            holder.to_string()
                        },
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        // Tell waiters who holds it.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        let _ = file.flush();
        Ok(Self { file })
    }
}

impl Drop for AccountLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Held by a keyring store while it writes or deletes an account's entries (a record in
/// parts takes several calls): brief, so a taker simply waits. Distinct from the
/// [`AccountLock`], which is held across a whole refresh and taken first.
pub struct WriteLock {
    _file: File,
}

impl WriteLock {
    pub fn take(dir: &Path, account: &str) -> Result<Self, StoreError> {
        let path = dir.join(format!("{account}.write.lock"));
        let io = |e: std::io::Error| StoreError::Io {
            path: path.clone(),
            reason: e.to_string(),
        };
        let file = lock_file(dir, &path).map_err(io)?;
        file.lock().map_err(io)?;
        Ok(Self { _file: file })
    }
}

/// Opens (creating it and its directory) a lock file, never through a link.
fn lock_file(dir: &Path, path: &Path) -> std::io::Result<File> {
    std::fs::create_dir_all(dir)?;
    crate::files::open_no_follow(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
        path,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn second_taker_waits_and_then_names_the_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let held = AccountLock::acquire(dir.path(), "a", LOCK_WAIT)
            .await
            .expect("first");
        let err = AccountLock::acquire(dir.path(), "a", Duration::from_millis(60))
            .await
            .expect_err("held elsewhere");
        let text = err.to_string();
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        // Other accounts are independent.
        AccountLock::acquire(dir.path(), "b", Duration::ZERO)
            .await
            .expect("b is free");
        drop(held);
        AccountLock::acquire(dir.path(), "a", Duration::ZERO)
            .await
            .expect("released on drop");
    }
}
