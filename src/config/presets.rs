//! Provider presets from `assets/providers.toml`, compiled in.

use super::Flow;
use crate::oauth::Endpoints;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

const PRESETS_TOML: &str = include_str!("../../assets/providers.toml");

/// `deny_unknown_fields` does not combine with `flatten`; the shipped file is checked by a test instead.
#[derive(Debug, Clone, Deserialize)]
pub struct Preset {
    pub description: String,
    #[serde(flatten)]
    pub endpoints: Endpoints,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub flow: Option<Flow>,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

static PRESETS: LazyLock<Result<BTreeMap<String, Preset>, String>> =
    LazyLock::new(|| toml::from_str(PRESETS_TOML).map_err(|e| e.to_string()));

/// The preset named `key`, if tokdeck ships one.
pub fn preset(key: &str) -> Option<Preset> {
    PRESETS.as_ref().ok()?.get(key).cloned()
}

pub fn preset_names() -> Vec<String> {
    PRESETS
        .as_ref()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_presets_parse() {
        let presets = PRESETS.as_ref().expect("assets/providers.toml must parse");
        assert!(presets.contains_key("google"));
        let github = preset("github").expect("github preset");
        assert_eq!(github.flow, Some(Flow::Device));
        assert!(github.endpoints.token_endpoint.is_some());
    }
}
