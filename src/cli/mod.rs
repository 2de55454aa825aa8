//! The scriptable command line. Data goes to stdout, messages to stderr; exit codes are
//! part of the contract (see [`exit`]). This file only dispatches: the definition is in
//! `args.rs`, each family of subcommands in a file of its own.

mod account;
mod args;
mod decode;
mod error;
mod export;
mod fast;
mod list;
mod login;
mod meta;
mod output;
mod token;
mod which;
mod worker;

pub use args::{Cli, Command, DEFAULT_MIN_VALID, ExportFormat, FlowArg, TokenFormat};
pub use error::{CliError, exit};

use crate::config::{Config, Flow, Paths};
use crate::engine::{Detached, Engine, EngineError, LoginOptions, LogoutOptions};
use clap::Parser;
use std::path::PathBuf;

/// Parses the command line, runs it, and returns the exit status.
pub fn main() -> i32 {
    let cli = fast::plain_token_command(std::env::args_os().skip(1)).unwrap_or_else(Cli::parse);
    if let Err(code) = start_log(&cli) {
        return code;
    }
    let prepared = match &cli.command {
        Some(command) => match fast::answer(&cli.config, command) {
            fast::Answer::Done(code) => return code,
            fast::Answer::Go(engine) => engine,
        },
        None => None,
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let code = match cli.command {
        None => dashboard(cli.config.as_deref(), &runtime),
        Some(Command::RefreshWorker) => runtime.block_on(worker::run(cli.config)),
        Some(command) => error::exit_code(runtime.block_on(run(cli.config, command, prepared))),
    };
    // Dropping the runtime would wait for a store call that timed out and still hangs.
    runtime.shutdown_background();
    code
}

/// `tokdeck` without a subcommand.
fn dashboard(config: Option<&std::path::Path>, runtime: &tokio::runtime::Runtime) -> i32 {
    match crate::tui::run(config, runtime) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("tokdeck: {e}");
            match e {
                crate::tui::DashboardError::Paths(_) => exit::USAGE,
                crate::tui::DashboardError::Terminal(_) => exit::FAILURE,
            }
        }
    }
}

/// The log file, when `--log-level` or `TOKDECK_LOG` asks for one.
fn start_log(cli: &Cli) -> Result<(), i32> {
    if cli.log_level.is_none() && std::env::var_os(crate::logging::LOG_ENV).is_none() {
        return Ok(());
    }
    let Ok(dir) = Paths::resolve(cli.config.as_deref()).map(|p| p.data_dir) else {
        return Ok(());
    };
    match crate::logging::init(cli.log_level.as_deref(), &dir) {
        Ok(Some(_)) => log::info!(
            "tokdeck {} {}",
            env!("CARGO_PKG_VERSION"),
            if cli.command.is_some() {
                "command"
            } else {
                "dashboard"
            }
        ),
        Ok(None) => {}
        Err(e) => {
            eprintln!("tokdeck: {e}");
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
            eprintln!("tokdeck: cannot start the async runtime: {e}");
            exit::FAILURE
        })
}

/// The engine for commands that may refresh: refreshes run in a detached worker.
fn refreshing_engine(config_override: Option<PathBuf>) -> Result<Engine, EngineError> {
    let engine = engine(config_override.clone())?;
    Ok(engine.with_detached_refresh(Detached {
        config: config_override,
    }))
}

pub(super) fn engine(config_override: Option<PathBuf>) -> Result<Engine, EngineError> {
    let paths =
        Paths::resolve(config_override.as_deref()).map_err(crate::config::ConfigError::Paths)?;
    let config = Config::load(&paths.config_file)?;
    Ok(Engine::new(config, paths))
}

/// Runs `command`; `prepared` is the engine the fast path already built, if it did.
async fn run(
    config: Option<PathBuf>,
    command: Command,
    prepared: Option<Box<Engine>>,
) -> Result<(), CliError> {
    let refreshing = |config| match prepared {
        Some(engine) => Ok(*engine),
        None => refreshing_engine(config),
    };
    match command {
        Command::Token {
            account,
            id_token,
            min_valid,
            format,
        } => {
            let engine = refreshing(config)?;
            token::token(&engine, account.as_deref(), id_token, min_valid, format).await
        }
        Command::Header { account, min_valid } => {
            token::header(&refreshing(config)?, account.as_deref(), min_valid).await
        }
        Command::Export { account, format } => {
            token::export(&refreshing_engine(config)?, account.as_deref(), format).await
        }
        Command::Refresh { account } => {
            account::refresh(&refreshing_engine(config)?, account.as_deref()).await
        }
        Command::Introspect {
            account,
            refresh_token,
        } => account::introspect(&engine(config)?, account.as_deref(), refresh_token).await,
        Command::Userinfo { account } => {
            account::userinfo(&refreshing_engine(config)?, account.as_deref()).await
        }
        Command::Login {
            account,
            flow,
            no_browser,
            paste,
            replace_user,
        } => {
            let flow = flow.map(Flow::from);
            if paste && flow.is_some_and(|f| f != Flow::Browser) {
                return Err(CliError::Usage(
                    "--paste goes with the browser flow (--flow browser)".into(),
                ));
            }
            let options = LoginOptions { flow, replace_user };
            login::run(&engine(config)?, &account, options, no_browser, paste).await
        }
        Command::Logout {
            account,
            local,
            end_session,
        } => {
            let options = LogoutOptions { local, end_session };
            login::logout(&engine(config)?, &account, options).await
        }
        Command::List { json } => {
            let engine = engine(config)?;
            let result = list::run(&engine, json).await;
            output::warn_store(&engine);
            result
        }
        Command::Which { json } => which::run(&engine(config)?, json),
        Command::Decode {
            token,
            account,
            issuer,
            jwks,
        } => decode::command(config, token, account, issuer, jwks).await,
        Command::Providers { json } => meta::providers(json),
        Command::Completions { shell } => meta::completions(shell),
        Command::Man => meta::man(),
        Command::RefreshWorker => Ok(()),
    }
}
