//! Tokens in the formats other tools read: env lines, JSON, curl, kubectl ExecCredential.

use super::args::ExportFormat;
use crate::oauth::TokenSet;
use crate::secret::Secret;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

/// Single-quoted for POSIX shells.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn render(account: &str, provider: &str, tokens: &TokenSet, format: ExportFormat) -> String {
    match format {
        ExportFormat::Env => {
            let mut lines = vec![
                format!("ACCESS_TOKEN={}", quote(tokens.access_token.expose())),
                format!("TOKEN_TYPE={}", quote(&tokens.token_type)),
            ];
            if let Some(id) = &tokens.id_token {
                lines.push(format!("ID_TOKEN={}", quote(id.expose())));
            }
            if let Some(at) = tokens.expires_at {
                lines.push(format!("TOKEN_EXPIRES_AT={}", quote(&rfc3339(at))));
            }
            lines.join("\n")
        }
        ExportFormat::Json => serde_json::to_string_pretty(&json!({
            "account": account,
            "provider": provider,
            "token_type": tokens.token_type,
            "access_token": tokens.access_token.expose(),
            "id_token": tokens.id_token.as_ref().map(Secret::expose),
            "refresh_token": tokens.refresh_token.as_ref().map(Secret::expose),
            "scopes": tokens.scopes,
            "issued_at": rfc3339(tokens.issued_at),
            "expires_at": tokens.expires_at.map(rfc3339),
        }))
        .unwrap_or_default(),
        ExportFormat::Curl => format!("-H {}", quote(&tokens.authorization_header())),
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
        TokenSet {
            access_token: Secret::new("at-1"),
            token_type: "Bearer".into(),
            refresh_token: Some(Secret::new("rt-1")),
            id_token: Some(Secret::new("id'1")),
            scopes: vec!["openid".into()],
            issued_at: at,
            expires_at: Some(at + chrono::Duration::seconds(300)),
        }
    }

    #[test]
    fn formats_are_exact() {
        assert_eq!(
            render("a", "p", &tokens(), ExportFormat::Env),
            "ACCESS_TOKEN='at-1'\nTOKEN_TYPE='Bearer'\nID_TOKEN='id'\\''1'\nTOKEN_EXPIRES_AT='2027-01-15T08:05:00Z'"
        );
        assert_eq!(
            render("a", "p", &tokens(), ExportFormat::Curl),
            "-H 'Authorization: Bearer at-1'"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render("a", "p", &tokens(), ExportFormat::Json)).expect("json");
        assert_eq!(json["refresh_token"], "rt-1");
        assert_eq!(json["expires_at"], "2027-01-15T08:05:00Z");
        assert_eq!(json["provider"], "p");
        assert_eq!(
            exec_credential(&Secret::new("at-1"), tokens().expires_at),
            r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"expirationTimestamp":"2027-01-15T08:05:00Z","token":"at-1"}}"#
        );
    }
}
