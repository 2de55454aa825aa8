use super::http::TransportError;
use crate::printable::Printable;

/// Everything that can go wrong talking to a provider; each message names the value at fault.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OAuthError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// An RFC 6749 §5.2 error response.
    #[error("{endpoint} refused the request: {}{}", Printable(error), description.as_ref().map(|d| format!(" ({})", Printable(d))).unwrap_or_default())]
    Provider {
        endpoint: &'static str,
        error: String,
        description: Option<String>,
    },
    #[error("{endpoint} '{}' answered HTTP {status}{}", Printable(url), if snippet.is_empty() { String::new() } else { format!(": {}", Printable(snippet)) })]
    HttpStatus {
        endpoint: &'static str,
        url: String,
        status: u16,
        snippet: String,
    },
    #[error(
        "{endpoint} '{}' sent a response tokdeck cannot read: {}",
        Printable(url),
        Printable(reason)
    )]
    Malformed {
        endpoint: &'static str,
        url: String,
        reason: String,
    },
    #[error(
        "provider '{provider}' has no {what}; set `{what}` in its [providers.{provider}] table"
    )]
    MissingEndpoint {
        provider: String,
        what: &'static str,
    },
    #[error("discovery for issuer '{issuer}' failed: {}", Printable(reason))]
    Discovery { issuer: String, reason: String },
    #[error("the login was denied{}", .0.as_ref().map(|d| format!(": {}", Printable(d))).unwrap_or_default())]
    AccessDenied(Option<String>),
    #[error("the device code expired before it was approved; run the login again")]
    DeviceCodeExpired,
    #[error("no browser callback arrived within {0} s; run the login again")]
    CallbackTimeout(u64),
    #[error("the browser callback was rejected: {}", Printable(.0))]
    Callback(String),
    #[error(
        "the ID token's `{claim}` is '{}', expected {expected}",
        Printable(got)
    )]
    IdToken {
        claim: &'static str,
        expected: String,
        got: String,
    },
    #[error("cannot listen on 127.0.0.1:{port} for the browser callback: {reason}")]
    Listen { port: u16, reason: String },
    #[error("{}", Printable(.0))]
    Other(String),
    /// The provider answered with a new refresh token, but the answer failed a check:
    /// the new refresh token must be kept (the old one may be spent), the rest is not used.
    #[error("{error}")]
    Rotated {
        refresh_token: crate::secret::Secret,
        error: Box<OAuthError>,
    },
}

impl OAuthError {
    /// The provider says the grant is gone: only a new login helps.
    pub fn is_invalid_grant(&self) -> bool {
        matches!(self, Self::Provider { error, .. } if error == "invalid_grant")
    }

    /// The new refresh token an otherwise unusable answer carried.
    pub fn rotated(&self) -> Option<&crate::secret::Secret> {
        match self {
            Self::Rotated { refresh_token, .. } => Some(refresh_token),
            _ => None,
        }
    }
}
