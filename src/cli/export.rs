//! Tokens in the formats other tools read: shell variables, env files, JSON, a curl
//! config, a kubectl ExecCredential. Each is made for the command that reads it (README,
//! "Export formats").

use super::args::{ExportFormat, Shell};
use super::error::CliError;
use crate::secret::Secret;
use crate::token::TokenSet;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

/// Single-quoted for POSIX shells: nothing inside is expanded.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Single-quoted for fish, where `\\` and `\'` are the only escapes inside.
fn fish_quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A double-quoted curl config value (curl's `-K` syntax: `\\` and `\"` escaped).
fn curl_quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The variables `env` and `dotenv` set, in order.
fn variables(tokens: &TokenSet) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("ACCESS_TOKEN", tokens.access_token.expose().to_string()),
        ("TOKEN_TYPE", tokens.token_type.clone()),
    ];
    if let Some(id) = &tokens.id_token {
        vars.push(("ID_TOKEN", id.expose().to_string()));
    }
    // The expiry tokdeck promises: its routine refreshes never replace the token
    // before it (see `Lifetime::refresh_point`).
    if let Some(at) = tokens.promised_expiry() {
        vars.push(("TOKEN_EXPIRES_AT", rfc3339(at)));
    }
    vars
}

/// The variable whose value holds a line break, which an env file cannot carry.
pub fn line_break_in(tokens: &TokenSet) -> Option<&'static str> {
    variables(tokens)
        .into_iter()
        .find(|(_, v)| v.contains(['\n', '\r']))
        .map(|(name, _)| name)
}

/// `--shell` goes with `--format env` only.
pub fn check_shell(format: ExportFormat, shell: Shell) -> Result<(), CliError> {
    if shell != Shell::Posix && format != ExportFormat::Env {
        return Err(CliError::Usage(
            "--shell goes with --format env (the other formats are the same for every shell)"
                .into(),
        ));
    }
    Ok(())
}

/// What a format cannot carry: a DPoP-bound token in a curl config (it needs a proof per
/// request), a line break in an env file.
pub fn check(account: &str, tokens: &TokenSet, format: ExportFormat) -> Result<(), CliError> {
    if format == ExportFormat::Curl && tokens.is_dpop() {
        return Err(CliError::Usage(format!(
            "'{account}' holds a DPoP-bound token, which needs a proof per request that a curl config cannot hold; use `curl -H @<(tokdeck header {account} --method GET --url URL) URL`"
        )));
    }
    if format == ExportFormat::Dotenv
        && let Some(name) = line_break_in(tokens)
    {
        return Err(CliError::Failed(format!(
            "{name} of '{account}' holds a line break, which an env file cannot carry; use --format env or --format json"
        )));
    }
    Ok(())
}

pub fn render(
    account: &str,
    provider: &str,
    tokens: &TokenSet,
    format: ExportFormat,
    shell: Shell,
) -> String {
    let lines = |line: &dyn Fn(&str, &str) -> String| {
        variables(tokens)
            .iter()
            .map(|(name, value)| line(name, value))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // A variable this token set has none of is unset, so that an ID_TOKEN left by an
    // earlier eval for another account does not pass as this one's.
    let unset: Vec<&str> = ["ID_TOKEN", "TOKEN_EXPIRES_AT"]
        .into_iter()
        .filter(|name| !variables(tokens).iter().any(|(n, _)| n == name))
        .collect();
    let with_unset = |text: String, how: &str| {
        unset
            .iter()
            .fold(text, |text, name| format!("{text}\n{how} {name}"))
    };
    match format {
        ExportFormat::Env => match shell {
            Shell::Posix => with_unset(lines(&|n, v| format!("export {n}={}", quote(v))), "unset"),
            Shell::Fish => with_unset(
                lines(&|n, v| format!("set -gx {n} {}", fish_quote(v))),
                "set -e",
            ),
        },
        // Docker's env-file and dotenv loaders take the value literally, to the end of
        // the line: no quotes. Tokens hold no line break (RFC 6749 §A.12, the JWT
        // compact form); `export` refuses one that does ([`line_break_in`]).
        ExportFormat::Dotenv => lines(&|n, v| format!("{n}={v}")),
        ExportFormat::Json => serde_json::to_string_pretty(&json!({
            "account": account,
            "provider": provider,
            "token_type": tokens.token_type,
            "access_token": tokens.access_token.expose(),
            "id_token": tokens.id_token.as_ref().map(Secret::expose),
            "refresh_token": tokens.refresh_token.as_ref().map(Secret::expose),
            "scopes": tokens.scopes,
            "issued_at": rfc3339(tokens.issued_at),
            "expires_at": tokens.promised_expiry().map(rfc3339),
        }))
        .unwrap_or_default(),
        ExportFormat::Curl => format!("header = {}", curl_quote(&tokens.authorization_header())),
    }
}

/// A `client.authentication.k8s.io/v1` ExecCredential (what kubelogin prints).
pub fn exec_credential(token: &Secret, expires_at: Option<DateTime<Utc>>) -> String {
    let mut status = json!({ "token": token.expose() });
    if let Some(at) = expires_at {
        status["expirationTimestamp"] = json!(rfc3339(at));
    }
    json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": status,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> TokenSet {
        let at = DateTime::from_timestamp(1_800_000_000, 0).expect("ts");
        TokenSet::bearer("at-1", at)
            .with_refresh_token("rt-1")
            .with_id_token("id'1")
            .with_scopes(&["openid"])
            .expiring_at(at + chrono::Duration::seconds(300))
    }

    #[test]
    fn formats_are_exact() {
        let render = |format, shell| render("a", "p", &tokens(), format, shell);
        // The expiry told is the promised one: the refresh point, 60 s (plus a jitter
        // of up to 6 s) before the provider's 08:05:00.
        let promised = rfc3339(tokens().promised_expiry().expect("promised"));
        assert!(
            ("2027-01-15T08:03:54Z"..="2027-01-15T08:04:00Z").contains(&promised.as_str()),
            "{promised}"
        );
        assert_eq!(
            render(ExportFormat::Env, Shell::Posix),
            format!(
                "export ACCESS_TOKEN='at-1'\nexport TOKEN_TYPE='Bearer'\nexport ID_TOKEN='id'\\''1'\nexport TOKEN_EXPIRES_AT='{promised}'"
            )
        );
        assert_eq!(
            render(ExportFormat::Env, Shell::Fish),
            format!(
                "set -gx ACCESS_TOKEN 'at-1'\nset -gx TOKEN_TYPE 'Bearer'\nset -gx ID_TOKEN 'id\\'1'\nset -gx TOKEN_EXPIRES_AT '{promised}'"
            )
        );
        assert_eq!(
            render(ExportFormat::Dotenv, Shell::Posix),
            format!(
                "ACCESS_TOKEN=at-1\nTOKEN_TYPE=Bearer\nID_TOKEN=id'1\nTOKEN_EXPIRES_AT={promised}"
            )
        );
        assert_eq!(
            render(ExportFormat::Curl, Shell::Posix),
            "header = \"Authorization: Bearer at-1\""
        );
        assert_eq!(curl_quote(r#"a"b\c"#), r#""a\"b\\c""#);
        let mut without_id = tokens();
        without_id.id_token = None;
        let env = super::render("a", "p", &without_id, ExportFormat::Env, Shell::Posix);
        assert!(env.ends_with("\nunset ID_TOKEN"), "{env}");
        let fish = super::render("a", "p", &without_id, ExportFormat::Env, Shell::Fish);
        assert!(fish.ends_with("\nset -e ID_TOKEN"), "{fish}");
        assert_eq!(fish_quote(r"a\b'c"), r"'a\\b\'c'");
        let json: serde_json::Value =
            serde_json::from_str(&render(ExportFormat::Json, Shell::Posix)).expect("json");
        assert_eq!(json["refresh_token"], "rt-1");
        assert_eq!(json["expires_at"], promised.as_str());
        assert_eq!(json["provider"], "p");
        assert_eq!(
            exec_credential(&Secret::new("at-1"), tokens().expires_at),
            r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"at-1","expirationTimestamp":"2027-01-15T08:05:00Z"}}"#
        );
    }
}
