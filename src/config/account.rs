//! What an account is beyond its table: how it gets new tokens, and for an account by
//! exchange, where they come from.

use super::{Account, Flow};

/// How an account gets new tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// With its refresh token; a login when that is gone.
    Login,
    /// With its client credentials: no login ever.
    ClientCredentials,
    /// By exchange of its source's token: a login of the source when that needs one.
    Exchange,
}

impl Renewal {
    /// An account by exchange, else by its flow.
    pub fn of(exchanged: bool, flow: Flow) -> Self {
        match (exchanged, flow) {
            (true, _) => Self::Exchange,
            (false, Flow::ClientCredentials) => Self::ClientCredentials,
            (false, _) => Self::Login,
        }
    }
}

impl Account {
    pub fn renewal(&self) -> Renewal {
        Renewal::of(self.by_exchange.is_some(), self.flow)
    }

    /// New tokens come without a refresh token or a login of its own: client
    /// credentials, or an exchange of another account's token.
    pub fn renews_alone(&self) -> bool {
        self.renewal() != Renewal::Login
    }
}

/// How an account defined by token exchange gets its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByExchange {
    /// The account whose access token is exchanged.
    pub from: String,
    pub audience: Option<String>,
    pub resource: Option<String>,
    /// `scopes` of the table, as one `scope` parameter.
    pub scope: Option<String>,
}

/// RFC 8707 §2: a resource indicator is an absolute URI without a fragment.
pub fn check_resource(resource: &str) -> Result<(), String> {
    match url::Url::parse(resource) {
        Ok(url) if url.fragment().is_some() => {
            Err("has a fragment (#...), which a resource indicator must not have (RFC 8707)".into())
        }
        Ok(_) if resource.contains(char::is_whitespace) => Err("holds a space".into()),
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "is not an absolute URI ({e}), as resource indicators must be (RFC 8707)"
        )),
    }
}
