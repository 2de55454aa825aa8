//! The scriptable command line. Data goes to stdout, messages to stderr; exit codes are
//! part of the contract (see [`exit`]).

mod decode;
mod export;
mod list;
mod login;
mod which;

use crate::config::{Config, Flow, Paths};
use crate::engine::{
    Detached, Engine, EngineError, Fresh, LoginOptions, LogoutOptions, Reply, Want,
};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Exit statuses scripts can rely on.
pub mod exit {
    pub const OK: i32 = 0;
    /// The provider, the network or the store failed.
    pub const FAILURE: i32 = 1;
    /// Bad usage or a bad config file.
    pub const USAGE: i32 = 2;
    /// `decode` was asked to verify and the signature did not verify.
    pub const UNVERIFIED: i32 = 3;
    /// No usable token: only `tokdeck login` helps.
    pub const NEEDS_LOGIN: i32 = 4;
}

#[derive(Debug, Parser)]
#[command(
    name = "tokdeck",
    version,
    about = "OAuth 2.0 / OpenID Connect tokens for many accounts, in a terminal dashboard and a scriptable CLI"
)]
pub struct Cli {
    /// Config file to use instead of the default (see README).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Write a log to tokdeck.log in the data directory (never to the terminal):
    /// off, error, warn, info, debug or trace. Also TOKDECK_LOG=LEVEL.
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FlowArg {
    Device,
    Browser,
    ClientCredentials,
}

impl From<FlowArg> for Flow {
    fn from(f: FlowArg) -> Self {
        match f {
            FlowArg::Device => Flow::Device,
            FlowArg::Browser => Flow::Browser,
            FlowArg::ClientCredentials => Flow::ClientCredentials,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// `ACCESS_TOKEN=…` lines for `eval` or an env file.
    Env,
    /// The whole token set with its metadata.
    Json,
    /// A `-H 'Authorization: …'` fragment for curl.
    Curl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenFormat {
    /// The token and a newline.
    Text,
    /// A Kubernetes ExecCredential, for kubectl's exec credential plugins.
    K8s,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to an account with its flow (device, browser or client credentials).
    Login {
        /// Account name: an [accounts.NAME] table in config.toml.
        account: String,
        /// Use this flow instead of the account's.
        #[arg(long, value_enum)]
        flow: Option<FlowArg>,
        /// Print the URL instead of opening a browser.
        #[arg(long)]
        no_browser: bool,
        /// Browser flow on another machine (SSH): print the URL, then read the address the
        /// browser ended on from stdin; state and PKCE are checked as usual.
        #[arg(long)]
        paste: bool,
        /// Accept a login as another person than the one the account holds: the old
        /// person's tokens are revoked and the account becomes the new person's.
        #[arg(long)]
        replace_user: bool,
    },
    /// Print a valid access token, refreshing first if it expires soon.
    Token {
        /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
        /// account whose `directories` hold the working directory, or `default_account`.
        account: Option<String>,
        /// Print the ID token instead.
        #[arg(long)]
        id_token: bool,
        /// Refresh when the token expires within this many seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_MIN_VALID)]
        min_valid: u64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TokenFormat::Text)]
        format: TokenFormat,
    },
    /// Print `Authorization: Bearer <token>`, refreshing first if needed.
    Header {
        /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
        /// account whose `directories` hold the working directory, or `default_account`.
        account: Option<String>,
        #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_MIN_VALID)]
        min_valid: u64,
    },
    /// Refresh an account's tokens now.
    Refresh {
        /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
        /// account whose `directories` hold the working directory, or `default_account`.
        account: Option<String>,
    },
    /// Revoke an account's tokens at the provider and delete them here.
    Logout {
        /// Account name: an [accounts.NAME] table in config.toml.
        account: String,
        /// Only delete the tokens here, even when the provider cannot be reached to
        /// revoke them.
        #[arg(long)]
        local: bool,
        /// Also end the provider's browser session (OIDC RP-initiated logout), so that
        /// the next login can pick another person.
        #[arg(long)]
        end_session: bool,
    },
    /// Print the account that commands without an account name use here, and why.
    Which {
        #[arg(long)]
        json: bool,
    },
    /// List accounts with their token state.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Internal: the detached refresh worker of every command that may refresh.
    #[command(name = "__refresh", hide = true)]
    RefreshWorker {
        /// Account name: an [accounts.NAME] table in config.toml.
        account: String,
        #[arg(long, value_name = "SECONDS")]
        min_valid: Option<u64>,
        #[arg(long)]
        always: bool,
    },
    /// Decode a JWT (from the argument or stdin) into its header and claims, as JSON;
    /// with a key source, verify its signature (exit status 3 when it does not verify).
    Decode {
        /// The token; read from stdin when absent (keeps it out of the process list).
        token: Option<String>,
        /// Verify with this account's provider keys.
        #[arg(long, conflicts_with_all = ["issuer", "jwks"])]
        account: Option<String>,
        /// Verify with the keys of this issuer (OIDC discovery).
        #[arg(long, conflicts_with = "jwks", value_name = "URL")]
        issuer: Option<String>,
        /// Verify with the JWK Set at this URL.
        #[arg(long, value_name = "URL")]
        jwks: Option<String>,
    },
    /// Ask the provider about the access token (RFC 7662); prints its JSON.
    Introspect {
        /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
        /// account whose `directories` hold the working directory, or `default_account`.
        account: Option<String>,
        /// Introspect the refresh token instead.
        #[arg(long)]
        refresh_token: bool,
    },
    /// The user's claims from the provider's userinfo endpoint; prints its JSON.
    Userinfo {
        /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
        /// account whose `directories` hold the working directory, or `default_account`.
        account: Option<String>,
    },
    /// Print a valid access token in a format other tools read.
    Export {
        /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
        /// account whose `directories` hold the working directory, or `default_account`.
        account: Option<String>,
        #[arg(long, value_enum, default_value_t = ExportFormat::Env)]
        format: ExportFormat,
    },
    /// List the provider presets (`preset = "KEY"` in a [providers.NAME] table).
    Providers {
        #[arg(long)]
        json: bool,
    },
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

/// `--min-valid` when not given: a token about to expire is refreshed first.
pub const DEFAULT_MIN_VALID: u64 = 60;

/// Parses the command line, runs it, and returns the exit status.
pub fn main() -> i32 {
    let cli = plain_token_command(std::env::args_os().skip(1)).unwrap_or_else(Cli::parse);
    if cli.log_level.is_some() || std::env::var_os(crate::logging::LOG_ENV).is_some() {
        let dir = crate::config::Paths::resolve(cli.config.as_deref()).map(|p| p.data_dir);
        if let Ok(dir) = dir {
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
                    return exit::USAGE;
                }
            }
        }
    }
    let Some(command) = cli.command else {
        return crate::tui::main(cli.config.as_deref());
    };
    if let Some(code) = file_store_fast_path(&cli.config, &command) {
        return code;
    }
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    if let Command::RefreshWorker {
        account,
        min_valid,
        always,
    } = &command
    {
        let want = match (always, min_valid) {
            (true, _) | (false, None) => Want::Always,
            (false, Some(secs)) => Want::ValidFor(Duration::from_secs(*secs)),
        };
        let code = runtime.block_on(refresh_worker(cli.config, account, want));
        runtime.shutdown_background();
        return code;
    }
    let result = runtime.block_on(run(cli.config, command));
    // Dropping the runtime would wait for a store call that timed out and still hangs.
    runtime.shutdown_background();
    exit_code(result)
}

/// The exit status for a command's outcome, with the error reported on stderr.
fn exit_code(result: Result<(), EngineError>) -> i32 {
    match result {
        Ok(()) => exit::OK,
        Err(EngineError::Unverified) => exit::UNVERIFIED,
        Err(e) => {
            eprintln!("tokdeck: {e}");
            match e {
                EngineError::NeedsLogin { .. } | EngineError::Rebound { .. } => exit::NEEDS_LOGIN,
                EngineError::Config(_) | EngineError::Usage(_) => exit::USAGE,
                _ => exit::FAILURE,
            }
        }
    }
}

/// `tokdeck token [NAME]` and `tokdeck header [NAME]`, exactly so (no option), are the
/// calls shell prompts and `curl` loops make: they are read without building the
/// command-line parser (a quarter of a cached token's start-up). Anything else goes
/// through clap.
fn plain_token_command(mut args: impl Iterator<Item = std::ffi::OsString>) -> Option<Cli> {
    let verb = args.next()?;
    let account = match args.next() {
        None => None,
        Some(name) => Some(name.into_string().ok().filter(|n| !n.starts_with('-'))?),
    };
    if args.next().is_some() {
        return None;
    }
    let command = match verb.to_str()? {
        "token" => Command::Token {
            account,
            id_token: false,
            min_valid: DEFAULT_MIN_VALID,
            format: TokenFormat::Text,
        },
        "header" => Command::Header {
            account,
            min_valid: DEFAULT_MIN_VALID,
        },
        _ => return None,
    };
    Some(Cli {
        config: None,
        log_level: None,
        command: Some(command),
    })
}

/// `token` and `header` with the file store, answered on this thread: no async runtime,
/// no worker thread, no network for a valid cached token, and for a refresh the worker
/// process (forked on Linux). Everything else (the keyring, `--id-token`, an unreadable
/// record) returns `None` and takes the general path, which does the same checks and
/// reports problems.
fn file_store_fast_path(config: &Option<PathBuf>, command: &Command) -> Option<i32> {
    let (account, min_valid) = match command {
        Command::Token {
            account,
            id_token: false,
            min_valid,
            ..
        }
        | Command::Header { account, min_valid } => (account, *min_valid),
        _ => return None,
    };
    let engine = refreshing_engine(config.clone()).ok()?;
    let account = &which::pick(&engine, account.as_deref()).ok()?;
    let fresh = engine.fresh_in_file_store(account, Duration::from_secs(min_valid))?;
    let result = fresh.and_then(|fresh| {
        log::debug!("'{account}': answered from the file store");
        let tokens = with_warnings(&engine, fresh);
        match command {
            Command::Token { format, .. } => {
                print_token(*format, &tokens.access_token, tokens.expires_at)
            }
            _ => print_line(&tokens.authorization_header()),
        }
    });
    Some(exit_code(result))
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

/// The worker run as a program (`tokdeck __refresh`): refresh in this process and write
/// the reply, new tokens included, to stdout, which is its caller's pipe. It refuses a
/// terminal: tokens are not shown unasked.
async fn refresh_worker(config: Option<PathBuf>, account: &str, want: Want) -> i32 {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        eprintln!("tokdeck: __refresh is tokdeck's own worker; use `tokdeck refresh {account}`");
        return exit::USAGE;
    }
    let reply = match engine(config) {
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

/// The engine for commands that may refresh: refreshes run in a detached worker.
fn refreshing_engine(config_override: Option<PathBuf>) -> Result<Engine, EngineError> {
    let engine = engine(config_override.clone())?;
    Ok(engine.with_detached_refresh(Detached {
        config: config_override,
    }))
}

pub(super) fn engine(config_override: Option<PathBuf>) -> Result<Engine, EngineError> {
    let paths = Paths::resolve(config_override.as_deref()).map_err(EngineError::Usage)?;
    let config = Config::load(&paths.config_file)?;
    Ok(Engine::new(config, paths))
}

async fn run(config: Option<PathBuf>, command: Command) -> Result<(), EngineError> {
    match command {
        Command::Decode {
            token,
            account,
            issuer,
            jwks,
        } => {
            let source = match (account, issuer, jwks) {
                (Some(a), _, _) => decode::KeySource::Account(a),
                (_, Some(i), _) => decode::KeySource::Issuer(i),
                (_, _, Some(j)) => decode::KeySource::JwksUri(j),
                _ => decode::KeySource::None,
            };
            if decode::run(config, token, source).await? {
                return Err(EngineError::Unverified);
            }
            Ok(())
        }
        Command::Introspect {
            account,
            refresh_token,
        } => {
            let engine = engine(config)?;
            let account = which::pick(&engine, account.as_deref())?;
            let value = engine.introspect(&account, refresh_token).await?;
            print_line(&serde_json::to_string_pretty(&value).unwrap_or_default())
        }
        Command::Export { account, format } => {
            let engine = refreshing_engine(config)?;
            let account = which::pick(&engine, account.as_deref())?;
            let tokens = fresh(&engine, &account, 60).await?;
            let provider = engine.account(&account)?.provider.name.clone();
            print_line(&export::render(&account, &provider, &tokens, format))
        }
        Command::Providers { json } => {
            let presets = crate::config::presets();
            if json {
                let list: Vec<serde_json::Value> = presets
                    .iter()
                    .map(|(key, p)| {
                        serde_json::json!({
                            "preset": key,
                            "description": p.description,
                            "flow": p.flow,
                            "scopes": p.scopes,
                            "requires": p.requires,
                            "issuer": p.endpoints.issuer,
                        })
                    })
                    .collect();
                return print_line(&serde_json::to_string_pretty(&list).unwrap_or_default());
            }
            let mut out = String::from("PRESET     FLOW      NEEDS                DESCRIPTION");
            for (key, p) in &presets {
                let flow = p.flow.map(|f| f.to_string()).unwrap_or_else(|| "-".into());
                let needs = if p.requires.is_empty() {
                    "-".to_string()
                } else {
                    p.requires.join(", ")
                };
                out.push_str(&format!(
                    "\n{key:<10} {flow:<9} {needs:<20} {}",
                    p.description
                ));
            }
            print_line(&out)
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "tokdeck", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(command)
                .render(&mut std::io::stdout())
                .map_err(|e| EngineError::Usage(format!("cannot write the man page: {e}")))
        }
        Command::Userinfo { account } => {
            let engine = refreshing_engine(config)?;
            let account = which::pick(&engine, account.as_deref())?;
            let value = engine.userinfo(&account).await?;
            print_line(&serde_json::to_string_pretty(&value).unwrap_or_default())
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
                return Err(EngineError::Usage(
                    "--paste goes with the browser flow (--flow browser)".into(),
                ));
            }
            let options = LoginOptions { flow, replace_user };
            login::run(&engine(config)?, &account, options, no_browser, paste).await
        }
        Command::Token {
            account,
            id_token,
            min_valid,
            format,
        } => {
            let engine = refreshing_engine(config)?;
            let account = which::pick(&engine, account.as_deref())?;
            let tokens = fresh(&engine, &account, min_valid).await?;
            let mut tokens = tokens;
            if id_token
                && id_token_expires_within(&tokens, min_valid)
                && tokens.refresh_token.is_some()
            {
                tokens = engine.refresh(&account).await?;
            }
            let token = if id_token {
                let token = tokens
                    .id_token
                    .as_ref()
                    .ok_or_else(|| EngineError::NeedsLogin {
                        account: account.clone(),
                        reason: "holds no ID token (request the `openid` scope)".to_string(),
                    })?;
                if id_token_expires_within(&tokens, min_valid) {
                    return Err(EngineError::NeedsLogin {
                        account: account.clone(),
                        reason: format!(
                            "holds no ID token valid for {min_valid} s more, and a refresh brought none"
                        ),
                    });
                }
                token
            } else {
                &tokens.access_token
            };
            print_token(format, token, tokens.expires_at)
        }
        Command::Header { account, min_valid } => {
            let engine = refreshing_engine(config)?;
            let account = which::pick(&engine, account.as_deref())?;
            let tokens = fresh(&engine, &account, min_valid).await?;
            print_line(&tokens.authorization_header())
        }
        Command::Refresh { account } => {
            let engine = refreshing_engine(config)?;
            let account = which::pick(&engine, account.as_deref())?;
            let tokens = engine.refresh(&account).await?;
            eprintln!("Refreshed '{account}': {}", login::summary(&tokens));
            Ok(())
        }
        Command::Logout {
            account,
            local,
            end_session,
        } => {
            let options = LogoutOptions { local, end_session };
            login::logout(&engine(config)?, &account, options).await
        }
        Command::Which { json } => which::run(&engine(config)?, json),
        Command::List { json } => {
            let engine = engine(config)?;
            let result = list::run(&engine, json).await;
            warn_store(&engine);
            result
        }
        Command::RefreshWorker { .. } => Ok(()),
    }
}

/// The ID token's own `exp` is less than `min_valid` seconds away (ID tokens often live
/// shorter than access tokens).
fn id_token_expires_within(tokens: &crate::oauth::TokenSet, min_valid: u64) -> bool {
    tokens
        .id_token
        .as_ref()
        .and_then(|t| crate::jwt::claims(t.expose()))
        .and_then(|c| crate::jwt::time_claim(&c, "exp"))
        .is_some_and(|exp| (exp - chrono::Utc::now()).num_seconds() < min_valid as i64)
}

/// Tokens valid for `min_valid` seconds, with the store's and the refresh's warnings on
/// stderr (stdout carries only the token).
async fn fresh(
    engine: &Engine,
    account: &str,
    min_valid: u64,
) -> Result<crate::oauth::TokenSet, EngineError> {
    let fresh = engine
        .fresh_tokens(account, Duration::from_secs(min_valid))
        .await?;
    Ok(with_warnings(engine, fresh))
}

/// The tokens, after the store's and the refresh's warnings went to stderr.
fn with_warnings(engine: &Engine, fresh: Fresh) -> crate::oauth::TokenSet {
    warn_store(engine);
    if let Some(warning) = &fresh.warning {
        eprintln!("tokdeck: {warning}");
    }
    fresh.tokens
}

/// Prints what the store noticed on the way (permissions it fixed), once.
fn warn_store(engine: &Engine) {
    for warning in engine.take_store_warnings() {
        eprintln!("tokdeck: {warning}");
    }
}

/// A token as `tokdeck token` prints it: the bare token or a kubectl ExecCredential.
fn print_token(
    format: TokenFormat,
    token: &crate::secret::Secret,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), EngineError> {
    match format {
        TokenFormat::Text => print_line(token.expose()),
        TokenFormat::K8s => print_line(&export::exec_credential(token, expires_at)),
    }
}

/// Writes one line to stdout; a closed pipe is not worth a panic.
fn print_line(text: &str) -> Result<(), EngineError> {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(args: &[&str]) -> Option<Cli> {
        plain_token_command(args.iter().map(std::ffi::OsString::from))
    }

    #[test]
    fn the_plain_reading_of_token_and_header_is_what_clap_reads() {
        for args in [
            &["token", "work"][..],
            &["header", "work"],
            &["token"],
            &["header"],
        ] {
            let clap = Cli::parse_from(std::iter::once("tokdeck").chain(args.iter().copied()));
            let plain = plain(args).expect("plain form");
            assert_eq!(format!("{plain:?}"), format!("{clap:?}"), "{args:?}");
        }
    }

    #[test]
    fn anything_else_goes_to_clap() {
        for args in [
            &["token", "--help"][..],
            &["token", "work", "--min-valid", "300"],
            &["token", "-x"],
            &["list", "work"],
            &["--config", "c.toml"],
        ] {
            assert!(plain(args).is_none(), "{args:?}");
        }
    }
}
