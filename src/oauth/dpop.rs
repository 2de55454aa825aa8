//! Demonstrating Proof of Possession (RFC 9449): tokens bound to a key pair that only
//! this account holds. Every request that presents or obtains such a token carries a
//! proof, a JWT signed with the key over the request's method and URL (and the access
//! token's hash when one is presented). The key is an ES256 (P-256) pair, kept with the
//! tokens in the store; `Debug` never shows it.

use crate::jwt::private_key::PrivateKey;
use crate::secret::Secret;
use base64::Engine;
use ring::signature;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The `DPoP` request header (RFC 9449 §4.1).
pub const HEADER: &str = "DPoP";
/// The response header in which a server hands out the nonce to use (RFC 9449 §8).
pub const NONCE_HEADER: &str = "DPoP-Nonce";
/// The error a server answers a proof without its nonce with (RFC 9449 §8, §9).
pub const USE_NONCE: &str = "use_dpop_nonce";

/// An account's proof-of-possession key and the latest nonce each server asked for.
#[derive(Clone)]
pub struct Dpop {
    inner: Arc<Inner>,
}

struct Inner {
    key: PrivateKey,
    /// The PKCS#8 document, base64url: what the store keeps.
    stored: Secret,
    /// Per origin (`https://host:port`): the server's latest `DPoP-Nonce`.
    nonces: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for Dpop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dpop(jkt {}, [redacted])", self.thumbprint())
    }
}

impl Dpop {
    /// A new P-256 key pair.
    pub fn generate() -> Result<Self, String> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = signature::EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &rng,
        )
        .map_err(|_| "cannot make a DPoP key (no randomness)".to_string())?;
        Self::from_stored(&Secret::new(B64.encode(pkcs8.as_ref())))
    }

    /// The key as the store keeps it ([`Self::stored`]).
    pub fn from_stored(stored: &Secret) -> Result<Self, String> {
        let der = B64
            .decode(stored.expose())
            .map_err(|_| "the stored DPoP key is not base64url".to_string())?;
        let rng = ring::rand::SystemRandom::new();
        let key = signature::EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &der,
            &rng,
        )
        .map_err(|_| "the stored DPoP key is not a P-256 key".to_string())?;
        Ok(Self {
            inner: Arc::new(Inner {
                key: PrivateKey::Ec(key, "ES256"),
                stored: stored.clone(),
                nonces: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn stored(&self) -> Secret {
        self.inner.stored.clone()
    }

    /// The RFC 7638 thumbprint of the public key: `jkt`, as in `cnf.jkt` and `dpop_jkt`.
    pub fn thumbprint(&self) -> String {
        self.inner.key.thumbprint()
    }

    /// A proof for one request (RFC 9449 §4.2): `htm`, `htu` (the URL without query and
    /// fragment), `iat`, a unique `jti`, the server's nonce when it gave one, and `ath`
    /// when `access_token` is presented with the request.
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
    ) -> Result<String, String> {
        let htu = htu(url)?;
        let random = ring::rand::generate::<[u8; 16]>(&ring::rand::SystemRandom::new())
            .map_err(|_| "no randomness for the DPoP proof's jti".to_string())?;
        let mut claims = serde_json::json!({
            "jti": B64.encode(random.expose()),
            "htm": method,
            "htu": htu,
            "iat": chrono::Utc::now().timestamp(),
        });
        if let Some(nonce) = self.nonce(url) {
            claims["nonce"] = nonce.into();
        }
        if let Some(token) = access_token {
            claims["ath"] = ath(token).into();
        }
        let header =
            serde_json::json!({"typ": "dpop+jwt", "alg": self.inner.key.alg(), "jwk": self.jwk()});
        let signed = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let signature = self.inner.key.sign(signed.as_bytes())?;
        Ok(format!("{signed}.{}", B64.encode(signature)))
    }

    /// The public key as a JWK (no private part).
    fn jwk(&self) -> serde_json::Value {
        serde_json::from_str(&self.inner.key.canonical_jwk()).unwrap_or_default()
    }

    /// Keeps the nonce a server sent with a response to a request to `url`.
    pub fn remember_nonce(&self, url: &str, nonce: &str) {
        if let (Some(origin), Ok(mut nonces)) = (origin(url), self.inner.nonces.lock()) {
            nonces.insert(origin, nonce.to_string());
        }
    }

    fn nonce(&self, url: &str) -> Option<String> {
        let origin = origin(url)?;
        self.inner.nonces.lock().ok()?.get(&origin).cloned()
    }

    /// RFC 9449 §6: a token bound to this key says so in `cnf.jkt`; a JWT access token
    /// bound to another key (or a server that ignored the proof) is refused.
    pub fn check_binding(&self, access_token: &str) -> Result<(), String> {
        let Some(claims) = crate::jwt::claims(access_token) else {
            return Ok(()); // opaque: only the server can tell
        };
        match claims
            .get("cnf")
            .and_then(|c| c.get("jkt"))
            .and_then(|j| j.as_str())
        {
            Some(jkt) if jkt == self.thumbprint() => Ok(()),
            Some(jkt) => Err(format!(
                "the DPoP token is bound to key '{jkt}', not to this account's key '{}'",
                self.thumbprint()
            )),
            None => Err("the DPoP token names no key (no cnf.jkt claim)".to_string()),
        }
    }
}

/// RFC 9449 §4.2: `htu` is the HTTP URI without query and fragment (and without
/// user name and password, which a server never sees as part of the URI).
fn htu(url: &str) -> Result<String, String> {
    let mut parsed =
        url::Url::parse(url).map_err(|e| format!("'{url}' is not a URL for a DPoP proof ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "'{url}' is not an http(s) URL; DPoP proofs are for HTTP requests"
        ));
    }
    parsed.set_query(None);
    parsed.set_fragment(None);
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    Ok(parsed.to_string())
}

fn origin(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

/// `ath` (RFC 9449 §4.2): the base64url SHA-256 of the access token a proof goes with.
pub fn ath(access_token: &str) -> String {
    use sha2::Digest;
    B64.encode(sha2::Sha256::digest(access_token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(jwt: &str, i: usize) -> serde_json::Value {
        let segment = jwt.split('.').nth(i).expect("segment");
        serde_json::from_slice(&B64.decode(segment).expect("b64")).expect("JSON")
    }

    #[test]
    fn a_proof_names_the_request_and_verifies_with_its_embedded_key() {
        let dpop = Dpop::generate().expect("key");
        let proof = dpop
            .proof("GET", "https://api.test/items?page=2#x", Some("tok"))
            .expect("proof");
        let (header, claims) = (part(&proof, 0), part(&proof, 1));
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert!(
            header["jwk"].get("d").is_none(),
            "no private part: {header}"
        );
        assert_eq!(claims["htm"], "GET");
        assert_eq!(claims["htu"], "https://api.test/items");
        use sha2::Digest;
        assert_eq!(claims["ath"], B64.encode(sha2::Sha256::digest(b"tok")));
        // The signature checks out with the public key in the header.
        let x = B64
            .decode(header["jwk"]["x"].as_str().expect("x"))
            .expect("x");
        let y = B64
            .decode(header["jwk"]["y"].as_str().expect("y"))
            .expect("y");
        let public = [&[4u8][..], &x, &y].concat();
        let (signed, signature) = proof.rsplit_once('.').expect("signed");
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, public)
            .verify(signed.as_bytes(), &B64.decode(signature).expect("sig"))
            .expect("the proof verifies");
        // Another proof has another jti.
        let again = dpop
            .proof("GET", "https://api.test/items", None)
            .expect("proof");
        assert_ne!(part(&again, 1)["jti"], claims["jti"]);
        assert!(part(&again, 1).get("ath").is_none());
    }

    #[test]
    fn the_key_survives_the_store_and_nonces_go_per_server() {
        let dpop = Dpop::generate().expect("key");
        let again = Dpop::from_stored(&dpop.stored()).expect("reads");
        assert_eq!(dpop.thumbprint(), again.thumbprint());
        dpop.remember_nonce("https://as.test/token", "n-1");
        let proof = dpop
            .proof("POST", "https://as.test/other", None)
            .expect("proof");
        assert_eq!(part(&proof, 1)["nonce"], "n-1");
        let elsewhere = dpop
            .proof("POST", "https://rs.test/x", None)
            .expect("proof");
        assert!(part(&elsewhere, 1).get("nonce").is_none());
        assert!(!format!("{dpop:?}").contains(dpop.stored().expose()));
    }

    #[test]
    fn a_token_bound_to_another_key_is_refused() {
        let dpop = Dpop::generate().expect("key");
        let jwt = |claims: serde_json::Value| {
            format!(
                "{}.{}.c2ln",
                B64.encode(r#"{"alg":"ES256","typ":"at+jwt"}"#),
                B64.encode(claims.to_string())
            )
        };
        let ours = jwt(serde_json::json!({"cnf": {"jkt": dpop.thumbprint()}}));
        assert!(dpop.check_binding(&ours).is_ok());
        let theirs = jwt(serde_json::json!({"cnf": {"jkt": "other"}}));
        assert!(
            dpop.check_binding(&theirs)
                .expect_err("refused")
                .contains("'other'")
        );
        assert!(dpop.check_binding("opaque-token").is_ok());
    }
}
