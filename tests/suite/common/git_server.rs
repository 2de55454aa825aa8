//! A git smart-HTTP server on 127.0.0.1 for tests: `git http-backend` (CGI) behind a
//! small HTTP/1.1 loop that lets a request through only with a token `check` accepts
//! for the repository asked for (Basic with the token as password, or Bearer).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// Says whether `token` may reach the repository `repo` (`alice.git`).
pub type Check = dyn Fn(&str, &str) -> bool + Send + Sync;

pub struct GitServer {
    pub url: String,
    /// The Authorization schemes requests came with (`Basic`, `Bearer`, `none`).
    pub schemes: Arc<Mutex<Vec<String>>>,
}

impl GitServer {
    pub fn start(root: &Path, check: Arc<Check>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let schemes = Arc::new(Mutex::new(Vec::new()));
        let (root, seen) = (root.to_path_buf(), schemes.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, check, seen) = (root.clone(), check.clone(), seen.clone());
                std::thread::spawn(move || serve(stream, &root, &*check, &seen));
            }
        });
        Self { url, schemes }
    }
}

/// A bare repository `name` under `root` with one commit, accepting pushes.
pub fn bare_repo(root: &Path, name: &str) -> PathBuf {
    let repo = root.join(name);
    let git = |args: &[&str], dir: &Path| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let work = root.join(format!("{name}.work"));
    std::fs::create_dir_all(&work).expect("mkdir");
    git(&["init", "-q", "-b", "main"], &work);
    std::fs::write(work.join("README"), format!("{name}\n")).expect("write");
    git(&["add", "README"], &work);
    git(
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "-m",
            "first",
        ],
        &work,
    );
    git(
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().expect("utf-8"),
            repo.to_str().expect("utf-8"),
        ],
        root,
    );
    git(&["config", "http.receivepack", "true"], &repo);
    repo
}

fn serve(stream: TcpStream, root: &Path, check: &Check, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) <= 2 {
            break;
        }
        if let Some((k, v)) = header.trim_end().split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let repo = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    let (scheme, token) = credentials(header("authorization"));
    seen.lock().expect("lock").push(scheme.clone());
    let mut out = &stream;
    if !token.as_deref().is_some_and(|t| check(t, &repo)) {
        let _ = write!(
            out,
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nWWW-Authenticate: Bearer realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return;
    }
    let mut cgi = Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
        .env("CONTENT_LENGTH", length.to_string())
        .env("GIT_PROTOCOL", header("git-protocol").unwrap_or_default())
        .env("REMOTE_USER", "token-user")
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("git http-backend");
    if let Some(mut stdin) = cgi.stdin.take() {
        let _ = stdin.write_all(&body);
    }
    let output = cgi.wait_with_output().expect("http-backend output");
    let text = output.stdout;
    let split = text
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| text.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((end, gap)) = split else { return };
    let head = String::from_utf8_lossy(&text[..end]).to_string();
    let status = head
        .lines()
        .find_map(|l| l.strip_prefix("Status: "))
        .unwrap_or("200 OK")
        .to_string();
    let fields: Vec<&str> = head.lines().filter(|l| !l.starts_with("Status:")).collect();
    let payload = &text[end + gap..];
    let _ = write!(out, "HTTP/1.1 {status}\r\n");
    for field in fields {
        let _ = write!(out, "{field}\r\n");
    }
    let _ = write!(
        out,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    );
    let _ = out.write_all(payload);
}

/// The scheme and the token of an Authorization header (the Basic password).
fn credentials(header: Option<String>) -> (String, Option<String>) {
    use base64::Engine;
    let Some(header) = header else {
        return ("none".into(), None);
    };
    match header.split_once(' ') {
        Some(("Bearer", token)) => ("Bearer".into(), Some(token.to_string())),
        Some(("Basic", encoded)) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default();
            let token = decoded.split_once(':').map(|(_, p)| p.to_string());
            ("Basic".into(), token)
        }
        _ => ("other".into(), None),
    }
}
