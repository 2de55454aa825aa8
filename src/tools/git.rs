//! git's credential-helper protocol (gitcredentials(7), git-credential(1)): the request
//! git sends, which account's `urls` claims its URL (the longest prefix), and the answer.
//! Pure: `cli/git.rs` reads stdin, gets the tokens and prints.

use crate::config::Config;
use crate::token::TokenSet;
use std::collections::BTreeMap;
use std::io::{BufRead, Read};

/// What git tells a helper: `key=value` lines, `capability[]` collected.
#[derive(Debug, Default)]
pub struct Request {
    pub fields: BTreeMap<String, String>,
    pub capabilities: Vec<String>,
}

impl Request {
    /// Reads the request from `input` up to a blank line or the end (at most 64 KiB).
    pub fn read(input: impl Read) -> Result<Self, String> {
        let mut request = Self::default();
        for line in std::io::BufReader::new(input.take(64 * 1024)).lines() {
            let line = line.map_err(|e| format!("cannot read git's request: {e}"))?;
            if line.is_empty() {
                break;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if key == "capability[]" {
                request.capabilities.push(value.to_string());
            } else {
                request.fields.insert(key.to_string(), value.to_string());
            }
        }
        Ok(request)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// `protocol://host/path/` as the accounts' `urls` are written, and whether git
    /// gave a path (with `credential.useHttpPath`).
    pub fn url(&self) -> Option<(String, bool)> {
        let protocol = self.get("protocol")?;
        let host = self.get("host")?;
        let path = self
            .get("path")
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty());
        let url = match path {
            Some(path) => format!("{protocol}://{}/{path}/", host.to_ascii_lowercase()),
            None => format!("{protocol}://{}/", host.to_ascii_lowercase()),
        };
        Some((url, path.is_some()))
    }
}

/// The account whose `urls` holds the longest prefix of `url`; without a path from git
/// only host-wide entries match. Two accounts with the same longest entry are an error.
pub fn account_for<'c>(
    config: &'c Config,
    url: &str,
    has_path: bool,
) -> Result<Option<&'c str>, String> {
    let mut best: Option<(usize, &str)> = None;
    let mut tie: Option<&str> = None;
    for account in config.accounts.values() {
        for prefix in &account.urls {
            let host_wide = prefix.matches('/').count() == 3;
            if !url.starts_with(prefix.as_str()) || (!has_path && !host_wide) {
                continue;
            }
            match best {
                Some((len, _)) if len > prefix.len() => {}
                Some((len, other)) if len == prefix.len() && other != account.name => {
                    tie = Some(account.name.as_str());
                }
                _ => {
                    best = Some((prefix.len(), &account.name));
                    tie = None;
                }
            }
        }
    }
    match (best, tie) {
        (Some((_, a)), Some(b)) => Err(format!(
            "accounts '{a}' and '{b}' both claim {url} in their `urls`; make one entry longer"
        )),
        (best, _) => Ok(best.map(|(_, name)| name)),
    }
}

/// The user name git and Docker send with the token: the account's `git_username`,
/// else the host's convention.
pub fn username(account: &crate::config::Account) -> String {
    if let Some(name) = &account.git_username {
        return name.clone();
    }
    match account.provider.preset.as_deref() {
        Some("github") => "x-access-token",
        _ => "oauth2",
    }
    .to_string()
}

/// The answer to `get` (git-credential(1) "OUTPUT FORMAT"): the token as a Bearer
/// credential when git can take one (`capability[]=authtype`, git 2.46), else as the
/// password of `username`; with the expiry tokdeck promises (no routine refresh replaces
/// the token before it).
pub fn answer(request: &Request, username: &str, tokens: &TokenSet) -> Vec<String> {
    let mut answer = Vec::new();
    if request.capabilities.iter().any(|c| c == "authtype") {
        answer.push("capability[]=authtype".to_string());
        // Token responses of other types are refused at the token endpoint.
        answer.push("authtype=Bearer".to_string());
        answer.push(format!("credential={}", tokens.access_token.expose()));
        // git must not hand this to storing helpers: tokdeck keeps it fresh itself.
        answer.push("ephemeral=1".to_string());
    } else {
        answer.push(format!("username={username}"));
        answer.push(format!("password={}", tokens.access_token.expose()));
    }
    if let Some(at) = tokens.promised_expiry() {
        answer.push(format!("password_expiry_utc={}", at.timestamp()));
    }
    answer
}

/// Whether git's `erase` rejects `tokens` (the credential it was given), rather than a
/// token tokdeck no longer holds.
pub fn rejects(request: &Request, tokens: &TokenSet) -> bool {
    request
        .get("credential")
        .or_else(|| request.get("password"))
        == Some(tokens.access_token.expose())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Request {
        Request::read(text.as_bytes()).expect("request")
    }

    #[test]
    fn the_request_gives_the_url_as_accounts_write_it() {
        let r = request(
            "protocol=https\nhost=GitLab.Example.com\npath=acme/tools.git\ncapability[]=authtype\n\nignored=1\n",
        );
        assert_eq!(
            r.url(),
            Some((
                "https://gitlab.example.com/acme/tools.git/".to_string(),
                true
            ))
        );
        assert_eq!(r.capabilities, ["authtype"]);
        assert_eq!(r.get("ignored"), None);
        let host_only = request("protocol=https\nhost=example.com\n");
        assert_eq!(
            host_only.url(),
            Some(("https://example.com/".to_string(), false))
        );
    }

    #[test]
    fn the_answer_is_a_bearer_credential_when_git_takes_one_else_a_password() {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("ts");
        let tokens = TokenSet::bearer("tok", at).expiring_at(at + chrono::Duration::seconds(3600));
        let bearer = answer(&request("capability[]=authtype\n"), "oauth2", &tokens);
        assert_eq!(
            &bearer[..4],
            [
                "capability[]=authtype",
                "authtype=Bearer",
                "credential=tok",
                "ephemeral=1"
            ]
        );
        let basic = answer(&request("protocol=https\n"), "oauth2", &tokens);
        assert_eq!(&basic[..2], ["username=oauth2", "password=tok"]);
        assert!(basic[2].starts_with("password_expiry_utc="), "{basic:?}");
        assert!(rejects(&request("password=tok\n"), &tokens));
        assert!(!rejects(&request("password=older\n"), &tokens));
    }
}
