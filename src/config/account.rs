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

/// How an account gets its tokens: each kind with what it needs, nothing made up for the
/// others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A person logs in (device or browser flow); the refresh token renews the tokens.
    Login {
        flow: Flow,
        /// `login_hint` of the table (else the person the account holds).
        login_hint: Option<String>,
        grant: Grant,
    },
    /// A service: client credentials at the token endpoint; no login, no person.
    Service { grant: Grant },
    /// Tokens exchanged from another account's (RFC 8693), at its provider.
    Exchange(ByExchange),
}

/// What an account's own grant asks of its provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    /// The provider's `params` and the table's, the table's first.
    pub params: std::collections::BTreeMap<String, String>,
    /// `dpop = true`: tokens bound to a key of the account's (RFC 9449).
    pub dpop: bool,
    /// `resources = [...]`: the APIs the grant asks for (RFC 8707), each with its own
    /// token beside the account's.
    pub resources: Vec<String>,
}

impl Account {
    pub fn renewal(&self) -> Renewal {
        match self.kind {
            Kind::Login { .. } => Renewal::Login,
            Kind::Service { .. } => Renewal::ClientCredentials,
            Kind::Exchange(_) => Renewal::Exchange,
        }
    }

    /// The account's own grant; an account by exchange has none.
    pub fn grant(&self) -> Option<&Grant> {
        match &self.kind {
            Kind::Login { grant, .. } | Kind::Service { grant } => Some(grant),
            Kind::Exchange(_) => None,
        }
    }

    /// Where its tokens come from, when it is an account by exchange.
    pub fn by_exchange(&self) -> Option<&ByExchange> {
        match &self.kind {
            Kind::Exchange(by) => Some(by),
            _ => None,
        }
    }

    /// How it gets tokens of its own: its login flow, or client credentials; an
    /// account by exchange has no flow.
    pub fn flow(&self) -> Option<Flow> {
        match &self.kind {
            Kind::Login { flow, .. } => Some(*flow),
            Kind::Service { .. } => Some(Flow::ClientCredentials),
            Kind::Exchange(_) => None,
        }
    }

    /// The APIs of its grant (`resources`).
    pub fn resources(&self) -> &[String] {
        self.grant().map_or(&[], |g| g.resources.as_slice())
    }

    /// Whether its tokens are DPoP-bound.
    pub fn dpop(&self) -> bool {
        self.grant().is_some_and(|g| g.dpop)
    }

    /// New tokens come without a refresh token or a login of its own: client
    /// credentials, or an exchange of another account's token.
    pub fn renews_alone(&self) -> bool {
        self.renewal() != Renewal::Login
    }
}

/// Where an account by exchange gets its tokens.
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
