//! Forwards: a listener per `tokdeck ssh` connection, tagged with its host, ended with
//! every connection through it when the connection that asked for it closes.

use super::connection::{Link, connection};
use super::state::Agent;
use crate::agent::caller::Caller;
use crate::agent::protocol::{Code, Failure};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::UnixListener;

/// A forward opened on a connection: ended (listener and connections through it) when
/// that connection closes.
pub(super) struct Forward {
    pub(super) id: u64,
    pub(super) socket: PathBuf,
    pub(super) end: tokio::sync::watch::Sender<bool>,
    pub(super) listener: tokio::task::JoinHandle<()>,
}

impl Agent {
    /// Opens a listener for one ssh connection to `host` (see [`Request::Forward`]).
    pub(super) fn forward(
        self: Arc<Self>,
        caller: &Caller,
        host: &str,
    ) -> Result<Forward, Failure> {
        self.person(caller, "forward", "forward the agent to another host")?;
        self.refuse_locked()?;
        let host: String = host.chars().take(255).collect();
        if host.is_empty() || host.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Failure::new(
                Code::BadRequest,
                "forward: a host name without spaces",
            ));
        }
        let random = ring::rand::generate::<[u8; 8]>(&ring::rand::SystemRandom::new())
            .map_err(|_| Failure::new(Code::Failed, "no randomness for the forward's name"))?
            .expose();
        let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let dir = self
            .place
            .socket
            .parent()
            .unwrap_or(std::path::Path::new("."));
        let socket = dir.join(format!("forward-{name}.sock"));
        let failed = |e: std::io::Error| {
            Failure::new(
                Code::Failed,
                format!("cannot listen at '{}': {e}", socket.display()),
            )
        };
        let listener = UnixListener::bind(&socket).map_err(failed)?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))
                .map_err(failed)?;
        }
        let id = {
            let mut state = self.state.lock().map_err(|_| {
                Failure::new(Code::Failed, "the agent's state is broken; restart it")
            })?;
            state.next_id += 1;
            state.next_id
        };
        let (end, ended) = tokio::sync::watch::channel(false);
        let link = Link {
            host: host.clone(),
            id,
            ended,
        };
        let agent = self.clone();
        let task = tokio::spawn(async move {
            loop {
                if let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(connection(agent.clone(), stream, Some(link.clone())));
                }
            }
        });
        log::info!(
            "agent: forward {id} to '{host}' at {} for {}",
            socket.display(),
            caller.summary()
        );
        Ok(Forward {
            id,
            socket,
            end,
            listener: task,
        })
    }

    /// The ssh connection of a forward ended: its listener goes, every connection
    /// through it ends, its approvals are dropped.
    pub(super) fn end_forward(&self, forward: Forward) {
        let _ = forward.end.send(true);
        forward.listener.abort();
        let _ = std::fs::remove_file(&forward.socket);
        if let Ok(mut state) = self.state.lock() {
            state.approvals.end_link(forward.id);
            // Its waiting requests are withdrawn (their callers are gone with it).
            state.pending.retain(|_, w| w.link != Some(forward.id));
        }
        log::info!("agent: forward {} ended", forward.id);
    }
}
