//! Where tokdeck keeps its files.

use directories::ProjectDirs;
use std::path::{Path, PathBuf};

/// Env var that moves every tokdeck file (config, tokens, caches, locks) under one directory.
pub const HOME_ENV: &str = "TOKDECK_HOME";

/// The directories tokdeck reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
    pub cache_dir: PathBuf,
}

impl Paths {
    /// `$TOKDECK_HOME/…` when set, otherwise the platform directories for tokdeck;
    /// `config_override` (from `--config`) replaces only the config file.
    pub fn resolve(config_override: Option<&Path>) -> Result<Self, String> {
        let mut paths = match std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            Some(home) => Self::under(Path::new(&home)),
            None => {
                let dirs = ProjectDirs::from("dev", "tokdeck", "tokdeck").ok_or_else(|| {
                    format!(
                        "cannot find a home directory for tokdeck's files; set {HOME_ENV}=/some/dir"
                    )
                })?;
                Self {
                    config_file: dirs.config_dir().join("config.toml"),
                    data_dir: dirs.data_dir().to_path_buf(),
                    cache_dir: dirs.cache_dir().to_path_buf(),
                }
            }
        };
        if let Some(path) = config_override {
            paths.config_file = path.to_path_buf();
        }
        Ok(paths)
    }

    pub fn under(home: &Path) -> Self {
        Self {
            config_file: home.join("config.toml"),
            data_dir: home.to_path_buf(),
            cache_dir: home.join("cache"),
        }
    }

    pub fn tokens_dir(&self) -> PathBuf {
        self.data_dir.join("tokens")
    }

    pub fn discovery_cache_dir(&self) -> PathBuf {
        self.cache_dir.join("discovery")
    }

    /// Where providers' signing keys (JWKS) are cached.
    pub fn jwks_cache_dir(&self) -> PathBuf {
        self.cache_dir.join("jwks")
    }
}
