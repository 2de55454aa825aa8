//! Tokens in plain files, only when the user chose `store = "file"`: one 0600 JSON file
//! per account in a 0700 directory, each written atomically (temp file + rename).

use super::{StoreError, TokenStore};
use crate::files::atomic_write;
use crate::token::TokenRecord;
use std::path::{Path, PathBuf};

pub struct FileStore {
    dir: PathBuf,
    warnings: std::sync::Mutex<Vec<String>>,
}

impl FileStore {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            warnings: std::sync::Mutex::default(),
        }
    }

    /// Another local user must not read tokens: tighten looser modes, and say so.
    fn tighten(&self, path: &Path, wanted: u32) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let Ok(meta) = std::fs::metadata(path) else {
                return;
            };
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                let fixed = set_mode(path, wanted).is_ok();
                let message = if fixed {
                    format!(
                        "'{}' was open to other users (mode {mode:o}); tokdeck set it to {wanted:o}",
                        path.display()
                    )
                } else {
                    format!(
                        "'{}' is open to other users (mode {mode:o}) and tokdeck could not change it; run chmod {wanted:o} on it",
                        path.display()
                    )
                };
                self.warnings
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(message);
            }
        }
        #[cfg(not(unix))]
        let _ = (path, wanted);
    }

    pub fn path(&self, account: &str) -> PathBuf {
        self.dir.join(format!("{account}.json"))
    }

    fn ensure_dir(&self) -> Result<(), StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| io_error(&self.dir, e))?;
        set_mode(&self.dir, 0o700).map_err(|e| io_error(&self.dir, e))
    }
}

fn io_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

impl TokenStore for FileStore {
    /// The file is the record, and reading it is cheap; an unreadable one is reported by
    /// the full read.
    fn peek(&self, account: &str) -> Option<super::Peek> {
        self.load(account).ok().map(super::Peek::Full)
    }

    fn load(&self, account: &str) -> Result<Option<TokenRecord>, StoreError> {
        let path = self.path(account);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                self.tighten(&self.dir, 0o700);
                self.tighten(&path, 0o600);
                TokenRecord::from_json(&text, &format!("'{}'", path.display())).map(Some)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    fn save(&self, account: &str, record: &TokenRecord) -> Result<(), StoreError> {
        self.ensure_dir()?;
        let path = self.path(account);
        // Never destroy a record we could not read: keep it beside the new one.
        if let Ok(old) = std::fs::read_to_string(&path)
            && TokenRecord::from_json(&old, "").is_err()
        {
            let _ = std::fs::rename(&path, path.with_extension("json.corrupt"));
        }
        atomic_write(&path, record.to_json()?.as_bytes()).map_err(|e| io_error(&path, e))
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        let path = self.path(account);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::TokenSet;

    fn record(token: &str) -> TokenRecord {
        TokenRecord::new(
            TokenSet::bearer(token, chrono::DateTime::from_timestamp(0, 0).expect("ts"))
                .with_refresh_token("rt")
                .with_scopes(&["openid"]),
        )
    }

    #[test]
    fn round_trip_with_private_modes() {
        let home = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(home.path().join("tokens"));
        assert_eq!(store.load("a").expect("load"), None);
        store.save("a", &record("t1")).expect("save");
        store.save("a", &record("t2")).expect("save again");
        assert_eq!(store.load("a").expect("load"), Some(record("t2")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&store.path("a")), 0o600);
            assert_eq!(mode(&home.path().join("tokens")), 0o700);
        }
        let leftovers: Vec<_> = std::fs::read_dir(home.path().join("tokens"))
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temp files left behind");
        store.delete("a").expect("delete");
        assert_eq!(store.load("a").expect("load"), None);
    }

    #[cfg(unix)]
    #[test]
    fn loose_permissions_are_tightened_and_reported() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(home.path().join("tokens"));
        store.save("a", &record("t")).expect("save");
        std::fs::set_permissions(store.path("a"), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
        assert!(store.take_warnings().is_empty());
        store.load("a").expect("load");
        let warnings = store.take_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("mode 644") && warnings[0].contains("set it to 600"),
            "{warnings:?}"
        );
        let mode = std::fs::metadata(store.path("a"))
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        store.load("a").expect("load");
        assert!(store.take_warnings().is_empty(), "said once");
    }

    #[test]
    fn corrupt_file_is_reported_and_kept() {
        let home = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(home.path().to_path_buf());
        std::fs::write(
            store.path("a"),
            "{\"version\": 1, \"tokens\": {\"access_token\": \"sec",
        )
        .expect("write");
        let err = store.load("a").expect_err("corrupt");
        let text = err.to_string();
        assert!(
            text.contains("corrupt") && text.contains("a.json"),
            "{text}"
        );
        assert!(!text.contains("sec\""), "{text}");
        store.save("a", &record("new")).expect("save");
        assert!(
            home.path().join("a.json.corrupt").exists(),
            "the unreadable record is kept"
        );
    }
}
