//! The account editor popup: a small form over a provider (one from the file or a new one
//! from a preset), an account name, a flow and scopes. Plain data and pure functions; the
//! config text it edits comes in through a message and leaves through a command.

use crate::config::edit::ConfigText;
use crate::config::{Config, Flow, preset, presets};
use crate::tui::text_input::{Edit, TextInput};
use crossterm::event::{KeyCode, KeyEvent};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Adding a new account, or changing one that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Add,
    Change { account: String },
}

/// Where the provider comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Existing {
        name: String,
        /// What an account gets when it sets no flow.
        flow: Flow,
        scopes: Vec<String>,
        /// The API its accounts' tokens are for (a provider made from an API's URL): a
        /// new account on it is for that API too.
        api: Option<ApiOfProvider>,
    },
    Preset {
        key: String,
        description: String,
    },
    /// A new provider found from an API's URL (RFC 9728), tokdeck registered as its
    /// client (RFC 7591) unless a client ID is typed.
    Api,
}

impl Choice {
    pub fn label(&self) -> String {
        match self {
            Self::Existing { name, .. } => format!("{name} (from your config)"),
            Self::Preset { key, .. } => format!("new provider: {key}"),
            Self::Api => "new provider from an API's URL (MCP servers and others)".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Account,
    Provider,
    ProviderName,
    Issuer,
    Template(&'static str),
    /// The API's URL (a new provider from an API).
    Url,
    ClientId,
    ClientSecret,
    Flow,
    Scopes,
}

/// The flow choices, in order; `None` is the provider's own.
pub const FLOWS: [Option<Flow>; 4] = [
    None,
    Some(Flow::Device),
    Some(Flow::Browser),
    Some(Flow::ClientCredentials),
];

#[derive(Debug, Clone)]
pub struct Editor {
    pub mode: Mode,
    pub path: PathBuf,
    /// The file as read (`None`: there is no file yet).
    pub before: Option<ConfigText>,
    pub choices: Vec<Choice>,
    pub account: TextInput,
    pub provider: usize,
    pub provider_name: TextInput,
    pub issuer: TextInput,
    pub template: BTreeMap<&'static str, TextInput>,
    /// The API's URL, for [`Choice::Api`].
    pub url: TextInput,
    /// The URL whose API's servers are being looked up.
    pub finding: Option<String>,
    pub client_id: TextInput,
    pub client_secret: TextInput,
    /// Index into [`FLOWS`].
    pub flow: usize,
    pub scopes: TextInput,
    pub focus: Field,
    pub error: Option<String>,
    /// The provider of the account being changed, as it is in the file.
    pub original_provider: Option<String>,
    /// The values the form opened with: a form that differs is not discarded unasked.
    pub(super) opened_with: Vec<String>,
    /// The `issuer` key of the account's provider table as written (Change mode).
    original_issuer: Option<String>,
}

/// What a key did to the form.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Stay,
    Cancel,
    /// The draft became this new file text.
    Review(ConfigText),
    /// The API's servers are to be found first.
    FindApi(ApiAsk),
}

impl Editor {
    /// A form over `text` (the current file, `None` if there is none). Fails with the
    /// reason when the file is not a valid config: tokdeck never edits such a file.
    pub fn open(path: &Path, text: Option<ConfigText>, mode: Mode) -> Result<Self, String> {
        let config =
            Config::parse(path, text.as_deref().unwrap_or_default(), None).map_err(|e| {
                format!(
                    "{e}. Fix the file by hand; tokdeck does not edit a config that does not parse"
                )
            })?;
        let mut choices: Vec<Choice> = config
            .providers
            .values()
            .map(|p| Choice::Existing {
                name: p.name.clone(),
                flow: p.flow.unwrap_or(Flow::Browser),
                scopes: p.scopes.clone(),
                api: config.accounts.values().find_map(|a| {
                    let resource = a.grant()?.params.get("resource")?;
                    (a.provider.name == p.name).then(|| ApiOfProvider {
                        resource: resource.clone(),
                        scopes: a.scopes.clone(),
                    })
                }),
            })
            .collect();
        choices.push(Choice::Api);
        choices.extend(presets().into_iter().map(|(key, p)| Choice::Preset {
            key,
            description: p.description,
        }));
        let mut editor = Self {
            mode: mode.clone(),
            path: path.to_path_buf(),
            before: text,
            choices,
            account: TextInput::default(),
            provider: 0,
            provider_name: TextInput::default(),
            issuer: TextInput::default(),
            template: BTreeMap::new(),
            url: TextInput::default(),
            finding: None,
            client_id: TextInput::default(),
            client_secret: TextInput::masked(""),
            flow: 0,
            scopes: TextInput::default(),
            focus: Field::Account,
            error: None,
            original_provider: None,
            opened_with: Vec::new(),
            original_issuer: None,
        };
        if let Mode::Change { account } = &mode {
            let existing = config.account(account).map_err(|e| e.to_string())?;
            editor.account = TextInput::new(account.clone());
            editor.original_provider = Some(existing.provider.name.clone());
            editor.provider = editor
                .choices
                .iter()
                .position(|c| matches!(c, Choice::Existing { name, .. } if *name == existing.provider.name))
                .unwrap_or(0);
            // What the file says, not what the config makes of it: an explicit
            // `flow = "browser"` equal to the provider's stays written.
            let raw = Raw::read(text_of(&editor.before), account, &existing.provider.name);
            editor.flow = match raw.flow {
                Some(flow) => FLOWS.iter().position(|f| *f == Some(flow)).unwrap_or(0),
                None => 0,
            };
            if let Some(scopes) = raw.scopes {
                editor.scopes = TextInput::new(scopes.join(" "));
            }
            editor.issuer = TextInput::new(raw.issuer.clone().unwrap_or_default());
            editor.client_id = TextInput::new(existing.provider.client_id.clone());
            editor.client_secret = TextInput::masked(
                existing
                    .provider
                    .client_secret
                    .as_ref()
                    .map(|s| s.expose().to_string())
                    .unwrap_or_default(),
            );
            editor.original_issuer = raw.issuer;
            editor.focus = Field::Provider;
        }
        editor.name_after_preset();
        editor.opened_with = editor.values();
        Ok(editor)
    }

    /// A change of an account that stays with its provider: that provider's issuer,
    /// client ID and secret can be changed too.
    pub(super) fn edits_original_provider(&self) -> bool {
        matches!(self.mode, Mode::Change { .. }) && !self.provider_changed()
    }

    /// A change that moves the account to another provider: its tokens cannot follow.
    pub fn provider_changed(&self) -> bool {
        let chosen = match self.choice() {
            Some(Choice::Existing { name, .. }) => Some(name.as_str()),
            _ => None,
        };
        self.original_provider.is_some() && chosen != self.original_provider.as_deref()
    }

    pub fn choice(&self) -> Option<&Choice> {
        self.choices.get(self.provider)
    }

    /// The fields shown, in order; they depend on the provider choice.
    pub fn fields(&self) -> Vec<Field> {
        let mut fields = Vec::new();
        if self.mode == Mode::Add {
            fields.push(Field::Account);
        }
        fields.push(Field::Provider);
        if self.edits_original_provider() {
            if self.original_issuer.is_some() {
                fields.push(Field::Issuer);
            }
            fields.push(Field::ClientId);
            fields.push(Field::ClientSecret);
        }
        if let Some(Choice::Preset { key, .. }) = self.choice() {
            fields.push(Field::ProviderName);
            if let Some(p) = preset(key) {
                if p.endpoints.issuer.is_none() && p.endpoints.token_endpoint.is_none() {
                    fields.push(Field::Issuer);
                }
                for name in crate::config::TEMPLATE_KEYS {
                    let used =
                        p.requires.iter().any(|r| r == name) || p.defaults.contains_key(*name);
                    if used {
                        fields.push(Field::Template(name));
                    }
                }
            }
            fields.push(Field::ClientId);
            fields.push(Field::ClientSecret);
        }
        if let Some(Choice::Api) = self.choice() {
            fields.extend([
                Field::ProviderName,
                Field::Url,
                Field::Issuer,
                Field::ClientId,
            ]);
        }
        fields.push(Field::Flow);
        fields.push(Field::Scopes);
        fields
    }

    /// Text pasted into the focused field (bracketed or a burst of keys).
    pub fn paste(&mut self, text: &str) {
        let focus = self.focus;
        let (accepts, takes) = Self::accepts(focus);
        let Some(input) = self.text_mut(focus) else {
            self.error = Some("paste into a text field (Tab moves to one)".into());
            return;
        };
        if let Some(c) = input.insert_str(text.trim(), accepts) {
            self.error = Some(refused(focus, c, takes));
        }
    }

    fn cycle(&mut self, forward: bool) {
        let step = |i: usize, n: usize| {
            if forward {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            }
        };
        match self.focus {
            Field::Provider if !self.choices.is_empty() => {
                self.provider = step(self.provider, self.choices.len());
                self.name_after_preset();
            }
            Field::Flow => self.flow = step(self.flow, FLOWS.len()),
            _ => {}
        }
    }

    /// A new provider is named after its preset until the user types a name.
    fn name_after_preset(&mut self) {
        let typed = self.provider_name.text();
        let untouched = typed.is_empty()
            || self.choices.iter().any(|c| {
                matches!(c, Choice::Preset { key, .. }
                    if typed == key || typed.starts_with(&format!("{key}-")))
            });
        let key = match self.choice() {
            Some(Choice::Preset { key, .. }) => Some(key.clone()),
            Some(Choice::Api) => Some("api".to_string()),
            _ => None,
        };
        let untouched = untouched || typed == "api" || typed.starts_with("api-");
        if let Some(key) = key
            && untouched
        {
            // A name no provider in the file has yet: okta, okta-2, ...
            let taken = |name: &str| {
                self.choices
                    .iter()
                    .any(|c| matches!(c, Choice::Existing { name: n, .. } if n == name))
            };
            let mut name = key.clone();
            let mut n = 2;
            while taken(&name) {
                name = format!("{key}-{n}");
                n += 1;
            }
            self.provider_name.set(name);
        }
    }

    fn move_focus(&mut self, delta: isize) {
        let fields = self.fields();
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        let next = (at + delta).rem_euclid(fields.len() as isize) as usize;
        self.focus = fields[next];
    }

    pub fn key(&mut self, key: KeyEvent) -> Step {
        if key.code != KeyCode::Enter {
            // The message was about the input before this key.
            self.error = None;
        }
        let choice = matches!(self.focus, Field::Provider | Field::Flow);
        match key.code {
            KeyCode::Esc => return Step::Cancel,
            KeyCode::Tab | KeyCode::Down => self.move_focus(1),
            KeyCode::BackTab | KeyCode::Up => self.move_focus(-1),
            KeyCode::Left if choice => self.cycle(false),
            KeyCode::Right | KeyCode::Char(' ') if choice => self.cycle(true),
            KeyCode::Enter if matches!(self.choice(), Some(Choice::Api)) => {
                return match self.api_ask() {
                    Ok(ask) if self.finding.as_deref() == Some(ask.url.as_str()) => {
                        self.error = Some(format!("still looking up {}…", ask.url));
                        Step::Stay
                    }
                    Ok(ask) => {
                        self.error = None;
                        self.finding = Some(ask.url.clone());
                        Step::FindApi(ask)
                    }
                    Err(e) => {
                        self.error = Some(e);
                        Step::Stay
                    }
                };
            }
            KeyCode::Enter => {
                return match self.review() {
                    Ok(text) => {
                        self.error = None;
                        Step::Review(text)
                    }
                    Err(e) => {
                        self.error = Some(e);
                        Step::Stay
                    }
                };
            }
            _ => {
                let focus = self.focus;
                let (accepts, takes) = Self::accepts(focus);
                if let Some(input) = self.text_mut(focus)
                    && let Edit::Refused(c) = input.key(key, accepts)
                {
                    self.error = Some(refused(focus, c, takes));
                }
            }
        }
        Step::Stay
    }
}

mod api;
mod draft;
mod fields;
mod from_api;
mod review;

pub use api::{ApiAsk, ApiOfProvider, Registering, UNREGISTERED};
use fields::{Raw, refused, text_of};
pub use review::{Review, ReviewAction, ReviewAnswer};

#[cfg(test)]
mod tests;
