//! Where tokens live: the OS keyring (default), a file store the user chose, or memory (tests).
//!
//! Store calls block (D-Bus, disk). Async code goes through [`run_bounded`], which runs them
//! off the async workers and gives up after a timeout, so a hung keyring never hangs tokdeck.

mod encoding;
mod file;
#[cfg(target_os = "linux")]
mod kernel_cache;
mod keyring;
mod lock;
mod memory;
#[cfg(not(target_os = "linux"))]
mod os_keyring;
mod parts;
pub mod registration;
#[cfg(target_os = "linux")]
mod secret_service;

pub use file::FileStore;
pub use keyring::{KeyringStore, client_key, delete_client_key, set_client_key};
use lock::WriteLock;
pub use lock::{AccountLock, LOCK_WAIT};
pub use memory::MemoryStore;

use crate::token::TokenRecord;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Longest a single store call may take.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(10);
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the OS keyring is not available ({0}). Start a Secret Service (gnome-keyring, KeePassXC) and unlock it, or keep tokens in a file instead: set `store = \"file\"` in config.toml or TOKDECK_STORE=file"
    )]
    KeyringUnavailable(String),
    #[error("the OS keyring refused access ({0}); unlock it and try again")]
    KeyringLocked(String),
    #[error("the token store did not answer within {0} s; is the keyring daemon hung?")]
    Timeout(u64),
    #[error(
        "stored tokens at {location} are corrupt: {reason}. Run `tokdeck login` again to replace them"
    )]
    Corrupt { location: String, reason: String },
    #[error(
        "account '{account}' is being refreshed by another tokdeck (pid {holder}) for more than {secs} s; try again, or stop that process"
    )]
    Locked {
        account: String,
        secs: u64,
        holder: String,
    },
    #[error("the keyring refused a {what} of this size: the platform's limit is {limit} bytes")]
    TooLong { what: String, limit: usize },
    #[error("cannot access '{path}': {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("{0}")]
    Other(String),
}

/// A place to keep each account's [`TokenRecord`]. Implementations write atomically:
/// after a crash an account holds either its old or its new record, never a mix.
pub trait TokenStore: Send + Sync {
    fn load(&self, account: &str) -> Result<Option<TokenRecord>, StoreError>;
    fn save(&self, account: &str, record: &TokenRecord) -> Result<(), StoreError>;
    fn delete(&self, account: &str) -> Result<(), StoreError>;
    /// Things the user should know that did not stop the call (a permission fixed).
    fn take_warnings(&self) -> Vec<String> {
        Vec::new()
    }
    /// What the store can say at once about `account`, without the cost of its full read
    /// (`None`: ask [`TokenStore::load`]).
    fn peek(&self, _account: &str) -> Option<Peek> {
        None
    }
}

/// A quick look at an account's tokens.
#[derive(Debug)]
pub enum Peek {
    /// The whole record (or that there is none): a store whose read is cheap.
    Full(Option<TokenRecord>),
    /// A copy of the access token only (no refresh token): enough to serve a valid
    /// token, never to refresh or to decide that a login is needed.
    AccessOnly(TokenRecord),
    /// Nothing cheap to say (no copy): the refresh worker, which reads the store of record
    /// under the account's lock, decides.
    Unknown,
}

/// Runs a store call on the blocking pool, bounded by [`STORE_TIMEOUT`].
pub async fn run_bounded<T, F>(store: &Arc<dyn TokenStore>, call: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&dyn TokenStore) -> Result<T, StoreError> + Send + 'static,
{
    match tokio::time::timeout(STORE_TIMEOUT, on_pool(store, call)).await {
        Ok(result) => joined(result),
        Err(_) => Err(StoreError::Timeout(STORE_TIMEOUT.as_secs())),
    }
}

/// Runs a store call on the blocking pool and waits for it however long it takes, saying
/// so in the log after [`STORE_TIMEOUT`]: for the save of a rotated refresh token, which
/// must not be abandoned (the provider has already retired the old one) nor outlived by
/// the account's lock.
pub async fn run_to_completion<T, F>(
    store: &Arc<dyn TokenStore>,
    call: F,
    what: &str,
) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&dyn TokenStore) -> Result<T, StoreError> + Send + 'static,
{
    let mut task = on_pool(store, call);
    let result = match tokio::time::timeout(STORE_TIMEOUT, &mut task).await {
        Ok(result) => result,
        Err(_) => {
            log::warn!(
                "{what}: the token store has not answered in {} s; still waiting",
                STORE_TIMEOUT.as_secs()
            );
            task.await
        }
    };
    joined(result)
}

fn on_pool<T, F>(
    store: &Arc<dyn TokenStore>,
    call: F,
) -> tokio::task::JoinHandle<Result<T, StoreError>>
where
    T: Send + 'static,
    F: FnOnce(&dyn TokenStore) -> Result<T, StoreError> + Send + 'static,
{
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || call(store.as_ref()))
}

fn joined<T>(
    result: Result<Result<T, StoreError>, tokio::task::JoinError>,
) -> Result<T, StoreError> {
    result.unwrap_or_else(|join| {
        Err(StoreError::Other(format!(
            "the token store call failed: {join}"
        )))
    })
}

/// A small file in the data directory rewritten after every save or delete of tokens by
/// any tokdeck process: the dashboard looks at it (one `stat`) every second to follow
/// what other processes changed, whatever the store.
pub const CHANGED_FILE: &str = "store-changed";

/// Says that tokens of the data directory `data_dir` changed (see [`CHANGED_FILE`]). A
/// marker that cannot be written only delays the dashboard's reload to its next one.
pub fn mark_changed(data_dir: &Path) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let _ = crate::files::atomic_write(
        &data_dir.join(CHANGED_FILE),
        format!("{} {nanos}\n", std::process::id()).as_bytes(),
    );
}

/// An account logged out on purpose: a dashboard does not fetch the first tokens of an
/// account that renews alone (client credentials, exchange) on its own then, which would
/// undo the logout; any later save of tokens for it clears the mark.
fn logged_out_mark(data_dir: &Path, account: &str) -> std::path::PathBuf {
    data_dir.join("logged-out").join(account)
}

pub fn mark_logged_out(data_dir: &Path, account: &str) {
    let path = logged_out_mark(data_dir, account);
    let _ = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| crate::files::write_no_follow(&path, b""));
}

pub fn clear_logged_out(data_dir: &Path, account: &str) {
    let _ = std::fs::remove_file(logged_out_mark(data_dir, account));
}

pub fn was_logged_out(data_dir: &Path, account: &str) -> bool {
    logged_out_mark(data_dir, account).exists()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::token::TokenSet;

    /// A store whose saves take 300 ms of real time, while the test moves tokio's paused
    /// clock past [`STORE_TIMEOUT`].
    struct SlowStore(MemoryStore);

    impl TokenStore for SlowStore {
        fn load(&self, account: &str) -> Result<Option<TokenRecord>, StoreError> {
            self.0.load(account)
        }
        fn save(&self, account: &str, record: &TokenRecord) -> Result<(), StoreError> {
            std::thread::sleep(Duration::from_millis(300));
            self.0.save(account, record)
        }
        fn delete(&self, account: &str) -> Result<(), StoreError> {
            self.0.delete(account)
        }
    }

    fn record() -> TokenRecord {
        TokenRecord::new(
            TokenSet::bearer("at", chrono::DateTime::from_timestamp(0, 0).expect("ts"))
                .with_refresh_token("rotated"),
        )
    }

    /// Runs `call` on `store` while the clock jumps past the timeout.
    async fn past_the_timeout<F, Fut>(call: F) -> Result<(), StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(), StoreError>> + Send + 'static,
    {
        let task = tokio::spawn(call());
        tokio::task::yield_now().await;
        tokio::time::advance(STORE_TIMEOUT + Duration::from_secs(1)).await;
        task.await.expect("join")
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_save_of_issued_tokens_is_waited_for_not_abandoned() {
        let store: Arc<dyn TokenStore> = Arc::new(SlowStore(MemoryStore::default()));
        // An ordinary call gives up at the timeout...
        let (s, rec) = (Arc::clone(&store), record());
        let bounded =
            past_the_timeout(|| async move { run_bounded(&s, move |s| s.save("a", &rec)).await })
                .await;
        assert!(
            matches!(bounded, Err(StoreError::Timeout(_))),
            "{bounded:?}"
        );
        // ...the save of issued tokens waits until it is done.
        let (s, rec) = (Arc::clone(&store), record());
        let waited = past_the_timeout(|| async move {
            run_to_completion(&s, move |s| s.save("b", &rec), "test").await
        })
        .await;
        assert!(waited.is_ok(), "{waited:?}");
        let saved = store.load("b").expect("load").expect("saved");
        assert_eq!(
            saved.tokens.refresh_token.as_ref().map(Secret::expose),
            Some("rotated")
        );
    }
}
