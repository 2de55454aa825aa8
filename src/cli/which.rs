//! `tokdeck which`, and the choice of account for commands that are given none.

use crate::config::{ACCOUNT_ENV, Chosen, choose, working_directories};
use crate::engine::{Engine, EngineError};

/// The account a command means: `argument`, else the context (see [`choose`]).
pub(super) fn pick(engine: &Engine, argument: Option<&str>) -> Result<String, EngineError> {
    Ok(chosen(engine, argument)?.name)
}

fn chosen(engine: &Engine, argument: Option<&str>) -> Result<Chosen, EngineError> {
    let env = std::env::var(ACCOUNT_ENV).ok();
    Ok(choose(
        engine.config(),
        argument,
        env.as_deref(),
        &working_directories(),
    )?)
}

/// Prints the account chosen here and why: `work (directories: ~/src/acme)`.
pub(super) fn run(engine: &Engine, json: bool) -> Result<(), EngineError> {
    let chosen = chosen(engine, None)?;
    if json {
        let mut value = serde_json::json!({
            "account": chosen.name,
            "from": chosen.why.key(),
        });
        if let crate::config::Why::Directory(dir) = &chosen.why {
            value["directory"] = serde_json::Value::String(dir.clone());
        }
        return super::print_line(&value.to_string());
    }
    super::print_line(&format!("{} ({})", chosen.name, chosen.why))
}
