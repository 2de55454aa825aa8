//! How another program (git, Docker, kubectl, an IDE, cron) starts this tokdeck again
//! with the same accounts: by its absolute path (not whatever `tokdeck` its PATH
//! finds), with the config file and `TOKDECK_HOME` this run uses.

use super::error::CliError;
use std::path::{Path, PathBuf};

pub struct Relaunch {
    pub exe: PathBuf,
    /// `TOKDECK_HOME` of this run, absolute.
    pub home: Option<PathBuf>,
    /// `--config` of this run, absolute.
    pub config: Option<PathBuf>,
}

impl Relaunch {
    /// This tokdeck, as run now with `config` (`--config`).
    pub fn here(config: Option<&Path>) -> Result<Self, CliError> {
        let exe = std::env::current_exe()
            .and_then(std::fs::canonicalize)
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
        Ok(Self { exe, home, config })
    }

    /// Whether more than the program itself must be passed on.
    pub fn has_context(&self) -> bool {
        self.home.is_some() || self.config.is_some()
    }

    /// The arguments that come before the subcommand (`--config PATH`).
    pub fn leading_args(&self) -> Vec<String> {
        match &self.config {
            Some(config) => vec!["--config".into(), config.display().to_string()],
            None => Vec::new(),
        }
    }

    /// A shell command line that runs tokdeck with `args` after the context, for git's
    /// `!` helpers and wrapper scripts; `Err` for a path a single-quoted word cannot hold.
    pub fn shell_line(&self, args: &[&str]) -> Result<String, CliError> {
        let quote = |text: &str| -> Result<String, CliError> {
            if text.contains('\'') || text.contains('\n') {
                return Err(CliError::Failed(format!(
                    "the path '{text}' holds a quote or a line break, which a tool's command line cannot carry; move it elsewhere"
                )));
            }
            Ok(format!("'{text}'"))
        };
        let mut words = Vec::new();
        if let Some(home) = &self.home {
            words.push(format!(
                "{}={}",
                crate::config::HOME_ENV,
                quote(&home.display().to_string())?
            ));
        }
        words.push(quote(&self.exe.display().to_string())?);
        for arg in self.leading_args() {
            words.push(quote(&arg)?);
        }
        words.extend(args.iter().map(|a| a.to_string()));
        Ok(words.join(" "))
    }
}
