//! A provider's client key for signed assertions (`private_key_jwt`), read from its file
//! or from the keyring, where `tokdeck client-key import` put it.

use crate::jwt::private_key::{PrivateKey, read_key};
use crate::oauth::assertion::KeySource;

/// The [`crate::oauth::assertion::KeyReader`] of every client: the key `source` names.
pub(crate) fn read(source: &KeySource) -> Result<PrivateKey, String> {
    match source {
        KeySource::File(path) => read_key(path),
        KeySource::Keyring { data_dir, provider } => {
            match crate::store::client_key(data_dir, provider) {
                Ok(Some(text)) => PrivateKey::from_text(&text),
                Ok(None) => Err(format!(
                    "is not there; store it with `tokdeck client-key import {provider} PATH`"
                )),
                Err(e) => Err(format!("cannot be read ({e})")),
            }
        }
    }
}
