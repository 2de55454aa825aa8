//! `token`, `header`, `export` and `exec` answered by the agent when one runs: the
//! command asks it over its socket (no config, store or keyring read here) and prints
//! what it gives as direct mode would. Without an agent (or with `--config`, or
//! `TOKDECK_AGENT=off`) the commands work directly, as before. Unix only: on Windows
//! there is no agent yet.

use super::args::{ApiArgs, Cli, Command, GitOperation, TokenFormat};
use super::error::{CliError, exit_code};
use crate::agent::client::Client;
use crate::agent::protocol::{self as p, Request, TokenAsk};
use crate::token::{Lifetime, TokenSet};

/// The command's exit status when the agent answered it; `None`: direct mode.
pub fn answer(cli: &Cli) -> Option<i32> {
    let command = cli.command.as_ref()?;
    if !matches!(
        command,
        Command::Token(_) | Command::Header(_) | Command::Export(_) | Command::Exec(_)
    ) || cli.config.is_some()
    {
        return None;
    }
    Some(exit_code(client()?.and_then(|mut c| run(&mut c, command))))
}

/// The agent, when one runs (`None`: direct mode).
fn client() -> Option<Result<Client, CliError>> {
    let paths = crate::config::Paths::resolve(None).ok()?;
    match Client::find(&paths) {
        Ok(Some(client)) => {
            log::debug!("asking the agent at '{}'", client.path.display());
            Some(Ok(client))
        }
        Ok(None) => None,
        Err(failure) => Some(Err(CliError::Agent(failure))),
    }
}

/// `git-credential get` through the agent (`store` and `erase` change nothing there);
/// a URL no account claims gets no answer, so git asks its next helper.
pub fn git(
    config: Option<&std::path::Path>,
    operation: GitOperation,
) -> Option<Result<(), CliError>> {
    if config.is_some() {
        return None;
    }
    let mut client = match client()? {
        Ok(client) => client,
        Err(e) => return Some(Err(e)),
    };
    Some((|| {
        let request =
            crate::tools::git::Request::read(std::io::stdin()).map_err(CliError::Failed)?;
        let (Some((url, has_path)), GitOperation::Get) = (request.url(), operation) else {
            return Ok(());
        };
        let ask = TokenAsk {
            tool: Some(p::ForTool::Git { url, has_path }),
            ..TokenAsk::default()
        };
        let (given, tokens) = match get(&mut client, ask) {
            Err(CliError::Agent(f)) if f.code == p::Code::Unclaimed => return Ok(()),
            other => other?,
        };
        super::token::refuse_dpop_for("git", &given.account, &tokens)?;
        let username = given.username.clone().unwrap_or_default();
        let answer = crate::tools::git::answer(&request, &username, &tokens);
        super::output::line(&answer.join("\n"))
    })())
}

/// `docker-credential get` through the agent; Docker shows what a helper prints on
/// stdout, so refusals go there.
pub fn docker(config: Option<&std::path::Path>, operation: &str) -> Option<Result<(), CliError>> {
    if config.is_some() || operation != "get" {
        return None;
    }
    let mut client = match client()? {
        Ok(client) => client,
        Err(e) => return Some(Err(e)),
    };
    Some((|| {
        let server = super::docker::read_stdin()?;
        let ask = TokenAsk {
            tool: Some(p::ForTool::Docker {
                server: server.clone(),
            }),
            ..TokenAsk::default()
        };
        let refused = |text: String, code: i32| {
            super::output::line(&text)?;
            Err(CliError::Status(code))
        };
        let (given, tokens) = match get(&mut client, ask) {
            Ok(got) => got,
            Err(CliError::Agent(f)) if f.code == p::Code::Unclaimed => {
                return refused(super::docker::NOT_FOUND.into(), super::error::exit::FAILURE);
            }
            Err(e) => return refused(format!("tokdeck: {e}"), super::error::exit::FAILURE),
        };
        if let Err(e) = super::token::refuse_dpop_for("Docker", &given.account, &tokens) {
            return refused(format!("tokdeck: {e}"), super::error::exit::USAGE);
        }
        let answer = serde_json::json!({
            "ServerURL": server,
            "Username": given.username,
            "Secret": tokens.access_token.expose(),
        });
        super::output::line(&answer.to_string())
    })())
}

fn run(client: &mut Client, command: &Command) -> Result<(), CliError> {
    match command {
        Command::Token(args) => {
            let ask = ask(&args.account, args.min_valid, &args.api, args.id_token)?;
            let (given, tokens) = get(client, ask)?;
            let what = if args.id_token { "ID tokens" } else { "tokens" };
            let lifetime = Lifetime::of(tokens.issued_at, tokens.expires_at);
            super::token::lasting(&given.account, what, lifetime, args.min_valid, args.strict)?;
            if !args.id_token {
                super::token::warn_dpop(&given.account, &tokens);
            }
            let format = if args.json {
                TokenFormat::Json
            } else {
                args.format
            };
            match format {
                TokenFormat::Json => super::output::line(&json(&given, &tokens, args.id_token)),
                _ => super::output::token(format, &tokens.access_token, lifetime.refresh_point()),
            }
        }
        Command::Header(args) => {
            let ask = ask(&args.account, args.min_valid, &args.api, false)?;
            let (given, tokens) = get(client, ask)?;
            let lifetime = Lifetime::of(tokens.issued_at, tokens.expires_at);
            super::token::lasting(
                &given.account,
                "tokens",
                lifetime,
                args.min_valid,
                args.strict,
            )?;
            if !given.dpop {
                return super::output::line(&tokens.authorization_header());
            }
            let Some(url) = &args.url else {
                return super::token::header_lines(&given.account, &tokens, None).map(|_| ());
            };
            let method = super::token::method_of(&args.method)?;
            let proof: p::Proof = client
                .call(&Request::DpopProof {
                    account: given.account.clone(),
                    method,
                    url: url.clone(),
                    ath: crate::oauth::dpop::ath(tokens.access_token.expose()),
                })
                .map_err(CliError::Agent)?;
            super::output::line(&format!(
                "{}\n{}: {}",
                tokens.authorization_header(),
                crate::oauth::dpop::HEADER,
                proof.proof
            ))
        }
        Command::Export(args) => {
            super::export::check_shell(args.format, args.shell)?;
            let ask = ask(&args.account, args.min_valid, &args.api, false)?;
            let (given, tokens) = get(client, ask)?;
            super::export::check(&given.account, &tokens, args.format)?;
            let text = super::export::render(
                &given.account,
                &given.provider,
                &tokens,
                args.format,
                args.shell,
            );
            super::output::line(&text)
        }
        Command::Exec(args) => {
            let ask = ask(&args.account, args.min_valid, &args.api, false)?;
            let names = super::exec::names(args, &[])?;
            let (given, tokens) = get(client, ask)?;
            let names = if args.env.is_empty() && !given.env.is_empty() {
                given.env.clone()
            } else {
                names
            };
            super::exec::launch(&given.account, &tokens, &names, args)
        }
        _ => Err(CliError::Usage(
            "the agent answers token, header, export and exec".into(),
        )),
    }
}

/// The request for the account the command names (else the agent chooses it from
/// `TOKDECK_ACCOUNT` and the working directory, as `tokdeck which` does).
fn ask(
    account: &Option<String>,
    min_valid: Option<u64>,
    api: &ApiArgs,
    id_token: bool,
) -> Result<TokenAsk, CliError> {
    super::token::target(api)?;
    if id_token && (api.resource.is_some() || api.scope.is_some()) {
        return Err(CliError::Usage(
            "--id-token goes without --resource and --scope (ID tokens are about the user, not an API)".into(),
        ));
    }
    Ok(TokenAsk {
        account: account.clone(),
        account_env: std::env::var(crate::config::ACCOUNT_ENV).ok(),
        cwd: std::env::current_dir().ok(),
        min_valid,
        resource: api.resource.clone(),
        scope: api.scope.clone(),
        id_token,
        tool: None,
    })
}

/// The agent's token as the token set the printing code takes (no refresh token: the
/// agent never gives one), its warnings on stderr.
fn get(client: &mut Client, ask: TokenAsk) -> Result<(p::Token, TokenSet), CliError> {
    let given: p::Token = client
        .call(&Request::Token { ask })
        .map_err(CliError::Agent)?;
    for warning in &given.warnings {
        say!("tokdeck: {warning}");
    }
    let mut tokens =
        TokenSet::bearer(given.token.clone(), given.issued_at).expiring_at(given.expires_at);
    tokens.token_type = given.token_type.clone();
    tokens.scopes = given.scopes.clone();
    Ok((given, tokens))
}

/// `token --json` through the agent: the fields direct mode prints.
fn json(given: &p::Token, tokens: &TokenSet, id_token: bool) -> String {
    use chrono::SecondsFormat;
    let now = chrono::Utc::now();
    let expiry = tokens.promised_expiry();
    let mut value = serde_json::json!({
        "access_token": if id_token { serde_json::Value::Null } else { given.token.clone().into() },
        "token_type": tokens.token_type,
        "expires_at": expiry.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        "seconds_left": expiry.map(|at| (at - now).num_seconds()),
        "scopes": tokens.scopes,
        "account": given.account,
        "person": given.person,
        "via": "agent",
    });
    if id_token {
        value["id_token"] = given.token.clone().into();
    }
    value.to_string()
}
