//! `tokdeck refresh`, `introspect` and `userinfo`: asking the provider about an account.

use super::error::CliError;
use super::{login, output, which};
use crate::engine::Engine;
use std::path::PathBuf;

pub async fn refresh(config: Option<PathBuf>, account: Option<String>) -> Result<(), CliError> {
    let engine = &super::refreshing_engine(config)?;
    let account = which::pick(engine, account.as_deref())?;
    let tokens = engine.refresh(&account).await?;
    say!("Refreshed '{account}': {}", login::summary(&tokens));
    Ok(())
}

pub async fn introspect(
    engine: &Engine,
    account: Option<&str>,
    refresh_token: bool,
) -> Result<(), CliError> {
    let account = which::pick(engine, account)?;
    let value = engine.introspect(&account, refresh_token).await?;
    output::line(&serde_json::to_string_pretty(&value).unwrap_or_default())
}

pub async fn userinfo(config: Option<PathBuf>, account: Option<String>) -> Result<(), CliError> {
    let engine = &super::refreshing_engine(config)?;
    let account = which::pick(engine, account.as_deref())?;
    let value = engine.userinfo(&account).await?;
    output::line(&serde_json::to_string_pretty(&value).unwrap_or_default())
}

/// `tokdeck exchange`: the new access token (or, with --json, the whole answer).
pub async fn exchange(
    config: Option<PathBuf>,
    args: super::args::ExchangeArgs,
) -> Result<(), CliError> {
    let engine = &super::refreshing_engine(config)?;
    let account = which::pick(engine, args.account.as_deref())?;
    for (option, value) in [
        ("--audience", &args.audience),
        ("--scope", &args.scope),
        ("--requested-token-type", &args.requested_token_type),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(CliError::Usage(format!(
                "{option} '' is empty; give a value or leave it out"
            )));
        }
    }
    if let Some(resource) = &args.resource {
        crate::config::check_resource(resource)
            .map_err(|m| CliError::Usage(format!("--resource '{resource}' {m}")))?;
    }
    if args.actor.as_deref() == Some(account.as_str()) {
        return Err(CliError::Usage(format!(
            "--actor '{account}' is the subject itself; delegation needs another account (or leave --actor out)"
        )));
    }
    let ask = crate::engine::Exchange {
        audience: args.audience,
        resource: args.resource,
        scope: args.scope,
        requested_token_type: args.requested_token_type,
        id_token: args.id_token || args.subject_token_type.as_deref() == Some("id_token"),
        actor: args.actor,
    };
    let answer = engine.exchange(&account, &ask).await?;
    if args.json {
        return output::line(&serde_json::to_string_pretty(&answer).unwrap_or_default());
    }
    match answer["access_token"].as_str() {
        Some(token) => output::line(token),
        None => Err(CliError::Failed(
            "the token exchange answer has no access_token; --json shows it".into(),
        )),
    }
}
