use super::error::CliError;
use crate::engine::{Engine, TokenState};
use crate::humanize;
use crate::store::Identity;
use chrono::{SecondsFormat, Utc};
use serde::Serialize;

#[derive(Serialize)]
struct Row {
    account: String,
    provider: String,
    flow: String,
    state: TokenState,
    expires_at: Option<String>,
    seconds_left: Option<i64>,
    refresh_token: bool,
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

pub async fn run(engine: &Engine, json: bool) -> Result<(), CliError> {
    let now = Utc::now();
    let mut rows = Vec::new();
    for (name, account) in &engine.config().accounts {
        // One unreadable entry must not hide the others.
        let (record, error) = match engine.load_bound(name).await {
            Ok(r) => (r, None),
            Err(e) => (None, Some(e.to_string())),
        };
        let tokens = record.as_ref().map(|r| &r.tokens);
        rows.push(Row {
            account: name.clone(),
            provider: account.provider.name.clone(),
            flow: account.flow.to_string(),
            state: TokenState::of(tokens, now),
            expires_at: tokens
                .and_then(|t| t.expires_at)
                .map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
            seconds_left: tokens
                .and_then(|t| t.remaining(now))
                .map(|d| d.num_seconds()),
            refresh_token: tokens.is_some_and(|t| t.refresh_token.is_some()),
            scopes: tokens.map(|t| t.scopes.clone()).unwrap_or_default(),
            exp_skew_seconds: tokens.and_then(|t| t.exp_skew()),
            login_needed: record.as_ref().and_then(|r| r.login_needed.clone()),
            error,
            identity: record.and_then(|r| r.identity),
        });
    }
    if json {
        let text = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into());
        return super::output::line(&text);
    }
    if rows.is_empty() {
        eprintln!(
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
        .map(|r| r.provider.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let who = |r: &Row| r.identity.as_ref().map_or("-", |i| i.who()).to_string();
    let wwidth = rows.iter().map(|r| who(r).len()).max().unwrap_or(3).max(3);
    let mut out = format!(
        "{:width$}  {:pwidth$}  {:wwidth$}  {:18}  {:9} {:20}  LEFT",
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
        let state = if r.error.is_some() {
            "error"
        } else {
            r.state.label()
        };
        out.push_str(&format!(
            "\n{:width$}  {:pwidth$}  {:wwidth$}  {:18}  {:9} {:20}  {left}",
            r.account,
            r.provider,
            who(r),
            r.flow,
            state,
            r.expires_at.as_deref().unwrap_or("-"),
        ));
    }
    super::output::line(&out)?;
    let mut errors: Vec<&str> = rows.iter().filter_map(|r| r.error.as_deref()).collect();
    errors.dedup();
    for error in errors {
        eprintln!("tokdeck: {error}");
    }
    Ok(())
}
