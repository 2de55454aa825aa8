//! A change to config.toml waiting for the user's answer.

use super::Editor;
use crate::config::edit::{self, ConfigText, DiffLine};
use std::path::{Path, PathBuf};

/// A change waiting for the user's yes.
#[derive(Debug, Clone)]
pub struct Review {
    pub action: ReviewAction,
    pub path: PathBuf,
    pub before: Option<ConfigText>,
    pub after: ConfigText,
    pub diff: Vec<DiffLine>,
    /// The form to go back to (Esc), for adds and changes.
    pub editor: Option<Box<Editor>>,
    pub scroll: u16,
    /// Index into [`Review::answers`].
    pub highlighted: usize,
    /// Said with the result once the change is written.
    pub notes: Vec<String>,
    /// The client tokdeck registers when the change is written.
    pub registering: Option<super::Registering>,
    /// Shown with the change, not repeated once it is written (what the API's URL led
    /// to).
    pub told: Vec<String>,
    /// The provider table being removed is one tokdeck registered the client of: the
    /// registration is deleted at the server first.
    pub unregisters: bool,
}

/// What the user can do with a reviewed change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewAnswer {
    /// Back to the form (or, for a removal, keep the account).
    Back,
    /// Write the file; then log in with `login`.
    Write { login: bool },
    /// Revoke the account's tokens at the provider that issued them, then write.
    Revoke { login: bool },
    /// Delete the account's tokens here without revoking them, then write.
    DeleteOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewAction {
    Add {
        account: String,
    },
    /// With `provider_changed`, the tokens from the old provider are revoked there first.
    Change {
        account: String,
        provider_changed: bool,
    },
    /// Log out (revoke, delete the tokens), then remove the table.
    Remove {
        account: String,
    },
    /// Remove a provider table no account uses any more (offered after a removal).
    RemoveProvider {
        provider: String,
    },
}

impl Review {
    /// A removal of `provider`'s table, which `before` says tokdeck registered the
    /// client of (`registration = "dynamic"`).
    pub fn removing_provider(
        provider: &str,
        path: &Path,
        before: ConfigText,
        after: ConfigText,
    ) -> Self {
        let unregisters = crate::config::Config::parse(path, &before, None).is_ok_and(|c| {
            c.providers
                .get(provider)
                .is_some_and(|p| p.registration == crate::config::Registration::Dynamic)
        });
        let mut review = Self::new(
            ReviewAction::RemoveProvider {
                provider: provider.to_string(),
            },
            None,
            path,
            Some(before),
            after,
        );
        review.unregisters = unregisters;
        review
    }

    pub fn new(
        action: ReviewAction,
        editor: Option<Editor>,
        path: &Path,
        before: Option<ConfigText>,
        after: ConfigText,
    ) -> Self {
        Self {
            diff: edit::diff(before.as_deref().unwrap_or_default(), &after, 2),
            action,
            path: path.to_path_buf(),
            before,
            after,
            editor: editor.map(Box::new),
            scroll: 0,
            highlighted: 0,
            notes: Vec::new(),
            registering: None,
            told: Vec::new(),
            unregisters: false,
        }
    }

    /// The answers, the harmless one first where the change costs tokens.
    pub fn answers(&self) -> Vec<(&'static str, ReviewAnswer)> {
        use ReviewAnswer::*;
        match &self.action {
            ReviewAction::Add { .. }
            | ReviewAction::Change {
                provider_changed: false,
                ..
            } => vec![
                ("Write", Write { login: false }),
                ("Write and log in", Write { login: true }),
                ("Back to the form", Back),
            ],
            ReviewAction::Change { .. } => vec![
                ("Back to the form", Back),
                ("Revoke there, write", Revoke { login: false }),
                ("…and log in", Revoke { login: true }),
                ("Only delete, write", DeleteOnly),
            ],
            ReviewAction::RemoveProvider { .. } => {
                vec![("Keep it", Back), ("Remove it", Write { login: false })]
            }
            ReviewAction::Remove { .. } => vec![
                ("Keep the account", Back),
                ("Revoke and remove", Revoke { login: false }),
                ("Remove without revoking", DeleteOnly),
            ],
        }
    }
}
