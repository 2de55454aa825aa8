//! `config.toml`: providers and the accounts that use them.
//!
//! The file is a contract with users: unknown keys are rejected by name, and every
//! error names the file, the line and what was expected. Only the dashboard's account
//! editor writes it (see [`edit`]), after the user confirms, keeping comments and layout.

mod choose;
pub mod edit;
mod paths;
mod presets;

pub use choose::{ACCOUNT_ENV, Chosen, Why, choose, working_directories};
pub use paths::{HOME_ENV, Paths};
pub use presets::{Preset, TEMPLATE_KEYS, preset, preset_names, presets};

use crate::oauth::Endpoints;
use crate::secret::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    store: Option<StoreKind>,
    /// The account commands use when none is named and none is chosen by context.
    default_account: Option<Spanned<String>>,
    #[serde(default)]
    dashboard: DashboardSection,
    #[serde(default)]
    providers: BTreeMap<String, ProviderSection>,
    #[serde(default)]
    accounts: BTreeMap<String, AccountSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DashboardSection {
    /// Clear a copied token from the clipboard after this many seconds (0: never).
    clipboard_clear_seconds: Option<u64>,
}

/// Dashboard settings from `[dashboard]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dashboard {
    pub clipboard_clear: Option<std::time::Duration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderSection {
    issuer: Option<String>,
    preset: Option<Spanned<String>>,
    client_id: Option<String>,
    client_secret: Option<Secret>,
    scopes: Option<Vec<String>>,
    flow: Option<Flow>,
    #[serde(default)]
    params: BTreeMap<String, String>,
    /// Fixed loopback port for the browser flow (0 or absent: an ephemeral port).
    redirect_port: Option<u16>,
    /// Preset parameters (see assets/providers.toml).
    tenant: Option<String>,
    domain: Option<String>,
    realm: Option<String>,
    base_url: Option<String>,
    authorization_server: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    introspection_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    jwks_uri: Option<String>,
    end_session_endpoint: Option<String>,
    /// Where the provider sends the browser after `logout --end-session`.
    post_logout_redirect_uri: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountSection {
    provider: Spanned<String>,
    scopes: Option<Vec<String>>,
    flow: Option<Flow>,
    #[serde(default)]
    params: BTreeMap<String, String>,
    /// Sent as `login_hint` (OIDC Core §3.1.2.1) so the provider asks for this person.
    login_hint: Option<String>,
    /// Working directories (and below) in which commands pick this account.
    #[serde(default)]
    directories: Vec<String>,
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
    /// Endpoints known without discovery: explicit ones over the preset's. `issuer` set
    /// means discovery may fill in the rest.
    pub endpoints: Endpoints,
}

/// An account: a provider plus its own scopes, flow and parameters.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub provider: Provider,
    pub scopes: Vec<String>,
    pub flow: Flow,
    pub params: BTreeMap<String, String>,
    pub login_hint: Option<String>,
    /// `directories = [...]`, `~` expanded.
    pub directories: Vec<Directory>,
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
    pub providers: BTreeMap<String, Provider>,
    pub accounts: BTreeMap<String, Account>,
}

/// A config problem, always naming the file; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no config file at '{0}'. Create it with a [providers.NAME] and an [accounts.NAME] table (see README), or pass --config PATH"
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
            line: line_of_offset(
                &String::from_utf8_lossy(e.as_bytes()),
                e.utf8_error().valid_up_to(),
            ),
            message: "the file is not valid UTF-8; save it as UTF-8".into(),
        })?;
        let env_store = match std::env::var(STORE_ENV) {
            Ok(v) if !v.is_empty() => Some(match v.as_str() {
                "keyring" => StoreKind::Keyring,
                "file" => StoreKind::File,
                _ => return Err(ConfigError::BadStoreEnv(v)),
            }),
            _ => None,
        };
        Self::parse(path, &text, env_store)
    }

    /// Parses `text` as the contents of `path`; `store_override` wins over the file's `store`.
    pub fn parse(
        path: &Path,
        text: &str,
        store_override: Option<StoreKind>,
    ) -> Result<Self, ConfigError> {
        let invalid = |line: usize, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
        };
        let file: FileConfig = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of_offset(text, s.start)).unwrap_or(1);
            let message = e.message().trim().to_string();
            // Type errors do not say which key; the line does.
            let key = text
                .lines()
                .nth(line - 1)
                .and_then(|l| l.split_once('='))
                .map(|(k, _)| k.trim().trim_matches('"'))
                .filter(|k| !k.is_empty() && !message.contains(&format!("`{k}`")));
            match key {
                Some(key) if message.starts_with("invalid") => {
                    invalid(line, format!("`{key}`: {message}"))
                }
                _ => invalid(line, message),
            }
        })?;

        let mut providers = BTreeMap::new();
        for (name, section) in file.providers {
            // Found only for an error: a search per table would make big files quadratic.
            let line = || line_of_table(text, "providers", &name);
            check_name(&name)
                .map_err(|m| invalid(line(), format!("provider name '{name}' {m}")))?;
            let provider = resolve_provider(name.clone(), section, text)
                .map_err(|(l, m)| invalid(l.unwrap_or_else(line), m))?;
            providers.insert(name, provider);
        }

        let mut accounts = BTreeMap::new();
        for (name, section) in file.accounts {
            let line = || line_of_table(text, "accounts", &name);
            check_name(&name).map_err(|m| invalid(line(), format!("account name '{name}' {m}")))?;
            let provider_name = section.provider.get_ref();
            let Some(provider) = providers.get(provider_name) else {
                let known = providers.keys().cloned().collect::<Vec<_>>().join(", ");
                return Err(invalid(
                    line_of_offset(text, section.provider.span().start),
                    format!(
                        "account '{name}' names provider '{provider_name}', which is not defined; add a [providers.{provider_name}] table{}",
                        if known.is_empty() {
                            String::new()
                        } else {
                            format!(" or use one of: {known}")
                        }
                    ),
                ));
            };
            let flow = section.flow.or(provider.flow).unwrap_or(Flow::Browser);
            if flow == Flow::ClientCredentials && provider.client_secret.is_none() {
                return Err(invalid(
                    line(),
                    format!(
                        "account '{name}' uses the client_credentials flow, which needs `client_secret` in [providers.{}]",
                        provider.name
                    ),
                ));
            }
            let mut params = provider.params.clone();
            params.extend(section.params);
            let directories = section
                .directories
                .iter()
                .map(|d| {
                    directory(d).map_err(|m| invalid(line(), format!("account '{name}': {m}")))
                })
                .collect::<Result<_, _>>()?;
            accounts.insert(
                name.clone(),
                Account {
                    name,
                    provider: provider.clone(),
                    scopes: section.scopes.unwrap_or_else(|| provider.scopes.clone()),
                    flow,
                    params,
                    login_hint: section.login_hint.filter(|h| !h.is_empty()),
                    directories,
                },
            );
        }
        let default_account = match file.default_account {
            Some(d) if !accounts.contains_key(d.get_ref()) => {
                return Err(invalid(
                    line_of_offset(text, d.span().start),
                    format!(
                        "default_account '{}' is not an account; add an [accounts.{}] table or name one of: {}",
                        d.get_ref(),
                        d.get_ref(),
                        accounts.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            other => other.map(Spanned::into_inner),
        };

        Ok(Self {
            path: path.to_path_buf(),
            store: store_override.or(file.store).unwrap_or(StoreKind::Keyring),
            default_account,
            dashboard: Dashboard {
                clipboard_clear: file
                    .dashboard
                    .clipboard_clear_seconds
                    .filter(|s| *s > 0)
                    .map(std::time::Duration::from_secs),
            },
            providers,
            accounts,
        })
    }

    pub fn account(&self, name: &str) -> Result<&Account, ConfigError> {
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

fn resolve_provider(
    name: String,
    section: ProviderSection,
    text: &str,
) -> Result<Provider, (Option<usize>, String)> {
    let preset = match &section.preset {
        Some(p) => Some(preset(p.get_ref()).ok_or_else(|| {
            (
                Some(line_of_offset(text, p.span().start)),
                format!(
                    "provider '{name}': preset '{}' is unknown; known presets: {}",
                    p.get_ref(),
                    preset_names().join(", ")
                ),
            )
        })?),
        None => None,
    };
    let values: BTreeMap<String, String> = [
        ("tenant", &section.tenant),
        ("domain", &section.domain),
        ("realm", &section.realm),
        ("base_url", &section.base_url),
        ("authorization_server", &section.authorization_server),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
    .collect();
    let base = match &preset {
        Some(p) => p.endpoints_with(&values).map_err(|m| {
            let key = section
                .preset
                .as_ref()
                .map(|s| s.get_ref().clone())
                .unwrap_or_default();
            (
                section
                    .preset
                    .as_ref()
                    .map(|s| line_of_offset(text, s.span().start)),
                format!("provider '{name}': preset '{key}' {m}"),
            )
        })?,
        None => Default::default(),
    };
    let endpoints = Endpoints {
        issuer: section.issuer.or(base.issuer),
        authorization_endpoint: section
            .authorization_endpoint
            .or(base.authorization_endpoint),
        token_endpoint: section.token_endpoint.or(base.token_endpoint),
        device_authorization_endpoint: section
            .device_authorization_endpoint
            .or(base.device_authorization_endpoint),
        revocation_endpoint: section.revocation_endpoint.or(base.revocation_endpoint),
        introspection_endpoint: section
            .introspection_endpoint
            .or(base.introspection_endpoint),
        userinfo_endpoint: section.userinfo_endpoint.or(base.userinfo_endpoint),
        jwks_uri: section.jwks_uri.or(base.jwks_uri),
        end_session_endpoint: section.end_session_endpoint.or(base.end_session_endpoint),
        prompt_values_supported: Vec::new(),
    };
    let issuer = endpoints.issuer.as_deref().map(|i| ("issuer", i));
    for (key, value) in issuer.into_iter().chain(endpoints.iter()) {
        check_url(value)
            .map_err(|why| (None, format!("provider '{name}': {key} '{value}' {why}")))?;
    }
    if endpoints.issuer.is_none() && endpoints.token_endpoint.is_none() {
        return Err((
            None,
            format!(
                "provider '{name}' needs `issuer` (for discovery), a `preset`, or an explicit `token_endpoint`"
            ),
        ));
    }
    let Some(client_id) = section.client_id.filter(|c| !c.is_empty()) else {
        return Err((
            None,
            format!("provider '{name}' needs `client_id`, the OAuth client registered for tokdeck"),
        ));
    };
    let mut params = preset
        .as_ref()
        .map(|p| p.params.clone())
        .unwrap_or_default();
    params.extend(section.params);
    Ok(Provider {
        scopes: section
            .scopes
            .or_else(|| preset.as_ref().map(|p| p.scopes.clone()))
            .unwrap_or_else(|| vec!["openid".to_string()]),
        flow: section.flow.or(preset.as_ref().and_then(|p| p.flow)),
        name,
        client_id,
        client_secret: section.client_secret.filter(|s| !s.is_empty()),
        params,
        redirect_port: section.redirect_port.unwrap_or(0),
        post_logout_redirect_uri: section.post_logout_redirect_uri.filter(|u| !u.is_empty()),
        endpoints,
    })
}

/// `~/src/acme` as a path: `~` is the home directory; relative paths are refused (they
/// would mean something else in every directory).
fn directory(written: &str) -> Result<Directory, String> {
    let path = match written.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            let home = directories::BaseDirs::new()
                .map(|b| b.home_dir().to_path_buf())
                .ok_or_else(|| {
                    format!("directory '{written}': no home directory to expand '~' to")
                })?;
            home.join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(written),
    };
    if !path.is_absolute() {
        return Err(format!(
            "directory '{written}' is relative; write it from the root or from '~' (\"~/src/acme\")"
        ));
    }
    Ok(Directory {
        written: written.to_string(),
        path,
    })
}

/// Endpoints must be https, except on the loopback interface (local test providers).
fn check_url(value: &str) -> Result<(), String> {
    let url = url::Url::parse(value).map_err(|e| format!("is not a URL ({e})"))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("must use https:// (plain http only on localhost)".to_string()),
    }
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

fn line_of_offset(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset)
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The line of `[section.name]` (or a dotted key under it); 1 when not found.
fn line_of_table(text: &str, section: &str, name: &str) -> usize {
    let needles = [
        format!("{section}.{name}"),
        format!("{section}.\"{name}\""),
        format!("{section}.'{name}'"),
    ];
    text.lines()
        .position(|l| needles.iter().any(|n| l.contains(n.as_str())))
        .map(|i| i + 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests;
