//! One connection: who is at the other end (checked against the agent's uid), its
//! requests read a line at a time and answered; through a forward, only what a forwarded
//! caller may ask, until its ssh connection ends.

use super::forward::Forward;
use super::state::Agent;
use crate::agent::audit::{Decision, Entry};
use crate::agent::caller::Caller;
use crate::agent::protocol::{self as p, Code, Failure, Request};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

/// What a forwarded connection carries: the host, the forward's id, and the signal that
/// its ssh connection ended.
#[derive(Clone)]
pub(super) struct Link {
    pub(super) host: String,
    pub(super) id: u64,
    pub(super) ended: tokio::sync::watch::Receiver<bool>,
}

pub(super) async fn connection(agent: Arc<Agent>, stream: UnixStream, link: Option<Link>) {
    let cred = stream.peer_cred();
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let Ok(cred) = cred else {
        let _ = write
            .write_all(answer_refused("the agent cannot tell who is asking").as_bytes())
            .await;
        return;
    };
    let pid = cred.pid().and_then(|p| u32::try_from(p).ok());
    let mut caller = Caller::of(cred.uid(), pid);
    caller.forwarded = link.as_ref().map(|l| l.host.clone());
    caller.link = link.as_ref().map(|l| l.id);
    if cred.uid() != agent.uid {
        agent.audit(Entry {
            reason: Some(format!(
                "uid {} is not the agent's ({})",
                cred.uid(),
                agent.uid
            )),
            ..agent.entry(&caller, "connect", None, Decision::Refused, "agent")
        });
        let message = format!(
            "this agent belongs to uid {}, and you are uid {}: start your own with `tokdeck agent`",
            agent.uid,
            cred.uid()
        );
        let _ = write
            .write_all(
                p::answer_line::<p::Done>(Err(Failure::new(Code::NotAllowed, message))).as_bytes(),
            )
            .await;
        return;
    }
    let mut ended = link.as_ref().map(|l| l.ended.clone());
    let mut forwards: Vec<Forward> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = async {
            (&mut reader)
                .take(p::MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut line)
                .await
        };
        let read = match &mut ended {
            // Through a forward: ends when its ssh connection does.
            Some(ended) => tokio::select! {
                read = read => read,
                _ = ended.wait_for(|e| *e) => break,
            },
            None => read.await,
        };
        match read {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.len() > p::MAX_LINE && line.last() != Some(&b'\n') {
            let failure = Failure::new(
                Code::BadRequest,
                format!("a request line is at most {} bytes", p::MAX_LINE),
            );
            let _ = write
                .write_all(p::answer_line::<p::Done>(Err(failure)).as_bytes())
                .await;
            break;
        }
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        let answer = match p::read_request(&text) {
            Ok(Request::Forward { host }) if caller.forwarded.is_none() => {
                p::answer_line(agent.clone().forward(&caller, &host).map(|forward| {
                    let answer = p::Forwarding {
                        id: forward.id,
                        socket: forward.socket.clone(),
                    };
                    forwards.push(forward);
                    answer
                }))
            }
            Ok(request) => {
                let (left, gone) = tokio::sync::watch::channel(false);
                let answering = agent.answer(&mut caller, request, gone);
                tokio::pin!(answering);
                // While it is answered (a person may be asked), a caller that goes away
                // withdraws a request still waiting for the person; one past that is
                // finished (a refresh is never abandoned half-way).
                let mut watching = true;
                let answer = loop {
                    tokio::select! {
                        answer = &mut answering => break answer,
                        more = reader.fill_buf(), if watching => {
                            watching = false;
                            if !matches!(more, Ok(bytes) if !bytes.is_empty()) {
                                let _ = left.send(true);
                            }
                        }
                    }
                };
                if *left.borrow() {
                    break;
                }
                answer
            }
            Err(failure) => {
                agent.audit(Entry {
                    reason: Some(failure.message.clone()),
                    ..agent.entry(&caller, "unknown", None, Decision::Refused, "agent")
                });
                p::answer_line::<p::Done>(Err(failure))
            }
        };
        if write.write_all(answer.as_bytes()).await.is_err() {
            break;
        }
    }
    for forward in forwards {
        agent.end_forward(forward);
    }
}

fn answer_refused(message: &str) -> String {
    p::answer_line::<p::Done>(Err(Failure::new(Code::NotAllowed, message)))
}

impl Agent {
    /// The answer to `request`; `gone` says that the caller went away (a request
    /// waiting for the person is then withdrawn).
    pub(super) async fn answer(
        &self,
        caller: &mut Caller,
        request: Request,
        gone: tokio::sync::watch::Receiver<bool>,
    ) -> String {
        if let Ok(mut at) = self.last_request.lock() {
            *at = Instant::now();
        }
        let op = serde_json::to_value(&request)
            .ok()
            .and_then(|v| v.get("op").and_then(|o| o.as_str()).map(str::to_string))
            .unwrap_or_default();
        if let Some(host) = &caller.forwarded
            && !p::FORWARDED_OPERATIONS.contains(&op.as_str())
        {
            let failure = Failure::new(
                Code::NotAllowed,
                format!(
                    "'{op}' is not answered over the connection forwarded to {host}: it answers {} only",
                    p::FORWARDED_OPERATIONS.join(", ")
                ),
            );
            self.audit(Entry {
                reason: Some(failure.message.clone()),
                ..self.entry(caller, &op, None, Decision::Refused, "agent")
            });
            return p::answer_line::<p::Done>(Err(failure));
        }
        match request {
            Request::Hello { v, client } => {
                caller.client = client.map(|c| c.chars().take(100).collect());
                p::answer_line(self.hello(v).map(|mut hello| {
                    hello.forwarded_to = caller.forwarded.clone();
                    hello
                }))
            }
            Request::Forward { .. } => p::answer_line::<p::Done>(Err(Failure::new(
                Code::NotAllowed,
                "a forwarded connection cannot forward again",
            ))),
            Request::Status => p::answer_line(Ok(self.status())),
            Request::List => p::answer_line(self.list(caller).await),
            Request::Token { ask } => p::answer_line(self.token(caller, ask, gone).await),
            Request::DpopProof {
                account,
                method,
                url,
                ath,
            } => p::answer_line(self.proof(caller, &account, &method, &url, &ath)),
            Request::Lock => {
                self.lock();
                log::info!("agent: locked by {}", caller.summary());
                p::answer_line(Ok(p::Done {}))
            }
            Request::Unlock => {
                p::answer_line(self.person(caller, "unlock", "unlock the agent").map(|()| {
                    if let Ok(mut state) = self.state.lock() {
                        state.locked = false;
                    }
                    log::info!("agent: unlocked by {}", caller.summary());
                    p::Done {}
                }))
            }
            Request::Pending => p::answer_line(self.pending(caller)),
            Request::Decide { id, answer } => p::answer_line(self.decide(caller, id, answer)),
            Request::Stop => {
                p::answer_line(self.person(caller, "stop", "stop the agent").map(|()| {
                    self.stop.notify_one();
                    p::Done {}
                }))
            }
        }
    }

    pub(super) fn hello(&self, v: u32) -> Result<p::Hello, Failure> {
        if v != p::VERSION {
            return Err(Failure::new(
                Code::Version,
                format!(
                    "this agent speaks protocol version {}, the client {v}: use the same tokdeck for both (restart the agent after an upgrade)",
                    p::VERSION
                ),
            ));
        }
        Ok(p::Hello {
            v: p::VERSION,
            agent: format!("tokdeck {}", env!("CARGO_PKG_VERSION")),
            ops: p::OPERATIONS.iter().map(|o| (*o).to_string()).collect(),
            locked: self.locked(),
            forwarded_to: None,
        })
    }

    pub(super) fn status(&self) -> p::Status {
        let (locked, held, pending, approvals) = self
            .state
            .lock()
            .map(|s| (s.locked, s.held.len(), s.pending.len(), s.approvals.len()))
            .unwrap_or((true, 0, 0, 0));
        p::Status {
            locked,
            pid: std::process::id(),
            socket: self.place.socket.clone(),
            started_at: self.started_at,
            held,
            pending,
            approvals,
        }
    }
}
