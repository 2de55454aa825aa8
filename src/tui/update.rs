//! `update(model, msg) -> commands`: all dashboard behaviour, with no IO and no clock.

use super::editor::{self, Editor, Review, ReviewAction};
use super::event::{Command, ConfigPurpose, ConfigWrite, Failure, LoginProgress, Msg, Outcome};
use super::keys::{self, Action};
use super::model::{
    Activity, Confirm, Inspector, LoginStage, Model, Popup, Retry, Setup, TokenChoice,
};
use super::popup_keys;
use super::schedule;
use crate::config::edit::ConfigText;
use crate::secret::Secret;
use chrono::Duration as ChronoDuration;
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
        Msg::Done(outcome) => done(model, outcome),
    }
}

/// Time passes: schedule due refreshes and retries, look at the config file, re-read the
/// store now and then.
fn tick(model: &mut Model, now: chrono::DateTime<chrono::Utc>) -> Vec<Command> {
    model.now = now;
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
        if row.activity != Activity::Idle || row.needs_login || !row.auto_refreshes() {
            continue;
        }
        let due = match (&row.retry, &row.tokens) {
            (Some(retry), _) => now >= retry.at,
            (None, Some(tokens)) => {
                schedule::refresh_at(tokens, &row.name).is_some_and(|at| now >= at)
            }
            (None, None) => false,
        };
        if due {
            row.activity = Activity::Refreshing;
            commands.push(Command::Refresh {
                account: row.name.clone(),
                seen: row.tokens.as_ref().map(|t| t.access_token.clone()),
            });
        }
    }
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

fn done(model: &mut Model, outcome: Outcome) -> Vec<Command> {
    let now = model.now;
    match outcome {
        Outcome::Loaded { account, result } => {
            let Some(row) = model.row_mut(&account) else {
                return Vec::new();
            };
            // Work in flight will report its own result.
            if row.activity != Activity::Idle {
                return Vec::new();
            }
            row.loaded = true;
            match result {
                Ok(record) => {
                    let changed = row.tokens.as_ref().map(|t| &t.access_token)
                        != record.as_ref().map(|r| &r.tokens.access_token);
                    if changed {
                        // Another process logged in or refreshed: that clears our trouble.
                        row.needs_login = false;
                        row.retry = None;
                        row.last_error = None;
                    }
                    row.last_refresh = record.as_ref().and_then(|r| r.last_refresh);
                    if let Some(reason) = record.as_ref().and_then(|r| r.login_needed.clone()) {
                        row.needs_login = true;
                        row.last_error = Some(reason);
                    }
                    row.identity = record.as_ref().and_then(|r| r.identity.clone());
                    row.tokens = record.map(|r| r.tokens);
                    if changed {
                        return tokens_changed(row);
                    }
                }
                Err(e) => {
                    // Unreadable, or issued by another server than the one configured
                    // now: nothing of it may be shown, copied or refreshed.
                    row.tokens = None;
                    row.identity = None;
                    row.last_error = Some(e);
                }
            }
        }
        Outcome::Refreshed { account, result } => {
            let Some(row) = model.row_mut(&account) else {
                return Vec::new();
            };
            row.activity = Activity::Idle;
            let asked = model
                .status
                .as_ref()
                .is_some_and(|s| s.refreshing.as_deref() == Some(account.as_str()));
            let Some(row) = model.row_mut(&account) else {
                return Vec::new();
            };
            match result {
                Ok(tokens) => {
                    row.last_refresh = Some(now);
                    let left = tokens
                        .remaining(now)
                        .map(|d| {
                            format!(": access token valid for {}", crate::humanize::duration(d))
                        })
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
                    row.needs_login = true;
                    row.retry = None;
                    row.last_error = Some(message.clone());
                    if asked {
                        model.error(format!("Refresh of '{account}' failed: {message}"));
                    }
                }
                Err(Failure { message, .. }) => {
                    let attempt = row.retry.map_or(1, |r| r.attempt + 1);
                    let wait = schedule::backoff(attempt);
                    row.retry = Some(Retry {
                        attempt,
                        at: now + ChronoDuration::from_std(wait).unwrap_or(ChronoDuration::zero()),
                    });
                    let left = row
                        .tokens
                        .as_ref()
                        .and_then(|t| t.remaining(now))
                        .filter(|l| l.num_seconds() > 0);
                    row.last_error = Some(message.clone());
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
                }
            }
        }
        Outcome::Login { account, progress } => return login_progress(model, account, progress),
        Outcome::LoggedOut { account, result } => {
            if let Some(row) = model.row_mut(&account) {
                row.activity = Activity::Idle;
                if result.is_ok() {
                    row.tokens = None;
                    row.retry = None;
                    row.needs_login = false;
                    row.last_error = None;
                }
            }
            match result {
                Ok(notes) if notes.is_empty() => model.info(format!("Logged out of '{account}'")),
                Ok(notes) => model.info(format!("Logged out of '{account}': {}", notes.join("; "))),
                Err(e) => model.error(format!("Logout of '{account}' failed: {e}")),
            }
        }
        Outcome::Copied { what, result } => match result {
            Ok(via) => {
                let clear = model
                    .clipboard_clear
                    .map(|d| format!("; clears in {} s", d.as_secs()))
                    .unwrap_or_default();
                model.info(format!("Copied {what} to the clipboard ({via}){clear}"));
            }
            Err(e) => model.error(format!("Could not copy {what}: {e}")),
        },
        Outcome::BrowserFailed(e) => model.error(e),
        Outcome::Verified { account, trust } => {
            if let Some(row) = model.row_mut(&account) {
                row.trust = Some(trust);
            }
        }
        Outcome::InspectorChecked(checked) => {
            if let Some(Popup::Inspector(inspector)) = &mut model.popup {
                inspector.checked = Some(checked);
            }
        }
        Outcome::ProviderJson { title, result } => {
            model.status = None;
            model.popup = Some(Popup::Json {
                title,
                body: result,
                scroll: 0,
            });
        }
        Outcome::ConfigRead { purpose, result } => return config_read(model, purpose, result),
        Outcome::LoggedOutForWrite {
            account,
            result,
            write,
        } => match result {
            Ok(notes) => {
                if let Some(row) = model.row_mut(&account) {
                    row.tokens = None;
                    row.trust = None;
                    row.activity = Activity::Idle;
                }
                let mut write = write;
                if !notes.is_empty() {
                    write.done = format!("{} ({})", write.done, notes.join("; "));
                }
                return vec![Command::SaveConfig(write)];
            }
            Err(e) => {
                if let Some(row) = model.row_mut(&account) {
                    row.activity = Activity::Idle;
                }
                return write_failed(
                    model,
                    format!(
                        "'{account}' was left as it was: {e}. To go ahead without revoking its tokens, review again and press f"
                    ),
                );
            }
        },
        Outcome::ConfigSaved { write, result } => return config_saved(model, write, result),
        Outcome::ConfigChanged(result) => return config_changed(model, result),
    }
    Vec::new()
}

/// The config text arrived: open the editor, or show what removing an account changes.
fn config_read(
    model: &mut Model,
    purpose: ConfigPurpose,
    result: Result<Option<ConfigText>, String>,
) -> Vec<Command> {
    let text = match result {
        Ok(text) => text,
        Err(e) => {
            model.error(format!("Could not read the config: {e}"));
            return Vec::new();
        }
    };
    let path = model.config_path.clone();
    let mode = match purpose {
        ConfigPurpose::RefreshForm => {
            // The form's next review starts from the file as it is now.
            if let Some(Popup::Editor(form)) = &mut model.popup {
                form.before = text;
            }
            return Vec::new();
        }
        ConfigPurpose::Add => editor::Mode::Add,
        ConfigPurpose::Change(account) => editor::Mode::Change { account },
        ConfigPurpose::Remove(account) => {
            let before = text.as_deref().unwrap_or_default();
            match crate::config::edit::remove_account(&path, before, &account) {
                Ok(after) => {
                    model.popup = Some(Popup::Review(Box::new(Review::new(
                        ReviewAction::Remove { account },
                        None,
                        &path,
                        text,
                        after.into(),
                    ))));
                }
                Err(e) => model.error(format!("Cannot remove '{account}': {e}")),
            }
            return Vec::new();
        }
    };
    match Editor::open(&path, text, mode) {
        Ok(editor) => model.popup = Some(Popup::Editor(Box::new(editor))),
        Err(e) => model.error(e),
    }
    Vec::new()
}

/// The config was written and loaded again: the list follows it, keeping what is known.
fn config_saved(
    model: &mut Model,
    write: ConfigWrite,
    result: Result<super::event::Reloaded, String>,
) -> Vec<Command> {
    let reloaded = match result {
        Ok(r) => r,
        Err(e) => {
            for row in &mut model.accounts {
                if row.activity == Activity::LoggingOut {
                    row.activity = Activity::Idle;
                }
            }
            return write_failed(model, e);
        }
    };
    model.popup = None;
    model.last_form = None;
    use_config(model, reloaded, write.select.clone());
    model.info(write.done.clone());
    if let Some(provider) = &write.offer_provider_removal
        && let Ok(after) = crate::config::edit::remove_provider(&write.path, &write.after, provider)
    {
        model.popup = Some(Popup::Review(Box::new(Review::new(
            ReviewAction::RemoveProvider {
                provider: provider.clone(),
            },
            None,
            &write.path,
            Some(write.after.clone()),
            after.into(),
        ))));
    }
    let mut commands = vec![Command::LoadAll];
    if write.login
        && let Some(name) = write.select
    {
        commands.extend(start_login(model, name));
    }
    commands
}

/// A write did not happen: say why, and bring the form back (with the file as it is now)
/// so that nothing typed is lost.
fn write_failed(model: &mut Model, message: String) -> Vec<Command> {
    model.error(message.clone());
    match model.last_form.take() {
        Some(mut form) => {
            form.error = Some(message);
            model.popup = Some(Popup::Editor(form));
            vec![Command::ReadConfig(ConfigPurpose::RefreshForm)]
        }
        None => Vec::new(),
    }
}

/// The config file changed on disk (edited by hand): follow it, or say why not.
fn config_changed(
    model: &mut Model,
    result: Result<super::event::Reloaded, String>,
) -> Vec<Command> {
    match result {
        Ok(reloaded) => {
            let count = reloaded.rows.len();
            use_config(model, reloaded, None);
            model.info(format!(
                "{} changed; reloaded ({count} account{})",
                model.config_path.display(),
                if count == 1 { "" } else { "s" }
            ));
            vec![Command::LoadAll]
        }
        Err(e) if model.setup == Setup::Ready => {
            model.error(format!(
                "Config not reloaded, still using the previous one: {e}"
            ));
            Vec::new()
        }
        Err(e) => {
            model.setup = Setup::Broken { message: e };
            Vec::new()
        }
    }
}

/// Switches the list to a freshly loaded config, keeping what is known of each account.
fn use_config(model: &mut Model, reloaded: super::event::Reloaded, select: Option<String>) {
    let previous = model.selected_row().map(|r| r.name.clone());
    let mut old: std::collections::HashMap<String, super::model::AccountRow> = model
        .accounts
        .drain(..)
        .map(|r| (r.name.clone(), r))
        .collect();
    let mut rows: Vec<_> = reloaded
        .rows
        .into_iter()
        .map(|fresh| match old.remove(&fresh.name) {
            Some(mut row) => {
                row.provider = fresh.provider;
                row.flow = fresh.flow;
                row
            }
            None => fresh,
        })
        .collect();
    rows.sort_by(|a, b| (&a.provider, &a.name).cmp(&(&b.provider, &b.name)));
    model.accounts = rows;
    model.setup = Setup::Ready;
    model.clipboard_clear = reloaded.clipboard_clear;
    model.here = reloaded.here;
    model.filter.set("");
    let select = select.or(previous);
    model.selected = select
        .and_then(|name| model.accounts.iter().position(|r| r.name == name))
        .unwrap_or(0)
        .min(model.accounts.len().saturating_sub(1));
}

/// Fresh tokens from a refresh or a login clear the row's trouble.
fn accept_tokens(
    row: &mut super::model::AccountRow,
    tokens: crate::oauth::TokenSet,
) -> Vec<Command> {
    row.tokens = Some(tokens);
    row.loaded = true;
    row.needs_login = false;
    row.retry = None;
    row.last_error = None;
    tokens_changed(row)
}

/// New tokens: their old verdicts no longer apply; check the new ones.
fn tokens_changed(row: &mut super::model::AccountRow) -> Vec<Command> {
    row.trust = None;
    match &row.tokens {
        Some(_) => vec![Command::Verify(row.name.clone())],
        None => Vec::new(),
    }
}

fn login_progress(model: &mut Model, account: String, progress: LoginProgress) -> Vec<Command> {
    let in_popup = matches!(&model.popup, Some(Popup::Login { account: a, .. }) if *a == account);
    match progress {
        LoginProgress::Device {
            user_code,
            verification_uri,
            complete,
            expires_in,
        } => {
            if in_popup {
                model.popup = Some(Popup::Login {
                    account,
                    stage: LoginStage::Device {
                        user_code,
                        verification_uri,
                        complete,
                        expires_at: model.now
                            + ChronoDuration::from_std(expires_in)
                                .unwrap_or(ChronoDuration::zero()),
                    },
                });
            }
            Vec::new()
        }
        LoginProgress::Browser { url } => {
            if !in_popup {
                return Vec::new();
            }
            model.popup = Some(Popup::Login {
                account,
                stage: LoginStage::Browser { url: url.clone() },
            });
            vec![Command::OpenBrowser(url)]
        }
        LoginProgress::Finished(result) => {
            if in_popup {
                model.popup = None;
            }
            let Some(row) = model.row_mut(&account) else {
                return Vec::new();
            };
            row.activity = Activity::Idle;
            match result {
                Ok(record) => {
                    row.last_refresh = None;
                    row.identity = record.identity.clone();
                    let record = *record;
                    let commands = accept_tokens(row, record.tokens);
                    let who = record
                        .identity
                        .map(|i| format!(" as {}", i.who()))
                        .unwrap_or_default();
                    model.info(format!("Logged in to '{account}'{who}"));
                    return commands;
                }
                Err(failure) if failure.other_person => {
                    row.last_error = Some(failure.message.clone());
                    model.popup = Some(Popup::Confirm(Confirm::replace_user(
                        &account,
                        &failure.message,
                    )));
                }
                Err(failure) => {
                    row.last_error = Some(failure.message.clone());
                    model.error(format!("Login to '{account}' failed: {}", failure.message));
                }
            }
            Vec::new()
        }
    }
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
        model.quit = true;
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
        Action::Quit => model.quit = true,
        Action::Help => model.popup = Some(Popup::Help),
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
        Action::Reveal => model.reveal = !model.reveal,
        Action::Inspect => open_inspector(model, None),
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

/// Actions on the selected account.
fn on_account(model: &mut Model, action: Action, name: String) -> Vec<Command> {
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
        Action::Change => vec![Command::ReadConfig(ConfigPurpose::Change(name))],
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

fn start_login(model: &mut Model, name: String) -> Vec<Command> {
    let Some(row) = model.row_mut(&name) else {
        return Vec::new();
    };
    if row.activity != Activity::Idle {
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
    row.retry = None;
    model.info(format!("Refreshing '{name}'…"));
    if let Some(status) = &mut model.status {
        status.refreshing = Some(name.clone());
    }
    vec![Command::Refresh {
        account: name,
        seen: None,
    }]
}

#[derive(Clone, Copy)]
enum CopyWhat {
    Access,
    Id,
    Header,
}

fn copy(model: &mut Model, what: CopyWhat) -> Vec<Command> {
    let Some(row) = model.selected_row() else {
        return Vec::new();
    };
    let name = row.name.clone();
    let Some(tokens) = &row.tokens else {
        model.error(format!("'{name}' has no token to copy; press l to log in"));
        return Vec::new();
    };
    let (label, text) = match what {
        CopyWhat::Access => (
            "the access token",
            Some(tokens.access_token.expose().to_string()),
        ),
        CopyWhat::Id => (
            "the ID token",
            tokens.id_token.as_ref().map(|t| t.expose().to_string()),
        ),
        CopyWhat::Header => (
            "the Authorization header",
            Some(tokens.authorization_header()),
        ),
    };
    let Some(text) = text else {
        model.error(format!("'{name}' holds no ID token"));
        return Vec::new();
    };
    vec![Command::Copy {
        what: format!("{label} of '{name}'"),
        text: Secret::new(text),
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
        Some(Popup::Inspector(inspector)) if inspector.issuer_input.is_some() => {
            if let Some(input) = &mut inspector.issuer_input {
                input.insert_str(text.trim(), |c| !c.is_whitespace());
            }
        }
        // A question or a login in progress: a paste answers nothing.
        Some(Popup::Confirm(_) | Popup::Review(_) | Popup::Login { .. }) => {}
        _ => open_inspector(model, Some(text)),
    }
}

fn open_inspector(model: &mut Model, pasted: Option<String>) {
    let inspector = match pasted {
        None => Inspector {
            token: None,
            decoded: None,
            scroll: 0,
            checked: None,
            issuer_input: None,
            note: None,
        },
        Some(text) if text.len() > MAX_PASTE_BYTES => Inspector {
            token: None,
            decoded: Some(Err(format!(
                "the paste is {} KiB; a token is at most {} KiB",
                text.len() / 1024,
                MAX_PASTE_BYTES / 1024
            ))),
            scroll: 0,
            checked: None,
            issuer_input: None,
            note: None,
        },
        Some(text) => {
            let token = text.trim().to_string();
            Inspector {
                decoded: Some(crate::jwt::decode(&token).map_err(|e| e.to_string())),
                token: Some(Secret::new(token)),
                scroll: 0,
                checked: None,
                issuer_input: None,
                note: None,
            }
        }
    };
    model.popup = Some(Popup::Inspector(inspector));
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
