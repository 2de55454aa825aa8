//! `tokdeck client-key import|show|delete`: a provider's `private_key_jwt` key kept in
//! the OS keyring (`client_key = "keyring"`), so that no key file lies on disk.

use super::args::ClientKeyCommand;
use super::error::CliError;
use super::output;
use crate::config::{Config, Paths};
use crate::jwt::private_key::{PrivateKey, check_private};
use std::path::Path;

pub fn run(config: Option<&Path>, command: ClientKeyCommand) -> Result<(), CliError> {
    let paths = Paths::resolve(config).map_err(CliError::Usage)?;
    let data_dir = &paths.data_dir;
    match command {
        ClientKeyCommand::Import { provider, path } => {
            let configured = configured(&paths, &provider)?;
            let bad = |m: String| CliError::Usage(format!("key file '{}' {m}", path.display()));
            let pem =
                std::fs::read_to_string(&path).map_err(|e| bad(format!("cannot be read ({e})")))?;
            if pem.contains("PUBLIC KEY-----") {
                return Err(bad(
                    "holds a public key; import the private key (-----BEGIN PRIVATE KEY-----), whose public half the provider has".into(),
                ));
            }
            check_private(&path).map_err(bad)?;
            let key = PrivateKey::from_text(&pem).map_err(bad)?;
            crate::store::set_client_key(data_dir, &provider, &pem)
                .map_err(|e| keyring_error(&provider, e))?;
            let next = if configured.keyring {
                String::new()
            } else {
                format!(" set `client_key = \"keyring\"` in [providers.{provider}];")
            };
            say!(
                "tokdeck: stored the key of provider '{provider}' in the keyring;{next} '{}' may be deleted. Its public JWKS, to register at the provider:",
                path.display()
            );
            output::line(&jwks(&key, configured.kid.as_deref()))
        }
        ClientKeyCommand::Show { provider } => {
            let configured = configured(&paths, &provider)?;
            let pem = crate::store::client_key(data_dir, &provider)
                .map_err(|e| keyring_error(&provider, e))?
                .ok_or_else(|| {
                    CliError::Failed(format!(
                        "no key of provider '{provider}' in the keyring; store one with `tokdeck client-key import {provider} PATH`"
                    ))
                })?;
            let key = PrivateKey::from_text(&pem).map_err(|m| {
                CliError::Failed(format!("the stored key of provider '{provider}' {m}"))
            })?;
            output::line(&jwks(&key, configured.kid.as_deref()))
        }
        ClientKeyCommand::Delete { provider } => {
            let held = crate::store::client_key(data_dir, &provider)
                .map_err(|e| keyring_error(&provider, e))?;
            if held.is_none() {
                return Err(CliError::Failed(format!(
                    "no key of provider '{provider}' in the keyring; nothing deleted"
                )));
            }
            crate::store::delete_client_key(data_dir, &provider)
                .map_err(|e| keyring_error(&provider, e))?;
            say!("tokdeck: deleted the key of provider '{provider}' from the keyring");
            Ok(())
        }
    }
}

/// What the config says of the provider's key: its `client_key_id`, and whether it is
/// `client_key = "keyring"` already.
#[derive(Default)]
struct Configured {
    kid: Option<String>,
    keyring: bool,
}

/// The provider as the config has it, when the config can be read: a key stored under
/// a typo would never be found.
fn configured(paths: &Paths, provider: &str) -> Result<Configured, CliError> {
    use crate::oauth::assertion::{KeySource, SigningKey};
    let Ok(config) = Config::load(&paths.config_file) else {
        return Ok(Configured::default());
    };
    if let Some(p) = config.providers.get(provider) {
        return Ok(match &p.client_auth {
            Some(SigningKey::Private { source, kid, .. }) => Configured {
                kid: kid.clone(),
                keyring: matches!(source, KeySource::Keyring { .. }),
            },
            _ => Configured::default(),
        });
    }
    if config.broken_providers.contains_key(provider) {
        return Ok(Configured::default());
    }
    Err(CliError::Usage(format!(
        "provider '{provider}' is not in '{}'; known: {}",
        paths.config_file.display(),
        config
            .providers
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// A keyring that cannot be reached holds the key: a key file is the way out.
fn keyring_error(provider: &str, e: crate::store::StoreError) -> CliError {
    CliError::Failed(format!(
        "the keyring holding the client key of provider '{provider}' cannot be used ({e}); or keep the key in a file: `client_key = \"/path/key.pem\"` (0600) in [providers.{provider}]"
    ))
}

/// The public JWKS, `kid` as tokdeck signs with it: the provider's `client_key_id`, else
/// the key's RFC 7638 thumbprint.
fn jwks(key: &PrivateKey, kid: Option<&str>) -> String {
    let kid = kid.map_or_else(|| key.thumbprint(), str::to_string);
    serde_json::json!({ "keys": [key.public_jwk(&kid)] }).to_string()
}
