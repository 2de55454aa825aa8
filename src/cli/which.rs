//! `tokdeck which`, and the choice of account for commands that are given none.

use super::error::CliError;
use crate::config::{ACCOUNT_ENV, Chosen, choose, working_directories};
use crate::engine::Engine;

/// The account a command means: `argument`, else the context (see [`choose`]).
/// The config's broken tables are reported on stderr (the chosen one is an error).
pub(super) fn pick(engine: &Engine, argument: Option<&str>) -> Result<String, CliError> {
    let chosen = chosen(engine, argument);
    let name = chosen.as_ref().map(|c| c.name.as_str()).unwrap_or_default();
    super::output::warn_config(engine.config(), name);
    Ok(chosen?.name)
}

fn chosen(engine: &Engine, argument: Option<&str>) -> Result<Chosen, CliError> {
    let env = std::env::var(ACCOUNT_ENV).ok();
    Ok(choose(
        engine.config(),
        argument,
        env.as_deref(),
        &working_directories(),
    )?)
}

/// Prints the account chosen here and why: `work (directories: ~/src/acme)`.
pub(super) fn run(engine: &Engine, json: bool) -> Result<(), CliError> {
    let chosen = chosen(engine, None)?;
    if json {
        let mut value = serde_json::json!({
            "account": chosen.name,
            "from": chosen.why.key(),
        });
        if let crate::config::Why::Directory(dir) = &chosen.why {
            value["directory"] = serde_json::Value::String(dir.clone());
        }
        return super::output::line(&value.to_string());
    }
    super::output::line(&format!("{} ({})", chosen.name, chosen.why))
}
