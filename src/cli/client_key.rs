//! `tokdeck client-key import|show|delete`: a provider's `private_key_jwt` key kept in
//! the OS keyring (`client_key = "keyring"`), so that no key file lies on disk.

use super::args::ClientKeyCommand;
use super::error::CliError;
use super::output;
use crate::config::{Config, Paths};
use crate::oauth::assertion::{PrivateKey, check_private};
use std::path::Path;

pub fn run(config: Option<&Path>, command: ClientKeyCommand) -> Result<(), CliError> {
    let paths = Paths::resolve(config).map_err(CliError::Usage)?;
    let data_dir = &paths.data_dir;
    match command {
        ClientKeyCommand::Import {
            provider,
            path,
            kid,
        } => {
            known_provider(&paths, &provider)?;
            let bad = |m: String| CliError::Usage(format!("key file '{}' {m}", path.display()));
            check_private(&path).map_err(bad)?;
            let pem =
                std::fs::read_to_string(&path).map_err(|e| bad(format!("cannot be read ({e})")))?;
            let key = PrivateKey::from_pem(&pem).map_err(bad)?;
            crate::store::set_client_key(data_dir, &provider, &pem)
                .map_err(|e| CliError::Failed(e.to_string()))?;
            eprintln!(
                "tokdeck: stored the key of provider '{provider}' in the keyring; set `client_key = \"keyring\"` in [providers.{provider}] and delete '{}'. Its public JWKS, to register at the provider:",
                path.display()
            );
            output::line(&jwks(&key, kid.as_deref()))
        }
        ClientKeyCommand::Show { provider, kid } => {
            let pem = crate::store::client_key(data_dir, &provider)
                .map_err(|e| CliError::Failed(e.to_string()))?
                .ok_or_else(|| {
                    CliError::Failed(format!(
                        "no key of provider '{provider}' in the keyring; store one with `tokdeck client-key import {provider} PATH`"
                    ))
                })?;
            let key = PrivateKey::from_pem(&pem).map_err(|m| {
                CliError::Failed(format!("the stored key of provider '{provider}' {m}"))
            })?;
            output::line(&jwks(&key, kid.as_deref()))
        }
        ClientKeyCommand::Delete { provider } => {
            crate::store::delete_client_key(data_dir, &provider)
                .map_err(|e| CliError::Failed(e.to_string()))?;
            eprintln!("tokdeck: deleted the key of provider '{provider}' from the keyring");
            Ok(())
        }
    }
}

/// A provider of the config, when the config can be read: a key stored under a typo
/// would never be found.
fn known_provider(paths: &Paths, provider: &str) -> Result<(), CliError> {
    let Ok(config) = Config::load(&paths.config_file) else {
        return Ok(());
    };
    if config.providers.contains_key(provider) || config.broken_providers.contains_key(provider) {
        return Ok(());
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

fn jwks(key: &PrivateKey, kid: Option<&str>) -> String {
    let kid = kid.map_or_else(|| key.thumbprint(), str::to_string);
    serde_json::json!({ "keys": [key.public_jwk(&kid)] }).to_string()
}
