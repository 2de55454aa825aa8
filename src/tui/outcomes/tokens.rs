//! What a row does with new tokens (a refresh, a login, another process's change): its
//! trouble cleared, the old access token kept for comparison, the new ones verified.

use super::super::event::Command;
use super::super::model::{AccountRow, Health, Model};

/// Fresh tokens from a refresh or a login clear the row's trouble.
pub(super) fn accept_tokens(row: &mut AccountRow, tokens: crate::token::TokenSet) -> Vec<Command> {
    // New tokens of the account: its APIs may be asked again.
    for api in &mut row.apis {
        api.error = None;
    }
    if let Some(old) = &row.tokens
        && old.access_token != tokens.access_token
    {
        row.previous_access = Some(old.access_token.clone());
    }
    row.tokens = Some(tokens);
    if row.health == Health::Loading {
        row.health = Health::Fine;
    }
    row.health.clear();
    tokens_changed(row)
}

/// New tokens: their old verdicts no longer apply; check the new ones.
pub(super) fn tokens_changed(row: &mut AccountRow) -> Vec<Command> {
    row.trust = None;
    match &row.tokens {
        Some(tokens) => vec![Command::Verify {
            account: row.name.clone(),
            tokens: Box::new(tokens.clone()),
        }],
        None => Vec::new(),
    }
}

/// When `account` holds usable tokens again (a login here or in another process), the
/// accounts exchanged from it may try again: their "login needed" was the source's.
pub(super) fn source_ready(model: &mut Model, account: &str) {
    let ready = model
        .row_mut(account)
        .is_some_and(|r| r.tokens.is_some() && !r.health.needs_login());
    if !ready {
        return;
    }
    for row in &mut model.accounts {
        if row.source.exchanged_from() == Some(account) && row.health.needs_login() {
            row.health.clear();
        }
    }
}
