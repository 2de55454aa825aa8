use super::*;
use crate::config::Config;
use crate::engine::provider_client;
use crate::oauth::testing::Scripted;

fn endpoints() -> Endpoints {
    Endpoints {
        issuer: Some("https://login.example".into()),
        registration_endpoint: Some("https://login.example/reg".into()),
        ..Endpoints::default()
    }
}

fn scopes() -> Vec<String> {
    vec!["openid".into(), "files:read".into()]
}

#[tokio::test]
async fn a_secret_the_server_gives_is_kept_with_the_registration_and_used() {
    let home = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(home.path());
    let script = Scripted::default();
    script.reply(
        201,
        r#"{"client_id":"conf-1","client_secret":"s3cr3t","token_endpoint_auth_method":"client_secret_basic","client_secret_expires_at":0,"registration_access_token":"rat-1","registration_client_uri":"https://login.example/reg/conf-1"}"#,
    );
    let client = provider_client(&paths).with_http(script.http());
    let place = place(&paths, StoreKind::File);
    let kept = register(
        &client,
        &place,
        "api",
        &endpoints(),
        &scopes(),
        ByHand::CommandLine,
    )
    .await
    .expect("a confidential client is taken");
    assert_eq!(
        kept.client_secret.as_ref().map(|s| s.expose()),
        Some("s3cr3t")
    );
    assert_eq!(kept.client_secret_expires_at, None, "0 is never");
    assert_eq!(place.load("api").expect("read"), Some(kept));
    // The request asked for a public native client.
    let sent = script.sent();
    assert!(
        sent[0]
            .body
            .contains(r#""token_endpoint_auth_method":"none""#)
            && sent[0].body.contains(r#""application_type":"native""#),
        "{}",
        sent[0].body
    );

    // The engine's client for the account carries the kept secret (not in config.toml).
    let text = "[providers.api]\nissuer = \"https://login.example\"\nclient_id = \"conf-1\"\nregistration = \"dynamic\"\n\n[accounts.api]\nprovider = \"api\"\n";
    let config = Config::parse(&paths.config_file, text, Some(StoreKind::File)).expect("config");
    let engine = Engine::new(config, paths.clone());
    let account = engine.account("api").expect("account").clone();
    let oauth_client = engine.client_of(&account).await;
    assert_eq!(
        oauth_client.client_secret.as_ref().map(|s| s.expose()),
        Some("s3cr3t")
    );
}

#[tokio::test]
async fn a_client_authentication_tokdeck_does_not_speak_is_refused_and_deleted() {
    let home = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(home.path());
    let script = Scripted::default();
    script
        .reply(
            201,
            r#"{"client_id":"post-1","client_secret":"s","token_endpoint_auth_method":"client_secret_post","registration_access_token":"rat-2","registration_client_uri":"https://login.example/reg/post-1"}"#,
        )
        .reply(204, "");
    let client = provider_client(&paths).with_http(script.http());
    let place = place(&paths, StoreKind::File);
    let e = register(
        &client,
        &place,
        "api",
        &endpoints(),
        &scopes(),
        ByHand::AddForm,
    )
    .await
    .expect_err("client_secret_post is not spoken");
    let message = e.to_string();
    assert!(
        message.contains("'client_secret_post'")
            && message.contains("the registration was deleted again")
            && message.contains("type its ID as the Client ID"),
        "{message}"
    );
    let sent = script.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].url, "https://login.example/reg/post-1");
    assert_eq!(place.load("api").expect("read"), None, "nothing kept");
}
