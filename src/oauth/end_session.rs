//! Ending the provider's browser session (OpenID Connect RP-Initiated Logout 1.0).
//!
//! The request carries the ID token as `id_token_hint`. A URL with it would pass through
//! the browser's command line (readable by every local user in the process list), so
//! tokdeck opens a one-time page on its loopback listener instead, which POSTs the
//! request to the provider (§2 allows POST) from inside the browser.

use super::OAuthError;
use super::loopback::{READ_TIMEOUT, escape_html, read_target};
use crate::secret::Secret;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// How long the one-time page waits for the browser.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(120);

/// An end-session request: the endpoint and its form fields.
#[derive(Debug, Clone)]
pub struct EndSession {
    pub endpoint: String,
    /// Values may be secrets (`id_token_hint`): never logged, never on a command line.
    pub fields: Vec<(String, Secret)>,
}

impl EndSession {
    /// The auto-submitting form that carries the request to the provider.
    pub fn page(&self) -> String {
        let inputs: String = self
            .fields
            .iter()
            .map(|(name, value)| {
                format!(
                    "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                    escape_html(name),
                    escape_html(value.expose())
                )
            })
            .collect();
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>tokdeck: sign out</title></head>\
             <body style=\"font-family:sans-serif;margin:4em\"><h1>Signing out at the provider</h1>\
             <form method=\"post\" action=\"{}\">{inputs}<button type=\"submit\">Continue to sign out</button></form>\
             <script>document.forms[0].submit()</script></body></html>",
            escape_html(&self.endpoint)
        )
    }

    /// Binds 127.0.0.1, hands the one-time page's URL to `open`, and serves the page
    /// once to the request that knows its random path; anything else gets a 404.
    pub async fn hand_to_browser(&self, open: impl FnOnce(&str)) -> Result<(), OAuthError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| listen_error(0, e))?;
        let port = listener
            .local_addr()
            .map_err(|e| listen_error(0, e))?
            .port();
        let path = format!("/end-session/{}", oauth2::CsrfToken::new_random().secret());
        open(&format!("http://127.0.0.1:{port}{path}"));
        let serve = async {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                let target = tokio::time::timeout(READ_TIMEOUT, read_target(&mut stream))
                    .await
                    .ok()
                    .flatten();
                let (status, body) = match target {
                    Some(t) if t == path => ("200 OK", self.page()),
                    _ => ("404 Not Found", "not here".to_string()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
                     Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
                if status.starts_with("200") {
                    return;
                }
            }
        };
        tokio::time::timeout(PAGE_TIMEOUT, serve)
            .await
            .map_err(|_| OAuthError::CallbackTimeout(PAGE_TIMEOUT.as_secs()))
    }
}

fn listen_error(port: u16, e: std::io::Error) -> OAuthError {
    OAuthError::Listen {
        port,
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    fn request() -> EndSession {
        EndSession {
            endpoint: "https://idp.example/session/end".into(),
            fields: vec![
                ("id_token_hint".into(), Secret::new("ey\"J<tok>")),
                ("client_id".into(), Secret::new("c")),
            ],
        }
    }

    #[test]
    fn the_page_posts_the_fields_escaped() {
        let page = request().page();
        assert!(page.contains("<form method=\"post\" action=\"https://idp.example/session/end\">"));
        assert!(page.contains("name=\"id_token_hint\" value=\"ey&quot;J&lt;tok&gt;\""));
    }

    #[tokio::test]
    async fn only_the_random_path_gets_the_page_and_the_url_has_no_token() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let request = request();
        let server = tokio::spawn(async move {
            request
                .hand_to_browser(move |url| {
                    let _ = tx.send(url.to_string());
                })
                .await
        });
        let url = rx.await.expect("url");
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        assert!(!url.contains("tok"), "{url}");
        let (host, path) = url["http://".len()..].split_once('/').expect("path");
        let get = |target: String| {
            let host = host.to_string();
            async move {
                let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
                stream
                    .write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                    .await
                    .expect("write");
                let mut answer = String::new();
                stream.read_to_string(&mut answer).await.expect("read");
                answer
            }
        };
        assert!(
            get("/end-session/guess".into())
                .await
                .starts_with("HTTP/1.1 404")
        );
        let page = get(format!("/{path}")).await;
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        assert!(page.contains("id_token_hint"));
        server.await.expect("join").expect("served");
    }
}
