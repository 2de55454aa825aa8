//! The client side of talking to providers, without any account or config: one HTTP
//! client (built on first use, so a cached token never sets up TLS), the discovery and
//! JWKS caches, and the DPoP keys in use with the nonces their servers gave. The engine
//! holds one for its accounts; `decode` and the inspector use one directly.

use super::discovery::{DiscoveryCache, Need};
use super::dpop::Dpop;
use super::jwks::JwksCache;
use super::{Endpoints, Http, OAuthError};
use crate::jwt::verify::{Jwks, Verdict};
use crate::secret::Secret;
use chrono::Utc;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

pub struct ProviderClient {
    http: OnceLock<Http>,
    discovery: DiscoveryCache,
    jwks: JwksCache,
    /// One `Dpop` per key, keyed by the key's hash (not a second copy of the key).
    dpop_keys: Mutex<HashMap<[u8; 32], Dpop>>,
}

impl ProviderClient {
    /// A client whose discovery documents and JWKS are cached in these directories.
    pub fn new(discovery_dir: PathBuf, jwks_dir: PathBuf) -> Self {
        Self {
            http: OnceLock::new(),
            discovery: DiscoveryCache::new(discovery_dir),
            jwks: JwksCache::new(jwks_dir),
            dpop_keys: Mutex::default(),
        }
    }

    /// Use `http` instead of the network (tests).
    pub fn with_http(self, http: Http) -> Self {
        let _ = self.http.set(http);
        self
    }

    /// The HTTP client, built on first use.
    pub fn http(&self) -> Result<Http, OAuthError> {
        if let Some(http) = self.http.get() {
            return Ok(http.clone());
        }
        let http = Http::real()?;
        Ok(self.http.get_or_init(|| http).clone())
    }

    pub fn discovery(&self) -> &DiscoveryCache {
        &self.discovery
    }

    pub fn jwks(&self) -> &JwksCache {
        &self.jwks
    }

    /// Verifies `token` against the keys of `issuer` (OIDC discovery, then its JWKS,
    /// fetched again: a withdrawn key must not pass), for tokens of no configured account.
    pub async fn verify_with_issuer(
        &self,
        issuer: &str,
        token: &str,
    ) -> Result<(Verdict, Jwks), OAuthError> {
        let http = self.http()?;
        let explicit = Endpoints {
            issuer: Some(issuer.to_string()),
            ..Endpoints::default()
        };
        let endpoints = self
            .discovery
            .resolve(&http, issuer, &explicit, &[Need::Jwks], Utc::now())
            .await?;
        let uri = endpoints.jwks_uri.as_deref().unwrap_or_default();
        self.jwks.verify(&http, uri, token, Utc::now(), true).await
    }

    /// The `Dpop` of a stored key: the same one for the life of this client, so that the
    /// nonces servers hand out are used by the next request (RFC 9449 §8) instead of
    /// costing a refusal each.
    pub fn dpop_key(&self, stored: &Secret) -> Result<Dpop, String> {
        if let Some(known) = self
            .dpop_keys
            .lock()
            .ok()
            .and_then(|keys| keys.get(&dpop_cache_key(stored)).cloned())
        {
            return Ok(known);
        }
        let dpop = Dpop::from_stored(stored)?;
        self.keep_dpop(&dpop);
        Ok(dpop)
    }

    /// A new DPoP key, kept like a stored one.
    pub fn new_dpop_key(&self) -> Result<Dpop, String> {
        Dpop::generate().inspect(|d| self.keep_dpop(d))
    }

    fn keep_dpop(&self, dpop: &Dpop) {
        if let Ok(mut keys) = self.dpop_keys.lock() {
            keys.insert(dpop_cache_key(&dpop.stored()), dpop.clone());
        }
    }
}

/// The cache's key for a stored DPoP key: its hash, not a second copy of the key.
fn dpop_cache_key(stored: &Secret) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(stored.expose().as_bytes()).into()
}
