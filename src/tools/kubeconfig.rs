//! kubectl's kubeconfig: the user whose credentials come from tokdeck as an exec
//! credential plugin (`client.authentication.k8s.io/v1`). Everything else in the file is
//! kept; like `kubectl config set-credentials`, comments are not.

use serde_yaml_ng::{Mapping, Value};
use std::path::Path;

/// How kubectl runs tokdeck: the program and the arguments before `token`, and the
/// variables of this run (its config and home).
pub struct Plugin {
    pub command: String,
    pub leading_args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// What a setup does to the file.
#[derive(Debug, PartialEq)]
pub enum Change {
    /// The user is already as asked.
    Unchanged,
    /// The new file; `orphaned`: contexts that still name a removed user.
    Changed { yaml: String, orphaned: Vec<String> },
}

/// Why the file is left alone.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    NotYaml(String),
    NotKubeconfig,
    /// A user of that name whose credentials are not tokdeck's: they would be lost.
    NotOurs,
}

/// `text` (a kubeconfig, empty when there is none) with user `user` set to run
/// `tokdeck token ACCOUNT --format k8s` as `plugin`, or removed.
pub fn plan(
    text: &str,
    user: &str,
    account: &str,
    plugin: &Plugin,
    remove: bool,
) -> Result<Change, Refusal> {
    let mut config: Value = if text.trim().is_empty() {
        empty()
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| Refusal::NotYaml(e.to_string()))?
    };
    let users = users(&mut config).ok_or(Refusal::NotKubeconfig)?;
    let at = users
        .iter()
        .position(|u| u.get("name").and_then(Value::as_str) == Some(user));
    let entry = user_entry(user, account, plugin);
    if let Some(i) = at
        && !is_ours(&users[i])
    {
        return Err(Refusal::NotOurs);
    }
    match (remove, at) {
        (true, Some(i)) => {
            users.remove(i);
        }
        (true, None) => return Ok(Change::Unchanged),
        (false, Some(i)) if users[i] == entry => return Ok(Change::Unchanged),
        (false, Some(i)) => users[i] = entry,
        (false, None) => users.push(entry),
    }
    let orphaned = if remove {
        contexts_using(&config, user)
    } else {
        Vec::new()
    };
    let yaml = serde_yaml_ng::to_string(&config).map_err(|e| Refusal::NotYaml(e.to_string()))?;
    Ok(Change::Changed { yaml, orphaned })
}

/// The contexts whose `user` is `user`.
fn contexts_using(config: &Value, user: &str) -> Vec<String> {
    config
        .get("contexts")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter(|c| {
            c.get("context")
                .and_then(|c| c.get("user"))
                .and_then(Value::as_str)
                == Some(user)
        })
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// A `users[]` entry whose exec plugin is tokdeck (by name or by its path).
fn is_ours(user: &Value) -> bool {
    user.get("user")
        .and_then(|u| u.get("exec"))
        .and_then(|e| e.get("command"))
        .and_then(Value::as_str)
        .and_then(|c| Path::new(c).file_stem())
        .is_some_and(|stem| stem == "tokdeck")
}

fn empty() -> Value {
    serde_yaml_ng::from_str(
        "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\npreferences: {}\n",
    )
    .unwrap_or(Value::Null)
}

fn users(config: &mut Value) -> Option<&mut Vec<Value>> {
    let map = config.as_mapping_mut()?;
    let users = map
        .entry(Value::from("users"))
        .or_insert_with(|| Value::Sequence(Vec::new()));
    if users.is_null() {
        *users = Value::Sequence(Vec::new());
    }
    users.as_sequence_mut()
}

/// The `users[]` entry: `tokdeck token ACCOUNT --format k8s` as the exec plugin.
fn user_entry(user: &str, account: &str, plugin: &Plugin) -> Value {
    let mut exec = Mapping::new();
    exec.insert(
        "apiVersion".into(),
        "client.authentication.k8s.io/v1".into(),
    );
    exec.insert("command".into(), plugin.command.clone().into());
    let mut args: Vec<Value> = plugin
        .leading_args
        .iter()
        .map(|a| Value::from(a.as_str()))
        .collect();
    args.extend(["token", account, "--format", "k8s"].map(Value::from));
    exec.insert("args".into(), Value::Sequence(args));
    let env: Vec<Value> = plugin
        .env
        .iter()
        .map(|(name, value)| {
            let mut var = Mapping::new();
            var.insert("name".into(), name.as_str().into());
            var.insert("value".into(), value.as_str().into());
            Value::Mapping(var)
        })
        .collect();
    if !env.is_empty() {
        exec.insert("env".into(), Value::Sequence(env));
    }
    exec.insert("interactiveMode".into(), "Never".into());
    exec.insert("provideClusterInfo".into(), false.into());
    let mut inner = Mapping::new();
    inner.insert("exec".into(), Value::Mapping(exec));
    let mut entry = Mapping::new();
    entry.insert("name".into(), user.into());
    entry.insert("user".into(), Value::Mapping(inner));
    Value::Mapping(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin() -> Plugin {
        Plugin {
            command: "/opt/bin/tokdeck".into(),
            leading_args: vec!["--config".into(), "/c.toml".into()],
            env: vec![("TOKDECK_HOME".into(), "/h".into())],
        }
    }

    #[test]
    fn the_user_is_written_once_kept_and_removed_with_its_contexts_said() {
        let mine = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts:\n- name: prod\n  context:\n    cluster: c\n    user: tokdeck-work\nusers:\n- name: someone\n  user:\n    token: abc\n";
        let Ok(Change::Changed { yaml, orphaned }) =
            plan(mine, "tokdeck-work", "work", &plugin(), false)
        else {
            panic!("written")
        };
        assert!(orphaned.is_empty());
        assert!(
            yaml.contains("someone") && yaml.contains("token: abc"),
            "{yaml}"
        );
        assert!(
            yaml.contains("- --format\n") || yaml.contains("k8s"),
            "{yaml}"
        );
        assert_eq!(
            plan(&yaml, "tokdeck-work", "work", &plugin(), false),
            Ok(Change::Unchanged)
        );
        let Ok(Change::Changed {
            yaml: gone,
            orphaned,
        }) = plan(&yaml, "tokdeck-work", "work", &plugin(), true)
        else {
            panic!("removed")
        };
        assert_eq!(orphaned, ["prod"]);
        assert!(
            !gone.contains("/opt/bin/tokdeck") && gone.contains("someone"),
            "{gone}"
        );
    }

    #[test]
    fn another_tools_user_and_a_file_that_is_no_kubeconfig_are_left_alone() {
        let theirs = "users:\n- name: tokdeck-work\n  user:\n    token: abc\n";
        assert_eq!(
            plan(theirs, "tokdeck-work", "work", &plugin(), false),
            Err(Refusal::NotOurs)
        );
        assert_eq!(
            plan("- 1\n- 2\n", "u", "work", &plugin(), false),
            Err(Refusal::NotKubeconfig)
        );
        assert!(matches!(
            plan("a: [", "u", "work", &plugin(), false),
            Err(Refusal::NotYaml(_))
        ));
        assert!(matches!(
            plan("", "u", "work", &plugin(), false),
            Ok(Change::Changed { .. })
        ));
    }
}
