//! What each field of the form is: its label, how it is shown, its hint, which
//! characters it takes; and whether the values differ from those the form opened with.

use super::{Choice, Editor, FLOWS, Field};
use crate::config::Flow;
use crate::config::edit::ConfigText;
use crate::config::preset;
use crate::tui::text_input::TextInput;

impl Editor {
    /// Every value of the form, as a list to compare.
    pub(super) fn values(&self) -> Vec<String> {
        let mut values = vec![
            self.account.text().to_string(),
            self.provider.to_string(),
            self.provider_name.text().to_string(),
            self.issuer.text().to_string(),
            self.client_id.text().to_string(),
            self.client_secret.text().to_string(),
            self.flow.to_string(),
            self.scopes.text().to_string(),
            self.url.text().to_string(),
        ];
        values.extend(self.template.values().map(|t| t.text().to_string()));
        values
    }

    /// The user has typed or chosen something since the form opened.
    pub fn is_filled(&self) -> bool {
        self.values() != self.opened_with
    }

    /// The scopes as typed differ from what the account asks for now (a new login is
    /// needed for them to take effect).
    pub fn scopes_changed(&self) -> bool {
        self.opened_with.get(7).map(String::as_str) != Some(self.scopes.text())
    }

    /// The provider's issuer or client ID is being changed: tokens issued before are
    /// bound to the old ones and are not used any more.
    pub fn provider_server_changed(&self) -> bool {
        self.edits_original_provider()
            && (self.opened_with.get(3).map(String::as_str) != Some(self.issuer.text())
                || self.opened_with.get(4).map(String::as_str) != Some(self.client_id.text()))
    }

    pub fn label(field: Field) -> String {
        match field {
            Field::Account => "Account name".into(),
            Field::Provider => "Provider".into(),
            Field::ProviderName => "Provider name".into(),
            Field::Issuer => "Issuer URL".into(),
            Field::Url => "API URL".into(),
            Field::Template("authorization_server") => "Auth server".into(),
            Field::Template("base_url") => "Base URL".into(),
            Field::Template(name) => {
                let mut label = name.to_string();
                label[..1].make_ascii_uppercase();
                label
            }
            Field::ClientId => "Client ID".into(),
            Field::ClientSecret => "Client secret".into(),
            Field::Flow => "Flow".into(),
            Field::Scopes => "Scopes".into(),
        }
    }

    /// What a field holds, as shown (secrets masked).
    pub fn shown(&self, field: Field) -> String {
        match field {
            Field::Account => self.account.text().to_string(),
            Field::Provider => self.choice().map(Choice::label).unwrap_or_default(),
            Field::ProviderName => self.provider_name.text().to_string(),
            Field::Issuer => self.issuer.text().to_string(),
            Field::Url => self.url.text().to_string(),
            Field::Template(name) => self
                .template
                .get(name)
                .map(|t| t.text().to_string())
                .unwrap_or_default(),
            Field::ClientId => self.client_id.text().to_string(),
            Field::ClientSecret => "•".repeat(self.client_secret.text().chars().count()),
            Field::Flow => match FLOWS[self.flow] {
                Some(flow) => flow.to_string(),
                None => format!("the provider's ({})", self.provider_flow()),
            },
            Field::Scopes => self.scopes.text().to_string(),
        }
    }

    /// Where the cursor of a text field is, in characters (`None`: a choice field).
    pub fn cursor(&self, field: Field) -> Option<usize> {
        match field {
            Field::Account => Some(self.account.cursor()),
            Field::ProviderName => Some(self.provider_name.cursor()),
            Field::Issuer => Some(self.issuer.cursor()),
            Field::Url => Some(self.url.cursor()),
            Field::Template(name) => Some(self.template.get(name).map_or(0, |t| t.cursor())),
            Field::ClientId => Some(self.client_id.cursor()),
            Field::ClientSecret => Some(self.client_secret.cursor()),
            Field::Scopes => Some(self.scopes.cursor()),
            Field::Provider | Field::Flow => None,
        }
    }

    /// A one-line explanation of the focused field.
    pub fn hint(&self, field: Field) -> String {
        match field {
            Field::Account => "Letters, digits, '-', '_', '.'; used by `tokdeck token NAME`".into(),
            Field::Provider => match self.choice() {
                Some(Choice::Preset { description, .. }) => description.clone(),
                Some(Choice::Api) => "The API's metadata (RFC 9728) names its login server; tokdeck registers itself there unless you type a client ID".into(),
                _ => "← → pick a provider from your config, or a preset for a new one".into(),
            },
            Field::ProviderName => "The [providers.NAME] table to create".into(),
            Field::Issuer if matches!(self.choice(), Some(Choice::Api)) => {
                "Only when the API names several servers: which one to log in at".into()
            }
            Field::Issuer => "https://… (discovery finds the endpoints)".into(),
            Field::Url => {
                "The API as you call it (https://…/mcp): its metadata names its login server".into()
            }
            Field::Template(name) => {
                let default = self
                    .preset_key()
                    .and_then(preset)
                    .and_then(|p| p.defaults.get(name).cloned());
                match default {
                    Some(d) => format!("Leave empty for '{d}'"),
                    None => format!("Required by this preset ({name})"),
                }
            }
            Field::ClientId if matches!(self.choice(), Some(Choice::Api)) => {
                "Empty: tokdeck registers itself there (RFC 7591) when the change is written".into()
            }
            Field::ClientId => "The OAuth client you registered for tokdeck".into(),
            Field::ClientSecret => {
                "Only for confidential clients; stored in config.toml (0600 when new)".into()
            }
            Field::Flow => "← → device, browser or client_credentials".into(),
            Field::Scopes if matches!(self.choice(), Some(Choice::Api)) => {
                "Space-separated; empty for those the API asks for (and openid, offline_access)"
                    .into()
            }
            Field::Scopes => {
                format!(
                    "Space-separated; empty for the provider's: {}",
                    self.provider_scopes().join(" ")
                )
            }
        }
    }

    pub(super) fn preset_key(&self) -> Option<&str> {
        match self.choice() {
            Some(Choice::Preset { key, .. }) => Some(key),
            _ => None,
        }
    }

    pub(super) fn provider_flow(&self) -> Flow {
        match self.choice() {
            Some(Choice::Existing { flow, .. }) => *flow,
            Some(Choice::Preset { key, .. }) => {
                preset(key).and_then(|p| p.flow).unwrap_or(Flow::Browser)
            }
            Some(Choice::Api) | None => Flow::Browser,
        }
    }

    pub(super) fn provider_scopes(&self) -> Vec<String> {
        match self.choice() {
            Some(Choice::Existing { api: Some(api), .. }) => api.scopes.clone(),
            Some(Choice::Existing { scopes, .. }) => scopes.clone(),
            Some(Choice::Preset { key, .. }) => preset(key).map(|p| p.scopes).unwrap_or_default(),
            Some(Choice::Api) | None => Vec::new(),
        }
    }

    pub(super) fn text_mut(&mut self, field: Field) -> Option<&mut TextInput> {
        match field {
            Field::Account => Some(&mut self.account),
            Field::ProviderName => Some(&mut self.provider_name),
            Field::Issuer => Some(&mut self.issuer),
            Field::Url => Some(&mut self.url),
            Field::Template(name) => Some(self.template.entry(name).or_default()),
            Field::ClientId => Some(&mut self.client_id),
            Field::ClientSecret => Some(&mut self.client_secret),
            Field::Scopes => Some(&mut self.scopes),
            Field::Provider | Field::Flow => None,
        }
    }

    /// Which characters a field takes, and how to say so.
    pub(super) fn accepts(field: Field) -> (fn(char) -> bool, &'static str) {
        match field {
            Field::Account | Field::ProviderName => (
                |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'),
                "letters, digits, '-', '_' and '.'",
            ),
            Field::Scopes => (|c| !c.is_control(), "scopes separated by spaces"),
            Field::ClientSecret => (|c| !c.is_control(), "the secret as the provider shows it"),
            _ => (|c| !c.is_whitespace(), "no spaces"),
        }
    }
}

pub(super) fn text_of(text: &Option<ConfigText>) -> &str {
    text.as_deref().unwrap_or_default()
}

/// What an account's and its provider's tables say as written.
#[derive(Default)]
pub(super) struct Raw {
    pub(super) flow: Option<Flow>,
    pub(super) scopes: Option<Vec<String>>,
    pub(super) issuer: Option<String>,
}

impl Raw {
    pub(super) fn read(text: &str, account: &str, provider: &str) -> Self {
        let Ok(doc) = text.parse::<toml::Table>() else {
            return Self::default();
        };
        let table = |section: &str, name: &str| {
            doc.get(section)
                .and_then(|s| s.get(name))
                .and_then(|t| t.as_table())
                .cloned()
        };
        let account = table("accounts", account).unwrap_or_default();
        let provider = table("providers", provider).unwrap_or_default();
        Self {
            flow: account
                .get("flow")
                .and_then(|f| f.as_str())
                .and_then(Flow::parse),
            scopes: account.get("scopes").and_then(|s| s.as_array()).map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            }),
            issuer: provider
                .get("issuer")
                .and_then(|i| i.as_str())
                .map(str::to_string),
        }
    }
}

/// The note for a character a field does not take.
pub(super) fn refused(field: Field, c: char, takes: &str) -> String {
    if takes == "no spaces" {
        return format!("{} cannot hold a space", Editor::label(field));
    }
    let shown = if c == ' ' {
        "a space".to_string()
    } else {
        format!("'{c}'")
    };
    format!(
        "{} takes {takes}; {shown} is not one of them",
        Editor::label(field)
    )
}
