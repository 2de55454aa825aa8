//! JWS signature verification (RFC 7515) against a JWK Set (RFC 7517), with `ring`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A public key from a JWKS. Private members, if a provider leaks them, are ignored.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: String,
    pub kid: Option<String>,
    pub alg: Option<String>,
    #[serde(rename = "use")]
    pub use_: Option<String>,
    pub n: Option<String>,
    pub e: Option<String>,
    pub crv: Option<String>,
    pub x: Option<String>,
    pub y: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// A key of the set may be the one `kid` names: it carries that `kid`, or none
    /// (RFC 7517 §4.5: `kid` is optional; a single exported JWK often has none).
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys
            .iter()
            .any(|k| k.kid.as_deref().is_none_or(|k| k == kid))
    }

    /// True when the set holds asymmetric keys (so an HMAC-signed token is out of place).
    pub fn has_public_keys(&self) -> bool {
        self.keys
            .iter()
            .any(|k| matches!(k.kty.as_str(), "RSA" | "EC" | "OKP"))
    }
}

/// The one verdict shown for a decoded token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid { kid: Option<String> },
    Invalid,
    UnknownKey { kid: Option<String> },
    NotVerifiable(String),
    AlgNone,
}

impl Verdict {
    /// The machine-readable word (`tokdeck decode`'s `"signature"`).
    pub fn word(&self) -> &'static str {
        match self {
            Self::Valid { .. } => "valid",
            Self::Invalid => "invalid",
            Self::UnknownKey { .. } => "unknown_key",
            Self::NotVerifiable(_) => "not_verifiable",
            Self::AlgNone => "alg_none",
        }
    }

    /// The sentence shown to people.
    pub fn describe(&self) -> String {
        match self {
            Self::Valid { kid: Some(kid) } => format!("signature valid (kid {kid})"),
            Self::Valid { kid: None } => "signature valid".into(),
            Self::Invalid => "signature INVALID".into(),
            Self::UnknownKey { kid: Some(kid) } => {
                format!("unknown key (kid {kid} is not in the JWKS)")
            }
            Self::UnknownKey { kid: None } => "unknown key (no key in the JWKS fits)".into(),
            Self::NotVerifiable(why) => format!("not verifiable ({why})"),
            Self::AlgNone => "alg none: the token is not signed".into(),
        }
    }
}

/// Verifies a compact JWS. `jwks` `None`: there is no key source.
pub fn verify(token: &str, jwks: Option<&Jwks>) -> Verdict {
    verify_against(token, jwks, true)
}

/// Verifies a compact JWS with keys the user gave (`decode --key`): they are the keys
/// whatever `kid` the token names, and their type decides the algorithms (an HS token
/// with a public key is key confusion, refused; an RS token with an EC key is said so).
pub fn verify_with_keys(token: &str, keys: &Jwks) -> Verdict {
    let alg = match crate::jwt::decode(token.trim()) {
        Ok(crate::jwt::Decoded::Jwt { header, .. }) => header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        _ => return verify_against(token, Some(keys), false),
    };
    if let Some(algorithm) = algorithm(&alg)
        && !keys.keys.iter().any(|k| k.kty == algorithm.kty)
    {
        let have: Vec<&str> = keys.keys.iter().map(|k| k.kty.as_str()).collect();
        return Verdict::NotVerifiable(format!(
            "alg {alg} needs {} {} key; the key given is {}",
            if algorithm.kty.starts_with(['E', 'O']) {
                "an"
            } else {
                "a"
            },
            algorithm.kty,
            have.join(", ")
        ));
    }
    verify_against(token, Some(keys), false)
}

fn verify_against(token: &str, jwks: Option<&Jwks>, match_kid: bool) -> Verdict {
    let token = token.trim();
    let (header, parts) = match signed_parts(token) {
        Ok(found) => found,
        Err(verdict) => return verdict,
    };
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg.eq_ignore_ascii_case("none") {
        return Verdict::AlgNone;
    }
    if alg.starts_with("HS") {
        return Verdict::NotVerifiable(format!("{alg} needs the shared secret"));
    }
    let Some(jwks) = jwks else {
        return Verdict::NotVerifiable("no JWKS".into());
    };
    let Some(algorithm) = algorithm(alg) else {
        return Verdict::NotVerifiable(format!("unsupported alg '{alg}'"));
    };
    let Ok(signature) = URL_SAFE_NO_PAD.decode(parts[2]) else {
        return Verdict::Invalid;
    };
    let message = &token.as_bytes()[..parts[0].len() + 1 + parts[1].len()];
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .map(str::to_string);
    let named: Vec<&Jwk> = jwks
        .keys
        .iter()
        .filter(|k| match &kid {
            Some(kid) if match_kid => k.kid.as_deref().is_none_or(|k| k == kid),
            _ => true,
        })
        .collect();
    // Keys for signatures of this algorithm (RFC 7517 §4.2 `use`, §4.4 `alg`).
    let candidates: Vec<&Jwk> = named
        .iter()
        .copied()
        .filter(|k| unfit(k, alg, &algorithm).is_none())
        .collect();
    if candidates.is_empty() {
        return match named.first() {
            None => Verdict::UnknownKey { kid },
            // The key the token names (or the one given) is not for this token: say why.
            Some(key) => Verdict::NotVerifiable(unfit(key, alg, &algorithm).unwrap_or_default()),
        };
    }
    let mut unusable = Vec::new();
    let mut refused = false;
    for key in candidates {
        match check(&algorithm, key, message, &signature) {
            Ok(true) => return Verdict::Valid { kid },
            Ok(false) => refused = true,
            Err(why) => unusable.push(why),
        }
    }
    if refused || unusable.is_empty() {
        Verdict::Invalid
    } else {
        // No key that could have been it can check signatures: that, not "invalid".
        unusable.dedup();
        Verdict::NotVerifiable(unusable.join("; "))
    }
}

/// Why `key` is not one for a signature of `alg`; `None` when it may be.
fn unfit(key: &Jwk, alg: &str, algorithm: &Algorithm) -> Option<String> {
    let name = key.kid.as_deref().map_or("the key".to_string(), |k| {
        format!("the key '{}'", crate::printable::printable(k))
    });
    if let Some(purpose) = key.use_.as_deref().filter(|u| *u != "sig") {
        return Some(format!(
            "{name} is for use '{}' (RFC 7517 §4.2), not signatures",
            crate::printable::printable(purpose)
        ));
    }
    if let Some(meant) = key.alg.as_deref().filter(|a| *a != alg) {
        return Some(format!(
            "{name} is for alg {} (RFC 7517 §4.4); the token says {alg}",
            crate::printable::printable(meant)
        ));
    }
    if key.kty != algorithm.kty {
        let article = if algorithm.kty.starts_with(['E', 'O']) {
            "an"
        } else {
            "a"
        };
        return Some(format!(
            "alg {alg} needs {article} {} key; {name} is {}",
            algorithm.kty,
            crate::printable::printable(&key.kty)
        ));
    }
    None
}

/// A compact JWS's header and its three parts; an encrypted or opaque token is not
/// verifiable.
fn signed_parts(token: &str) -> Result<(Value, Vec<&str>), Verdict> {
    let parts: Vec<&str> = token.split('.').collect();
    match crate::jwt::decode(token) {
        Ok(crate::jwt::Decoded::Jwt { header, .. }) if parts.len() == 3 => Ok((header, parts)),
        Ok(crate::jwt::Decoded::Encrypted { .. }) => {
            Err(Verdict::NotVerifiable("encrypted token".into()))
        }
        _ => Err(Verdict::NotVerifiable("opaque token".into())),
    }
}

/// Verifies a compact JWS with a shared secret (RFC 7518 §3.2). The secret decides the
/// algorithms: only HS256/384/512 verify with it; a token of any other `alg` is refused
/// as not verifiable (with a secret, an RS or ES token is a key-confusion attempt).
pub fn verify_hmac(token: &str, secret: &[u8]) -> Verdict {
    let token = token.trim();
    let (header, parts) = match signed_parts(token) {
        Ok(found) => found,
        Err(verdict) => return verdict,
    };
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let algorithm = match alg {
        "HS256" => ring::hmac::HMAC_SHA256,
        "HS384" => ring::hmac::HMAC_SHA384,
        "HS512" => ring::hmac::HMAC_SHA512,
        a if a.eq_ignore_ascii_case("none") => return Verdict::AlgNone,
        other => {
            return Verdict::NotVerifiable(format!(
                "alg '{}' with a shared secret: a secret verifies HS256, HS384 and HS512 only",
                crate::printable::printable(other)
            ));
        }
    };
    let Ok(signature) = URL_SAFE_NO_PAD.decode(parts[2]) else {
        return Verdict::Invalid;
    };
    let message = &token.as_bytes()[..parts[0].len() + 1 + parts[1].len()];
    let key = ring::hmac::Key::new(algorithm, secret);
    match ring::hmac::verify(&key, message, &signature) {
        Ok(()) => Verdict::Valid {
            kid: header
                .get("kid")
                .and_then(Value::as_str)
                .map(str::to_string),
        },
        Err(_) => Verdict::Invalid,
    }
}

struct Algorithm {
    kty: &'static str,
    crv: Option<&'static str>,
    check: Check,
}

/// What checks a signature of an algorithm.
enum Check {
    Rsa(&'static signature::RsaParameters),
    /// ring's ECDSA (P-256, P-384) and Ed25519.
    Ring(&'static dyn signature::VerificationAlgorithm),
    /// ES512: tokdeck's own, as ring has no P-521 (`jwt::p521`).
    P521,
}

fn algorithm(alg: &str) -> Option<Algorithm> {
    let rsa = |p: &'static signature::RsaParameters| Algorithm {
        kty: "RSA",
        crv: None,
        check: Check::Rsa(p),
    };
    let curve = |kty, crv, a: &'static dyn signature::VerificationAlgorithm| Algorithm {
        kty,
        crv: Some(crv),
        check: Check::Ring(a),
    };
    Some(match alg {
        "RS256" => rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
        "RS384" => rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
        "RS512" => rsa(&signature::RSA_PKCS1_2048_8192_SHA512),
        "PS256" => rsa(&signature::RSA_PSS_2048_8192_SHA256),
        "PS384" => rsa(&signature::RSA_PSS_2048_8192_SHA384),
        "PS512" => rsa(&signature::RSA_PSS_2048_8192_SHA512),
        "ES256" => curve("EC", "P-256", &signature::ECDSA_P256_SHA256_FIXED),
        "ES384" => curve("EC", "P-384", &signature::ECDSA_P384_SHA384_FIXED),
        "ES512" => Algorithm {
            kty: "EC",
            crv: Some("P-521"),
            check: Check::P521,
        },
        "EdDSA" | "Ed25519" => curve("OKP", "Ed25519", &signature::ED25519),
        _ => return None,
    })
}

fn b64(field: &Option<String>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(field.as_deref()?.trim_end_matches('='))
        .ok()
}

/// Whether `signature` is `key`'s over `message`; `Err` when the key cannot check
/// signatures of this algorithm at all (its curve, its size, a missing or malformed
/// part), which is no verdict on the token.
fn check(
    algorithm: &Algorithm,
    key: &Jwk,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, String> {
    if let Check::Rsa(params) = algorithm.check {
        return check_rsa(params, key, message, signature);
    }
    let crv = key.crv.as_deref().unwrap_or("none");
    let wanted = algorithm.crv.unwrap_or_default();
    if crv != wanted {
        return Err(format!(
            "the token's alg needs a key on curve {wanted}; the key's curve is {}",
            crate::printable::printable(crv)
        ));
    }
    // Coordinates of the curve's size (RFC 7518 §6.2.1.2, RFC 8037 §2).
    let size = match wanted {
        "P-256" => 32,
        "P-384" => 48,
        "P-521" => super::p521::SIZE,
        _ => 32,
    };
    let coordinate = |field: &Option<String>, name: &str| {
        b64(field)
            .filter(|v| v.len() == size)
            .ok_or_else(|| format!("the {crv} key's `{name}` is not {size} bytes of base64url"))
    };
    let x = coordinate(&key.x, "x")?;
    let verifier = match algorithm.check {
        Check::Ring(verifier) => verifier,
        Check::P521 => {
            let y = coordinate(&key.y, "y")?;
            super::p521::on_curve(&x, &y)?;
            return Ok(super::p521::verify(&x, &y, message, signature));
        }
        Check::Rsa(_) => return Ok(false),
    };
    let point = match algorithm.kty {
        "EC" => [&[4u8][..], &x, &coordinate(&key.y, "y")?].concat(),
        _ => x,
    };
    Ok(UnparsedPublicKey::new(verifier, point)
        .verify(message, signature)
        .is_ok())
}

fn check_rsa(
    params: &'static signature::RsaParameters,
    key: &Jwk,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, String> {
    let (Some(n), Some(e)) = (b64(&key.n), b64(&key.e)) else {
        return Err("the RSA key has no `n` or `e` (base64url)".into());
    };
    let strip = |v: &[u8]| {
        v.iter()
            .position(|&b| b != 0)
            .map_or(Vec::new(), |i| v[i..].to_vec())
    };
    let n = strip(&n);
    let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
    if !(2048..=8192).contains(&bits) {
        return Err(format!(
            "the RSA key has {bits} bits; tokdeck checks RSA signatures of 2048 to 8192 bits (keys under 2048 bits are breakable)"
        ));
    }
    let components = RsaPublicKeyComponents { n, e: strip(&e) };
    Ok(components.verify(params, message, signature).is_ok())
}

#[cfg(test)]
mod tests;
