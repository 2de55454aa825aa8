//! `tokdeck which`, and the choice of account for commands that are given none.

use super::error::CliError;
use crate::config::{ACCOUNT_ENV, Chosen, choose, working_directories};
use crate::engine::Engine;

/// The account a command means: `argument`, else the context (see [`choose`]).
/// The config's other broken parts are reported on stderr; a broken chosen one is the
/// error (said once, by the caller).
pub(super) fn pick(engine: &Engine, argument: Option<&str>) -> Result<String, CliError> {
    let name = pick_quietly(engine, argument)?;
    super::output::warn_config(engine.config(), &name);
    Ok(name)
}

/// [`pick`] without the warnings (the fast path, which may hand over to the general one).
pub(super) fn pick_quietly(engine: &Engine, argument: Option<&str>) -> Result<String, CliError> {
    Ok(chosen(engine, argument)?.name)
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
