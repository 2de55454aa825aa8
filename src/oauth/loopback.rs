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
    /// The same port on `[::1]`, where the machine has IPv6 loopback: a browser that
    /// resolves the redirect's host over IPv6 (WSL 2's forwarding, some proxies) lands
    /// here. The redirect URI itself names 127.0.0.1 (RFC 8252 §7.3).
    v6: Option<TcpListener>,
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
        // Best effort: a port taken on ::1 by someone else, or no IPv6, leaves 127.0.0.1.
        let v6 = TcpListener::bind((std::net::Ipv6Addr::LOCALHOST, port))
            .await
            .ok();
        Ok(Self { listener, v6, port })
    }

    /// The next connection on either address.
    async fn accept(&self) -> std::io::Result<tokio::net::TcpStream> {
        match &self.v6 {
            Some(v6) => tokio::select! {
                accepted = self.listener.accept() => accepted.map(|(s, _)| s),
                accepted = v6.accept() => accepted.map(|(s, _)| s),
            },
            None => self.listener.accept().await.map(|(s, _)| s),
        }
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
                    accepted = self.accept() => {
                        // Beyond the limit a new connection is closed at once: a flood
                        // costs the flooder, and the real callback can come once it ends.
                        if let Ok(stream) = accepted
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
mod tests;
