//! `tokdeck exec [ACCOUNT] -- COMMAND [ARGS...]`: a command with the account's fresh
//! access token in its environment, never on a command line.
//!
//! On Unix tokdeck *becomes* the command (`execvp`): the token in the environment cannot
//! be refreshed during the run anyway, and so signals, the terminal and the exit status
//! are the command's own, with nothing in between. Elsewhere it starts the command and
//! exits with its status.

use super::args::ExecArgs;
use super::error::{CliError, exit};
use super::which;
use crate::config::ACCOUNT_ENV;
use crate::engine::Engine;
use std::process::Command;

/// Variables the token must not replace: the command could not be found or run.
const RESERVED: &[&str] = &[
    "PATH",
    "HOME",
    "SHELL",
    "USER",
    "IFS",
    "TERM",
    "PWD",
    "TOKDECK_ACCOUNT",
    "TOKDECK_DPOP",
];

/// Set to `1` when the token is DPoP-bound (RFC 9449).
pub const DPOP_ENV: &str = "TOKDECK_DPOP";

/// The variable the token goes in when neither `--env` nor the account's `env` says.
pub const DEFAULT_ENV: &str = "ACCESS_TOKEN";

/// Runs the command; returns only when it could not be started (or, off Unix, ended),
/// as [`CliError::Status`].
pub async fn run(engine: &Engine, args: ExecArgs) -> Result<(), CliError> {
    let account = which::pick(engine, args.account.as_deref())?;
    let names = names(&args, &engine.account(&account)?.env)?;
    // No usable token: exit 4 before anything is started.
    let target = super::token::target(&args.api)?;
    let tokens = super::token::fresh(engine, &account, target.as_ref(), args.min_valid).await?;
    launch(&account, &tokens, &names, &args)
}

/// The variables the token goes in: each `--env`, else the account's `env`, else
/// `ACCESS_TOKEN`; a name the command needs to start is refused.
pub fn names(args: &ExecArgs, account_env: &[String]) -> Result<Vec<String>, CliError> {
    for name in &args.env {
        crate::config::check_env_name(name)
            .map_err(|m| CliError::Usage(format!("--env '{name}' {m}")))?;
        if RESERVED.contains(&name.as_str()) || name.starts_with("LD_") {
            return Err(CliError::Usage(format!(
                "--env '{name}' would replace a variable the command needs to start or run; pick another name"
            )));
        }
    }
    Ok(if !args.env.is_empty() {
        args.env.clone()
    } else if !account_env.is_empty() {
        account_env.to_vec()
    } else {
        vec![DEFAULT_ENV.to_string()]
    })
}

/// Starts `args.command` with `tokens` in `names` (after the `--min-valid` check).
pub fn launch(
    account: &str,
    tokens: &crate::token::TokenSet,
    names: &[String],
    args: &ExecArgs,
) -> Result<(), CliError> {
    let lifetime = crate::token::Lifetime::of(tokens.issued_at, tokens.expires_at);
    super::token::lasting(account, "tokens", lifetime, args.min_valid, args.strict)?;
    let Some((program, rest)) = args.command.split_first() else {
        return Err(CliError::Usage("no command given after --".into()));
    };
    let mut command = Command::new(program);
    command.args(rest).env(ACCOUNT_ENV, account);
    // The command must send the token with a proof: `tokdeck header --url` makes one.
    if tokens.is_dpop() {
        command.env(DPOP_ENV, "1");
    } else {
        command.env_remove(DPOP_ENV);
    }
    for name in names {
        command.env(name, tokens.access_token.expose());
    }
    Err(CliError::Status(start(command, &program.to_string_lossy())))
}

#[cfg(unix)]
fn start(mut command: Command, program: &str) -> i32 {
    use std::os::unix::process::CommandExt;
    let error = command.exec();
    say!("tokdeck: cannot run '{program}': {error}");
    match error.kind() {
        std::io::ErrorKind::PermissionDenied => exit::NOT_EXECUTABLE,
        _ => exit::NOT_STARTED,
    }
}

/// Off Unix there is no `execvp`: the command runs as a child, and tokdeck waits to exit
/// with its status. Ctrl-C reaches every process of a console: the command decides what
/// it means, tokdeck ignores it and passes on the status the command then exits with.
#[cfg(not(unix))]
fn start(mut command: Command, program: &str) -> i32 {
    #[cfg(windows)]
    ignore_ctrl_c();
    match command.status() {
        Ok(status) => status.code().unwrap_or(exit::FAILURE),
        Err(error) => {
            say!("tokdeck: cannot run '{program}': {error}");
            exit::NOT_STARTED
        }
    }
}

#[cfg(windows)]
#[allow(unsafe_code)]
fn ignore_ctrl_c() {
    unsafe extern "system" fn handled(_event: u32) -> windows_sys::core::BOOL {
        1
    }
    // SAFETY: registers, for this process only (handlers are not inherited, unlike
    // `SetConsoleCtrlHandler(NULL, TRUE)`), a handler that touches nothing.
    unsafe {
        windows_sys::Win32::System::Console::SetConsoleCtrlHandler(Some(handled), 1);
    }
}
