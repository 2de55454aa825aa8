//! What dynamic client registration (RFC 7591) returned for a provider: its client_id,
//! a secret if any, and the registration access token and URI that manage it (RFC 7592).
//! Kept where the tokens are (the OS keyring, or a private file beside the token files),
//! one entry per provider, bound to the issuer that registered it.

use super::StoreError;
use super::keyring::Backend;
use super::parts::Parted;
use crate::files::atomic_write;
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A registered client, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The issuer that registered the client: the only server its tokens go to.
    pub issuer: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// RFC 7592: the token that reads and deletes the registration.
    #[serde(default)]
    pub registration_access_token: Option<Secret>,
    /// RFC 7592: where the registration is read and deleted.
    #[serde(default)]
    pub registration_client_uri: Option<String>,
    pub registered_at: DateTime<Utc>,
    /// When the secret a server gave (a confidential client) expires.
    #[serde(default)]
    pub client_secret_expires_at: Option<DateTime<Utc>>,
}

/// Where registrations are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The OS keyring, under a service of the data directory.
    Keyring { data_dir: PathBuf },
    /// `registrations/PROVIDER.json` (0600) in this directory (0700).
    Dir(PathBuf),
}

impl Place {
    pub fn load(&self, provider: &str) -> Result<Option<Registration>, StoreError> {
        let (text, location) = match self {
            Self::Keyring { data_dir } => {
                let service = service(data_dir);
                let bytes = Parted::new(Backend::new()).read(&service, provider)?;
                let location = format!("keyring entry '{service}/{provider}'");
                match bytes {
                    Some(bytes) => (String::from_utf8_lossy(&bytes).into_owned(), location),
                    None => return Ok(None),
                }
            }
            Self::Dir(dir) => {
                let path = file(dir, provider);
                match std::fs::read_to_string(&path) {
                    Ok(text) => (text, format!("'{}'", path.display())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(io(&path, e)),
                }
            }
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                location,
                reason: format!("not a client registration (line {})", e.line()),
            })
    }

    pub fn save(&self, provider: &str, registration: &Registration) -> Result<(), StoreError> {
        let json = serde_json::to_string_pretty(registration)
            .map_err(|e| StoreError::Other(format!("cannot write the registration: {e}")))?;
        match self {
            Self::Keyring { data_dir } => {
                Parted::new(Backend::new()).write(&service(data_dir), provider, json.as_bytes())
            }
            Self::Dir(dir) => {
                private_dir(dir)?;
                let path = file(dir, provider);
                atomic_write(&path, json.as_bytes()).map_err(|e| io(&path, e))
            }
        }
    }

    /// Deletes `provider`'s registration (nothing to delete is not an error).
    pub fn delete(&self, provider: &str) -> Result<(), StoreError> {
        match self {
            Self::Keyring { data_dir } => {
                Parted::new(Backend::new()).delete(&service(data_dir), provider)
            }
            Self::Dir(dir) => match std::fs::remove_file(file(dir, provider)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(io(&file(dir, provider), e))
                }
                _ => Ok(()),
            },
        }
    }
}

fn service(data_dir: &Path) -> String {
    format!("tokdeck-registration:{}", data_dir.display())
}

fn file(dir: &Path, provider: &str) -> PathBuf {
    dir.join(format!("{provider}.json"))
}

fn private_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| io(dir, e))?;
    }
    Ok(())
}

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_is_kept_private_and_read_back() {
        let home = tempfile::tempdir().expect("test value");
        let place = Place::Dir(home.path().join("registrations"));
        assert_eq!(place.load("mcp").expect("test value"), None);
        let registration = Registration {
            issuer: "https://login.example".into(),
            client_id: "abc".into(),
            client_secret: None,
            registration_access_token: Some(Secret::new("rat".to_string())),
            registration_client_uri: Some("https://login.example/reg/abc".into()),
            registered_at: Utc::now(),
            client_secret_expires_at: None,
        };
        place.save("mcp", &registration).expect("test value");
        assert_eq!(place.load("mcp").expect("test value"), Some(registration));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| {
                std::fs::metadata(p)
                    .expect("test value")
                    .permissions()
                    .mode()
                    & 0o777
            };
            assert_eq!(mode(&home.path().join("registrations")), 0o700);
            assert_eq!(mode(&home.path().join("registrations/mcp.json")), 0o600);
        }
        place.delete("mcp").expect("test value");
        place.delete("mcp").expect("test value");
        assert_eq!(place.load("mcp").expect("test value"), None);
    }
}
