//! `tokdeck setup kubectl ACCOUNT [--kubeconfig PATH] [--user NAME] [--remove]`: the
//! file's user is planned by `tools::kubeconfig`; here it is read, written atomically
//! with the mode it had, and said.

use super::error::CliError;
use crate::engine::Engine;
use crate::tools::kubeconfig::{Change, Plugin, Refusal, plan};
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
    let plugin = Plugin {
        command: relaunch.exe.display().to_string(),
        leading_args: relaunch.leading_args(),
        env: relaunch
            .env()
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect(),
    };
    let (yaml, orphaned) = match plan(&text, &user, account, &plugin, remove) {
        Ok(Change::Unchanged) => return Ok(()),
        Ok(Change::Changed { yaml, orphaned }) => (yaml, orphaned),
        Err(Refusal::NotYaml(e)) => {
            return Err(CliError::Usage(format!(
                "'{}' is not YAML ({e}); fix it first, tokdeck does not write over it",
                path.display()
            )));
        }
        Err(Refusal::NotKubeconfig) => {
            return Err(CliError::Usage(format!(
                "'{}' is not a kubeconfig (a mapping with `users`)",
                path.display()
            )));
        }
        // Its credential would be lost.
        Err(Refusal::NotOurs) => {
            return Err(CliError::Usage(format!(
                "user '{user}' in '{}' is not tokdeck's (its credentials would be lost); give another --user, or remove it with kubectl config delete-user {user}",
                path.display()
            )));
        }
    };
    for context in orphaned {
        say!(
            "tokdeck: warning: context '{context}' in '{}' still uses user '{user}', which is gone: `kubectl config set-context {context} --user OTHER`, or `kubectl config delete-context {context}`",
            path.display()
        );
    }
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
