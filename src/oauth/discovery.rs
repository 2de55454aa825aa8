//! Provider metadata: OpenID Connect Discovery 1.0 with a fallback to RFC 8414, cached on
//! disk so a command with a valid cached token never needs the network.

use super::request::get_json;
use super::{Http, OAuthError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::Duration;

/// How long a cached discovery document is used without asking the provider again.
pub const DISCOVERY_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// The endpoints tokdeck uses. Unknown discovery fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// OIDC RP-Initiated Logout 1.0 §2.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    /// OIDC Discovery (Prompt Create): the `prompt` values the provider knows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompt_values_supported: Vec<String>,
    /// RFC 9126 §5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<String>,
    /// RFC 9126 §5: every authorization request must be pushed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_pushed_authorization_requests: bool,
    /// RFC 9449 §5.1: the provider takes DPoP proofs signed with these algorithms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dpop_signing_alg_values_supported: Vec<String>,
    /// RFC 7591 §3: where clients register themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// RFC 8414 §2: the scopes the server knows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
}

/// An endpoint a flow needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Authorization,
    Token,
    DeviceAuthorization,
    Revocation,
    Introspection,
    Userinfo,
    Jwks,
    EndSession,
}

impl Need {
    pub fn key(self) -> &'static str {
        match self {
            Self::Authorization => "authorization_endpoint",
            Self::Token => "token_endpoint",
            Self::DeviceAuthorization => "device_authorization_endpoint",
            Self::Revocation => "revocation_endpoint",
            Self::Introspection => "introspection_endpoint",
            Self::Userinfo => "userinfo_endpoint",
            Self::Jwks => "jwks_uri",
            Self::EndSession => "end_session_endpoint",
        }
    }
}

impl Endpoints {
    /// Each set endpoint as (config key, URL); the issuer is not an endpoint.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("authorization_endpoint", &self.authorization_endpoint),
            ("token_endpoint", &self.token_endpoint),
            (
                "device_authorization_endpoint",
                &self.device_authorization_endpoint,
            ),
            ("revocation_endpoint", &self.revocation_endpoint),
            ("introspection_endpoint", &self.introspection_endpoint),
            ("userinfo_endpoint", &self.userinfo_endpoint),
            ("jwks_uri", &self.jwks_uri),
            ("end_session_endpoint", &self.end_session_endpoint),
            (
                "pushed_authorization_request_endpoint",
                &self.pushed_authorization_request_endpoint,
            ),
            ("registration_endpoint", &self.registration_endpoint),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    }

    pub fn get(&self, need: Need) -> Option<&str> {
        match need {
            Need::Authorization => self.authorization_endpoint.as_deref(),
            Need::Token => self.token_endpoint.as_deref(),
            Need::DeviceAuthorization => self.device_authorization_endpoint.as_deref(),
            Need::Revocation => self.revocation_endpoint.as_deref(),
            Need::Introspection => self.introspection_endpoint.as_deref(),
            Need::Userinfo => self.userinfo_endpoint.as_deref(),
            Need::Jwks => self.jwks_uri.as_deref(),
            Need::EndSession => self.end_session_endpoint.as_deref(),
        }
    }

    /// `self` wins; `other` fills the gaps.
    pub fn or(mut self, other: Endpoints) -> Self {
        macro_rules! fill {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = other.$f; } )* };
        }
        fill!(
            issuer,
            authorization_endpoint,
            token_endpoint,
            device_authorization_endpoint,
            revocation_endpoint,
            introspection_endpoint,
            userinfo_endpoint,
            jwks_uri,
            end_session_endpoint,
            pushed_authorization_request_endpoint,
            registration_endpoint
        );
        if self.scopes_supported.is_empty() {
            self.scopes_supported = other.scopes_supported;
        }
        self.require_pushed_authorization_requests |= other.require_pushed_authorization_requests;
        if self.prompt_values_supported.is_empty() {
            self.prompt_values_supported = other.prompt_values_supported;
        }
        if self.dpop_signing_alg_values_supported.is_empty() {
            self.dpop_signing_alg_values_supported = other.dpop_signing_alg_values_supported;
        }
        self
    }
}

/// Bumped when [`Endpoints`] learns a field or discovery learns a document (3: RFC 8414
/// metadata merged in; 4: pushed authorization requests; 5: DPoP algorithms; 6: endpoints
/// checked for https): older cached documents count as stale (and still serve when the
/// provider cannot be reached, once they pass today's checks).
const CACHE_SCHEMA: u32 = 6;

#[derive(Debug, Serialize, Deserialize)]
struct CachedDocument {
    #[serde(default)]
    schema: u32,
    issuer: String,
    fetched_at: DateTime<Utc>,
    endpoints: Endpoints,
}

/// Discovery documents on disk, one file per issuer.
#[derive(Debug, Clone)]
pub struct DiscoveryCache {
    dir: PathBuf,
}

impl DiscoveryCache {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn path(&self, issuer: &str) -> PathBuf {
        cache_file(&self.dir, issuer)
    }

    /// The cached document for `issuer`, if it names that issuer and passes the checks a
    /// fetched one must pass (a cache written by an older tokdeck, or edited, is no
    /// way around them).
    fn read(&self, issuer: &str) -> Option<CachedDocument> {
        let bytes = std::fs::read(self.path(issuer)).ok()?;
        let doc: CachedDocument = serde_json::from_slice(&bytes).ok()?;
        let same_issuer = doc.issuer == issuer
            && doc
                .endpoints
                .issuer
                .as_deref()
                .is_none_or(|i| i.trim_end_matches('/') == issuer.trim_end_matches('/'));
        if !same_issuer {
            return None;
        }
        match check_transport(issuer, doc.endpoints.clone()) {
            Ok(_) => Some(doc),
            Err(e) => {
                log::warn!("ignoring the cached discovery document: {e}");
                None
            }
        }
    }

    fn write(&self, issuer: &str, endpoints: &Endpoints, now: DateTime<Utc>) {
        let doc = CachedDocument {
            schema: CACHE_SCHEMA,
            issuer: issuer.to_string(),
            fetched_at: now,
            endpoints: endpoints.clone(),
        };
        // A cache that cannot be written only costs a later network call.
        let _ = std::fs::create_dir_all(&self.dir).and_then(|()| {
            let json = serde_json::to_vec_pretty(&doc).map_err(std::io::Error::other)?;
            crate::files::atomic_write(&self.path(issuer), &json)
        });
    }

    /// Endpoints for a provider: the `explicit` ones, completed by discovery when one in
    /// `needs` is missing and an issuer is known. A fresh cache entry is used without the
    /// network; a stale one is used when the provider cannot be reached.
    pub async fn resolve(
        &self,
        http: &Http,
        provider: &str,
        explicit: &Endpoints,
        needs: &[Need],
        now: DateTime<Utc>,
    ) -> Result<Endpoints, OAuthError> {
        let complete = needs.iter().all(|n| explicit.get(*n).is_some());
        let issuer = match (&explicit.issuer, complete) {
            (_, true) | (None, false) => return self.finish(provider, explicit.clone(), needs),
            (Some(issuer), false) => issuer.clone(),
        };
        let found = self.document(http, &issuer, now).await?;
        self.finish(provider, explicit.clone().or(found), needs)
    }

    /// Every endpoint the provider has: the `explicit` ones completed by the issuer's
    /// metadata (as [`Self::resolve`] finds it) whenever an issuer is known. Never fails:
    /// without metadata, the explicit endpoints are all there is. What tokens are bound
    /// to when they are issued.
    pub async fn complete(
        &self,
        http: &Http,
        explicit: &Endpoints,
        now: DateTime<Utc>,
    ) -> Endpoints {
        let Some(issuer) = explicit.issuer.clone() else {
            return explicit.clone();
        };
        match self.document(http, &issuer, now).await {
            Ok(found) => explicit.clone().or(found),
            Err(_) => explicit.clone(),
        }
    }

    /// The issuer's metadata: a fresh cache entry without the network, else fetched (and
    /// cached), else a stale cache entry when the provider cannot be reached.
    async fn document(
        &self,
        http: &Http,
        issuer: &str,
        now: DateTime<Utc>,
    ) -> Result<Endpoints, OAuthError> {
        let cached = self.read(issuer);
        if let Some(doc) = &cached {
            let age = (now - doc.fetched_at).to_std().unwrap_or(Duration::MAX);
            if age < DISCOVERY_MAX_AGE && doc.schema >= CACHE_SCHEMA {
                return Ok(doc.endpoints.clone());
            }
        }
        match fetch(http, issuer).await {
            Ok(found) => {
                self.write(issuer, &found, now);
                Ok(found)
            }
            Err(e) => cached.map(|doc| doc.endpoints).ok_or(e),
        }
    }

    fn finish(
        &self,
        provider: &str,
        endpoints: Endpoints,
        needs: &[Need],
    ) -> Result<Endpoints, OAuthError> {
        for need in needs {
            if endpoints.get(*need).is_none() {
                return Err(OAuthError::MissingEndpoint {
                    provider: provider.to_string(),
                    what: need.key(),
                });
            }
        }
        Ok(endpoints)
    }
}

/// The file under `dir` that caches what was fetched for `key` (an issuer, a URL).
pub(crate) fn cache_file(dir: &std::path::Path, key: &str) -> PathBuf {
    let digest = Sha256::digest(key.as_bytes());
    let name: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{name}.json"))
}

/// OIDC Discovery §4, merged with RFC 8414 metadata when the OIDC document lacks an
/// endpoint that only the OAuth metadata may list (Django OAuth Toolkit puts revocation
/// and introspection there alone). Each document must name this issuer; the OIDC one
/// wins where both say something.
pub async fn fetch(http: &Http, issuer: &str) -> Result<Endpoints, OAuthError> {
    let trimmed = issuer.trim_end_matches('/');
    let oidc_url = format!("{trimmed}/.well-known/openid-configuration");
    let reason = |e: OAuthError| match e {
        OAuthError::Discovery { reason, .. } => reason,
        other => other.to_string(),
    };
    let oidc = get_json::<Endpoints>(http, "discovery", &oidc_url, None, None)
        .await
        .and_then(|doc| check_issuer(issuer, doc))
        .map_err(reason);
    if let Ok(doc) = &oidc
        && !lacks_oauth_metadata(doc)
    {
        return oidc
            .map_err(|reason| discovery_failed(issuer, reason))
            .and_then(|doc| check_transport(issuer, doc));
    }
    let oauth = oauth_metadata(http, issuer).await;
    let found = match (oidc, oauth) {
        (Ok(doc), Some(extra)) => doc.or(extra),
        (Ok(doc), None) => doc,
        (Err(_), Some(extra)) => extra,
        (Err(reason), None) => return Err(discovery_failed(issuer, reason)),
    };
    check_transport(issuer, found)
}

/// Every endpoint a provider's metadata lists must be https (tokens and the client's
/// secret go there), except on a provider that is itself plain http on the loopback
/// interface (a local test server), whose endpoints may be loopback http too.
fn check_transport(issuer: &str, doc: Endpoints) -> Result<Endpoints, OAuthError> {
    let server = url::Url::parse(issuer).ok();
    for (key, value) in doc.iter() {
        let ok = match (url::Url::parse(value), &server) {
            (Ok(url), Some(server)) => super::http::may_carry_secrets(&url, server),
            (Ok(url), None) => url.scheme() == "https",
            _ => false,
        };
        if !ok {
            return Err(discovery_failed(
                issuer,
                format!(
                    "its metadata lists {key} '{}', which is not an https URL; tokdeck sends tokens only over https (plain http only to a provider on this machine)",
                    crate::printable::printable(value)
                ),
            ));
        }
    }
    Ok(doc)
}

/// Endpoints an OIDC discovery document may leave to the RFC 8414 metadata.
fn lacks_oauth_metadata(doc: &Endpoints) -> bool {
    doc.revocation_endpoint.is_none()
        || doc.introspection_endpoint.is_none()
        || doc.device_authorization_endpoint.is_none()
}

/// RFC 8414 §3: the well-known segment inserted before the issuer's path (the standard
/// place), else appended to it (where some servers put it, §5); the first document that
/// names this issuer. A document for another issuer is never used.
async fn oauth_metadata(http: &Http, issuer: &str) -> Option<Endpoints> {
    let url = url::Url::parse(issuer).ok()?;
    let path = url.path().trim_end_matches('/').to_string();
    let mut inserted = url.clone();
    inserted.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    let appended = format!(
        "{}/.well-known/oauth-authorization-server",
        issuer.trim_end_matches('/')
    );
    let mut places = vec![inserted.to_string()];
    if !path.is_empty() {
        places.push(appended);
    }
    for place in places {
        match get_json::<Endpoints>(http, "discovery", &place, None, None).await {
            Ok(doc) => match check_issuer(issuer, doc) {
                Ok(doc) => return Some(doc),
                Err(e) => log::warn!("ignoring the metadata at {place}: {e}"),
            },
            Err(e) => log::debug!("no OAuth metadata at {place}: {e}"),
        }
    }
    None
}

fn discovery_failed(issuer: &str, reason: String) -> OAuthError {
    OAuthError::Discovery {
        issuer: issuer.to_string(),
        reason,
    }
}

/// OIDC Discovery §4.3: the document must name the issuer it was fetched for.
fn check_issuer(issuer: &str, doc: Endpoints) -> Result<Endpoints, OAuthError> {
    match doc.issuer.as_deref() {
        Some(found) if found.trim_end_matches('/') == issuer.trim_end_matches('/') => Ok(doc),
        found => Err(OAuthError::Discovery {
            issuer: issuer.to_string(),
            reason: format!(
                "the document names issuer '{}'; fix `issuer` in config.toml to match it exactly",
                found.unwrap_or("(none)")
            ),
        }),
    }
}

#[cfg(test)]
mod tests;
