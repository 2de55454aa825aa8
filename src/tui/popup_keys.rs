//! Keys while a popup is open: each popup has its own handler, and this module only
//! dispatches. Questions that cost tokens (log out, remove, move, discard a form, make an
//! account another person's) are answered by Enter on a highlighted answer, never by a
//! letter: a pasted token cannot answer them.

use super::editor::{self, Review, ReviewAction, ReviewAnswer};
use super::event::{Command, ConfigWrite};
use super::model::{Activity, Answer, Confirm, LoginStage, Model, Popup};
use crate::secret::Secret;
use crossterm::event::{KeyCode, KeyEvent};

pub fn key(model: &mut Model, key: KeyEvent) -> Vec<Command> {
    let Some(popup) = &mut model.popup else {
        return Vec::new();
    };
    match popup {
        Popup::Help { scroll } => {
            match key.code {
                KeyCode::Esc | KeyCode::Char('?' | 'q') => model.popup = None,
                KeyCode::Down | KeyCode::Char('j') => *scroll = scroll.saturating_add(1),
                KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                KeyCode::PageDown => *scroll = scroll.saturating_add(10),
                KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
                _ => {}
            }
            Vec::new()
        }
        Popup::Confirm(_) => confirm_key(model, key),
        Popup::Inspector(_) => super::inspector_keys::key(model, key),
        Popup::Editor(_) => editor_key(model, key),
        Popup::Review(_) => review_key(model, key),
        Popup::Json { scroll, .. } => {
            match key.code {
                KeyCode::Esc | KeyCode::Char('q') => model.popup = None,
                KeyCode::Down | KeyCode::Char('j') => *scroll = scroll.saturating_add(1),
                KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                _ => {}
            }
            Vec::new()
        }
        Popup::Login { .. } => login_key(model, key),
    }
}

/// How a list of answers takes a key.
enum Pick {
    Nothing,
    Chosen(usize),
    Cancelled,
}

/// ← → Tab move the highlight, Enter picks, Esc cancels; nothing else answers.
fn pick(highlighted: &mut usize, count: usize, key: KeyEvent) -> Pick {
    match key.code {
        KeyCode::Left | KeyCode::BackTab => *highlighted = (*highlighted + count - 1) % count,
        KeyCode::Right | KeyCode::Tab => *highlighted = (*highlighted + 1) % count,
        KeyCode::Enter => return Pick::Chosen(*highlighted),
        KeyCode::Esc => return Pick::Cancelled,
        _ => {}
    }
    Pick::Nothing
}

fn confirm_key(model: &mut Model, key: KeyEvent) -> Vec<Command> {
    let Some(Popup::Confirm(confirm)) = &mut model.popup else {
        return Vec::new();
    };
    let count = confirm.answers.len();
    let answer = match pick(&mut confirm.highlighted, count, key) {
        Pick::Nothing => return Vec::new(),
        Pick::Chosen(i) => confirm.answers[i].1.clone(),
        // Esc is "no": back to the form for a form's question, else close.
        Pick::Cancelled if is_about_form(confirm) => Answer::BackToForm,
        Pick::Cancelled => Answer::Keep,
    };
    model.popup = None;
    let commands = match answer {
        Answer::Keep => Vec::new(),
        Answer::Agent { id, answer } => super::agent::answer(model, id, answer),
        Answer::BackToForm => {
            model.popup = model.last_form.take().map(Popup::Editor);
            Vec::new()
        }
        Answer::DiscardForm => {
            model.last_form = None;
            Vec::new()
        }
        Answer::Logout(account) => {
            if let Some(row) = model.row_mut(&account) {
                row.activity = Activity::LoggingOut;
            }
            vec![Command::Logout(account)]
        }
        Answer::ReplaceUser(account) => {
            model.popup = Some(Popup::Login {
                account: account.clone(),
                stage: LoginStage::Starting,
            });
            if let Some(row) = model.row_mut(&account) {
                row.activity = Activity::LoggingIn;
            }
            vec![Command::Login {
                account,
                replace_user: true,
            }]
        }
    };
    // The agent's next waiting request, once this question is closed.
    super::agent::ask_next(model);
    commands
}

fn is_about_form(confirm: &Confirm) -> bool {
    confirm
        .answers
        .iter()
        .any(|(_, a)| *a == Answer::BackToForm)
}

fn editor_key(model: &mut Model, key: KeyEvent) -> Vec<Command> {
    let Some(Popup::Editor(form)) = &mut model.popup else {
        return Vec::new();
    };
    match form.key(key) {
        editor::Step::Stay => {}
        editor::Step::Cancel if form.is_filled() => {
            // A filled form is not thrown away on one key.
            let Some(Popup::Editor(form)) = model.popup.take() else {
                return Vec::new();
            };
            model.last_form = Some(form);
            model.popup = Some(Popup::Confirm(Confirm::discard_form()));
        }
        editor::Step::Cancel => model.popup = None,
        editor::Step::FindApi(ask) => return vec![Command::FindApi(ask)],
        editor::Step::Review(after) => {
            let account = form.account.text().trim().to_string();
            let action = match form.mode {
                editor::Mode::Add => ReviewAction::Add { account },
                editor::Mode::Change { .. } => ReviewAction::Change {
                    account,
                    provider_changed: form.provider_changed(),
                },
            };
            let mut review = Review::new(
                action,
                Some((**form).clone()),
                &form.path,
                form.before.clone(),
                after,
            );
            if matches!(form.mode, editor::Mode::Change { .. }) && form.scopes_changed() {
                review
                    .notes
                    .push("the new scopes take effect at the next login (press l)".into());
            }
            if form.provider_server_changed() {
                let provider = form.original_provider.clone().unwrap_or_default();
                review.notes.push(changed_server_note(model, &provider));
            }
            model.popup = Some(Popup::Review(Box::new(review)));
        }
    }
    Vec::new()
}

/// What a changed issuer or client means for the accounts on that provider that hold
/// tokens: they are bound to the old one, and only it can revoke them.
fn changed_server_note(model: &Model, provider: &str) -> String {
    let holding: Vec<&str> = model
        .accounts
        .iter()
        .filter(|r| r.provider == provider && r.tokens.is_some())
        .map(|r| r.name.as_str())
        .collect();
    if holding.is_empty() {
        return format!("no account of '{provider}' holds tokens: nothing to log in again");
    }
    format!(
        "the tokens of '{}' were issued by the old issuer or client and will not be used any more: log them out first to revoke them there (x), or log them in again afterwards",
        holding.join("', '")
    )
}

/// ↑↓ scroll the diff; the answers are picked with ← → and Enter; Esc goes back.
fn review_key(model: &mut Model, key: KeyEvent) -> Vec<Command> {
    let Some(Popup::Review(review)) = &mut model.popup else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => review.scroll = review.scroll.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') => review.scroll = review.scroll.saturating_sub(1),
        _ => {}
    }
    let answers = review.answers();
    let answer = match pick(&mut review.highlighted, answers.len(), key) {
        Pick::Nothing => return Vec::new(),
        Pick::Chosen(i) => answers[i].1,
        Pick::Cancelled => ReviewAnswer::Back,
    };
    if answer == ReviewAnswer::Back {
        model.popup = review.editor.take().map(Popup::Editor);
        return Vec::new();
    }
    let Some(Popup::Review(review)) = model.popup.take() else {
        return Vec::new();
    };
    write_reviewed(model, *review, answer)
}

/// The commands that write a reviewed change, logging the account out first where its
/// tokens cannot stay.
fn write_reviewed(model: &mut Model, mut review: Review, answer: ReviewAnswer) -> Vec<Command> {
    let file = review.path.display().to_string();
    let (account, select, mut done) = match &review.action {
        ReviewAction::Add { account } => (
            account.clone(),
            Some(account.clone()),
            format!("Added '{account}' to {file}"),
        ),
        ReviewAction::Change {
            account,
            provider_changed,
        } => (
            account.clone(),
            Some(account.clone()),
            if *provider_changed {
                format!("Moved '{account}' to its new provider in {file}; press l to log in there")
            } else {
                format!("Saved the changes to '{account}' in {file}")
            },
        ),
        ReviewAction::Remove { account } => (
            account.clone(),
            None,
            format!("Removed '{account}' from {file}"),
        ),
        ReviewAction::RemoveProvider { provider } => (
            String::new(),
            None,
            format!("Removed the provider '{provider}' from {file}"),
        ),
    };
    let offer_provider_removal = match &review.action {
        ReviewAction::Remove { account } => crate::config::edit::left_unused(
            &review.path,
            review.before.as_deref().unwrap_or_default(),
            account,
        ),
        _ => None,
    };
    for note in &review.notes {
        done.push_str("; ");
        done.push_str(note);
    }
    let login = matches!(
        answer,
        ReviewAnswer::Write { login: true } | ReviewAnswer::Revoke { login: true }
    );
    let write = ConfigWrite {
        path: review.path.clone(),
        before: review.before.clone(),
        after: review.after.clone(),
        done,
        select,
        login,
        offer_provider_removal,
        registered: None,
    };
    // The form comes back if the write fails, so nothing typed is lost.
    model.last_form = review.editor.take();
    if let Some(registering) = review.registering.take() {
        return vec![Command::RegisterThenWrite {
            registering: Box::new(registering),
            write,
        }];
    }
    // A provider table tokdeck registered the client of goes with its registration.
    if let ReviewAction::RemoveProvider { provider } = &review.action
        && review.unregisters
    {
        return vec![Command::UnregisterThenWrite {
            provider: provider.clone(),
            write,
        }];
    }
    let tokens_go = matches!(
        answer,
        ReviewAnswer::Revoke { .. } | ReviewAnswer::DeleteOnly
    );
    let holds_tokens = model
        .row_mut(&account)
        .is_some_and(|row| row.tokens.is_some() || !row.health.loaded());
    if tokens_go && holds_tokens {
        if let Some(row) = model.row_mut(&account) {
            row.activity = Activity::LoggingOut;
        }
        return vec![Command::LogoutThenWrite {
            account,
            revoke: matches!(answer, ReviewAnswer::Revoke { .. }),
            write,
        }];
    }
    vec![Command::SaveConfig(write)]
}

fn login_key(model: &mut Model, key: KeyEvent) -> Vec<Command> {
    let Some(Popup::Login { account, stage }) = &model.popup else {
        return Vec::new();
    };
    match (key.code, stage) {
        (KeyCode::Esc, _) => {
            let account = account.clone();
            model.popup = None;
            if let Some(row) = model.row_mut(&account) {
                row.activity = Activity::Idle;
            }
            model.info(format!("Login to '{account}' cancelled"));
            vec![Command::CancelLogin]
        }
        (
            KeyCode::Char('o'),
            LoginStage::Device {
                verification_uri,
                complete,
                ..
            },
        ) => vec![Command::OpenBrowser(
            complete.clone().unwrap_or_else(|| verification_uri.clone()),
        )],
        (KeyCode::Char('o'), LoginStage::Browser { url }) => {
            vec![Command::OpenBrowser(url.clone())]
        }
        (KeyCode::Char('c'), LoginStage::Device { user_code, .. }) => vec![Command::Copy {
            what: "the user code".into(),
            text: Secret::new(user_code.clone()),
            clear_after: None,
        }],
        _ => Vec::new(),
    }
}
