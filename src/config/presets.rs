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
    /// Template parameters the provider table must set.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Template parameters with a default.
    #[serde(default)]
    pub defaults: BTreeMap<String, String>,
}

/// Names a preset may use as `{placeholder}`; each is also a key of a provider table.
pub const TEMPLATE_KEYS: &[&str] = &[
    "tenant",
    "domain",
    "base_url",
    "realm",
    "authorization_server",
];

/// Checks a template value where it goes into a URL: a bare host name for `domain`, a
/// URL for `base_url`, one path segment for the others.
fn check_template_value(key: &str, value: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("`{key} = \"{value}\"` {why}"));
    if value.trim().is_empty() || value.chars().any(char::is_whitespace) {
        return bad("must not be empty or contain spaces");
    }
    match key {
        "base_url" => {
            if !(value.starts_with("https://") || value.starts_with("http://"))
                || value.contains(['?', '#'])
            {
                return bad(
                    "must be a URL like \"https://sso.example.com\" (no query or fragment)",
                );
            }
        }
        "domain" => {
            if value.contains("://") {
                return bad("is a host name, without https:// (for example \"dev-123.okta.com\")");
            }
            if value.contains(['/', '?', '#', '@']) {
                return bad("is a host name only (for example \"dev-123.okta.com\")");
            }
        }
        _ => {
            if value.contains(['/', '?', '#', '\\', '@', ':']) || value == "." || value == ".." {
                return bad("must be a single name (no '/', '?', '#' or ':')");
            }
        }
    }
    Ok(())
}

impl Preset {
    /// The preset values (`tenant`, `realm`, ...) its endpoints are made from.
    pub fn takes(&self) -> Vec<&'static str> {
        let e = &self.endpoints;
        let templates: Vec<&String> = [&e.issuer, &e.authorization_endpoint, &e.token_endpoint]
            .into_iter()
            .chain([&e.device_authorization_endpoint, &e.revocation_endpoint])
            .chain([&e.introspection_endpoint, &e.userinfo_endpoint, &e.jwks_uri])
            .flatten()
            .collect();
        TEMPLATE_KEYS
            .iter()
            .copied()
            .filter(|key| templates.iter().any(|t| t.contains(&format!("{{{key}}}"))))
            .collect()
    }

    /// The endpoints with `{placeholders}` filled from `values` (then the defaults).
    pub fn endpoints_with(
        &self,
        values: &BTreeMap<String, String>,
    ) -> Result<crate::oauth::Endpoints, String> {
        for name in &self.requires {
            if !values.contains_key(name) {
                return Err(format!("needs `{name} = \"...\"` ({})", self.description));
            }
        }
        let takes = self.takes();
        if let Some(stray) = values.keys().find(|k| !takes.contains(&k.as_str())) {
            return Err(format!(
                "takes no `{stray}` ({}); remove it",
                if takes.is_empty() {
                    "it takes no preset values".to_string()
                } else {
                    format!("it takes {}", takes.join(", "))
                }
            ));
        }
        for (key, value) in values {
            check_template_value(key, value)?;
        }
        let fill = |text: &Option<String>| {
            text.as_ref().map(|t| {
                let mut out = t.clone();
                for key in TEMPLATE_KEYS {
                    if let Some(value) = values.get(*key).or_else(|| self.defaults.get(*key)) {
                        out = out.replace(&format!("{{{key}}}"), value.trim_end_matches('/'));
                    }
                }
                out
            })
        };
        let e = &self.endpoints;
        Ok(crate::oauth::Endpoints {
            issuer: fill(&e.issuer),
            authorization_endpoint: fill(&e.authorization_endpoint),
            token_endpoint: fill(&e.token_endpoint),
            device_authorization_endpoint: fill(&e.device_authorization_endpoint),
            revocation_endpoint: fill(&e.revocation_endpoint),
            introspection_endpoint: fill(&e.introspection_endpoint),
            userinfo_endpoint: fill(&e.userinfo_endpoint),
            jwks_uri: fill(&e.jwks_uri),
            end_session_endpoint: fill(&e.end_session_endpoint),
            prompt_values_supported: e.prompt_values_supported.clone(),
            pushed_authorization_request_endpoint: fill(&e.pushed_authorization_request_endpoint),
            require_pushed_authorization_requests: e.require_pushed_authorization_requests,
            dpop_signing_alg_values_supported: Vec::new(),
            registration_endpoint: None,
            scopes_supported: Vec::new(),
        })
    }
}

/// Every preset, by key.
pub fn presets() -> BTreeMap<String, Preset> {
    PRESETS.as_ref().cloned().unwrap_or_default()
}

static PRESETS: LazyLock<Result<BTreeMap<String, Preset>, String>> =
    LazyLock::new(|| toml::from_str(PRESETS_TOML).map_err(|e| e.to_string()));

/// The preset named `key`, if tokdeck ships one. Only its own table is parsed: every
/// `tokdeck token` for an account on a preset provider comes here, and parsing all the
/// presets cost such a call half again its instructions (callgrind: 808,000 against
/// 543,000 without a preset).
pub fn preset(key: &str) -> Option<Preset> {
    let table = table_text(PRESETS_TOML, key)?;
    let mut one: BTreeMap<String, Preset> = toml::from_str(table).ok()?;
    one.remove(key)
}

/// The `[key]` table of the presets file, from its header line to the next header line
/// (the file has only top-level tables; the tests check every preset against a parse of
/// the whole file).
fn table_text<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let header = format!("[{key}]");
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        if line.starts_with('[') {
            if start.is_some() {
                return start.map(|s| &text[s..offset]);
            }
            if line.trim_end() == header {
                start = Some(offset);
            }
        }
        offset += line.len();
    }
    start.map(|s| &text[s..])
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
    fn each_preset_read_alone_is_the_preset_of_the_whole_file() {
        let all = PRESETS.as_ref().expect("the shipped presets parse");
        assert!(all.len() >= 8, "{:?}", all.keys());
        for (key, whole) in all {
            let alone = preset(key).unwrap_or_else(|| panic!("preset '{key}' read alone"));
            assert_eq!(format!("{alone:?}"), format!("{whole:?}"), "preset '{key}'");
        }
        assert!(preset("nope").is_none());
        assert!(preset("goo").is_none(), "a prefix is not a key");
    }

    #[test]
    fn every_preset_resolves_without_network() {
        let values: BTreeMap<String, String> = [
            ("tenant", "contoso.onmicrosoft.com"),
            ("domain", "example.eu.auth0.com"),
            ("realm", "dev"),
            ("base_url", "https://sso.example.com/"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (key, preset) in presets() {
            let takes = preset.takes();
            let own: BTreeMap<String, String> = values
                .iter()
                .filter(|(k, _)| takes.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let endpoints = preset
                .endpoints_with(&own)
                .unwrap_or_else(|e| panic!("{key}: {e}"));
            if let Some(stray) = values.keys().find(|k| !takes.contains(&k.as_str())) {
                let refused = preset
                    .endpoints_with(&values)
                    .expect_err("a value it does not take");
                assert!(
                    refused.contains(&format!("takes no `{stray}`")),
                    "{key}: {refused}"
                );
            }
            let all: Vec<&str> = endpoints
                .issuer
                .iter()
                .map(String::as_str)
                .chain(endpoints.iter().map(|(_, v)| v))
                .collect();
            if key != "generic" {
                assert!(!all.is_empty(), "{key} has no endpoint");
            }
            for url in all {
                assert!(!url.contains('{'), "{key}: unfilled {url}");
                assert!(url.starts_with("https://"), "{key}: {url}");
            }
        }
        let keycloak_values: BTreeMap<String, String> = values
            .iter()
            .filter(|(k, _)| k.as_str() == "realm" || k.as_str() == "base_url")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let keycloak = preset("keycloak")
            .expect("keycloak")
            .endpoints_with(&keycloak_values)
            .expect("ok");
        assert_eq!(
            keycloak.issuer.as_deref(),
            Some("https://sso.example.com/realms/dev")
        );
        let okta = preset("okta").expect("okta");
        let okta = okta
            .endpoints_with(&[("domain".to_string(), "acme.okta.com".to_string())].into())
            .expect("ok");
        assert_eq!(
            okta.issuer.as_deref(),
            Some("https://acme.okta.com/oauth2/default")
        );
        // gitlab.com's discovery does not list the device endpoint; the preset does.
        let gitlab = preset("gitlab")
            .expect("gitlab")
            .endpoints_with(&BTreeMap::new())
            .expect("gitlab.com by default");
        assert_eq!(
            gitlab.device_authorization_endpoint.as_deref(),
            Some("https://gitlab.com/oauth/authorize_device")
        );
        let google = preset("google").expect("google");
        assert_eq!(google.params["access_type"], "offline");
        assert_eq!(google.params["prompt"], "consent");
        let err = preset("microsoft")
            .expect("ms")
            .endpoints_with(&BTreeMap::new())
            .expect_err("tenant");
        assert!(err.starts_with("needs `tenant = \"...\"`"), "{err}");
    }

    #[test]
    fn template_values_that_would_bend_the_url_are_refused() {
        let value = |k: &str, v: &str| [(k.to_string(), v.to_string())].into();
        let cases = [
            (
                "okta",
                "domain",
                "https://dev-1.okta.com/",
                "without https://",
            ),
            ("okta", "domain", "dev-1.okta.com/x", "host name only"),
            ("microsoft", "tenant", "a/../../evil?x=#", "single name"),
            ("microsoft", "tenant", "", "must not be empty"),
        ];
        for (name, key, bad, expected) in cases {
            let err = preset(name)
                .expect("preset")
                .endpoints_with(&value(key, bad))
                .expect_err(bad);
            assert!(err.contains(expected) && err.contains(bad), "{err}");
        }
        let mut keycloak: BTreeMap<String, String> = value("realm", "https://sso.example.com");
        keycloak.insert("base_url".into(), "https://sso.example.com".into());
        let err = preset("keycloak")
            .expect("keycloak")
            .endpoints_with(&keycloak)
            .expect_err("a URL as realm");
        assert!(err.contains("`realm = "), "{err}");
        keycloak.insert("realm".into(), "dev".into());
        keycloak.insert("base_url".into(), "sso.example.com".into());
        let err = preset("keycloak")
            .expect("keycloak")
            .endpoints_with(&keycloak)
            .expect_err("base_url without scheme");
        assert!(err.contains("must be a URL"), "{err}");
    }

    #[test]
    fn shipped_presets_parse() {
        let presets = PRESETS.as_ref().expect("assets/providers.toml must parse");
        assert!(presets.contains_key("google"));
        let github = preset("github").expect("github preset");
        assert_eq!(github.flow, Some(Flow::Device));
        assert!(github.endpoints.token_endpoint.is_some());
    }
}
