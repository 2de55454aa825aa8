//! `tokdeck __refresh`: the refresh worker run as a program. It refreshes in its own
//! process and writes the reply, new tokens included, to stdout, which is its caller's
//! pipe.

use super::error::exit;
use crate::engine::{EngineError, Reply, WorkerRequest};
use std::io::Write;
use std::path::PathBuf;

/// Refuses a terminal: tokens are not shown unasked.
pub async fn run(config: Option<PathBuf>) -> i32 {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() || std::io::stdin().is_terminal() {
        eprintln!("tokdeck: __refresh is tokdeck's own worker; use `tokdeck refresh ACCOUNT`");
        return exit::USAGE;
    }
    let reply = match WorkerRequest::read(std::io::stdin()) {
        Err(e) => Reply::of(Err(EngineError::Worker(e))),
        Ok(request) => match super::engine(config) {
            Ok(engine) => engine.serve_refresh(&request.account, request.want()).await,
            Err(e) => Reply::of(Err(e)),
        },
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
