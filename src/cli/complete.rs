//! Shell completions that know the config: commands and options from the clap
//! definitions (hidden ones left out), account and provider names read from config.toml
//! when the shell asks. The shell code that `tokdeck completions SHELL` prints calls
//! tokdeck back with [`VAR`] set; [`answer`] handles that call before anything else.

use super::args::Cli;
use super::error::CliError;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
use std::ffi::OsStr;

/// The environment variable through which the shell asks for completions.
pub const VAR: &str = "TOKDECK_COMPLETE";

/// Answers the shell's completion request and exits, when this process is one.
pub fn answer() {
    if std::env::var_os(VAR).is_none() {
        return;
    }
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command)
        .var(VAR)
        .bin("tokdeck")
        .complete();
}

/// `tokdeck completions SHELL`: the registration that calls tokdeck back. It runs
/// `tokdeck` from `PATH`, so it keeps working when the binary is updated.
pub fn registration(shell: clap_complete::Shell) -> Result<Vec<u8>, CliError> {
    let completer: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Zsh => &Zsh,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::Elvish => &Elvish,
        clap_complete::Shell::PowerShell => &Powershell,
        other => {
            return Err(CliError::Usage(format!(
                "no completions for {other}; use bash, zsh, fish, elvish or powershell"
            )));
        }
    };
    let mut script = Vec::new();
    completer
        .write_registration(VAR, "tokdeck", "tokdeck", "tokdeck", &mut script)
        .map_err(|e| CliError::Failed(format!("cannot write the completions: {e}")))?;
    Ok(script)
}

/// The config the command being completed would read: its `--config PATH` (the words
/// of the command line are this process's arguments), else `TOKDECK_HOME` or the default
/// path; `None` when there is none or it is not TOML (no candidates then).
fn config() -> Option<crate::config::Config> {
    let words: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let named = words
        .iter()
        .enumerate()
        .find_map(|(i, w)| match w.strip_prefix("--config") {
            Some("") => words.get(i + 1).cloned(),
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        });
    let paths = crate::config::Paths::resolve(named.as_deref().map(std::path::Path::new)).ok()?;
    crate::config::Config::load(&paths.config_file).ok()
}

fn matching<'a>(
    current: &OsStr,
    names: impl Iterator<Item = (&'a str, Option<String>)>,
) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    names
        .filter(|(name, _)| name.starts_with(prefix.as_ref()))
        .map(|(name, help)| CompletionCandidate::new(name).help(help.map(Into::into)))
        .collect()
}

/// Account names (broken tables too: `remove` takes them), each with its provider.
pub fn accounts(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(config) = config() else {
        return Vec::new();
    };
    let good = config
        .accounts
        .values()
        .map(|a| (a.name.as_str(), Some(a.provider.name.clone())));
    let broken = config
        .broken_accounts
        .keys()
        .map(|n| (n.as_str(), Some("config error".to_string())));
    matching(current, good.chain(broken))
}

/// Provider names of the config.
pub fn providers(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(config) = config() else {
        return Vec::new();
    };
    matching(current, config.providers.keys().map(|n| (n.as_str(), None)))
}

/// Preset keys, each with its description's first words.
pub fn presets(current: &OsStr) -> Vec<CompletionCandidate> {
    let presets = crate::config::presets();
    let described = presets.iter().map(|(key, p)| {
        let short: String = p.description.chars().take(60).collect();
        (key.as_str(), Some(short))
    });
    matching(current, described)
}
