use super::error::CliError;
use crate::config::Account;
use crate::engine::{Engine, EngineError, TokenState};
use crate::humanize;
use crate::token::Identity;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

#[derive(Serialize)]
struct Row {
    account: String,
    /// `null` for an account whose table is broken (`config_error`).
    provider: Option<String>,
    flow: Option<String>,
    state: TokenState,
    expires_at: Option<String>,
    seconds_left: Option<i64>,
    refresh_token: bool,
    /// `Bearer`, or `DPoP` for a token bound to the account's key (RFC 9449).
    token_type: Option<String>,
    /// The account its tokens are exchanged from (RFC 8693), when it has no login.
    #[serde(skip_serializing_if = "Option::is_none")]
    exchange_from: Option<String>,
    scopes: Vec<String>,
    /// The JWT `exp` minus the expiry from `expires_in`, when over a minute apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    exp_skew_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    login_needed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Who the account is logged in as; `null` without tokens (or from before tokdeck
    /// kept it).
    identity: Option<Identity>,
}

/// `tokdeck list`; the store's warnings go to stderr after the rows.
pub async fn run(engine: &Engine, json: bool) -> Result<(), CliError> {
    let result = rows_out(engine, json).await;
    super::output::warn_store(engine);
    // A broken provider has no row of its own; its accounts' rows name it, so it is
    // said here only when no account uses it.
    let config = engine.config();
    for (name, e) in &config.broken_providers {
        let needle = format!("provider '{name}', which is broken");
        if !config
            .broken_accounts
            .values()
            .any(|a| a.to_string().contains(&needle))
        {
            say!("tokdeck: provider '{name}' cannot be used: {e}");
        }
    }
    result
}

async fn rows_out(engine: &Engine, json: bool) -> Result<(), CliError> {
    let now = Utc::now();
    let config = engine.config();
    let names: Vec<String> = config.accounts.keys().cloned().collect();
    let mut rows: Vec<Row> = engine
        .load_many(names)
        .await
        .into_iter()
        .filter_map(|(name, loaded)| {
            let account = config.accounts.get(&name)?;
            Some(row(&name, account, loaded, now))
        })
        .collect();
    for (name, error) in &config.broken_accounts {
        rows.push(Row::broken(name, error.to_string()));
    }
    follow_sources(&mut rows, config);
    rows.sort_by(|a, b| a.account.cmp(&b.account));
    if json {
        let text = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into());
        return super::output::line(&text);
    }
    if rows.is_empty() {
        say!(
            "No accounts in '{}'. Add an [accounts.NAME] table (see README).",
            engine.config().path.display()
        );
        return Ok(());
    }
    let width = rows
        .iter()
        .map(|r| r.account.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let pwidth = rows
        .iter()
        .map(|r| r.provider.as_deref().unwrap_or("-").len())
        .max()
        .unwrap_or(8)
        .max(8);
    let who = |r: &Row| {
        r.identity
            .as_ref()
            .map_or("-".into(), |i| i.who())
            .to_string()
    };
    let wwidth = rows.iter().map(|r| who(r).len()).max().unwrap_or(3).max(3);
    let mut out = format!(
        "{:width$}  {:pwidth$}  {:wwidth$}  {:18}  {:12} {:20}  LEFT",
        "ACCOUNT", "PROVIDER", "WHO", "FLOW", "STATE", "EXPIRES AT"
    );
    for r in &rows {
        let left = match r.seconds_left {
            Some(s) if s <= 0 => format!(
                "expired {} ago",
                humanize::duration(chrono::Duration::seconds(s))
            ),
            Some(s) => humanize::duration(chrono::Duration::seconds(s)),
            None if r.state == TokenState::Valid => "no expiry".to_string(),
            None => "-".to_string(),
        };
        let left = match &r.token_type {
            Some(t) if t.eq_ignore_ascii_case("dpop") => format!("{left} (DPoP-bound)"),
            _ => left,
        };
        // The key, as in JSON: one word per column for `awk` and `cut`.
        let state = r.state.key();
        out.push_str(&format!(
            "\n{:width$}  {:pwidth$}  {:wwidth$}  {:18}  {:12} {:20}  {left}",
            r.account,
            r.provider.as_deref().unwrap_or("-"),
            who(r),
            r.flow.as_deref().unwrap_or("-"),
            state,
            r.expires_at.as_deref().unwrap_or("-"),
        ));
    }
    super::output::line(&out)?;
    // Each reason once: a store that cannot be reached is one problem, not one per
    // account (the accounts it concerns are named together).
    let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in &rows {
        let Some(reason) = r.error.as_deref().or(r.login_needed.as_deref()) else {
            continue;
        };
        match reasons.iter_mut().find(|(said, _)| *said == reason) {
            Some((_, accounts)) => accounts.push(&r.account),
            None => reasons.push((reason, vec![&r.account])),
        }
    }
    for (reason, accounts) in reasons {
        match accounts.as_slice() {
            [one] if reason.contains(&format!("'{one}'")) => say!("tokdeck: {reason}"),
            [one] => say!("tokdeck: '{one}': {reason}"),
            many => say!("tokdeck: '{}': {reason}", many.join("', '")),
        }
    }
    Ok(())
}

/// One account's row; one unreadable entry must not hide the others.
fn row(
    name: &str,
    account: &Account,
    loaded: Result<Option<crate::token::TokenRecord>, EngineError>,
    now: DateTime<Utc>,
) -> Row {
    let (record, trouble) = match loaded {
        Ok(r) => (r, None),
        Err(e) => (None, Some(e)),
    };
    let tokens = record.as_ref().map(|r| &r.tokens);
    let rejected = record.as_ref().and_then(|r| r.login_needed.clone());
    let mut state = TokenState::judge(tokens, rejected.is_some(), account.renewal(), now);
    let (mut login_needed, mut error) = (rejected, None);
    match trouble {
        // Tokens of another issuer or client: only a login helps.
        Some(e @ EngineError::Rebound { .. }) => {
            state = TokenState::LoginNeeded;
            login_needed = Some(e.to_string());
        }
        Some(e) => {
            state = TokenState::Error;
            error = Some(e.to_string());
        }
        None if state == TokenState::LoginNeeded && login_needed.is_none() => {
            login_needed = Some(format!(
                "the token of '{name}' expired and there is no refresh token; run `tokdeck login {name}`"
            ));
        }
        None => {}
    }
    Row {
        account: name.to_string(),
        provider: Some(account.provider.name.clone()),
        flow: Some(
            account
                .flow()
                .map_or_else(|| "exchange".to_string(), |f| f.to_string()),
        ),
        state,
        expires_at: tokens
            .and_then(|t| t.expires_at)
            .map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        seconds_left: tokens
            .and_then(|t| t.remaining(now))
            .map(|d| d.num_seconds()),
        refresh_token: tokens.is_some_and(|t| t.refresh_token.is_some()),
        token_type: tokens.map(|t| t.token_type.clone()),
        exchange_from: account.by_exchange().map(|d| d.from.clone()),
        scopes: tokens.map(|t| t.scopes.clone()).unwrap_or_default(),
        exp_skew_seconds: tokens.and_then(|t| t.exp_skew()),
        login_needed,
        error,
        identity: record.and_then(|r| r.identity),
    }
}

/// An account by exchange whose source needs a login needs that login too: its row
/// follows its source's (no second read of the source's record).
fn follow_sources(rows: &mut [Row], config: &crate::config::Config) {
    let dead: Vec<String> = rows
        .iter()
        .filter(|r| matches!(r.state, TokenState::LoginNeeded | TokenState::NoToken))
        .map(|r| r.account.clone())
        .collect();
    for row in rows.iter_mut() {
        let Some(from) = row.exchange_from.clone() else {
            continue;
        };
        // Whatever it holds, it cannot be renewed (as the dashboard says it).
        if dead.contains(&from) || !config.accounts.contains_key(&from) {
            row.state = TokenState::LoginNeeded;
            row.login_needed = Some(format!(
                "'{}' is exchanged from '{from}', which needs a login; run `tokdeck login {from}`",
                row.account
            ));
        }
    }
}

impl Row {
    /// An account whose table cannot be used: its reason, and nothing else known.
    fn broken(name: &str, reason: String) -> Self {
        Self {
            account: name.to_string(),
            provider: None,
            flow: None,
            state: TokenState::ConfigError,
            expires_at: None,
            seconds_left: None,
            refresh_token: false,
            token_type: None,
            exchange_from: None,
            scopes: Vec::new(),
            exp_skew_seconds: None,
            login_needed: None,
            error: Some(reason),
            identity: None,
        }
    }
}
