//! The refresh worker. CLI refreshes run in a process of their own (its own process
//! group), so that a `kill -9` of the calling command between the provider's rotation of
//! the refresh token and the save cannot lose the new refresh token: the worker finishes
//! the save whatever happens to its caller.
//!
//! The worker answers with one line on a pipe, a [`Reply`], once the refresh is saved
//! (or has failed); the caller goes on without waiting for the worker to exit. On Linux a
//! single-threaded caller forks the worker, which then starts with the config already
//! read; any other caller runs `tokdeck __refresh`.

use super::{Engine, EngineError, oauth_error};
use crate::oauth::OAuthError;
use crate::oauth::http::TransportError;
use crate::token::TokenSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::Want;

/// What the caller asks of the worker: one JSON line on the worker's stdin (never argv:
/// nothing about it is parsed by clap, and it is the same for a forked worker).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Request {
    pub account: String,
    /// A token valid for this many more seconds; `None`: refresh now, whatever the expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_for_secs: Option<u64>,
    /// `valid_for_secs` is about the ID token.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub id_token: bool,
    /// `valid_for_secs` is about the token for this API or these scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<crate::token::Target>,
    /// A refresh asked at this moment: one that finished after it is the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Request {
    pub fn new(account: &str, want: &Want) -> Self {
        Self {
            account: account.to_string(),
            valid_for_secs: match want {
                Want::ValidFor(d) | Want::IdValidFor(d) | Want::Narrowed(_, d) => Some(d.as_secs()),
                // `Replace` is the dashboard's (which refreshes in its own process); in
                // the worker it is a refresh now.
                Want::NewerThan(_) | Want::Replace(_) => None,
            },
            id_token: matches!(want, Want::IdValidFor(_)),
            target: want.target().cloned(),
            asked_at: match want {
                Want::NewerThan(at) => Some(*at),
                _ => None,
            },
        }
    }

    pub fn want(&self) -> Want {
        let secs = std::time::Duration::from_secs;
        match self.valid_for_secs {
            Some(s) if self.id_token => Want::IdValidFor(secs(s)),
            Some(s) => Want::valid_for(self.target.as_ref(), secs(s)),
            None => Want::NewerThan(self.asked_at.unwrap_or_else(chrono::Utc::now)),
        }
    }

    /// The line written to the worker's stdin.
    pub fn line(&self) -> String {
        let mut line = serde_json::to_string(self).unwrap_or_default();
        line.push('\n');
        line
    }

    /// The request read from the worker's stdin (at most one line).
    pub fn read(input: impl Read) -> Result<Self, String> {
        let mut line = String::new();
        BufReader::new(input.take(64 * 1024))
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the request: {e}"))?;
        serde_json::from_str(&line).map_err(|_| "the request is not tokdeck's".to_string())
    }
}

/// Refreshes go to the worker, which is given the config file the caller was given; as a
/// program of its own it is this executable, found only when it is started (a cached
/// token never needs it).
#[derive(Debug, Clone)]
pub struct WorkerSetup {
    pub config: Option<PathBuf>,
}

/// The worker's answer, one JSON line on its pipe. It carries the new tokens (the pipe
/// is private to the two processes), so the caller need not read the store again.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "reply", content = "detail", rename_all = "kebab-case")]
pub enum Reply {
    Refreshed(TokenSet),
    /// Only an interactive login can help; the reason as the user reads it.
    /// The account named is the one to log in (for an account by exchange, its source).
    NeedsLogin {
        account: String,
        reason: String,
    },
    /// The tokens belong to another server or client than the one configured now.
    Rebound(String),
    /// The provider could not be reached; a still valid cached token may be served.
    Unreachable(String),
    /// What was asked cannot be done as configured (a bad usage: exit 2).
    Refused(String),
    Failed(String),
}

impl Reply {
    /// What a refresh in this process came to.
    pub fn of(result: Result<TokenSet, EngineError>) -> Self {
        match result {
            Ok(tokens) => Self::Refreshed(tokens),
            Err(EngineError::NeedsLogin { account, reason }) => {
                Self::NeedsLogin { account, reason }
            }
            Err(EngineError::Rebound { reason, .. }) => Self::Rebound(reason),
            Err(EngineError::OAuth {
                source: OAuthError::Transport(e),
                ..
            }) => Self::Unreachable(e.to_string()),
            Err(e @ (EngineError::Config(_) | EngineError::Refused(_))) => {
                Self::Refused(e.to_string())
            }
            Err(e) => Self::Failed(e.to_string()),
        }
    }

    /// The line written to the pipe.
    pub fn line(&self) -> String {
        let mut line = serde_json::to_string(self).unwrap_or_else(|e| {
            format!("{{\"reply\":\"failed\",\"detail\":\"cannot encode the reply: {e}\"}}")
        });
        line.push('\n');
        line
    }

    /// The caller's view of the reply, as if the refresh had run in its own process.
    pub fn into_result(self, name: &str) -> Result<TokenSet, EngineError> {
        match self {
            Self::Refreshed(tokens) => Ok(tokens),
            Self::NeedsLogin { account, reason } => {
                Err(EngineError::NeedsLogin { account, reason })
            }
            Self::Rebound(reason) => Err(EngineError::Rebound {
                account: name.to_string(),
                reason,
            }),
            Self::Unreachable(message) => Err(oauth_error(
                name,
                OAuthError::Transport(TransportError::Relayed(message)),
            )),
            Self::Refused(message) => Err(EngineError::Refused(message)),
            Self::Failed(message) => Err(EngineError::Worker(message)),
        }
    }

    /// Waits for the reply line, at most [`answer_within`]: a worker stuck on a frozen
    /// token store goes on alone (it never abandons a save) while its caller reports it.
    fn read(pipe: impl Read + Send + 'static, worker: &str) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = worker.to_string();
        let spawned = std::thread::Builder::new()
            .name("reply".into())
            .spawn(move || {
                let _ = tx.send(Self::parse(pipe, &reader));
            });
        if let Err(e) = spawned {
            return Self::Failed(format!(
                "cannot wait for the refresh worker ({worker}): {e}"
            ));
        }
        let within = answer_within();
        rx.recv_timeout(within).unwrap_or_else(|_| {
            // A stall, not a failure of the grant: a still valid cached token is served.
            Self::Unreachable(format!(
                "the refresh has not finished in {} s (a provider or token store that does not answer; TOKDECK_HTTP_TIMEOUT bounds this wait); the refresh worker ({worker}) keeps waiting for the provider's answer, which carries the new refresh token, and saves it when it comes",
                within.as_secs()
            ))
        })
    }

    /// Reads the reply line; a worker that ended without one is reported as a failure.
    fn parse(pipe: impl Read, worker: &str) -> Self {
        let mut line = String::new();
        match BufReader::new(pipe).read_line(&mut line) {
            // serde's message is left out: it could quote a token.
            Ok(_) if !line.trim().is_empty() => serde_json::from_str(&line).unwrap_or_else(|_| {
                Self::Failed(format!(
                    "the refresh worker ({worker}) gave an answer this tokdeck cannot read (was tokdeck replaced while it ran?)"
                ))
            }),
            Ok(_) => Self::Failed(format!(
                "the refresh worker ({worker}) stopped without an answer; run the command again, with --log-level debug for details"
            )),
            Err(e) => Self::Failed(format!(
                "cannot read the answer of the refresh worker ({worker}): {e}"
            )),
        }
    }
}

/// How long a caller waits for the worker, lock included: `TOKDECK_HTTP_TIMEOUT` and a
/// moment for the lock and the store. The worker itself goes on (it never abandons a
/// refresh whose answer may come, see `oauth::http::REFRESH_ANSWER_WAIT`), and callers
/// after this one wait for its lock instead of sending the same refresh token again.
fn answer_within() -> std::time::Duration {
    crate::oauth::http::request_timeout() + CALLER_SLACK
}

/// What a caller allows beyond `TOKDECK_HTTP_TIMEOUT` for the worker's start, its lock
/// and its save.
const CALLER_SLACK: std::time::Duration = std::time::Duration::from_secs(2);

impl Engine {
    /// The worker's side: refresh in this process, under the lock, and say how it went.
    pub async fn serve_refresh(&self, name: &str, want: Want) -> Reply {
        Reply::of(self.refresh_with(name, want).await)
    }
}

/// How a worker may be started: a fork of this engine only by a caller on a single
/// thread with no runtime (a fork copies one thread, and a runtime's state with it).
pub(super) enum Start<'a> {
    /// A fork of this engine (Linux), else the program.
    ForkOf(#[cfg_attr(not(target_os = "linux"), allow(dead_code))] &'a Engine),
    /// `tokdeck __refresh`: this process has threads.
    Program,
}

/// The one way a worker is started, and its fallbacks, blocking until it has answered.
/// `None` when it cannot be started (this executable cannot be found): the caller
/// refreshes in its own process.
pub(super) fn start(
    how: Start<'_>,
    worker_setup: &WorkerSetup,
    name: &str,
    want: &Want,
) -> Option<Reply> {
    #[cfg(target_os = "linux")]
    if let Start::ForkOf(engine) = how
        && let Some(reply) = fork::run(engine, name, want)
    {
        return Some(reply);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = how;
    let exe = std::env::current_exe().ok()?;
    Some(exec(&exe, worker_setup, name, want))
}

/// Runs `exe __refresh NAME` (`exe` being this tokdeck) and waits for its reply (not for
/// its exit).
fn exec(exe: &Path, worker_setup: &WorkerSetup, name: &str, want: &Want) -> Reply {
    let mut command = std::process::Command::new(exe);
    if let Some(config) = &worker_setup.config {
        command.arg("--config").arg(config);
    }
    command.arg("__refresh");
    if let Some(level) = crate::logging::active_level() {
        command.env(crate::logging::LOG_ENV, level);
    }
    command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        // Whoever reads the caller's stderr to its end must not wait for the worker; what
        // went wrong is in the reply and the log.
        .stderr(std::process::Stdio::null());
    // Out of the caller's process group (console group on Windows): a Ctrl-C of the
    // caller must not stop the save of a rotated refresh token.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    #[cfg(windows)]
    {
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        std::os::windows::process::CommandExt::creation_flags(
            &mut command,
            CREATE_NEW_PROCESS_GROUP,
        );
    }
    let worker = exe.display().to_string();
    match command.spawn() {
        Ok(mut child) => {
            let request = Request::new(name, want).line();
            let asked = child
                .stdin
                .take()
                .map(|mut stdin| std::io::Write::write_all(&mut stdin, request.as_bytes()));
            if !matches!(asked, Some(Ok(()))) {
                return Reply::Failed(format!(
                    "cannot hand the request to the refresh worker ({worker})"
                ));
            }
            let reply = match child.stdout.take() {
                Some(stdout) => Reply::read(stdout, &worker),
                None => Reply::Failed(format!("the refresh worker ({worker}) has no pipe")),
            };
            // Reaped when it ends (it may still be saving): a long-lived caller (the
            // agent, the dashboard) must not collect zombies.
            let _ = std::thread::Builder::new()
                .name("worker-reaper".into())
                .spawn(move || child.wait());
            reply
        }
        Err(e) => Reply::Failed(format!("cannot start the refresh worker '{worker}': {e}")),
    }
}

/// The worker as a fork of the caller: no second program start, no second reading of
/// the config. Only taken when the caller has a single thread: a fork copies only the
/// calling thread, and a lock another thread held would stay locked in the child.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod fork {
    use super::{Engine, Reply, Want};
    use std::io::Write;
    use std::os::fd::AsRawFd;

    /// `None` when this process has more than one thread or cannot fork: run the worker
    /// as a program instead.
    pub(super) fn run(engine: &Engine, name: &str, want: &Want) -> Option<Reply> {
        if !single_threaded() {
            return None;
        }
        let (reader, writer) = std::io::pipe().ok()?;
        // Nothing buffered may be written twice, by both processes.
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // SAFETY: this process has a single thread (checked above), so the child's copy
        // holds no lock that another thread held, and the allocator is consistent. The
        // child never returns into the caller's code: it leaves through `worker`.
        let pid = unsafe { libc::fork() };
        match pid {
            -1 => None,
            0 => {
                drop(reader);
                worker(engine, name, want, writer)
            }
            pid => {
                drop(writer);
                log::debug!("'{name}': refresh worker forked (pid {pid})");
                Some(Reply::read(reader, "forked"))
            }
        }
    }

    /// The child: out of the caller's process group (a Ctrl-C or kill of the caller's
    /// group does not reach it), off the caller's stdin, stdout and stderr (whoever reads
    /// the caller's output to its end must not wait for the worker: `$(tokdeck token …
    /// 2>&1)`, Go's `Output()`), refreshes, replies and exits. Panics end here too; what
    /// went wrong is in the reply and the log.
    fn worker(engine: &Engine, name: &str, want: &Want, mut reply_pipe: std::io::PipeWriter) -> ! {
        let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            detach();
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => {
                    let reply = runtime.block_on(engine.serve_refresh(name, want.clone()));
                    runtime.shutdown_background();
                    reply
                }
                Err(e) => Reply::Failed(format!("cannot start the async runtime: {e}")),
            }
        }))
        .unwrap_or_else(|_| Reply::Failed("the refresh worker panicked".to_string()));
        let _ = reply_pipe.write_all(reply.line().as_bytes());
        drop(reply_pipe);
        std::process::exit(0)
    }

    fn detach() {
        // SAFETY: plain system calls on this process and its own descriptors.
        unsafe {
            libc::setpgid(0, 0);
        }
        if let Ok(null) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
        {
            // SAFETY: as above; 0, 1 and 2 now point at /dev/null, `null` is closed after.
            unsafe {
                libc::dup2(null.as_raw_fd(), 0);
                libc::dup2(null.as_raw_fd(), 1);
                libc::dup2(null.as_raw_fd(), 2);
            }
        }
    }

    /// One entry in /proc/self/task per thread.
    fn single_threaded() -> bool {
        std::fs::read_dir("/proc/self/task").is_ok_and(|tasks| tasks.count() == 1)
    }
}

#[cfg(test)]
mod tests;
