//! `tokdeck docker-credential get|store|erase|list`: the docker-credential-helpers
//! protocol, also as `docker-credential-tokdeck` (a link to tokdeck under that name), so
//! that `"credHelpers": {"registry.example.com": "tokdeck"}` in Docker's config.json
//! works. The account is the one whose `urls` holds the registry.

use super::error::CliError;
use crate::config::Config;
use crate::engine::Engine;
use crate::tools::docker::account_for;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The name Docker runs a helper by (`docker-credential-` + the credHelpers value).
pub const HELPER_NAME: &str = "docker-credential-tokdeck";

/// What Docker expects for a registry the helper does not know (with exit status 1).
pub(super) const NOT_FOUND: &str = "credentials not found in native keychain";

/// The exit status, when this program runs as `docker-credential-tokdeck OPERATION`.
pub fn as_helper() -> Option<i32> {
    let argv0 = std::env::args_os().next()?;
    if Path::new(&argv0).file_name()?.to_str()? != link_name() {
        return None;
    }
    let operation = std::env::args().nth(1).unwrap_or_default();
    Some(super::setup::block_on(async {
        super::error::exit_code(credential(None, &operation).await)
    }))
}

/// `tokdeck docker-credential OPERATION`.
pub async fn credential(config: Option<PathBuf>, operation: &str) -> Result<(), CliError> {
    #[cfg(unix)]
    if let Some(result) = super::via_agent::docker(config.as_deref(), operation) {
        return result;
    }
    run(&super::refreshing_engine(config)?, operation).await
}

async fn run(engine: &Engine, operation: &str) -> Result<(), CliError> {
    match operation {
        "get" => get(engine, &read_stdin()?).await,
        "list" => list(engine.config()),
        "erase" => erase(engine, &read_stdin()?).await,
        // tokdeck keeps its own tokens: what Docker would store is not kept.
        "store" => read_stdin().map(|_| ()),
        "version" => super::output::line(&format!(
            "docker-credential-tokdeck (tokdeck {})",
            env!("CARGO_PKG_VERSION")
        )),
        other => Err(CliError::Usage(format!(
            "'{other}' is not a docker credential helper operation; use get, store, erase, list or version"
        ))),
    }
}

pub(super) fn read_stdin() -> Result<String, CliError> {
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| CliError::Failed(format!("cannot read Docker's request: {e}")))?;
    Ok(text.trim().to_string())
}

async fn get(engine: &Engine, server: &str) -> Result<(), CliError> {
    let Some(account) = account_for(engine.config(), server).map(str::to_string) else {
        super::output::line(NOT_FOUND)?;
        return Err(CliError::Status(super::error::exit::FAILURE));
    };
    let fresh = match engine.fresh_tokens(&account, Duration::ZERO).await {
        Ok(fresh) => fresh,
        // Docker shows what a helper prints on stdout, not its stderr.
        Err(e) => {
            super::output::line(&format!("tokdeck: {e}"))?;
            return Err(CliError::Status(super::error::exit::FAILURE));
        }
    };
    let tokens = super::output::with_warnings(engine, fresh);
    if let Err(e) = super::token::refuse_dpop_for("Docker", &account, &tokens) {
        // Docker shows what a helper prints on stdout, not its stderr.
        super::output::line(&format!("tokdeck: {e}"))?;
        return Err(CliError::Status(super::error::exit::USAGE));
    }
    let answer = serde_json::json!({
        "ServerURL": server,
        "Username": crate::tools::git::username(engine.account(&account)?),
        "Secret": tokens.access_token.expose(),
    });
    super::output::line(&answer.to_string())
}

/// The registries tokdeck answers for (those Docker's config sends to tokdeck, and an
/// account claims), with the user name it sends; not the git URLs accounts also claim.
fn list(config: &Config) -> Result<(), CliError> {
    let docker: serde_json::Value = docker_config()
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let mut map = serde_json::Map::new();
    let helpers = docker.get("credHelpers").and_then(|h| h.as_object());
    for (host, _) in helpers
        .into_iter()
        .flatten()
        .filter(|(_, helper)| helper.as_str() == Some("tokdeck"))
    {
        if let Some(account) = account_for(config, host).and_then(|a| config.accounts.get(a)) {
            let user = account
                .git_username
                .clone()
                .unwrap_or_else(|| "oauth2".into());
            map.insert(host.clone(), user.into());
        }
    }
    super::output::line(&serde_json::Value::Object(map).to_string())
}

/// Docker drops a credential it found rejected: refresh, so the next `get` differs.
async fn erase(engine: &Engine, server: &str) -> Result<(), CliError> {
    if let Some(account) = account_for(engine.config(), server).map(str::to_string)
        && let Err(e) = engine.refresh(&account).await
    {
        say!("tokdeck: the registry rejected the token of '{account}', and a refresh failed: {e}");
    }
    Ok(())
}

/// `tokdeck setup docker ACCOUNT REGISTRY [--remove]`.
pub fn setup(
    engine: &Engine,
    relaunch: &super::relaunch::Relaunch,
    account: &str,
    registry: &str,
    remove: bool,
) -> Result<(), CliError> {
    engine.account(account)?;
    let url = crate::config::tool_url(registry)
        .map_err(|m| CliError::Usage(format!("registry '{registry}' {m}")))?;
    // Docker looks credHelpers up by the registry's host (and port), never a path, and
    // asks the helper for that host: the account claims the whole registry.
    let parsed = url::Url::parse(&url)
        .map_err(|e| CliError::Usage(format!("registry '{registry}': {e}")))?;
    let host = match (parsed.host_str(), parsed.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => {
            return Err(CliError::Usage(format!(
                "registry '{registry}' has no host"
            )));
        }
    };
    let url = format!("{}://{host}/", parsed.scheme());
    super::manage::edit_list(engine, account, "urls", &url, remove)?;
    let path = docker_config()?;
    let changed = cred_helper(&path, &host, remove)?;
    if changed {
        let what = if remove { "removed" } else { "set" };
        super::output::line(&format!(
            "{}: credHelpers[\"{host}\"] {what}",
            path.display()
        ))?;
    }
    if !remove && let Some(link) = helper_link(relaunch)? {
        super::output::line(&format!(
            "{}: {}, the helper Docker runs",
            link.display(),
            if relaunch.has_context() {
                "a script that runs tokdeck with this config"
            } else {
                "a link to tokdeck"
            }
        ))?;
    }
    if remove && !names_tokdeck(&path)? {
        // No registry asks tokdeck any more: the helper setup made goes too.
        for dir in helper_places(&relaunch.exe) {
            for name in names() {
                let helper = dir.join(name);
                if made_by_setup(&helper, relaunch) && std::fs::remove_file(&helper).is_ok() {
                    super::output::line(&format!("{}: removed", helper.display()))?;
                }
            }
        }
    }
    Ok(())
}

/// Whether some registry in Docker's config still names tokdeck.
fn names_tokdeck(path: &Path) -> Result<bool, CliError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(false);
    };
    Ok(crate::tools::docker::names_tokdeck(&text))
}

/// The helper at `path` is this tokdeck's: a link to it, or the script setup writes.
fn made_by_setup(path: &Path, relaunch: &super::relaunch::Relaunch) -> bool {
    if is_program(path, &relaunch.exe) {
        return true;
    }
    std::fs::read_to_string(path).is_ok_and(|text| text.starts_with(SCRIPT_MARK))
}

/// The first lines of the script setup writes when the helper needs this run's config.
#[cfg(not(windows))]
const SCRIPT_MARK: &str =
    "#!/bin/sh\n# docker-credential-tokdeck, written by `tokdeck setup docker`";
#[cfg(windows)]
const SCRIPT_MARK: &str =
    "@echo off\r\nrem docker-credential-tokdeck, written by `tokdeck setup docker`";

/// The helper as a link to tokdeck: the name Docker runs (`.exe` on Windows).
fn link_name() -> String {
    format!("{HELPER_NAME}{}", std::env::consts::EXE_SUFFIX)
}

/// The helper as a script: Docker finds a `.cmd` on Windows through `PATHEXT`.
fn script_name() -> String {
    if cfg!(windows) {
        format!("{HELPER_NAME}.cmd")
    } else {
        HELPER_NAME.to_string()
    }
}

/// Every file name the helper may have here (one on Unix).
fn names() -> Vec<String> {
    let mut names = vec![link_name(), script_name()];
    names.dedup();
    names
}

/// The script's text: the mark, then tokdeck with this run's config and home.
fn script_text(relaunch: &super::relaunch::Relaunch) -> Result<String, CliError> {
    if cfg!(windows) {
        Ok(format!(
            "{SCRIPT_MARK}\r\n{}\r\n",
            relaunch.batch_lines(&["docker-credential"])?
        ))
    } else {
        Ok(format!(
            "{SCRIPT_MARK}\n{} \"$@\"\n",
            relaunch.exec_line(&["docker-credential"])?
        ))
    }
}

/// `path` is this program: a link to it on Unix; on Windows, where the helper is a hard
/// link or a copy, a file with the same bytes.
fn is_program(path: &Path, exe: &Path) -> bool {
    if cfg!(windows) {
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).ok();
        size(path).is_some()
            && size(path) == size(exe)
            && std::fs::read(path).ok() == std::fs::read(exe).ok()
    } else {
        std::fs::canonicalize(path).is_ok_and(|target| target == exe)
    }
}

/// The directories the helper is put in: beside tokdeck, else `~/.local/bin`.
fn helper_places(exe: &Path) -> Vec<PathBuf> {
    let mut places: Vec<PathBuf> = exe.parent().map(Path::to_path_buf).into_iter().collect();
    if let Some(home) = directories::BaseDirs::new() {
        places.push(home.home_dir().join(".local").join("bin"));
    }
    places
}

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
fn docker_config() -> Result<PathBuf, CliError> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("config.json"));
    }
    let home = directories::BaseDirs::new()
        .ok_or_else(|| CliError::Failed("no home directory for ~/.docker".into()))?;
    Ok(home.home_dir().join(".docker").join("config.json"))
}

/// Sets (or removes) `credHelpers[host] = "tokdeck"` in Docker's config.json (see
/// [`crate::tools::docker::with_cred_helper`]); written atomically, 0600 when new, with
/// the mode it had otherwise. `false`: nothing to change.
fn cred_helper(path: &Path, host: &str, remove: bool) -> Result<bool, CliError> {
    let failed =
        |e: std::io::Error| CliError::Failed(format!("cannot write '{}': {e}", path.display()));
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "{}".to_string(),
        Err(e) => return Err(failed(e)),
    };
    let Some(bytes) = crate::tools::docker::with_cred_helper(&text, host, remove)
        .map_err(|why| CliError::Usage(format!("'{}' {why}", path.display())))?
    else {
        return Ok(false);
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    // Written atomically, and with the mode the file had (the tool's choice, not ours).
    let mode = std::fs::metadata(path).map(|m| m.permissions()).ok();
    crate::files::atomic_write(path, bytes.as_bytes()).map_err(failed)?;
    if let Some(mode) = mode {
        std::fs::set_permissions(path, mode).map_err(failed)?;
    }
    Ok(true)
}

/// `docker-credential-tokdeck` beside this tokdeck, else in `~/.local/bin`: a link to
/// tokdeck, or, when this run has a config or home of its own (Docker passes no
/// arguments), a script that runs tokdeck with them. `None` when it is there already.
fn helper_link(relaunch: &super::relaunch::Relaunch) -> Result<Option<PathBuf>, CliError> {
    let script = if relaunch.has_context() {
        Some(script_text(relaunch)?)
    } else {
        None
    };
    let name = if script.is_some() {
        script_name()
    } else {
        link_name()
    };
    let mut last = None;
    for dir in helper_places(&relaunch.exe) {
        let link = dir.join(&name);
        let current = match &script {
            Some(text) => std::fs::read_to_string(&link).is_ok_and(|t| &t == text),
            None => is_program(&link, &relaunch.exe),
        };
        if current {
            return Ok(None);
        }
        let _ = std::fs::create_dir_all(&dir);
        // On Windows the other form would be found first (`.exe` before `.cmd`) or stay
        // behind: one of ours goes.
        for other in names().into_iter().filter(|n| *n != name) {
            let other = dir.join(other);
            if made_by_setup(&other, relaunch) {
                let _ = std::fs::remove_file(&other);
            }
        }
        let made = match &script {
            Some(text) => write_script(&link, text),
            None => make_link(&relaunch.exe, &link),
        };
        match made {
            Ok(()) => return Ok(Some(link)),
            Err(e) => last = Some((link, e)),
        }
    }
    let (link, e) = last.ok_or_else(|| CliError::Failed("nowhere to put the helper".into()))?;
    Err(CliError::Failed(format!(
        "cannot create '{}': {e}",
        link.display()
    )))
}

/// Writes the helper script (replacing a link or an older script of ours), executable.
fn write_script(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::symlink_metadata(path).is_ok() {
        std::fs::remove_file(path)?;
    }
    crate::files::atomic_write(path, text.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

#[cfg(unix)]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

/// A hard link (no symbolic links without privileges on Windows), else a copy (another
/// volume); an older helper is replaced.
#[cfg(not(unix))]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(link).is_ok() {
        std::fs::remove_file(link)?;
    }
    std::fs::hard_link(target, link).or_else(|_| std::fs::copy(target, link).map(drop))
}
