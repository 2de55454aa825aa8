//! One value added to or taken from a list key of an account (`urls = [...]`), in place,
//! keeping the file's comments and layout.

use super::{Config, EditError, finish, open, table_mut};
use std::path::Path;
use toml_edit::{Array, Item, Value};

/// The new text with `value` in `[accounts.NAME] KEY` (`Ok(None)`: it is there already).
pub fn add_to_list(
    path: &Path,
    before: &str,
    account: &str,
    key: &str,
    value: &str,
) -> Result<Option<String>, EditError> {
    change_list(path, before, account, key, |list| {
        if list.iter().any(|v| v.as_str() == Some(value)) {
            return false;
        }
        list.push(value);
        true
    })
}

/// The new text without `value` in `[accounts.NAME] KEY` (`Ok(None)`: it was not there).
pub fn remove_from_list(
    path: &Path,
    before: &str,
    account: &str,
    key: &str,
    value: &str,
) -> Result<Option<String>, EditError> {
    change_list(path, before, account, key, |list| {
        let before = list.len();
        list.retain(|v| v.as_str() != Some(value));
        list.len() != before
    })
}

fn change_list(
    path: &Path,
    before: &str,
    account: &str,
    key: &str,
    change: impl FnOnce(&mut Array) -> bool,
) -> Result<Option<String>, EditError> {
    let (config, mut doc): (Config, _) = open(path, before)?;
    if !config.accounts.contains_key(account) {
        return Err(EditError::Rejected(format!(
            "there is no usable account '{account}' in the file"
        )));
    }
    let table = table_mut(&mut doc, "accounts", account)?;
    if table.get(key).is_none() {
        table.insert(key, Item::Value(Value::Array(Array::new())));
    }
    let Some(list) = table.get_mut(key).and_then(Item::as_array_mut) else {
        return Err(EditError::Rejected(format!(
            "`{key}` of account '{account}' is not a list; edit it by hand"
        )));
    };
    if !change(list) {
        return Ok(None);
    }
    if list.is_empty() {
        table.remove(key);
    }
    finish(path, before, doc).map(Some)
}
