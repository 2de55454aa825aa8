//! The agent's record of who got what: one JSON object per line, appended, 0600. A token
//! is recorded by its SHA-256, never itself.

use super::caller::Caller;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file, beside the token store.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("agent-audit.jsonl")
}

/// What the agent did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Granted,
    Denied,
    TimedOut,
    /// Refused before anyone was asked: another user, the policy, a locked agent, no
    /// token to give.
    Refused,
}

impl Decision {
    pub fn key(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Denied => "denied",
            Self::TimedOut => "timed out",
            Self::Refused => "refused",
        }
    }
}

/// One line of the audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub decision: Decision,
    /// `policy`, `approval` (an earlier answer), `person` (with how), or `agent`.
    pub decided_by: String,
    /// The operation asked (`token`, `dpop_proof`, ...).
    pub op: String,
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The SHA-256 (hex) of the token handed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The caller's kind, as the agent judged it.
    pub class: String,
    pub caller: Caller,
}

impl Entry {
    /// One line for people: time, decision, account, caller.
    pub fn line(&self) -> String {
        let what = match (&self.account, &self.resource, &self.scope) {
            (Some(a), Some(r), _) => format!("{a} for {r}"),
            (Some(a), None, Some(s)) => format!("{a} (scope {s})"),
            (Some(a), None, None) => a.clone(),
            (None, ..) => "-".into(),
        };
        let mut line = format!(
            "{}  {:<9} {:<8} {what}  by {}: {}",
            self.at
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S"),
            self.decision.key(),
            self.op,
            self.decided_by,
            self.caller.summary(),
        );
        if let Some(reason) = &self.reason {
            line.push_str(&format!(" ({reason})"));
        }
        crate::printable::printable(&line).into_owned()
    }
}

/// The hash the audit records for a token.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Appends `entry` as one line (the file made 0600; never through a link).
pub fn append(path: &Path, entry: &Entry) -> io::Result<()> {
    let mut line = serde_json::to_string(entry).map_err(io::Error::other)?;
    line.push('\n');
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = crate::files::open_no_follow(&mut options, path)?;
    // One write per line: appends of whole lines do not interleave.
    file.write_all(line.as_bytes())
}

/// The audit's entries, oldest first, and how many lines could not be read.
pub fn read(path: &Path) -> io::Result<(Vec<Entry>, usize)> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let mut skipped = 0;
    let entries = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).map_err(|_| skipped += 1).ok())
        .collect();
    Ok((entries, skipped))
}

/// Which entries `tokdeck audit` shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub account: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// A part of the caller's executable or class.
    pub caller: Option<String>,
}

impl Filter {
    pub fn keeps(&self, entry: &Entry) -> bool {
        self.account
            .as_ref()
            .is_none_or(|a| entry.account.as_ref() == Some(a))
            && self.since.is_none_or(|since| entry.at >= since)
            && self.caller.as_ref().is_none_or(|c| {
                entry.class.contains(c.as_str())
                    || entry
                        .caller
                        .exe
                        .as_ref()
                        .is_some_and(|e| e.to_string_lossy().contains(c.as_str()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(account: &str, at: DateTime<Utc>) -> Entry {
        Entry {
            at,
            decision: Decision::Granted,
            decided_by: "policy".into(),
            op: "token".into(),
            account: Some(account.into()),
            resource: None,
            scope: None,
            token_sha256: Some(token_hash("secret-token")),
            reason: None,
            class: "the user's shell".into(),
            caller: Caller {
                uid: 1,
                pid: Some(2),
                exe: Some("/usr/bin/curl".into()),
                ..Caller::default()
            },
        }
    }

    #[test]
    fn entries_are_appended_owner_only_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = path(dir.path());
        let now = Utc::now();
        append(&path, &entry("a", now - chrono::Duration::hours(2))).expect("append");
        append(&path, &entry("b", now)).expect("append");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"not json\n"))
            .expect("garbage");
        let (entries, skipped) = read(&path).expect("read");
        assert_eq!(entries.len(), 2);
        assert_eq!(skipped, 1);
        let text = std::fs::read_to_string(&path).expect("text");
        assert!(!text.contains("secret-token"));
        assert!(text.contains(&token_hash("secret-token")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let filter = Filter {
            account: Some("b".into()),
            ..Filter::default()
        };
        assert_eq!(entries.iter().filter(|e| filter.keeps(e)).count(), 1);
        let filter = Filter {
            since: Some(now - chrono::Duration::hours(1)),
            caller: Some("curl".into()),
            ..Filter::default()
        };
        let kept: Vec<_> = entries.iter().filter(|e| filter.keeps(e)).collect();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].account.as_deref(), Some("b"));
    }
}
