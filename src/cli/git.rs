//! `tokdeck git-credential get|store|erase`: git's credential-helper protocol
//! (gitcredentials(7), git-credential(1)). The account is the one whose `urls` holds the
//! longest prefix of the URL git asks about; a URL no account claims gets no answer, so
//! git asks its next helper. The token is always fresh; a dead one is never replaced by
//! a login here (git may run in the background): the message says to log in.

use super::args::GitOperation;
use super::error::CliError;
use crate::config::Config;
use crate::engine::Engine;
use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::time::Duration;

/// What git tells a helper: `key=value` lines, `capability[]` collected.
#[derive(Debug, Default)]
pub struct Request {
    pub fields: BTreeMap<String, String>,
    pub capabilities: Vec<String>,
}

impl Request {
    /// Reads the request from `input` up to a blank line or the end (at most 64 KiB).
    pub fn read(input: impl Read) -> Result<Self, CliError> {
        let mut request = Self::default();
        for line in std::io::BufReader::new(input.take(64 * 1024)).lines() {
            let line =
                line.map_err(|e| CliError::Failed(format!("cannot read git's request: {e}")))?;
            if line.is_empty() {
                break;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if key == "capability[]" {
                request.capabilities.push(value.to_string());
            } else {
                request.fields.insert(key.to_string(), value.to_string());
            }
        }
        Ok(request)
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// `protocol://host/path/` as the accounts' `urls` are written, and whether git
    /// gave a path (with `credential.useHttpPath`).
    pub fn url(&self) -> Option<(String, bool)> {
        let protocol = self.get("protocol")?;
        let host = self.get("host")?;
        let path = self
            .get("path")
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty());
        let url = match path {
            Some(path) => format!("{protocol}://{}/{path}/", host.to_ascii_lowercase()),
            None => format!("{protocol}://{}/", host.to_ascii_lowercase()),
        };
        Some((url, path.is_some()))
    }
}

/// The account whose `urls` holds the longest prefix of `url`; without a path from git
/// only host-wide entries match. Two accounts with the same longest entry are an error.
pub fn account_for<'c>(
    config: &'c Config,
    url: &str,
    has_path: bool,
) -> Result<Option<&'c str>, String> {
    let mut best: Option<(usize, &str)> = None;
    let mut tie: Option<&str> = None;
    for account in config.accounts.values() {
        for prefix in &account.urls {
            let host_wide = prefix.matches('/').count() == 3;
            if !url.starts_with(prefix.as_str()) || (!has_path && !host_wide) {
                continue;
            }
            match best {
                Some((len, _)) if len > prefix.len() => {}
                Some((len, other)) if len == prefix.len() && other != account.name => {
                    tie = Some(account.name.as_str());
                }
                _ => {
                    best = Some((prefix.len(), &account.name));
                    tie = None;
                }
            }
        }
    }
    match (best, tie) {
        (Some((_, a)), Some(b)) => Err(format!(
            "accounts '{a}' and '{b}' both claim {url} in their `urls`; make one entry longer"
        )),
        (best, _) => Ok(best.map(|(_, name)| name)),
    }
}

/// The user name git and Docker send with the token: the account's `git_username`,
/// else the host's convention.
pub(super) fn username(account: &crate::config::Account) -> String {
    if let Some(name) = &account.git_username {
        return name.clone();
    }
    match account.provider.preset.as_deref() {
        Some("github") => "x-access-token",
        _ => "oauth2",
    }
    .to_string()
}

/// `tokdeck git-credential OPERATION`.
pub async fn credential(
    config: Option<std::path::PathBuf>,
    operation: GitOperation,
) -> Result<(), CliError> {
    run(&super::refreshing_engine(config)?, operation).await
}

async fn run(engine: &Engine, operation: GitOperation) -> Result<(), CliError> {
    let request = Request::read(std::io::stdin())?;
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
    let mut answer = Vec::new();
    if request.capabilities.iter().any(|c| c == "authtype") {
        answer.push("capability[]=authtype".to_string());
        // Token responses of other types are refused at the token endpoint.
        answer.push("authtype=Bearer".to_string());
        answer.push(format!("credential={}", tokens.access_token.expose()));
        // git must not hand this to storing helpers: tokdeck keeps it fresh itself.
        answer.push("ephemeral=1".to_string());
    } else {
        answer.push(format!("username={}", username(engine.account(account)?)));
        answer.push(format!("password={}", tokens.access_token.expose()));
    }
    // The promised expiry: no routine refresh replaces the token before it.
    if let Some(at) = tokens.promised_expiry() {
        answer.push(format!("password_expiry_utc={}", at.timestamp()));
    }
    super::output::line(&answer.join("\n"))
}

/// git says the credential was rejected: when it is the stored token, refresh now so
/// that the next `get` hands out another.
async fn erase(engine: &Engine, account: &str, request: &Request) -> Result<(), CliError> {
    let rejected = request
        .get("credential")
        .or_else(|| request.get("password"));
    let Ok(Some(record)) = engine.load_bound(account).await else {
        return Ok(());
    };
    if rejected != Some(record.tokens.access_token.expose()) {
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
