//! Logs to a file, only when asked for (`--log-level` or `TOKDECK_LOG`); never to the
//! terminal, so neither the dashboard's screen nor a script's stdout/stderr changes.
//!
//! What is logged: commands, logins, refreshes, store problems and each HTTP request's
//! method, URL (without its query), status and time. Never a token, a code, a secret or
//! a request body: the messages are written so that they cannot hold one.

use log::{LevelFilter, Log, Metadata, Record};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Env var with the log level, for when tokdeck runs from other tools.
pub const LOG_ENV: &str = "TOKDECK_LOG";
/// Log file name, under the data directory.
pub const LOG_FILE: &str = "tokdeck.log";
/// The log starts again (the old one kept as `tokdeck.log.1`) past this size.
const ROTATE_BYTES: u64 = 4 * 1024 * 1024;

pub const LEVELS: &str = "off, error, warn, info, debug, trace";

struct FileLogger {
    level: LevelFilter,
    file: Mutex<File>,
}

static LEVEL: OnceLock<LevelFilter> = OnceLock::new();

/// Parses a level as the user wrote it.
pub fn parse_level(text: &str) -> Result<LevelFilter, String> {
    text.trim()
        .parse::<LevelFilter>()
        .map_err(|_| format!("log level '{text}' is not a level; use one of: {LEVELS}"))
}

/// Starts logging to `dir/tokdeck.log` at `level` (the flag's, else `TOKDECK_LOG`'s).
/// Returns the file's path when logging is on.
pub fn init(flag: Option<&str>, dir: &Path) -> Result<Option<PathBuf>, String> {
    let text = match flag {
        Some(text) => text.to_string(),
        None => match std::env::var(LOG_ENV) {
            Ok(text) if !text.trim().is_empty() => text,
            _ => return Ok(None),
        },
    };
    let level = parse_level(&text).map_err(|e| match flag {
        Some(_) => format!("--log-level: {e}"),
        None => format!("{LOG_ENV}: {e}"),
    })?;
    if level == LevelFilter::Off {
        return Ok(None);
    }
    let path = dir.join(LOG_FILE);
    let file = open(&path).map_err(|e| {
        format!(
            "cannot open the log file '{}': {e}; unset {LOG_ENV} or fix the directory's permissions",
            path.display()
        )
    })?;
    let logger = FileLogger {
        level,
        file: Mutex::new(file),
    };
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(level);
        let _ = LEVEL.set(level);
    }
    Ok(Some(path))
}

/// The level in force, to hand to child processes (the refresh worker).
pub fn active_level() -> Option<&'static str> {
    LEVEL.get().map(|l| l.as_str())
}

fn open(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.len() > ROTATE_BYTES) {
        let _ = std::fs::rename(path, path.with_extension("log.1"));
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = crate::files::open_no_follow(&mut options, path)?;
    // A log file made by someone else (or an older tokdeck) is made private too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

impl Log for FileLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        // Other crates only at warn and above: their debug output is not ours to vouch for.
        let ours = metadata.target().starts_with("tokdeck");
        let limit = if ours {
            self.level
        } else {
            self.level.min(LevelFilter::Warn)
        };
        metadata.level() <= limit
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format!(
            "{} {:<5} [{}] {}: {}\n",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ"),
            record.level(),
            std::process::id(),
            record.target(),
            // One line per record, whatever a server's text put in it.
            crate::printable::printable(&record.args().to_string())
        );
        if let Ok(mut file) = self.file.lock() {
            let _ = file.write_all(line.as_bytes());
        }
    }

    fn flush(&self) {
        if let Ok(mut file) = self.file.lock() {
            let _ = file.flush();
        }
    }
}

/// A URL as logged: no query or fragment (they may carry codes or state).
pub fn url_for_log(url: &str) -> String {
    match url.split_once(['?', '#']) {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_named_in_errors() {
        assert_eq!(parse_level("DEBUG"), Ok(LevelFilter::Debug));
        let err = parse_level("verbose").expect_err("bad");
        assert!(err.contains("'verbose'") && err.contains("debug"), "{err}");
    }

    #[test]
    fn logged_urls_lose_their_query() {
        assert_eq!(
            url_for_log("https://idp/cb?code=abc&state=x"),
            "https://idp/cb?…"
        );
        assert_eq!(url_for_log("https://idp/token"), "https://idp/token");
    }
}
