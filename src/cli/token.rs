//! `tokdeck token`, `header` and `export`: a valid token for scripts, refreshed first
//! when it expires soon.

use super::args::{ExportFormat, TokenFormat};
use super::error::CliError;
use super::{output, which};
use crate::engine::Engine;
use crate::oauth::TokenSet;
use std::time::Duration;

/// `--min-valid` of `export`, which has no option for it.
const EXPORT_MIN_VALID: u64 = 60;

pub async fn token(
    engine: &Engine,
    account: Option<&str>,
    id_token: bool,
    min_valid: u64,
    format: TokenFormat,
) -> Result<(), CliError> {
    let account = which::pick(engine, account)?;
    if id_token {
        let tokens = engine
            .fresh_id_token(&account, Duration::from_secs(min_valid))
            .await?;
        output::warn_store(engine);
        let token = tokens.id_token.as_ref().unwrap_or(&tokens.access_token);
        return output::token(format, token, tokens.expires_at);
    }
    let tokens = fresh(engine, &account, min_valid).await?;
    output::token(format, &tokens.access_token, tokens.expires_at)
}

pub async fn header(
    engine: &Engine,
    account: Option<&str>,
    min_valid: u64,
) -> Result<(), CliError> {
    let account = which::pick(engine, account)?;
    let tokens = fresh(engine, &account, min_valid).await?;
    output::line(&tokens.authorization_header())
}

pub async fn export(
    engine: &Engine,
    account: Option<&str>,
    format: ExportFormat,
) -> Result<(), CliError> {
    let account = which::pick(engine, account)?;
    let tokens = fresh(engine, &account, EXPORT_MIN_VALID).await?;
    let provider = engine.account(&account)?.provider.name.clone();
    output::line(&super::export::render(&account, &provider, &tokens, format))
}

/// Tokens valid for `min_valid` seconds, with the store's and the refresh's warnings on
/// stderr (stdout carries only the token).
async fn fresh(engine: &Engine, account: &str, min_valid: u64) -> Result<TokenSet, CliError> {
    let fresh = engine
        .fresh_tokens(account, Duration::from_secs(min_valid))
        .await?;
    Ok(output::with_warnings(engine, fresh))
}
