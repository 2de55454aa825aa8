//! `config.toml`: providers and the accounts that use them.
//!
//! The file is a contract with users: unknown keys are rejected by name, and every
//! error names the file, the line and what was expected. Only the dashboard's account
//! editor writes it (see [`edit`]), after the user confirms, keeping comments and layout.

mod choose;
pub mod edit;
mod file;
mod paths;
mod presets;

mod account;
mod agent;
pub use account::{ByExchange, Grant, Kind, Renewal, check_resource};
pub use agent::{AgentPolicy, Approve};
pub use choose::{ACCOUNT_ENV, Chosen, Why, choose, working_directories};
pub use paths::{HOME_ENV, Paths};
pub use presets::{Preset, TEMPLATE_KEYS, preset, preset_names, presets};

use crate::oauth::Endpoints;
use crate::secret::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Largest config file read.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Env var that overrides the config's `store`.
pub const STORE_ENV: &str = "TOKDECK_STORE";

/// How an account logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum Flow {
    /// RFC 8628 device authorization grant.
    Device,
    /// Authorization code + PKCE with a loopback redirect (RFC 8252).
    Browser,
    /// RFC 6749 §4.4, for service accounts.
    ClientCredentials,
}

impl Flow {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "device" => Some(Self::Device),
            "browser" => Some(Self::Browser),
            "client_credentials" | "client-credentials" => Some(Self::ClientCredentials),
            _ => None,
        }
    }
}

impl TryFrom<String> for Flow {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text).ok_or_else(|| {
            format!(
                "flow '{text}' is not a flow; use \"device\", \"browser\" or \"client_credentials\""
            )
        })
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Device => "device",
            Self::Browser => "browser",
            Self::ClientCredentials => "client_credentials",
        })
    }
}

/// Where tokens are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum StoreKind {
    Keyring,
    File,
}

impl TryFrom<String> for StoreKind {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        match text.as_str() {
            "keyring" => Ok(Self::Keyring),
            "file" => Ok(Self::File),
            _ => Err(format!(
                "store '{text}' is not a store; use \"keyring\" or \"file\""
            )),
        }
    }
}

/// Dashboard settings from `[dashboard]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dashboard {
    pub clipboard_clear: Option<std::time::Duration>,
}

/// A provider after its preset and explicit endpoints are merged.
#[derive(Debug, Clone)]
pub struct Provider {
    pub name: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub scopes: Vec<String>,
    pub flow: Option<Flow>,
    pub params: BTreeMap<String, String>,
    pub redirect_port: u16,
    pub post_logout_redirect_uri: Option<String>,
    /// The preset it was made from (`preset = "KEY"`).
    pub preset: Option<String>,
    /// `client_auth = "client_secret_jwt" | "private_key_jwt"`: the key that signs the
    /// client's assertions (RFC 7523); `None`: the secret as such, or no authentication.
    pub client_auth: Option<crate::oauth::assertion::SigningKey>,
    /// `dpop = true`: its accounts' tokens are DPoP-bound (RFC 9449) unless they say not.
    pub dpop: bool,
    /// Endpoints known without discovery: explicit ones over the preset's. `issuer` set
    /// means discovery may fill in the rest.
    pub endpoints: Endpoints,
    /// How its client came to be: by hand at the provider, or by tokdeck (RFC 7591).
    pub registration: Registration,
}

/// `registration = "manual" | "dynamic"` in a [providers.NAME] table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// The client_id (and secret) someone registered at the provider's console.
    #[default]
    Manual,
    /// tokdeck registered the client itself (RFC 7591); what registration returned is
    /// kept in the store, bound to the issuer, and the client registered again when the
    /// provider no longer knows it.
    Dynamic,
}

/// An account: a provider plus its own scopes, flow and parameters.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    /// Shared by the provider's accounts: a config of 1,000 accounts holds one copy.
    pub provider: std::sync::Arc<Provider>,
    pub scopes: Vec<String>,
    /// How it gets its tokens: a login, client credentials, or an exchange.
    pub kind: Kind,
    /// `directories = [...]`, `~` expanded.
    pub directories: Vec<Directory>,
    /// `env = [...]`: the variables `tokdeck exec` sets (empty: `ACCESS_TOKEN`).
    pub env: Vec<String>,
    /// `urls = [...]`, normalized (`https://host/path/`): where git and Docker use it.
    pub urls: Vec<String>,
    /// `git_username`: the user name git sends with the token.
    pub git_username: Option<String>,
    /// `[accounts.NAME.agent]`: what the agent hands out, and to whom unasked.
    pub agent: AgentPolicy,
}

/// A directory as written in config.toml and as tokdeck compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    pub written: String,
    pub path: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub store: StoreKind,
    pub default_account: Option<String>,
    pub dashboard: Dashboard,
    /// Every provider table, used by accounts or not.
    pub providers: BTreeMap<String, std::sync::Arc<Provider>>,
    pub accounts: BTreeMap<String, Account>,
    /// Account tables that are in the file but cannot be used, with why (the line and
    /// the problem). The other accounts work; a command naming one of these fails.
    pub broken_accounts: BTreeMap<String, ConfigError>,
    /// Provider tables that cannot be used; their accounts are in `broken_accounts`.
    pub broken_providers: BTreeMap<String, ConfigError>,
    /// `default_account` names no account (and is ignored).
    pub default_problem: Option<ConfigError>,
}

/// A config problem, always naming the file; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no config file at '{0}'. Run `tokdeck` and press A to add an account (that writes the file), or `tokdeck add NAME --preset P`, or write it with a [providers.NAME] and an [accounts.NAME] table (see README), or pass --config PATH"
    )]
    Missing(PathBuf),
    #[error("cannot read config file '{path}': {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("config file '{path}', line {line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{STORE_ENV}='{0}' is not a store; use 'keyring' or 'file'")]
    BadStoreEnv(String),
    /// tokdeck's directories cannot be found (no home directory).
    #[error("{0}")]
    Paths(String),
    /// No account could be chosen, or the context chose one ambiguously.
    #[error("{0}")]
    Choose(String),
    #[error("no account named '{name}' in '{path}'. Accounts: {known}")]
    UnknownAccount {
        name: String,
        path: PathBuf,
        known: String,
    },
}

impl Provider {
    /// The client can prove who it is (a secret, or a key for assertions): what the
    /// client credentials flow needs.
    pub fn authenticates(&self) -> bool {
        self.client_secret.is_some() || self.client_auth.is_some()
    }
}

impl Config {
    /// Reads and checks the file; never writes it.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        if let Ok(meta) = std::fs::metadata(path)
            && meta.len() > MAX_CONFIG_BYTES
        {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                line: 1,
                message: format!(
                    "the file is {} KiB; a config is at most {} KiB. Is this the right file?",
                    meta.len() / 1024,
                    MAX_CONFIG_BYTES / 1024
                ),
            });
        }
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::Missing(path.to_path_buf()));
            }
            Err(e) => {
                return Err(ConfigError::Unreadable {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        };
        let text = String::from_utf8(bytes).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: file::line_of_offset(
                &String::from_utf8_lossy(e.as_bytes()),
                e.utf8_error().valid_up_to(),
            ),
            message: "the file is not valid UTF-8; save it as UTF-8".into(),
        })?;
        Self::parse(path, &text, Self::store_from_env()?)
    }

    /// The store `TOKDECK_STORE` chooses, over the file's `store`.
    pub fn store_from_env() -> Result<Option<StoreKind>, ConfigError> {
        match std::env::var(STORE_ENV) {
            Ok(v) if !v.is_empty() => Ok(Some(match v.as_str() {
                "keyring" => StoreKind::Keyring,
                "file" => StoreKind::File,
                _ => return Err(ConfigError::BadStoreEnv(v)),
            })),
            _ => Ok(None),
        }
    }

    /// A warning when the file holds a `client_secret` and other users may read it
    /// (group or world read permission): the secret is then theirs too.
    pub fn exposure_warning(&self) -> Option<String> {
        if !self.providers.values().any(|p| p.client_secret.is_some()) {
            return None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.path).ok()?.permissions().mode();
            if mode & 0o044 != 0 {
                return Some(format!(
                    "warning: '{}' holds a client_secret and other users can read it (mode {:o}); run `chmod 600 '{}'`",
                    self.path.display(),
                    mode & 0o777,
                    self.path.display()
                ));
            }
        }
        None
    }

    /// Parses `text` as the contents of `path`; `store_override` wins over the file's `store`.
    pub fn parse(
        path: &Path,
        text: &str,
        store_override: Option<StoreKind>,
    ) -> Result<Self, ConfigError> {
        let source = file::Source { path, text };
        let sections = source.read()?;
        let top = sections.top;
        let providers = source.providers(sections.providers);
        let accounts = source.accounts(sections.accounts, &providers);
        let (default_account, default_problem) =
            source.default_account(top.default_account, &accounts);
        Ok(Self {
            path: path.to_path_buf(),
            store: store_override.or(top.store).unwrap_or(StoreKind::Keyring),
            default_account,
            dashboard: Dashboard {
                clipboard_clear: top
                    .dashboard
                    .clipboard_clear_seconds
                    .filter(|s| *s > 0)
                    .map(std::time::Duration::from_secs),
            },
            providers: providers.good,
            accounts: accounts.good,
            broken_accounts: accounts.broken,
            broken_providers: providers.broken,
            default_problem,
        })
    }

    /// Every broken part, providers first: `(what, name, error)` with `what`
    /// "provider", "account" (an account broken by its provider says so) or "setting".
    pub fn problems(&self) -> impl Iterator<Item = (&'static str, &str, &ConfigError)> {
        let providers = self
            .broken_providers
            .iter()
            .map(|(n, e)| ("provider", n.as_str(), e));
        let accounts = self
            .broken_accounts
            .iter()
            .map(|(n, e)| ("account", n.as_str(), e));
        let default = self
            .default_problem
            .iter()
            .map(|e| ("setting", "default_account", e));
        providers.chain(accounts).chain(default)
    }

    /// The strict readers' view (the editor's, before it writes): the first broken
    /// table is an error for the whole file.
    pub fn strict(self) -> Result<Self, ConfigError> {
        let first = self.problems().next().map(|(_, _, e)| e.clone());
        match first {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    pub fn account(&self, name: &str) -> Result<&Account, ConfigError> {
        if let Some(e) = self.broken_accounts.get(name) {
            return Err(e.clone());
        }
        self.accounts
            .get(name)
            .ok_or_else(|| ConfigError::UnknownAccount {
                name: name.to_string(),
                path: self.path.clone(),
                known: if self.accounts.is_empty() {
                    "none yet; add an [accounts.NAME] table".to_string()
                } else {
                    self.accounts.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            })
    }
}

/// An environment variable's name as shells take it: letters, digits and `_`, not
/// starting with a digit.
pub fn check_env_name(name: &str) -> Result<(), &'static str> {
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err("is not a variable name: letters, digits and '_', not starting with a digit")
    }
}

/// A URL prefix for tools, normalized: scheme and host lower-case, the path ending in
/// `/` (so `https://h/acme` does not match `https://h/acme-other`). A registry written
/// without a scheme (`registry.example.com`) is `https://`.
pub fn tool_url(written: &str) -> Result<String, String> {
    let with_scheme = if written.contains("://") {
        written.to_string()
    } else {
        format!("https://{written}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|e| format!("is not a URL ({e})"))?;
    if url.host_str().is_none() || !matches!(url.scheme(), "https" | "http") {
        return Err("must be an https:// (or http://) URL with a host".into());
    }
    if url.query().is_some() || url.username() != "" {
        return Err("must not hold a query or a user name".into());
    }
    let mut text = format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    );
    let path = url.path().trim_end_matches('/');
    text.push_str(path);
    text.push('/');
    Ok(text)
}

/// Names become keyring entries and file names, so keep them plain.
pub fn check_name(name: &str) -> Result<(), &'static str> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err("must be 1-64 characters of letters, digits, '-', '_' or '.', not starting with '.'")
    }
}

#[cfg(test)]
mod tests;
