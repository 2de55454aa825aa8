//! What the form describes: the account (and its provider) as a draft, and the new file
//! text the editor makes of it.

use super::{Choice, Editor, FLOWS, Mode};
use crate::config::edit::{
    self, AccountDraft, ConfigText, NewProvider, ProviderDraft, ProviderEdit,
};
use crate::secret::Secret;

impl Editor {
    /// What the form describes.
    pub fn draft(&self) -> Result<AccountDraft, String> {
        let provider = match self.choice() {
            Some(Choice::Existing { name, .. }) => ProviderDraft::Existing(name.clone()),
            Some(Choice::Preset { key, .. }) => ProviderDraft::New(NewProvider {
                name: self.provider_name.text().trim().to_string(),
                preset: key.clone(),
                issuer: Some(self.issuer.text().trim().to_string()).filter(|i| !i.is_empty()),
                client_id: self.client_id.text().trim().to_string(),
                client_secret: Some(Secret::new(self.client_secret.text().trim()))
                    .filter(|s| !s.is_empty()),
                template: self
                    .template
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.text().trim().to_string()))
                    .filter(|(_, v)| !v.is_empty())
                    .collect(),
                registration: crate::config::Registration::Manual,
            }),
            Some(Choice::Api) => {
                return Err("press Enter: the API's server is looked up first".into());
            }
            None => return Err("no provider to choose from".into()),
        };
        if let ProviderDraft::New(new) = &provider
            && new.preset == "generic"
            && new.issuer.is_none()
        {
            return Err("the generic preset needs the issuer URL".into());
        }
        let mut scopes: Vec<String> = self
            .scopes
            .text()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        // A new account on a provider made for an API is for that API, with its scopes
        // unless others are typed.
        let api = match (self.choice(), &self.mode) {
            (Some(Choice::Existing { api: Some(api), .. }), Mode::Add) => {
                if scopes.is_empty() {
                    scopes = api.scopes.clone();
                }
                Some(api.resource.clone())
            }
            _ => None,
        };
        let provider_edit = match (&provider, self.edits_original_provider()) {
            (ProviderDraft::Existing(name), true) => Some(ProviderEdit {
                name: name.clone(),
                issuer: self
                    .original_issuer
                    .as_ref()
                    .map(|_| self.issuer.text().trim().to_string()),
                client_id: self.client_id.text().trim().to_string(),
                client_secret: Some(Secret::new(self.client_secret.text().trim()))
                    .filter(|s| !s.is_empty()),
            }),
            _ => None,
        };
        Ok(AccountDraft {
            provider_edit,
            name: self.account.text().trim().to_string(),
            provider,
            flow: FLOWS[self.flow],
            scopes: (!scopes.is_empty()).then_some(scopes),
            api,
        })
    }

    /// The new file text, or why the draft cannot be written.
    pub(super) fn review(&self) -> Result<ConfigText, String> {
        let draft = self.draft()?;
        if draft.name.is_empty() {
            return Err("the account needs a name".into());
        }
        let before = self.before.as_deref().unwrap_or_default();
        match &self.mode {
            Mode::Add => edit::add_account(&self.path, before, &draft),
            Mode::Change { .. } => edit::change_account(&self.path, before, &draft),
        }
        .map(ConfigText::from)
        .map_err(|e| e.to_string())
    }
}
