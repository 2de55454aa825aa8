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
mod setup;
mod token;
mod which;
mod worker;

pub use args::{Cli, Command, DEFAULT_MIN_VALID, ExportFormat, FlowArg, TokenFormat};
pub use error::{CliError, exit};
use setup::{engine, refreshing_engine};

use crate::config::Flow;
use crate::engine::{Engine, LoginOptions, LogoutOptions};
use clap::Parser;
use std::path::PathBuf;

/// Parses the command line, runs it, and returns the exit status.
pub fn main() -> i32 {
    let cli = match fast::plain_token_command(std::env::args_os().skip(1)) {
        Some(cli) => cli,
        None => match parse() {
            Ok(cli) => cli,
            Err(code) => return code,
        },
    };
    if let Err(code) = setup::start_log(&cli) {
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
        Some(Command::RefreshWorker) => runtime.block_on(worker::run(cli.config)),
        Some(command) => error::exit_code(runtime.block_on(run(cli.config, command, prepared))),
    };
    // Dropping the runtime would wait for a store call that timed out and still hangs.
    runtime.shutdown_background();
    code
}

/// The command line as clap reads it; `--help` and `--version` go through the same
/// stdout checks as every output (a full disk is exit 1, a closed pipe is quiet).
fn parse() -> Result<Cli, i32> {
    use clap::error::ErrorKind;
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let text = e.render().to_string();
            Err(error::exit_code(output::with(|out| {
                out.write_all(text.as_bytes())
            })))
        }
        Err(e) => e.exit(),
    }
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
            strict,
            format,
            json,
        } => {
            let engine = refreshing(config)?;
            let format = if json { TokenFormat::Json } else { format };
            let ask = token::Ask {
                min_valid,
                strict,
                id_token,
            };
            token::token(&engine, account.as_deref(), ask, format).await
        }
        Command::Header {
            account,
            min_valid,
            strict,
        } => {
            let ask = token::Ask {
                min_valid,
                strict,
                id_token: false,
            };
            token::header(&refreshing(config)?, account.as_deref(), ask).await
        }
        Command::Export {
            account,
            format,
            shell,
        } => {
            let engine = refreshing_engine(config)?;
            token::export(&engine, account.as_deref(), format, shell).await
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
            let engine = engine(config)?;
            output::warn_config(engine.config(), &account);
            let flow = flow.map(Flow::from);
            let used = flow.unwrap_or(engine.account(&account)?.flow);
            if paste && used != Flow::Browser {
                return Err(CliError::Usage(format!(
                    "--paste goes with the browser flow, and '{account}' would log in with the {used} flow; add --flow browser, or leave --paste out"
                )));
            }
            let options = LoginOptions { flow, replace_user };
            login::run(&engine, &account, options, no_browser, paste).await
        }
        Command::Logout {
            account,
            local,
            end_session,
        } => {
            let options = LogoutOptions { local, end_session };
            let engine = engine(config)?;
            output::warn_config(engine.config(), &account);
            login::logout(&engine, &account, options).await
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
