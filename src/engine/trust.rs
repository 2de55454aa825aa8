//! "Can this token be trusted, against these keys?": one answer for `tokdeck decode`, the
//! dashboard's inspector and its account views. The verdict on the signature, the risks
//! of the header, and the risks of the times (expired, not yet valid).

use super::{Engine, EngineError};
use crate::config::Paths;
use crate::jwt::verify::{Jwks, Risk, Verdict, risks, time_risks, verify};
use crate::jwt::{self, Decoded};
use crate::oauth::discovery::Need;
use crate::oauth::jwks::JwksCache;
use crate::oauth::{Http, OAuthError};
use chrono::Utc;

/// Where the verification keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// No keys: only what the token says of itself (`alg none`, risky headers, times).
    None,
    /// The provider of this account.
    Account(String),
    /// The issuer's JWKS, found by discovery.
    Issuer(String),
    /// The JWK Set at this URL.
    JwksUri(String),
    /// The JWK Set (or a single JWK) in this file.
    JwksFile(std::path::PathBuf),
    /// A shared secret (HS256/384/512 only).
    Secret(crate::secret::Secret),
    /// A public key file the user gave (PEM or JWK): the key, whatever `kid` the token names.
    KeyFile(std::path::PathBuf),
    /// Public keys at hand (those of the private key that just signed the token).
    Keys(crate::jwt::verify::Jwks),
}

/// What a token earned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub verdict: Verdict,
    pub risks: Vec<Risk>,
}

impl Judgement {
    /// Trustworthy: a valid signature on a current token.
    pub fn trusted(&self) -> bool {
        self.signed()
            && !self
                .risks
                .iter()
                .any(|r| matches!(r, Risk::Expired(_) | Risk::NotYetValid(_)))
    }

    /// A valid signature the recipient may accept, whatever the time: by the issuer
    /// asked for, and without a `crit` extension tokdeck does not understand (RFC 7515
    /// §4.1.11: such a JWS is invalid, whatever the signature).
    pub fn signed(&self) -> bool {
        matches!(self.verdict, Verdict::Valid { .. })
            && !self
                .risks
                .iter()
                .any(|r| matches!(r, Risk::OtherIssuer { .. } | Risk::UnknownCritical(_)))
    }

    /// The signature's one word for scripts: the verdict's, except `refused` for a valid
    /// signature that must not be accepted (an unknown `crit` extension).
    pub fn signature_word(&self) -> &'static str {
        if matches!(self.verdict, Verdict::Valid { .. })
            && self
                .risks
                .iter()
                .any(|r| matches!(r, Risk::UnknownCritical(_)))
        {
            "refused"
        } else {
            self.verdict.word()
        }
    }
}

/// Judges `token` against `source`. `engine` is needed for an account's keys only; `fresh`
/// asks for the keys to be fetched again (a withdrawn key must not pass a decision).
pub async fn judge(
    engine: Option<&Engine>,
    paths: &Paths,
    token: &str,
    source: KeySource,
    fresh: bool,
) -> Result<Judgement, EngineError> {
    let (header, claims) = match jwt::decode(token) {
        Ok(Decoded::Jwt { header, claims }) => (header, claims),
        // Not a signed JWT: nothing to verify, and nothing about it to trust.
        _ => {
            return Ok(Judgement {
                verdict: verify(token, None),
                risks: Vec::new(),
            });
        }
    };
    // The issuer whose keys are asked for: a token of another says so, instead of only
    // "unknown key".
    let expected_issuer = match &source {
        KeySource::Account(name) => engine
            .and_then(|e| e.account(name).ok())
            .and_then(|a| a.provider.endpoints.issuer.clone()),
        KeySource::Issuer(issuer) => Some(issuer.clone()),
        _ => None,
    };
    let other_issuer = match (expected_issuer, claims.get("iss").and_then(|v| v.as_str())) {
        (Some(expected), Some(got))
            if expected.trim_end_matches('/') != got.trim_end_matches('/') =>
        {
            Some(Risk::OtherIssuer {
                token: got.to_string(),
                expected,
            })
        }
        _ => None,
    };
    let (verdict, jwks) = match source {
        KeySource::None => (verify(token, None), None),
        KeySource::Account(name) => {
            let engine = engine.ok_or_else(|| {
                EngineError::Keys("no accounts are configured to take keys from".into())
            })?;
            let (verdict, jwks) = engine.account_keys(&name, token, fresh).await?;
            (verdict, Some(jwks))
        }
        KeySource::Issuer(issuer) => {
            let http = real_http(&issuer)?;
            let (verdict, jwks) = crate::oauth::jwks::verify_with_issuer(
                &http,
                crate::oauth::DiscoveryCache::new(paths.discovery_cache_dir()),
                JwksCache::new(paths.jwks_cache_dir()),
                &issuer,
                token,
            )
            .await
            .map_err(|e| unreachable_keys(&format!("issuer '{issuer}'"), e))?;
            (verdict, Some(jwks))
        }
        KeySource::Secret(secret) => (
            crate::jwt::verify::verify_hmac(token, secret.expose().as_bytes()),
            None,
        ),
        // The keys the user gave are the keys whatever `kid` the token names: no risk
        // of a `kid` missing from them.
        KeySource::KeyFile(path) => {
            let bytes = read_key_bytes(&path)?;
            let keys = match std::str::from_utf8(&bytes) {
                Ok(text) => crate::jwt::keyfile::parse(text),
                Err(_) => crate::jwt::keyfile::parse_der(&bytes),
            }
            .map_err(|why| {
                EngineError::Keys(format!("cannot use '{}' as a key: {why}", path.display()))
            })?;
            (crate::jwt::verify::verify_with_keys(token, &keys), None)
        }
        KeySource::Keys(keys) => (crate::jwt::verify::verify_with_keys(token, &keys), None),
        KeySource::JwksFile(path) => {
            let jwks = jwks_from_file(&path)?;
            (verify(token, Some(&jwks)), Some(jwks))
        }
        KeySource::JwksUri(uri) => {
            let http = real_http(&uri)?;
            let (verdict, jwks) = JwksCache::new(paths.jwks_cache_dir())
                .verify(&http, &uri, token, Utc::now(), true)
                .await
                .map_err(|e| unreachable_keys(&format!("'{uri}'"), e))?;
            (verdict, Some(jwks))
        }
    };
    let mut found = risks(&header, jwks.as_ref());
    found.extend(other_issuer);
    found.extend(time_risks(&claims, Utc::now()));
    Ok(Judgement {
        verdict,
        risks: found,
    })
}

/// The largest key file read.
const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

/// A key file's bytes, at most [`MAX_KEY_FILE_BYTES`].
fn read_key_bytes(path: &std::path::Path) -> Result<Vec<u8>, EngineError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_KEY_FILE_BYTES).read_to_end(&mut bytes))
        .map_err(|e| EngineError::Keys(format!("cannot read '{}': {e}", path.display())))?;
    Ok(bytes)
}

/// A key file's text.
fn read_key_file(path: &std::path::Path) -> Result<String, EngineError> {
    String::from_utf8(read_key_bytes(path)?).map_err(|_| {
        EngineError::Keys(format!(
            "'{}' is a binary file; give a JWK Set or a JWK as JSON",
            path.display()
        ))
    })
}

/// A JWK Set from a file, or a single JWK (what key tools and jwt.io hand out).
fn jwks_from_file(path: &std::path::Path) -> Result<Jwks, EngineError> {
    let failed = |why: String| {
        EngineError::Keys(format!(
            "cannot use '{}' as keys: {why}; give a JWK Set ({{\"keys\": [...]}}) or one JWK as JSON",
            path.display()
        ))
    };
    let text = read_key_file(path)?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| failed(format!("not JSON (line {})", e.line())))?;
    let set = if value.get("keys").is_some() {
        value
    } else {
        serde_json::json!({ "keys": [value] })
    };
    serde_json::from_value(set).map_err(|_| failed("not a JWK Set or a JWK".into()))
}

fn real_http(what: &str) -> Result<Http, EngineError> {
    Http::real().map_err(|e| unreachable_keys(what, e.into()))
}

fn unreachable_keys(what: &str, e: OAuthError) -> EngineError {
    EngineError::Keys(format!("cannot get the keys of {what}: {e}"))
}

impl Engine {
    /// The signature verdict for `token` against `name`'s provider keys, and those keys.
    pub(super) async fn account_keys(
        &self,
        name: &str,
        token: &str,
        fresh: bool,
    ) -> Result<(Verdict, Jwks), EngineError> {
        let account = self.account(name)?;
        let endpoints = self.endpoints(account, &[Need::Jwks]).await?;
        if let Some(record) = self.load(name).await.ok().flatten() {
            self.check_bound(account, &record, &endpoints, &[Need::Jwks])
                .await?;
        }
        let uri = endpoints.jwks_uri.as_deref().unwrap_or_default();
        let http = self.http(name)?;
        self.jwks
            .verify(&http, uri, token, Utc::now(), fresh)
            .await
            .map_err(|e| super::oauth_error(name, e))
    }

    /// [`judge`] with this engine's paths.
    pub async fn judge(
        &self,
        token: &str,
        source: KeySource,
        fresh: bool,
    ) -> Result<Judgement, EngineError> {
        judge(Some(self), &self.paths, token, source, fresh).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn unsigned(claims: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(claims))
    }

    #[tokio::test]
    async fn one_judgement_for_signature_header_and_times() {
        let paths = Paths::under(std::path::Path::new("/nonexistent-tokdeck"));
        let expired = unsigned(r#"{"sub":"x","exp":1000}"#);
        let judged = judge(None, &paths, &expired, KeySource::None, false)
            .await
            .expect("judged");
        assert!(matches!(judged.verdict, Verdict::AlgNone), "{judged:?}");
        assert!(
            judged.risks.iter().any(|r| matches!(r, Risk::AlgNone)),
            "{judged:?}"
        );
        assert!(
            judged.risks.iter().any(|r| matches!(r, Risk::Expired(_))),
            "{judged:?}"
        );
        assert!(!judged.trusted());
        // An account's keys without any account: said, not guessed.
        let e = judge(
            None,
            &paths,
            &expired,
            KeySource::Account("a".into()),
            false,
        )
        .await
        .expect_err("no engine");
        assert!(e.to_string().contains("no accounts are configured"), "{e}");
    }
}
