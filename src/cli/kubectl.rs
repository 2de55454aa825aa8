//! `tokdeck setup kubectl ACCOUNT [--kubeconfig PATH] [--user NAME] [--remove]`: the
//! kubeconfig user whose credentials come from `tokdeck token ACCOUNT --format k8s`
//! (an exec credential plugin, `client.authentication.k8s.io/v1`). Everything else in the
//! file is kept; like `kubectl config set-credentials`, comments are not.

use super::error::CliError;
use crate::engine::Engine;
use serde_yaml_ng::{Mapping, Value};
use std::path::{Path, PathBuf};

pub fn setup(
    engine: &Engine,
    relaunch: &super::relaunch::Relaunch,
    account: &str,
    kubeconfig: Option<&Path>,
    user: Option<&str>,
    remove: bool,
) -> Result<(), CliError> {
    engine.account(account)?;
    let path = match kubeconfig {
        Some(path) => path.to_path_buf(),
        None => default_kubeconfig()?,
    };
    let user = user.map_or_else(|| format!("tokdeck-{account}"), str::to_string);
    let failed =
        |e: std::io::Error| CliError::Failed(format!("cannot write '{}': {e}", path.display()));
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(failed(e)),
    };
    let mut config: Value = if text.trim().is_empty() {
        empty_kubeconfig()
    } else {
        serde_yaml_ng::from_str(&text).map_err(|e| {
            CliError::Usage(format!(
                "'{}' is not YAML ({e}); fix it first, tokdeck does not write over it",
                path.display()
            ))
        })?
    };
    let users = users(&mut config, &path)?;
    let at = users
        .iter()
        .position(|u| u.get("name").and_then(Value::as_str) == Some(&user));
    let entry = user_entry(&user, account, relaunch)?;
    // A user of the file that is not tokdeck's exec plugin is never replaced or removed:
    // its credential would be lost.
    if let Some(i) = at
        && !is_ours(&users[i])
    {
        return Err(CliError::Usage(format!(
            "user '{user}' in '{}' is not tokdeck's (its credentials would be lost); give another --user, or remove it with kubectl config delete-user {user}",
            path.display()
        )));
    }
    let changed = match (remove, at) {
        (true, Some(i)) => {
            users.remove(i);
            true
        }
        (true, None) => false,
        (false, Some(i)) if users[i] == entry => false,
        (false, Some(i)) => {
            users[i] = entry;
            true
        }
        (false, None) => {
            users.push(entry);
            true
        }
    };
    if !changed {
        return Ok(());
    }
    if remove {
        for context in contexts_using(&config, &user) {
            say!(
                "tokdeck: warning: context '{context}' in '{}' still uses user '{user}', which is gone: `kubectl config set-context {context} --user OTHER`, or `kubectl config delete-context {context}`",
                path.display()
            );
        }
    }
    let yaml = serde_yaml_ng::to_string(&config)
        .map_err(|e| CliError::Failed(format!("cannot write the kubeconfig: {e}")))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    // Written atomically, and with the mode the file had (new ones 0600, as kubectl).
    let mode = std::fs::metadata(&path).map(|m| m.permissions()).ok();
    crate::files::atomic_write(&path, yaml.as_bytes()).map_err(failed)?;
    if let Some(mode) = mode {
        std::fs::set_permissions(&path, mode).map_err(failed)?;
    }
    let what = if remove { "removed" } else { "written" };
    super::output::line(&format!(
        "{}: user '{user}' {what}{}",
        path.display(),
        if remove {
            String::new()
        } else {
            format!("; use it with `kubectl config set-context CONTEXT --user {user}`")
        }
    ))
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

/// `$KUBECONFIG`'s first file, else `~/.kube/config`.
fn default_kubeconfig() -> Result<PathBuf, CliError> {
    if let Some(first) = std::env::var_os("KUBECONFIG")
        .and_then(|v| std::env::split_paths(&v).next())
        .filter(|p| !p.as_os_str().is_empty())
    {
        return Ok(first);
    }
    let home = directories::BaseDirs::new()
        .ok_or_else(|| CliError::Failed("no home directory for ~/.kube".into()))?;
    Ok(home.home_dir().join(".kube").join("config"))
}

fn empty_kubeconfig() -> Value {
    serde_yaml_ng::from_str(
        "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\npreferences: {}\n",
    )
    .unwrap_or(Value::Null)
}

fn users<'v>(config: &'v mut Value, path: &Path) -> Result<&'v mut Vec<Value>, CliError> {
    let not_config = || {
        CliError::Usage(format!(
            "'{}' is not a kubeconfig (a mapping with `users`)",
            path.display()
        ))
    };
    let map = config.as_mapping_mut().ok_or_else(not_config)?;
    let users = map
        .entry(Value::from("users"))
        .or_insert_with(|| Value::Sequence(Vec::new()));
    if users.is_null() {
        *users = Value::Sequence(Vec::new());
    }
    users.as_sequence_mut().ok_or_else(not_config)
}

/// The `users[]` entry: `tokdeck token ACCOUNT --format k8s` as the exec plugin, by
/// this tokdeck's absolute path, with this run's `--config` and `TOKDECK_HOME`.
fn user_entry(
    user: &str,
    account: &str,
    relaunch: &super::relaunch::Relaunch,
) -> Result<Value, CliError> {
    let mut exec = Mapping::new();
    exec.insert(
        "apiVersion".into(),
        "client.authentication.k8s.io/v1".into(),
    );
    exec.insert("command".into(), relaunch.exe.display().to_string().into());
    let mut args: Vec<Value> = relaunch
        .leading_args()
        .into_iter()
        .map(Value::from)
        .collect();
    args.extend(["token", account, "--format", "k8s"].map(Value::from));
    exec.insert("args".into(), Value::Sequence(args));
    let env: Vec<Value> = relaunch
        .env()
        .into_iter()
        .map(|(name, value)| {
            let mut var = Mapping::new();
            var.insert("name".into(), name.into());
            var.insert("value".into(), value.into());
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
    Ok(Value::Mapping(entry))
}
