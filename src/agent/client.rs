//! Asking the agent: a blocking client (a request and its answer are one line each way;
//! no async runtime is needed to ask for a token).

use super::protocol::{self as p, Code, Failure, Request};
use super::socket::{SOCK_ENV, Where, where_to_look};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long an answer may take: a request may wait for a person (the agent's timeout,
/// a minute by default) and a refresh.
const READ_TIMEOUT: Duration = Duration::from_secs(15 * 60);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Client {
    stream: UnixStream,
    reader: BufReader<UnixStream>,
    pub path: PathBuf,
    /// The agent's answer to the hello sent on connecting, read with the first answer
    /// (one round trip for a token, not two).
    hello: Option<p::Hello>,
}

impl Client {
    /// The agent clients of `data_dir` use, when one runs: `Ok(None)` means direct
    /// mode (none at the fixed path, or `TOKDECK_AGENT=off`); an agent named by
    /// `TOKDECK_AGENT_SOCK` that does not answer is an error.
    ///
    /// Where there is no config (a remote host reached by `tokdeck ssh`), a forwarded
    /// agent's socket in /tmp is used when `TOKDECK_AGENT_SOCK` is not set.
    pub fn find(paths: &crate::config::Paths) -> Result<Option<Self>, Failure> {
        match where_to_look(&paths.data_dir) {
            Where::Off => Ok(None),
            Where::Default(path) => match Self::connect(&path) {
                Ok(client) => Ok(Some(client)),
                Err(Reach::Absent(_)) if !paths.config_file.exists() => {
                    Ok(super::socket::forwarded_sockets()
                        .iter()
                        .find_map(|p| Self::connect(p).ok()))
                }
                Err(Reach::Absent(_)) => Ok(None),
                Err(Reach::Refused(failure)) => Err(failure),
            },
            Where::Named(path) => match super::socket::check_socket(&path)
                .map_err(|why| Reach::Absent(format!("not used: {why}")))
                .and_then(|()| Self::connect(&path))
            {
                Ok(client) => Ok(Some(client)),
                // A forwarded socket left behind: its ssh connection ended.
                Err(Reach::Absent(e))
                    if path
                        .to_string_lossy()
                        .starts_with(super::socket::REMOTE_PREFIX) =>
                {
                    Err(Failure::new(
                        Code::Failed,
                        format!(
                            "no tokdeck agent answers at {SOCK_ENV}='{}' ({e}): the `tokdeck ssh` connection that forwarded it has ended; connect again with `tokdeck ssh` from the machine where the agent runs",
                            path.display()
                        ),
                    ))
                }
                Err(Reach::Absent(e)) => Err(Failure::new(
                    Code::Failed,
                    format!(
                        "no tokdeck agent answers at {SOCK_ENV}='{}' ({e}): start one with `tokdeck agent`, or unset {SOCK_ENV}",
                        path.display()
                    ),
                )),
                Err(Reach::Refused(failure)) => Err(failure),
            },
        }
    }

    /// Connects and sends hello (its answer is read with the next one).
    pub fn connect(path: &Path) -> Result<Self, Reach> {
        let absent = |e: std::io::Error| Reach::Absent(e.to_string());
        let stream = UnixStream::connect(path).map_err(absent)?;
        let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
        let reader = BufReader::new(stream.try_clone().map_err(absent)?);
        let mut client = Self {
            stream,
            reader,
            path: path.to_path_buf(),
            hello: None,
        };
        client
            .send(&Request::Hello {
                v: p::VERSION,
                client: Some(format!("tokdeck {}", env!("CARGO_PKG_VERSION"))),
            })
            .map_err(Reach::Refused)?;
        Ok(client)
    }

    /// The agent's hello (read now if no answer was read yet).
    pub fn hello(&mut self) -> Result<&p::Hello, Failure> {
        if self.hello.is_none() {
            let line = self.read_line()?;
            self.hello = Some(p::read_answer(&line)?);
        }
        self.hello
            .as_ref()
            .ok_or_else(|| Failure::new(Code::Failed, "the agent said no hello"))
    }

    /// Sends `request` and reads its answer.
    pub fn call<T: for<'de> serde::Deserialize<'de>>(
        &mut self,
        request: &Request,
    ) -> Result<T, Failure> {
        self.send(request)?;
        self.hello()?;
        p::read_answer(&self.read_line()?)
    }

    fn lost(&self, e: std::io::Error) -> Failure {
        Failure::new(
            Code::Failed,
            format!("lost the tokdeck agent at '{}': {e}", self.path.display()),
        )
    }

    fn send(&mut self, request: &Request) -> Result<(), Failure> {
        let mut line = serde_json::to_string(request)
            .map_err(|e| Failure::new(Code::BadRequest, e.to_string()))?;
        line.push('\n');
        self.stream
            .write_all(line.as_bytes())
            .map_err(|e| self.lost(e))
    }

    fn read_line(&mut self) -> Result<String, Failure> {
        let mut answer = String::new();
        let read = (&mut self.reader)
            .take(p::MAX_LINE as u64 * 4)
            .read_line(&mut answer)
            .map_err(|e| self.lost(e))?;
        if read == 0 {
            return Err(self.lost(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "it closed the connection",
            )));
        }
        Ok(answer)
    }

    /// What the agent says it is (`tokdeck 0.1.0`), or why it could not say.
    pub fn agent(&mut self) -> String {
        match self.hello() {
            Ok(hello) => hello.agent.clone(),
            Err(e) => e.message,
        }
    }
}

/// Why an agent could not be used.
#[derive(Debug)]
pub enum Reach {
    /// Nothing listens there.
    Absent(String),
    /// It answered, and refused (another user's agent, another version).
    Refused(Failure),
}

use std::io::Read as _;
