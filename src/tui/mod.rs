//! The dashboard: Elm-style `Model` / `update` / `view` over the shared engine.

pub mod agent;
mod agent_link;
mod app;
mod copying;
pub mod editor;
mod effects;
pub mod event;
mod health;
mod input;
mod inspector_keys;
pub mod keys;
pub mod model;
mod outcomes;
mod popup_keys;
mod registering;
mod row;
pub mod schedule;
pub mod text_input;
pub mod update;
pub mod view;

use crate::config::{Config, ConfigError, Paths};
use crate::engine::Engine;
use model::{AccountRow, Model, Setup};
use std::path::Path;
use std::sync::Arc;

/// The account that commands started in this directory would use (none is an answer).
pub(crate) fn here(config: &Config) -> Option<crate::config::Chosen> {
    let env = std::env::var(crate::config::ACCOUNT_ENV).ok();
    crate::config::choose(
        config,
        None,
        env.as_deref(),
        &crate::config::working_directories(),
    )
    .ok()
}

/// Why the dashboard could not run.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// tokdeck's directories cannot be found.
    #[error("{0}")]
    Paths(String),
    #[error("the dashboard failed: {0}")]
    Terminal(#[from] std::io::Error),
    /// stdin or stdout is not a terminal (cron, `ssh host tokdeck` without `-t`).
    #[error(
        "the dashboard needs a terminal, and {0} is not one (cron, a pipe, or `ssh HOST tokdeck` without -t); scripts use the commands in `tokdeck --help` (`tokdeck list`, `tokdeck token ACCOUNT`)"
    )]
    NoTerminal(&'static str),
}

/// Builds the first model from the config (or the lack of one) and runs the dashboard
/// on `runtime` until the user quits.
pub fn run(
    config_override: Option<&Path>,
    runtime: &tokio::runtime::Runtime,
) -> Result<(), DashboardError> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(DashboardError::NoTerminal("standard input"));
    }
    if !std::io::stdout().is_terminal() {
        return Err(DashboardError::NoTerminal("standard output"));
    }
    let paths = Paths::resolve(config_override).map_err(DashboardError::Paths)?;
    let now = chrono::Utc::now();
    let (engine, model) = match Config::load(&paths.config_file) {
        Ok(config) => {
            let rows = rows(&config);
            let clear = config.dashboard.clipboard_clear;
            let mut model = Model::new(Setup::Ready, rows, now);
            if let Some(warning) = config.exposure_warning() {
                model.error(warning);
            }
            model.clipboard_clear = clear;
            model.here = here(&config);
            (Some(Arc::new(Engine::new(config, paths.clone()))), model)
        }
        Err(ConfigError::Missing(path)) => (
            None,
            Model::new(Setup::FirstRun { config_path: path }, Vec::new(), now),
        ),
        Err(e) => (
            None,
            Model::new(
                Setup::Broken {
                    message: e.to_string(),
                },
                Vec::new(),
                now,
            ),
        ),
    };
    let mut model = model;
    model.config_path = paths.config_file.clone();
    model.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Ok(runtime.block_on(app::run(engine, paths, model))?)
}

pub fn rows(config: &Config) -> Vec<AccountRow> {
    let good = config.accounts.values().map(AccountRow::of);
    let broken = config
        .broken_accounts
        .iter()
        .map(|(name, e)| AccountRow::broken(name, e.to_string()));
    good.chain(broken).collect()
}
