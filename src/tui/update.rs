//! `update(model, msg) -> commands`: all dashboard behaviour, with no IO and no clock.

use super::event::{Command, ConfigPurpose, CopyWhat, Msg};
use super::keys::{self, Action};
use super::model::{Activity, Confirm, Inspector, LoginStage, Model, Popup, Setup, TokenChoice};
use super::{outcomes, popup_keys, schedule};
use crate::secret::Secret;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// How often the dashboard re-reads the store, to see what other processes did.
pub const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(30);
/// Largest paste the inspector takes.
pub const MAX_PASTE_BYTES: usize = 64 * 1024;

pub fn update(model: &mut Model, msg: Msg) -> Vec<Command> {
    match msg {
        Msg::Tick(now) => tick(model, now),
        Msg::Key(key) if key.kind != KeyEventKind::Release => key_press(model, key),
        Msg::Key(_) | Msg::Resized => Vec::new(),
        Msg::Paste(text) => {
            paste(model, text);
            Vec::new()
        }
        Msg::Done(outcome) => outcomes::done(model, outcome),
        Msg::TerminalGone => {
            // No one to ask: quit as soon as the refreshes in flight are saved.
            model.terminal_gone = true;
            model.quit_when_idle = true;
            model.quit = model.refreshes_in_flight() == 0;
            Vec::new()
        }
    }
}

/// Time passes: schedule due refreshes and retries, look at the config file, re-read the
/// store now and then.
fn tick(model: &mut Model, now: chrono::DateTime<chrono::Utc>) -> Vec<Command> {
    model.now = now;
    if model.quit_when_idle {
        // Quitting: nothing new is started, and the wait stays said.
        let busy = model.refreshes_in_flight();
        model.info(quitting_notice(busy));
        return Vec::new();
    }
    // News fades; errors stay until the next key.
    if model.status.as_ref().is_some_and(|s| {
        s.level == super::model::Level::Info
            && s.refreshing.is_none()
            && (now - s.at).to_std().unwrap_or_default() >= super::model::Status::NEWS_FOR
    }) {
        model.status = None;
    }
    let mut commands = Vec::new();
    for row in &mut model.accounts {
        if row.activity != Activity::Idle || row.health.needs_login() || !row.auto_refreshes() {
            continue;
        }
        let due = match (row.health.retry(), &row.tokens) {
            (Some(retry), _) => now >= retry.at,
            (None, Some(tokens)) => schedule::refresh_at(tokens).is_some_and(|at| now >= at),
            // A service account (or one by exchange) needs no login: it gets its first
            // token on its own, once the store has said it holds none.
            // Not after a logout, which that would undo.
            (None, None) => row.health.loaded() && row.renews_alone() && !row.logged_out,
        };
        if due {
            row.activity = Activity::Refreshing;
            commands.push(Command::Refresh {
                account: row.name.clone(),
                seen: row.tokens.as_ref().map(|t| t.access_token.clone()),
            });
        }
    }
    commands.extend(due_apis(model, now));
    // A request of the agent's that came while another popup was open.
    super::agent::ask_next(model);
    // A config edited by hand shows up within a second.
    commands.push(Command::CheckConfig);
    if model.setup == Setup::Ready
        && (now - model.last_reload).num_seconds() >= RELOAD_EVERY.as_secs() as i64
    {
        model.last_reload = now;
        commands.push(Command::LoadAll);
    }
    commands
}

/// The tokens of the accounts' `resources` that are due: missing (once per load), or
/// expiring as the account's own would be refreshed.
fn due_apis(model: &mut Model, now: chrono::DateTime<chrono::Utc>) -> Vec<Command> {
    let mut commands = Vec::new();
    for row in &mut model.accounts {
        let renewable = row.auto_refreshes() && !row.health.needs_login() && row.tokens.is_some();
        if !renewable || row.activity != Activity::Idle {
            continue;
        }
        for api in row.apis.iter_mut().filter(|a| !a.busy && a.error.is_none()) {
            let min_valid = match &api.tokens {
                None => std::time::Duration::ZERO,
                // Past its refresh point nothing is fresh enough: a routine ask refreshes,
                // unless another process already did (read again under the lock).
                Some(tokens) if schedule::refresh_at(tokens).is_some_and(|at| now >= at) => {
                    std::time::Duration::ZERO
                }
                Some(_) => continue,
            };
            api.busy = true;
            commands.push(Command::RefreshApi {
                account: row.name.clone(),
                resource: api.resource.clone(),
                min_valid,
            });
        }
    }
    commands
}

fn key_press(model: &mut Model, key: KeyEvent) -> Vec<Command> {
    // A key is the user moving on: an error about what came before no longer applies.
    if model
        .status
        .as_ref()
        .is_some_and(|s| s.level == super::model::Level::Error)
    {
        model.status = None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        // As q: refreshes in flight are waited for (a second Ctrl-C quits now).
        request_quit(model);
        if !model.quit {
            return Vec::new();
        }
        return cancel_login_if_any(model);
    }
    if model.popup.is_some() {
        return popup_keys::key(model, key);
    }
    if model.filtering {
        match key.code {
            KeyCode::Esc => {
                model.filter.set("");
                model.filtering = false;
            }
            KeyCode::Enter => model.filtering = false,
            _ => {
                model.filter.key(key, |c| !c.is_control());
            }
        }
        select_visible(model, 0);
        return Vec::new();
    }
    match keys::action(&key) {
        Some(action) => perform(model, action),
        None => Vec::new(),
    }
}

/// What an action of the key table does on the account list.
fn perform(model: &mut Model, action: Action) -> Vec<Command> {
    let selected = model.selected_row().map(|r| r.name.clone());
    match action {
        Action::Quit => request_quit(model),
        Action::Help => model.popup = Some(Popup::Help { scroll: 0 }),
        Action::Filter => {
            // A fresh filter each time: `/` does not append to the last one.
            model.filter.set("");
            model.filtering = true;
        }
        Action::ClearFilter => {
            if !model.filter.is_empty() {
                model.filter.set("");
                select_visible(model, 0);
            }
        }
        Action::Down => move_selection(model, 1),
        Action::Up => move_selection(model, -1),
        Action::PageDown => move_selection(model, 10),
        Action::PageUp => move_selection(model, -10),
        Action::Top => select_visible(model, 0),
        Action::Bottom => select_visible(model, usize::MAX),
        Action::ToggleClaims => {
            model.claims.source = match model.claims.source {
                TokenChoice::Access => TokenChoice::Id,
                TokenChoice::Id => TokenChoice::Access,
            };
            model.claims.scroll = 0;
        }
        Action::ClaimsDown => model.claims.scroll = model.claims.scroll.saturating_add(1),
        Action::ClaimsUp => model.claims.scroll = model.claims.scroll.saturating_sub(1),
        Action::Reveal => {
            let selected = model.selected_row().map(|r| r.name.clone());
            model.reveal = if model.reveal == selected {
                None
            } else {
                selected
            };
        }
        Action::Inspect => open_inspector(model, None),
        Action::CompareRefresh => super::inspector_keys::compare_refresh(model),
        Action::Waiting => super::agent::ask_again(model),
        Action::ActivityPane => super::agent::cycle_pane(model),
        Action::Add => {
            if let Setup::Broken { .. } = model.setup {
                model.error("The config has an error; fix it by hand first (tokdeck never edits a file it cannot parse)");
                return Vec::new();
            }
            return vec![Command::ReadConfig(ConfigPurpose::Add)];
        }
        Action::CopyAccess => return copy(model, CopyWhat::Access),
        Action::CopyId => return copy(model, CopyWhat::Id),
        Action::CopyHeader => return copy(model, CopyWhat::Header),
        _ => {
            if let Some(name) = selected {
                return on_account(model, action, name);
            }
        }
    }
    Vec::new()
}

/// Actions on the selected account; none on an account whose table is broken, which
/// the command line refuses too.
fn on_account(model: &mut Model, action: Action, name: String) -> Vec<Command> {
    if let Some(reason) = model
        .row_mut(&name)
        .and_then(|r| r.health.config_error().map(str::to_string))
    {
        model.error(unusable(&name, &reason));
        return Vec::new();
    }
    match action {
        Action::Login => start_login(model, name),
        Action::Refresh => refresh_now(model, name),
        Action::Logout => {
            model.popup = Some(Popup::Confirm(Confirm::logout(&name)));
            Vec::new()
        }
        Action::Introspect => {
            model.info(format!("Asking the provider about the token of '{name}'…"));
            vec![Command::Introspect(name)]
        }
        Action::Userinfo => {
            model.info(format!("Asking the provider for the userinfo of '{name}'…"));
            vec![Command::Userinfo(name)]
        }
        Action::Change => {
            // The form edits a login's keys; an account by exchange has none of them.
            if let Some(from) = model
                .row_mut(&name)
                .and_then(|r| r.source.exchanged_from().map(str::to_string))
            {
                model.error(format!(
                    "'{name}' gets its tokens by exchange from '{from}': change its audience, resource or scopes in config.toml (the dashboard reloads it)"
                ));
                return Vec::new();
            }
            vec![Command::ReadConfig(ConfigPurpose::Change(name))]
        }
        Action::Remove => vec![Command::ReadConfig(ConfigPurpose::Remove(name))],
        _ => Vec::new(),
    }
}

fn cancel_login_if_any(model: &mut Model) -> Vec<Command> {
    if matches!(model.popup, Some(Popup::Login { .. })) {
        model.popup = None;
        return vec![Command::CancelLogin];
    }
    Vec::new()
}

pub(super) fn start_login(model: &mut Model, name: String) -> Vec<Command> {
    let Some(row) = model.row_mut(&name) else {
        return Vec::new();
    };
    if row.activity != Activity::Idle {
        return Vec::new();
    }
    if let Some(from) = row.source.exchanged_from().map(str::to_string) {
        model.error(format!(
            "'{name}' gets its tokens by exchange from '{from}' and has no login of its own: select '{from}' and press l"
        ));
        return Vec::new();
    }
    row.activity = Activity::LoggingIn;
    model.popup = Some(Popup::Login {
        account: name.clone(),
        stage: LoginStage::Starting,
    });
    vec![Command::Login {
        account: name,
        replace_user: false,
    }]
}

fn refresh_now(model: &mut Model, name: String) -> Vec<Command> {
    let Some(row) = model.row_mut(&name) else {
        return Vec::new();
    };
    if row.activity != Activity::Idle {
        return Vec::new();
    }
    if !row.auto_refreshes() {
        model.error(format!(
            "'{name}' holds no refresh token; press l to log in"
        ));
        return Vec::new();
    }
    row.activity = Activity::Refreshing;
    row.health.retry_now();
    row.logged_out = false;
    model.info(format!("Refreshing '{name}'…"));
    if let Some(status) = &mut model.status {
        status.refreshing = Some(name.clone());
    }
    vec![Command::Refresh {
        account: name,
        seen: None,
    }]
}

/// `q` or Ctrl-C: quit, unless refreshes are in flight and this is the first ask (their
/// answers carry new refresh tokens that would be lost).
fn request_quit(model: &mut Model) {
    let busy = model.refreshes_in_flight();
    if busy > 0 && !model.quit_when_idle {
        model.quit_when_idle = true;
        model.info(quitting_notice(busy));
    } else {
        model.quit = true;
    }
}

fn quitting_notice(busy: usize) -> String {
    format!(
        "Quitting once {busy} refresh(es) in flight are answered and saved (each answer carries a new refresh token that would otherwise be lost); q again quits now"
    )
}

fn unusable(name: &str, reason: &str) -> String {
    format!(
        "'{name}' cannot be used until its table is fixed in config.toml (the dashboard reloads it): {reason}"
    )
}

/// A copy starts with reading the record again (see [`Command::CopyStored`]).
fn copy(model: &mut Model, what: CopyWhat) -> Vec<Command> {
    let Some(row) = model.selected_row() else {
        return Vec::new();
    };
    if let Some(reason) = row.health.config_error() {
        let text = unusable(&row.name, reason);
        model.error(text);
        return Vec::new();
    }
    if row.tokens.is_none() {
        model.error(format!(
            "'{}' has no token to copy; press l to log in",
            row.name
        ));
        return Vec::new();
    }
    vec![Command::CopyStored {
        account: row.name.clone(),
        what,
        clear_after: model.clipboard_clear,
    }]
}

/// Pasted text (bracketed, or a burst of keys) goes to the field that has the keyboard,
/// else to the inspector; it never runs as commands.
fn paste(model: &mut Model, text: String) {
    if model.filtering {
        model.filter.insert_str(text.trim(), |c| !c.is_control());
        select_visible(model, 0);
        return;
    }
    match &mut model.popup {
        Some(Popup::Editor(form)) => form.paste(&text),
        Some(Popup::Inspector(inspector)) if inspector.input.is_some() => {
            super::inspector_keys::paste(inspector, &text)
        }
        // A question or a login in progress: a paste answers nothing.
        Some(Popup::Confirm(_) | Popup::Review(_) | Popup::Login { .. }) => {}
        _ => open_inspector(model, Some(text)),
    }
}

fn open_inspector(model: &mut Model, pasted: Option<String>) {
    let inspector = match pasted {
        None => Inspector::default(),
        Some(text) if text.len() > MAX_PASTE_BYTES => Inspector {
            decoded: Some(Err(format!(
                "the paste is {} KiB; a token is at most {} KiB",
                text.len() / 1024,
                MAX_PASTE_BYTES / 1024
            ))),
            ..Inspector::default()
        },
        Some(text) => Inspector::showing(Secret::new(crate::jwt::presented(&text))),
    };
    model.popup = Some(Popup::Inspector(Box::new(inspector)));
}

fn move_selection(model: &mut Model, delta: isize) {
    let visible = model.visible();
    let position = visible
        .iter()
        .position(|&i| i == model.selected)
        .unwrap_or(0);
    let next =
        (position as isize + delta).clamp(0, visible.len().saturating_sub(1) as isize) as usize;
    select_visible(model, next);
}

/// Selects the `n`th visible row (clamped).
fn select_visible(model: &mut Model, n: usize) {
    let visible = model.visible();
    if let Some(&i) = visible.get(n.min(visible.len().saturating_sub(1))) {
        model.selected = i;
    }
}

#[cfg(test)]
mod tests;
