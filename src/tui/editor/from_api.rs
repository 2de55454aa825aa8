//! The form's new provider from an API's URL: what is asked of the URL, and the change
//! once the API's server is known (tokdeck's client registered when it is written).

use super::api::{ApiAsk, Registering, UNREGISTERED};
use super::{Editor, FLOWS};
use crate::config::Registration;
use crate::config::edit::{self, AccountDraft, ConfigText, NewProvider, ProviderDraft};
use crate::engine::from_url::ApiServer;

impl Editor {
    /// The URL (and server and scopes) to look up, or what is missing.
    pub(super) fn api_ask(&self) -> Result<ApiAsk, String> {
        if self.account.text().trim().is_empty() {
            return Err("the account needs a name".into());
        }
        let url = self.url.text().trim();
        if url.is_empty() {
            return Err("the API's URL is needed (https://…, as you would call the API)".into());
        }
        crate::oauth::resource_metadata::resource_identifier(url).map_err(|e| e.to_string())?;
        Ok(ApiAsk {
            url: url.to_string(),
            issuer: Some(self.issuer.text().trim().to_string()).filter(|i| !i.is_empty()),
            scopes: self
                .scopes
                .text()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        })
    }

    /// The change for the API's server, and the client to register when it is written
    /// (none when a client ID was typed).
    pub fn found_api(
        &self,
        server: &ApiServer,
    ) -> Result<(ConfigText, Option<Registering>), String> {
        let name = self.provider_name.text().trim().to_string();
        let typed = self.client_id.text().trim().to_string();
        let registers = typed.is_empty();
        if registers {
            crate::engine::registration::registration_endpoint(
                &server.endpoints,
                &name,
                crate::engine::registration::ByHand::AddForm,
            )
            .map_err(|e| e.to_string())?;
        }
        let draft = AccountDraft {
            name: self.account.text().trim().to_string(),
            provider: ProviderDraft::New(NewProvider {
                name: name.clone(),
                preset: "generic".into(),
                issuer: Some(server.issuer.clone()),
                client_id: if registers {
                    UNREGISTERED.into()
                } else {
                    typed
                },
                client_secret: None,
                template: Default::default(),
                registration: if registers {
                    Registration::Dynamic
                } else {
                    Registration::Manual
                },
            }),
            flow: FLOWS[self.flow],
            scopes: Some(server.scopes.clone()),
            provider_edit: None,
            api: Some(server.resource.clone()),
        };
        let before = self.before.as_deref().unwrap_or_default();
        let text = edit::add_account(&self.path, before, &draft).map_err(|e| e.to_string())?;
        let registering = registers.then(|| Registering {
            provider: name,
            endpoints: server.endpoints.clone(),
            scopes: server.scopes.clone(),
            draft,
        });
        Ok((ConfigText::from(text), registering))
    }
}
