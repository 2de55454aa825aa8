use super::*;

const STATE: &str = "s-123";

/// `127.0.0.1:PORT` of the listener.
fn address(loopback: &Loopback) -> String {
    loopback
        .redirect_uri()
        .trim_start_matches("http://")
        .trim_end_matches("/callback")
        .to_string()
}

#[test]
fn code_with_matching_state_finishes() {
    assert_eq!(
        classify("/callback?code=abc&state=s-123", STATE, None),
        Callback::Finish(Ok(Secret::new("abc")))
    );
}

#[test]
fn favicon_and_other_paths_are_ignored() {
    for target in [
        "/favicon.ico",
        "/",
        "/callback/extra?code=x&state=s-123",
        "/robots.txt",
    ] {
        assert!(
            matches!(classify(target, STATE, None), Callback::Ignore { .. }),
            "{target}"
        );
    }
}

#[test]
fn wrong_or_missing_state_never_ends_the_login() {
    for target in [
        "/callback?code=abc&state=evil",
        "/callback?code=abc",
        "/callback?error=access_denied",
    ] {
        assert!(
            matches!(
                classify(target, STATE, None),
                Callback::Ignore { status: 400, .. }
            ),
            "{target}"
        );
    }
}

#[test]
fn provider_errors_finish_with_their_description() {
    assert_eq!(
        classify(
            "/callback?error=access_denied&error_description=End-User+aborted&state=s-123",
            STATE,
            None
        ),
        Callback::Finish(Err("access_denied: End-User aborted".into()))
    );
}

#[test]
fn missing_code_fails() {
    assert!(matches!(
        classify("/callback?state=s-123", STATE, None),
        Callback::Finish(Err(_))
    ));
}

#[test]
fn issuer_mismatch_fails_and_match_passes() {
    let target = "/callback?code=c&state=s-123&iss=https%3A%2F%2Fevil.example";
    assert!(
        matches!(classify(target, STATE, Some("https://idp.example")), Callback::Finish(Err(e)) if e.contains("evil.example"))
    );
    let target = "/callback?code=c&state=s-123&iss=https%3A%2F%2Fidp.example";
    assert_eq!(
        classify(target, STATE, Some("https://idp.example")),
        Callback::Finish(Ok(Secret::new("c")))
    );
}

#[tokio::test]
async fn listener_ignores_strays_then_takes_the_callback_and_closes() {
    let loopback = Loopback::bind(0).await.expect("bind");
    let uri = loopback.redirect_uri();
    assert!(
        uri.starts_with("http://127.0.0.1:") && uri.ends_with("/callback"),
        "{uri}"
    );
    let addr = uri
        .trim_start_matches("http://")
        .trim_end_matches("/callback")
        .to_string();
    let waiter =
        tokio::spawn(async move { loopback.wait(STATE, None, Duration::from_secs(10)).await });
    let get = |target: &str| {
        let addr = addr.clone();
        let target = target.to_string();
        async move {
            let mut s = tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connect");
            s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .await
                .expect("write");
            let mut out = String::new();
            s.read_to_string(&mut out).await.expect("read");
            out
        }
    };
    assert!(get("/favicon.ico").await.starts_with("HTTP/1.1 404"));
    assert!(
        get("/callback?code=x&state=forged")
            .await
            .starts_with("HTTP/1.1 400")
    );
    let ok = get("/callback?code=the-code&state=s-123").await;
    assert!(
        ok.starts_with("HTTP/1.1 200") && ok.contains("Signed in"),
        "{ok}"
    );
    let code = waiter.await.expect("join").expect("code");
    assert_eq!(code.expose(), "the-code");
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "listener must close after one login"
    );
}

#[tokio::test]
async fn a_huge_request_is_refused_and_only_loopback_is_bound() {
    let loopback = Loopback::bind(0).await.expect("bind");
    let addr = address(&loopback);
    let port = addr.rsplit(':').next().expect("port").to_string();
    let waiter =
        tokio::spawn(async move { loopback.wait(STATE, None, Duration::from_secs(10)).await });
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let huge = format!(
        "GET /callback?code=x&state=s-123&pad={} HTTP/1.1\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let _ = s.write_all(huge.as_bytes()).await;
    let mut out = String::new();
    let _ = s.read_to_string(&mut out).await;
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    // 127.0.0.1 only: the same port on another loopback address is closed.
    assert!(
        tokio::net::TcpStream::connect(format!("127.0.0.2:{port}"))
            .await
            .is_err()
    );
    // Still waiting for the real callback.
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    s.write_all(b"GET /callback?code=real&state=s-123 HTTP/1.1\r\n\r\n")
        .await
        .expect("write");
    let code = waiter.await.expect("join").expect("code");
    assert_eq!(code.expose(), "real");
}

#[tokio::test]
async fn idle_connections_do_not_hold_back_the_callback() {
    let loopback = Loopback::bind(0).await.expect("bind");
    let addr = address(&loopback);
    let waiter =
        tokio::spawn(async move { loopback.wait(STATE, None, Duration::from_secs(30)).await });
    // Four connections that never send a byte, each held open.
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.expect("idle"));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let start = std::time::Instant::now();
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    s.write_all(b"GET /callback?code=real&state=s-123 HTTP/1.1\r\n\r\n")
        .await
        .expect("write");
    let code = waiter.await.expect("join").expect("code");
    assert_eq!(code.expose(), "real");
    // One read timeout is 5 s: the callback did not wait for any of them.
    assert!(
        start.elapsed() < READ_TIMEOUT,
        "the callback took {:?}",
        start.elapsed()
    );
    drop(idle);
}

#[tokio::test]
async fn listener_times_out() {
    let loopback = Loopback::bind(0).await.expect("bind");
    let err = loopback
        .wait(STATE, None, Duration::from_millis(50))
        .await
        .expect_err("timeout");
    assert!(matches!(err, OAuthError::CallbackTimeout(_)));
}

/// The redirect names 127.0.0.1, yet a browser that reaches the port over IPv6 loopback
/// (WSL 2's forwarding does) is answered too, on the same port.
#[tokio::test]
async fn the_callback_also_arrives_over_ipv6_loopback() {
    let loopback = Loopback::bind(0).await.expect("bind");
    let port = loopback.port();
    let waiter =
        tokio::spawn(async move { loopback.wait(STATE, None, Duration::from_secs(10)).await });
    let mut s = tokio::net::TcpStream::connect(("::1", port))
        .await
        .expect("[::1] is bound on the same port");
    s.write_all(b"GET /callback?code=over-v6&state=s-123 HTTP/1.1\r\n\r\n")
        .await
        .expect("write");
    let code = waiter.await.expect("join").expect("code");
    assert_eq!(code.expose(), "over-v6");
}
