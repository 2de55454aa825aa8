//! Outcomes of config work: the file read for the editor, written and loaded again,
//! changed on disk by hand.

use super::super::editor::{self, Editor, Review, ReviewAction};
use super::super::event::{Command, ConfigPurpose, ConfigWrite, Reloaded};
use super::super::model::{Activity, Model, Popup, Setup};
use crate::config::edit::ConfigText;

/// The config text arrived: open the editor, or show what removing an account changes.
pub(super) fn read(
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
pub(super) fn saved(
    model: &mut Model,
    write: ConfigWrite,
    result: Result<Reloaded, String>,
) -> Vec<Command> {
    let reloaded = match result {
        Ok(r) => r,
        Err(e) => {
            for row in &mut model.accounts {
                if row.activity == Activity::LoggingOut {
                    row.activity = Activity::Idle;
                }
            }
            let mut commands = write_failed(model, e);
            // A client registered for a change that was not written goes again.
            if let Some((provider, registration)) = write.registered {
                commands.push(Command::Unregister {
                    provider,
                    registration,
                });
            }
            return commands;
        }
    };
    model.popup = None;
    model.last_form = None;
    use_config(model, reloaded, write.select.clone());
    model.info(write.done.clone());
    if let Some(provider) = &write.offer_provider_removal
        && let Ok(after) = crate::config::edit::remove_provider(&write.path, &write.after, provider)
    {
        model.popup = Some(Popup::Review(Box::new(Review::removing_provider(
            provider,
            &write.path,
            write.after.clone(),
            after.into(),
        ))));
    }
    let mut commands = vec![Command::LoadAll];
    if write.login
        && let Some(name) = write.select
    {
        commands.extend(super::super::update::start_login(model, name));
    }
    commands
}

/// A write did not happen: say why, and bring the form back (with the file as it is now)
/// so that nothing typed is lost.
pub(super) fn write_failed(model: &mut Model, message: String) -> Vec<Command> {
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
pub(super) fn changed(model: &mut Model, result: Result<Reloaded, String>) -> Vec<Command> {
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
pub(in crate::tui) fn use_config(model: &mut Model, reloaded: Reloaded, select: Option<String>) {
    let previous = model.selected_row().map(|r| r.name.clone());
    let mut old: std::collections::HashMap<String, super::super::model::AccountRow> = model
        .accounts
        .drain(..)
        .map(|r| (r.name.clone(), r))
        .collect();
    let mut rows: Vec<_> = reloaded
        .rows
        .into_iter()
        .map(|fresh| match old.remove(&fresh.name) {
            // A table broken now (or mended) starts afresh: nothing of a broken
            // account's tokens may be shown, copied or refreshed.
            Some(row)
                if row.health.config_error().is_some() || fresh.health.config_error().is_some() =>
            {
                // Work in flight still reports (and is still waited for at quit).
                let mut fresh = fresh;
                fresh.activity = row.activity;
                fresh
            }
            Some(mut row) => {
                row.provider = fresh.provider;
                row.source = fresh.source;
                // The APIs as configured now, keeping the tokens of those still there.
                let mut apis = fresh.apis;
                for api in &mut apis {
                    if let Some(kept) = row.apis.iter().find(|a| a.resource == api.resource) {
                        *api = kept.clone();
                    }
                }
                row.apis = apis;
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

/// The account was logged out so that the config can be written without it (or with it
/// on another provider): write it now, or keep everything as it was.
pub(super) fn logged_out_for_write(
    model: &mut Model,
    account: &str,
    result: Result<Vec<String>, String>,
    mut write: ConfigWrite,
) -> Vec<Command> {
    match result {
        Ok(notes) => {
            if let Some(row) = model.row_mut(account) {
                row.tokens = None;
                row.trust = None;
                row.activity = Activity::Idle;
            }
            if !notes.is_empty() {
                write.done = format!("{} ({})", write.done, notes.join("; "));
            }
            vec![Command::SaveConfig(write)]
        }
        Err(e) => {
            if let Some(row) = model.row_mut(account) {
                row.activity = Activity::Idle;
            }
            write_failed(
                model,
                format!(
                    "'{account}' was left as it was: {e}. To go ahead without revoking its tokens, review again and pick \"without revoking\""
                ),
            )
        }
    }
}
