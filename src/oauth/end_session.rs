//! Ending the provider's browser session (OpenID Connect RP-Initiated Logout 1.0).
//!
//! The request carries the ID token as `id_token_hint`. A URL with it would pass through
//! the browser's command line (readable by every local user in the process list), so
//! tokdeck opens a one-time address on its loopback listener instead, which redirects
//! the browser to the end-session endpoint with the request (§2: GET, which every
//! provider supports; oidc-provider, for one, refuses POST by default).

use super::OAuthError;
use super::loopback::{READ_TIMEOUT, read_target};
use crate::secret::Secret;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// How long the one-time address waits for the browser.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(120);

/// An end-session request: the endpoint and its query parameters.
#[derive(Debug, Clone)]
pub struct EndSession {
    pub endpoint: String,
    /// Values may be secrets (`id_token_hint`): never logged, never on a command line.
    pub fields: Vec<(String, Secret)>,
}

impl EndSession {
    /// The end-session URL with the request in its query.
    pub fn url(&self) -> Result<url::Url, OAuthError> {
        let mut url = url::Url::parse(&self.endpoint).map_err(|e| {
            OAuthError::Other(format!(
                "end_session_endpoint '{}' is not a URL ({e})",
                self.endpoint
            ))
        })?;
        url.query_pairs_mut()
            .extend_pairs(self.fields.iter().map(|(k, v)| (k, v.expose())));
        Ok(url)
    }

    /// Binds 127.0.0.1, hands the one-time address to `open`, and redirects the request
    /// that knows its random path to the provider; anything else gets a 404.
    pub async fn hand_to_browser(&self, open: impl FnOnce(&str)) -> Result<(), OAuthError> {
        let target = self.url()?;
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
                let asked = tokio::time::timeout(READ_TIMEOUT, read_target(&mut stream))
                    .await
                    .ok()
                    .flatten();
                let found = asked.as_deref() == Some(path.as_str());
                let response = if found {
                    format!(
                        "HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\n\
                         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n"
                    )
                } else {
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_string()
                };
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
                if found {
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
    fn the_url_carries_the_fields_encoded() {
        let url = request().url().expect("url").to_string();
        assert_eq!(
            url,
            "https://idp.example/session/end?id_token_hint=ey%22J%3Ctok%3E&client_id=c"
        );
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
        assert!(page.starts_with("HTTP/1.1 302"), "{page}");
        assert!(
            page.contains("Location: https://idp.example/session/end?id_token_hint=ey%22J%3Ctok%3E&client_id=c\r\n"),
            "{page}"
        );
        server.await.expect("join").expect("served");
    }
}
