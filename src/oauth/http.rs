//! The one HTTP path every OAuth request takes: injectable, bounded in time and size,
//! and never following redirects (a token request must not be sent to another host).

use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

pub type HttpRequest = http::Request<Vec<u8>>;
pub type HttpResponse = http::Response<Vec<u8>>;

/// Time allowed to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for a whole request, body included (`TOKDECK_HTTP_TIMEOUT` seconds overrides).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a refresh-token grant's answer is waited for once the request may have
/// reached the server: the answer carries the only copy of the new refresh token
/// (rotation, RFC 6749 §10.4), and a client that gives up and tries again with the old
/// one is a reuse that revokes the grant at servers with reuse detection. Callers stop
/// waiting after `TOKDECK_HTTP_TIMEOUT`; the process that sent the request does not.
pub const REFRESH_ANSWER_WAIT: Duration = Duration::from_secs(10 * 60);

/// Marks a request whose answer must not be abandoned (see [`REFRESH_ANSWER_WAIT`]):
/// connecting is bounded as always (a request that never connected never arrived),
/// the answer is waited for that long.
#[derive(Debug, Clone, Copy)]
pub struct AnswerMatters;

/// Env var with the whole-request timeout in seconds, for slow networks (or tests).
pub const TIMEOUT_ENV: &str = "TOKDECK_HTTP_TIMEOUT";

/// The whole-request timeout in effect.
pub fn request_timeout() -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(REQUEST_TIMEOUT, Duration::from_secs)
}
/// Whether `url` names this machine (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether `url` may carry tokens and secrets: https, or plain http when both it and
/// `server` (the server that named it) are on this machine (a local test server).
pub fn may_carry_secrets(url: &url::Url, server: &url::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => is_loopback(url) && is_loopback(server),
        _ => false,
    }
}

/// Largest response body read; OAuth responses are a few KiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    #[error("cannot connect to '{url}': {reason}")]
    Connect { url: String, reason: String },
    #[error("'{url}' did not answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("'{url}' sent more than {limit} bytes; refusing to read further")]
    TooLarge { url: String, limit: usize },
    #[error("request to '{url}' failed: {reason}")]
    Other { url: String, reason: String },
    /// A failure reported by another tokdeck process (the refresh worker).
    #[error("{0}")]
    Relayed(String),
}

/// Sends one HTTP request. Production uses [`ReqwestTransport`]; tests script responses.
pub trait Transport: Send + Sync {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;
}

/// Cheap to clone; all OAuth code takes one of these.
#[derive(Clone)]
pub struct Http {
    transport: Arc<dyn Transport>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Http")
    }
}

impl Http {
    pub fn new(transport: Arc<dyn Transport>) -> Self {
        Self { transport }
    }

    /// The real network client.
    pub fn real() -> Result<Self, TransportError> {
        Ok(Self::new(Arc::new(ReqwestTransport::new()?)))
    }

    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if !log::log_enabled!(log::Level::Debug) {
            return self.transport.send(request).await;
        }
        let line = format!(
            "{} {}",
            request.method(),
            crate::logging::url_for_log(&request.uri().to_string())
        );
        let start = std::time::Instant::now();
        let result = self.transport.send(request).await;
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        match &result {
            Ok(response) => log::debug!(
                "{line} -> {} in {ms:.1} ms ({} bytes)",
                response.status().as_u16(),
                response.body().len()
            ),
            Err(e) => log::debug!("{line} failed after {ms:.1} ms: {e}"),
        }
        result
    }
}

/// reqwest with rustls and the platform's certificate verifier. Loading the system's
/// root certificates takes milliseconds, so plain-http requests (a provider on loopback)
/// use a client without them, and the TLS client is built on the first https request.
pub struct ReqwestTransport {
    plain: reqwest::Client,
    tls: std::sync::OnceLock<Result<reqwest::Client, TransportError>>,
}

impl ReqwestTransport {
    pub fn new() -> Result<Self, TransportError> {
        // Installing twice is harmless: the second call reports the first provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let plain =
            Self::builder()
                .tls_certs_only([])
                .build()
                .map_err(|e| TransportError::Other {
                    url: String::new(),
                    reason: e.to_string(),
                })?;
        Ok(Self {
            plain,
            tls: std::sync::OnceLock::new(),
        })
    }

    fn builder() -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(request_timeout())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tokdeck/", env!("CARGO_PKG_VERSION")))
    }

    fn client_for(&self, request: &HttpRequest) -> Result<&reqwest::Client, TransportError> {
        if request.uri().scheme_str() != Some("https") {
            return Ok(&self.plain);
        }
        self.tls
            .get_or_init(|| {
                Self::builder()
                    .https_only(true)
                    .build()
                    .map_err(|e| TransportError::Other {
                        url: String::new(),
                        reason: format!("cannot set up TLS: {}", error_chain(&e)),
                    })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let url = request.uri().to_string();
        let waited = if request.extensions().get::<AnswerMatters>().is_some() {
            REFRESH_ANSWER_WAIT
        } else {
            request_timeout()
        };
        let map = |e: reqwest::Error| {
            // A connection that never opened (a connect timeout is a timeout to reqwest
            // too) carried no request: no answer can have been lost.
            if e.is_connect() {
                TransportError::Connect {
                    url: url.clone(),
                    reason: with_scheme_hint(&url, root_cause(&e)),
                }
            } else if e.is_timeout() {
                TransportError::Timeout {
                    url: url.clone(),
                    secs: waited.as_secs(),
                }
            } else {
                TransportError::Other {
                    url: url.clone(),
                    reason: with_scheme_hint(&url, error_chain(&e)),
                }
            }
        };
        let client = self.client_for(&request)?;
        let matters = request.extensions().get::<AnswerMatters>().is_some();
        let mut request = reqwest::Request::try_from(request).map_err(map)?;
        if matters {
            *request.timeout_mut() = Some(REFRESH_ANSWER_WAIT);
        }
        let mut response = client.execute(request).await.map_err(map)?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(map)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(TransportError::TooLarge {
                    url,
                    limit: MAX_BODY_BYTES,
                });
            }
            body.extend_from_slice(&chunk);
        }
        builder.body(body).map_err(|e| TransportError::Other {
            url,
            reason: e.to_string(),
        })
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(self.execute(request))
    }
}

/// A TLS client talking to a plain-HTTP server (rustls: "received corrupt message of
/// type InvalidContentType"), or a plain-HTTP client talking to a TLS server (which
/// hangs up on the request it cannot read): said in words, with what to change.
fn with_scheme_hint(url: &str, reason: String) -> String {
    let https = url.starts_with("https://");
    let tls_to_plain = ["InvalidContentType", "corrupt message", "tls handshake eof"];
    let plain_to_tls = [
        "connection closed before message completed",
        "invalid HTTP version",
    ];
    if https && tls_to_plain.iter().any(|p| reason.contains(p)) {
        format!(
            "{reason} (the server seems to speak plain HTTP here, not TLS: write the URL with http:// if it is a local server, or use the server's https port)"
        )
    } else if !https && plain_to_tls.iter().any(|p| reason.contains(p)) {
        format!("{reason} (the server may expect TLS here: write the URL with https://)")
    } else {
        reason
    }
}

/// The innermost error: "Connection refused (os error 111)", "failed to lookup address…",
/// without reqwest's wrappers that repeat the URL.
fn root_cause(error: &dyn std::error::Error) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// reqwest hides the useful part (connection refused, DNS) in the source chain.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
