//! `tokdeck add` and `tokdeck remove`: accounts in config.toml without the dashboard or
//! an editor, through the same comment-keeping editor, checks and atomic write as the
//! dashboard's, with the change printed as a diff.

use super::args::{AddArgs, RemoveArgs};
use super::error::CliError;
use super::output;
use crate::config::edit::{self, AccountDraft, DiffLine, EditError, NewProvider, ProviderDraft};
use crate::config::{Config, Flow, Paths};
use crate::engine::{Engine, LogoutOptions};
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::path::Path;

pub fn add(config_override: Option<&Path>, add: AddArgs) -> Result<(), CliError> {
    let path = config_path(config_override)?;
    let before = read(&path)?;
    let text = before.as_deref().unwrap_or_default();
    // A file that is not TOML is reported as such, before anything else is judged.
    let parsed = Config::parse(&path, text, None)
        .map_err(|e| edit_error(EditError::Broken(e.to_string())))?;
    let accounts = parsed.accounts.keys().chain(parsed.broken_accounts.keys());
    let providers = parsed
        .providers
        .keys()
        .chain(parsed.broken_providers.keys());
    for (kind, new, mut old) in [
        ("account", &add.account, accounts.collect::<Vec<_>>()),
        ("provider", &add.provider, providers.collect::<Vec<_>>()),
    ] {
        // Token files are named after accounts: on a case-insensitive file system two
        // names that differ only in case would be one file.
        old.retain(|o| o.eq_ignore_ascii_case(new) && *o != new);
        if let Some(other) = old.first() {
            return Err(CliError::Usage(format!(
                "{kind} '{new}' differs from the existing {kind} '{other}' only in case; use '{other}' or another name"
            )));
        }
    }
    let provider = if parsed.providers.contains_key(&add.provider) {
        if add.preset.is_some()
            || add.issuer.is_some()
            || add.client_id.is_some()
            || add.client_secret_stdin
            || !template(&add).is_empty()
        {
            return Err(CliError::Usage(format!(
                "provider '{}' is already in '{}'; --preset, --issuer, --client-id, --client-secret-stdin and preset values make a new one. Leave them out to use it, or name a new provider",
                add.provider,
                path.display()
            )));
        }
        ProviderDraft::Existing(add.provider.clone())
    } else {
        ProviderDraft::New(new_provider(&add)?)
    };
    let draft = AccountDraft {
        name: add.account.clone(),
        provider,
        flow: add.flow.map(Flow::from),
        // `--scope "a b c"` as OAuth writes a scope list (RFC 6749 §3.3): three scopes.
        scopes: (!add.scopes.is_empty()).then(|| {
            add.scopes
                .iter()
                .flat_map(|s| s.split_whitespace())
                .map(str::to_string)
                .collect()
        }),
        provider_edit: None,
    };
    let after = edit::add_account(&path, text, &draft).map_err(edit_error)?;
    let flow = add
        .flow
        .map(Flow::from)
        .or_else(|| parsed.providers.get(&add.provider).and_then(|p| p.flow));
    let service = flow == Some(Flow::ClientCredentials);
    let next = if service {
        format!("`tokdeck token {}` fetches its first token", add.account)
    } else {
        format!("log in with `tokdeck login {}`", add.account)
    };
    write(
        &path,
        before.as_deref(),
        &after,
        add.dry_run,
        &format!("Added account '{}'", add.account),
        &next,
    )
}

/// A new provider table from the options; its secret from stdin or a prompt.
fn new_provider(add: &AddArgs) -> Result<NewProvider, CliError> {
    let preset = match (&add.preset, &add.issuer) {
        (Some(p), _) => p.clone(),
        (None, Some(_)) => "generic".to_string(),
        (None, None) => {
            return Err(CliError::Usage(format!(
                "provider '{}' is new: say which server it is with --preset P (see `tokdeck providers`) or --issuer URL",
                add.provider
            )));
        }
    };
    let Some(client_id) = add.client_id.clone() else {
        return Err(CliError::Usage(format!(
            "provider '{}' is new: --client-id ID is needed (the OAuth client you registered for tokdeck)",
            add.provider
        )));
    };
    check_preset_values(&preset, add)?;
    if add.flow.map(Flow::from) == Some(Flow::ClientCredentials) && !add.client_secret_stdin {
        return Err(CliError::Usage(format!(
            "a client_credentials account needs its client's secret: add --client-secret-stdin and pipe the secret in (`printf %s \"$SECRET\" | tokdeck add {} ...`)",
            add.account
        )));
    }
    let client_secret = if add.client_secret_stdin {
        Some(read_secret()?)
    } else {
        None
    };
    Ok(NewProvider {
        name: add.provider.clone(),
        preset,
        issuer: add.issuer.clone(),
        client_id,
        client_secret,
        template: template(add),
    })
}

/// `--tenant` and friends only where the preset is made from them.
fn check_preset_values(preset: &str, add: &AddArgs) -> Result<(), CliError> {
    let Some(found) = crate::config::preset(preset) else {
        return Ok(()); // the editor names the unknown preset and lists the others
    };
    let takes = found.takes();
    let flag = |key: &str| format!("--{}", key.replace('_', "-"));
    match template(add).keys().find(|k| !takes.contains(&k.as_str())) {
        None => Ok(()),
        Some(stray) => Err(CliError::Usage(format!(
            "preset '{preset}' takes no {} ({})",
            flag(stray),
            if takes.is_empty() {
                "it takes no preset values".to_string()
            } else {
                let flags: Vec<String> = takes.iter().map(|t| flag(t)).collect();
                format!("it takes {}", flags.join(", "))
            }
        ))),
    }
}

/// The preset values given (`--tenant`, `--realm`, ...), by their config keys.
fn template(add: &AddArgs) -> BTreeMap<String, String> {
    [
        ("tenant", &add.tenant),
        ("domain", &add.domain),
        ("realm", &add.realm),
        ("base_url", &add.base_url),
        ("authorization_server", &add.authorization_server),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
    .collect()
}

/// `tokdeck remove`: the account's tokens are revoked and deleted first (unless
/// `keep_tokens`), then its table goes; its provider table stays.
pub async fn remove(config_override: Option<&Path>, remove: RemoveArgs) -> Result<(), CliError> {
    let RemoveArgs {
        account,
        keep_tokens,
        dry_run,
    } = remove;
    let account = account.as_str();
    let path = config_path(config_override)?;
    let before = read(&path)?;
    let text = before.as_deref().unwrap_or_default();
    let after = edit::remove_account(&path, text, account).map_err(edit_error)?;
    let mut next = if keep_tokens {
        "its tokens stay in the store (an account of the same name and provider would use them again)".to_string()
    } else {
        "its tokens will be revoked and deleted".to_string()
    };
    if !keep_tokens && !dry_run {
        let engine = super::setup::engine(config_override.map(Path::to_path_buf))?;
        if let Some(e) = engine.config().broken_accounts.get(account) {
            return Err(CliError::Usage(format!(
                "'{account}' cannot be logged out while its table is broken ({e}); fix it first, or pass --keep-tokens to remove it and leave its tokens in the store"
            )));
        }
        next = logout(&engine, account).await?;
    }
    let done = format!("Removed account '{account}'");
    write(&path, before.as_deref(), &after, dry_run, &done, &next)
}

/// Logs `account` out; what became of its tokens, in words.
async fn logout(engine: &Engine, account: &str) -> Result<String, CliError> {
    let had_tokens = engine.load_bound(account).await.ok().flatten().is_some();
    let report = engine.logout(account, LogoutOptions::default()).await?;
    for note in &report.notes {
        say!("tokdeck: {note}");
    }
    Ok(match (had_tokens, report.revoked.as_slice()) {
        (false, _) => "it held no tokens".to_string(),
        (true, []) => "its tokens were deleted here; the provider revoked none of them (see above)"
            .to_string(),
        (true, revoked) => format!(
            "its {} {} revoked at the provider, and its tokens deleted here",
            revoked.join(" and "),
            if revoked.len() > 1 { "were" } else { "was" }
        ),
    })
}

/// Prints the change, then writes it unless `dry_run`.
fn write(
    path: &Path,
    before: Option<&str>,
    after: &str,
    dry_run: bool,
    done: &str,
    next: &str,
) -> Result<(), CliError> {
    let lines: Vec<String> = edit::diff(before.unwrap_or_default(), after, 2)
        .into_iter()
        .map(|line| match line {
            DiffLine::Same(t) => format!("  {t}"),
            DiffLine::Removed(t) => format!("- {t}"),
            DiffLine::Added(t) => format!("+ {t}"),
            DiffLine::Skipped(n) => {
                format!("  … {n} unchanged line{}", if n == 1 { "" } else { "s" })
            }
        })
        .collect();
    output::line(&lines.join("\n"))?;
    if dry_run {
        say!("Dry run: '{}' was not changed.", path.display());
        return Ok(());
    }
    edit::save(path, before, after).map_err(edit_error)?;
    say!("{done} in '{}'; {next}.", path.display());
    Ok(())
}

fn config_path(config_override: Option<&Path>) -> Result<std::path::PathBuf, CliError> {
    let paths = Paths::resolve(config_override).map_err(crate::config::ConfigError::Paths)?;
    Ok(paths.config_file)
}

/// The file's text, `None` when there is none yet.
fn read(path: &Path) -> Result<Option<String>, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::Failed(format!(
            "cannot read '{}': {e}",
            path.display()
        ))),
    }
}

fn edit_error(e: EditError) -> CliError {
    match e {
        EditError::Broken(_) | EditError::Rejected(_) | EditError::Invalid(_) => {
            CliError::Usage(e.to_string())
        }
        EditError::ChangedOnDisk(_) | EditError::Write { .. } => CliError::Failed(e.to_string()),
    }
}

/// The client secret: one line from stdin, or typed at a prompt that does not echo it.
fn read_secret() -> Result<Secret, CliError> {
    use std::io::IsTerminal;
    let secret = if std::io::stdin().is_terminal() {
        prompt_secret()?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| {
            CliError::Failed(format!("cannot read the client secret from stdin: {e}"))
        })?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    if secret.is_empty() {
        return Err(CliError::Usage(
            "--client-secret-stdin read an empty secret; pipe it in (`printf %s \"$SECRET\" | tokdeck add …`) or type it at the prompt".into(),
        ));
    }
    Ok(Secret::new(secret))
}

/// Reads a line from the terminal with echo off (raw mode), Enter to end, Ctrl-C to stop.
fn prompt_secret() -> Result<String, CliError> {
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, read};
    eprint!("Client secret (not shown): ");
    let failed = |e: std::io::Error| CliError::Failed(format!("cannot read the secret: {e}"));
    crossterm::terminal::enable_raw_mode().map_err(failed)?;
    let mut secret = String::new();
    let result = loop {
        match read() {
            Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => match key.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err(CliError::Failed("cancelled".into()));
                }
                KeyCode::Char(c) => secret.push(c),
                KeyCode::Backspace => {
                    secret.pop();
                }
                _ => {}
            },
            Ok(Event::Paste(text)) => secret.push_str(text.trim_end()),
            Ok(_) => {}
            Err(e) => break Err(failed(e)),
        }
    };
    let _ = crossterm::terminal::disable_raw_mode();
    say!();
    result.map(|()| secret)
}

/// Adds `value` to (or, with `remove`, takes it from) the account's list `key`, printing
/// the change; no change when it is there (or not) already.
pub fn edit_list(
    engine: &Engine,
    account: &str,
    key: &str,
    value: &str,
    remove: bool,
) -> Result<(), CliError> {
    let path = engine.config().path.clone();
    let before = read(&path)?;
    let text = before.as_deref().unwrap_or_default();
    let after = if remove {
        edit::remove_from_list(&path, text, account, key, value)
    } else {
        edit::add_to_list(&path, text, account, key, value)
    }
    .map_err(edit_error)?;
    match after {
        Some(after) => {
            let done = format!("Changed `{key}` of '{account}'");
            write(
                &path,
                before.as_deref(),
                &after,
                false,
                &done,
                "the tools follow it now",
            )
        }
        None => Ok(()),
    }
}
