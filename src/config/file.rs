//! Reading config.toml: the file's tables as serde sees them (unknown keys refused by
//! name), then each provider and account resolved and checked, every error with the
//! file, the line and what was expected.

use super::{Account, ConfigError, Flow, Provider, StoreKind, check_name};
use crate::secret::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileConfig {
    pub(super) store: Option<StoreKind>,
    /// The account commands use when none is named and none is chosen by context.
    pub(super) default_account: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) dashboard: DashboardSection,
}

/// The file as read: its top-level keys, and each provider and account table still
/// raw, so that one bad table is reported on its own and the others still work.
pub(super) struct Sections<'i> {
    pub(super) top: FileConfig,
    pub(super) providers: Vec<(String, Spanned<DeValue<'i>>)>,
    pub(super) accounts: Vec<(String, Spanned<DeValue<'i>>)>,
}

/// What reading the providers and accounts came to: the good ones, and for each bad
/// one the error that names its line.
pub(super) struct Resolved<T> {
    pub(super) good: BTreeMap<String, T>,
    pub(super) broken: BTreeMap<String, ConfigError>,
}

impl<T> Resolved<T> {
    fn new() -> Self {
        Self {
            good: BTreeMap::new(),
            broken: BTreeMap::new(),
        }
    }

    fn add(&mut self, name: String, result: Result<T, ConfigError>) {
        match result {
            Ok(good) => {
                self.good.insert(name, good);
            }
            Err(e) => {
                self.broken.insert(name, e);
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DashboardSection {
    /// Clear a copied token from the clipboard after this many seconds (0: never).
    pub(super) clipboard_clear_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProviderSection {
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
    /// RFC 9126: where authorization requests are pushed (else from discovery).
    pushed_authorization_request_endpoint: Option<String>,
    /// Push every authorization request (RFC 9126), also when the provider does not ask.
    par: Option<bool>,
    /// DPoP-bound tokens (RFC 9449) for every account of the provider.
    dpop: Option<bool>,
    /// How the client authenticates: client_secret_basic (the default with a secret),
    /// client_secret_jwt or private_key_jwt (RFC 7523).
    client_auth: Option<String>,
    /// private_key_jwt: the PKCS#8 PEM key file (0600).
    client_key: Option<String>,
    /// private_key_jwt: the `kid` the provider knows the key by (default: its RFC 7638
    /// thumbprint).
    client_key_id: Option<String>,
    /// Where the provider sends the browser after `logout --end-session`.
    post_logout_redirect_uri: Option<String>,
    /// `dynamic`: tokdeck registered the client (RFC 7591).
    registration: Option<super::Registration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AccountSection {
    /// Absent for an account defined by token exchange (`exchange_from`).
    provider: Option<Spanned<String>>,
    scopes: Option<Vec<String>>,
    flow: Option<Flow>,
    #[serde(default)]
    params: BTreeMap<String, String>,
    /// Sent as `login_hint` (OIDC Core §3.1.2.1) so the provider asks for this person.
    login_hint: Option<String>,
    /// Working directories (and below) in which commands pick this account.
    #[serde(default)]
    directories: Vec<String>,
    /// Environment variables `tokdeck exec` puts the access token in.
    #[serde(default)]
    env: Vec<String>,
    /// URL prefixes for which tools (git, Docker) get this account's token.
    #[serde(default)]
    urls: Vec<String>,
    /// The user name git sends with the token (default: the preset's convention).
    git_username: Option<String>,
    /// DPoP-bound tokens (RFC 9449); default: the provider's `dpop`.
    dpop: Option<bool>,
    /// APIs (RFC 8707 resource indicators) the login asks access to, each with a token
    /// of its own.
    #[serde(default)]
    resources: Vec<String>,
    /// RFC 8693: an account whose tokens are exchanged from this account's.
    exchange_from: Option<Spanned<String>>,
    /// `exchange_from`: the audience of the exchanged token.
    audience: Option<String>,
    /// `exchange_from`: the resource the exchanged token is for (RFC 8707).
    resource: Option<String>,
    /// `[accounts.NAME.agent]`: what `tokdeck agent` hands out, and to whom unasked.
    #[serde(default)]
    agent: super::agent::AgentSection,
}

/// The text of a config file and where it came from, for messages.
pub(super) struct Source<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
}

impl Source<'_> {
    fn invalid(&self, line: usize, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            message,
        }
    }

    /// The TOML error as a config error: its line, and the key for type errors.
    fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        let text = self.text;
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
                self.invalid(line, format!("`{key}`: {message}"))
            }
            _ => self.invalid(line, message),
        }
    }

    /// The file's tables, or the TOML error with its line. A file that is not TOML, or
    /// whose top-level keys are wrong, is an error for everything; a bad provider or
    /// account table is left for [`Self::providers`] and [`Self::accounts`] to report.
    pub(super) fn read(&self) -> Result<Sections<'_>, ConfigError> {
        let root = DeTable::parse(self.text).map_err(|e| self.toml_error(&e))?;
        let span = root.span();
        let mut top = root.into_inner();
        let providers = self.entries(&mut top, "providers")?;
        let accounts = self.entries(&mut top, "accounts")?;
        let de = toml::de::Deserializer::from(Spanned::new(span, top));
        let top = FileConfig::deserialize(de).map_err(|e| self.toml_error(&e))?;
        Ok(Sections {
            top,
            providers,
            accounts,
        })
    }

    /// The tables under `[NAME]`, taken out of `top`; `NAME` that is not a table is an
    /// error for the whole file.
    fn entries<'i>(
        &self,
        top: &mut DeTable<'i>,
        name: &str,
    ) -> Result<Vec<(String, Spanned<DeValue<'i>>)>, ConfigError> {
        let Some(key) = top.keys().find(|k| k.get_ref() == name).cloned() else {
            return Ok(Vec::new());
        };
        let Some(value) = top.remove(&key) else {
            return Ok(Vec::new());
        };
        let span = value.span();
        match value.into_inner() {
            DeValue::Table(table) => Ok(table
                .into_iter()
                .map(|(k, v)| (k.into_inner().into_owned(), v))
                .collect()),
            other => Err(self.invalid(
                line_of_offset(self.text, span.start),
                format!(
                    "`{name}`: invalid type: {}, expected a map",
                    match other {
                        DeValue::Array(_) => "sequence".to_string(),
                        DeValue::String(s) => format!("string {s:?}"),
                        other => other.type_str().to_string(),
                    }
                ),
            )),
        }
    }

    /// One raw table as `T`, errors with their line.
    fn section<T: serde::de::DeserializeOwned>(
        &self,
        value: Spanned<DeValue<'_>>,
    ) -> Result<T, ConfigError> {
        T::deserialize(ValueDeserializer::from(value)).map_err(|e| self.toml_error(&e))
    }

    pub(super) fn providers(
        &self,
        sections: Vec<(String, Spanned<DeValue<'_>>)>,
    ) -> Resolved<std::sync::Arc<Provider>> {
        let mut resolved = Resolved::new();
        for (name, value) in sections {
            let provider = self.provider(&name, value).map(std::sync::Arc::new);
            resolved.add(name, provider);
        }
        resolved
    }

    fn provider(&self, name: &str, value: Spanned<DeValue<'_>>) -> Result<Provider, ConfigError> {
        // Found only for an error: a search per table would make big files quadratic.
        let line = || line_of_table(self.text, "providers", name);
        check_name(name)
            .map_err(|m| self.invalid(line(), format!("provider name '{name}' {m}")))?;
        let section: ProviderSection = self.section(value)?;
        resolve_provider(name.to_string(), section, self.text)
            .map_err(|(l, m)| self.invalid(l.unwrap_or_else(line), m))
    }

    pub(super) fn accounts(
        &self,
        sections: Vec<(String, Spanned<DeValue<'_>>)>,
        providers: &Resolved<std::sync::Arc<Provider>>,
    ) -> Resolved<Account> {
        let mut resolved = Resolved::new();
        let mut by_exchange = Vec::new();
        for (name, value) in sections {
            match self.section::<AccountSection>(value) {
                Ok(section) if section.exchange_from.is_some() => by_exchange.push((name, section)),
                Ok(section) => {
                    let account = self.account(&name, section, providers);
                    resolved.add(name, account);
                }
                Err(e) => resolved.add(name, Err(e)),
            }
        }
        // Accounts defined by exchange, once the accounts they come from are known.
        for (name, section) in by_exchange {
            let account = self.by_exchange(&name, section, &resolved);
            resolved.add(name, account);
        }
        resolved
    }

    /// `default_account`, when it names an account of the file (broken ones too); one that
    /// names none is a problem of its own, and commands go on as if it were not set.
    pub(super) fn default_account(
        &self,
        named: Option<Spanned<String>>,
        accounts: &Resolved<Account>,
    ) -> (Option<String>, Option<ConfigError>) {
        let known =
            |name: &String| accounts.good.contains_key(name) || accounts.broken.contains_key(name);
        match named {
            Some(d) if !known(d.get_ref()) => {
                let error = self.invalid(
                    line_of_offset(self.text, d.span().start),
                    format!(
                        "default_account '{}' is not an account; add an [accounts.{}] table or name one of: {}",
                        d.get_ref(),
                        d.get_ref(),
                        accounts.good.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
                (None, Some(error))
            }
            other => (other.map(Spanned::into_inner), None),
        }
    }
}

pub(super) fn line_of_offset(text: &str, offset: usize) -> usize {
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

mod account;
mod by_exchange;
mod resolve;
use resolve::{directory, resolve_provider};
