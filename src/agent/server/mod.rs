//! The running agent: a listener on the socket, a task per connection, and one state
//! (held tokens, approvals, requests waiting for a person) behind a mutex that is never
//! held across an await.

mod approval;
mod connection;
mod forget;
mod forward;
mod state;
mod tokens;

use crate::token::Target;
use chrono::Utc;
use state::{Agent, State};
pub use state::{EngineMaker, Options, Place};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::UnixListener;

/// How often held tokens are renewed ahead of their expiry and idle records dropped.
const TICK: Duration = Duration::from_secs(15);

/// Serves on `listener` until `stop` or a signal; the socket file is removed on the way
/// out. `uid` is the agent's own (callers of another uid are refused).
pub async fn serve(
    listener: UnixListener,
    uid: u32,
    place: Place,
    options: Options,
    maker: EngineMaker,
) -> Result<(), String> {
    let agent = Arc::new(Agent {
        place,
        options,
        uid,
        started_at: Utc::now(),
        maker,
        loaded: Mutex::new(None),
        state: Mutex::new(State::default()),
        last_request: Mutex::new(Instant::now()),
        flights: tokio::sync::Mutex::new(HashMap::new()),
        stop: tokio::sync::Notify::new(),
        used: Mutex::new(None),
        forget_checked: Mutex::new(None),
    });
    agent.engine().map_err(|f| f.message)?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    // A closed terminal must not end an agent started from it.
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| e.to_string())?;
    let ticker = tokio::spawn(tick(agent.clone()));
    log::info!("agent: listening on {}", agent.place.socket.display());
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(connection::connection(agent.clone(), stream, None));
                }
                Err(e) => log::warn!("agent: accept failed: {e}"),
            },
            () = agent.stop.notified() => break,
            _ = term.recv() => break,
            _ = hangup.recv() => log::info!("agent: hangup ignored"),
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    ticker.abort();
    let _ = std::fs::remove_file(&agent.place.socket);
    log::info!("agent: stopped");
    Ok(())
}

/// Renews held tokens before they expire, forgets idle ones, locks after `lock_after`,
/// and revokes grants nobody used for their account's `forget_after`.
async fn tick(agent: Arc<Agent>) {
    let mut interval = tokio::time::interval(TICK);
    loop {
        interval.tick().await;
        agent.forget_unused().await;
        let idle = agent.idle();
        if agent.options.lock_after.is_some_and(|after| idle >= after) && !agent.locked() {
            log::info!("agent: locked after {} s without a request", idle.as_secs());
            agent.lock();
            continue;
        }
        let due: Vec<(String, Option<Target>)> = {
            let Ok(mut state) = agent.state.lock() else {
                return;
            };
            let forget = agent.options.forget_idle;
            state.held.retain(|_, h| h.used.elapsed() < forget);
            let now = Utc::now();
            state
                .held
                .iter()
                .filter(|(_, h)| !h.tokens.fresh_enough(now, Duration::ZERO))
                .map(|(k, _)| k.clone())
                .collect()
        };
        for (account, target) in due {
            if let Err(e) = agent
                .fetch(&account, target.as_ref(), Duration::ZERO, true)
                .await
            {
                log::warn!("agent: renewing '{account}': {}", e.message);
            }
        }
    }
}
