//! A login's progress: the device code or browser URL shown, a note, its end.

use super::super::event::{Command, LoginProgress};
use super::super::model::{Activity, Confirm, LoginStage, Model, Popup};
use super::tokens::{accept_tokens, source_ready};
use chrono::Duration as ChronoDuration;

pub(super) fn login_progress(
    model: &mut Model,
    account: String,
    progress: LoginProgress,
) -> Vec<Command> {
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
        LoginProgress::Note(text) => {
            model.info(format!("'{account}': {text}"));
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
                    // A new grant: the old one's API tokens are gone from the store too.
                    for api in &mut row.apis {
                        api.tokens = None;
                    }
                    let record = *record;
                    let commands = accept_tokens(row, record.tokens);
                    let who = record
                        .identity
                        .map(|i| format!(" as {}", i.who()))
                        .unwrap_or_default();
                    model.info(format!("Logged in to '{account}'{who}"));
                    source_ready(model, &account);
                    return commands;
                }
                Err(failure) if failure.other_person => {
                    row.health.failed(failure.message.clone());
                    model.popup = Some(Popup::Confirm(Confirm::replace_user(
                        &account,
                        &failure.message,
                    )));
                }
                Err(failure) => {
                    row.health.failed(failure.message.clone());
                    model.error(format!("Login to '{account}' failed: {}", failure.message));
                }
            }
            Vec::new()
        }
    }
}
