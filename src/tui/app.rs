//! The run loop only: draw, wait for the next message, update, execute the commands.
//! Background work runs as tokio tasks that report back through the one channel.

use super::event::{Command, ConfigWrite, Failure, LoginProgress, Msg, Outcome, Reloaded};
use super::model::Model;
use super::update::update;
use super::view;
use crate::clipboard::Clipboard;
use crate::config::Paths;
use crate::engine::{Engine, EngineError, LoginObserver};
use crate::oauth::device::DeviceAuthorization;
use crate::secret::Secret;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

/// The clock the countdowns follow.
const TICK: Duration = Duration::from_secs(1);

/// What tells a changed file: modification time and size.
type FileStamp = Option<(std::time::SystemTime, u64)>;

fn file_stamp(path: &std::path::Path) -> FileStamp {
    std::fs::metadata(path)
        .ok()
        .and_then(|m| Some((m.modified().ok()?, m.len())))
}

pub(super) struct Runtime {
    engine: Option<Arc<Engine>>,
    /// The config file as it was when last loaded.
    config_stamp: FileStamp,
    /// The store's change marker as it was when last looked at.
    store_stamp: FileStamp,
    paths: Paths,
    tx: UnboundedSender<Msg>,
    login: Option<JoinHandle<()>>,
    clipboard: Clipboard,
    clear_at: Option<(Instant, Secret)>,
}

pub async fn run(
    engine: Option<Arc<Engine>>,
    paths: Paths,
    mut model: Model,
) -> std::io::Result<()> {
    // try_init: a terminal that cannot be set up is an error to report, not a panic.
    let mut terminal = ratatui::try_init()?;
    let restore_paste = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), DisableBracketedPaste);
        restore_paste(info);
    }));
    crossterm::execute!(std::io::stdout(), EnableBracketedPaste)?;

    let (tx, mut rx) = unbounded_channel();
    super::input::spawn(tx.clone());
    spawn_ticks(tx.clone());
    super::agent_link::spawn_watch(tx.clone(), paths.clone());
    let mut runtime = Runtime {
        config_stamp: file_stamp(&paths.config_file),
        store_stamp: file_stamp(&paths.data_dir.join(crate::store::CHANGED_FILE)),
        engine,
        paths,
        tx,
        login: None,
        clipboard: Clipboard::new(),
        clear_at: None,
    };
    runtime.execute(Command::LoadAll, terminal.backend_mut());

    spawn_hangup(runtime.tx.clone());
    // Drawing stops when the terminal is gone; the loop goes on until the refreshes in
    // flight are saved (a refresh token they carry would otherwise be lost).
    let mut drawing = true;
    let result = loop {
        drawing &= !model.terminal_gone;
        if drawing && terminal.draw(|frame| view::draw(frame, &model)).is_err() {
            drawing = false;
            let _ = runtime.tx.send(Msg::TerminalGone);
        }
        let drawn_at = Instant::now();
        let Some(msg) = rx.recv().await else {
            break Ok(());
        };
        let mut commands = update(&mut model, msg);
        // Apply whatever else arrives within a frame of the last drawing before drawing
        // again: a burst of outcomes (every account's tokens read at start: a thousand
        // of them) costs a few frames, not one each.
        loop {
            if let Ok(msg) = rx.try_recv() {
                commands.extend(update(&mut model, msg));
                continue;
            }
            let left = FRAME.saturating_sub(drawn_at.elapsed());
            if left.is_zero() || model.quit {
                break;
            }
            match tokio::time::timeout(left, rx.recv()).await {
                Ok(Some(msg)) => commands.extend(update(&mut model, msg)),
                _ => break,
            }
        }
        for command in commands {
            runtime.execute(command, terminal.backend_mut());
        }
        runtime.clear_clipboard_when_due(terminal.backend_mut());
        if model.quit {
            break Ok(());
        }
    };
    if let Some(login) = runtime.login.take() {
        login.abort();
    }
    if drawing && !model.terminal_gone {
        let _ = crossterm::execute!(std::io::stdout(), DisableBracketedPaste);
        // Not `ratatui::restore`, which prints a failure with `eprintln!`.
        let _ = ratatui::try_restore();
    } else {
        // Nothing to restore. ratatui's `Terminal` would print its failure to show the
        // cursor when dropped, and with the terminal gone that print panics and aborts.
        std::mem::forget(terminal);
    }
    result
}

/// SIGHUP (the terminal closed) is [`Msg::TerminalGone`], not the end of the process.
fn spawn_hangup(tx: UnboundedSender<Msg>) {
    #[cfg(unix)]
    if let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                if tx.send(Msg::TerminalGone).is_err() {
                    break;
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = tx;
}

/// The shortest time between two drawings while messages keep coming.
const FRAME: std::time::Duration = std::time::Duration::from_millis(16);

fn spawn_ticks(tx: UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            interval.tick().await;
            if tx.send(Msg::Tick(chrono::Utc::now())).is_err() {
                break;
            }
        }
    });
}

pub(super) fn failure(error: EngineError) -> Failure {
    Failure {
        needs_login: matches!(
            error,
            EngineError::NeedsLogin { .. } | EngineError::Rebound { .. }
        ),
        other_person: matches!(error, EngineError::OtherPerson(_)),
        message: error.to_string(),
    }
}

/// Reports login progress into the channel.
struct Observer {
    tx: UnboundedSender<Msg>,
    account: String,
}

impl Observer {
    fn send(&self, progress: LoginProgress) {
        let _ = self.tx.send(Msg::Done(Outcome::Login {
            account: self.account.clone(),
            progress,
        }));
    }
}

impl LoginObserver for Observer {
    fn device_code(&self, auth: &DeviceAuthorization) {
        self.send(LoginProgress::Device {
            user_code: auth.user_code.clone(),
            verification_uri: auth.verification_uri.clone(),
            complete: auth.verification_uri_complete.clone(),
            expires_in: auth.expires_in,
        });
    }

    fn browser_url(&self, url: &str) {
        self.send(LoginProgress::Browser {
            url: url.to_string(),
        });
    }

    fn note(&self, text: &str) {
        self.send(LoginProgress::Note(text.to_string()));
    }
}

impl Runtime {
    pub(super) fn engine(&self) -> Option<Arc<Engine>> {
        self.engine.clone()
    }

    pub(super) fn sender(&self) -> UnboundedSender<Msg> {
        self.tx.clone()
    }

    pub(super) fn paths(&self) -> &Paths {
        &self.paths
    }

    fn execute(&mut self, command: Command, terminal: &mut impl std::io::Write) {
        let tx = self.tx.clone();
        let done = move |outcome| {
            let _ = tx.send(Msg::Done(outcome));
        };
        match command {
            Command::AnswerAgent { id, answer } => {
                super::agent_link::answer(self.tx.clone(), self.paths.clone(), id, answer);
            }
            Command::Copy {
                what,
                text,
                clear_after,
            } => {
                let result = self.clipboard.copy(&text, terminal).map(str::to_string);
                // Only a clipboard that can be read back is cleared later (see
                // `Clipboard::clear_if_unchanged`).
                if result.as_deref() == Ok(crate::clipboard::VIA_SYSTEM) {
                    self.clear_at = clear_after.map(|d| (Instant::now() + d, text));
                }
                done(Outcome::Copied { what, result });
            }
            Command::OpenBrowser(url) => {
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = crate::browser::open(&url) {
                        done(Outcome::BrowserFailed(e));
                    }
                });
            }
            Command::CancelLogin => {
                if let Some(task) = self.login.take() {
                    task.abort();
                }
            }
            Command::CheckConfig => {
                if let Some(result) = self.reload_if_changed() {
                    done(Outcome::ConfigChanged(result));
                } else if self.store_changed() {
                    // Another process (or this one) saved or deleted tokens: read
                    // every row again, so nothing stale is shown or copied.
                    self.execute(Command::LoadAll, terminal);
                }
            }
            Command::LoadAll
            | Command::CopyStored { .. }
            | Command::Refresh { .. }
            | Command::RefreshApi { .. }
            | Command::Logout(_)
            | Command::Verify { .. }
            | Command::VerifyPasted { .. }
            | Command::SignDraft { .. }
            | Command::Introspect(_)
            | Command::Userinfo(_)
            | Command::LogoutThenWrite { .. } => super::effects::run(self, command),
            Command::ReadConfig(purpose) => {
                let result = match std::fs::read_to_string(&self.paths.config_file) {
                    Ok(text) => Ok(Some(text.into())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(format!("'{}': {e}", self.paths.config_file.display())),
                };
                done(Outcome::ConfigRead { purpose, result });
            }
            Command::FindApi(ask) => super::registering::find(self, ask),
            Command::RegisterThenWrite { registering, write } => {
                super::registering::register_then_write(self, *registering, write)
            }
            Command::Unregister {
                provider,
                registration,
            } => super::registering::unregister(self, provider, registration),
            Command::UnregisterThenWrite { provider, write } => {
                super::registering::unregister_then_write(self, provider, write)
            }
            Command::SaveConfig(write) => {
                let result = self.save_config(&write);
                done(Outcome::ConfigSaved { write, result });
            }
            Command::Login {
                account,
                replace_user,
            } => self.login(account, replace_user),
        }
    }

    /// Starts a login in the background (one at a time: a new one ends the last).
    fn login(&mut self, account: String, replace_user: bool) {
        let Some(engine) = self.engine.clone() else {
            return;
        };
        if let Some(previous) = self.login.take() {
            previous.abort();
        }
        let observer = Observer {
            tx: self.tx.clone(),
            account: account.clone(),
        };
        self.login = Some(tokio::spawn(async move {
            let options = crate::engine::LoginOptions {
                flow: None,
                replace_user,
            };
            let result = engine
                .login(&account, options, &observer)
                .await
                .map(Box::new)
                .map_err(failure);
            observer.send(LoginProgress::Finished(result));
        }));
    }

    /// Loads the config again if its file changed since it was last read: `None` when
    /// it did not change.
    fn reload_if_changed(&mut self) -> Option<Result<Reloaded, String>> {
        let stamp = file_stamp(&self.paths.config_file);
        if stamp == self.config_stamp {
            return None;
        }
        self.config_stamp = stamp;
        Some(self.load_config())
    }

    fn store_changed(&mut self) -> bool {
        let stamp = file_stamp(&self.paths.data_dir.join(crate::store::CHANGED_FILE));
        if stamp == self.store_stamp {
            return false;
        }
        self.store_stamp = stamp;
        true
    }

    fn load_config(&mut self) -> Result<Reloaded, String> {
        let config =
            crate::config::Config::load(&self.paths.config_file).map_err(|e| e.to_string())?;
        let reloaded = Reloaded {
            rows: super::rows(&config),
            clipboard_clear: config.dashboard.clipboard_clear,
            here: super::here(&config),
        };
        self.engine = Some(Arc::new(Engine::new(config, self.paths.clone())));
        Ok(reloaded)
    }

    /// Writes the confirmed config and switches to it. The file is small: this runs
    /// inline, between two frames.
    fn save_config(&mut self, write: &ConfigWrite) -> Result<Reloaded, String> {
        crate::config::edit::save(&write.path, write.before.as_deref(), &write.after)
            .map_err(|e| e.to_string())?;
        self.config_stamp = file_stamp(&self.paths.config_file);
        self.load_config()
            .map_err(|e| format!("the config was written but does not load: {e}"))
    }

    fn clear_clipboard_when_due(&mut self, terminal: &mut impl std::io::Write) {
        if let Some((at, _)) = &self.clear_at
            && Instant::now() >= *at
            && let Some((_, text)) = self.clear_at.take()
        {
            self.clipboard.clear_if_unchanged(&text, terminal);
        }
    }
}
