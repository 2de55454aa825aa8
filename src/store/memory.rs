use super::{StoreError, TokenStore};
use crate::token::TokenRecord;
use std::collections::HashMap;
use std::sync::Mutex;

/// Tokens in memory only, for tests.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, String>>,
}

impl MemoryStore {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TokenStore for MemoryStore {
    fn load(&self, account: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.entries()
            .get(account)
            .map(|json| TokenRecord::from_json(json, &format!("memory:{account}")))
            .transpose()
    }

    fn save(&self, account: &str, record: &TokenRecord) -> Result<(), StoreError> {
        let json = record.to_json()?;
        self.entries().insert(account.to_string(), json);
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.entries().remove(account);
        Ok(())
    }
}
