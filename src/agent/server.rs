//! The running agent: a listener on the socket, a task per connection, and one state
//! (held tokens, approvals, requests waiting for a person) behind a mutex that is never
//! held across an await.

use super::audit::{self, Decision, Entry};
use super::caller::Caller;
use super::policy::{self, Approvals, Asking};
use super::protocol::{self as p, Answer, Code, Failure, Request, TokenAsk};
use crate::engine::{Engine, EngineError};
use crate::token::{Target, TokenSet};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::oneshot;

/// How often held tokens are renewed ahead of their expiry and idle records dropped.
const TICK: Duration = Duration::from_secs(15);

/// Makes the engine over the config as it is now (the agent makes a new one when the
/// config file changes).
pub type EngineMaker = Box<dyn Fn() -> Result<Engine, String> + Send + Sync>;

/// How the agent behaves, from `tokdeck agent`'s options.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long a request waits for a person's answer; then it is denied.
    pub ask_timeout: Duration,
    /// Records unused for this long are dropped from memory (read again when asked).
    pub forget_idle: Duration,
    /// Locks the agent after this long without a request.
    pub lock_after: Option<Duration>,
}

/// What the agent learns of its own files.
pub struct Place {
    pub socket: PathBuf,
    pub audit: PathBuf,
    pub config: PathBuf,
}

struct Held {
    tokens: TokenSet,
    person: Option<String>,
    used: Instant,
}

struct Waiter {
    info: p::Waiting,
    answer: oneshot::Sender<(Answer, String)>,
}

#[derive(Default)]
struct State {
    locked: bool,
    held: HashMap<(String, Option<Target>), Held>,
    approvals: Approvals,
    pending: BTreeMap<u64, Waiter>,
    next_id: u64,
}

struct Loaded {
    engine: Arc<Engine>,
    stamp: Option<std::time::SystemTime>,
}

struct Agent {
    place: Place,
    options: Options,
    uid: u32,
    started_at: DateTime<Utc>,
    maker: EngineMaker,
    loaded: Mutex<Option<Loaded>>,
    state: Mutex<State>,
    last_request: Mutex<Instant>,
    /// One fetch per account at a time: 16 callers wanting a refresh cause one.
    flights: tokio::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    stop: tokio::sync::Notify,
}

/// Serves on `listener` until `stop` or a signal; the socket file is removed on the way
/// out. `uid` is the agent's own (callers of another uid are refused).
pub async fn serve(
    listener: UnixListener,
    uid: u32,
    place: Place,
    options: Options,
    maker: EngineMaker,
) -> Result<(), String> {
    let agent = Arc::new(Agent {
        place,
        options,
        uid,
        started_at: Utc::now(),
        maker,
        loaded: Mutex::new(None),
        state: Mutex::new(State::default()),
        last_request: Mutex::new(Instant::now()),
        flights: tokio::sync::Mutex::new(HashMap::new()),
        stop: tokio::sync::Notify::new(),
    });
    agent.engine().map_err(|f| f.message)?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    // A closed terminal must not end an agent started from it.
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| e.to_string())?;
    let ticker = tokio::spawn(tick(agent.clone()));
    log::info!("agent: listening on {}", agent.place.socket.display());
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(connection(agent.clone(), stream, None));
                }
                Err(e) => log::warn!("agent: accept failed: {e}"),
            },
            () = agent.stop.notified() => break,
            _ = term.recv() => break,
            _ = hangup.recv() => log::info!("agent: hangup ignored"),
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    ticker.abort();
    let _ = std::fs::remove_file(&agent.place.socket);
    log::info!("agent: stopped");
    Ok(())
}

/// What a forwarded connection carries: the host, the forward's id, and the signal that
/// its ssh connection ended.
#[derive(Clone)]
struct Link {
    host: String,
    id: u64,
    ended: tokio::sync::watch::Receiver<bool>,
}

/// A forward opened on a connection: ended (listener and connections through it) when
/// that connection closes.
struct Forward {
    id: u64,
    socket: PathBuf,
    end: tokio::sync::watch::Sender<bool>,
    listener: tokio::task::JoinHandle<()>,
}

async fn connection(agent: Arc<Agent>, stream: UnixStream, link: Option<Link>) {
    let cred = stream.peer_cred();
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let Ok(cred) = cred else {
        let _ = write
            .write_all(answer_refused("the agent cannot tell who is asking").as_bytes())
            .await;
        return;
    };
    let pid = cred.pid().and_then(|p| u32::try_from(p).ok());
    let mut caller = Caller::of(cred.uid(), pid);
    caller.forwarded = link.as_ref().map(|l| l.host.clone());
    caller.link = link.as_ref().map(|l| l.id);
    if cred.uid() != agent.uid {
        agent.audit(Entry {
            reason: Some(format!(
                "uid {} is not the agent's ({})",
                cred.uid(),
                agent.uid
            )),
            ..agent.entry(&caller, "connect", None, Decision::Refused, "agent")
        });
        let message = format!(
            "this agent belongs to uid {}, and you are uid {}: start your own with `tokdeck agent`",
            agent.uid,
            cred.uid()
        );
        let _ = write
            .write_all(
                p::answer_line::<p::Done>(Err(Failure::new(Code::NotAllowed, message))).as_bytes(),
            )
            .await;
        return;
    }
    let mut ended = link.as_ref().map(|l| l.ended.clone());
    let mut forwards: Vec<Forward> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = async {
            (&mut reader)
                .take(p::MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut line)
                .await
        };
        let read = match &mut ended {
            // Through a forward: ends when its ssh connection does.
            Some(ended) => tokio::select! {
                read = read => read,
                _ = ended.wait_for(|e| *e) => break,
            },
            None => read.await,
        };
        match read {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.len() > p::MAX_LINE && line.last() != Some(&b'\n') {
            let failure = Failure::new(
                Code::BadRequest,
                format!("a request line is at most {} bytes", p::MAX_LINE),
            );
            let _ = write
                .write_all(p::answer_line::<p::Done>(Err(failure)).as_bytes())
                .await;
            break;
        }
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        let answer = match p::read_request(&text) {
            Ok(Request::Forward { host }) if caller.forwarded.is_none() => {
                p::answer_line(agent.clone().forward(&caller, &host).map(|forward| {
                    let answer = p::Forwarding {
                        id: forward.id,
                        socket: forward.socket.clone(),
                    };
                    forwards.push(forward);
                    answer
                }))
            }
            Ok(request) => agent.answer(&mut caller, request).await,
            Err(failure) => {
                agent.audit(Entry {
                    reason: Some(failure.message.clone()),
                    ..agent.entry(&caller, "unknown", None, Decision::Refused, "agent")
                });
                p::answer_line::<p::Done>(Err(failure))
            }
        };
        if write.write_all(answer.as_bytes()).await.is_err() {
            break;
        }
    }
    for forward in forwards {
        agent.end_forward(forward);
    }
}

fn answer_refused(message: &str) -> String {
    p::answer_line::<p::Done>(Err(Failure::new(Code::NotAllowed, message)))
}

/// Renews held tokens before they expire, forgets idle ones, locks after `lock_after`,
/// and revokes grants nobody used for their account's `forget_after`.
async fn tick(agent: Arc<Agent>) {
    let mut interval = tokio::time::interval(TICK);
    loop {
        interval.tick().await;
        agent.forget_unused().await;
        let idle = agent.idle();
        if agent.options.lock_after.is_some_and(|after| idle >= after) && !agent.locked() {
            log::info!("agent: locked after {} s without a request", idle.as_secs());
            agent.lock();
            continue;
        }
        let due: Vec<(String, Option<Target>)> = {
            let Ok(mut state) = agent.state.lock() else {
                return;
            };
            let forget = agent.options.forget_idle;
            state.held.retain(|_, h| h.used.elapsed() < forget);
            let now = Utc::now();
            state
                .held
                .iter()
                .filter(|(_, h)| !h.tokens.fresh_enough(now, Duration::ZERO))
                .map(|(k, _)| k.clone())
                .collect()
        };
        for (account, target) in due {
            if let Err(e) = agent
                .fetch(&account, target.as_ref(), Duration::ZERO, true)
                .await
            {
                log::warn!("agent: renewing '{account}': {}", e.message);
            }
        }
    }
}

impl Agent {
    /// `forget_after`: an account whose grant nobody used for that long (no token handed
    /// out by the agent, no token issued to any tokdeck) is logged out: its refresh
    /// token revoked, its tokens deleted; said in the log and the audit.
    async fn forget_unused(&self) {
        let Ok(engine) = self.engine() else {
            return;
        };
        let due: Vec<(String, Duration)> = engine
            .config()
            .accounts
            .values()
            .filter_map(|a| a.agent.forget_after.map(|after| (a.name.clone(), after)))
            .collect();
        if due.is_empty() || self.locked() {
            return;
        }
        let entries = audit::read(&self.place.audit)
            .map(|(e, _)| e)
            .unwrap_or_default();
        let now = Utc::now();
        for (name, after) in due {
            let Ok(Some(record)) = engine.load(&name).await else {
                continue;
            };
            let handed_out = entries
                .iter()
                .filter(|e| {
                    e.account.as_deref() == Some(name.as_str()) && e.decision == Decision::Granted
                })
                .map(|e| e.at)
                .max();
            let used = handed_out.map_or(record.tokens.issued_at, |at| {
                at.max(record.tokens.issued_at)
            });
            let unused = (now - used).to_std().unwrap_or_default();
            if unused < after {
                continue;
            }
            let options = crate::engine::LogoutOptions {
                local: false,
                end_session: false,
            };
            let reason = format!(
                "unused for {} (forget_after {})",
                crate::humanize::duration(now - used),
                crate::humanize::duration(chrono::Duration::from_std(after).unwrap_or_default())
            );
            let (decision, said) = match engine.logout(&name, options).await {
                Ok(_) => (Decision::Granted, format!("revoked and deleted: {reason}")),
                Err(e) => (
                    Decision::Refused,
                    format!("could not forget it ({e}): {reason}"),
                ),
            };
            log::info!("agent: '{name}': {said}");
            if let Ok(mut state) = self.state.lock() {
                state.held.retain(|(account, _), _| *account != name);
            }
            self.audit(Entry {
                reason: Some(said),
                class: "the agent itself (forget_after)".into(),
                ..self.entry(&Caller::default(), "forget", Some(&name), decision, "agent")
            });
        }
    }

    /// Opens a listener for one ssh connection to `host` (see [`Request::Forward`]).
    fn forward(self: Arc<Self>, caller: &Caller, host: &str) -> Result<Forward, Failure> {
        self.person(caller, "forward the agent to another host")?;
        self.refuse_locked()?;
        let host: String = host.chars().take(255).collect();
        if host.is_empty() || host.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Failure::new(
                Code::BadRequest,
                "forward: a host name without spaces",
            ));
        }
        let random = ring::rand::generate::<[u8; 8]>(&ring::rand::SystemRandom::new())
            .map_err(|_| Failure::new(Code::Failed, "no randomness for the forward's name"))?
            .expose();
        let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let dir = self
            .place
            .socket
            .parent()
            .unwrap_or(std::path::Path::new("."));
        let socket = dir.join(format!("forward-{name}.sock"));
        let failed = |e: std::io::Error| {
            Failure::new(
                Code::Failed,
                format!("cannot listen at '{}': {e}", socket.display()),
            )
        };
        let listener = UnixListener::bind(&socket).map_err(failed)?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))
                .map_err(failed)?;
        }
        let id = {
            let mut state = self.state.lock().map_err(|_| {
                Failure::new(Code::Failed, "the agent's state is broken; restart it")
            })?;
            state.next_id += 1;
            state.next_id
        };
        let (end, ended) = tokio::sync::watch::channel(false);
        let link = Link {
            host: host.clone(),
            id,
            ended,
        };
        let agent = self.clone();
        let task = tokio::spawn(async move {
            loop {
                if let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(connection(agent.clone(), stream, Some(link.clone())));
                }
            }
        });
        log::info!(
            "agent: forward {id} to '{host}' at {} for {}",
            socket.display(),
            caller.summary()
        );
        Ok(Forward {
            id,
            socket,
            end,
            listener: task,
        })
    }

    /// The ssh connection of a forward ended: its listener goes, every connection
    /// through it ends, its approvals are dropped.
    fn end_forward(&self, forward: Forward) {
        let _ = forward.end.send(true);
        forward.listener.abort();
        let _ = std::fs::remove_file(&forward.socket);
        if let Ok(mut state) = self.state.lock() {
            state.approvals.end_link(forward.id);
        }
        log::info!("agent: forward {} ended", forward.id);
    }

    fn idle(&self) -> Duration {
        self.last_request
            .lock()
            .map(|at| at.elapsed())
            .unwrap_or_default()
    }

    fn locked(&self) -> bool {
        self.state.lock().map(|s| s.locked).unwrap_or(true)
    }

    /// Drops every record and approval from memory; waiting requests are refused.
    fn lock(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.locked = true;
            state.held.clear();
            state.approvals.clear();
            // Dropping the senders refuses the waiting requests (as locked).
            state.pending.clear();
        }
    }

    /// The engine over the config as it is now: made again when the file changed.
    fn engine(&self) -> Result<Arc<Engine>, Failure> {
        let stamp = std::fs::metadata(&self.place.config)
            .and_then(|m| m.modified())
            .ok();
        let mut loaded = self
            .loaded
            .lock()
            .map_err(|_| Failure::new(Code::Failed, "the agent's state is broken; restart it"))?;
        if let Some(l) = loaded.as_ref()
            && l.stamp == stamp
        {
            return Ok(l.engine.clone());
        }
        let engine = Arc::new((self.maker)().map_err(|m| Failure::new(Code::Failed, m))?);
        if loaded.is_some() {
            log::info!("agent: the config changed; read again");
            if let Ok(mut state) = self.state.lock() {
                state.held.clear();
            }
        }
        *loaded = Some(Loaded {
            engine: engine.clone(),
            stamp,
        });
        Ok(engine)
    }

    fn entry(
        &self,
        caller: &Caller,
        op: &str,
        account: Option<&str>,
        decision: Decision,
        decided_by: &str,
    ) -> Entry {
        Entry {
            at: Utc::now(),
            decision,
            decided_by: decided_by.into(),
            op: op.into(),
            account: account.map(str::to_string),
            resource: None,
            scope: None,
            token_sha256: None,
            reason: None,
            class: caller.class().label(),
            caller: caller.clone(),
        }
    }

    fn audit(&self, entry: Entry) {
        if let Err(e) = audit::append(&self.place.audit, &entry) {
            log::error!(
                "agent: cannot append to {}: {e}",
                self.place.audit.display()
            );
        }
    }

    async fn answer(&self, caller: &mut Caller, request: Request) -> String {
        if let Ok(mut at) = self.last_request.lock() {
            *at = Instant::now();
        }
        let op = serde_json::to_value(&request)
            .ok()
            .and_then(|v| v.get("op").and_then(|o| o.as_str()).map(str::to_string))
            .unwrap_or_default();
        if let Some(host) = &caller.forwarded
            && !p::FORWARDED_OPERATIONS.contains(&op.as_str())
        {
            let failure = Failure::new(
                Code::NotAllowed,
                format!(
                    "'{op}' is not answered over the connection forwarded to {host}: it answers {} only",
                    p::FORWARDED_OPERATIONS.join(", ")
                ),
            );
            self.audit(Entry {
                reason: Some(failure.message.clone()),
                ..self.entry(caller, &op, None, Decision::Refused, "agent")
            });
            return p::answer_line::<p::Done>(Err(failure));
        }
        match request {
            Request::Hello { v, client } => {
                caller.client = client.map(|c| c.chars().take(100).collect());
                p::answer_line(self.hello(v).map(|mut hello| {
                    hello.forwarded_to = caller.forwarded.clone();
                    hello
                }))
            }
            Request::Forward { .. } => p::answer_line::<p::Done>(Err(Failure::new(
                Code::NotAllowed,
                "a forwarded connection cannot forward again",
            ))),
            Request::Status => p::answer_line(Ok(self.status())),
            Request::List => p::answer_line(self.list(caller).await),
            Request::Token { ask } => p::answer_line(self.token(caller, ask).await),
            Request::DpopProof {
                account,
                method,
                url,
                ath,
            } => p::answer_line(self.proof(caller, &account, &method, &url, &ath)),
            Request::Lock => {
                self.lock();
                log::info!("agent: locked by {}", caller.summary());
                p::answer_line(Ok(p::Done {}))
            }
            Request::Unlock => p::answer_line(self.person(caller, "unlock the agent").map(|()| {
                if let Ok(mut state) = self.state.lock() {
                    state.locked = false;
                }
                log::info!("agent: unlocked by {}", caller.summary());
                p::Done {}
            })),
            Request::Pending => p::answer_line(self.pending(caller)),
            Request::Decide { id, answer } => p::answer_line(self.decide(caller, id, answer)),
            Request::Stop => p::answer_line(self.person(caller, "stop the agent").map(|()| {
                self.stop.notify_one();
                p::Done {}
            })),
        }
    }

    fn hello(&self, v: u32) -> Result<p::Hello, Failure> {
        if v != p::VERSION {
            return Err(Failure::new(
                Code::Version,
                format!(
                    "this agent speaks protocol version {}, the client {v}: use the same tokdeck for both (restart the agent after an upgrade)",
                    p::VERSION
                ),
            ));
        }
        Ok(p::Hello {
            v: p::VERSION,
            agent: format!("tokdeck {}", env!("CARGO_PKG_VERSION")),
            ops: p::OPERATIONS.iter().map(|o| (*o).to_string()).collect(),
            locked: self.locked(),
            forwarded_to: None,
        })
    }

    fn status(&self) -> p::Status {
        let (locked, held, pending, approvals) = self
            .state
            .lock()
            .map(|s| (s.locked, s.held.len(), s.pending.len(), s.approvals.len()))
            .unwrap_or((true, 0, 0, 0));
        p::Status {
            locked,
            pid: std::process::id(),
            socket: self.place.socket.clone(),
            started_at: self.started_at,
            held,
            pending,
            approvals,
        }
    }

    fn refuse_locked(&self) -> Result<(), Failure> {
        if self.locked() {
            return Err(Failure::new(
                Code::Locked,
                "the tokdeck agent is locked: the person at this machine must run `tokdeck agent unlock` in a terminal, then try again",
            ));
        }
        Ok(())
    }

    /// Only a person's own process may answer requests, unlock or stop the agent: a
    /// coding agent or a container must not approve itself.
    fn person(&self, caller: &Caller, what: &str) -> Result<(), Failure> {
        let class = caller.class();
        if class.is_the_person() {
            return Ok(());
        }
        Err(Failure::new(
            Code::NotAllowed,
            format!(
                "only the person at this machine may {what}, not {}; ask them to run it in a terminal of their own",
                class.label()
            ),
        ))
    }

    async fn list(&self, caller: &Caller) -> Result<p::List, Failure> {
        self.refuse_locked()?;
        let engine = self.engine()?;
        // Over a forward: the forwardable accounts only.
        let names: Vec<String> = engine
            .config()
            .accounts
            .values()
            .filter(|a| caller.forwarded.is_none() || a.agent.forwardable)
            .map(|a| a.name.clone())
            .collect();
        let now = Utc::now();
        let accounts = engine
            .load_many(names)
            .await
            .into_iter()
            .map(|(name, record)| {
                let account = engine.account(&name).ok();
                let (state, expires_at, person) = match (&record, account) {
                    (Ok(Some(r)), Some(a)) => (
                        crate::engine::TokenState::judge(
                            Some(&r.tokens),
                            r.login_needed.is_some(),
                            a.renewal(),
                            now,
                        )
                        .key()
                        .to_string(),
                        r.tokens.promised_expiry(),
                        r.identity.as_ref().map(|i| i.who().into_owned()),
                    ),
                    (Ok(None), _) => ("no_token".to_string(), None, None),
                    _ => ("error".to_string(), None, None),
                };
                p::Listed {
                    provider: account.map(|a| a.provider.name.clone()),
                    issuer: account.and_then(|a| a.provider.endpoints.issuer.clone()),
                    name,
                    person,
                    state,
                    expires_at,
                }
            })
            .collect();
        Ok(p::List { accounts })
    }

    async fn token(&self, caller: &Caller, ask: TokenAsk) -> Result<p::Token, Failure> {
        let mut entry = self.entry(
            caller,
            "token",
            ask.account.as_deref(),
            Decision::Refused,
            "agent",
        );
        entry.resource = ask.resource.clone();
        entry.scope = ask.scope.clone();
        let result = self.token_for(caller, &ask, &mut entry).await;
        match &result {
            Ok(token) => {
                entry.decision = Decision::Granted;
                entry.account = Some(token.account.clone());
                entry.token_sha256 = Some(audit::token_hash(&token.token));
            }
            Err(failure) => {
                entry.decision = match failure.code {
                    Code::Denied => Decision::Denied,
                    Code::TimedOut => Decision::TimedOut,
                    _ => Decision::Refused,
                };
                entry.reason = Some(failure.message.clone());
            }
        }
        self.audit(entry);
        result
    }

    async fn token_for(
        &self,
        caller: &Caller,
        ask: &TokenAsk,
        entry: &mut Entry,
    ) -> Result<p::Token, Failure> {
        self.refuse_locked()?;
        let engine = self.engine()?;
        // The kernel's working directory where it could be read; else what the caller says.
        // Over a forward the directory is the remote one: it chooses nothing here.
        let cwd: Vec<PathBuf> = match &caller.forwarded {
            Some(_) => Vec::new(),
            None => caller
                .cwd
                .clone()
                .or_else(|| ask.cwd.clone())
                .into_iter()
                .collect(),
        };
        let config = engine.config();
        let unclaimed = |url: &str| {
            Failure::new(
                Code::Unclaimed,
                format!("no account claims {url} in its `urls`"),
            )
        };
        let name = match &ask.tool {
            Some(p::ForTool::Git { url, has_path }) => {
                crate::tools::git::account_for(config, url, *has_path)
                    .map_err(|m| Failure::new(Code::Account, m))?
                    .ok_or_else(|| unclaimed(url))?
                    .to_string()
            }
            Some(p::ForTool::Docker { server }) => {
                crate::tools::docker::account_for(config, server)
                    .ok_or_else(|| unclaimed(server))?
                    .to_string()
            }
            None => {
                crate::config::choose(
                    config,
                    ask.account.as_deref(),
                    ask.account_env.as_deref(),
                    &cwd,
                )
                .map_err(|e| Failure::new(Code::Account, e.to_string()))?
                .name
            }
        };
        entry.account = Some(name.clone());
        let account = engine
            .account(&name)
            .map_err(|e| Failure::new(Code::Account, e.to_string()))?;
        if let Some(host) = &caller.forwarded
            && !account.agent.forwardable
        {
            return Err(Failure::new(
                Code::Policy,
                format!(
                    "account '{name}' is not forwardable to {host}: on the machine where the agent runs, set `forwardable = true` in [accounts.{name}.agent] to allow it"
                ),
            ));
        }
        if let Some(resource) = &ask.resource {
            crate::config::check_resource(resource).map_err(|m| {
                Failure::new(Code::BadRequest, format!("resource '{resource}' {m}"))
            })?;
        }
        let target = Target::new(ask.resource.as_deref(), ask.scope.as_deref());
        if let Some(why) = policy::refuses(
            &name,
            &account.agent,
            &account.scopes,
            target.as_ref(),
            ask.id_token,
        ) {
            return Err(Failure::new(Code::Policy, why));
        }
        let class = caller.class();
        entry.decided_by = match policy::asking(&account.agent, &class) {
            Asking::Never => "policy".into(),
            Asking::Unless
                if self
                    .state
                    .lock()
                    .is_ok_and(|s| s.approvals.covers(&name, caller, Utc::now())) =>
            {
                "approval".into()
            }
            Asking::Unless | Asking::Every => self.ask_person(caller, &name, ask).await?,
        };
        let min_valid = Duration::from_secs(ask.min_valid.unwrap_or(0));
        let (tokens, person, warnings) = if ask.id_token {
            let tokens = engine
                .fresh_id_token(&name, min_valid)
                .await
                .map_err(failure_of)?;
            (tokens, None, Vec::new())
        } else {
            self.fetch(&name, target.as_ref(), min_valid, false).await?
        };
        let (token, issued_at, expires_at) = match (&tokens.id_token, ask.id_token) {
            (Some(id), true) => {
                let lifetime = tokens.id_token_lifetime();
                (
                    id.expose().to_string(),
                    lifetime.map_or(tokens.issued_at, |l| l.issued_at),
                    lifetime.and_then(|l| l.expires_at),
                )
            }
            (None, true) => {
                return Err(Failure::new(
                    Code::NeedsLogin,
                    format!(
                        "account '{name}' holds no ID token (ask for the `openid` scope); a person must run `tokdeck login {name}`"
                    ),
                ));
            }
            (_, false) => (
                tokens.access_token.expose().to_string(),
                tokens.issued_at,
                tokens.expires_at,
            ),
        };
        Ok(p::Token {
            provider: account.provider.name.clone(),
            token,
            token_type: tokens.token_type.clone(),
            issued_at,
            expires_at,
            scopes: tokens.scopes.clone(),
            dpop: tokens.is_dpop() && !ask.id_token,
            env: account.env.clone(),
            person,
            warnings,
            username: ask
                .tool
                .as_ref()
                .map(|_| crate::tools::git::username(account)),
            account: name,
        })
    }

    /// The account's tokens for `target`, valid for `min_valid`: held ones when they
    /// are, else from the engine (which refreshes under the cross-process lock), one
    /// fetch per account at a time.
    async fn fetch(
        &self,
        name: &str,
        target: Option<&Target>,
        min_valid: Duration,
        renewing: bool,
    ) -> Result<(TokenSet, Option<String>, Vec<String>), Failure> {
        let key = (name.to_string(), target.cloned());
        let held = |state: &mut State| {
            let now = Utc::now();
            state.held.get_mut(&key).and_then(|h| {
                let fine = if renewing {
                    h.tokens.fresh_enough(now, Duration::ZERO)
                } else {
                    h.tokens.fresh_enough(now, min_valid)
                };
                fine.then(|| {
                    h.used = if renewing { h.used } else { Instant::now() };
                    (h.tokens.clone(), h.person.clone(), Vec::new())
                })
            })
        };
        if let Some(found) = self.state.lock().ok().as_deref_mut().and_then(held) {
            return Ok(found);
        }
        let flight = {
            let mut flights = self.flights.lock().await;
            flights.entry(name.to_string()).or_default().clone()
        };
        let _turn = flight.lock().await;
        if let Some(found) = self.state.lock().ok().as_deref_mut().and_then(held) {
            return Ok(found);
        }
        let engine = self.engine()?;
        let fresh = engine
            .fresh_for(name, target, min_valid)
            .await
            .map_err(failure_of)?;
        let person = match engine.load(name).await {
            Ok(Some(record)) => record.identity.map(|i| i.who().into_owned()),
            _ => None,
        };
        let mut warnings: Vec<String> = fresh.warning.into_iter().collect();
        warnings.extend(engine.take_store_warnings());
        if let Ok(mut state) = self.state.lock()
            && !state.locked
        {
            let used = state
                .held
                .get(&key)
                .filter(|_| renewing)
                .map_or_else(Instant::now, |h| h.used);
            state.held.insert(
                key,
                Held {
                    tokens: fresh.tokens.clone(),
                    person: person.clone(),
                    used,
                },
            );
        }
        Ok((fresh.tokens, person, warnings))
    }

    /// Waits for a person's answer (`tokdeck approve`, the dashboard) up to the timeout.
    async fn ask_person(
        &self,
        caller: &Caller,
        name: &str,
        ask: &TokenAsk,
    ) -> Result<String, Failure> {
        let (send, answer) = oneshot::channel();
        let now = Utc::now();
        let timeout = self.options.ask_timeout;
        let id = {
            let mut state = self.state.lock().map_err(|_| {
                Failure::new(Code::Failed, "the agent's state is broken; restart it")
            })?;
            state.next_id += 1;
            let id = state.next_id;
            let info = p::Waiting {
                id,
                account: name.to_string(),
                resource: ask.resource.clone(),
                scope: ask.scope.clone(),
                id_token: ask.id_token,
                caller: caller.summary(),
                facts: caller.facts(),
                asked_at: now,
                expires_at: now
                    + chrono::Duration::from_std(timeout).unwrap_or(chrono::Duration::MAX),
            };
            state.pending.insert(id, Waiter { info, answer: send });
            id
        };
        log::info!(
            "agent: request {id} for '{name}' waits for a person: {}",
            caller.summary()
        );
        let how_to_answer = "the person at this machine must allow it: ask them to run `tokdeck approve` in a terminal (or to answer in the tokdeck dashboard), then run this command again";
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok((answer, who))) if answer.allows() => {
                if let Ok(mut state) = self.state.lock()
                    && let Some(kept) = state.approvals.keep(answer, name, caller, Utc::now())
                {
                    log::info!("agent: '{name}' approved for {kept}");
                }
                Ok(format!("person ({who}, {})", answer.key()))
            }
            Ok(Ok((_, who))) => Err(Failure::new(
                Code::Denied,
                format!(
                    "the person at this machine denied this request for a token of '{name}' ({who}); do not retry it, ask them"
                ),
            )),
            Ok(Err(_)) => Err(Failure::new(
                Code::Locked,
                "the tokdeck agent was locked while this request waited: the person at this machine must run `tokdeck agent unlock`, then try again",
            )),
            Err(_) => {
                if let Ok(mut state) = self.state.lock() {
                    state.pending.remove(&id);
                }
                Err(Failure::new(
                    Code::TimedOut,
                    format!(
                        "nobody answered this request for a token of '{name}' within {} s; {how_to_answer}",
                        timeout.as_secs()
                    ),
                ))
            }
        }
    }

    fn pending(&self, caller: &Caller) -> Result<p::Pending, Failure> {
        self.person(caller, "see or answer waiting requests")?;
        let state = self
            .state
            .lock()
            .map_err(|_| Failure::new(Code::Failed, "the agent's state is broken; restart it"))?;
        Ok(p::Pending {
            requests: state.pending.values().map(|w| w.info.clone()).collect(),
        })
    }

    fn decide(&self, caller: &Caller, id: u64, answer: Answer) -> Result<p::Done, Failure> {
        self.person(caller, "answer a waiting request")?;
        let waiter = self
            .state
            .lock()
            .ok()
            .and_then(|mut s| s.pending.remove(&id))
            .ok_or_else(|| {
                Failure::new(
                    Code::BadRequest,
                    format!("no request {id} waits (answered, timed out, or never made); `tokdeck approve` lists the waiting ones"),
                )
            })?;
        let who = match (&caller.exe, caller.pid) {
            (Some(exe), Some(pid)) => format!(
                "{} pid {pid}",
                exe.file_name().map_or_else(
                    || exe.display().to_string(),
                    |n| n.to_string_lossy().into_owned()
                )
            ),
            _ => "a person".into(),
        };
        log::info!("agent: request {id} answered {} by {who}", answer.key());
        // The asker may have gone (its connection closed): nothing to tell then.
        let _ = waiter.answer.send((answer, who));
        Ok(p::Done {})
    }

    fn proof(
        &self,
        caller: &Caller,
        account: &str,
        method: &str,
        url: &str,
        ath: &str,
    ) -> Result<p::Proof, Failure> {
        self.refuse_locked()?;
        let tokens = self
            .state
            .lock()
            .ok()
            .and_then(|s| {
                s.held
                    .iter()
                    .find(|((name, _), h)| {
                        name == account
                            && crate::oauth::dpop::ath(h.tokens.access_token.expose()) == ath
                    })
                    .map(|(_, h)| h.tokens.clone())
            })
            .ok_or_else(|| {
                Failure::new(
                    Code::Policy,
                    format!("the agent signs proofs only for a token of '{account}' it handed out and still holds; ask for the token again (`tokdeck header {account} --url URL`)"),
                )
            })?;
        let key = tokens.dpop_key.as_ref().ok_or_else(|| {
            Failure::new(
                Code::Policy,
                format!("the token of '{account}' is not DPoP-bound"),
            )
        })?;
        let dpop = crate::oauth::dpop::Dpop::from_stored(key)
            .map_err(|m| Failure::new(Code::Failed, format!("'{account}': {m}")))?;
        let proof = dpop
            .proof(
                &method.to_ascii_uppercase(),
                url,
                Some(tokens.access_token.expose()),
            )
            .map_err(|m| Failure::new(Code::BadRequest, m))?;
        self.audit(Entry {
            reason: Some(format!("{} {}", method.to_ascii_uppercase(), url)),
            ..self.entry(
                caller,
                "dpop_proof",
                Some(account),
                Decision::Granted,
                "policy",
            )
        });
        Ok(p::Proof { proof })
    }
}

/// An engine error as the agent's refusal: only a login helps, or something failed.
fn failure_of(e: EngineError) -> Failure {
    match e {
        EngineError::NeedsLogin { .. } | EngineError::Rebound { .. } => Failure::new(
            Code::NeedsLogin,
            format!("{e} (in a terminal: the agent never starts a login)"),
        ),
        EngineError::Config(_) => Failure::new(Code::Account, e.to_string()),
        other => Failure::new(Code::Failed, other.to_string()),
    }
}
