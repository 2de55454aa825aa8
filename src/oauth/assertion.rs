//! Client authentication by signed assertion (RFC 7523 §2.2; OIDC Core §9
//! `client_secret_jwt` and `private_key_jwt`): a short-lived JWT instead of a secret sent
//! as such. Keys are PKCS#8 PEM files: RSA (RS256), EC P-256 (ES256), P-384 (ES384) or
//! Ed25519 (EdDSA). `Debug` never shows key material.

use crate::secret::Secret;
use base64::Engine;
use ring::signature::{self, KeyPair};
use std::sync::Arc;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What signs the assertion.
#[derive(Clone)]
pub enum SigningKey {
    /// `client_secret_jwt`: HS256 with the client secret.
    Secret(Secret),
    /// `private_key_jwt`: the key file, read and parsed at the first signature (never on
    /// a command that does not authenticate the client, such as a cached `token`), and
    /// the `kid` the provider knows the public key by (`None`: its RFC 7638 thumbprint).
    Private {
        source: KeySource,
        kid: Option<String>,
        key: Arc<std::sync::OnceLock<Result<PrivateKey, String>>>,
    },
}

/// Where a `private_key_jwt` key is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A PKCS#8 PEM file (0600).
    File(std::path::PathBuf),
    /// The OS keyring (`client_key = "keyring"`), stored by `tokdeck client-key import`
    /// for this provider of the data directory.
    Keyring {
        data_dir: std::path::PathBuf,
        provider: String,
    },
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "client_key '{}'", path.display()),
            Self::Keyring { provider, .. } => {
                write!(f, "the client key of provider '{provider}' in the keyring")
            }
        }
    }
}

pub enum PrivateKey {
    Rsa(signature::RsaKeyPair),
    Ec(signature::EcdsaKeyPair, &'static str),
    Ed(signature::Ed25519KeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Secret(_) => f.write_str("SigningKey::Secret([redacted])"),
            Self::Private { source, kid, .. } => {
                write!(f, "SigningKey::Private({source}, kid {kid:?}, [redacted])")
            }
        }
    }
}

impl PrivateKey {
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
                .map_err(|e| format!("is not a usable PKCS#1 RSA key ({e})"));
        }
        if sec1 {
            return sec1_key(&der, &rng);
        }
        if let Ok(key) = signature::RsaKeyPair::from_pkcs8(&der) {
            return Ok(Self::Rsa(key));
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

    /// A new key for `alg` (ES256, ES384, EdDSA) as PKCS#8 DER. RSA keys are not made here
    /// (ring does not generate them).
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
            "EdDSA" => signature::Ed25519KeyPair::generate_pkcs8(&rng),
            "RS256" => {
                return Err(
                    "RSA keys are not generated here: `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem`, then `chmod 600 key.pem`".into(),
                );
            }
            other => {
                return Err(format!(
                    "'{other}' is not an algorithm tokdeck makes keys for; use ES256, ES384 or EdDSA"
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

impl SigningKey {
    /// A `private_key_jwt` key from `source`, read when first used.
    pub fn private(source: KeySource, kid: Option<String>) -> Self {
        Self::Private {
            source,
            kid,
            key: Arc::new(std::sync::OnceLock::new()),
        }
    }

    /// The assertion for `client_id` at `audience`: `iss` = `sub` = the client, a unique
    /// `jti`, valid for 60 s.
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<String, String> {
        let now = chrono::Utc::now().timestamp();
        let random = ring::rand::generate::<[u8; 16]>(&ring::rand::SystemRandom::new())
            .map_err(|_| "no randomness for the assertion's jti".to_string())?;
        let claims = serde_json::json!({
            "iss": client_id, "sub": client_id, "aud": audience,
            "jti": B64.encode(random.expose()), "iat": now, "exp": now + 60,
        });
        let private = match self {
            Self::Secret(_) => None,
            Self::Private { source, kid, key } => {
                let key = key
                    .get_or_init(|| read_source(source))
                    .as_ref()
                    .map_err(|m| format!("{source} {m}"))?;
                Some((key, kid.clone().unwrap_or_else(|| key.thumbprint())))
            }
        };
        let mut header = serde_json::Map::new();
        header.insert("typ".into(), "JWT".into());
        let signer = match (self, &private) {
            (_, Some((key, kid))) => {
                header.insert("kid".into(), kid.clone().into());
                crate::jwt::sign::Signer::Key(key)
            }
            (Self::Secret(secret), None) => crate::jwt::sign::Signer::Secret(
                secret.expose().as_bytes(),
                crate::jwt::sign::Hmac::Hs256,
            ),
            (Self::Private { .. }, None) => return Err("no key to sign with".into()),
        };
        crate::jwt::sign::sign(header, &claims, &signer)
    }
}

fn read_source(source: &KeySource) -> Result<PrivateKey, String> {
    match source {
        KeySource::File(path) => read_key(path),
        KeySource::Keyring { data_dir, provider } => {
            match crate::store::client_key(data_dir, provider) {
                Ok(Some(pem)) => PrivateKey::from_pem(&pem),
                Ok(None) => Err(format!(
                    "is not there; store it with `tokdeck client-key import {provider} PATH`"
                )),
                Err(e) => Err(format!("cannot be read ({e})")),
            }
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

/// A private key file: private to the user (as the token files are), then parsed.
pub fn read_key(path: &std::path::Path) -> Result<PrivateKey, String> {
    check_private(path)?;
    let pem = std::fs::read_to_string(path).map_err(|e| format!("cannot be read ({e})"))?;
    PrivateKey::from_pem(&pem)
}

/// The key file exists and only its owner may read it.
pub fn check_private(path: &std::path::Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot be read ({e})"))?;
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
