//! `tokdeck agent`: start it (in the background, or `--foreground` for a service
//! manager), and `status`, `lock`, `unlock`, `stop`.

use super::args::AgentArgs;
use super::error::CliError;
use std::path::PathBuf;

#[cfg(not(unix))]
pub async fn run(_config: Option<PathBuf>, _args: AgentArgs) -> Result<(), CliError> {
    Err(CliError::Usage(
        "the agent runs on Linux and macOS; on Windows (where it would listen on a named pipe with a user-only ACL, not built yet) every command works without it".into(),
    ))
}

#[cfg(unix)]
pub async fn run(config: Option<PathBuf>, args: AgentArgs) -> Result<(), CliError> {
    use super::args::AgentCommand;
    use crate::agent::protocol::{Done, Request};
    let paths = crate::config::Paths::resolve(config.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let request = match args.command {
        None if args.foreground => return unix::foreground(config, &paths, &args).await,
        None => return unix::background(config.as_deref(), &paths, &args),
        Some(AgentCommand::Status { json }) => return status(&paths, json),
        Some(AgentCommand::Lock) => Request::Lock,
        Some(AgentCommand::Unlock) => Request::Unlock,
        Some(AgentCommand::Stop) => Request::Stop,
    };
    let mut client = running(&paths)?;
    client.call::<Done>(&request).map_err(CliError::Agent)?;
    let said = match request {
        Request::Lock => {
            "locked: it holds no token and refuses requests until `tokdeck agent unlock`"
        }
        Request::Unlock => "unlocked",
        _ => "stopped",
    };
    say!("tokdeck agent: {said}");
    Ok(())
}

/// The running agent, or the error that says how to start one.
#[cfg(unix)]
pub(super) fn running(
    paths: &crate::config::Paths,
) -> Result<crate::agent::client::Client, CliError> {
    crate::agent::client::Client::find(paths)
        .map_err(CliError::Agent)?
        .ok_or_else(|| {
            CliError::Failed(format!(
                "no tokdeck agent runs (its socket would be '{}'); start it with `tokdeck agent`",
                crate::agent::socket::default_path(&paths.data_dir).display()
            ))
        })
}

#[cfg(unix)]
fn status(paths: &crate::config::Paths, json: bool) -> Result<(), CliError> {
    use crate::agent::protocol::{Request, Status};
    let mut client = running(paths)?;
    let status: Status = client.call(&Request::Status).map_err(CliError::Agent)?;
    if json {
        return super::output::line(&serde_json::to_string(&status).unwrap_or_default());
    }
    super::output::line(&format!(
        "agent: pid {}, socket {}, since {}\nstate: {}\ntokens held: {}\nwaiting for a person: {}\napprovals: {}",
        status.pid,
        status.socket.display(),
        status
            .started_at
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S"),
        if status.locked {
            "locked (`tokdeck agent unlock`)"
        } else {
            "unlocked"
        },
        status.held,
        status.pending,
        status.approvals,
    ))
}

#[cfg(unix)]
mod unix {
    use super::super::args::AgentArgs;
    use super::super::error::CliError;
    use crate::agent::client::{Client, Reach};
    use crate::agent::server::{self, Options, Place};
    use crate::agent::socket;
    use crate::config::Paths;
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    /// How long `tokdeck agent` waits for the agent it started to answer.
    const START_WAIT: Duration = Duration::from_secs(10);

    fn options(args: &AgentArgs) -> Result<Options, CliError> {
        let duration = |flag: &str, text: &str| match crate::jwt::edit::seconds(text) {
            None => Err(CliError::Usage(format!(
                "{flag} '{text}' is not a duration; write e.g. 60s, 15m or 8h"
            ))),
            Some(s) if s <= 0 => Err(CliError::Usage(format!(
                "{flag} '{text}' must be longer than 0 (e.g. 60s, 15m or 8h)"
            ))),
            // A year is far beyond any use, and far below what a clock can add.
            Some(s) if s > 366 * 86_400 => Err(CliError::Usage(format!(
                "{flag} '{text}' is over a year; give at most 366d"
            ))),
            Some(s) => Ok(Duration::from_secs(s.unsigned_abs())),
        };
        Ok(Options {
            ask_timeout: duration("--ask-timeout", &args.ask_timeout)?,
            forget_idle: duration("--forget-idle", &args.forget_idle)?,
            lock_after: args
                .lock_after
                .as_deref()
                .map(|t| duration("--lock-after", t))
                .transpose()?,
        })
    }

    /// Where this agent listens: `TOKDECK_AGENT_SOCK` when set, else the fixed path.
    fn socket_path(paths: &Paths) -> PathBuf {
        match socket::where_to_look(&paths.data_dir) {
            socket::Where::Named(path) => path,
            _ => socket::default_path(&paths.data_dir),
        }
    }

    /// Starts the agent in the background and returns once it answers.
    pub(super) fn background(
        config: Option<&Path>,
        paths: &Paths,
        args: &AgentArgs,
    ) -> Result<(), CliError> {
        options(args)?;
        let path = socket_path(paths);
        if let Ok(mut client) = Client::connect(&path) {
            say!(
                "tokdeck agent: already running at '{}' ({})",
                path.display(),
                client.agent()
            );
            return Ok(());
        }
        let exe = std::env::current_exe()
            .map_err(|e| CliError::Failed(format!("cannot find tokdeck's own program: {e}")))?;
        let mut command = std::process::Command::new(exe);
        command.arg("agent").arg("--foreground");
        command.args(["--ask-timeout", &args.ask_timeout]);
        command.args(["--forget-idle", &args.forget_idle]);
        if let Some(after) = &args.lock_after {
            command.args(["--lock-after", after]);
        }
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        use std::os::unix::process::CommandExt;
        // Its own process group: the terminal's Ctrl-C and job control do not reach it.
        command
            .process_group(0)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|e| CliError::Failed(format!("cannot start the agent: {e}")))?;
        let started = std::time::Instant::now();
        while started.elapsed() < START_WAIT {
            if let Ok(mut client) = Client::connect(&path) {
                say!(
                    "tokdeck agent: running (pid {}), socket '{}' ({})",
                    child.id(),
                    path.display(),
                    client.agent()
                );
                return Ok(());
            }
            if let Ok(Some(status)) = child.try_wait() {
                let mut said = String::new();
                if let Some(mut err) = child.stderr.take() {
                    use std::io::Read;
                    let _ = err.read_to_string(&mut said);
                }
                return Err(CliError::Failed(format!(
                    "the agent ended at its start ({status}): {}",
                    said.trim().trim_start_matches("tokdeck: ")
                )));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Err(CliError::Failed(format!(
            "the agent (pid {}) did not answer at '{}' within {} s; see its log (TOKDECK_LOG=info)",
            child.id(),
            path.display(),
            START_WAIT.as_secs()
        )))
    }

    /// Runs the agent in this process until it is stopped.
    pub(super) async fn foreground(
        config: Option<PathBuf>,
        paths: &Paths,
        args: &AgentArgs,
    ) -> Result<(), CliError> {
        let options = options(args)?;
        let path = socket_path(paths);
        socket::check_length(&path).map_err(CliError::Usage)?;
        let dir = path
            .parent()
            .ok_or_else(|| CliError::Usage(format!("'{}' has no directory", path.display())))?;
        let uid = own_uid(&paths.data_dir)?;
        socket::guard_dir(dir, uid).map_err(CliError::Failed)?;
        clear_stale(&path)?;
        let listener = tokio::net::UnixListener::bind(&path)
            .map_err(|e| CliError::Failed(format!("cannot listen at '{}': {e}", path.display())))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| CliError::Failed(format!("'{}': {e}", path.display())))?;
        let place = Place {
            socket: path.clone(),
            audit: crate::agent::audit::path(&paths.data_dir),
            config: paths.config_file.clone(),
        };
        let maker: server::EngineMaker = Box::new(move || {
            super::super::setup::refreshing_engine(config.clone()).map_err(|e| e.to_string())
        });
        say!(
            "tokdeck agent: listening at '{}' (pid {})",
            path.display(),
            std::process::id()
        );
        server::serve(listener, uid, place, options, maker)
            .await
            .map_err(CliError::Failed)
    }

    /// This process's uid, as the owner of a file it makes (no `unsafe` call needed).
    fn own_uid(data_dir: &Path) -> Result<u32, CliError> {
        std::fs::create_dir_all(data_dir)
            .and_then(|()| tempfile::tempfile_in(data_dir))
            .and_then(|f| f.metadata())
            .map(|m| m.uid())
            .map_err(|e| CliError::Failed(format!("cannot write in '{}': {e}", data_dir.display())))
    }

    /// A socket left by an agent that ended without removing it is removed; one that
    /// answers is another agent.
    fn clear_stale(path: &Path) -> Result<(), CliError> {
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return Ok(());
        };
        match Client::connect(path) {
            Ok(mut client) => Err(CliError::Failed(format!(
                "an agent already runs at '{}' ({}); `tokdeck agent stop` ends it",
                path.display(),
                client.agent()
            ))),
            Err(Reach::Refused(failure)) => Err(CliError::Agent(failure)),
            Err(Reach::Absent(_)) if meta.file_type().is_socket() => std::fs::remove_file(path)
                .map_err(|e| {
                    CliError::Failed(format!(
                        "cannot remove the old socket '{}': {e}",
                        path.display()
                    ))
                }),
            Err(Reach::Absent(_)) => Err(CliError::Failed(format!(
                "'{}' is in the agent's way and is not a socket; remove it",
                path.display()
            ))),
        }
    }
}
