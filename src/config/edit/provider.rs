//! Edits of `[providers.NAME]` tables: the issuer, client ID and secret of an existing
//! provider (a typo made in the add form, fixed without opening the file), and the
//! removal of a provider no account uses any more (its secret with it).

use super::{EditError, finish, open, section, set_keeping_comments, table_mut};
use crate::secret::Secret;
use std::path::Path;
use toml_edit::Value;

/// New values for an existing provider's keys; a key whose value stays is not touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEdit {
    pub name: String,
    /// `None`: leave `issuer` as it is (a preset may supply it).
    pub issuer: Option<String>,
    pub client_id: String,
    /// `None`: no secret (a public client); the key is removed.
    pub client_secret: Option<Secret>,
}

/// Applies `edit` to its table in `doc`.
pub(super) fn apply(
    doc: &mut toml_edit::DocumentMut,
    edit: &ProviderEdit,
) -> Result<(), EditError> {
    let table = table_mut(doc, "providers", &edit.name)?;
    let text = |key: &str, table: &dyn toml_edit::TableLike| {
        table.get(key).and_then(|i| i.as_str()).map(str::to_string)
    };
    if let Some(issuer) = &edit.issuer
        && text("issuer", table).as_deref() != Some(issuer.as_str())
    {
        set_keeping_comments(table, "issuer", Value::from(issuer.as_str()));
    }
    if text("client_id", table).as_deref() != Some(edit.client_id.as_str()) {
        set_keeping_comments(table, "client_id", Value::from(edit.client_id.as_str()));
    }
    let secret = edit.client_secret.as_ref().map(Secret::expose);
    if text("client_secret", table).as_deref() != secret {
        match secret {
            Some(secret) => set_keeping_comments(table, "client_secret", Value::from(secret)),
            None => {
                table.remove("client_secret");
            }
        }
    }
    Ok(())
}

/// `provider`'s new client_id (a client registered again), every other key as it is.
pub fn set_client_id(
    path: &Path,
    before: &str,
    provider: &str,
    client_id: &str,
) -> Result<String, EditError> {
    let (_, mut doc) = open(path, before)?;
    let table = table_mut(&mut doc, "providers", provider)?;
    set_keeping_comments(table, "client_id", Value::from(client_id));
    finish(path, before, doc)
}

/// The provider of `account` when no other account uses it: removing the account leaves
/// it unused.
pub fn left_unused(path: &Path, before: &str, account: &str) -> Option<String> {
    let (config, _) = open(path, before).ok()?;
    let provider = &config.accounts.get(account)?.provider.name;
    let others = config
        .accounts
        .values()
        .any(|a| a.name != account && a.provider.name == *provider);
    (!others).then(|| provider.clone())
}

/// Removes `[providers.NAME]`, which no account may use.
pub fn remove_provider(path: &Path, before: &str, name: &str) -> Result<String, EditError> {
    let (config, mut doc) = open(path, before)?;
    let users: Vec<&str> = config
        .accounts
        .values()
        .filter(|a| a.provider.name == name)
        .map(|a| a.name.as_str())
        .collect();
    if !users.is_empty() {
        return Err(EditError::Rejected(format!(
            "provider '{name}' is still used by {}",
            users.join(", ")
        )));
    }
    if section(&mut doc, "providers")?.remove(name).is_none() {
        return Err(EditError::Rejected(format!(
            "there is no provider '{name}' in the file"
        )));
    }
    finish(path, before, doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"# mine
[providers.corp]
# the IdP
issuer = "https://idp.exmaple"   # typo
client_id = "tokdek"
client_secret = "old"

[providers.other]
issuer = "https://other.example"
client_id = "c"

[accounts.alice]
provider = "corp"
flow = "browser"   # kept as written
"#;

    fn path() -> &'static Path {
        Path::new("/tmp/c.toml")
    }

    #[test]
    fn a_providers_issuer_client_and_secret_change_and_nothing_else() {
        let mut doc: toml_edit::DocumentMut = FILE.parse().expect("toml");
        apply(
            &mut doc,
            &ProviderEdit {
                name: "corp".into(),
                issuer: Some("https://idp.example".into()),
                client_id: "tokdeck".into(),
                client_secret: None,
            },
        )
        .expect("applies");
        let text = doc.to_string();
        assert!(
            text.contains("# the IdP\nissuer = \"https://idp.example\"   # typo\n"),
            "{text}"
        );
        assert!(text.contains("client_id = \"tokdeck\"\n"), "{text}");
        assert!(!text.contains("client_secret"), "{text}");
        assert!(
            text.contains("flow = \"browser\"   # kept as written"),
            "{text}"
        );
    }

    #[test]
    fn an_unused_provider_is_found_and_removed_a_used_one_is_not() {
        assert_eq!(left_unused(path(), FILE, "alice").as_deref(), Some("corp"));
        let removed = remove_provider(path(), FILE, "other").expect("unused");
        assert!(!removed.contains("[providers.other]"), "{removed}");
        assert!(removed.contains("[providers.corp]"));
        let refused = remove_provider(path(), FILE, "corp").expect_err("used");
        assert!(
            refused.to_string().contains("still used by alice"),
            "{refused}"
        );
    }
}
