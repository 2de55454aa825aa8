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

/// Where there is no config (a remote host reached by `tokdeck ssh`): the agent that
/// answers instead, forwarded or not, and the accounts it offers. `None`: none answers.
#[cfg(unix)]
pub(super) fn agent_instead(json: bool) -> Option<Result<(), CliError>> {
    use crate::agent::protocol::{List, Request};
    let paths = crate::config::Paths::resolve(None).ok()?;
    let mut client = crate::agent::client::Client::find(&paths).ok()??;
    let hello = client.hello().ok()?.clone();
    let list: List = match client.call(&Request::List) {
        Ok(list) => list,
        Err(e) => return Some(Err(CliError::Agent(e))),
    };
    let names: Vec<&str> = list.accounts.iter().map(|a| a.name.as_str()).collect();
    let from = match &hello.forwarded_to {
        Some(host) => format!("forwarded to this host as '{host}' by `tokdeck ssh`"),
        None => "on this machine".into(),
    };
    if json {
        let value = serde_json::json!({
            "account": null,
            "from": "agent",
            "agent": client.path,
            "forwarded_to": hello.forwarded_to,
            "accounts": names,
        });
        return Some(super::output::line(&value.to_string()));
    }
    Some(super::output::line(&format!(
        "no config here: tokens come from the tokdeck agent at {} ({from}); name the account: {}",
        client.path.display(),
        if names.is_empty() {
            "none is offered".to_string()
        } else {
            names.join(", ")
        }
    )))
}
