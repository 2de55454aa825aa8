//! What the add form asks of an API's URL, and the client it registers when a change is
//! written: plain values, shared by the form, its review and the dashboard's effects.

use crate::config::edit::AccountDraft;

/// The API (RFC 8707 resource) and scopes of a provider's accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiOfProvider {
    pub resource: String,
    pub scopes: Vec<String>,
}

/// What the form asks of an API's URL before it can show the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiAsk {
    pub url: String,
    /// Which of the API's servers, when it names several.
    pub issuer: Option<String>,
    pub scopes: Vec<String>,
}

/// A client tokdeck registers when the reviewed change is written (RFC 7591): the
/// change's client ID is filled in then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registering {
    pub provider: String,
    pub endpoints: crate::oauth::Endpoints,
    pub scopes: Vec<String>,
    /// The account as reviewed, its client ID [`UNREGISTERED`].
    pub draft: AccountDraft,
}

/// The client ID of a reviewed change until tokdeck has registered.
pub const UNREGISTERED: &str = "(registered when written)";
