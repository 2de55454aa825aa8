//! Client authentication by signed assertion (RFC 7523 §2.2; OIDC Core §9
//! `client_secret_jwt` and `private_key_jwt`): a short-lived JWT instead of a secret sent
//! as such, signed with a [`PrivateKey`] (`jwt::private_key`). `Debug` never shows key
//! material.

use crate::jwt::private_key::PrivateKey;
use crate::secret::Secret;
use base64::Engine;
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

/// Reads the key a [`KeySource`] names: the caller's (the engine's), since the protocol
/// layer reads neither the keyring nor files the config names.
pub type KeyReader = fn(&KeySource) -> Result<PrivateKey, String>;

/// How a client authenticates with a signed assertion: the key, the audience (the
/// issuer; the endpoint called when there is none) and how a private key is read.
#[derive(Debug, Clone)]
pub struct ClientAssertion {
    pub key: SigningKey,
    pub audience: Option<String>,
    pub read: KeyReader,
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
    /// `jti`, valid for 60 s. A private key is read with `read` at the first signature.
    pub fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        read: KeyReader,
    ) -> Result<String, String> {
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
                    .get_or_init(|| read(source))
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
