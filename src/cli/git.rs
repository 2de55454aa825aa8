//! `tokdeck git-credential get|store|erase` (the protocol is `tools::git`) and `tokdeck
//! setup git`. A URL no account claims gets no answer, so git asks its next helper. The
//! token is always fresh; a dead one is never replaced by a login here (git may run in
//! the background): the message says to log in.

use super::args::GitOperation;
use super::error::CliError;
use crate::engine::Engine;
use crate::tools::git::{Request, account_for, answer, rejects, username};
use std::time::Duration;

/// `tokdeck git-credential OPERATION`.
pub async fn credential(
    config: Option<std::path::PathBuf>,
    operation: GitOperation,
) -> Result<(), CliError> {
    #[cfg(unix)]
    if let Some(result) = super::via_agent::git(config.as_deref(), operation) {
        return result;
    }
    run(&super::refreshing_engine(config)?, operation).await
}

async fn run(engine: &Engine, operation: GitOperation) -> Result<(), CliError> {
    let request = Request::read(std::io::stdin()).map_err(CliError::Failed)?;
    let Some((url, has_path)) = request.url() else {
        return Ok(());
    };
    let Some(account) = account_for(engine.config(), &url, has_path).map_err(CliError::Usage)?
    else {
        return Ok(()); // not ours: git asks its next helper
    };
    let account = account.to_string();
    match operation {
        GitOperation::Get => get(engine, &account, &request).await,
        GitOperation::Erase => erase(engine, &account, &request).await,
        // tokdeck owns its tokens; git's copy is not kept.
        GitOperation::Store => Ok(()),
    }
}

async fn get(engine: &Engine, account: &str, request: &Request) -> Result<(), CliError> {
    let fresh = engine.fresh_tokens(account, Duration::ZERO).await?;
    let tokens = super::output::with_warnings(engine, fresh);
    super::token::refuse_dpop_for("git", account, &tokens)?;
    let username = username(engine.account(account)?);
    let answer = answer(request, &username, &tokens);
    super::output::line(&answer.join("\n"))
}

/// git says the credential was rejected: when it is the stored token, refresh now so
/// that the next `get` hands out another.
async fn erase(engine: &Engine, account: &str, request: &Request) -> Result<(), CliError> {
    let Ok(Some(record)) = engine.load_bound(account).await else {
        return Ok(());
    };
    if !rejects(request, &record.tokens) {
        return Ok(());
    }
    match engine.refresh(account).await {
        Ok(_) => Ok(()),
        Err(e) => {
            say!("tokdeck: git rejected the token of '{account}', and a refresh failed: {e}");
            Ok(())
        }
    }
}

/// `tokdeck setup git [ACCOUNT] URL [--local] [--remove]`.
pub(super) async fn setup(
    engine: &Engine,
    relaunch: &super::relaunch::Relaunch,
    words: &[String],
    local: bool,
    remove: bool,
) -> Result<(), CliError> {
    let (account, url) = match words {
        [url] => (None, url),
        [account, url] => (Some(account.as_str()), url),
        _ => return Err(CliError::Usage("give [ACCOUNT] URL".into())),
    };
    if !url.contains("://") {
        return Err(CliError::Usage(format!(
            "'{url}' is not a URL: give the repository, group or host with its scheme (`tokdeck setup git [ACCOUNT] https://gitlab.example.com/acme/`)"
        )));
    }
    let account = super::which::pick(engine, account)?;
    let url = crate::config::tool_url(url).map_err(|m| CliError::Usage(format!("'{url}' {m}")))?;
    if let Some(other) = engine
        .config()
        .accounts
        .values()
        .find(|a| a.name != account && a.urls.contains(&url))
        && !remove
    {
        return Err(CliError::Usage(format!(
            "'{url}' is already claimed by account '{}'; run `tokdeck setup git {} {url} --remove` first, or give a longer URL",
            other.name, other.name
        )));
    }
    let git = GitConfig { local };
    if local {
        // Before anything is written: --local needs a repository here.
        git.run(&["--get-regexp", "^core\\.repositoryformatversion$"]).map_err(|_| {
            CliError::Usage("--local writes the git config of the repository here, and this is not inside one".into())
        })?;
    }
    super::manage::edit_list(engine, &account, "urls", &url, remove)?;
    let key = url.trim_end_matches('/');
    let has_path = key.matches('/').count() > 2;
    let helper = format!("!{}", relaunch.shell_line(&["git-credential"])?);
    // Any tokdeck helper of this URL, whatever program path, config or home it names
    // (written by another run or an older tokdeck).
    let ours = |v: &String| v.contains("tokdeck") && v.ends_with(" git-credential");
    let helpers = git.values(key, "helper")?;
    if remove {
        if helpers.iter().any(ours) {
            git.run(&["--unset-all", &format!("credential.{key}.helper")])?;
            super::output::line(&format!(
                "git config: removed the helper of credential.{key}"
            ))?;
        }
        if has_path && !git.values(key, "useHttpPath")?.is_empty() {
            git.run(&["--unset-all", &format!("credential.{key}.useHttpPath")])?;
        }
        return Ok(());
    }
    if helpers.contains(&helper) {
        say!("tokdeck: git already asks tokdeck for {key}; nothing to change");
    } else {
        if helpers.iter().any(ours) {
            // Another tokdeck line (another path, config or home): replaced, not doubled.
            git.run(&["--unset-all", &format!("credential.{key}.helper")])?;
        }
        // The empty entry first: git then asks tokdeck alone for this URL, not also the
        // helpers configured for every URL (a store that would keep an old token).
        git.run(&["--add", &format!("credential.{key}.helper"), ""])?;
        git.run(&["--add", &format!("credential.{key}.helper"), &helper])?;
        super::output::line(&format!("git config: credential.{key}.helper = {helper}"))?;
    }
    if has_path && git.values(key, "useHttpPath")? != ["true"] {
        git.run(&[
            "--replace-all",
            &format!("credential.{key}.useHttpPath"),
            "true",
        ])?;
        super::output::line(&format!("git config: credential.{key}.useHttpPath = true"))?;
    }
    Ok(())
}

/// `git config`, global or of the repository here.
struct GitConfig {
    local: bool,
}

impl GitConfig {
    fn command(&self) -> std::process::Command {
        let mut command = std::process::Command::new("git");
        command.arg("config");
        command.arg(if self.local { "--local" } else { "--global" });
        command
    }

    fn run(&self, args: &[&str]) -> Result<(), CliError> {
        let out = self
            .command()
            .args(args)
            .output()
            .map_err(|e| CliError::Failed(format!("cannot run git: {e}")))?;
        if out.status.success() {
            return Ok(());
        }
        Err(CliError::Failed(format!(
            "git config {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }

    /// The values of `credential.URL.NAME` (none: empty).
    fn values(&self, url: &str, name: &str) -> Result<Vec<String>, CliError> {
        let out = self
            .command()
            .args(["--get-all", &format!("credential.{url}.{name}")])
            .output()
            .map_err(|e| CliError::Failed(format!("cannot run git: {e}")))?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect())
    }
}
