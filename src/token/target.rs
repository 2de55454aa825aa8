//! What a token is for: an API (RFC 8707 resource) and scopes.

/// A token for one API or a narrower set of scopes than the account's (RFC 8707 §2.2,
/// RFC 6749 §6 `scope`), obtained with the account's refresh token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Sorted and without repeats: one cache entry per set of scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

impl Target {
    /// A token for the API `resource`, with the scopes the provider gives for it.
    pub fn resource(resource: &str) -> Self {
        Self {
            resource: Some(resource.to_string()),
            scopes: Vec::new(),
        }
    }

    /// `None` when neither a resource nor scopes are asked for (the account's own token).
    pub fn new(resource: Option<&str>, scope: Option<&str>) -> Option<Self> {
        let mut scopes: Vec<String> = scope
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        scopes.sort();
        scopes.dedup();
        let resource = resource.filter(|r| !r.is_empty()).map(str::to_string);
        (resource.is_some() || !scopes.is_empty()).then_some(Self { resource, scopes })
    }

    /// The key of the cached token: `RESOURCE SCOPE…` (a resource never holds a space).
    pub fn key(&self) -> String {
        let mut key = self.resource.clone().unwrap_or_default();
        for scope in &self.scopes {
            key.push(' ');
            key.push_str(scope);
        }
        key
    }

    /// "resource 'R' with scope 'S'", for messages.
    pub fn describe(&self) -> String {
        let scope = self.scopes.join(" ");
        match (&self.resource, scope.is_empty()) {
            (Some(r), true) => format!("resource '{r}'"),
            (Some(r), false) => format!("resource '{r}' with scope '{scope}'"),
            (None, _) => format!("scope '{scope}'"),
        }
    }
}
