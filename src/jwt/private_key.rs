//! A private key tokdeck signs with (client assertions, DPoP proofs, `tokdeck jwt sign`,
//! the inspector): RSA (RS256), EC P-256 (ES256), P-384 (ES384) or Ed25519 (EdDSA), read
//! from PEM (PKCS#8, PKCS#1 RSA, SEC1 EC) or a private JWK, made by `jwt keygen`, and
//! described by its public JWK and RFC 7638 thumbprint. `Debug` never shows key material.

use base64::Engine;
use ring::signature::{self, KeyPair};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub enum PrivateKey {
    Rsa(signature::RsaKeyPair),
    Ec(signature::EcdsaKeyPair, &'static str),
    Ed(signature::Ed25519KeyPair),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({}, [redacted])", self.alg())
    }
}

impl PrivateKey {
    /// A PEM private key or a private JWK (a JWK Set holding one private key too).
    pub fn from_text(text: &str) -> Result<Self, String> {
        if text.trim_start().starts_with('{') {
            Self::from_jwk(text)
        } else {
            Self::from_pem(text)
        }
    }

    /// A private JWK (RFC 7517/7518: EC with `d`, OKP Ed25519 with `d`, RSA with the
    /// CRT members), or a JWK Set whose one key with `d` is taken.
    pub fn from_jwk(text: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("is not a JWK: {e}"))?;
        let jwk = match value.get("keys").and_then(|k| k.as_array()) {
            Some(keys) => {
                let private: Vec<&serde_json::Value> =
                    keys.iter().filter(|k| k.get("d").is_some()).collect();
                match private[..] {
                    [one] => one,
                    [] => return Err("is a JWK Set without a private key (no \"d\")".into()),
                    _ => {
                        return Err(
                            "is a JWK Set with several private keys; keep the one to sign with"
                                .into(),
                        );
                    }
                }
            }
            None => &value,
        };
        let member = |name: &str| -> Result<Vec<u8>, String> {
            let text = jwk
                .get(name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| format!("is a JWK without \"{name}\""))?;
            B64.decode(text.trim_end_matches('='))
                .map_err(|_| format!("is a JWK whose \"{name}\" is not base64url"))
        };
        let kty = jwk.get("kty").and_then(|v| v.as_str()).unwrap_or_default();
        if kty == "oct" {
            return Err(
                "is a symmetric JWK: sign with it as a secret (--secret-file holding its bytes)"
                    .into(),
            );
        }
        if jwk.get("d").is_none() {
            return Err("is a public JWK; signing needs the private key (with \"d\")".into());
        }
        let crv = jwk.get("crv").and_then(|v| v.as_str()).unwrap_or_default();
        match (kty, crv) {
            ("EC", "P-256" | "P-384") => {
                let (alg, name) = if crv == "P-256" {
                    (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, "ES256")
                } else {
                    (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, "ES384")
                };
                let point = [vec![4], member("x")?, member("y")?].concat();
                signature::EcdsaKeyPair::from_private_key_and_public_key(
                    alg,
                    &member("d")?,
                    &point,
                    &ring::rand::SystemRandom::new(),
                )
                .map(|key| Self::Ec(key, name))
                .map_err(|e| format!("is not a usable {crv} key ({e})"))
            }
            ("OKP", "Ed25519") => {
                signature::Ed25519KeyPair::from_seed_and_public_key(&member("d")?, &member("x")?)
                    .map(Self::Ed)
                    .map_err(|e| format!("is not a usable Ed25519 key ({e})"))
            }
            ("RSA", _) => {
                let components = ring::rsa::KeyPairComponents {
                    public_key: ring::rsa::PublicKeyComponents {
                        n: member("n")?,
                        e: member("e")?,
                    },
                    d: member("d")?,
                    p: member("p")?,
                    q: member("q")?,
                    dP: member("dp")?,
                    dQ: member("dq")?,
                    qInv: member("qi")?,
                };
                signature::RsaKeyPair::from_components(&components)
                    .map(Self::Rsa)
                    .map_err(|e| format!("is not a usable RSA key ({e})"))
            }
            (kty, crv) => Err(format!(
                "is a JWK of a kind tokdeck does not sign with (kty {kty:?}, crv {crv:?}); use RSA, EC P-256/P-384 or Ed25519"
            )),
        }
    }

    /// A PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) of a kind tokdeck signs with.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let body: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .concat();
        let pkcs8 = pem.contains("BEGIN PRIVATE KEY");
        let pkcs1 = pem.contains("BEGIN RSA PRIVATE KEY");
        let sec1 = pem.contains("BEGIN EC PRIVATE KEY");
        if !(pkcs8 || pkcs1 || sec1) {
            return Err("is not a PEM private key (PKCS#8 -----BEGIN PRIVATE KEY-----, PKCS#1 RSA or SEC1 EC); convert it with `openssl pkcs8 -topk8 -nocrypt`".into());
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(|e| format!("is not valid PEM ({e})"))?;
        let rng = ring::rand::SystemRandom::new();
        if pkcs1 {
            // RFC 8017 §A.1.2 RSAPrivateKey.
            return signature::RsaKeyPair::from_der(&der)
                .map(Self::Rsa)
                .map_err(rsa_refused);
        }
        if sec1 {
            return sec1_key(&der, &rng);
        }
        // The key's algorithm (PKCS#8 AlgorithmIdentifier) says why one is refused.
        let head = &der[..der.len().min(40)];
        let names = |oid: &[u8]| head.windows(oid.len()).any(|w| w == oid);
        if names(&RSA_ENCRYPTION) {
            return signature::RsaKeyPair::from_pkcs8(&der)
                .map(Self::Rsa)
                .map_err(rsa_refused);
        }
        if names(&SECP521R1) {
            return Err("is a P-521 key: tokdeck verifies ES512 but does not sign with it; make an ES256 or ES384 key with `tokdeck jwt keygen`".into());
        }
        if names(&ED448) {
            return Err("is an Ed448 key: tokdeck signs EdDSA with Ed25519 keys; make one with `tokdeck jwt keygen --alg EdDSA`".into());
        }
        for (alg, name) in [
            (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, "ES256"),
            (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, "ES384"),
        ] {
            if let Ok(key) = signature::EcdsaKeyPair::from_pkcs8(alg, &der, &rng) {
                return Ok(Self::Ec(key, name));
            }
        }
        if let Ok(key) = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der) {
            return Ok(Self::Ed(key));
        }
        Err("holds no RSA, EC P-256/P-384 or Ed25519 private key".into())
    }

    /// A new key for `alg` (ES256, ES384, RS256: 2048 bits, EdDSA) as PKCS#8 DER.
    pub fn generate_pkcs8(alg: &str) -> Result<Vec<u8>, String> {
        let rng = ring::rand::SystemRandom::new();
        let made = match alg {
            "ES256" => signature::EcdsaKeyPair::generate_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &rng,
            ),
            "ES384" => signature::EcdsaKeyPair::generate_pkcs8(
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                &rng,
            ),
            "EdDSA" => {
                // ring writes PKCS#8 v2 (RFC 5958, with the public key), which OpenSSL 3.0,
                // node and Python's cryptography do not read: the v1 form holds the seed.
                return signature::Ed25519KeyPair::generate_pkcs8(&rng)
                    .ok()
                    .and_then(|v2| ed25519_v1(v2.as_ref()))
                    .ok_or_else(|| "the key could not be generated".to_string());
            }
            "RS256" => return super::rsa_keygen::generate(&rng),
            other => {
                return Err(format!(
                    "'{other}' is not an algorithm tokdeck makes keys for; use ES256, ES384, RS256 or EdDSA"
                ));
            }
        };
        made.map(|doc| doc.as_ref().to_vec())
            .map_err(|_| "the key could not be generated".to_string())
    }

    pub fn alg(&self) -> &'static str {
        match self {
            Self::Rsa(_) => "RS256",
            Self::Ec(_, alg) => alg,
            Self::Ed(_) => "EdDSA",
        }
    }

    /// The RFC 7638 thumbprint of the public key: the default `kid`.
    pub fn thumbprint(&self) -> String {
        use sha2::Digest;
        B64.encode(sha2::Sha256::digest(self.canonical_jwk().as_bytes()))
    }

    /// The public key as a JWK with `kid`, `alg` and `use`, to register at a provider.
    pub fn public_jwk(&self, kid: &str) -> serde_json::Value {
        let mut jwk: serde_json::Value =
            serde_json::from_str(&self.canonical_jwk()).unwrap_or_default();
        jwk["kid"] = kid.into();
        jwk["alg"] = self.alg().into();
        jwk["use"] = "sig".into();
        jwk
    }

    /// The required members of the public JWK in lexicographic order (RFC 7638 §3).
    pub(crate) fn canonical_jwk(&self) -> String {
        match self {
            Self::Rsa(key) => {
                let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(key.public());
                let (n, e) = (&public.n, &public.e);
                format!(
                    r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                    B64.encode(e),
                    B64.encode(n)
                )
            }
            Self::Ec(key, alg) => {
                let point = key.public_key().as_ref();
                let half = (point.len() - 1) / 2;
                let crv = if *alg == "ES256" { "P-256" } else { "P-384" };
                format!(
                    r#"{{"crv":"{crv}","kty":"EC","x":"{}","y":"{}"}}"#,
                    B64.encode(&point[1..=half]),
                    B64.encode(&point[half + 1..])
                )
            }
            Self::Ed(key) => format!(
                r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                B64.encode(key.public_key().as_ref())
            ),
        }
    }

    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let rng = ring::rand::SystemRandom::new();
        match self {
            Self::Rsa(key) => {
                let mut out = vec![0; key.public().modulus_len()];
                key.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut out)
                    .map_err(|_| "the RSA signature failed".to_string())?;
                Ok(out)
            }
            Self::Ec(key, _) => key
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| "the EC signature failed".to_string()),
            Self::Ed(key) => Ok(key.sign(message).as_ref().to_vec()),
        }
    }
}

/// RFC 5915 ECPrivateKey: SEQUENCE { version 1, privateKey OCTET STRING, [0] curve OID,
/// [1] publicKey BIT STRING }; the public key must be there (ring checks the pair).
fn sec1_key(der: &[u8], rng: &ring::rand::SystemRandom) -> Result<PrivateKey, String> {
    use crate::jwt::keyfile::{P256, P384, element, expect};
    let (body, _) = expect(der, 0x30)?;
    let (_, rest) = expect(body, 0x02)?;
    let (private, mut rest) = expect(rest, 0x04)?;
    let (mut curve, mut public) = (None, None);
    while !rest.is_empty() {
        let (tag, content, after) = element(rest)?;
        match tag {
            0xa0 => curve = Some(expect(content, 0x06)?.0),
            0xa1 => public = Some(expect(content, 0x03)?.0),
            _ => {}
        }
        rest = after;
    }
    let (alg, name) = match curve {
        Some(P256) => (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, "ES256"),
        Some(P384) => (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, "ES384"),
        _ => return Err("is a SEC1 EC key on a curve other than P-256 or P-384".into()),
    };
    let public = public.and_then(|p| p.strip_prefix(&[0])).ok_or(
        "is a SEC1 EC key without its public key; convert it with `openssl pkcs8 -topk8 -nocrypt`",
    )?;
    signature::EcdsaKeyPair::from_private_key_and_public_key(alg, private, public, rng)
        .map(|key| PrivateKey::Ec(key, name))
        .map_err(|e| format!("is not a usable SEC1 EC key ({e})"))
}

/// The PKCS#8 v1 form of an Ed25519 key from ring's v2 document: the same
/// `privateKey` (the 32-byte seed in an OCTET STRING), without the public key.
fn ed25519_v1(v2: &[u8]) -> Option<Vec<u8>> {
    // ring's v2 document: SEQUENCE { INTEGER 1, AlgorithmIdentifier(Ed25519),
    // OCTET STRING { OCTET STRING seed }, [1] publicKey }: the seed at bytes 16..48.
    const V1_PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let seed = v2.get(16..48)?;
    (v2.get(5..16)? == &V1_PREFIX[5..]).then(|| [&V1_PREFIX[..], seed].concat())
}

/// A private key file: private to the user (as the token files are), then parsed.
pub fn read_key(path: &std::path::Path) -> Result<PrivateKey, String> {
    check_private(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot be read ({e})"))?;
    PrivateKey::from_text(&text)
}

/// What a PEM that holds no usable private key is, and what to do: a public key or a
/// certificate (signing needs the private key), an encrypted key (decrypt it first).
fn not_private(text: &str) -> Option<&'static str> {
    let label = text
        .trim_start()
        .strip_prefix("-----BEGIN ")?
        .split("-----")
        .next()?;
    Some(match label {
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => {
            "holds a public key or a certificate; signing needs the private key"
        }
        "ENCRYPTED PRIVATE KEY" => {
            "is encrypted; write a decrypted copy (`openssl pkey -in KEY -out PLAIN`, then chmod 600) and give that"
        }
        _ => return None,
    })
}

/// The key file exists, is a file, holds a private key (a public one is said so first),
/// and only its owner may read it.
pub fn check_private(path: &std::path::Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot be read ({e})"))?;
    if meta.is_dir() {
        return Err("is a directory, not a key file".into());
    }
    if let Some(why) = std::fs::read_to_string(path)
        .ok()
        .as_deref()
        .and_then(not_private)
    {
        return Err(why.into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "is open to other users (mode {mode:o}); run chmod 600 on it"
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// Algorithm identifiers of PKCS#8 keys (DER of the OIDs): rsaEncryption (RFC 8017),
/// secp521r1 (SEC 2), Ed448 (RFC 8410).
const RSA_ENCRYPTION: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const SECP521R1: [u8; 5] = [0x2b, 0x81, 0x04, 0x00, 0x23];
const ED448: [u8; 5] = [0x06, 0x03, 0x2b, 0x65, 0x71];

/// Why ring will not sign with an RSA key, in words.
fn rsa_refused(e: ring::error::KeyRejected) -> String {
    match e.to_string().as_str() {
        // ring says this of the modulus (under 2048 bits) and of the exponent (under 65537).
        "TooSmall" => "is an RSA key too weak to sign with: its modulus is under 2048 bits or its public exponent under 65537; make one with `tokdeck jwt keygen --alg RS256`".into(),
        "TooLarge" => "is an RSA key over 8192 bits, more than tokdeck signs with".into(),
        other => format!(
            "is an RSA key that cannot be used ({other}): tokdeck signs with RSA keys of 2048 to 8192 bits whose public exponent is 65537 or more"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_jwk_signs_and_public_or_symmetric_ones_say_what_to_do() {
        let der = PrivateKey::generate_pkcs8("ES256").expect("key");
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(&der)
        );
        let key = PrivateKey::from_pem(&pem).expect("pem");
        let public = key.public_jwk("k");
        let e = PrivateKey::from_text(&public.to_string()).expect_err("public");
        assert!(e.contains("needs the private key"), "{e}");
        let e = PrivateKey::from_jwk(r#"{"kty":"oct","k":"c2VjcmV0"}"#).expect_err("oct");
        assert!(e.contains("as a secret"), "{e}");
        let e = PrivateKey::from_jwk(r#"{"keys":[]}"#).expect_err("empty set");
        assert!(e.contains("without a private key"), "{e}");
    }
}
