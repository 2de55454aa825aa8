//! The command line's definition (clap): every subcommand, its options and their help.
//! `--help`, the completions and the man page come from here.

use super::complete;
use crate::config::Flow;
use clap::{Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "tokdeck",
    version,
    about = "OAuth 2.0 / OpenID Connect tokens for many accounts, in a terminal dashboard and a scriptable CLI",
    long_about = "OAuth 2.0 / OpenID Connect tokens for many accounts, in a terminal dashboard and a scriptable CLI.\n\nWithout a command, tokdeck opens the dashboard: every account of config.toml with who it is, its token's state and a live countdown; logins (device flow, browser flow with PKCE, client credentials) run in the background, tokens are refreshed before they expire, claims are decoded and tokens copied with one key.\n\nThe commands are for scripts and tools: `tokdeck token NAME` prints a valid access token (refreshed first when needed), `header`, `export` and `token --format k8s` hand it to curl, shells, containers and kubectl. Tokens live in the OS keyring (or 0600 files), bound to the issuer and client that issued them. Data goes to stdout, messages to stderr; `tokdeck man` has the exit statuses, every config key and examples."
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
    /// `export ACCESS_TOKEN='…'` lines: `eval "$(tokdeck export NAME)"` (see --shell).
    Env,
    /// `ACCESS_TOKEN=…` lines, unquoted: `docker run --env-file`, dotenv loaders.
    Dotenv,
    /// The whole token set with its metadata.
    Json,
    /// A curl config: `curl -K <(tokdeck export NAME --format curl) URL` (the token
    /// stays off curl's command line).
    Curl,
}

/// The shell `--format env` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// sh, bash, zsh, dash, ksh: `export NAME='…'`.
    #[value(alias = "sh", alias = "bash", alias = "zsh")]
    Posix,
    /// fish: `set -gx NAME '…'`.
    Fish,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenFormat {
    /// The token and a newline.
    Text,
    /// A Kubernetes ExecCredential, for kubectl's exec credential plugins.
    K8s,
    /// One JSON object: access_token, token_type, expires_at, seconds_left, scopes,
    /// account, identity (and id_token with --id-token). Same as --json.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to an account with its flow (device, browser or client credentials).
    Login {
        /// Account name: an [accounts.NAME] table in config.toml.
        #[arg(add = ArgValueCompleter::new(complete::accounts))]
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
    Token(TokenArgs),
    /// Print `Authorization: Bearer <token>` (for a DPoP-bound token also the `DPoP:`
    /// proof line), refreshing first if needed.
    Header(HeaderArgs),
    /// Run a command with the account's fresh access token in its environment
    /// (ACCESS_TOKEN, the account's `env`, or each --env), never on its command line;
    /// also TOKDECK_ACCOUNT, and TOKDECK_DPOP=1 when the token is DPoP-bound (the command
    /// then needs `tokdeck header --url` for its proofs).
    Exec(ExecArgs),
    /// git's credential helper: answers git with the token of the account whose `urls`
    /// match (`tokdeck setup git` configures it).
    GitCredential {
        #[arg(value_enum)]
        operation: GitOperation,
    },
    /// Docker's credential helper (docker-credential-helpers protocol): answers for the
    /// registries in the accounts' `urls` (`tokdeck setup docker` configures it).
    DockerCredential {
        /// get, store, erase, list or version.
        #[arg(value_parser = ["get", "store", "erase", "list", "version"])]
        operation: String,
    },
    /// Make a tool use tokdeck's tokens: git, Docker, kubectl.
    #[command(subcommand)]
    Setup(SetupCommand),
    /// Keep a provider's private_key_jwt key in the OS keyring (`client_key =
    /// "keyring"`) instead of a file.
    #[command(subcommand)]
    ClientKey(ClientKeyCommand),
    /// Trade the account's access token (or ID token) at its provider for one for
    /// another audience, resource or scope (RFC 8693 token exchange); prints the new
    /// access token.
    Exchange(ExchangeArgs),
    /// Refresh an account's tokens now.
    Refresh {
        /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
        /// account whose `directories` hold the working directory, or `default_account`.
        #[arg(add = ArgValueCompleter::new(complete::accounts))]
        account: Option<String>,
    },
    /// Revoke an account's tokens at the provider and delete them here.
    Logout {
        /// Account name: an [accounts.NAME] table in config.toml.
        #[arg(add = ArgValueCompleter::new(complete::accounts))]
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
        /// One JSON object: account, from (argument, env, directory, default_account)
        /// and the directory that chose it.
        #[arg(long)]
        json: bool,
    },
    /// List accounts with their token state.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Decode a JWT (from the argument or stdin) into its header and claims, as JSON;
    /// with a key source, verify its signature (exit status 3 when it does not verify).
    Decode(DecodeArgs),
    /// Make JWTs: `tokdeck jwt sign` signs test tokens with a key or a shared secret.
    #[command(subcommand)]
    Jwt(JwtCommand),
    /// Ask the provider about the access token (RFC 7662); prints its JSON.
    Introspect {
        /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
        /// account whose `directories` hold the working directory, or `default_account`.
        #[arg(add = ArgValueCompleter::new(complete::accounts))]
        account: Option<String>,
        /// Introspect the refresh token instead.
        #[arg(long)]
        refresh_token: bool,
    },
    /// The user's claims from the provider's userinfo endpoint; prints its JSON.
    Userinfo {
        /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
        /// account whose `directories` hold the working directory, or `default_account`.
        #[arg(add = ArgValueCompleter::new(complete::accounts))]
        account: Option<String>,
    },
    /// Print a valid access token in a format other tools read.
    Export(ExportArgs),
    /// Add an account to config.toml (and its provider, when new), keeping the file's
    /// comments; prints the change. The client secret comes from stdin or a prompt,
    /// never from the command line.
    Add(AddArgs),
    /// Remove an account from config.toml: its tokens are revoked and deleted first; its
    /// provider table stays, except one tokdeck registered (`add --url`) that no other
    /// account uses: that goes too, its registration deleted at the server (RFC 7592).
    /// Prints the change.
    Remove(RemoveArgs),
    /// List the provider presets (`preset = "KEY"` in a [providers.NAME] table).
    Providers {
        /// One JSON object per preset: its key, description, flow, scopes, the values
        /// it needs and its issuer.
        #[arg(long)]
        json: bool,
    },
    /// Print the shell code that completes tokdeck's commands, options and the account
    /// and provider names of the current config: `source <(tokdeck completions bash)`,
    /// `tokdeck completions fish | source`, `source <(tokdeck completions zsh)`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// The agent: one process that holds the tokens and answers `token`, `header`,
    /// `export`, `exec` and the git, Docker and kubectl helpers over a socket only you
    /// can reach, asking you before it hands a token to a coding agent or a container.
    Agent(AgentArgs),
    /// Answer the agent's waiting requests: who asks, from where, for what.
    Approve(ApproveArgs),
    /// Print the agent's record of who got which token (never the token).
    Audit(AuditArgs),
    /// Run ssh with the agent forwarded for this connection: on HOST, `tokdeck token
    /// NAME` (and header, export, exec, the git and Docker helpers) get tokens of the
    /// accounts with `forwardable = true`, each request asked about here; no refresh token
    /// leaves this machine.
    Ssh {
        /// ssh's options, HOST and the command, as for ssh.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            required = true,
            value_name = "SSH ARGS"
        )]
        args: Vec<String>,
    },
}

#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// Account name (an [accounts.NAME] table); when absent, TOKDECK_ACCOUNT, the
    /// account whose `directories` hold the working directory, or `default_account`.
    #[arg(add = ArgValueCompleter::new(complete::accounts))]
    pub account: Option<String>,
    /// Put the token in this variable (repeat for more); default: the account's `env`,
    /// else ACCESS_TOKEN.
    #[arg(long = "env", value_name = "NAME")]
    pub env: Vec<String>,
    /// A token valid for at least this many seconds (see `token`).
    #[arg(long, value_name = "SECONDS")]
    pub min_valid: Option<u64>,
    /// Fail (exit 4, nothing started) instead of warning when the provider's tokens
    /// live shorter than --min-valid.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub api: ApiArgs,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Subcommand)]
pub enum ClientKeyCommand {
    /// Store the PKCS#8 PEM key at PATH for PROVIDER and print its public JWKS (what the
    /// provider registers; its `kid` is the provider's `client_key_id`, else the key's
    /// RFC 7638 thumbprint); then set `client_key = "keyring"` in [providers.PROVIDER].
    Import {
        #[arg(add = ArgValueCompleter::new(complete::providers))]
        provider: String,
        path: PathBuf,
    },
    /// Print the public JWKS of the key stored for PROVIDER.
    Show {
        #[arg(add = ArgValueCompleter::new(complete::providers))]
        provider: String,
    },
    /// Delete the key stored for PROVIDER.
    Delete {
        #[arg(add = ArgValueCompleter::new(complete::providers))]
        provider: String,
    },
}

/// What git asks of its credential helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GitOperation {
    /// Answer with the account's fresh token.
    Get,
    /// Accepted and ignored: tokdeck keeps its own tokens.
    Store,
    /// git says the token was rejected: the next `get` gets a refreshed one.
    Erase,
}

#[derive(Debug, Subcommand)]
pub enum SetupCommand {
    /// kubectl authenticates as the account: a kubeconfig user whose exec plugin is
    /// `tokdeck token ACCOUNT --format k8s` (everything else in the file kept).
    Kubectl {
        /// The account whose token kubectl gets.
        #[arg(add = ArgValueCompleter::new(complete::accounts))]
        account: String,
        /// The kubeconfig to write (default: $KUBECONFIG's first file, else ~/.kube/config).
        #[arg(long, value_name = "PATH")]
        kubeconfig: Option<PathBuf>,
        /// The kubeconfig user's name (default: tokdeck-ACCOUNT).
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        /// Undo it: the user leaves the kubeconfig.
        #[arg(long)]
        remove: bool,
    },
    /// Docker pulls from and pushes to REGISTRY with the account's token: REGISTRY goes
    /// into the account's `urls`, `credHelpers` of ~/.docker/config.json names tokdeck,
    /// and a `docker-credential-tokdeck` link to tokdeck is made.
    Docker {
        /// The account whose token Docker gets.
        #[arg(add = ArgValueCompleter::new(complete::accounts))]
        account: String,
        /// The registry (`registry.gitlab.example.com`).
        registry: String,
        /// Undo it: the registry leaves `urls` and `credHelpers`.
        #[arg(long)]
        remove: bool,
    },
    /// git fetches and pushes to URL with the account's token: URL goes into the
    /// account's `urls`, and the credential helper into git's config.
    Git {
        /// `[ACCOUNT] URL`: the account (when absent, chosen as for `token`) and the
        /// repository, group or host URL (`https://gitlab.example.com/acme/`).
        #[arg(num_args = 1..=2, required = true, value_names = ["ACCOUNT", "URL"], add = ArgValueCompleter::new(complete::accounts))]
        words: Vec<String>,
        /// Write the current repository's git config instead of the global one.
        #[arg(long)]
        local: bool,
        /// Undo it: the URL leaves `urls`, the helper leaves git's config.
        #[arg(long)]
        remove: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct ExchangeArgs {
    /// Account name; when absent, chosen as for `token`.
    #[arg(add = ArgValueCompleter::new(complete::accounts))]
    pub account: Option<String>,
    /// The audience the new token is for.
    #[arg(long, value_name = "AUDIENCE")]
    pub audience: Option<String>,
    /// The resource the new token is for (RFC 8707).
    #[arg(long, value_name = "URI")]
    pub resource: Option<String>,
    /// The scopes of the new token (space-separated).
    #[arg(long, value_name = "SCOPES")]
    pub scope: Option<String>,
    /// The token type to ask for (urn:ietf:params:oauth:token-type:…).
    #[arg(long, value_name = "TYPE")]
    pub requested_token_type: Option<String>,
    /// Trade the ID token instead of the access token.
    #[arg(long)]
    pub id_token: bool,
    /// The token traded (RFC 8693 §2.1 subject_token_type): access_token (the default)
    /// or id_token (the same as --id-token).
    #[arg(long, value_name = "TYPE", value_parser = ["access_token", "id_token"], conflicts_with = "id_token")]
    pub subject_token_type: Option<String>,
    /// Print the provider's whole JSON answer.
    #[arg(long)]
    pub json: bool,
    /// Delegation (RFC 8693 §1.1): this account (of the same server) acts for the
    /// subject; its access token is sent as the actor_token.
    #[arg(long, value_name = "ACCOUNT", add = ArgValueCompleter::new(complete::accounts))]
    pub actor: Option<String>,
}

mod agent;
mod jwt;
mod manage;
mod token;
#[cfg(unix)]
pub use agent::AgentCommand;
pub use agent::{AgentArgs, ApproveArgs, AuditArgs};
pub use jwt::{DecodeArgs, JwtCommand, JwtSignArgs};
pub use manage::{AddArgs, RemoveArgs};
pub use token::{ApiArgs, ExportArgs, HeaderArgs, TokenArgs};
