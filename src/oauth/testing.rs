//! A scripted transport for offline tests of the flows.

use super::http::{HttpRequest, HttpResponse, Transport, TransportError};
use futures_util::future::BoxFuture;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One recorded request: when it was sent (tokio clock), its URL and its body.
#[derive(Debug, Clone)]
pub struct Sent {
    pub at: tokio::time::Instant,
    pub url: String,
    pub body: String,
}

/// Answers requests from a queue; panics the test when the queue runs dry.
type Reply = Result<(u16, String), TransportError>;

#[derive(Default, Clone)]
pub struct Scripted {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    pub sent: Arc<Mutex<Vec<Sent>>>,
}

impl Scripted {
    pub fn reply(&self, status: u16, body: &str) -> &Self {
        self.replies
            .lock()
            .expect("lock")
            .push_back(Ok((status, body.to_string())));
        self
    }

    pub fn fail(&self, error: TransportError) -> &Self {
        self.replies.lock().expect("lock").push_back(Err(error));
        self
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().expect("lock").clone()
    }

    pub fn http(&self) -> super::Http {
        super::Http::new(Arc::new(self.clone()))
    }
}

impl Transport for Scripted {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        self.sent.lock().expect("lock").push(Sent {
            at: tokio::time::Instant::now(),
            url: request.uri().to_string(),
            body: String::from_utf8_lossy(request.body()).into_owned(),
        });
        let next = self
            .replies
            .lock()
            .expect("lock")
            .pop_front()
            .expect("the test scripted too few replies");
        Box::pin(async move {
            let (status, body) = next?;
            Ok(http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(body.into_bytes())
                .expect("response"))
        })
    }
}
