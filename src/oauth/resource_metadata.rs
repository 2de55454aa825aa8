//! RFC 9728: which authorization servers protect an API, learnt from the API itself.
//! The `resource_metadata` of a `401`'s `WWW-Authenticate: Bearer` challenge (§5.1),
//! else the well-known document with the URL's path inserted (§3.1), else (as MCP
//! clients do) the one at the host's root. The document must name the URL asked about
//! as its `resource` (§3.3): metadata for another resource is refused, so an API cannot
//! send a login (and its tokens) to servers that protect something else.

use super::http::{is_loopback, may_carry_secrets};
use super::request::snippet;
use super::{Http, OAuthError};
use crate::printable::printable;
use serde::Deserialize;
use url::Url;

/// What RFC 9728 §2 metadata says of an API, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceMetadata {
    /// The API's resource identifier: the URL asked about.
    pub resource: String,
    /// The issuers of the servers that hand out its tokens (at least one).
    pub authorization_servers: Vec<String>,
    /// The scopes the API understands (may be empty).
    pub scopes_supported: Vec<String>,
    /// The API's human name, printable.
    pub resource_name: Option<String>,
    /// The scopes the API's challenge asked for (RFC 6750 §3 `scope`): preferred.
    pub challenge_scopes: Vec<String>,
    /// Where the metadata was read.
    pub found_at: String,
}

#[derive(Deserialize)]
struct Document {
    resource: Option<String>,
    #[serde(default)]
    authorization_servers: Vec<String>,
    #[serde(default)]
    scopes_supported: Vec<String>,
    resource_name: Option<String>,
}

/// The protected resource metadata of `url`.
pub async fn discover(http: &Http, url: &str) -> Result<ResourceMetadata, OAuthError> {
    let asked = resource_identifier(url)?;
    let challenge = challenge(http, asked.as_str()).await?;
    let mut places = Vec::new();
    if let Some(from_header) = challenge.get("resource_metadata") {
        places.push(checked_url(
            from_header,
            &asked,
            "the API's WWW-Authenticate header",
        )?);
    }
    places.extend(well_known(&asked));
    let mut failures = Vec::new();
    for place in places {
        match fetch(http, &place).await {
            Ok(Some(doc)) => {
                let mut found = check(doc, &asked, &place)?;
                found.challenge_scopes = challenge
                    .get("scope")
                    .map(|s| scope_tokens(s.split_whitespace().map(str::to_string)))
                    .unwrap_or_default();
                return Ok(found);
            }
            Ok(None) => failures.push(format!("{place}: not found")),
            Err(e) => failures.push(format!("{place}: {e}")),
        }
    }
    Err(OAuthError::Other(format!(
        "'{}' publishes no protected resource metadata (RFC 9728), so tokdeck cannot tell which server logs in to it ({}); add the account with --issuer URL (and --client-id ID) instead",
        printable(asked.as_str()),
        failures.join("; ")
    )))
}

/// The URL as a resource identifier (RFC 8707 §2): absolute, https (or http on this
/// machine), no fragment.
pub fn resource_identifier(url: &str) -> Result<Url, OAuthError> {
    let mut parsed = Url::parse(url.trim()).map_err(|e| {
        // Not echoed: a URL that does not parse may still hold a password.
        OAuthError::Other(format!(
            "the API's URL is not a URL ({e}); give it as you call the API, like https://api.example.com/mcp"
        ))
    })?;
    let has_credentials = !parsed.username().is_empty() || parsed.password().is_some();
    if has_credentials {
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
    }
    let bad = |why: &str| {
        OAuthError::Other(format!(
            "'{}' {why}; give the API's URL, like https://api.example.com/mcp",
            printable(parsed.as_str())
        ))
    };
    if has_credentials {
        return Err(bad(
            "had a user name or password in it (not shown): tokens are asked for, never passwords",
        ));
    }
    if parsed.fragment().is_some() {
        return Err(bad(
            "has a fragment (#…), which a resource identifier must not have (RFC 8707 §2)",
        ));
    }
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        "http" => {
            return Err(bad(
                "is plain http: tokens go to an API over https only (plain http only on this machine)",
            ));
        }
        _ => return Err(bad("is not an http(s) URL")),
    }
    if parsed.host().is_none() {
        return Err(bad("has no host"));
    }
    Ok(parsed)
}

/// The auth-params of the `WWW-Authenticate: Bearer` challenge of an unauthenticated
/// GET (RFC 9728 §5.1); empty when the API answers anything but 401.
async fn challenge(
    http: &Http,
    url: &str,
) -> Result<std::collections::BTreeMap<String, String>, OAuthError> {
    let request = http::Request::get(url)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| OAuthError::Other(format!("cannot build a request to '{url}': {e}")))?;
    let response = http.send(request).await?;
    if response.status() != http::StatusCode::UNAUTHORIZED {
        return Ok(Default::default());
    }
    Ok(response
        .headers()
        .get_all(http::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(bearer_params)
        .collect())
}

/// The auth-params of the `Bearer` challenges in one `WWW-Authenticate` value (RFC 9110
/// §11.6.1: `scheme param=value, param="quoted", Other …`); the first of each name wins.
pub fn bearer_params(header: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut scheme_is_bearer = false;
    let mut rest = header.trim();
    while !rest.is_empty() {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        let end = rest
            .find(|c: char| c == '=' || c == ',' || c.is_whitespace())
            .unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        let after_ws = after.trim_start();
        if let Some(value_part) = after_ws.strip_prefix('=')
            && !value_part.starts_with('=')
        {
            let value_part = value_part.trim_start();
            let (value, remaining) = match value_part.strip_prefix('"') {
                Some(quoted) => {
                    let mut value = String::new();
                    let mut chars = quoted.char_indices();
                    let mut end = quoted.len();
                    while let Some((i, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, escaped)) = chars.next() {
                                    value.push(escaped);
                                }
                            }
                            '"' => {
                                end = i + 1;
                                break;
                            }
                            _ => value.push(c),
                        }
                    }
                    (value, &quoted[end.min(quoted.len())..])
                }
                None => {
                    let end = value_part.find(',').unwrap_or(value_part.len());
                    (value_part[..end].trim().to_string(), &value_part[end..])
                }
            };
            let name = word.to_ascii_lowercase();
            if scheme_is_bearer && !out.iter().any(|(n, _)| *n == name) {
                out.push((name, value));
            }
            rest = remaining;
        } else {
            // A scheme name, or another scheme's token68 (`abc==`), which ends with its
            // padding and names no scheme.
            let token68 = after.trim_start().starts_with('=') || word.is_empty();
            if !token68 {
                scheme_is_bearer = word.eq_ignore_ascii_case("bearer");
            }
            rest = after.trim_start().trim_start_matches('=');
        }
    }
    out
}

/// §3.1: `/.well-known/oauth-protected-resource` inserted between the host and the
/// path; then the host's root, where MCP servers often put it.
fn well_known(resource: &Url) -> Vec<String> {
    let path = resource.path().trim_end_matches('/');
    // §3.1: inserted between the host and the path, the query kept.
    let mut at = resource.clone();
    at.set_path(&format!("/.well-known/oauth-protected-resource{path}"));
    let mut places = vec![at.to_string()];
    if !path.is_empty() || resource.query().is_some() {
        at.set_query(None);
        at.set_path("/.well-known/oauth-protected-resource");
        places.push(at.to_string());
    }
    places
}

/// A metadata URL from the API's answer: https, or http on this machine when the API
/// itself is there.
fn checked_url(found: &str, api: &Url, said_by: &str) -> Result<String, OAuthError> {
    // The URL parser drops tabs and line breaks (and trims the ends); a server's URL
    // with them is not one tokdeck repeats or follows.
    let clean = !found.is_empty() && found.chars().all(|c| c.is_ascii_graphic());
    match Url::parse(found) {
        Ok(_) if !clean => Err(OAuthError::Other(format!(
            "{said_by} names '{}', which has spaces or control characters in it; tokdeck does not read it",
            printable(found)
        ))),
        Ok(url) if may_carry_secrets(&url, api) => Ok(url.to_string()),
        _ => Err(OAuthError::Other(format!(
            "{said_by} names '{}' as its metadata, which is not an https URL; tokdeck does not read it",
            printable(found)
        ))),
    }
}

/// The document at `url`: `None` when there is none (404, or not JSON metadata).
async fn fetch(http: &Http, url: &str) -> Result<Option<Document>, OAuthError> {
    let request = http::Request::get(url)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| OAuthError::Other(format!("cannot build a request to '{url}': {e}")))?;
    let response = http.send(request).await?;
    match response.status().as_u16() {
        200 => serde_json::from_slice(response.body())
            .map(Some)
            .map_err(|e| OAuthError::Malformed {
                endpoint: "protected resource metadata",
                url: url.to_string(),
                reason: format!("not RFC 9728 metadata ({e})"),
            }),
        404 | 410 => Ok(None),
        status => Err(OAuthError::HttpStatus {
            endpoint: "protected resource metadata",
            url: url.to_string(),
            status,
            snippet: snippet(response.body()),
        }),
    }
}

/// §3.3: the document is about the URL asked about, and names servers tokdeck may talk to.
fn check(doc: Document, asked: &Url, place: &str) -> Result<ResourceMetadata, OAuthError> {
    let named = doc.resource.as_deref().unwrap_or("");
    let same = resource_identifier(named).is_ok_and(|r| r == *asked);
    if !same {
        return Err(OAuthError::Other(format!(
            "the metadata at '{}' is for resource '{}', not for '{}' (RFC 9728 §3.3): tokdeck will not log in to one API with another's servers. Check the URL (the exact path, a trailing slash)",
            printable(place),
            printable(named),
            printable(asked.as_str())
        )));
    }
    if doc.authorization_servers.is_empty() {
        return Err(OAuthError::Other(format!(
            "the metadata of '{}' names no authorization server (`authorization_servers`); add the account with --issuer URL instead",
            printable(asked.as_str())
        )));
    }
    let mut servers: Vec<String> = Vec::new();
    for server in &doc.authorization_servers {
        if checked_url(server, asked, "the API's metadata").is_err() {
            return Err(OAuthError::Other(format!(
                "the metadata of '{}' names authorization server '{}', which is not an https URL; tokdeck logs in only over https (plain http only on this machine)",
                printable(asked.as_str()),
                printable(server)
            )));
        }
        if !servers.contains(server) {
            servers.push(server.clone());
        }
    }
    Ok(ResourceMetadata {
        // The API's own spelling (`https://api.example`, not the parser's
        // `https://api.example/`): the `resource` sent is the one it named.
        resource: named.to_string(),
        authorization_servers: servers,
        scopes_supported: scope_tokens(doc.scopes_supported),
        resource_name: doc.resource_name.map(|n| printable(&n).to_string()),
        challenge_scopes: Vec::new(),
        found_at: place.to_string(),
    })
}

/// RFC 6749 §3.3 scope tokens: printable ASCII without `"` and `\\`; anything else
/// dropped.
fn scope_tokens(scopes: impl IntoIterator<Item = String>) -> Vec<String> {
    scopes
        .into_iter()
        .filter(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_params_of_one_or_several_challenges() {
        let params = bearer_params(
            r#"DPoP algs="ES256", Bearer error="invalid_token", resource_metadata="https://api.example/.well-known/oauth-protected-resource/mcp", scope="files:read files:write""#,
        );
        assert_eq!(
            params,
            vec![
                ("error".to_string(), "invalid_token".to_string()),
                (
                    "resource_metadata".to_string(),
                    "https://api.example/.well-known/oauth-protected-resource/mcp".to_string()
                ),
                ("scope".to_string(), "files:read files:write".to_string()),
            ]
        );
        // Another scheme's token68, padding and all, does not hide the Bearer challenge.
        assert_eq!(
            bearer_params(r#"Negotiate abc==, Bearer resource_metadata="https://api.example/m""#),
            vec![(
                "resource_metadata".to_string(),
                "https://api.example/m".to_string()
            )]
        );
        // Another scheme's parameters are not the Bearer challenge's.
        assert!(bearer_params(r#"Basic realm="x", resource_metadata="https://evil""#).is_empty());
        assert_eq!(
            bearer_params(r#"Bearer realm=api, resource_metadata="a\"b""#),
            vec![
                ("realm".to_string(), "api".to_string()),
                ("resource_metadata".to_string(), "a\"b".to_string())
            ]
        );
    }

    #[test]
    fn the_well_known_place_inserts_the_path_then_tries_the_root() {
        let url = Url::parse("https://api.example/mcp/v1/?x=1").expect("test value");
        assert_eq!(
            well_known(&url),
            vec![
                "https://api.example/.well-known/oauth-protected-resource/mcp/v1?x=1",
                "https://api.example/.well-known/oauth-protected-resource"
            ]
        );
        let root = Url::parse("https://api.example").expect("test value");
        assert_eq!(
            well_known(&root),
            vec!["https://api.example/.well-known/oauth-protected-resource"]
        );
    }

    #[test]
    fn metadata_for_another_resource_is_refused() {
        let asked = resource_identifier("https://api.example/mcp").expect("test value");
        let doc = |resource: &str| Document {
            resource: Some(resource.to_string()),
            authorization_servers: vec!["https://login.example".into()],
            scopes_supported: vec!["read".into()],
            resource_name: None,
        };
        let ok = check(doc("https://API.example:443/mcp"), &asked, "p").expect("same resource");
        assert_eq!(ok.authorization_servers, vec!["https://login.example"]);
        for other in [
            "https://api.example/other",
            "https://evil.example/mcp",
            "",
            "https://api.example/mcp/",
        ] {
            let e = check(doc(other), &asked, "p").expect_err(other);
            assert!(e.to_string().contains("RFC 9728 §3.3"), "{e}");
        }
        let mut plain = doc("https://api.example/mcp");
        plain.authorization_servers = vec!["http://login.example".into()];
        assert!(check(plain, &asked, "p").is_err());
    }

    #[test]
    fn a_resource_is_https_or_on_this_machine() {
        assert!(resource_identifier("http://api.example/mcp").is_err());
        assert!(resource_identifier("ftp://api.example/").is_err());
        assert!(resource_identifier("http://127.0.0.1:8080/mcp").is_ok());
        let e = resource_identifier("https://api.example/mcp#frag").expect_err("fragment");
        assert!(e.to_string().contains("RFC 8707"), "{e}");
        let e = resource_identifier("https://me:hunter2@api.example/mcp").expect_err("password");
        assert!(
            !e.to_string().contains("hunter2") && e.to_string().contains("https://api.example/mcp"),
            "{e}"
        );
    }
}
