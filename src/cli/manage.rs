//! `tokdeck add` and `tokdeck remove`: accounts in config.toml without the dashboard or
//! an editor, through the same comment-keeping editor, checks and atomic write as the
//! dashboard's, with the change printed as a diff.

use super::add_api;
use super::args::{AddArgs, RemoveArgs};
use super::error::CliError;
use super::output;
use crate::config::edit::{self, AccountDraft, DiffLine, EditError, NewProvider, ProviderDraft};
use crate::config::{Config, Flow, Paths, Registration};
use crate::engine::{Engine, LogoutOptions};
use std::path::Path;

pub async fn add(config_override: Option<&Path>, add: AddArgs) -> Result<(), CliError> {
    let paths = Paths::resolve(config_override).map_err(crate::config::ConfigError::Paths)?;
    let path = paths.config_file.clone();
    let before = read(&path)?;
    let text = before.as_deref().unwrap_or_default();
    // A file that is not TOML is reported as such, before anything else is judged.
    let parsed = Config::parse(&path, text, Config::store_from_env()?)
        .map_err(|e| edit_error(EditError::Broken(e.to_string())))?;
    let provider_name = match (&add.provider, &add.url, &add.issuer) {
        (Some(name), ..) => name.clone(),
        (None, Some(_), _) | (None, None, Some(_)) => add.account.clone(),
        (None, None, None) => {
            return Err(CliError::Usage(
                "--provider NAME is needed: a [providers.NAME] table of the file, or a new one made with --preset, --issuer or --url".into(),
            ));
        }
    };
    let accounts = parsed.accounts.keys().chain(parsed.broken_accounts.keys());
    let providers = parsed
        .providers
        .keys()
        .chain(parsed.broken_providers.keys());
    for (kind, new, mut old) in [
        ("account", &add.account, accounts.collect::<Vec<_>>()),
        ("provider", &provider_name, providers.collect::<Vec<_>>()),
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
    let mut scopes = (!add.scopes.is_empty()).then(|| {
        // `--scope "a b c"` as OAuth writes a scope list (RFC 6749 §3.3): three scopes.
        add.scopes
            .iter()
            .flat_map(|s| s.split_whitespace())
            .map(str::to_string)
            .collect::<Vec<_>>()
    });
    let exists = parsed.providers.contains_key(&provider_name);
    if add.url.is_some() || (!exists && add_api::applies(&add)) {
        // Checked before anything is asked of a server (or registered there).
        add_api::check_first(&parsed, &add, &provider_name, exists)?;
    }
    let mut from_api = None;
    let mut api = None;
    let provider = if exists {
        if add.preset.is_some()
            || (add.issuer.is_some() && add.url.is_none())
            || add.client_id.is_some()
            || add.client_secret_stdin
            || !add.preset_values().is_empty()
        {
            return Err(CliError::Usage(format!(
                "provider '{provider_name}' is already in '{}'; --preset, --issuer, --client-id, --client-secret-stdin and preset values make a new one. Leave them out to use it, or name a new provider",
                path.display()
            )));
        }
        if let Some(url) = &add.url {
            // Another account for an API whose provider is there (another person, or
            // an account removed with --keep-tokens and added again).
            let server =
                add_api::on_provider(&paths, &parsed, &provider_name, url, scopes.as_deref())
                    .await?;
            scopes = Some(server.scopes.clone());
            api = Some(server.resource);
        }
        ProviderDraft::Existing(provider_name.clone())
    } else if add_api::applies(&add) {
        let found = add_api::new_provider(
            &paths,
            parsed.store,
            &add,
            &provider_name,
            scopes.as_deref(),
        )
        .await?;
        scopes = Some(found.scopes.clone());
        api = found.api.clone();
        let provider = ProviderDraft::New(found.provider.clone());
        found.tell();
        from_api = Some(found);
        provider
    } else {
        ProviderDraft::New(new_provider(&add, &provider_name)?)
    };
    let draft = AccountDraft {
        name: add.account.clone(),
        provider,
        flow: add.flow.map(Flow::from),
        scopes,
        provider_edit: None,
        api,
    };
    let written = edit::add_account(&path, text, &draft)
        .map_err(edit_error)
        .and_then(|after| {
            let flow = add
                .flow
                .map(Flow::from)
                .or_else(|| parsed.providers.get(&provider_name).and_then(|p| p.flow));
            let next = if flow == Some(Flow::ClientCredentials) {
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
        });
    match (written, from_api) {
        (Err(e), Some(found)) => {
            // A client registered for an account that was not written is deleted again.
            let note = found.undo(&paths, parsed.store, &provider_name).await;
            Err(match e {
                CliError::Usage(m) => CliError::Usage(format!("{m}; {note}")),
                CliError::Failed(m) => CliError::Failed(format!("{m}; {note}")),
                other => {
                    say!("tokdeck: {note}");
                    other
                }
            })
        }
        (written, _) => written,
    }
}

/// A new provider table from the options; its secret from stdin or a prompt.
fn new_provider(add: &AddArgs, name: &str) -> Result<NewProvider, CliError> {
    let preset = match (&add.preset, &add.issuer) {
        (Some(p), _) => p.clone(),
        (None, Some(_)) => "generic".to_string(),
        (None, None) => {
            return Err(CliError::Usage(format!(
                "provider '{name}' is new: say which server it is with --preset P (see `tokdeck providers`), --issuer URL or --url API-URL"
            )));
        }
    };
    let Some(client_id) = add.client_id.clone() else {
        return Err(CliError::Usage(format!(
            "provider '{name}' is new: --client-id ID is needed (the OAuth client you registered for tokdeck); with --issuer alone tokdeck registers itself where the server allows it"
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
        Some(super::prompt::read_secret()?)
    } else {
        None
    };
    Ok(NewProvider {
        name: name.to_string(),
        preset,
        issuer: add.issuer.clone(),
        client_id,
        client_secret,
        template: add.preset_values(),
        registration: crate::config::Registration::Manual,
    })
}

/// `--tenant` and friends only where the preset is made from them.
fn check_preset_values(preset: &str, add: &AddArgs) -> Result<(), CliError> {
    let Some(found) = crate::config::preset(preset) else {
        return Ok(()); // the editor names the unknown preset and lists the others
    };
    let takes = found.takes();
    let flag = |key: &str| format!("--{}", key.replace('_', "-"));
    match add
        .preset_values()
        .keys()
        .find(|k| !takes.contains(&k.as_str()))
    {
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
    let mut after = edit::remove_account(&path, text, account).map_err(edit_error)?;
    // A client tokdeck registered for this account's provider alone goes with it: its
    // table, and (below) its registration at the server.
    let registered = edit::left_unused(&path, text, account).filter(|provider| {
        !keep_tokens
            && Config::parse(&path, text, None).is_ok_and(|c| {
                c.providers
                    .get(provider)
                    .is_some_and(|p| p.registration == Registration::Dynamic)
            })
    });
    if let Some(provider) = &registered {
        after = edit::remove_provider(&path, &after, provider).map_err(edit_error)?;
    }
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
        if let Some(provider) = registered
            .as_ref()
            .and_then(|p| engine.config().providers.get(p))
        {
            let note = engine.unregister(provider).await?;
            next = format!("{next}; provider '{}' went with it: {note}", provider.name);
        }
    } else if let Some(provider) = &registered {
        next = format!(
            "{next}; provider '{provider}' goes with it, and its client registration will be deleted"
        );
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
