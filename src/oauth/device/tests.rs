use super::*;
use crate::oauth::testing::Scripted;

fn client() -> Client {
    Client {
        client_id: "cli".into(),
        client_secret: None,
        assertion: None,
        dpop: None,
    }
}

fn authorization(interval_secs: u64, expires_secs: u64) -> DeviceAuthorization {
    DeviceAuthorization {
        device_code: Secret::new("dc-1"),
        user_code: "ABCD-EFGH".into(),
        verification_uri: "https://idp/device".into(),
        verification_uri_complete: None,
        expires_in: Duration::from_secs(expires_secs),
        interval: Duration::from_secs(interval_secs),
    }
}

const PENDING: &str = r#"{"error":"authorization_pending"}"#;
const SLOW_DOWN: &str = r#"{"error":"slow_down"}"#;
const TOKENS: &str =
    r#"{"access_token":"at","token_type":"Bearer","expires_in":60,"refresh_token":"rt"}"#;

/// Polls "u" as the default client, ignoring the events.
async fn poll_u(script: &Scripted, interval_secs: u64) -> Result<TokenSet, OAuthError> {
    poll(
        &script.http(),
        "u",
        &client(),
        &Request::default(),
        &authorization(interval_secs, 600),
        |_| {},
    )
    .await
}

fn gaps(script: &Scripted, start: tokio::time::Instant) -> Vec<u64> {
    let mut last = start;
    script
        .sent()
        .iter()
        .map(|s| {
            let gap = (s.at - last).as_secs();
            last = s.at;
            gap
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn slow_down_grows_the_interval_for_every_later_poll() {
    let script = Scripted::default();
    script
        .reply(400, PENDING)
        .reply(400, SLOW_DOWN)
        .reply(400, PENDING)
        .reply(400, SLOW_DOWN)
        .reply(400, PENDING)
        .reply(200, TOKENS);
    let mut events = Vec::new();
    let start = tokio::time::Instant::now();
    let tokens = poll(
        &script.http(),
        "https://idp/token",
        &client(),
        &Request::default(),
        &authorization(2, 600),
        |e| events.push(e),
    )
    .await
    .expect("tokens");
    assert_eq!(
        tokens.refresh_token.as_ref().map(Secret::expose),
        Some("rt")
    );
    // 2 s interval; slow_down -> 7 s kept; second slow_down -> 12 s kept.
    assert_eq!(gaps(&script, start), vec![2, 2, 7, 7, 12, 12]);
    assert!(events.contains(&PollEvent::SlowDown(Duration::from_secs(12))));
    let body = &script.sent()[0].body;
    assert!(
        body.contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"),
        "{body}"
    );
    assert!(body.contains("device_code=dc-1"), "{body}");
    assert!(body.contains("client_id=cli"), "{body}");
}

#[tokio::test(start_paused = true)]
async fn stops_polling_the_moment_tokens_arrive() {
    let script = Scripted::default();
    script.reply(400, PENDING).reply(200, TOKENS);
    poll_u(&script, 5).await.expect("tokens");
    // A third request would panic the scripted transport ("too few replies").
    assert_eq!(script.sent().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn access_denied_and_expired_token_end_at_once() {
    let script = Scripted::default();
    script.reply(
        400,
        r#"{"error":"access_denied","error_description":"user said no"}"#,
    );
    let err = poll_u(&script, 5).await.expect_err("denied");
    assert_eq!(err.to_string(), "the login was denied: user said no");

    let script = Scripted::default();
    script
        .reply(400, PENDING)
        .reply(400, r#"{"error":"expired_token"}"#);
    let err = poll_u(&script, 5).await.expect_err("expired");
    assert!(matches!(err, OAuthError::DeviceCodeExpired));
    assert_eq!(script.sent().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn gives_up_when_the_code_expires_locally() {
    let script = Scripted::default();
    script.reply(400, PENDING).reply(400, PENDING);
    let err = poll(
        &script.http(),
        "u",
        &client(),
        &Request::default(),
        &authorization(5, 12),
        |_| {},
    )
    .await
    .expect_err("expired");
    assert!(matches!(err, OAuthError::DeviceCodeExpired));
    assert_eq!(
        script.sent().len(),
        2,
        "polls at 5 s and 10 s, none at 15 s"
    );
}

#[tokio::test(start_paused = true)]
async fn network_errors_back_off_and_keep_polling() {
    let script = Scripted::default();
    script
        .fail(crate::oauth::http::TransportError::Connect {
            url: "u".into(),
            reason: "refused".into(),
        })
        .reply(200, TOKENS);
    let start = tokio::time::Instant::now();
    poll_u(&script, 5).await.expect("tokens after a retry");
    assert_eq!(gaps(&script, start), vec![5, 10]);
}

#[tokio::test]
async fn start_parses_googles_verification_url_and_defaults_the_interval() {
    let script = Scripted::default();
    script.reply(
        200,
        r#"{"device_code":"d","user_code":"U-1","verification_url":"https://g.co/device","expires_in":1800}"#,
    );
    let auth = start(
        &script.http(),
        "u",
        &client(),
        &Request {
            scopes: vec!["openid".into()],
            ..Default::default()
        },
    )
    .await
    .expect("authorization");
    assert_eq!(auth.verification_uri, "https://g.co/device");
    assert_eq!(auth.browser_uri(), "https://g.co/device");
    assert_eq!(auth.interval, DEFAULT_INTERVAL);
    assert!(script.sent()[0].body.contains("scope=openid"));
}

/// GitHub answers pending polls with HTTP 200 and an error body.
#[tokio::test(start_paused = true)]
async fn github_style_200_errors_are_pending_polls_not_broken_tokens() {
    let script = Scripted::default();
    script
        .reply(200, PENDING)
        .reply(
            200,
            r#"{"error":"slow_down","error_description":"Too many requests","interval":10}"#,
        )
        .reply(200, TOKENS);
    let start = tokio::time::Instant::now();
    let tokens = poll_u(&script, 5).await.expect("tokens");
    assert_eq!(tokens.access_token.expose(), "at");
    assert_eq!(gaps(&script, start), vec![5, 5, 10]);
}

#[tokio::test(start_paused = true)]
async fn microsofts_authorization_declined_is_access_denied() {
    let script = Scripted::default();
    script.reply(400, r#"{"error":"authorization_declined"}"#);
    let err = poll_u(&script, 5).await.expect_err("denied");
    assert!(matches!(err, OAuthError::AccessDenied(_)), "{err:?}");
}
