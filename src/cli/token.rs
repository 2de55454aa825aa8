//! `tokdeck token`, `header` and `export`: a valid token for scripts, refreshed first
//! when it expires soon.

use super::args::{ExportFormat, TokenFormat};
use super::error::CliError;
use super::{output, which};
use crate::engine::Engine;
use crate::humanize;
use crate::oauth::{Lifetime, TokenSet};
use chrono::{SecondsFormat, Utc};
use std::time::Duration;

/// `--min-valid` of `export`, which has no option for it.
const EXPORT_MIN_VALID: u64 = 60;

/// What a caller asks of the token it gets.
#[derive(Debug, Clone, Copy)]
pub struct Ask {
    pub min_valid: u64,
    /// A token shorter-lived than `min_valid` is an error, not a warning.
    pub strict: bool,
    /// The ID token is what must last.
    pub id_token: bool,
}

impl Ask {
    pub fn new(min_valid: u64, strict: bool, id_token: bool) -> Self {
        Self {
            min_valid,
            strict,
            id_token,
        }
    }
}

pub async fn token(
    engine: &Engine,
    account: Option<&str>,
    ask: Ask,
    format: TokenFormat,
) -> Result<(), CliError> {
    let account = which::pick(engine, account)?;
    let min_valid = Duration::from_secs(ask.min_valid);
    let tokens = if ask.id_token {
        let tokens = engine.fresh_id_token(&account, min_valid).await?;
        output::warn_store(engine);
        tokens
    } else {
        fresh(engine, &account, ask.min_valid).await?
    };
    let (token, lifetime, what) = match (&tokens.id_token, tokens.id_token_lifetime()) {
        (Some(id), Some(lifetime)) if ask.id_token => (id, lifetime, "ID tokens"),
        _ => (
            &tokens.access_token,
            Lifetime::of(tokens.issued_at, tokens.expires_at),
            "tokens",
        ),
    };
    lasting(&account, what, lifetime, ask.min_valid, ask.strict)?;
    match format {
        TokenFormat::Json => output::line(&json(engine, &account, &tokens, ask).await),
        _ => output::token(format, token, lifetime.expires_at),
    }
}

pub async fn header(engine: &Engine, account: Option<&str>, ask: Ask) -> Result<(), CliError> {
    let account = which::pick(engine, account)?;
    let tokens = fresh(engine, &account, ask.min_valid).await?;
    let lifetime = Lifetime::of(tokens.issued_at, tokens.expires_at);
    lasting(&account, "tokens", lifetime, ask.min_valid, ask.strict)?;
    output::line(&tokens.authorization_header())
}

pub async fn export(
    engine: &Engine,
    account: Option<&str>,
    format: ExportFormat,
    shell: super::args::Shell,
) -> Result<(), CliError> {
    if shell != super::args::Shell::Posix && format != ExportFormat::Env {
        return Err(CliError::Usage(
            "--shell goes with --format env (the other formats are the same for every shell)"
                .into(),
        ));
    }
    let account = which::pick(engine, account)?;
    let tokens = fresh(engine, &account, EXPORT_MIN_VALID).await?;
    let provider = engine.account(&account)?.provider.name.clone();
    if format == ExportFormat::Dotenv
        && let Some(name) = super::export::line_break_in(&tokens)
    {
        return Err(CliError::Failed(format!(
            "{name} of '{account}' holds a line break, which an env file cannot carry; use --format env or --format json"
        )));
    }
    let text = super::export::render(&account, &provider, &tokens, format, shell);
    output::line(&text)
}

/// Says when the provider's tokens live shorter than `min_valid` seconds: a warning on
/// stderr naming both lifetimes, or with `strict` the error (exit 4).
pub fn lasting(
    account: &str,
    what: &str,
    lifetime: Lifetime,
    min_valid: u64,
    strict: bool,
) -> Result<(), CliError> {
    let now = Utc::now();
    if lifetime.valid_for(now, Duration::from_secs(min_valid)) {
        return Ok(());
    }
    let left = lifetime.remaining(now).unwrap_or_default();
    let length = lifetime.length().unwrap_or_default();
    let asked = if min_valid == super::args::DEFAULT_MIN_VALID {
        format!("the default --min-valid {min_valid}")
    } else {
        format!("--min-valid {min_valid}")
    };
    let message = format!(
        "'{account}': the provider issues {what} valid for {}, less than {asked}; this one is valid for {}",
        humanize::duration(length),
        humanize::duration(left)
    );
    if strict {
        return Err(CliError::TooShort(format!(
            "{message} (--strict; without it the token is printed with a warning)"
        )));
    }
    eprintln!("tokdeck: warning: {message}");
    Ok(())
}

/// `token --json`: the token and what a script wants to know about it.
async fn json(engine: &Engine, account: &str, tokens: &TokenSet, ask: Ask) -> String {
    let rfc3339 = |at: chrono::DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let now = Utc::now();
    // Who it is: from the record (an extra read, for this format only).
    let identity = match engine.load_bound(account).await {
        Ok(record) => record.and_then(|r| r.identity),
        Err(_) => None,
    };
    let mut value = serde_json::json!({
        "access_token": tokens.access_token.expose(),
        "token_type": tokens.token_type,
        "expires_at": tokens.expires_at.map(rfc3339),
        "seconds_left": tokens.remaining(now).map(|d| d.num_seconds()),
        "scopes": tokens.scopes,
        "account": account,
        "identity": identity,
    });
    if ask.id_token
        && let Some(id) = &tokens.id_token
    {
        let lifetime = tokens.id_token_lifetime();
        value["id_token"] = id.expose().into();
        value["id_token_expires_at"] = lifetime.and_then(|l| l.expires_at).map(rfc3339).into();
    }
    value.to_string()
}

/// Tokens valid for `min_valid` seconds, with the store's and the refresh's warnings on
/// stderr (stdout carries only the token).
async fn fresh(engine: &Engine, account: &str, min_valid: u64) -> Result<TokenSet, CliError> {
    let fresh = engine
        .fresh_tokens(account, Duration::from_secs(min_valid))
        .await?;
    Ok(output::with_warnings(engine, fresh))
}
