//! `tokdeck token`, `header` and `export`: a valid token for scripts, refreshed first
//! when it expires soon.

use super::args::{ExportFormat, TokenFormat};
use super::error::CliError;
use super::{output, which};
use crate::engine::{Engine, EngineError};
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
    let mut tokens = fresh(engine, &account, min_valid).await?;
    if !id_token {
        return output::token(format, &tokens.access_token, tokens.expires_at);
    }
    if id_token_expires_within(&tokens, min_valid) && tokens.refresh_token.is_some() {
        tokens = engine.refresh(&account).await?;
    }
    let Some(token) = &tokens.id_token else {
        return Err(EngineError::NeedsLogin {
            account: account.clone(),
            reason: "holds no ID token (request the `openid` scope)".to_string(),
        }
        .into());
    };
    if id_token_expires_within(&tokens, min_valid) {
        return Err(EngineError::NeedsLogin {
            account: account.clone(),
            reason: format!(
                "holds no ID token valid for {min_valid} s more, and a refresh brought none"
            ),
        }
        .into());
    }
    output::token(format, token, tokens.expires_at)
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

/// The ID token's own `exp` is less than `min_valid` seconds away (ID tokens often live
/// shorter than access tokens).
fn id_token_expires_within(tokens: &TokenSet, min_valid: u64) -> bool {
    tokens
        .id_token
        .as_ref()
        .and_then(|t| crate::jwt::claims(t.expose()))
        .and_then(|c| crate::jwt::time_claim(&c, "exp"))
        .is_some_and(|exp| (exp - chrono::Utc::now()).num_seconds() < min_valid as i64)
}

/// Tokens valid for `min_valid` seconds, with the store's and the refresh's warnings on
/// stderr (stdout carries only the token).
async fn fresh(engine: &Engine, account: &str, min_valid: u64) -> Result<TokenSet, CliError> {
    let fresh = engine
        .fresh_tokens(account, Duration::from_secs(min_valid))
        .await?;
    Ok(output::with_warnings(engine, fresh))
}
