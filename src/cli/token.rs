//! `tokdeck token`, `header` and `export`: a valid token for scripts, refreshed first
//! when it expires soon.

use super::args::{ApiArgs, ExportArgs, HeaderArgs, TokenArgs, TokenFormat};
use super::error::CliError;
use super::{output, which};
use crate::engine::Engine;
use crate::humanize;
use crate::token::{Lifetime, Target, TokenSet};
use chrono::{SecondsFormat, Utc};
use std::time::Duration;

/// What a caller asks of the token it gets.
#[derive(Debug, Clone, Copy)]
pub struct Ask {
    /// `None`: the routine ask (served until the refresh point).
    pub min_valid: Option<u64>,
    /// A token shorter-lived than `min_valid` is an error, not a warning.
    pub strict: bool,
    /// The ID token is what must last.
    pub id_token: bool,
}

impl Ask {
    pub fn new(min_valid: Option<u64>, strict: bool, id_token: bool) -> Self {
        Self {
            min_valid,
            strict,
            id_token,
        }
    }
}

pub async fn token(engine: &Engine, args: TokenArgs) -> Result<(), CliError> {
    let format = if args.json {
        TokenFormat::Json
    } else {
        args.format
    };
    let ask = Ask::new(args.min_valid, args.strict, args.id_token);
    let account = which::pick(engine, args.account.as_deref())?;
    let target = target(&args.api)?;
    let min_valid = wanted(ask.min_valid);
    let tokens = match &target {
        Some(_) if ask.id_token => {
            return Err(CliError::Usage(
                "--id-token goes without --resource and --scope (ID tokens are about the user, not an API)".into(),
            ));
        }
        None if ask.id_token => {
            let tokens = engine.fresh_id_token(&account, min_valid).await?;
            output::warn_store(engine);
            tokens
        }
        _ => fresh(engine, &account, target.as_ref(), ask.min_valid).await?,
    };
    // Never the access token in place of an ID token: a script passes "the ID token" on
    // to others.
    let (token, lifetime, what) = match (&tokens.id_token, tokens.id_token_lifetime()) {
        (Some(id), Some(lifetime)) if ask.id_token => (id, lifetime, "ID tokens"),
        (Some(_), None) if ask.id_token => {
            return Err(CliError::Failed(format!(
                "the ID token of '{account}' has no readable `exp` claim (OIDC Core §2 requires one), so tokdeck cannot tell whether it is valid; `tokdeck login {account}` gets a new one"
            )));
        }
        (None, _) if ask.id_token => {
            return Err(crate::engine::EngineError::NeedsLogin {
                account: account.clone(),
                reason: "holds no ID token (ask for the `openid` scope)".into(),
            }
            .into());
        }
        _ => (
            &tokens.access_token,
            Lifetime::of(tokens.issued_at, tokens.expires_at),
            "tokens",
        ),
    };
    lasting(&account, what, lifetime, ask.min_valid, ask.strict)?;
    if !ask.id_token {
        warn_dpop(&account, &tokens);
    }
    match format {
        TokenFormat::Json => output::line(&json(engine, &account, &tokens, ask).await),
        _ => output::token(format, token, lifetime.refresh_point()),
    }
}

/// `header`: the `Authorization` line; for a DPoP-bound token also the proof for the
/// request (`--method`, `--url`).
pub async fn header(engine: &Engine, args: HeaderArgs) -> Result<(), CliError> {
    let account = which::pick(engine, args.account.as_deref())?;
    let target = target(&args.api)?;
    let tokens = fresh(engine, &account, target.as_ref(), args.min_valid).await?;
    let lifetime = Lifetime::of(tokens.issued_at, tokens.expires_at);
    lasting(&account, "tokens", lifetime, args.min_valid, args.strict)?;
    let request = args.url.as_deref().map(|u| (args.method.as_str(), u));
    output::line(&header_lines(&account, &tokens, request)?)
}

/// `--resource` and `--scope` as the token they ask for (`None`: the account's own).
pub fn target(api: &ApiArgs) -> Result<Option<Target>, CliError> {
    api.target().map_err(CliError::Usage)
}

/// `Authorization: Bearer <token>`, or for a DPoP-bound token `Authorization: DPoP
/// <token>` and `DPoP: <proof>` (RFC 9449 §7.1), which needs the request's method and URL.
pub fn header_lines(
    account: &str,
    tokens: &TokenSet,
    target: Option<(&str, &str)>,
) -> Result<String, CliError> {
    if !tokens.is_dpop() {
        return Ok(tokens.authorization_header());
    }
    let Some((method, url)) = target else {
        return Err(CliError::Usage(format!(
            "'{account}' holds a DPoP-bound token, which needs a proof for each request: pass the request, e.g. `tokdeck header {account} --method GET --url https://api.example/x`"
        )));
    };
    let method = method_of(method)?;
    let dpop = tokens
        .dpop_key
        .as_ref()
        .ok_or_else(|| {
            CliError::Failed(format!(
                "the DPoP key of '{account}' is missing from its store entry; run `tokdeck login {account}`"
            ))
        })
        .and_then(|key| {
            crate::oauth::dpop::Dpop::from_stored(key)
                .map_err(|m| CliError::Failed(format!("'{account}': {m}")))
        })?;
    let proof = dpop
        .proof(&method, url, Some(tokens.access_token.expose()))
        .map_err(CliError::Usage)?;
    Ok(format!(
        "{}\n{}: {proof}",
        tokens.authorization_header(),
        crate::oauth::dpop::HEADER
    ))
}

/// `--method` as a proof names it: upper case, an RFC 9110 §9.1 token (letters, digits
/// and !#$%&'*+-.^_`|~).
pub fn method_of(method: &str) -> Result<String, CliError> {
    let method = method.to_ascii_uppercase();
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if method.is_empty() || !method.bytes().all(tchar) {
        return Err(CliError::Usage(format!(
            "--method '{method}' is not an HTTP method (GET, POST, ...)"
        )));
    }
    Ok(method)
}

/// A DPoP-bound token alone is refused by servers: say how to get the proof too.
/// A credential helper (git, Docker) cannot send a DPoP proof with each request (RFC
/// 9449 §7): a DPoP-bound token given to it fails at the server with no reason said,
/// so it is refused here with the reason, as `export --format curl` refuses it.
pub fn refuse_dpop_for(tool: &str, account: &str, tokens: &TokenSet) -> Result<(), CliError> {
    if tokens.is_dpop() {
        return Err(CliError::Usage(format!(
            "account '{account}' holds a DPoP-bound token, which a server takes only with a proof of the account's key made for each request; {tool} cannot send one, so no token was given. Use an account without `dpop = true` for {tool}"
        )));
    }
    Ok(())
}

pub fn warn_dpop(account: &str, tokens: &TokenSet) {
    if tokens.is_dpop() {
        say!(
            "tokdeck: warning: '{account}' holds a DPoP-bound token: servers take it only with a proof of the account's key; `tokdeck header {account} --method GET --url URL` prints both headers"
        );
    }
}

pub async fn export(engine: &Engine, args: ExportArgs) -> Result<(), CliError> {
    let (format, shell) = (args.format, args.shell);
    super::export::check_shell(format, shell)?;
    let account = which::pick(engine, args.account.as_deref())?;
    let target = target(&args.api)?;
    let tokens = fresh(engine, &account, target.as_ref(), args.min_valid).await?;
    let provider = engine.account(&account)?.provider.name.clone();
    super::export::check(&account, &tokens, format)?;
    let text = super::export::render(&account, &provider, &tokens, format, shell);
    output::line(&text)
}

/// The validity a `--min-valid` asks for; none given: the routine ask, served until the
/// refresh point.
pub fn wanted(min_valid: Option<u64>) -> Duration {
    min_valid.map_or(Duration::ZERO, Duration::from_secs)
}

/// Says when the provider's tokens live shorter than the `--min-valid` the user gave: a
/// warning on stderr naming both lifetimes, or with `strict` the error (exit 4). Nothing
/// for the routine ask: the user asked for nothing to warn about.
pub fn lasting(
    account: &str,
    what: &str,
    lifetime: Lifetime,
    min_valid: Option<u64>,
    strict: bool,
) -> Result<(), CliError> {
    let Some(min_valid) = min_valid else {
        return Ok(());
    };
    let now = Utc::now();
    if lifetime.valid_for(now, Duration::from_secs(min_valid)) {
        return Ok(());
    }
    let left = lifetime.remaining(now).unwrap_or_default();
    let length = lifetime.length().unwrap_or_default();
    let asked = format!("--min-valid {min_valid}");
    let wanted = i64::try_from(min_valid)
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .unwrap_or(chrono::Duration::MAX);
    let message = if length >= wanted {
        // The provider's tokens are long enough: this one could not be refreshed (a
        // stall, said already), which is no statement about the provider's lifetimes.
        if !strict {
            return Ok(());
        }
        format!(
            "'{account}': this token is valid for {}, less than {asked}, and could not be refreshed",
            humanize::duration(left)
        )
    } else {
        format!(
            "'{account}': the provider issues {what} valid for {}, less than {asked}; this one is valid for {}",
            humanize::duration(length),
            humanize::duration(left)
        )
    };
    if strict {
        return Err(CliError::TooShort(format!(
            "{message} (--strict; without it the token is printed with a warning)"
        )));
    }
    say!("tokdeck: warning: {message}");
    Ok(())
}

/// `token --json`: the token and what a script wants to know about it.
async fn json(engine: &Engine, account: &str, tokens: &TokenSet, ask: Ask) -> String {
    let rfc3339 = |at: chrono::DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let now = Utc::now();
    // Who it is: from the record (an extra read, for this format only).
    let identity = match engine.load_bound(account).await {
        Ok(record) => record.and_then(|r| r.identity),
        Err(_) => None,
    };
    let mut value = serde_json::json!({
        "access_token": tokens.access_token.expose(),
        "token_type": tokens.token_type,
        // The promised expiry: tokdeck's routine refreshes never replace the token
        // before it (its refresh point).
        "expires_at": tokens.promised_expiry().map(rfc3339),
        "seconds_left": tokens.promised_expiry().map(|at| (at - now).num_seconds()),
        "scopes": tokens.scopes,
        "account": account,
        "identity": identity,
    });
    if ask.id_token
        && let Some(id) = &tokens.id_token
    {
        let lifetime = tokens.id_token_lifetime();
        value["id_token"] = id.expose().into();
        value["id_token_expires_at"] = lifetime.and_then(|l| l.refresh_point()).map(rfc3339).into();
    }
    value.to_string()
}

/// Tokens valid for `min_valid` seconds, with the store's and the refresh's warnings on
/// stderr (stdout carries only the token).
pub async fn fresh(
    engine: &Engine,
    account: &str,
    target: Option<&Target>,
    min_valid: Option<u64>,
) -> Result<TokenSet, CliError> {
    let fresh = engine.fresh_for(account, target, wanted(min_valid)).await?;
    Ok(output::with_warnings(engine, fresh))
}
