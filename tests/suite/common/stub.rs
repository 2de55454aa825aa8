//! A tiny HTTP/1.1 server on 127.0.0.1 that answers each path from a script, for the
//! provider behaviour a real server cannot be made to show (HTML 500s, truncated JSON).

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    pub location: Option<String>,
    /// Send the headers, then one byte a second, never finishing.
    pub drip: bool,
    /// Hold the answer this long after the request arrived.
    pub delay: Option<std::time::Duration>,
}

/// `reply`, sent only `delay` after its request arrived.
pub fn delayed(reply: Reply, delay: std::time::Duration) -> Reply {
    Reply {
        delay: Some(delay),
        ..reply
    }
}

pub fn redirect(to: &str) -> Reply {
    Reply {
        location: Some(to.to_string()),
        ..json(302, "")
    }
}

pub fn drip() -> Reply {
    Reply {
        drip: true,
        ..json(200, "")
    }
}

pub fn json(status: u16, body: &str) -> Reply {
    Reply {
        status,
        content_type: "application/json",
        body: body.to_string(),
        location: None,
        drip: false,
        delay: None,
    }
}

pub fn html(status: u16, body: &str) -> Reply {
    Reply {
        status,
        content_type: "text/html",
        body: body.to_string(),
        location: None,
        drip: false,
        delay: None,
    }
}

type Script = Arc<Mutex<HashMap<String, VecDeque<Reply>>>>;
type Seen = Arc<Mutex<Vec<Request>>>;

/// A request as the stub received it.
#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    pub body: String,
}

pub struct Stub {
    pub base: String,
    script: Script,
    requests: Seen,
}

impl Stub {
    /// Starts listening on an ephemeral 127.0.0.1 port; the thread ends with the test process.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind stub");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let script: Script = Arc::default();
        let requests: Seen = Arc::default();
        let (s, r) = (script.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, r) = (s.clone(), r.clone());
                std::thread::spawn(move || serve(stream, &s, &r));
            }
        });
        Self {
            base,
            script,
            requests,
        }
    }

    /// Queues replies for `path`; the last one repeats when the queue would run dry.
    pub fn on(&self, path: &str, replies: Vec<Reply>) -> &Self {
        self.script
            .lock()
            .expect("lock")
            .insert(path.to_string(), replies.into());
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// (path, body) of every request so far.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.requests
            .lock()
            .expect("lock")
            .iter()
            .map(|r| (r.path.clone(), r.body.clone()))
            .collect()
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Request> {
        self.requests.lock().expect("lock").clone()
    }
}

fn serve(stream: TcpStream, script: &Script, requests: &Seen) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line
        .split(' ')
        .nth(1)
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/")
        .to_string();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    requests.lock().expect("lock").push(Request {
        path: path.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let reply = {
        let mut script = script.lock().expect("lock");
        match script.get_mut(&path) {
            Some(queue) if queue.len() > 1 => queue.pop_front(),
            Some(queue) => queue.front().cloned(),
            None => None,
        }
    }
    .unwrap_or_else(|| json(404, r#"{"error":"not_found"}"#));
    let mut stream = stream;
    if let Some(delay) = reply.delay {
        std::thread::sleep(delay);
    }
    if reply.drip {
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{{"
        );
        for _ in 0..600 {
            std::thread::sleep(std::time::Duration::from_secs(1));
            if stream.write_all(b" ").is_err() {
                return;
            }
        }
        return;
    }
    let location = reply
        .location
        .map(|l| format!("Location: {l}\r\n"))
        .unwrap_or_default();
    let _ = write!(
        stream,
        "HTTP/1.1 {} X\r\nContent-Type: {}\r\n{location}Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        reply.status,
        reply.content_type,
        reply.body.len(),
        reply.body
    );
}
