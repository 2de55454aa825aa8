//! A record as a store keeps it: JSON, with errors that name where it was read and never
//! quote what is in it.

use super::StoreError;
use crate::token::TokenRecord;

impl TokenRecord {
    pub(super) fn to_json(&self) -> Result<String, StoreError> {
        serde_json::to_string(self)
            .map_err(|e| StoreError::Other(format!("cannot encode tokens: {e}")))
    }

    pub(super) fn from_json(text: &str, location: &str) -> Result<Self, StoreError> {
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
            location: location.to_string(),
            // Line and column only: serde's message could quote a token.
            reason: format!(
                "not a tokdeck token record (line {}, column {})",
                e.line(),
                e.column()
            ),
        })
    }
}
