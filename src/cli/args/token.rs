//! The options of `token`, `header` and `export` (and the API options `exec` shares).

use super::{ExportFormat, Shell, TokenFormat};
use crate::cli::complete;
use clap_complete::engine::ArgValueCompleter;

#[derive(Debug, Clone, clap::Args)]
pub struct TokenArgs {
    /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
    /// account whose `directories` hold the working directory, or `default_account`.
    #[arg(add = ArgValueCompleter::new(complete::accounts))]
    pub account: Option<String>,
    /// Print the ID token instead.
    #[arg(long)]
    pub id_token: bool,
    /// Refresh first unless the token stays valid this many seconds (an explicit ask:
    /// it may replace the token before the expiry tokdeck promised for it). Without it,
    /// the token is served until tokdeck's refresh point, at least 60 s (half the
    /// lifetime of shorter tokens) before it expires, the expiry tools are told. When
    /// the provider issues no token that long, the freshest one is printed with a warning.
    #[arg(long, value_name = "SECONDS")]
    pub min_valid: Option<u64>,
    /// Fail (exit 4) instead of warning when the provider's tokens live shorter
    /// than --min-valid.
    #[arg(long)]
    pub strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TokenFormat::Text)]
    pub format: TokenFormat,
    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct HeaderArgs {
    /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
    /// account whose `directories` hold the working directory, or `default_account`.
    #[arg(add = ArgValueCompleter::new(complete::accounts))]
    pub account: Option<String>,
    /// Refresh first unless the token stays valid this many seconds (see `token`).
    #[arg(long, value_name = "SECONDS")]
    pub min_valid: Option<u64>,
    /// Fail (exit 4) instead of warning when the provider's tokens live shorter
    /// than --min-valid.
    #[arg(long)]
    pub strict: bool,
    /// The request the header is for: with a DPoP-bound token (RFC 9449) a second
    /// line, `DPoP: <proof>`, proves the key for this URL (needed for such tokens).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The request's HTTP method, for the DPoP proof.
    #[arg(long, value_name = "METHOD", default_value = "GET", requires = "url")]
    pub method: String,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
    /// account whose `directories` hold the working directory, or `default_account`.
    #[arg(add = ArgValueCompleter::new(complete::accounts))]
    pub account: Option<String>,
    #[arg(long, value_enum, default_value_t = ExportFormat::Env)]
    pub format: ExportFormat,
    /// The shell `--format env` writes for.
    #[arg(long, value_enum, default_value_t = Shell::Posix)]
    pub shell: Shell,
    /// A token valid for at least this many seconds (see `token`).
    #[arg(long, value_name = "SECONDS")]
    pub min_valid: Option<u64>,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// The API a token is for, when not the account's own token (RFC 8707, RFC 6749 §6).
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ApiArgs {
    /// A token for this API (an RFC 8707 resource indicator the login asked for, see the
    /// account's `resources`), got with the account's refresh token and cached beside
    /// its own.
    #[arg(long, value_name = "URI")]
    pub resource: Option<String>,
    /// A token for these scopes only ("a b"), a subset of the account's.
    #[arg(long, value_name = "SCOPES")]
    pub scope: Option<String>,
}

impl ApiArgs {
    pub fn target(&self) -> Result<Option<crate::token::Target>, String> {
        if self.scope.as_deref().is_some_and(|s| s.trim().is_empty()) {
            return Err(
                "--scope '' names no scope; give one or more (\"a b\") or leave it out".into(),
            );
        }
        if let Some(resource) = &self.resource {
            crate::config::check_resource(resource)
                .map_err(|m| format!("--resource '{resource}' {m}"))?;
        }
        Ok(crate::token::Target::new(
            self.resource.as_deref(),
            self.scope.as_deref(),
        ))
    }
}
