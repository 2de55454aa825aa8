use super::*;
use crate::oauth::http::TransportError;
use crate::oauth::testing::Scripted;
use crate::secret::Secret;
use crate::store::MemoryStore;
use std::time::Duration;

const CONFIG: &str = r#"
[providers.p]
client_id = "cli"
token_endpoint = "https://idp.example/token"

[providers.norevoke]
client_id = "cli"
token_endpoint = "https://idp.example/token"

[accounts.a]
provider = "p"

[accounts.b]
provider = "norevoke"

[providers.service]
client_id = "svc"
client_secret = "svc-secret"
token_endpoint = "https://idp.example/token"
flow = "client_credentials"

[accounts.svc]
provider = "service"
"#;

struct Fixture {
    engine: Engine,
    store: Arc<MemoryStore>,
    // Holds the lock directory for the test's lifetime.
    _home: tempfile::TempDir,
}

fn fixture(script: &Scripted) -> Fixture {
    let config = Config::parse(std::path::Path::new("config.toml"), CONFIG, None).expect("config");
    let home = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(MemoryStore::default());
    let engine = Engine::with_store(config, Paths::under(home.path()), store.clone())
        .with_http(script.http());
    Fixture {
        engine,
        store,
        _home: home,
    }
}

fn record(access: &str, expires_in_secs: i64) -> TokenRecord {
    let now = Utc::now();
    // An hour-long token, not brand new (see `Lifetime::fresh_enough`).
    TokenRecord::new(
        TokenSet::bearer(access, now - chrono::Duration::seconds(3600))
            .with_refresh_token("rt-1")
            .with_scopes(&["openid"])
            .expiring_at(now + chrono::Duration::seconds(expires_in_secs)),
    )
}

#[tokio::test]
async fn a_valid_cached_token_makes_no_request() {
    let script = Scripted::default();
    let Fixture {
        engine,
        store,
        _home,
    } = fixture(&script);
    store.save("a", &record("cached", 3600)).expect("save");
    let fresh = engine
        .fresh_tokens("a", Duration::from_secs(60))
        .await
        .expect("fresh");
    assert_eq!(fresh.tokens.access_token.expose(), "cached");
    assert!(script.sent().is_empty());
}

#[tokio::test]
async fn a_token_inside_min_valid_is_refreshed_and_the_rotation_stored() {
    let script = Scripted::default();
    script.reply(
        200,
        r#"{"access_token":"new","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-2"}"#,
    );
    let Fixture {
        engine,
        store,
        _home,
    } = fixture(&script);
    store.save("a", &record("old", 30)).expect("save");
    let fresh = engine
        .fresh_tokens("a", Duration::from_secs(60))
        .await
        .expect("fresh");
    assert_eq!(fresh.tokens.access_token.expose(), "new");
    let saved = store.load("a").expect("load").expect("record");
    assert_eq!(
        saved.tokens.refresh_token.as_ref().map(Secret::expose),
        Some("rt-2")
    );
    assert!(saved.last_refresh.is_some());
    assert!(script.sent()[0].body.contains("refresh_token=rt-1"));
}

#[tokio::test]
async fn network_failure_serves_the_still_valid_token_and_says_so() {
    let script = Scripted::default();
    script.fail(TransportError::Connect {
        url: "https://idp.example/token".into(),
        reason: "connection refused".into(),
    });
    let Fixture {
        engine,
        store,
        _home,
    } = fixture(&script);
    store.save("a", &record("old", 30)).expect("save");
    let fresh = engine
        .fresh_tokens("a", Duration::from_secs(60))
        .await
        .expect("served");
    assert_eq!(fresh.tokens.access_token.expose(), "old");
    let warning = fresh.warning.expect("a warning");
    assert!(
        warning.contains("connection refused") && warning.contains("valid for"),
        "{warning}"
    );
}

#[tokio::test]
async fn an_expired_token_is_not_served_when_refresh_fails() {
    let script = Scripted::default();
    script.fail(TransportError::Timeout {
        url: "https://idp.example/token".into(),
        secs: 30,
    });
    let Fixture {
        engine,
        store,
        _home,
    } = fixture(&script);
    store.save("a", &record("old", -10)).expect("save");
    let err = engine
        .fresh_tokens("a", Duration::from_secs(60))
        .await
        .expect_err("no token");
    assert!(
        err.to_string().contains("did not answer within 30 s"),
        "{err}"
    );
}

#[tokio::test]
async fn failed_refreshes_keep_the_old_tokens() {
    for (status, body) in [
        (
            400,
            r#"{"error":"invalid_grant","error_description":"grant revoked"}"#,
        ),
        (500, "<html><title>oops</title></html>"),
        (200, r#"{"access_token": "trunc"#),
    ] {
        let script = Scripted::default();
        script.reply(status, body);
        let Fixture {
            engine,
            store,
            _home,
        } = fixture(&script);
        let original = record("old", -10);
        store.save("a", &original).expect("save");
        let err = engine.refresh("a").await.expect_err("refresh fails");
        let kept = store.load("a").expect("load").expect("record");
        assert_eq!(
            kept.tokens, original.tokens,
            "tokens unchanged after {status}"
        );
        if status == 400 {
            assert!(matches!(err, EngineError::NeedsLogin { .. }), "{err}");
            assert!(err.to_string().contains("grant revoked"), "{err}");
            // Every process now knows, without asking the provider again.
            assert!(
                kept.login_needed
                    .as_deref()
                    .is_some_and(|r| r.contains("invalid_grant"))
            );
            let again = engine
                .fresh_tokens("a", Duration::from_secs(60))
                .await
                .expect_err("login needed");
            assert!(matches!(again, EngineError::NeedsLogin { .. }));
        } else {
            assert_eq!(kept, original);
        }
    }
}

#[tokio::test]
async fn logout_without_revocation_endpoint_deletes_locally_with_a_note() {
    let script = Scripted::default();
    let Fixture {
        engine,
        store,
        _home,
    } = fixture(&script);
    store.save("b", &record("old", 3600)).expect("save");
    let report = engine
        .logout("b", crate::engine::LogoutOptions::default())
        .await
        .expect("logout");
    assert!(report.revoked.is_empty());
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("no revocation endpoint")),
        "{:?}",
        report.notes
    );
    assert_eq!(store.load("b").expect("load"), None);
    assert!(script.sent().is_empty());
}

#[tokio::test]
async fn a_refresh_done_by_another_process_meanwhile_is_used_not_repeated() {
    let script = Scripted::default();
    let Fixture {
        engine,
        store,
        _home,
    } = fixture(&script);
    store.save("a", &record("old", 30)).expect("save");
    let seen = Secret::new("old");
    // Another process refreshed between our decision and our lock.
    store.save("a", &record("theirs", 3600)).expect("save");
    let tokens = engine
        .refresh_with("a", Want::Replace(seen))
        .await
        .expect("tokens");
    assert_eq!(tokens.access_token.expose(), "theirs");
    let tokens = engine
        .refresh_with("a", Want::ValidFor(Duration::from_secs(60)))
        .await
        .expect("tokens");
    assert_eq!(tokens.access_token.expose(), "theirs");
    assert!(script.sent().is_empty(), "no refresh token spent twice");
}

#[tokio::test]
async fn concurrent_refreshes_in_one_process_spend_the_refresh_token_once() {
    let script = Scripted::default();
    script.reply(
        200,
        r#"{"access_token":"new","expires_in":3600,"refresh_token":"rt-2"}"#,
    );
    let Fixture {
        engine,
        store,
        _home,
    } = fixture(&script);
    store.save("a", &record("old", 10)).expect("save");
    let engine = Arc::new(engine);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.fresh_tokens("a", Duration::from_secs(60)).await })
        })
        .collect();
    for task in tasks {
        let fresh = task.await.expect("join").expect("fresh");
        assert_eq!(fresh.tokens.access_token.expose(), "new");
    }
    assert_eq!(script.sent().len(), 1, "one refresh for eight callers");
}

#[tokio::test]
async fn a_service_account_holding_another_servers_tokens_gets_new_ones() {
    let script = Scripted::default();
    script.reply(
        200,
        r#"{"access_token":"fresh","token_type":"Bearer","expires_in":3600}"#,
    );
    let Fixture {
        engine,
        store,
        _home,
    } = fixture(&script);
    let mut old = record("elsewhere", 3600);
    old.binding = Some(crate::token::Binding {
        issuer: None,
        token_endpoint: "https://old-idp.example/token".into(),
        client_id: "svc".into(),
        endpoints: None,
    });
    store.save("svc", &old).expect("save");
    let fresh = engine
        .fresh_tokens("svc", Duration::from_secs(60))
        .await
        .expect("new tokens");
    assert_eq!(fresh.tokens.access_token.expose(), "fresh");
    // Nothing of the old tokens went to the server configured now.
    let sent = script.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].body.contains("grant_type=client_credentials"));
    assert!(!sent[0].body.contains("elsewhere") && !sent[0].body.contains("rt-1"));
    // An account that logs in gets no such thing: only a login helps.
    let mut theirs = record("theirs", 3600);
    theirs.binding = old.binding.clone();
    store.save("a", &theirs).expect("save");
    assert!(matches!(
        engine.fresh_tokens("a", Duration::from_secs(60)).await,
        Err(EngineError::Rebound { .. })
    ));
}
