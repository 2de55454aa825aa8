//! Provider signing keys (`jwks_uri`), cached on disk and fetched again once when a token
//! names a key the cache does not have (the provider rotated its keys).

use super::request::get_json;
use super::{Http, OAuthError};
use crate::jwt::verify::{Jwks, Verdict, verify};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// How long cached keys are used before asking again.
pub const JWKS_MAX_AGE: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    uri: String,
    fetched_at: DateTime<Utc>,
    jwks: Jwks,
}

#[derive(Debug, Clone)]
pub struct JwksCache {
    dir: PathBuf,
}

impl JwksCache {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn path(&self, uri: &str) -> PathBuf {
        super::discovery::cache_file(&self.dir, uri)
    }

    fn read(&self, uri: &str) -> Option<Cached> {
        let cached: Cached = serde_json::from_slice(&std::fs::read(self.path(uri)).ok()?).ok()?;
        (cached.uri == uri).then_some(cached)
    }

    async fn fetch(&self, http: &Http, uri: &str, now: DateTime<Utc>) -> Result<Jwks, OAuthError> {
        let jwks: Jwks = get_json(http, "jwks_uri", uri, None, None).await?;
        let cached = Cached {
            uri: uri.to_string(),
            fetched_at: now,
            jwks: jwks.clone(),
        };
        let _ = std::fs::create_dir_all(&self.dir).and_then(|()| {
            let json = serde_json::to_vec(&cached).map_err(std::io::Error::other)?;
            crate::files::atomic_write(&self.path(uri), &json)
        });
        Ok(jwks)
    }

    /// The keys: cached when fresh, else fetched (a stale copy when the fetch fails).
    pub async fn get(
        &self,
        http: &Http,
        uri: &str,
        now: DateTime<Utc>,
    ) -> Result<Jwks, OAuthError> {
        let cached = self.read(uri);
        if let Some(c) = &cached
            && (now - c.fetched_at)
                .to_std()
                .is_ok_and(|age| age < JWKS_MAX_AGE)
        {
            return Ok(c.jwks.clone());
        }
        match self.fetch(http, uri, now).await {
            Ok(jwks) => Ok(jwks),
            Err(e) => cached.map(|c| c.jwks).ok_or(e),
        }
    }

    /// Verifies `token`; an unknown key makes it fetch the keys again, once.
    pub async fn verify(
        &self,
        http: &Http,
        uri: &str,
        token: &str,
        now: DateTime<Utc>,
        fresh: bool,
    ) -> Result<(Verdict, Jwks), OAuthError> {
        if fresh {
            // An explicit check: a key the provider has withdrawn must not pass.
            let jwks = match self.fetch(http, uri, now).await {
                Ok(jwks) => jwks,
                Err(e) => self.read(uri).map(|c| c.jwks).ok_or(e)?,
            };
            return Ok((verify(token, Some(&jwks)), jwks));
        }
        let jwks = self.get(http, uri, now).await?;
        let verdict = verify(token, Some(&jwks));
        if !matches!(verdict, Verdict::UnknownKey { .. }) {
            return Ok((verdict, jwks));
        }
        match self.fetch(http, uri, now).await {
            Ok(fresh) => Ok((verify(token, Some(&fresh)), fresh)),
            Err(_) => Ok((verdict, jwks)),
        }
    }
}
