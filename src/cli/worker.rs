//! `tokdeck [--config PATH] __refresh`: the refresh worker run as a program. It
//! refreshes in its own process and writes the reply, new tokens included, to stdout,
//! which is its caller's pipe. It is read before clap, and so is in no `--help`,
//! completion or man page.

use super::error::exit;
use crate::engine::{EngineError, Reply, WorkerRequest};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

/// The worker's exit status, when this process is one (`tokdeck __refresh`, after
/// `--config PATH` if the caller had one).
pub fn answer() -> Option<i32> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let config = match args.as_slice() {
        [verb] if verb == WORKER => None,
        [flag, path, verb] if flag == "--config" && verb == WORKER => Some(PathBuf::from(path)),
        _ => return None,
    };
    if let Err(code) = super::setup::open_log(config.as_deref(), None, "refresh worker") {
        return Some(code);
    }
    Some(super::setup::block_on(run(config)))
}

/// The worker's name on its command line.
const WORKER: &str = "__refresh";

/// Refuses a terminal: tokens are not shown unasked.
async fn run(config: Option<PathBuf>) -> i32 {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() || std::io::stdin().is_terminal() {
        say!("tokdeck: __refresh is tokdeck's own worker; use `tokdeck refresh ACCOUNT`");
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
