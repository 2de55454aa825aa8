//! Changes to `config.toml` made from the dashboard: add, change and remove accounts.
//!
//! Every change is computed as new file text from the old text (comments, order and
//! formatting kept, through `toml_edit`), checked by parsing it as a config, shown to the
//! user, and only then written by [`save`]. A file that does not parse is never edited.

use super::{Config, Flow, TEMPLATE_KEYS, check_name, preset};
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::path::Path;
use toml_edit::{Array, DocumentMut, Item, Table, TableLike, Value, value};

/// The first lines of a config the dashboard creates.
const NEW_FILE_HEADER: &str = "# tokdeck configuration (see `tokdeck --help` and the README).\n# The dashboard edits this file only when you confirm, keeping your comments.\n";

/// The text of a config file. It may hold a `client_secret`, so `Debug` shows only its
/// size; the text itself is a `&str` away (`Deref`).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ConfigText(String);

impl ConfigText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for ConfigText {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<&str> for ConfigText {
    fn from(text: &str) -> Self {
        Self(text.to_string())
    }
}

impl std::ops::Deref for ConfigText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ConfigText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConfigText([redacted], {} bytes)", self.0.len())
    }
}

/// An account as the editor describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountDraft {
    pub name: String,
    pub provider: ProviderDraft,
    /// `None`: the provider's flow.
    pub flow: Option<Flow>,
    /// `None`: the provider's scopes.
    pub scopes: Option<Vec<String>>,
    /// Changes to the (existing) provider's issuer, client ID and secret.
    pub provider_edit: Option<ProviderEdit>,
    /// The API its tokens are for (RFC 8707): `resource` on every authorization, token
    /// and refresh request, written as `params = { resource = "…" }`.
    pub api: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderDraft {
    /// A `[providers.NAME]` table already in the file.
    Existing(String),
    New(NewProvider),
}

/// A new `[providers.NAME]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProvider {
    pub name: String,
    /// A preset key from `assets/providers.toml`.
    pub preset: String,
    pub issuer: Option<String>,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    /// Preset parameters (`tenant`, `domain`, ...).
    pub template: BTreeMap<String, String>,
    /// `Dynamic`: tokdeck registered the client (written as `registration = "dynamic"`).
    pub registration: crate::config::Registration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error(
        "the config does not parse, so tokdeck will not edit it: {0}. Fix the file by hand first"
    )]
    Broken(String),
    #[error("{0}")]
    Rejected(String),
    /// The edit itself made an invalid config (for example a bad issuer URL).
    #[error("{0}")]
    Invalid(String),
    #[error(
        "'{0}' changed on disk while the editor was open; nothing was written. Open the editor again to start from the current file"
    )]
    ChangedOnDisk(String),
    #[error("could not write '{path}': {reason}; the file was left as it was")]
    Write { path: String, reason: String },
}

/// Adds `[accounts.NAME]` (and a new provider table if the draft has one).
pub fn add_account(path: &Path, before: &str, draft: &AccountDraft) -> Result<String, EditError> {
    let (config, mut doc) = open(path, before)?;
    if config.accounts.contains_key(&draft.name) || config.broken_accounts.contains_key(&draft.name)
    {
        return Err(EditError::Rejected(format!(
            "an account named '{}' already exists; pick another name or edit that one",
            draft.name
        )));
    }
    check(&draft.name, "account")?;
    let provider = add_provider(&config, &mut doc, &draft.provider)?;
    let mut table = Table::new();
    table.insert("provider", value(provider));
    set_account_keys(&mut table, draft);
    section(&mut doc, "accounts")?.insert(&draft.name, Item::Table(table));
    finish(path, before, doc)
}

/// Changes the provider, flow and scopes of an existing account (its name stays: tokens
/// are stored under it).
pub fn change_account(
    path: &Path,
    before: &str,
    draft: &AccountDraft,
) -> Result<String, EditError> {
    let (config, mut doc) = open(path, before)?;
    if !config.accounts.contains_key(&draft.name) {
        return Err(EditError::Rejected(format!(
            "there is no account '{}' in the file any more",
            draft.name
        )));
    }
    let provider = add_provider(&config, &mut doc, &draft.provider)?;
    if let Some(edit) = &draft.provider_edit {
        provider::apply(&mut doc, edit)?;
    }
    let table = table_mut(&mut doc, "accounts", &draft.name)?;
    // Keys whose value stays are not touched, so their comments and layout stay too.
    if table.get("provider").and_then(|i| i.as_str()) != Some(provider.as_str()) {
        set_keeping_comments(table, "provider", Value::from(provider));
    }
    let flow = draft.flow.map(|f| f.to_string());
    if table.get("flow").and_then(|i| i.as_str()) != flow.as_deref() {
        match flow {
            Some(flow) => set_keeping_comments(table, "flow", Value::from(flow)),
            None => {
                table.remove("flow");
            }
        };
    }
    let scopes = table.get("scopes").and_then(|i| i.as_array()).map(|a| {
        a.iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    });
    if scopes != draft.scopes {
        match &draft.scopes {
            Some(scopes) => set_keeping_comments(
                table,
                "scopes",
                Value::Array(scopes.iter().collect::<Array>()),
            ),
            None => {
                table.remove("scopes");
            }
        };
    }
    finish(path, before, doc)
}

/// The `[SECTION.NAME]` table to change in place (`accounts`, `providers`).
fn table_mut<'d>(
    doc: &'d mut DocumentMut,
    name_of_section: &str,
    name: &str,
) -> Result<&'d mut dyn TableLike, EditError> {
    let what = name_of_section.trim_end_matches('s');
    section(doc, name_of_section)?
        .get_mut(name)
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| {
            EditError::Rejected(format!("{what} '{name}' is not a table tokdeck can edit"))
        })
}

/// Sets `key` to `new`, keeping the comment lines above the key and the comment after
/// the old value.
fn set_keeping_comments(table: &mut dyn TableLike, key: &str, mut new: Value) {
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            *new.decor_mut() = old.decor().clone();
            *old = new;
        }
        _ => {
            table.insert(key, Item::Value(new));
        }
    }
}

/// Removes `[accounts.NAME]`; the provider table stays (other accounts may use it).
pub fn remove_account(path: &Path, before: &str, name: &str) -> Result<String, EditError> {
    let (config, mut doc) = open(path, before)?;
    if !config.accounts.contains_key(name) && !config.broken_accounts.contains_key(name) {
        let known: Vec<&String> = config
            .accounts
            .keys()
            .chain(config.broken_accounts.keys())
            .collect();
        return Err(EditError::Rejected(format!(
            "there is no account '{name}' in the file; its accounts: {}",
            if known.is_empty() {
                "none".to_string()
            } else {
                known
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )));
    }
    let kept = comments::detached(&doc, "accounts", name);
    section(&mut doc, "accounts")?.remove(name);
    if let Some(kept) = kept {
        comments::put_back(&mut doc, kept);
    }
    // A default that names the account goes with it (the diff shows it).
    if config.default_account.as_deref() == Some(name) {
        doc.remove("default_account");
    }
    finish(path, before, doc)
}

/// Writes `text` to `path` if the file still holds `expected` (`None`: it must not exist),
/// atomically, keeping its permissions (a new file is 0600: it may hold a client secret).
/// A symlinked config is written through the link.
pub fn save(path: &Path, expected: Option<&str>, text: &str) -> Result<(), EditError> {
    let write_error = |e: std::io::Error| EditError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let current = match std::fs::read_to_string(&target) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(write_error(e)),
    };
    if current.as_deref() != expected {
        return Err(EditError::ChangedOnDisk(path.display().to_string()));
    }
    let permissions = std::fs::metadata(&target).map(|m| m.permissions()).ok();
    if let Some(dir) = target.parent() {
        create_private_dir(dir).map_err(write_error)?;
    }
    crate::files::atomic_write(&target, text.as_bytes()).map_err(write_error)?;
    if let Some(permissions) = permissions {
        std::fs::set_permissions(&target, permissions).map_err(write_error)?;
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Parses the old text both ways; refuses a file that is not a valid config.
fn open(path: &Path, before: &str) -> Result<(Config, DocumentMut), EditError> {
    let config = Config::parse(path, before, None).map_err(|e| EditError::Broken(e.to_string()))?;
    let doc = before
        .parse::<DocumentMut>()
        .map_err(|e| EditError::Broken(e.to_string()))?;
    Ok((config, doc))
}

/// The new text, checked as a config; the check's message names what is wrong.
fn finish(path: &Path, before: &str, doc: DocumentMut) -> Result<String, EditError> {
    let mut text = doc.to_string();
    if before.trim().is_empty() {
        text = format!("{NEW_FILE_HEADER}\n{}", text.trim_start());
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    if text == before {
        return Err(EditError::Rejected("nothing changed".into()));
    }
    let invalid = |e: &super::ConfigError| match e {
        super::ConfigError::Invalid { message, .. } => EditError::Invalid(message.clone()),
        other => EditError::Invalid(other.to_string()),
    };
    let after = Config::parse(path, &text, None).map_err(|e| invalid(&e))?;
    // Tables already broken stay the user's to fix; an edit must not break another.
    let old = Config::parse(path, before, None).ok();
    let was_broken = |what: &str, name: &str| {
        old.as_ref()
            .is_some_and(|c| c.problems().any(|(w, n, _)| w == what && n == name))
    };
    if let Some((_, _, e)) = after.problems().find(|(w, n, _)| !was_broken(w, n)) {
        return Err(invalid(e));
    }
    Ok(text)
}

/// The `[NAME]` parent table, created (implicit, so no empty header appears) if missing.
fn section<'d>(doc: &'d mut DocumentMut, name: &str) -> Result<&'d mut Table, EditError> {
    let item = doc.entry(name).or_insert_with(|| {
        let mut table = Table::new();
        table.set_implicit(true);
        Item::Table(table)
    });
    if !item.is_table() {
        // A `name = {...}` inline table: turn it into a normal one so entries can be added.
        let taken = std::mem::take(item);
        *item = match taken.into_table() {
            Ok(mut table) => {
                table.set_implicit(true);
                Item::Table(table)
            }
            Err(other) => other,
        };
    }
    item.as_table_mut().ok_or_else(|| {
        EditError::Rejected(format!(
            "`{name}` in the file is not a table tokdeck can add to; edit the file by hand"
        ))
    })
}

fn set_account_keys(table: &mut Table, draft: &AccountDraft) {
    if let Some(flow) = draft.flow {
        table.insert("flow", value(flow.to_string()));
    }
    if let Some(scopes) = &draft.scopes {
        table.insert("scopes", value(scopes.iter().collect::<Array>()));
    }
    if let Some(api) = &draft.api {
        let mut params = toml_edit::InlineTable::new();
        params.insert("resource", Value::from(api.as_str()));
        table.insert("params", value(params));
    }
}

/// The provider name the account will use; writes a new provider table if asked.
fn add_provider(
    config: &Config,
    doc: &mut DocumentMut,
    draft: &ProviderDraft,
) -> Result<String, EditError> {
    let new = match draft {
        ProviderDraft::Existing(name) if config.providers.contains_key(name) => {
            return Ok(name.clone());
        }
        ProviderDraft::Existing(name) => {
            return Err(EditError::Rejected(format!(
                "there is no provider '{name}' in the file"
            )));
        }
        ProviderDraft::New(new) => new,
    };
    check(&new.name, "provider")?;
    if config.providers.contains_key(&new.name) {
        return Err(EditError::Rejected(format!(
            "a provider named '{}' already exists; pick it from the list or use another name",
            new.name
        )));
    }
    let Some(found) = preset(&new.preset) else {
        return Err(EditError::Rejected(format!(
            "'{}' is not a preset; the presets are {} (`tokdeck providers` describes them)",
            new.preset,
            super::preset_names().join(", ")
        )));
    };
    let mut table = Table::new();
    table.insert("preset", value(&new.preset));
    // Values of another preset (the form kept them while the user looked around) are
    // not this one's.
    let takes = found.takes();
    for key in TEMPLATE_KEYS.iter().filter(|k| takes.contains(k)) {
        match new.template.get(*key).map(|v| v.trim()) {
            Some(v) if !v.is_empty() => {
                table.insert(key, value(v));
            }
            _ if found.requires.iter().any(|r| r == key) => {
                return Err(EditError::Rejected(format!(
                    "preset '{}' needs a {key}",
                    new.preset
                )));
            }
            _ => {}
        }
    }
    if let Some(issuer) = new
        .issuer
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        table.insert("issuer", value(issuer));
    }
    let client_id = new.client_id.trim();
    if client_id.is_empty() {
        return Err(EditError::Rejected(
            "a client ID is needed: the OAuth client you registered for tokdeck at the provider"
                .into(),
        ));
    }
    table.insert("client_id", value(client_id));
    if let Some(secret) = new.client_secret.as_ref().filter(|s| !s.is_empty()) {
        table.insert("client_secret", value(secret.expose()));
    }
    if new.registration == crate::config::Registration::Dynamic {
        table.insert("registration", value("dynamic"));
    }
    section(doc, "providers")?.insert(&new.name, Item::Table(table));
    Ok(new.name.clone())
}

fn check(name: &str, what: &str) -> Result<(), EditError> {
    check_name(name).map_err(|m| EditError::Rejected(format!("{what} name '{name}' {m}")))
}

mod comments;
mod diff;
mod lists;
mod provider;
pub use diff::{DiffLine, diff};
pub use lists::{add_to_list, remove_from_list};
pub use provider::{ProviderEdit, left_unused, remove_provider, set_client_id};

#[cfg(test)]
mod tests;
