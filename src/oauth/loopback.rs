//! The RFC 8252 §7.3 loopback redirect listener: 127.0.0.1 only, one login, then closed.
//!
//! Deciding what a request means is the pure [`classify`]; the listener only moves bytes.

use super::OAuthError;
use crate::secret::Secret;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Path of the redirect URI; providers compare it exactly, the port may vary (RFC 8252 §7.3).
pub const CALLBACK_PATH: &str = "/callback";
/// Longest request head read from the browser.
const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// Time a connection gets to send its request line.
pub(super) const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What one request to the listener means.
#[derive(Debug, PartialEq, Eq)]
pub enum Callback {
    /// Not the callback (a favicon, a pre-fetch, a forged `state`): answer and keep waiting.
    Ignore { status: u16, reason: String },
    /// The login is over, one way or the other.
    Finish(Result<Secret, String>),
}

/// Decides what a request target (`/callback?code=…&state=…`) means. `state` is always
/// compared; `iss` (RFC 9207) is compared when the provider sends it.
pub fn classify(target: &str, expected_state: &str, expected_issuer: Option<&str>) -> Callback {
    let Ok(url) = url::Url::parse("http://127.0.0.1").and_then(|base| base.join(target)) else {
        return Callback::Ignore {
            status: 400,
            reason: "malformed request".into(),
        };
    };
    if url.path() != CALLBACK_PATH {
        return Callback::Ignore {
            status: 404,
            reason: "not the callback".into(),
        };
    }
    let mut code = None;
    let (mut state, mut error, mut description, mut iss) = (None, None, None, None);
    for (key, value) in url.query_pairs() {
        let slot = match key.as_ref() {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_description" => &mut description,
            "iss" => &mut iss,
            _ => continue,
        };
        slot.get_or_insert(value.into_owned());
    }
    if state.as_deref() != Some(expected_state) {
        // Not from the login we started: a forged or stale request must not end it.
        return Callback::Ignore {
            status: 400,
            reason: "the state parameter does not match this login".into(),
        };
    }
    if let (Some(found), Some(expected)) = (iss.as_deref(), expected_issuer)
        && found.trim_end_matches('/') != expected.trim_end_matches('/')
    {
        return Callback::Finish(Err(format!(
            "the response names issuer '{found}', expected '{expected}' (RFC 9207 mix-up protection)"
        )));
    }
    if let Some(error) = error {
        return Callback::Finish(Err(match description {
            Some(d) => format!("{error}: {d}"),
            None => error,
        }));
    }
    match code.filter(|c| !c.is_empty()) {
        Some(code) => Callback::Finish(Ok(Secret::new(code))),
        None => Callback::Finish(Err("the callback carries no authorization code".into())),
    }
}

/// A bound listener waiting for the one redirect of one login.
pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

impl Loopback {
    /// Binds 127.0.0.1 (never all interfaces); `port` 0 picks an ephemeral port.
    pub async fn bind(port: u16) -> Result<Self, OAuthError> {
        let listener =
            TcpListener::bind(("127.0.0.1", port))
                .await
                .map_err(|e| OAuthError::Listen {
                    port,
                    reason: e.to_string(),
                })?;
        let port = listener
            .local_addr()
            .map_err(|e| OAuthError::Listen {
                port,
                reason: e.to_string(),
            })?
            .port();
        Ok(Self { listener, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Serves requests until the callback of this login arrives or `timeout` passes;
    /// the listener closes when this returns. Connections are served side by side: one
    /// that sends nothing (any local process can open one) holds only itself, never the
    /// browser's callback behind it.
    pub async fn wait(
        self,
        state: &str,
        issuer: Option<&str>,
        timeout: Duration,
    ) -> Result<Secret, OAuthError> {
        use futures_util::StreamExt;
        use futures_util::stream::FuturesUnordered;
        let serve = async {
            let mut open = FuturesUnordered::new();
            loop {
                tokio::select! {
                    accepted = self.listener.accept() => {
                        // Beyond the limit a new connection is closed at once: a flood
                        // costs the flooder, and the real callback can come once it ends.
                        if let Ok((stream, _)) = accepted
                            && open.len() < MAX_CONNECTIONS
                        {
                            open.push(serve_one(stream, state, issuer));
                        }
                    }
                    Some(outcome) = open.next(), if !open.is_empty() => {
                        if let Some(result) = outcome {
                            return result;
                        }
                    }
                }
            }
        };
        tokio::time::timeout(timeout, serve)
            .await
            .map_err(|_| OAuthError::CallbackTimeout(timeout.as_secs()))?
    }
}

/// Connections served at once; more are closed when they arrive.
const MAX_CONNECTIONS: usize = 64;

/// Reads one request and answers it; `Some` when it ends the login.
async fn serve_one(
    mut stream: tokio::net::TcpStream,
    state: &str,
    issuer: Option<&str>,
) -> Option<Result<Secret, OAuthError>> {
    let target = match tokio::time::timeout(READ_TIMEOUT, read_target(&mut stream)).await {
        Ok(Some(target)) => target,
        _ => {
            let _ = respond(
                &mut stream,
                400,
                "Bad request",
                "tokdeck could not read this request.",
            )
            .await;
            return None;
        }
    };
    match classify(&target, state, issuer) {
        Callback::Ignore { status, reason } => {
            let _ = respond(&mut stream, status, "Not the login callback", &reason).await;
            None
        }
        Callback::Finish(Ok(code)) => {
            let _ = respond(
                &mut stream,
                200,
                "Signed in",
                "tokdeck received the login. You can close this tab and return to the terminal.",
            )
            .await;
            Some(Ok(code))
        }
        Callback::Finish(Err(reason)) => {
            let _ = respond(&mut stream, 400, "Login failed", &reason).await;
            Some(Err(if reason.starts_with("access_denied") {
                OAuthError::AccessDenied(reason.split_once(": ").map(|(_, d)| d.to_string()))
            } else {
                OAuthError::Callback(reason)
            }))
        }
    }
}

/// Reads the request line's target of a GET; `None` for anything else or a head too large.
pub(super) async fn read_target(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_REQUEST_BYTES {
            return None;
        }
    }
    let head = std::str::from_utf8(&buf).ok()?;
    let mut parts = head.lines().next()?.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) => Some(target.to_string()),
        _ => None,
    }
}

async fn respond(
    stream: &mut tokio::net::TcpStream,
    status: u16,
    title: &str,
    message: &str,
) -> std::io::Result<()> {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>tokdeck: {t}</title></head>\
         <body style=\"font-family:sans-serif;margin:4em\"><h1>{t}</h1><p>{m}</p></body></html>",
        t = escape_html(title),
        m = escape_html(message)
    );
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "s-123";

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
        let addr = loopback
            .redirect_uri()
            .trim_start_matches("http://")
            .trim_end_matches("/callback")
            .to_string();
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
        let addr = loopback
            .redirect_uri()
            .trim_start_matches("http://")
            .trim_end_matches("/callback")
            .to_string();
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
}
