//! `tokdeck add NAME --url URL` and `tokdeck add NAME --issuer URL` without a client:
//! the server found from the API (RFC 9728), and a client tokdeck registers there
//! itself (RFC 7591) unless one is given.

use super::args::{AddArgs, FlowArg};
use super::error::CliError;
use crate::config::edit::NewProvider;
use crate::config::{Config, Paths, Registration as HowRegistered, StoreKind};
use crate::engine::from_url::{self, ApiServer, PickServer};
use crate::engine::{EngineError, provider_client, registration};
use crate::printable::printable;
use crate::store::registration::Registration;

/// What was found and made for a new provider.
pub(super) struct FromApi {
    pub provider: NewProvider,
    /// The API the account's tokens are for (`--url`).
    pub api: Option<String>,
    pub scopes: Vec<String>,
    /// The client tokdeck registered (none on a dry run or with --client-id).
    registered: Option<Registration>,
    /// The API's name and where its server was found, for the user.
    found: Vec<String>,
}

/// `--url`, or `--issuer` with neither `--client-id` nor `--preset`: a new provider
/// found (and registered at) here.
pub(super) fn applies(add: &AddArgs) -> bool {
    add.url.is_some() || (add.issuer.is_some() && add.client_id.is_none() && add.preset.is_none())
}

pub(super) async fn new_provider(
    paths: &Paths,
    store: StoreKind,
    add: &AddArgs,
    name: &str,
    scopes: Option<&[String]>,
) -> Result<FromApi, CliError> {
    if !add.preset_values().is_empty() {
        return Err(CliError::Usage(
            "--tenant, --domain, --realm, --base-url and --authorization-server go with --preset; with --url or --issuer alone the server's metadata says everything".into(),
        ));
    }
    let client = provider_client(paths);
    let scopes = scopes.unwrap_or_default();
    let mut found = Vec::new();
    let (issuer, endpoints, scopes, api) = match &add.url {
        Some(url) => {
            let server =
                from_url::api_server(&client, url, add.issuer.as_deref(), scopes, &Terminal)
                    .await?;
            found.push(server.protected_by());
            (
                server.issuer,
                server.endpoints,
                server.scopes,
                Some(server.resource),
            )
        }
        None => {
            let issuer = add.issuer.clone().unwrap_or_default();
            let http = client.http().map_err(|e| CliError::Failed(e.to_string()))?;
            let endpoints = crate::oauth::discovery::fetch(&http, &issuer)
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?;
            let scopes = from_url::with_oidc(scopes, &endpoints);
            (issuer, endpoints, scopes, None)
        }
    };
    let client_secret = if add.client_secret_stdin {
        Some(super::prompt::read_secret()?)
    } else {
        None
    };
    let (client_id, how, registered) = match (&add.client_id, add.dry_run) {
        (Some(id), _) => (id.clone(), HowRegistered::Manual, None),
        (None, true) => {
            // Nothing is registered on a dry run: the diff shows where the ID goes.
            registration::registration_endpoint(
                &endpoints,
                name,
                registration::ByHand::CommandLine,
            )?;
            (
                "(registered when not a dry run)".to_string(),
                HowRegistered::Dynamic,
                None,
            )
        }
        (None, false) => {
            let place = registration::place(paths, store);
            let registered = registration::register(
                &client,
                &place,
                name,
                &endpoints,
                &scopes,
                registration::ByHand::CommandLine,
            )
            .await?;
            (
                registered.client_id.clone(),
                HowRegistered::Dynamic,
                Some(registered),
            )
        }
    };
    Ok(FromApi {
        provider: NewProvider {
            name: name.to_string(),
            preset: "generic".into(),
            issuer: Some(issuer),
            client_id,
            client_secret,
            template: Default::default(),
            registration: how,
        },
        api,
        scopes,
        registered,
        found,
    })
}

impl FromApi {
    /// Tells what was found and registered.
    pub(super) fn tell(&self) {
        for line in &self.found {
            say!("tokdeck: {line}");
        }
        if let Some(registered) = &self.registered {
            say!(
                "tokdeck: registered tokdeck at {} as client_id {}{}",
                printable(&registered.issuer),
                registered.client_id,
                if registered.registration_client_uri.is_some() {
                    "; `tokdeck remove` deletes the registration"
                } else {
                    " (the server does not let it be deleted later)"
                }
            );
        }
    }

    /// Deletes the client registered for a provider that was not written after all;
    /// what became of it, in words.
    pub(super) async fn undo(&self, paths: &Paths, store: StoreKind, name: &str) -> String {
        let Some(registered) = &self.registered else {
            return "nothing was registered".into();
        };
        let place = registration::place(paths, store);
        let client = provider_client(paths);
        match registration::unregister(&client, &place, name, Some(registered)).await {
            Ok(note) => format!("the account was not added, so {note}"),
            Err(e) => format!(
                "the account was not added, and its client registration could not be deleted: {e}"
            ),
        }
    }
}

/// What is wrong with an account from an API's URL (or a registering issuer) that can be
/// told before any server is asked: its name, one already there, a service flow.
pub(super) fn check_first(
    config: &Config,
    add: &AddArgs,
    provider: &str,
    provider_exists: bool,
) -> Result<(), CliError> {
    crate::config::check_name(&add.account)
        .map_err(|m| CliError::Usage(format!("account name '{}' {m}", add.account)))?;
    if !provider_exists {
        crate::config::check_name(provider)
            .map_err(|m| CliError::Usage(format!("provider name '{provider}' {m}")))?;
    }
    if config.accounts.contains_key(&add.account)
        || config.broken_accounts.contains_key(&add.account)
    {
        return Err(CliError::Usage(format!(
            "an account named '{}' already exists; pick another name or remove that one first",
            add.account
        )));
    }
    if matches!(add.flow, Some(FlowArg::ClientCredentials)) {
        return Err(CliError::Usage(
            "an account for an API logs a person in (browser or device flow); client credentials need a client and secret registered by hand: use --preset or --issuer with --client-id and --client-secret-stdin".into(),
        ));
    }
    Ok(())
}

/// The API at `url` on the provider `name` already in the file: its issuer must be one
/// of the API's authorization servers.
pub(super) async fn on_provider(
    paths: &Paths,
    config: &Config,
    name: &str,
    url: &str,
    scopes: Option<&[String]>,
) -> Result<ApiServer, CliError> {
    let provider = config
        .providers
        .get(name)
        .ok_or_else(|| CliError::Usage(format!("there is no provider '{name}' in the file")))?;
    let Some(issuer) = provider.endpoints.issuer.as_deref() else {
        return Err(CliError::Usage(format!(
            "provider '{name}' has no issuer, so it cannot be matched with the API's servers; name a new provider with --provider"
        )));
    };
    let client = provider_client(paths);
    let server = from_url::api_server(
        &client,
        url,
        Some(issuer),
        scopes.unwrap_or_default(),
        &Terminal,
    )
    .await
    .map_err(|e| match e {
        EngineError::Refused(m) => CliError::Usage(format!(
            "{m}; provider '{name}' cannot log in to this API: name a new provider with --provider"
        )),
        other => other.into(),
    })?;
    say!("tokdeck: {} (provider '{name}')", server.protected_by());
    Ok(server)
}

/// Several authorization servers: the person picks one at the terminal; a script is
/// told to pass --issuer.
struct Terminal;

impl PickServer for Terminal {
    fn pick(&self, resource: &str, servers: &[String]) -> Result<String, EngineError> {
        use std::io::{BufRead, IsTerminal, Write};
        let listed = from_url::list(servers);
        if !std::io::stdin().is_terminal() {
            return Err(EngineError::Refused(format!(
                "{resource} names several authorization servers ({listed}); choose one with --issuer URL"
            )));
        }
        let mut err = std::io::stderr();
        let _ = writeln!(err, "{resource} names several authorization servers:");
        for (i, server) in servers.iter().enumerate() {
            let _ = writeln!(err, "  {}. {}", i + 1, printable(server));
        }
        let _ = write!(err, "Log in at which one (1-{})? ", servers.len());
        let _ = err.flush();
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| EngineError::Refused(format!("cannot read the choice: {e}")))?;
        line.trim()
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| servers.get(i))
            .cloned()
            .ok_or_else(|| {
                EngineError::Refused(format!(
                    "'{}' is not one of 1-{}; run again, or choose with --issuer URL",
                    printable(line.trim()),
                    servers.len()
                ))
            })
    }
}
