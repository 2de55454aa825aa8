//! What every command starts from: the log file, the async runtime, the engine over
//! the config, and the dashboard when no subcommand is given.

use super::args::Cli;
use super::error::exit;
use crate::config::{Config, Paths};
use crate::engine::{Engine, EngineError, WorkerSetup};
use clap::Parser;
use std::path::PathBuf;

/// `tokdeck` without a subcommand.
pub(super) fn dashboard(
    config: Option<&std::path::Path>,
    runtime: &tokio::runtime::Runtime,
) -> i32 {
    match crate::tui::run(config, runtime) {
        Ok(()) => exit::OK,
        Err(e) => {
            say!("tokdeck: {e}");
            match e {
                crate::tui::DashboardError::Paths(_)
                | crate::tui::DashboardError::NoTerminal(_) => exit::USAGE,
                crate::tui::DashboardError::Terminal(_) => exit::FAILURE,
            }
        }
    }
}

/// The log file of a command or the dashboard.
pub(super) fn start_log(cli: &Cli) -> Result<(), i32> {
    let what = if cli.command.is_some() {
        "command"
    } else {
        "dashboard"
    };
    open_log(cli.config.as_deref(), cli.log_level.as_deref(), what)
}

/// The log file, when `--log-level` or `TOKDECK_LOG` asks for one; `what` runs says
/// the first line.
pub(super) fn open_log(
    config: Option<&std::path::Path>,
    level: Option<&str>,
    what: &str,
) -> Result<(), i32> {
    if level.is_none() && std::env::var_os(crate::logging::LOG_ENV).is_none() {
        return Ok(());
    }
    let Ok(dir) = Paths::resolve(config).map(|p| p.data_dir) else {
        return Ok(());
    };
    match crate::logging::init(level, &dir) {
        Ok(Some(_)) => log::info!("tokdeck {} {what}", env!("CARGO_PKG_VERSION")),
        Ok(None) => {}
        Err(e) => {
            say!("tokdeck: {e}");
            return Err(exit::USAGE);
        }
    }
    Ok(())
}

/// The single-threaded runtime every command runs on (blocking store calls get threads
/// of their own); an error has been reported and carries the exit status.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, i32> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            say!("tokdeck: cannot start the async runtime: {e}");
            exit::FAILURE
        })
}

/// Runs `work` on the command runtime and returns its exit status (a runtime that cannot
/// start is reported and is exit 1).
pub(super) fn block_on(work: impl std::future::Future<Output = i32>) -> i32 {
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let code = runtime.block_on(work);
    // Dropping the runtime would wait for a store call that timed out and still hangs.
    runtime.shutdown_background();
    code
}

/// The engine for commands that may refresh: refreshes run in a detached worker.
pub(super) fn refreshing_engine(config_override: Option<PathBuf>) -> Result<Engine, EngineError> {
    let engine = engine(config_override.clone())?;
    Ok(engine.with_refresh_worker(WorkerSetup {
        config: config_override,
    }))
}

pub(super) fn engine(config_override: Option<PathBuf>) -> Result<Engine, EngineError> {
    if let Ok(value) = std::env::var(crate::oauth::http::TIMEOUT_ENV)
        && !value.trim().parse::<u64>().is_ok_and(|s| s > 0)
    {
        return Err(EngineError::Refused(format!(
            "{}='{value}' is not a number of seconds; set it to a whole number above 0 (default 30), or unset it",
            crate::oauth::http::TIMEOUT_ENV
        )));
    }
    let paths =
        Paths::resolve(config_override.as_deref()).map_err(crate::config::ConfigError::Paths)?;
    let config = Config::load(&paths.config_file)?;
    if let Some(warning) = config.exposure_warning() {
        say!("tokdeck: {warning}");
    }
    Ok(Engine::new(config, paths))
}

/// The command line as clap reads it; `--help` and `--version` go through the same
/// stdout checks as every output (a full disk is exit 1, a closed pipe is quiet).
pub(super) fn parse() -> Result<Cli, i32> {
    use clap::error::ErrorKind;
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let text = e.render().to_string();
            Err(super::error::exit_code(super::output::with(|out| {
                out.write_all(text.as_bytes())
            })))
        }
        Err(e) => e.exit(),
    }
}

/// Processes started for tokdeck's own purposes, answered before anything else: the
/// shell asking for completions (which exits), the refresh worker, Docker running
/// `docker-credential-tokdeck` (their exit statuses).
pub(super) fn internal() -> Option<i32> {
    super::complete::answer();
    super::worker::answer().or_else(super::docker::as_helper)
}
