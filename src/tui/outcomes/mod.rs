//! What finished background work does to the model, one function per family of
//! outcomes: tokens (loaded, refreshed, verified, logged out), logins, the clipboard and
//! the browser, provider answers; config reads and writes are in [`config`].

mod answers;
mod api;
mod config;
mod login;
mod tokens;

use login::login_progress;
use tokens::{accept_tokens, source_ready, tokens_changed};

use super::event::{Command, Failure, Outcome};
use super::model::{Activity, Health, Model, Retry};
use super::schedule;
use crate::token::TokenRecord;
use crate::token::TokenSet;
use chrono::Duration as ChronoDuration;

pub fn done(model: &mut Model, outcome: Outcome) -> Vec<Command> {
    let commands = outcome_of(model, outcome);
    if model.quit_when_idle && model.refreshes_in_flight() == 0 {
        model.quit = true;
    }
    commands
}

fn outcome_of(model: &mut Model, outcome: Outcome) -> Vec<Command> {
    match outcome {
        Outcome::AgentPending(pending) => {
            super::agent::pending(model, pending);
            Vec::new()
        }
        Outcome::AgentActivity(entries) => {
            super::agent::activity(model, entries);
            Vec::new()
        }
        Outcome::AgentAnswered { id, answer, result } => {
            super::agent::answered(model, id, answer, result);
            Vec::new()
        }
        Outcome::Loaded {
            account,
            result,
            logged_out,
        } => {
            let commands = loaded(model, &account, result);
            if logged_out && let Some(row) = model.row_mut(&account) {
                row.logged_out = true;
            }
            source_ready(model, &account);
            commands
        }
        Outcome::ReadForCopy {
            account,
            what,
            clear_after,
            result,
        } => {
            let tokens = match &result {
                Ok(record) => record.as_ref().map(|r| r.tokens.clone()),
                Err(_) => None,
            };
            let failed = result.as_ref().err().map(|f| f.message.clone());
            let mut commands = loaded(model, &account, result);
            let now = model.now;
            match failed {
                Some(message) => model.error(format!("Nothing copied: {message}")),
                None => {
                    match super::copying::command(&account, tokens.as_ref(), what, clear_after, now)
                    {
                        Ok(copy) => commands.push(copy),
                        Err(why) => model.error(why),
                    }
                }
            }
            commands
        }
        Outcome::Refreshed { account, result } => {
            let commands = refreshed(model, &account, result);
            source_ready(model, &account);
            commands
        }
        Outcome::ApiRefreshed {
            account,
            resource,
            result,
        } => {
            api_refreshed(model, &account, &resource, result);
            Vec::new()
        }
        Outcome::Login { account, progress } => login_progress(model, account, progress),
        Outcome::LoggedOut { account, result } => {
            logged_out(model, &account, result);
            Vec::new()
        }
        Outcome::Verified {
            account,
            access_token,
            trust,
        } => {
            // A verdict for tokens the row no longer holds (a slow check that finished
            // after a newer one) is dropped.
            if let Some(row) = model.row_mut(&account)
                && row.tokens.as_ref().map(|t| &t.access_token) == Some(&access_token)
            {
                row.trust = Some(trust);
            }
            Vec::new()
        }
        Outcome::ConfigRead { purpose, result } => config::read(model, purpose, result),
        Outcome::LoggedOutForWrite {
            account,
            result,
            write,
        } => config::logged_out_for_write(model, &account, result, write),
        Outcome::ConfigSaved { write, result } => config::saved(model, write, result),
        Outcome::ConfigChanged(result) => config::changed(model, result),
        Outcome::ApiFound { url, result } => api::found(model, &url, result),
        Outcome::RegisteredForWrite(result) => api::registered_for_write(model, result),
        Outcome::UnregisteredForWrite { note, mut write } => {
            write.done = format!("{}; {note}", write.done);
            vec![Command::SaveConfig(write)]
        }
        Outcome::Unregistered(result) => {
            api::unregistered(model, result);
            Vec::new()
        }
        other => {
            answers::apply(model, other);
            Vec::new()
        }
    }
}

/// The store was read for `account`.
fn loaded(
    model: &mut Model,
    account: &str,
    result: Result<Option<Box<TokenRecord>>, Failure>,
) -> Vec<Command> {
    let Some(row) = model.row_mut(account) else {
        return Vec::new();
    };
    // Work in flight will report its own result.
    if row.activity != Activity::Idle {
        return Vec::new();
    }
    let record = match result {
        Ok(record) => record,
        Err(failure) => {
            // Unreadable, or issued by another server than the one configured now:
            // nothing of it may be shown, copied or refreshed.
            row.tokens = None;
            row.identity = None;
            let message = failure.message;
            row.health = match (failure.needs_login, row.renews_alone()) {
                (false, _) => Health::Unreadable { error: message },
                (true, false) => Health::NeedsLogin { reason: message },
                // An account that renews alone gets new tokens instead (see
                // `refresh_with`).
                (true, true) => Health::Failed { error: message },
            };
            return Vec::new();
        }
    };
    row.health = match std::mem::replace(&mut row.health, Health::Fine) {
        Health::Loading => Health::Fine,
        // Read now; what went wrong before is still said.
        Health::Unreadable { error } => Health::Failed { error },
        other => other,
    };
    let changed = row.tokens.as_ref().map(|t| &t.access_token)
        != record.as_ref().map(|r| &r.tokens.access_token);
    // Tokens gone from the store: another process logged out, which stands.
    match (&row.tokens, &record) {
        (Some(_), None) => row.logged_out = true,
        (_, Some(_)) => row.logged_out = false,
        (None, None) => {}
    }
    if changed {
        // Another process logged in or refreshed: that clears our trouble.
        row.health.clear();
    }
    row.last_refresh = record.as_ref().and_then(|r| r.last_refresh);
    if let Some(reason) = record.as_ref().and_then(|r| r.login_needed.clone()) {
        row.health = Health::NeedsLogin { reason };
    }
    row.identity = record.as_ref().and_then(|r| r.identity.clone());
    for api in row.apis.iter_mut().filter(|a| !a.busy) {
        let held = record.as_ref().and_then(|r| r.select(Some(&api.target())));
        if held.is_some() || changed {
            api.error = None;
        }
        api.tokens = held.cloned();
    }
    row.tokens = record.map(|r| r.tokens);
    if changed {
        return tokens_changed(row);
    }
    Vec::new()
}

/// The token of one of an account's `resources` came (or could not be had: a rejected
/// refresh token is the account's trouble, any other refusal the API line's).
fn api_refreshed(
    model: &mut Model,
    account: &str,
    resource: &str,
    result: Result<TokenSet, Failure>,
) {
    let Some(row) = model.row_mut(account) else {
        return;
    };
    let Some(api) = row.apis.iter_mut().find(|a| a.resource == resource) else {
        return;
    };
    api.busy = false;
    match result {
        Ok(tokens) => {
            api.tokens = Some(tokens);
            api.error = None;
        }
        Err(failure) if failure.needs_login => {
            api.error = Some(failure.message.clone());
            row.health = Health::NeedsLogin {
                reason: failure.message,
            };
        }
        Err(failure) => api.error = Some(failure.message),
    }
}

/// A refresh (or a client-credentials fetch) ended.
fn refreshed(model: &mut Model, account: &str, result: Result<TokenSet, Failure>) -> Vec<Command> {
    let now = model.now;
    // Said on the status line when the user asked for it (`r`).
    let asked = model
        .status
        .as_ref()
        .is_some_and(|s| s.refreshing.as_deref() == Some(account));
    let Some(row) = model.row_mut(account) else {
        return Vec::new();
    };
    row.activity = Activity::Idle;
    if row.health.config_error().is_some() {
        // Its table broke while it refreshed: nothing of it is shown (the store has it).
        return Vec::new();
    }
    let message = match result {
        Ok(tokens) => {
            row.last_refresh = Some(now);
            let left = tokens
                .remaining(now)
                .map(|d| format!(": access token valid for {}", crate::humanize::duration(d)))
                .unwrap_or_default();
            let commands = accept_tokens(row, tokens);
            if asked {
                model.info(format!("Refreshed '{account}'{left}"));
            }
            return commands;
        }
        Err(Failure {
            message,
            needs_login: true,
            ..
        }) => {
            row.health = Health::NeedsLogin {
                reason: message.clone(),
            };
            if asked {
                model.error(format!("Refresh of '{account}' failed: {message}"));
            }
            return Vec::new();
        }
        Err(Failure { message, .. }) => message,
    };
    let attempt = row.health.retry().map_or(1, |r| r.attempt + 1);
    let wait = schedule::backoff(attempt);
    row.health = Health::Retrying {
        retry: Retry {
            attempt,
            at: now + ChronoDuration::from_std(wait).unwrap_or(ChronoDuration::zero()),
        },
        error: message.clone(),
    };
    let left = row
        .tokens
        .as_ref()
        .and_then(|t| t.remaining(now))
        .filter(|l| l.num_seconds() > 0);
    match left {
        // Still valid: worth knowing, not alarming.
        Some(left) => model.info(format!(
            "could not refresh '{account}' ({message}); its token stays valid for {}, retrying in {} s",
            crate::humanize::duration(left),
            wait.as_secs()
        )),
        None => model.error(format!(
            "refresh of '{account}' failed: {message}; retry {attempt} in {} s",
            wait.as_secs()
        )),
    }
    Vec::new()
}

fn logged_out(model: &mut Model, account: &str, result: Result<Vec<String>, String>) {
    if let Some(row) = model.row_mut(account) {
        row.activity = Activity::Idle;
        if result.is_ok() {
            row.tokens = None;
            row.identity = None;
            row.logged_out = true;
            row.health.clear();
            for api in &mut row.apis {
                api.tokens = None;
                api.error = None;
            }
        }
    }
    if result.is_ok() {
        for row in &mut model.accounts {
            if row.source.exchanged_from() == Some(account) {
                row.health = Health::NeedsLogin {
                    reason: format!(
                        "exchanged from '{account}', which was logged out: log in to '{account}'"
                    ),
                };
            }
        }
    }
    match result {
        Ok(notes) if notes.is_empty() => model.info(format!("Logged out of '{account}'")),
        Ok(notes) => model.info(format!("Logged out of '{account}': {}", notes.join("; "))),
        Err(e) => model.error(format!("Logout of '{account}' failed: {e}")),
    }
}
