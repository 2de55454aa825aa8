//! Outcomes of the add form's work for an account from an API's URL: the server found
//! (the change to review), the client registered (the change to write), a registration
//! deleted again.

use super::super::editor::{Review, ReviewAction};
use super::super::event::{Command, ConfigWrite};
use super::super::model::{Model, Popup};
use crate::engine::from_url::ApiServer;

/// The API's server arrived: the change to review, or why not (on the form).
pub(super) fn found(
    model: &mut Model,
    url: &str,
    result: Result<Box<ApiServer>, String>,
) -> Vec<Command> {
    // The form was closed, or looks up another URL now: this answer is not its own
    // (nothing was registered, nothing to do).
    let Some(Popup::Editor(form)) = &mut model.popup else {
        return Vec::new();
    };
    if form.finding.as_deref() != Some(url) || form.url.text().trim() != url {
        return Vec::new();
    }
    form.finding = None;
    let server = match result {
        Ok(server) => server,
        Err(e) => {
            form.error = Some(e);
            return Vec::new();
        }
    };
    let (after, registering) = match form.found_api(&server) {
        Ok(found) => found,
        Err(e) => {
            form.error = Some(e);
            return Vec::new();
        }
    };
    let account = form.account.text().trim().to_string();
    let mut review = Review::new(
        ReviewAction::Add { account },
        Some((**form).clone()),
        &form.path,
        form.before.clone(),
        after,
    );
    review.told.push(server.protected_by());
    if registering.is_some() {
        review
            .told
            .push("tokdeck registers itself there as a client when you write this".into());
    }
    review.registering = registering;
    model.popup = Some(Popup::Review(Box::new(review)));
    Vec::new()
}

/// The client was registered: write the change; or say why not.
pub(super) fn registered_for_write(
    model: &mut Model,
    result: Result<ConfigWrite, String>,
) -> Vec<Command> {
    match result {
        Ok(write) => vec![Command::SaveConfig(write)],
        Err(e) => super::config::write_failed(model, e),
    }
}

/// A registration no written change uses was deleted (or not).
pub(super) fn unregistered(model: &mut Model, result: Result<String, String>) {
    match result {
        Ok(note) => model.info(format!("The change was not written, so {note}")),
        Err(e) => model.error(format!(
            "The change was not written, and the client tokdeck registered for it could not be deleted: {e}"
        )),
    }
}
