//! The command line's errors and the exit statuses they map to: the contract scripts
//! rely on (README, "Exit status").

use crate::engine::EngineError;

/// Exit statuses scripts can rely on.
pub mod exit {
    pub const OK: i32 = 0;
    /// The provider, the network or the store failed; or stdout could not be written.
    pub const FAILURE: i32 = 1;
    /// Bad usage or a bad config file.
    pub const USAGE: i32 = 2;
    /// `decode` was asked to verify and the signature did not verify.
    pub const UNVERIFIED: i32 = 3;
    /// No usable token: only `tokdeck login` helps; or, with `--strict`, the provider's
    /// tokens live shorter than `--min-valid`.
    pub const NEEDS_LOGIN: i32 = 4;
    /// `exec`: the command could not be started (as a shell says).
    pub const NOT_STARTED: i32 = 127;
    /// `exec`: the command was found but may not be run (not executable), as shells say.
    pub const NOT_EXECUTABLE: i32 = 126;
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The user's input (not the config) is wrong.
    #[error("{0}")]
    Usage(String),
    /// `decode` was asked to verify and the signature did not verify (already reported).
    #[error("the signature did not verify")]
    Unverified,
    /// Writing to stdout failed (a full disk, a closed file); never a closed pipe.
    #[error("cannot write to standard output: {0}")]
    Output(std::io::Error),
    /// The reader of stdout went away (`tokdeck list | head -1`): end quietly.
    #[error("standard output was closed")]
    BrokenPipe,
    /// `--strict`: the provider issues no token as long-lived as `--min-valid` asks.
    #[error("{0}")]
    TooShort(String),
    /// The exit status of a command `exec` ran, or that it could not start it (said).
    #[error("exit status {0}")]
    Status(i32),
    /// Something else went wrong, worded for the user.
    #[error("{0}")]
    Failed(String),
    /// The agent refused (its message says what a person must do).
    #[error("agent: {0}")]
    Agent(crate::agent::protocol::Failure),
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Self::BrokenPipe
        } else {
            Self::Output(e)
        }
    }
}

impl From<crate::config::ConfigError> for CliError {
    fn from(e: crate::config::ConfigError) -> Self {
        Self::Engine(e.into())
    }
}

/// The exit status for a command's outcome, with the error reported on stderr.
pub fn exit_code(result: Result<(), CliError>) -> i32 {
    let e = match result {
        Ok(()) => return exit::OK,
        Err(CliError::Unverified) => return exit::UNVERIFIED,
        // As ripgrep does: a reader that stopped reading is no failure.
        Err(CliError::BrokenPipe) => return exit::OK,
        Err(CliError::Status(code)) => return code,
        Err(e) => e,
    };
    say!("tokdeck: {e}");
    match e {
        CliError::Engine(EngineError::NeedsLogin { .. } | EngineError::Rebound { .. })
        | CliError::TooShort(_) => exit::NEEDS_LOGIN,
        CliError::Agent(failure) => {
            use crate::agent::protocol::Code;
            match failure.code {
                Code::NeedsLogin => exit::NEEDS_LOGIN,
                Code::BadRequest | Code::Account | Code::Policy | Code::Version => exit::USAGE,
                _ => exit::FAILURE,
            }
        }
        CliError::Engine(EngineError::Config(_) | EngineError::Refused(_)) | CliError::Usage(_) => {
            exit::USAGE
        }
        _ => exit::FAILURE,
    }
}
