//! Docker's config.json (docker-credential-helpers): which credential helper Docker
//! asks for a registry.

/// `text` (config.json) with `credHelpers[host] = "tokdeck"` set, or removed, keeping
/// every other key and their order; `None` when nothing changes. A file that is not a
/// JSON object is refused, never written over.
pub fn with_cred_helper(text: &str, host: &str, remove: bool) -> Result<Option<String>, String> {
    let mut config: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("is not JSON ({e}); fix it first, tokdeck does not write over it"))?;
    let Some(object) = config.as_object_mut() else {
        return Err("is not a JSON object".into());
    };
    let helpers = object
        .entry("credHelpers")
        .or_insert_with(|| serde_json::json!({}));
    let Some(helpers) = helpers.as_object_mut() else {
        return Err("has a credHelpers that is not an object".into());
    };
    let ours = helpers.get(host).and_then(|v| v.as_str()) == Some("tokdeck");
    match (remove, ours) {
        (false, true) | (true, false) => return Ok(None),
        (false, false) => {
            helpers.insert(host.to_string(), "tokdeck".into());
        }
        (true, true) => {
            helpers.shift_remove(host);
        }
    }
    // An empty credHelpers is what setup added: it goes too.
    if object
        .get("credHelpers")
        .and_then(|h| h.as_object())
        .is_some_and(serde_json::Map::is_empty)
    {
        object.shift_remove("credHelpers");
    }
    let mut out = serde_json::to_string_pretty(&config).unwrap_or_default();
    out.push('\n');
    Ok(Some(out))
}

/// The account whose `urls` holds `server` (a registry host or URL), longest first.
pub fn account_for<'c>(config: &'c crate::config::Config, server: &str) -> Option<&'c str> {
    let url = crate::config::tool_url(server.trim()).ok()?;
    config
        .accounts
        .values()
        .flat_map(|a| a.urls.iter().map(move |u| (u, a.name.as_str())))
        .filter(|(u, _)| url.starts_with(u.as_str()))
        .max_by_key(|(u, _)| u.len())
        .map(|(_, name)| name)
}

/// Whether some registry in Docker's config.json (its text) still names tokdeck as its
/// credential helper; a file that is not JSON names nothing.
pub fn names_tokdeck(config_json: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(config_json)
        .ok()
        .and_then(|c| c.get("credHelpers").and_then(|h| h.as_object()).cloned())
        .is_some_and(|h| h.values().any(|v| v.as_str() == Some("tokdeck")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_names_tokdeck_only_as_a_credential_helper() {
        assert!(names_tokdeck(r#"{"credHelpers":{"ghcr.io":"tokdeck"}}"#));
        assert!(!names_tokdeck(r#"{"credHelpers":{"ghcr.io":"desktop"}}"#));
        assert!(!names_tokdeck(r#"{"credsStore":"tokdeck"}"#));
        assert!(!names_tokdeck("not json"));
    }

    #[test]
    fn the_helper_is_added_and_removed_and_the_rest_kept_in_order() {
        let text = r#"{"auths":{"a.example":{}},"credsStore":"desktop"}"#;
        let added = with_cred_helper(text, "r.example", false)
            .expect("json")
            .expect("changed");
        let value: serde_json::Value = serde_json::from_str(&added).expect("json");
        assert_eq!(value["credHelpers"]["r.example"], "tokdeck");
        let keys: Vec<&String> = value.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["auths", "credsStore", "credHelpers"]);
        assert_eq!(with_cred_helper(&added, "r.example", false), Ok(None));
        let removed = with_cred_helper(&added, "r.example", true)
            .expect("json")
            .expect("changed");
        assert!(!removed.contains("credHelpers"), "{removed}");
        assert_eq!(with_cred_helper(&removed, "r.example", true), Ok(None));
    }

    #[test]
    fn a_file_that_is_not_an_object_is_refused() {
        assert!(with_cred_helper("[1]", "r", false).is_err());
        assert!(with_cred_helper("{ broken", "r", false).is_err());
        assert!(with_cred_helper(r#"{"credHelpers": 3}"#, "r", false).is_err());
    }
}
