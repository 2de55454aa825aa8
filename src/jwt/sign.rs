//! Making a signed JWT (RFC 7515 compact serialization): the one signing path, used by
//! `tokdeck jwt sign` and the client assertions of `private_key_jwt` / `client_secret_jwt`
//! (RFC 7523), with the keys `oauth::assertion` reads.

use crate::jwt::private_key::PrivateKey;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Map, Value};

/// What signs: a private key (its type decides the algorithm: RS256, ES256/ES384, EdDSA)
/// or a shared secret with an HMAC algorithm.
pub enum Signer<'k> {
    Key(&'k PrivateKey),
    Secret(&'k [u8], Hmac),
}

/// RFC 7518 §3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hmac {
    Hs256,
    Hs384,
    Hs512,
}

impl Hmac {
    pub fn parse(alg: &str) -> Result<Self, String> {
        match alg.to_ascii_uppercase().as_str() {
            "HS256" => Ok(Self::Hs256),
            "HS384" => Ok(Self::Hs384),
            "HS512" => Ok(Self::Hs512),
            other => Err(format!(
                "'{other}' is not an HMAC algorithm; a secret signs with HS256, HS384 or HS512"
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Hs384 => "HS384",
            Self::Hs512 => "HS512",
        }
    }

    /// A warning when `secret` is shorter than the hash's output, the least RFC 7518 §3.2
    /// allows for this algorithm (a short secret can be guessed offline from one token).
    pub fn weak_secret(self, secret: &[u8]) -> Option<String> {
        let least = match self {
            Self::Hs256 => 32,
            Self::Hs384 => 48,
            Self::Hs512 => 64,
        };
        (secret.len() < least).then(|| {
            format!(
                "the secret is {} bytes; {} needs at least {least} (RFC 7518 §3.2): a shorter one can be guessed from a single token",
                secret.len(),
                self.name()
            )
        })
    }

    fn ring(self) -> ring::hmac::Algorithm {
        match self {
            Self::Hs256 => ring::hmac::HMAC_SHA256,
            Self::Hs384 => ring::hmac::HMAC_SHA384,
            Self::Hs512 => ring::hmac::HMAC_SHA512,
        }
    }
}

impl Signer<'_> {
    pub fn alg(&self) -> &'static str {
        match self {
            Self::Key(key) => key.alg(),
            Self::Secret(_, hmac) => hmac.name(),
        }
    }
}

/// `header` (its `alg` set here from the signer) and `claims`, signed.
pub fn sign(
    mut header: Map<String, Value>,
    claims: &Value,
    signer: &Signer<'_>,
) -> Result<String, String> {
    header.insert("alg".into(), signer.alg().into());
    let signed = format!(
        "{}.{}",
        B64.encode(Value::Object(header).to_string()),
        B64.encode(claims.to_string())
    );
    let signature = match signer {
        Signer::Key(key) => key.sign(signed.as_bytes())?,
        Signer::Secret(secret, hmac) => {
            let key = ring::hmac::Key::new(hmac.ring(), secret);
            ring::hmac::sign(&key, signed.as_bytes()).as_ref().to_vec()
        }
    };
    Ok(format!("{signed}.{}", B64.encode(signature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hmac_token_verifies_with_the_same_secret_only() {
        let claims = serde_json::json!({"sub": "alice"});
        for alg in ["HS256", "HS384", "HS512"] {
            let hmac = Hmac::parse(alg).expect("alg");
            let token = sign(Map::new(), &claims, &Signer::Secret(b"s3cret", hmac)).expect("sign");
            assert!(matches!(
                crate::jwt::verify::verify_hmac(&token, b"s3cret"),
                crate::jwt::verify::Verdict::Valid { .. }
            ));
            assert_eq!(
                crate::jwt::verify::verify_hmac(&token, b"other"),
                crate::jwt::verify::Verdict::Invalid
            );
        }
        assert!(Hmac::parse("RS256").is_err());
    }
}
