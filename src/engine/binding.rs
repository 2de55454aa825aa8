//! Tokens are bound to the server and client that issued them: a stored record is used
//! (served, refreshed, revoked, introspected) only while the account's provider, as
//! configured now, is still that server and that client. Otherwise an edit of config.toml
//! would send one provider's refresh token to another.

use super::EngineError;
use crate::config::Account;
use crate::oauth::Endpoints;
use crate::oauth::discovery::Need;
use crate::token::{Binding, TokenRecord};

/// The binding of tokens issued now for `account` by the server whose endpoints are
/// `known` (as configured, completed by the issuer's own metadata): the token endpoint
/// and every other endpoint, as they are now.
pub(crate) fn issued_for(account: &Account, known: &Endpoints) -> Binding {
    Binding {
        issuer: account.provider.endpoints.issuer.clone(),
        token_endpoint: known.token_endpoint.clone().unwrap_or_default(),
        client_id: account.provider.client_id.clone(),
        endpoints: Some(
            known
                .iter()
                .map(|(key, url)| (key.to_string(), url.to_string()))
                .collect(),
        ),
    }
}

/// Refuses to send `record`'s tokens (or the client's credentials about them) to an
/// endpoint in `resolved` that is not where the record was bound: an edited config.toml
/// or a changed discovery document must not move tokens to another host. A record
/// bound before every endpoint was (its binding names only the token endpoint) allows
/// what the issuer's own `metadata` lists and what is on the token endpoint's origin.
pub(crate) fn check_endpoints(
    account: &Account,
    record: &TokenRecord,
    resolved: &Endpoints,
    needs: &[Need],
    metadata: &Endpoints,
) -> Result<(), EngineError> {
    let Some(binding) = &record.binding else {
        return Ok(());
    };
    for need in needs {
        let Some(url) = resolved.get(*need) else {
            continue;
        };
        let verdict = match &binding.endpoints {
            Some(_) => binding
                .allows(need.key(), url)
                .map_err(|b| b.map(str::to_string)),
            None => legacy_allows(binding, metadata, *need, url),
        };
        if let Err(bound) = verdict {
            return Err(EngineError::Rebound {
                account: account.name.clone(),
                reason: format!(
                    "were issued where `{key}` was {was}; the config or the provider's metadata now says {url}, and nothing was sent there",
                    key = need.key(),
                    was = bound.as_deref().unwrap_or("not offered"),
                ),
            });
        }
    }
    Ok(())
}

/// For a binding without its endpoints: the token endpoint as bound, any other
/// endpoint as the issuer's metadata lists it or on the token endpoint's origin.
fn legacy_allows(
    binding: &Binding,
    metadata: &Endpoints,
    need: Need,
    url: &str,
) -> Result<(), Option<String>> {
    if need == Need::Token {
        return binding
            .allows(need.key(), url)
            .map_err(|b| b.map(str::to_string));
    }
    let listed = metadata.get(need);
    if listed == Some(url) || same_origin(url, &binding.token_endpoint) {
        return Ok(());
    }
    Err(Some(match listed {
        Some(listed) => listed.to_string(),
        None => format!("on {}", origin(&binding.token_endpoint).unwrap_or_default()),
    }))
}

/// What a record bound before every endpoint was gets bound to at its next refresh:
/// the endpoints known now that [`legacy_allows`] lets through.
pub(crate) fn widened(
    account: &Account,
    record: &TokenRecord,
    known: &Endpoints,
    metadata: &Endpoints,
) -> Binding {
    let mut binding = issued_for(account, known);
    if let (Some(old), Some(endpoints)) = (&record.binding, binding.endpoints.as_mut()) {
        let needs = [
            Need::Authorization,
            Need::DeviceAuthorization,
            Need::Revocation,
            Need::Introspection,
            Need::Userinfo,
            Need::Jwks,
            Need::EndSession,
        ];
        for need in needs {
            if let Some(url) = known.get(need)
                && legacy_allows(old, metadata, need, url).is_err()
            {
                endpoints.remove(need.key());
            }
        }
    }
    binding
}

/// `binding` with the endpoints the issuer's own `metadata` lists now and the binding
/// lacks (a provider that starts offering revocation): never a changed one, never one
/// from the config alone.
pub(crate) fn grown(binding: &Binding, metadata: &Endpoints) -> Binding {
    let mut grown = binding.clone();
    if let Some(endpoints) = grown.endpoints.as_mut() {
        for (key, url) in metadata.iter() {
            endpoints
                .entry(key.to_string())
                .or_insert_with(|| url.to_string());
        }
    }
    grown
}

fn origin(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    Some(url.origin().ascii_serialization())
}

fn same_origin(a: &str, b: &str) -> bool {
    matches!((origin(a), origin(b)), (Some(a), Some(b)) if a == b && a != "null")
}

/// Checks `record` against `account`'s provider as configured now; a mismatch names
/// what changed and what to do. Records from before bindings were kept are checked
/// through their ID token (`iss`, `aud`) when they hold one, and accepted otherwise.
pub(crate) fn check(account: &Account, record: &TokenRecord) -> Result<(), EngineError> {
    let provider = &account.provider;
    let configured_issuer = provider.endpoints.issuer.as_deref();
    let configured_endpoint = provider.endpoints.token_endpoint.as_deref();
    let Some(binding) = &record.binding else {
        return check_legacy(account, record);
    };
    let same_client = binding.client_id == provider.client_id;
    let same_server = match (configured_issuer, configured_endpoint) {
        (Some(issuer), endpoint) => {
            binding.issuer.as_deref().map(trim) == Some(trim(issuer))
                && endpoint.is_none_or(|e| e == binding.token_endpoint)
        }
        (None, Some(endpoint)) => endpoint == binding.token_endpoint,
        (None, None) => false,
    };
    if same_client && same_server {
        return Ok(());
    }
    let now_server = configured_issuer
        .or(configured_endpoint)
        .unwrap_or("(none)");
    Err(rebound(
        account,
        binding.server(),
        &binding.client_id,
        (!same_server).then_some(now_server),
        (!same_client).then_some(provider.client_id.as_str()),
    ))
}

/// The two accounts' providers are the same authorization server (the issuer, else the
/// token endpoint; an account with neither is no server to compare).
pub(crate) fn same_server(a: &Account, b: &Account) -> bool {
    let server = |account: &Account| {
        let endpoints = &account.provider.endpoints;
        endpoints
            .issuer
            .as_deref()
            .map(|i| trim(i).to_string())
            .or_else(|| endpoints.token_endpoint.clone())
    };
    server(a).is_some() && server(a) == server(b)
}

fn check_legacy(account: &Account, record: &TokenRecord) -> Result<(), EngineError> {
    let Some(claims) = record
        .tokens
        .id_token
        .as_ref()
        .and_then(|t| crate::jwt::claims(t.expose()))
    else {
        return Ok(());
    };
    let provider = &account.provider;
    let iss = claims.get("iss").and_then(|v| v.as_str()).unwrap_or("");
    let audience_ok = match claims.get("aud") {
        Some(serde_json::Value::String(aud)) => aud == &provider.client_id,
        Some(serde_json::Value::Array(auds)) => auds
            .iter()
            .any(|a| a.as_str() == Some(provider.client_id.as_str())),
        _ => false,
    };
    let issuer_ok = provider
        .endpoints
        .issuer
        .as_deref()
        .is_none_or(|configured| trim(configured) == trim(iss));
    if issuer_ok && audience_ok {
        return Ok(());
    }
    let now_server = provider
        .endpoints
        .issuer
        .as_deref()
        .or(provider.endpoints.token_endpoint.as_deref())
        .unwrap_or("(none)");
    let aud = match claims.get("aud") {
        Some(serde_json::Value::String(a)) => a.clone(),
        Some(other) => other.to_string(),
        None => "(none)".into(),
    };
    Err(rebound(
        account,
        iss,
        &aud,
        (!issuer_ok).then_some(now_server),
        (!audience_ok).then_some(provider.client_id.as_str()),
    ))
}

fn rebound(
    account: &Account,
    was_server: &str,
    was_client: &str,
    now_server: Option<&str>,
    now_client: Option<&str>,
) -> EngineError {
    let now = match (now_server, now_client) {
        (Some(server), Some(client)) => format!("{server} and client '{client}'"),
        (Some(server), None) => server.to_string(),
        (None, Some(client)) => format!("client '{client}'"),
        (None, None) => "something else".to_string(),
    };
    EngineError::Rebound {
        account: account.name.clone(),
        reason: format!(
            "were issued by {was_server} to client '{was_client}'; the config now says {now}"
        ),
    }
}

fn trim(issuer: &str) -> &str {
    issuer.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::token::TokenSet;

    fn account(provider_lines: &str) -> Account {
        let text = format!(
            "[providers.p]\nclient_id = \"c\"\n{provider_lines}\n[accounts.work]\nprovider = \"p\"\n"
        );
        let config = Config::parse(std::path::Path::new("t.toml"), &text, None).expect("parses");
        config.account("work").expect("account").clone()
    }

    fn record(binding: Option<Binding>, id_token: Option<&str>) -> TokenRecord {
        let set = TokenSet::bearer("at", chrono::DateTime::from_timestamp(0, 0).expect("ts"))
            .with_refresh_token("rt");
        TokenRecord {
            binding,
            ..TokenRecord::new(match id_token {
                Some(id) => set.with_id_token(id),
                None => set,
            })
        }
    }

    fn bound(issuer: Option<&str>, endpoint: &str, client: &str) -> Option<Binding> {
        Some(Binding {
            issuer: issuer.map(str::to_string),
            token_endpoint: endpoint.into(),
            client_id: client.into(),
            endpoints: None,
        })
    }

    fn message(result: Result<(), EngineError>) -> String {
        result.expect_err("mismatch").to_string()
    }

    #[test]
    fn tokens_of_the_configured_issuer_and_client_pass() {
        let acc = account("issuer = \"https://a.example/\"");
        let rec = record(
            bound(Some("https://a.example"), "https://a.example/t", "c"),
            None,
        );
        assert!(check(&acc, &rec).is_ok());
    }

    #[test]
    fn another_issuer_or_client_is_refused_with_both_named() {
        let rec = record(
            bound(Some("https://a.example"), "https://a.example/t", "x"),
            None,
        );
        let acc = account("issuer = \"https://b.example\"");
        assert_eq!(
            message(check(&acc, &rec)),
            "the tokens of 'work' were issued by https://a.example to client 'x'; the config now says https://b.example and client 'c': run `tokdeck login work` (or `tokdeck logout work --local` to delete them here; only the old provider, put back in config.toml, can revoke them)"
        );
        let rec = record(
            bound(Some("https://b.example"), "https://b.example/t", "c"),
            None,
        );
        assert!(check(&acc, &rec).is_ok());
    }

    #[test]
    fn an_edited_token_endpoint_is_refused() {
        let rec = record(bound(None, "https://a.example/token", "c"), None);
        let acc = account("token_endpoint = \"https://evil.example/token\"");
        assert!(
            message(check(&acc, &rec)).contains("the config now says https://evil.example/token")
        );
        let acc = account("token_endpoint = \"https://a.example/token\"");
        assert!(check(&acc, &rec).is_ok());
        // An explicit endpoint next to the issuer must match too.
        let rec = record(
            bound(Some("https://a.example"), "https://a.example/token", "c"),
            None,
        );
        let acc =
            account("issuer = \"https://a.example\"\ntoken_endpoint = \"https://b.example/t\"");
        assert!(check(&acc, &rec).is_err());
    }

    fn jwt(claims: &str) -> String {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", b64(r#"{"alg":"RS256"}"#), b64(claims))
    }

    #[test]
    fn a_legacy_record_is_judged_by_its_id_token() {
        let acc = account("issuer = \"https://b.example\"");
        let theirs = jwt(r#"{"iss":"https://a.example","aud":"c","sub":"1"}"#);
        assert!(
            message(check(&acc, &record(None, Some(&theirs))))
                .contains("issued by https://a.example")
        );
        let ours = jwt(r#"{"iss":"https://b.example","aud":["c","other"],"sub":"1"}"#);
        assert!(check(&acc, &record(None, Some(&ours))).is_ok());
        // Nothing to judge by: accepted (and bound at its next save).
        assert!(check(&acc, &record(None, None)).is_ok());
    }

    #[test]
    fn a_binding_grows_by_what_the_issuer_lists_and_never_changes() {
        let mut binding =
            bound(Some("https://a.example"), "https://a.example/t", "c").expect("binding");
        binding.endpoints = Some(
            [(
                "revocation_endpoint".to_string(),
                "https://a.example/r".to_string(),
            )]
            .into_iter()
            .collect(),
        );
        let metadata = Endpoints {
            revocation_endpoint: Some("https://elsewhere.example/r".into()),
            userinfo_endpoint: Some("https://a.example/me".into()),
            ..Default::default()
        };
        let grown = grown(&binding, &metadata);
        assert_eq!(
            grown.allows("userinfo_endpoint", "https://a.example/me"),
            Ok(())
        );
        assert_eq!(
            grown.allows("revocation_endpoint", "https://elsewhere.example/r"),
            Err(Some("https://a.example/r")),
            "a bound endpoint is never moved"
        );
    }
}
