//! A provider table resolved: its preset's endpoints and parameters merged with its own,
//! every URL checked; and an account's `directories` made into paths.

use super::ProviderSection;
use crate::config::{Directory, Provider, preset, preset_names};
use crate::oauth::Endpoints;
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::line_of_offset;

/// A provider's preset (if it names one) and the endpoints the preset fills in with the
/// table's parameters (`tenant`, `domain`, ...).
fn preset_base(
    name: &str,
    section: &ProviderSection,
    text: &str,
) -> Result<(Option<crate::config::Preset>, Endpoints), (Option<usize>, String)> {
    let preset = match &section.preset {
        Some(p) => Some(preset(p.get_ref()).ok_or_else(|| {
            (
                Some(line_of_offset(text, p.span().start)),
                format!(
                    "provider '{name}': preset '{}' is unknown; known presets: {}",
                    p.get_ref(),
                    preset_names().join(", ")
                ),
            )
        })?),
        None => None,
    };
    let values: BTreeMap<String, String> = [
        ("tenant", &section.tenant),
        ("domain", &section.domain),
        ("realm", &section.realm),
        ("base_url", &section.base_url),
        ("authorization_server", &section.authorization_server),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
    .collect();
    let base = match &preset {
        Some(p) => p.endpoints_with(&values).map_err(|m| {
            let key = section
                .preset
                .as_ref()
                .map(|s| s.get_ref().clone())
                .unwrap_or_default();
            (
                section
                    .preset
                    .as_ref()
                    .map(|s| line_of_offset(text, s.span().start)),
                format!("provider '{name}': preset '{key}' {m}"),
            )
        })?,
        None => match values.keys().next() {
            Some(key) => {
                return Err((
                    None,
                    format!(
                        "provider '{name}': `{key}` is a preset value, and this provider has no `preset`; add one (`tokdeck providers` lists them) or remove `{key}`"
                    ),
                ));
            }
            None => Default::default(),
        },
    };
    Ok((preset, base))
}

pub(super) fn resolve_provider(
    name: String,
    section: ProviderSection,
    text: &str,
) -> Result<Provider, (Option<usize>, String)> {
    let (preset, base) = preset_base(&name, &section, text)?;
    let client_auth = client_auth(&name, &section).map_err(|m| (None, m))?;
    let endpoints = Endpoints {
        issuer: section.issuer.or(base.issuer),
        authorization_endpoint: section
            .authorization_endpoint
            .or(base.authorization_endpoint),
        token_endpoint: section.token_endpoint.or(base.token_endpoint),
        device_authorization_endpoint: section
            .device_authorization_endpoint
            .or(base.device_authorization_endpoint),
        revocation_endpoint: section.revocation_endpoint.or(base.revocation_endpoint),
        introspection_endpoint: section
            .introspection_endpoint
            .or(base.introspection_endpoint),
        userinfo_endpoint: section.userinfo_endpoint.or(base.userinfo_endpoint),
        jwks_uri: section.jwks_uri.or(base.jwks_uri),
        end_session_endpoint: section.end_session_endpoint.or(base.end_session_endpoint),
        prompt_values_supported: Vec::new(),
        pushed_authorization_request_endpoint: section.pushed_authorization_request_endpoint,
        // `par = true`: push even when the provider does not require it.
        require_pushed_authorization_requests: section.par.unwrap_or(false),
        dpop_signing_alg_values_supported: Vec::new(),
        registration_endpoint: None,
        scopes_supported: Vec::new(),
    };
    let issuer = endpoints.issuer.as_deref().map(|i| ("issuer", i));
    for (key, value) in issuer.into_iter().chain(endpoints.iter()) {
        check_url(value)
            .map_err(|why| (None, format!("provider '{name}': {key} '{value}' {why}")))?;
    }
    if endpoints.issuer.is_none() && endpoints.token_endpoint.is_none() {
        return Err((
            None,
            format!(
                "provider '{name}' needs `issuer` (for discovery), a `preset`, or an explicit `token_endpoint`"
            ),
        ));
    }
    let Some(client_id) = section.client_id.filter(|c| !c.is_empty()) else {
        return Err((
            None,
            format!("provider '{name}' needs `client_id`, the OAuth client registered for tokdeck"),
        ));
    };
    let mut params = preset
        .as_ref()
        .map(|p| p.params.clone())
        .unwrap_or_default();
    params.extend(section.params);
    Ok(Provider {
        scopes: section
            .scopes
            .or_else(|| preset.as_ref().map(|p| p.scopes.clone()))
            .unwrap_or_else(|| vec!["openid".to_string()]),
        flow: section.flow.or(preset.as_ref().and_then(|p| p.flow)),
        name,
        client_id,
        client_secret: section.client_secret.filter(|s| !s.is_empty()),
        params,
        redirect_port: section.redirect_port.unwrap_or(0),
        post_logout_redirect_uri: section.post_logout_redirect_uri.filter(|u| !u.is_empty()),
        preset: section.preset.as_ref().map(|p| p.get_ref().clone()),
        client_auth,
        dpop: section.dpop.unwrap_or(false),
        registration: section.registration.unwrap_or_default(),
        endpoints,
    })
}

/// `~/src/acme` as a path: `~` is the home directory; relative paths are refused (they
/// would mean something else in every directory).
pub(super) fn directory(written: &str) -> Result<Directory, String> {
    let path = match written.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            let home = directories::BaseDirs::new()
                .map(|b| b.home_dir().to_path_buf())
                .ok_or_else(|| {
                    format!("directory '{written}': no home directory to expand '~' to")
                })?;
            home.join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(written),
    };
    if !path.is_absolute() {
        return Err(format!(
            "directory '{written}' is relative; write it from the root or from '~' (\"~/src/acme\")"
        ));
    }
    Ok(Directory {
        written: written.to_string(),
        path,
    })
}

/// Endpoints must be https, except on the loopback interface (local test providers).
fn check_url(value: &str) -> Result<(), String> {
    let url = url::Url::parse(value).map_err(|e| format!("is not a URL ({e})"))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("must use https:// (plain http only on localhost)".to_string()),
    }
}

/// The assertion key of `client_auth = "client_secret_jwt" | "private_key_jwt"`.
fn client_auth(
    name: &str,
    section: &ProviderSection,
) -> Result<Option<crate::oauth::assertion::SigningKey>, String> {
    use crate::oauth::assertion::{KeySource, SigningKey};
    let secret = section.client_secret.clone().filter(|s| !s.is_empty());
    match section.client_auth.as_deref() {
        None | Some("client_secret_basic") | Some("none") => Ok(None),
        Some("client_secret_jwt") => match secret {
            Some(secret) => Ok(Some(SigningKey::Secret(secret))),
            None => Err(format!(
                "provider '{name}': client_auth = \"client_secret_jwt\" signs with `client_secret`, which is not set"
            )),
        },
        Some("private_key_jwt") => {
            let Some(written) = section.client_key.as_deref() else {
                return Err(format!(
                    "provider '{name}': client_auth = \"private_key_jwt\" needs `client_key = \"PATH\"` (a PEM private key or a private JWK)"
                ));
            };
            if written == "keyring" {
                let data_dir = crate::config::Paths::resolve(None)
                    .map(|p| p.data_dir)
                    .map_err(|m| format!("provider '{name}': client_key = \"keyring\": {m}"))?;
                let source = KeySource::Keyring {
                    data_dir,
                    provider: name.to_string(),
                };
                return Ok(Some(SigningKey::private(
                    source,
                    section.client_key_id.clone(),
                )));
            }
            let path = directory(written).map(|d| d.path)?;
            // A stat only: the key is read and parsed when a request first needs it.
            crate::jwt::private_key::check_private(&path)
                .map_err(|m| format!("provider '{name}': client_key '{written}' {m}"))?;
            Ok(Some(SigningKey::private(
                KeySource::File(path),
                section.client_key_id.clone(),
            )))
        }
        Some(other) => Err(format!(
            "provider '{name}': client_auth '{other}' is not a method; use \"client_secret_basic\", \"client_secret_jwt\" or \"private_key_jwt\""
        )),
    }
}
