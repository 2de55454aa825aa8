//! `update` fed messages, its model and commands asserted; one file per topic, the
//! shared builders here.

use super::*;
use crate::config::Flow;
use crate::config::edit::ConfigText;
use crate::token::TokenRecord;
use crate::token::TokenSet;
use crate::tui::editor::ReviewAction;
use crate::tui::event::CopyWhat;
use crate::tui::event::{ConfigWrite, Failure, LoginProgress, Outcome};
use crate::tui::model::{AccountRow, Health, LoginStage, Popup, Source, TokenStatus};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;

mod agent;
mod config;
mod from_api;
mod keys;
mod login;
mod refresh;
mod trust;

pub(super) fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("ts")
}

pub(super) fn tokens(access: &str, issued: i64, lifetime: i64, refresh: bool) -> TokenSet {
    let set = TokenSet::bearer(access, t(issued))
        .with_scopes(&["openid"])
        .expiring_at(t(issued + lifetime));
    if refresh {
        set.with_refresh_token("rt")
    } else {
        set
    }
}

pub(super) fn row(name: &str, tokens: Option<TokenSet>) -> AccountRow {
    let mut row = AccountRow::new(name, "idp", Source::Login(Flow::Device));
    row.health = Health::Fine;
    row.tokens = tokens;
    row
}

pub(super) fn model(rows: Vec<AccountRow>) -> Model {
    Model::new(Setup::Ready, rows, t(0))
}

/// A tick's commands without the periodic store reload (tested on its own).
pub(super) fn tick(m: &mut Model, secs: i64) -> Vec<Command> {
    update(m, Msg::Tick(t(secs)))
        .into_iter()
        .filter(|c| !matches!(c, Command::LoadAll | Command::CheckConfig))
        .collect()
}

/// The accounts a list of commands refreshes.
pub(super) fn refreshes(commands: &[Command]) -> Vec<&str> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Refresh { account, .. } => Some(account.as_str()),
            _ => None,
        })
        .collect()
}

pub(super) fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(super) fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

pub(super) fn refreshed(account: &str, result: Result<TokenSet, Failure>) -> Msg {
    Msg::Done(Outcome::Refreshed {
        account: account.into(),
        result,
    })
}

pub(super) fn fail(message: &str, needs_login: bool) -> Failure {
    Failure {
        message: message.into(),
        needs_login,
        other_person: false,
    }
}
