//! The scriptable command line. Data goes to stdout, messages to stderr; exit codes are
//! part of the contract (see [`exit`]). This file only dispatches: the definition is in
//! `args.rs`, each family of subcommands in a file of its own.

/// A line on stderr, made printable (see [`crate::printable`]): whatever a server put
/// in it cannot steer the terminal. Line feeds between the message's own lines stay.
macro_rules! say {
    () => {
        $crate::cli::output::stderr_line("")
    };
    ($($arg:tt)*) => {
        $crate::cli::output::stderr_line(&format!($($arg)*))
    };
}

mod account;
mod add_api;
mod agent;
mod approve;
mod args;
mod audit;
mod client_key;
mod complete;
mod decode;
mod docker;
mod error;
mod exec;
mod export;
mod fast;
mod git;
mod jwt;
mod kubectl;
mod list;
mod login;
mod manage;
mod manual;
mod meta;
mod output;
mod prompt;
mod relaunch;
mod setup;
mod ssh;
mod token;
mod tools;
#[cfg(unix)]
mod via_agent;
mod which;
mod worker;

use crate::config::Flow;
use crate::engine::{Engine, LoginOptions, LogoutOptions};
pub use args::{Cli, Command, ExportFormat, FlowArg, TokenFormat};
pub use error::{CliError, exit};
use setup::{engine, refreshing_engine};
use std::path::PathBuf;

/// Parses the command line, runs it, and returns the exit status.
pub fn main() -> i32 {
    if let Some(code) = setup::internal() {
        return code;
    }
    let plain = fast::plain_token_command(std::env::args_os().skip(1));
    let cli = match plain.map_or_else(setup::parse, Ok) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    if let Err(code) = setup::start_log(&cli) {
        return code;
    }
    #[cfg(unix)]
    if let Some(code) = via_agent::answer(&cli) {
        return code;
    }
    let prepared = match &cli.command {
        Some(command) => match fast::answer(&cli.config, command) {
            fast::Answer::Done(code) => return code,
            fast::Answer::Go(engine) => engine,
        },
        None => None,
    };
    let runtime = match setup::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let code = match cli.command {
        None => setup::dashboard(cli.config.as_deref(), &runtime),
        Some(command) => error::exit_code(runtime.block_on(run(cli.config, command, prepared))),
    };
    // Dropping the runtime would wait for a store call that timed out and still hangs.
    runtime.shutdown_background();
    code
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
        Command::Token(args) => token::token(&refreshing(config)?, args).await,
        Command::Header(args) => token::header(&refreshing(config)?, args).await,
        Command::Export(args) => token::export(&refreshing_engine(config)?, args).await,
        Command::Exec(args) => exec::run(&refreshing_engine(config)?, args).await,
        Command::Refresh { account } => account::refresh(config, account).await,
        Command::Exchange(args) => account::exchange(config, args).await,
        Command::Introspect {
            account,
            refresh_token,
        } => account::introspect(&engine(config)?, account.as_deref(), refresh_token).await,
        Command::Userinfo { account } => account::userinfo(config, account).await,
        Command::Login {
            account,
            flow,
            no_browser,
            paste,
            replace_user,
        } => {
            let options = LoginOptions {
                flow: flow.map(Flow::from),
                replace_user,
            };
            login::command(&engine(config)?, &account, options, no_browser, paste).await
        }
        Command::Logout {
            account,
            local,
            end_session,
        } => {
            let options = LogoutOptions { local, end_session };
            login::logout(&engine(config)?, &account, options).await
        }
        Command::List { json } => list::run(&engine(config)?, json).await,
        Command::Which { json } => match engine(config.clone()) {
            Ok(engine) => which::run(&engine, json),
            #[cfg(unix)]
            Err(e) if config.is_none() => which::agent_instead(json).unwrap_or(Err(e.into())),
            Err(e) => Err(e.into()),
        },
        Command::Decode(args) => decode::command(config, args).await,
        Command::Jwt(args::JwtCommand::Sign(args)) => jwt::sign(*args),
        Command::Jwt(args::JwtCommand::Keygen { alg, out }) => jwt::keygen(&alg, &out),
        Command::Jwt(args::JwtCommand::Serve { key, port }) => jwt::serve(&key, port).await,
        Command::Add(add) => manage::add(config.as_deref(), add).await,
        Command::GitCredential { operation } => git::credential(config, operation).await,
        Command::DockerCredential { operation } => docker::credential(config, &operation).await,
        Command::Setup(setup) => tools::setup(config, setup).await,
        Command::ClientKey(command) => client_key::run(config.as_deref(), command),
        Command::Remove(remove) => manage::remove(config.as_deref(), remove).await,
        Command::Providers { json } => meta::providers(json),
        Command::Completions { shell } => meta::completions(shell),
        Command::Man => meta::man(),
        Command::Agent(args) => agent::run(config, args).await,
        Command::Approve(args) => approve::run(config, args),
        Command::Audit(args) => audit::run(config, args),
        Command::Ssh { args } => ssh::run(config, args),
    }
}
