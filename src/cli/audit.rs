//! `tokdeck audit`: the agent's record of who got which token.

use super::args::AuditArgs;
use super::error::CliError;
use crate::agent::audit::{self, Filter};
use chrono::{DateTime, Utc};
use std::path::PathBuf;

pub fn run(config: Option<PathBuf>, args: AuditArgs) -> Result<(), CliError> {
    let paths = crate::config::Paths::resolve(config.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let since = args.since.as_deref().map(since).transpose()?;
    let filter = Filter {
        account: args.account,
        since,
        caller: args.caller,
    };
    let path = audit::path(&paths.data_dir);
    let (entries, skipped) = audit::read(&path)
        .map_err(|e| CliError::Failed(format!("cannot read '{}': {e}", path.display())))?;
    let kept: Vec<_> = entries.iter().filter(|e| filter.keeps(e)).collect();
    let text = kept
        .iter()
        .map(|e| {
            if args.json {
                serde_json::to_string(e).unwrap_or_default()
            } else {
                e.line()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    if !text.is_empty() {
        super::output::line(&text)?;
    } else if entries.is_empty() {
        say!("tokdeck audit: nothing recorded yet ('{}')", path.display());
    }
    if skipped > 0 {
        say!(
            "tokdeck audit: warning: {skipped} line(s) of '{}' could not be read and were left out",
            path.display()
        );
    }
    Ok(())
}

/// `--since`: a duration ago (`1h`, `7d`) or an RFC 3339 time.
fn since(text: &str) -> Result<DateTime<Utc>, CliError> {
    if let Some(seconds) = crate::jwt::edit::seconds(text).filter(|s| *s >= 0) {
        return Ok(Utc::now() - chrono::Duration::seconds(seconds));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            CliError::Usage(format!(
                "--since '{text}' is neither a duration (1h, 7d) nor an RFC 3339 time (2026-12-07T10:00:00Z)"
            ))
        })
}
