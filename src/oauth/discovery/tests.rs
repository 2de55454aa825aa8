use super::*;
use crate::oauth::testing::Scripted;

const ISSUER: &str = "https://idp.example/o";

fn oidc_without_revocation() -> String {
    serde_json::json!({
        "issuer": ISSUER,
        "authorization_endpoint": format!("{ISSUER}/authorize/"),
        "token_endpoint": format!("{ISSUER}/token/"),
        "jwks_uri": format!("{ISSUER}/.well-known/jwks.json"),
    })
    .to_string()
}

#[tokio::test]
async fn oauth_metadata_fills_what_oidc_discovery_leaves_out() {
    let script = Scripted::default();
    let oauth = serde_json::json!({
        "issuer": ISSUER,
        "token_endpoint": "https://elsewhere.example/token",
        "revocation_endpoint": format!("{ISSUER}/revoke_token/"),
        "introspection_endpoint": format!("{ISSUER}/introspect/"),
    });
    script
        .reply(200, &oidc_without_revocation())
        .reply(200, &oauth.to_string());
    let found = fetch(&script.http(), ISSUER).await.expect("merged");
    assert_eq!(
        found.revocation_endpoint.as_deref(),
        Some("https://idp.example/o/revoke_token/")
    );
    assert_eq!(
        found.introspection_endpoint.as_deref(),
        Some("https://idp.example/o/introspect/")
    );
    assert_eq!(
        found.token_endpoint.as_deref(),
        Some("https://idp.example/o/token/"),
        "OIDC wins"
    );
    let urls: Vec<String> = script.sent().into_iter().map(|s| s.url).collect();
    assert_eq!(
        urls,
        [
            "https://idp.example/o/.well-known/openid-configuration",
            "https://idp.example/.well-known/oauth-authorization-server/o",
        ]
    );
}

#[tokio::test]
async fn plain_http_endpoints_are_refused_unless_the_provider_is_local() {
    let script = Scripted::default();
    let doc = serde_json::json!({
        "issuer": ISSUER,
        "token_endpoint": format!("{ISSUER}/token/"),
        "revocation_endpoint": "http://idp.example/o/revoke",
        "introspection_endpoint": format!("{ISSUER}/introspect/"),
        "device_authorization_endpoint": format!("{ISSUER}/device/"),
    });
    script.reply(200, &doc.to_string());
    let e = fetch(&script.http(), ISSUER).await.expect_err("refused");
    assert!(
        e.to_string().contains(
            "revocation_endpoint 'http://idp.example/o/revoke', which is not an https URL"
        ),
        "{e}"
    );
    let local = "http://127.0.0.1:9/o";
    let script = Scripted::default();
    let doc = serde_json::json!({
        "issuer": local,
        "token_endpoint": "http://127.0.0.1:9/o/token",
        "revocation_endpoint": "http://localhost:9/o/revoke",
        "introspection_endpoint": "http://127.0.0.1:9/o/introspect",
        "device_authorization_endpoint": "http://127.0.0.1:9/o/device",
    });
    script.reply(200, &doc.to_string());
    fetch(&script.http(), local)
        .await
        .expect("a local provider");
    let script = Scripted::default();
    let doc = serde_json::json!({
        "issuer": local,
        "token_endpoint": "http://evil.example/token",
        "revocation_endpoint": "http://localhost:9/o/revoke",
        "introspection_endpoint": "http://127.0.0.1:9/o/introspect",
        "device_authorization_endpoint": "http://127.0.0.1:9/o/device",
    });
    script.reply(200, &doc.to_string());
    assert!(
        fetch(&script.http(), local).await.is_err(),
        "http elsewhere"
    );
}

#[tokio::test]
async fn metadata_of_another_issuer_is_never_merged() {
    let script = Scripted::default();
    let other = serde_json::json!({
        "issuer": "https://evil.example",
        "revocation_endpoint": "https://evil.example/revoke",
    });
    script
        .reply(200, &oidc_without_revocation())
        .reply(200, &other.to_string())
        .reply(404, "not here");
    let found = fetch(&script.http(), ISSUER).await.expect("OIDC alone");
    assert_eq!(found.revocation_endpoint, None);
    let urls: Vec<String> = script.sent().into_iter().map(|s| s.url).collect();
    assert_eq!(
        urls[2], "https://idp.example/o/.well-known/oauth-authorization-server",
        "appended, RFC 8414 §5"
    );
}
