//! Which account a command means when it names none: the argument, then
//! `TOKDECK_ACCOUNT`, then the account whose `directories` hold the working directory
//! (longest match), then `default_account`. Each process decides for itself: there is
//! no global "current account" for two terminals to fight over.

use super::{Config, ConfigError};
use std::fmt;
use std::path::PathBuf;

/// Env var naming the account for commands that are given none.
pub const ACCOUNT_ENV: &str = "TOKDECK_ACCOUNT";

/// Why an account was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    Argument,
    Env,
    /// The directory as written in config.toml.
    Directory(String),
    Default,
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Argument => f.write_str("from the command line"),
            Self::Env => write!(f, "from {ACCOUNT_ENV}"),
            Self::Directory(dir) => write!(f, "directories: {dir}"),
            Self::Default => f.write_str("default_account"),
        }
    }
}

impl Why {
    /// A word for scripts (`which --json`).
    pub fn key(&self) -> &'static str {
        match self {
            Self::Argument => "argument",
            Self::Env => "env",
            Self::Directory(_) => "directory",
            Self::Default => "default_account",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub name: String,
    pub why: Why,
}

/// Where a process is: the working directory as the kernel has it and as the shell
/// says (`$PWD`, which keeps symlinked paths).
pub fn working_directories() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::current_dir().into_iter().collect();
    if let Some(pwd) = std::env::var_os("PWD").map(PathBuf::from)
        && pwd.is_absolute()
        && !dirs.contains(&pwd)
    {
        dirs.push(pwd);
    }
    dirs
}

/// The account `argument` or the context names, with why; an error lists the accounts
/// and the ways to choose one.
pub fn choose(
    config: &Config,
    argument: Option<&str>,
    env: Option<&str>,
    cwd: &[PathBuf],
) -> Result<Chosen, ConfigError> {
    let named = |name: &str, why: Why| -> Result<Chosen, ConfigError> {
        config.account(name).map_err(|e| match why {
            Why::Env => ConfigError::Choose(format!("{ACCOUNT_ENV}='{name}': {e}")),
            _ => e,
        })?;
        Ok(Chosen {
            name: name.to_string(),
            why,
        })
    };
    if let Some(name) = argument {
        return named(name, Why::Argument);
    }
    if let Some(name) = env.filter(|n| !n.is_empty()) {
        return named(name, Why::Env);
    }
    if let Some(chosen) = by_directory(config, cwd)? {
        return Ok(chosen);
    }
    if let Some(name) = &config.default_account {
        return named(name, Why::Default);
    }
    let known = config
        .accounts
        .keys()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    Err(ConfigError::Choose(format!(
        "no account named, and none chosen by {ACCOUNT_ENV}, `directories` or `default_account` in '{}'. Name one ({}), or set {ACCOUNT_ENV}=NAME, `directories = [\"~/src/project\"]` in an [accounts.NAME] table, or `default_account = \"NAME\"` at the top of the file",
        config.path.display(),
        if known.is_empty() {
            "there are none yet".to_string()
        } else {
            known
        }
    )))
}

/// The account whose directory holds `cwd` most closely; two accounts with the same
/// directory are an error naming both.
fn by_directory(config: &Config, cwd: &[PathBuf]) -> Result<Option<Chosen>, ConfigError> {
    let mut best: Option<(usize, &str, &str)> = None;
    let mut tie: Option<&str> = None;
    for (name, account) in &config.accounts {
        for dir in &account.directories {
            let canonical = std::fs::canonicalize(&dir.path).unwrap_or_else(|_| dir.path.clone());
            let holds = |c: &PathBuf| c.starts_with(&canonical) || c.starts_with(&dir.path);
            if !cwd.iter().any(holds) {
                continue;
            }
            let depth = canonical.components().count();
            match best {
                Some((d, n, _)) if d == depth && n != name => tie = Some(name),
                Some((d, _, _)) if d >= depth => {}
                _ => {
                    best = Some((depth, name, &dir.written));
                    tie = None;
                }
            }
        }
    }
    match (best, tie) {
        (Some((_, first, written)), Some(second)) => Err(ConfigError::Choose(format!(
            "accounts '{first}' and '{second}' both claim this directory ({written}) in `directories`; name the account, or make one of the directories more specific"
        ))),
        (Some((_, name, written)), None) => Ok(Some(Chosen {
            name: name.to_string(),
            why: Why::Directory(written.to_string()),
        })),
        (None, _) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(text: &str) -> Config {
        Config::parse(Path::new("/c/config.toml"), text, None).expect("parses")
    }

    const BASE: &str = "[providers.p]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\n";

    /// `path` made absolute on this platform (`C:/work` on Windows).
    fn abs(path: &str) -> String {
        format!("{}{path}", if cfg!(windows) { "C:" } else { "" })
    }

    fn two_projects() -> Config {
        let (acme, api, srv) = (abs("/work/acme"), abs("/work/acme/api"), abs("/srv"));
        config(&format!(
            "default_account = \"b\"\n{BASE}[accounts.a]\nprovider = \"p\"\ndirectories = [\"{acme}\"]\n[accounts.b]\nprovider = \"p\"\ndirectories = [\"{api}\", \"{srv}\"]\n"
        ))
    }

    fn pick(
        config: &Config,
        arg: Option<&str>,
        env: Option<&str>,
        cwd: &str,
    ) -> Result<Chosen, String> {
        choose(config, arg, env, &[PathBuf::from(cwd)]).map_err(|e| e.to_string())
    }

    #[test]
    fn the_argument_then_the_env_then_the_longest_directory_then_the_default() {
        let c = two_projects();
        let chosen = pick(&c, Some("a"), Some("b"), &abs("/srv")).expect("argument");
        assert_eq!((chosen.name.as_str(), chosen.why), ("a", Why::Argument));
        let chosen = pick(&c, None, Some("a"), &abs("/srv")).expect("env");
        assert_eq!((chosen.name.as_str(), chosen.why), ("a", Why::Env));
        let chosen = pick(&c, None, None, &abs("/work/acme/web")).expect("dir");
        assert_eq!(chosen.name, "a");
        assert_eq!(
            chosen.why.to_string(),
            format!("directories: {}", abs("/work/acme"))
        );
        let chosen = pick(&c, None, None, &abs("/work/acme/api/src")).expect("longest");
        assert_eq!(chosen.name, "b");
        // `/work/acmefoo` is not under `/work/acme`.
        let chosen = pick(&c, None, None, &abs("/work/acmefoo")).expect("default");
        assert_eq!((chosen.name.as_str(), chosen.why), ("b", Why::Default));
    }

    #[test]
    fn an_unknown_env_account_and_no_choice_at_all_are_errors_that_say_how_to_choose() {
        let c = two_projects();
        let e = pick(&c, None, Some("nope"), "/").expect_err("unknown");
        assert!(
            e.starts_with("TOKDECK_ACCOUNT='nope': no account named 'nope'"),
            "{e}"
        );
        let c = config(&format!("{BASE}[accounts.a]\nprovider = \"p\"\n"));
        let e = pick(&c, None, None, "/").expect_err("none");
        assert!(e.contains("Name one (a)"), "{e}");
        assert!(e.contains("default_account = \"NAME\""), "{e}");
    }

    #[test]
    fn two_accounts_on_one_directory_are_an_error_naming_both() {
        let (w, w_slash) = (abs("/w"), abs("/w/"));
        let c = config(&format!(
            "{BASE}[accounts.a]\nprovider = \"p\"\ndirectories = [\"{w}\"]\n[accounts.b]\nprovider = \"p\"\ndirectories = [\"{w_slash}\"]\n"
        ));
        let e = pick(&c, None, None, &abs("/w/x")).expect_err("tie");
        assert!(
            e.contains("accounts 'a' and 'b' both claim this directory"),
            "{e}"
        );
    }

    #[test]
    fn a_tilde_is_the_home_directory_and_relative_paths_are_refused() {
        let c = config(&format!(
            "{BASE}[accounts.a]\nprovider = \"p\"\ndirectories = [\"~/src/acme\"]\n"
        ));
        let dir = &c.accounts["a"].directories[0];
        assert_eq!(dir.written, "~/src/acme");
        assert!(dir.path.is_absolute() && dir.path.ends_with("src/acme"));
        let e = Config::parse(
            Path::new("c.toml"),
            &format!("{BASE}[accounts.a]\nprovider = \"p\"\ndirectories = [\"src\"]\n"),
            None,
        )
        .and_then(Config::strict)
        .expect_err("relative");
        assert!(e.to_string().contains("directory 'src' is relative"), "{e}");
        let e = Config::parse(
            Path::new("c.toml"),
            &format!("default_account = \"zz\"\n{BASE}[accounts.a]\nprovider = \"p\"\n"),
            None,
        )
        .and_then(Config::strict)
        .expect_err("unknown default");
        assert!(
            e.to_string()
                .contains("line 1: default_account 'zz' is not an account"),
            "{e}"
        );
    }
}
