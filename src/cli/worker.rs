//! `tokdeck __refresh`: the refresh worker run as a program. It refreshes in its own
//! process and writes the reply, new tokens included, to stdout, which is its caller's
//! pipe.

use super::error::exit;
use crate::engine::{Reply, Want};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The request as the caller's argv put it.
pub fn want(min_valid: Option<u64>, always: bool) -> Want {
    match (always, min_valid) {
        (true, _) | (false, None) => Want::Always,
        (false, Some(secs)) => Want::ValidFor(Duration::from_secs(secs)),
    }
}

/// Refuses a terminal: tokens are not shown unasked.
pub async fn run(config: Option<PathBuf>, account: &str, want: Want) -> i32 {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        eprintln!("tokdeck: __refresh is tokdeck's own worker; use `tokdeck refresh {account}`");
        return exit::USAGE;
    }
    let reply = match super::engine(config) {
        Ok(engine) => engine.serve_refresh(account, want).await,
        Err(e) => Reply::of(Err(e)),
    };
    let mut out = std::io::stdout().lock();
    match out
        .write_all(reply.line().as_bytes())
        .and_then(|()| out.flush())
    {
        Ok(()) => exit::OK,
        Err(_) => exit::FAILURE,
    }
}
