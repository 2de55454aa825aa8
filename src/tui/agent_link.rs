//! The dashboard's line to the agent: a thread that watches its waiting requests and
//! its audit and sends what changed into the one channel, and the person's answers.

use super::event::{Msg, Outcome};
use tokio::sync::mpsc::UnboundedSender;

/// How often the agent is asked what waits, and the audit looked at.
#[cfg(unix)]
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Starts the watcher; it ends when the dashboard does.
#[cfg(unix)]
pub fn spawn_watch(tx: UnboundedSender<Msg>, paths: crate::config::Paths) {
    use crate::agent::client::Client;
    use crate::agent::protocol::{Pending, Request};
    let audit = crate::agent::audit::path(&paths.data_dir);
    let _ = std::thread::Builder::new()
        .name("agent-watch".into())
        .spawn(move || {
            let mut client: Option<Client> = None;
            let mut last: Option<Option<Vec<u64>>> = None;
            let mut read_to = Audit::starting(&audit);
            loop {
                if client.is_none() {
                    client = Client::find(&paths).ok().flatten();
                }
                let pending = client.as_mut().and_then(|c| {
                    c.call::<Pending>(&Request::Pending)
                        .ok()
                        .map(|p| p.requests)
                });
                if pending.is_none() {
                    client = None;
                }
                let ids = pending.as_ref().map(|p| p.iter().map(|w| w.id).collect());
                if last.as_ref() != Some(&ids) {
                    last = Some(ids);
                    if tx.send(Msg::Done(Outcome::AgentPending(pending))).is_err() {
                        return;
                    }
                }
                let entries = read_to.news(&audit);
                if !entries.is_empty()
                    && tx.send(Msg::Done(Outcome::AgentActivity(entries))).is_err()
                {
                    return;
                }
                if tx.is_closed() {
                    return;
                }
                std::thread::sleep(WATCH_EVERY);
            }
        });
}

#[cfg(not(unix))]
pub fn spawn_watch(_tx: UnboundedSender<Msg>, _paths: crate::config::Paths) {}

/// Where the dashboard is in the audit file: entries appended after it are news.
#[cfg(unix)]
struct Audit {
    offset: u64,
}

#[cfg(unix)]
impl Audit {
    /// The last entries of the file to start with (at most the pane's worth).
    fn starting(path: &std::path::Path) -> Self {
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        // Half a megabyte back is more than the pane keeps.
        Self {
            offset: len.saturating_sub(512 * 1024),
        }
    }

    /// Whole lines appended since the last look; a file made shorter is read again.
    fn news(&mut self, path: &std::path::Path) -> Vec<crate::agent::audit::Entry> {
        use std::io::{Read, Seek, SeekFrom};
        let Ok(mut file) = std::fs::File::open(path) else {
            return Vec::new();
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.offset {
            self.offset = 0;
        }
        if len == self.offset || file.seek(SeekFrom::Start(self.offset)).is_err() {
            return Vec::new();
        }
        let mut bytes = Vec::new();
        if file
            .take(len - self.offset)
            .read_to_end(&mut bytes)
            .is_err()
        {
            return Vec::new();
        }
        let Some(end) = bytes.iter().rposition(|b| *b == b'\n') else {
            return Vec::new();
        };
        self.offset += end as u64 + 1;
        String::from_utf8_lossy(&bytes[..end])
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

/// Sends the person's answer; the outcome says whether the agent took it.
pub fn answer(
    tx: UnboundedSender<Msg>,
    paths: crate::config::Paths,
    id: u64,
    answer: crate::agent::protocol::Answer,
) {
    let _ = std::thread::Builder::new()
        .name("agent-answer".into())
        .spawn(move || {
            let result = decide(&paths, id, answer);
            let _ = tx.send(Msg::Done(Outcome::AgentAnswered { id, answer, result }));
        });
}

#[cfg(unix)]
fn decide(
    paths: &crate::config::Paths,
    id: u64,
    answer: crate::agent::protocol::Answer,
) -> Result<(), String> {
    use crate::agent::protocol::{Done, Request};
    let mut client = crate::agent::client::Client::find(paths)
        .map_err(|f| f.message)?
        .ok_or("the agent is gone")?;
    client
        .call::<Done>(&Request::Decide { id, answer })
        .map(|_| ())
        .map_err(|f| f.message)
}

#[cfg(not(unix))]
fn decide(
    _paths: &crate::config::Paths,
    _id: u64,
    _answer: crate::agent::protocol::Answer,
) -> Result<(), String> {
    Err("no agent on this system".into())
}
