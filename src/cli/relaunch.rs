//! How another program (git, Docker, kubectl, an IDE, cron) starts this tokdeck again
//! with the same accounts: by its absolute path (not whatever `tokdeck` its PATH
//! finds), with the config file and `TOKDECK_HOME` this run uses.

use super::error::CliError;
use std::path::{Path, PathBuf};

pub struct Relaunch {
    pub exe: PathBuf,
    /// `TOKDECK_HOME` of this run, absolute.
    pub home: Option<PathBuf>,
    /// `TOKDECK_STORE` of this run (a store chosen by the environment only).
    pub store: Option<String>,
    /// `--config` of this run, absolute.
    pub config: Option<PathBuf>,
}

impl Relaunch {
    /// This tokdeck, as run now with `config` (`--config`).
    pub fn here(config: Option<&Path>) -> Result<Self, CliError> {
        let exe = std::env::current_exe()
            .and_then(std::fs::canonicalize)
            .map(|exe| plain_path(&exe))
            .map_err(|e| CliError::Failed(format!("cannot find the tokdeck program: {e}")))?;
        let absolute = |path: &Path| {
            std::path::absolute(path).map_err(|e| {
                CliError::Failed(format!("cannot make '{}' absolute: {e}", path.display()))
            })
        };
        let home = std::env::var_os(crate::config::HOME_ENV)
            .filter(|h| !h.is_empty())
            .map(|h| absolute(Path::new(&h)))
            .transpose()?;
        let config = config.map(absolute).transpose()?;
        let store = std::env::var(crate::config::STORE_ENV)
            .ok()
            .filter(|s| !s.is_empty());
        Ok(Self {
            exe,
            home,
            store,
            config,
        })
    }

    /// Whether more than the program itself must be passed on.
    pub fn has_context(&self) -> bool {
        !self.env().is_empty() || self.config.is_some()
    }

    /// The environment this run's accounts depend on: `TOKDECK_HOME`, `TOKDECK_STORE`.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = Vec::new();
        if let Some(home) = &self.home {
            env.push((crate::config::HOME_ENV, home.display().to_string()));
        }
        if let Some(store) = &self.store {
            env.push((crate::config::STORE_ENV, store.clone()));
        }
        env
    }

    /// The arguments that come before the subcommand (`--config PATH`).
    pub fn leading_args(&self) -> Vec<String> {
        match &self.config {
            Some(config) => vec!["--config".into(), config.display().to_string()],
            None => Vec::new(),
        }
    }

    /// A shell command line that runs tokdeck with `args` after the context, for git's
    /// `!` helpers; `Err` for a path a single-quoted word cannot hold.
    pub fn shell_line(&self, args: &[&str]) -> Result<String, CliError> {
        self.line(args, false)
    }

    /// The same, for the last line of a script: the shell is replaced by tokdeck
    /// (`VAR='…' exec '…' …`: the assignments go before `exec`, which would take them
    /// for the command's name after it).
    pub fn exec_line(&self, args: &[&str]) -> Result<String, CliError> {
        self.line(args, true)
    }

    /// The lines of a Windows batch file (`.cmd`) that run tokdeck with `args` after the
    /// context and the batch file's own arguments: `set "NAME=value"` for the
    /// environment, then the quoted program. `Err` for a value cmd would expand or cut
    /// (`%`, `!`, `"`, a line break).
    pub fn batch_lines(&self, args: &[&str]) -> Result<String, CliError> {
        let plain = |text: &str| -> Result<String, CliError> {
            if text.contains(['%', '!', '"', '\n', '\r']) {
                return Err(CliError::Failed(format!(
                    "the path '{text}' holds %, !, a quote or a line break, which a batch file cannot carry; move it elsewhere"
                )));
            }
            Ok(text.to_string())
        };
        let mut lines = vec!["setlocal".to_string()];
        for (name, value) in self.env() {
            lines.push(format!("set \"{name}={}\"", plain(&value)?));
        }
        let mut words = vec![format!("\"{}\"", plain(&self.exe.display().to_string())?)];
        for arg in self.leading_args() {
            words.push(format!("\"{}\"", plain(&arg)?));
        }
        words.extend(args.iter().map(|a| a.to_string()));
        words.push("%*".into());
        lines.push(words.join(" "));
        Ok(lines.join("\r\n"))
    }

    fn line(&self, args: &[&str], exec: bool) -> Result<String, CliError> {
        let quote = |text: &str| -> Result<String, CliError> {
            if text.contains('\'') || text.contains('\n') {
                return Err(CliError::Failed(format!(
                    "the path '{text}' holds a quote or a line break, which a tool's command line cannot carry; move it elsewhere"
                )));
            }
            Ok(format!("'{text}'"))
        };
        let mut words = Vec::new();
        for (name, value) in self.env() {
            words.push(format!("{name}={}", quote(&value)?));
        }
        if exec {
            words.push("exec".into());
        }
        words.push(quote(&self.exe.display().to_string())?);
        for arg in self.leading_args() {
            words.push(quote(&arg)?);
        }
        words.extend(args.iter().map(|a| a.to_string()));
        Ok(words.join(" "))
    }
}

/// `path` without the `\\?\` of a canonical Windows path, which cmd, git's shell and
/// kubectl cannot run (`\\?\C:\x` is `C:\x`, `\\?\UNC\host\share` is
/// `\\host\share`). Other paths are unchanged.
fn plain_path(path: &Path) -> PathBuf {
    let text = path.to_string_lossy();
    if let Some(unc) = text.strip_prefix(r"\\?\UNC\") {
        PathBuf::from(format!(r"\\{unc}"))
    } else if let Some(rest) = text.strip_prefix(r"\\?\")
        && rest.as_bytes().get(1) == Some(&b':')
    {
        PathBuf::from(rest)
    } else {
        path.to_path_buf()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_come_before_exec_and_every_word_is_quoted() {
        let relaunch = Relaunch {
            exe: "/opt/tokdeck".into(),
            home: Some("/h".into()),
            store: Some("file".into()),
            config: Some("/c/t.toml".into()),
        };
        assert_eq!(
            relaunch.exec_line(&["docker-credential"]).expect("line"),
            "TOKDECK_HOME='/h' TOKDECK_STORE='file' exec '/opt/tokdeck' '--config' '/c/t.toml' docker-credential"
        );
        assert_eq!(
            relaunch.shell_line(&["git-credential"]).expect("line"),
            "TOKDECK_HOME='/h' TOKDECK_STORE='file' '/opt/tokdeck' '--config' '/c/t.toml' git-credential"
        );
        let quoted = Relaunch {
            home: Some("/it's".into()),
            ..relaunch
        };
        assert!(quoted.shell_line(&[]).is_err());
    }

    #[test]
    fn a_batch_file_sets_the_environment_then_runs_tokdeck_with_its_arguments() {
        let relaunch = Relaunch {
            exe: r"C:\Program Files\tokdeck\tokdeck.exe".into(),
            home: Some(r"C:\Users\me\td".into()),
            store: None,
            config: Some(r"C:\Users\me\t.toml".into()),
        };
        assert_eq!(
            relaunch.batch_lines(&["docker-credential"]).expect("lines"),
            "setlocal\r\nset \"TOKDECK_HOME=C:\\Users\\me\\td\"\r\n\"C:\\Program Files\\tokdeck\\tokdeck.exe\" \"--config\" \"C:\\Users\\me\\t.toml\" docker-credential %*"
        );
        let expanding = Relaunch {
            home: Some(r"C:\%USERNAME%".into()),
            ..relaunch
        };
        let e = expanding.batch_lines(&[]).expect_err("%").to_string();
        assert!(e.contains("%USERNAME%"), "{e}");
    }

    #[test]
    fn canonical_windows_paths_lose_their_verbatim_prefix() {
        assert_eq!(
            plain_path(Path::new(r"\\?\C:\Tools\tokdeck.exe")),
            PathBuf::from(r"C:\Tools\tokdeck.exe")
        );
        assert_eq!(
            plain_path(Path::new(r"\\?\UNC\srv\share\tokdeck.exe")),
            PathBuf::from(r"\\srv\share\tokdeck.exe")
        );
        assert_eq!(
            plain_path(Path::new("/usr/bin/tokdeck")),
            PathBuf::from("/usr/bin/tokdeck")
        );
    }
}
