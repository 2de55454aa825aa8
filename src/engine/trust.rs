//! "Can this token be trusted, against these keys?": one answer for `tokdeck decode`, the
//! dashboard's inspector and its account views. The verdict on the signature, the risks
//! of the header, and the risks of the times (expired, not yet valid).

use super::{Engine, EngineError};
use crate::jwt::risks::{Risk, risks, time_risks};
use crate::jwt::verify::{Jwks, Verdict, verify};
use crate::jwt::{self, Decoded};
use crate::oauth::discovery::Need;
use crate::oauth::{OAuthError, ProviderClient};
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

/// Judges `token` against `source`, with no account at hand: an account's keys are
/// [`Engine::judge`]'s. Keys from a URL or an issuer are fetched again (a withdrawn key
/// must not pass a decision).
pub async fn judge(
    client: &ProviderClient,
    token: &str,
    source: KeySource,
) -> Result<Judgement, EngineError> {
    let Some((header, claims)) = signed(token) else {
        return Ok(unsigned(token));
    };
    let expected_issuer = match &source {
        KeySource::Issuer(issuer) => Some(issuer.clone()),
        _ => None,
    };
    let (verdict, jwks) = match source {
        KeySource::Account(_) => {
            return Err(EngineError::Keys(
                "no accounts are configured to take keys from".into(),
            ));
        }
        KeySource::None => (verify(token, None), None),
        KeySource::Issuer(issuer) => {
            let (verdict, jwks) = client
                .verify_with_issuer(&issuer, token)
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
            let what = format!("'{uri}'");
            let http = client.http().map_err(|e| unreachable_keys(&what, e))?;
            let (verdict, jwks) = client
                .jwks()
                .verify(&http, &uri, token, Utc::now(), true)
                .await
                .map_err(|e| unreachable_keys(&what, e))?;
            (verdict, Some(jwks))
        }
    };
    Ok(assemble(&header, &claims, expected_issuer, verdict, jwks))
}

/// A signed JWT's header and claims; `None` for anything else.
fn signed(token: &str) -> Option<(serde_json::Value, serde_json::Value)> {
    match jwt::decode(token) {
        Ok(Decoded::Jwt { header, claims }) => Some((header, claims)),
        _ => None,
    }
}

/// Not a signed JWT: nothing to verify, and nothing about it to trust.
fn unsigned(token: &str) -> Judgement {
    Judgement {
        verdict: verify(token, None),
        risks: Vec::new(),
    }
}

/// The judgement of a signed JWT from its verdict: the header's risks, the times', and
/// a token of another issuer than the one whose keys were asked for (said, instead of
/// only "unknown key").
fn assemble(
    header: &serde_json::Value,
    claims: &serde_json::Value,
    expected_issuer: Option<String>,
    verdict: Verdict,
    jwks: Option<Jwks>,
) -> Judgement {
    let mut found = risks(header, jwks.as_ref());
    match (expected_issuer, claims.get("iss").and_then(|v| v.as_str())) {
        (Some(expected), Some(got))
            if expected.trim_end_matches('/') != got.trim_end_matches('/') =>
        {
            found.push(Risk::OtherIssuer {
                token: got.to_string(),
                expected,
            })
        }
        _ => {}
    }
    found.extend(time_risks(claims, Utc::now()));
    Judgement {
        verdict,
        risks: found,
    }
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
        self.client
            .jwks()
            .verify(&http, uri, token, Utc::now(), fresh)
            .await
            .map_err(|e| super::oauth_error(name, e))
    }

    /// [`judge`], with this engine's accounts to take keys from; `fresh` asks for an
    /// account's keys to be fetched again.
    pub async fn judge(
        &self,
        token: &str,
        source: KeySource,
        fresh: bool,
    ) -> Result<Judgement, EngineError> {
        let KeySource::Account(name) = source else {
            return judge(&self.client, token, source).await;
        };
        let Some((header, claims)) = signed(token) else {
            return Ok(unsigned(token));
        };
        let expected_issuer = self
            .account(&name)
            .ok()
            .and_then(|a| a.provider.endpoints.issuer.clone());
        let (verdict, jwks) = self.account_keys(&name, token, fresh).await?;
        Ok(assemble(
            &header,
            &claims,
            expected_issuer,
            verdict,
            Some(jwks),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Paths;
    use base64::Engine as _;

    fn unsigned(claims: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(claims))
    }

    #[tokio::test]
    async fn one_judgement_for_signature_header_and_times() {
        let client = crate::engine::provider_client(&Paths::under(std::path::Path::new(
            "/nonexistent-tokdeck",
        )));
        let expired = unsigned(r#"{"sub":"x","exp":1000}"#);
        let judged = judge(&client, &expired, KeySource::None)
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
        let e = judge(&client, &expired, KeySource::Account("a".into()))
            .await
            .expect_err("no engine");
        assert!(e.to_string().contains("no accounts are configured"), "{e}");
    }
}
