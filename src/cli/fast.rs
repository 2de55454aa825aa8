//! The fast path of the calls that shell prompts and `curl` loops make many times a
//! minute: `tokdeck token [NAME]` and `tokdeck header [NAME]` read without clap, and on
//! the file store answered on this thread, without an async runtime.

use super::args::{ApiArgs, Cli, Command, HeaderArgs, TokenArgs, TokenFormat};
use super::error::{CliError, exit_code};
use super::{output, which};
use crate::engine::Engine;
use crate::token::Lifetime;
use std::path::PathBuf;

/// `tokdeck token [NAME]` and `tokdeck header [NAME]`, exactly so (no option), are the
/// calls shell prompts and `curl` loops make: they are read without building the
/// command-line parser (a quarter of a cached token's start-up). Anything else goes
/// through clap.
pub fn plain_token_command(mut args: impl Iterator<Item = std::ffi::OsString>) -> Option<Cli> {
    let verb = args.next()?;
    let account = match args.next() {
        None => None,
        Some(name) => Some(name.into_string().ok().filter(|n| !n.starts_with('-'))?),
    };
    if args.next().is_some() {
        return None;
    }
    let command = match verb.to_str()? {
        "token" => Command::Token(TokenArgs {
            account,
            id_token: false,
            min_valid: None,
            strict: false,
            format: TokenFormat::Text,
            json: false,
            api: ApiArgs::default(),
        }),
        "header" => Command::Header(HeaderArgs {
            account,
            min_valid: None,
            strict: false,
            url: None,
            method: "GET".into(),
            api: ApiArgs::default(),
        }),
        _ => return None,
    };
    Some(Cli {
        config: None,
        log_level: None,
        command: Some(command),
    })
}

/// What the fast path came to: the command's exit status, or the general path, with the
/// engine already built (the config is read once per process).
pub enum Answer {
    Done(i32),
    Go(Option<Box<Engine>>),
}

/// `token` and `header` answered on this thread: no async runtime, no worker thread, no
/// network for a valid cached token (the file store's record, the keyring's copy in the
/// kernel), and for a refresh on the file store the worker process (forked on Linux).
/// Everything else (`--id-token`, a copy that cannot decide, an unreadable record) goes
/// on to the general path, which does the same checks and reports problems.
pub fn answer(config: &Option<PathBuf>, command: &Command) -> Answer {
    match answer_here(config, command) {
        Ok(code) => Answer::Done(code),
        Err(engine) => Answer::Go(engine),
    }
}

fn answer_here(config: &Option<PathBuf>, command: &Command) -> Result<i32, Option<Box<Engine>>> {
    let plain = ApiArgs::default();
    let (account, min_valid, strict) = match command {
        Command::Token(TokenArgs {
            account,
            id_token: false,
            min_valid,
            strict,
            format: TokenFormat::Text | TokenFormat::K8s,
            json: false,
            api,
        }) if *api == plain => (account, *min_valid, *strict),
        Command::Header(HeaderArgs {
            account,
            min_valid,
            strict,
            url: None,
            api,
            ..
        }) if *api == plain => (account, *min_valid, *strict),
        _ => return Err(None),
    };
    let engine = Box::new(super::refreshing_engine(config.clone()).map_err(|_| None)?);
    let Ok(account) = which::pick_quietly(&engine, account.as_deref()) else {
        return Err(Some(engine));
    };
    let Some(fresh) = engine.fresh_on_this_thread(&account, super::token::wanted(min_valid)) else {
        return Err(Some(engine));
    };
    output::warn_config(engine.config(), &account);
    let result = fresh.map_err(CliError::from).and_then(|fresh| {
        log::debug!("'{account}': answered without the runtime");
        let tokens = output::with_warnings(&engine, fresh);
        let lifetime = Lifetime::of(tokens.issued_at, tokens.expires_at);
        super::token::lasting(&account, "tokens", lifetime, min_valid, strict)?;
        match command {
            Command::Token(TokenArgs { format, .. }) => {
                super::token::warn_dpop(&account, &tokens);
                output::token(*format, &tokens.access_token, tokens.promised_expiry())
            }
            _ => output::line(&super::token::header_lines(&account, &tokens, None)?),
        }
    });
    Ok(exit_code(result))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn plain(args: &[&str]) -> Option<Cli> {
        plain_token_command(args.iter().map(std::ffi::OsString::from))
    }

    #[test]
    fn the_plain_reading_of_token_and_header_is_what_clap_reads() {
        for args in [
            &["token", "work"][..],
            &["header", "work"],
            &["token"],
            &["header"],
        ] {
            let clap = Cli::parse_from(std::iter::once("tokdeck").chain(args.iter().copied()));
            let plain = plain(args).expect("plain form");
            assert_eq!(format!("{plain:?}"), format!("{clap:?}"), "{args:?}");
        }
    }

    #[test]
    fn anything_else_goes_to_clap() {
        for args in [
            &["token", "--help"][..],
            &["token", "work", "--min-valid", "300"],
            &["token", "-x"],
            &["list", "work"],
            &["--config", "c.toml"],
        ] {
            assert!(plain(args).is_none(), "{args:?}");
        }
    }
}
