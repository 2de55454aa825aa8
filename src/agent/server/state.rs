//! The agent's one state: what it holds, the approvals, the requests waiting for a
//! person, and the helpers every operation uses (the engine, the audit, the lock).

use crate::agent::audit::{self, Decision, Entry};
use crate::agent::caller::Caller;
use crate::agent::policy::Approvals;
use crate::agent::protocol::{self as p, Answer, Code, Failure};
use crate::engine::Engine;
use crate::token::{Target, TokenSet};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Makes the engine over the config as it is now (the agent makes a new one when the
/// config file changes).
pub type EngineMaker = Box<dyn Fn() -> Result<Engine, String> + Send + Sync>;

/// How the agent behaves, from `tokdeck agent`'s options.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long a request waits for a person's answer; then it is denied.
    pub ask_timeout: Duration,
    /// Records unused for this long are dropped from memory (read again when asked).
    pub forget_idle: Duration,
    /// Locks the agent after this long without a request.
    pub lock_after: Option<Duration>,
}

/// What the agent learns of its own files.
pub struct Place {
    pub socket: PathBuf,
    pub audit: PathBuf,
    pub config: PathBuf,
}

pub(super) struct Held {
    pub(super) tokens: TokenSet,
    pub(super) person: Option<String>,
    pub(super) used: Instant,
}

pub(super) struct Waiter {
    pub(super) info: p::Waiting,
    /// The forward it came through: withdrawn when that ssh connection ends.
    pub(super) link: Option<u64>,
    pub(super) answer: oneshot::Sender<(Answer, String)>,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) locked: bool,
    pub(super) held: HashMap<(String, Option<Target>), Held>,
    pub(super) approvals: Approvals,
    pub(super) pending: BTreeMap<u64, Waiter>,
    pub(super) next_id: u64,
}

pub(super) struct Loaded {
    pub(super) engine: Arc<Engine>,
    pub(super) stamp: Option<std::time::SystemTime>,
}

pub(super) struct Agent {
    pub(super) place: Place,
    pub(super) options: Options,
    pub(super) uid: u32,
    pub(super) started_at: DateTime<Utc>,
    pub(super) maker: EngineMaker,
    pub(super) loaded: Mutex<Option<Loaded>>,
    pub(super) state: Mutex<State>,
    pub(super) last_request: Mutex<Instant>,
    /// One fetch per account at a time: 16 callers wanting a refresh cause one.
    pub(super) flights: tokio::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    pub(super) stop: tokio::sync::Notify,
    /// When each account's token was last handed out (from the audit at the first
    /// look, then kept here), and when `forget_after` was last looked at.
    pub(super) used: Mutex<Option<HashMap<String, DateTime<Utc>>>>,
    pub(super) forget_checked: Mutex<Option<Instant>>,
}

impl Agent {
    pub(super) fn idle(&self) -> Duration {
        self.last_request
            .lock()
            .map(|at| at.elapsed())
            .unwrap_or_default()
    }

    pub(super) fn locked(&self) -> bool {
        self.state.lock().map(|s| s.locked).unwrap_or(true)
    }

    /// Drops every record and approval from memory; waiting requests are refused.
    pub(super) fn lock(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.locked = true;
            state.held.clear();
            state.approvals.clear();
            // Dropping the senders refuses the waiting requests (as locked).
            state.pending.clear();
        }
    }

    /// The engine over the config as it is now: made again when the file changed.
    pub(super) fn engine(&self) -> Result<Arc<Engine>, Failure> {
        let stamp = std::fs::metadata(&self.place.config)
            .and_then(|m| m.modified())
            .ok();
        let mut loaded = self
            .loaded
            .lock()
            .map_err(|_| Failure::new(Code::Failed, "the agent's state is broken; restart it"))?;
        if let Some(l) = loaded.as_ref()
            && l.stamp == stamp
        {
            return Ok(l.engine.clone());
        }
        let engine = Arc::new((self.maker)().map_err(|m| Failure::new(Code::Failed, m))?);
        if loaded.is_some() {
            log::info!("agent: the config changed; read again");
            if let Ok(mut state) = self.state.lock() {
                state.held.clear();
            }
        }
        *loaded = Some(Loaded {
            engine: engine.clone(),
            stamp,
        });
        Ok(engine)
    }

    pub(super) fn entry(
        &self,
        caller: &Caller,
        op: &str,
        account: Option<&str>,
        decision: Decision,
        decided_by: &str,
    ) -> Entry {
        Entry {
            at: Utc::now(),
            decision,
            decided_by: decided_by.into(),
            op: op.into(),
            account: account.map(str::to_string),
            resource: None,
            scope: None,
            token_sha256: None,
            reason: None,
            class: caller.class().label(),
            caller: caller.clone(),
        }
    }

    pub(super) fn audit(&self, entry: Entry) {
        if let Err(e) = audit::append(&self.place.audit, &entry) {
            log::error!(
                "agent: cannot append to {}: {e}",
                self.place.audit.display()
            );
        }
    }

    pub(super) fn refuse_locked(&self) -> Result<(), Failure> {
        if self.locked() {
            return Err(Failure::new(
                Code::Locked,
                "the tokdeck agent is locked: the person at this machine must run `tokdeck agent unlock` in a terminal, then try again",
            ));
        }
        Ok(())
    }

    /// Only a person's own process may answer requests, unlock or stop the agent: a
    /// coding agent or a container must not approve itself.
    /// Refuses (and records) `op` from a caller that is not the person's own process.
    pub(super) fn person(&self, caller: &Caller, op: &str, what: &str) -> Result<(), Failure> {
        let class = caller.class();
        if class.is_the_person() {
            return Ok(());
        }
        let failure = Failure::new(
            Code::NotAllowed,
            format!(
                "only the person at this machine may {what}, not {}; ask them to run it in a terminal of their own",
                class.label()
            ),
        );
        self.audit(Entry {
            reason: Some(failure.message.clone()),
            ..self.entry(caller, op, None, Decision::Refused, "agent")
        });
        Err(failure)
    }
}
