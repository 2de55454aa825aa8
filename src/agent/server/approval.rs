//! Asking the person: a request waits for `tokdeck approve` or the dashboard, up to the
//! timeout; answers and the list of waiting requests.

use super::state::{Agent, Waiter};
use crate::agent::caller::Caller;
use crate::agent::protocol::{self as p, Answer, Code, Failure, TokenAsk};
use chrono::Utc;
use tokio::sync::oneshot;

/// Withdraws a waiting request when its wait ends any way, also when the caller's
/// connection closed and the wait was dropped: nobody is asked about a caller that is gone.
struct Withdraw<'a> {
    agent: &'a Agent,
    id: u64,
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        if let Ok(mut state) = self.agent.state.lock()
            && state.pending.remove(&self.id).is_some()
        {
            log::info!("agent: request {} withdrawn (its caller is gone)", self.id);
        }
    }
}

impl Agent {
    /// Waits for a person's answer (`tokdeck approve`, the dashboard) up to the timeout:
    /// who decided, or the refusal and who decided it.
    pub(super) async fn ask_person(
        &self,
        caller: &Caller,
        name: &str,
        ask: &TokenAsk,
        mut gone: tokio::sync::watch::Receiver<bool>,
    ) -> Result<String, (Failure, String)> {
        let broken = || {
            (
                Failure::new(Code::Failed, "the agent's state is broken; restart it"),
                "agent".to_string(),
            )
        };
        let (send, answer) = oneshot::channel();
        let now = Utc::now();
        let timeout = self.options.ask_timeout;
        let id = {
            let mut state = self.state.lock().map_err(|_| broken())?;
            state.next_id += 1;
            let id = state.next_id;
            let info = p::Waiting {
                id,
                account: name.to_string(),
                resource: ask.resource.clone(),
                scope: ask.scope.clone(),
                id_token: ask.id_token,
                caller: caller.summary(),
                facts: caller.facts(),
                asked_at: now,
                expires_at: now
                    + chrono::Duration::from_std(timeout).unwrap_or(chrono::Duration::MAX),
            };
            state.pending.insert(
                id,
                Waiter {
                    info,
                    link: caller.link,
                    answer: send,
                },
            );
            id
        };
        let _withdraw = Withdraw { agent: self, id };
        log::info!(
            "agent: request {id} for '{name}' waits for a person: {}",
            caller.summary()
        );
        let how_to_answer = "the person at this machine must allow it: ask them to run `tokdeck approve` in a terminal (or to answer in the tokdeck dashboard), then run this command again";
        let answer = async {
            tokio::select! {
                answer = tokio::time::timeout(timeout, answer) => Some(answer),
                _ = gone.wait_for(|g| *g) => None,
            }
        };
        let Some(answer) = answer.await else {
            return Err((
                Failure::new(Code::Failed, "the caller went away before anyone answered"),
                "agent".into(),
            ));
        };
        match answer {
            Ok(Ok((answer, who))) if answer.allows() => {
                if let Ok(mut state) = self.state.lock()
                    && let Some(kept) = state.approvals.keep(answer, name, caller, Utc::now())
                {
                    log::info!("agent: '{name}' approved for {kept}");
                }
                Ok(format!("person ({who}, {})", answer.key()))
            }
            Ok(Ok((_, who))) => Err((
                Failure::new(
                    Code::Denied,
                    format!(
                        "the person at this machine denied this request for a token of '{name}'; do not retry it, ask them"
                    ),
                ),
                format!("person ({who}, deny)"),
            )),
            // Withdrawn: the agent locked, or the forward it came through ended.
            Ok(Err(_)) if caller.link.is_some() => Err((
                Failure::new(
                    Code::Failed,
                    "the connection this request came through ended while it waited",
                ),
                "agent".into(),
            )),
            Ok(Err(_)) => Err((
                Failure::new(
                    Code::Locked,
                    "the tokdeck agent was locked while this request waited: the person at this machine must run `tokdeck agent unlock`, then try again",
                ),
                "agent".into(),
            )),
            Err(_) => Err((
                Failure::new(
                    Code::TimedOut,
                    format!(
                        "nobody answered this request for a token of '{name}' within {} s; {how_to_answer}",
                        timeout.as_secs()
                    ),
                ),
                "agent".into(),
            )),
        }
    }

    pub(super) fn pending(&self, caller: &Caller) -> Result<p::Pending, Failure> {
        self.person(caller, "pending", "see or answer waiting requests")?;
        let state = self
            .state
            .lock()
            .map_err(|_| Failure::new(Code::Failed, "the agent's state is broken; restart it"))?;
        Ok(p::Pending {
            requests: state.pending.values().map(|w| w.info.clone()).collect(),
        })
    }

    pub(super) fn decide(
        &self,
        caller: &Caller,
        id: u64,
        answer: Answer,
    ) -> Result<p::Done, Failure> {
        self.person(caller, "decide", "answer a waiting request")?;
        let waiter = self
            .state
            .lock()
            .ok()
            .and_then(|mut s| s.pending.remove(&id))
            .ok_or_else(|| {
                Failure::new(
                    Code::BadRequest,
                    format!("no request {id} waits (answered, timed out, or never made); `tokdeck approve` lists the waiting ones"),
                )
            })?;
        let who = match (&caller.exe, caller.pid) {
            (Some(exe), Some(pid)) => format!(
                "{} pid {pid}",
                exe.file_name().map_or_else(
                    || exe.display().to_string(),
                    |n| n.to_string_lossy().into_owned()
                )
            ),
            _ => "a person".into(),
        };
        log::info!("agent: request {id} answered {} by {who}", answer.key());
        // The asker may have gone (its connection closed): nothing to tell then.
        let _ = waiter.answer.send((answer, who));
        Ok(p::Done {})
    }
}
