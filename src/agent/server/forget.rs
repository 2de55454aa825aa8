//! `forget_after`: grants nobody used for that long are revoked and deleted.

use super::state::Agent;
use crate::agent::audit::{self, Decision, Entry};
use crate::agent::caller::Caller;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How often grants are looked at for `forget_after` (and once at the start).
const FORGET_EVERY: Duration = Duration::from_secs(600);

impl Agent {
    /// `forget_after`: an account whose grant nobody used for that long (no token handed
    /// out by the agent, no token issued to any tokdeck) is logged out: its refresh
    /// token revoked, its tokens deleted; said in the log and the audit.
    pub(super) async fn forget_unused(&self) {
        let Ok(engine) = self.engine() else {
            return;
        };
        let due: Vec<(String, Duration)> = engine
            .config()
            .accounts
            .values()
            .filter_map(|a| a.agent.forget_after.map(|after| (a.name.clone(), after)))
            .collect();
        if due.is_empty() || self.locked() {
            return;
        }
        if let Ok(mut checked) = self.forget_checked.lock() {
            if checked.is_some_and(|at| at.elapsed() < FORGET_EVERY) {
                return;
            }
            *checked = Some(Instant::now());
        }
        let used = self.last_used();
        let now = Utc::now();
        for (name, after) in due {
            let Ok(Some(record)) = engine.load(&name).await else {
                continue;
            };
            let handed_out = used.get(&name).copied();
            let used = handed_out.map_or(record.tokens.issued_at, |at| {
                at.max(record.tokens.issued_at)
            });
            let unused = (now - used).to_std().unwrap_or_default();
            if unused < after {
                continue;
            }
            let options = crate::engine::LogoutOptions {
                local: false,
                end_session: false,
            };
            let reason = format!(
                "unused for {} (forget_after {})",
                crate::humanize::duration(now - used),
                crate::humanize::duration(chrono::Duration::from_std(after).unwrap_or_default())
            );
            let (decision, said) = match engine.logout(&name, options).await {
                Ok(_) => (Decision::Granted, format!("revoked and deleted: {reason}")),
                Err(e) => (
                    Decision::Refused,
                    format!("could not forget it ({e}): {reason}"),
                ),
            };
            log::info!("agent: '{name}': {said}");
            if let Ok(mut state) = self.state.lock() {
                state.held.retain(|(account, _), _| *account != name);
            }
            self.audit(Entry {
                reason: Some(said),
                class: "the agent itself (forget_after)".into(),
                ..self.entry(&Caller::default(), "forget", Some(&name), decision, "agent")
            });
        }
    }

    /// When each account's token was last handed out: read from the audit once, then
    /// kept as tokens are handed out.
    pub(super) fn last_used(&self) -> HashMap<String, DateTime<Utc>> {
        let Ok(mut used) = self.used.lock() else {
            return HashMap::new();
        };
        used.get_or_insert_with(|| {
            let mut last = HashMap::new();
            for entry in audit::read(&self.place.audit)
                .map(|(e, _)| e)
                .unwrap_or_default()
            {
                if let (Some(account), Decision::Granted) = (&entry.account, entry.decision) {
                    last.insert(account.clone(), entry.at);
                }
            }
            last
        })
        .clone()
    }
}
