//! Token responses as providers send them, and the token set made of one.

use crate::secret::Secret;
use crate::token::{TokenSet, check_token};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// RFC 6749 §5.1 access token response (plus OIDC's `id_token`).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: Secret,
    #[serde(default = "bearer")]
    pub token_type: String,
    /// Seconds; some providers send it as a string, some not at all.
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub expires_in: Option<u64>,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    pub scope: Option<String>,
}

fn bearer() -> String {
    "Bearer".to_string()
}

fn lenient_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Float(f64),
        Text(String),
    }
    let seconds = match Option::<Raw>::deserialize(d)? {
        None => return Ok(None),
        Some(Raw::Int(n)) => n,
        Some(Raw::Float(f)) if f.is_finite() && f < 0.0 => {
            return Err(serde::de::Error::custom(format!(
                "expires_in is negative ({f})"
            )));
        }
        Some(Raw::Float(f)) if f.is_finite() => f as i64,
        Some(Raw::Float(_)) => {
            return Err(serde::de::Error::custom(
                "expires_in is not a finite number",
            ));
        }
        Some(Raw::Text(s)) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| serde::de::Error::custom("expires_in is not a number of seconds"))?,
    };
    if seconds < 0 {
        return Err(serde::de::Error::custom(format!(
            "expires_in is negative ({seconds})"
        )));
    }
    Ok(Some(seconds as u64))
}

/// The longest lifetime taken from a server's `expires_in`: a larger number (or one
/// that would overflow a date) is read as this, and logged. Ten years is past any real
/// token's life; a token that claims more is still refreshed when the provider says no.
pub const MAX_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// Every token of a response, checked with [`check_token`].
pub(crate) fn check_response(response: &TokenResponse) -> Result<(), String> {
    check_token("access_token", response.access_token.expose())?;
    for (field, token) in [
        ("refresh_token", &response.refresh_token),
        ("id_token", &response.id_token),
    ] {
        // An empty refresh or ID token is read as none (see `from_response`).
        if let Some(token) = token.as_ref().filter(|t| !t.is_empty()) {
            check_token(field, token.expose())?;
        }
    }
    Ok(())
}

/// `now` plus a server's `expires_in`, capped at [`MAX_LIFETIME`].
fn expiry(now: DateTime<Utc>, seconds: u64) -> DateTime<Utc> {
    if seconds > MAX_LIFETIME.as_secs() {
        log::warn!(
            "the provider says its token lives {seconds} s; read as {} s (ten years)",
            MAX_LIFETIME.as_secs()
        );
    }
    let capped = seconds.min(MAX_LIFETIME.as_secs()) as i64;
    now.checked_add_signed(chrono::Duration::seconds(capped))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl TokenSet {
    pub fn from_response(
        response: TokenResponse,
        requested: &[String],
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            expires_at: response.expires_in.map(|s| expiry(now, s)),
            scopes: response
                .scope
                .as_deref()
                .map(split_scopes)
                .unwrap_or_else(|| requested.to_vec()),
            access_token: response.access_token,
            token_type: response.token_type,
            refresh_token: response.refresh_token.filter(|t| !t.is_empty()),
            id_token: response.id_token.filter(|t| !t.is_empty()),
            issued_at: now,
            dpop_key: None,
        }
    }

    /// The set after a refresh: a provider that does not rotate the refresh token, or
    /// sends no new ID token, leaves the old ones in place (RFC 6749 §6).
    pub fn refreshed(&self, response: TokenResponse, now: DateTime<Utc>) -> Self {
        let mut next = Self::from_response(response, &self.scopes, now);
        // What is kept from before must pass the checks new tokens pass (a store edited
        // by hand could hold anything), or it would be served again and again.
        let sound = |field: &str, token: &Option<Secret>| {
            token
                .clone()
                .filter(|t| check_token(field, t.expose()).is_ok())
        };
        if next.refresh_token.is_none() {
            next.refresh_token = sound("refresh_token", &self.refresh_token);
        }
        if next.id_token.is_none() {
            next.id_token = sound("id_token", &self.id_token);
        }
        next.dpop_key = self.dpop_key.clone();
        next
    }
}

pub fn split_scopes(scope: &str) -> Vec<String> {
    scope.split_whitespace().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(json: &str) -> TokenResponse {
        serde_json::from_str(json).expect("valid response")
    }

    #[test]
    fn server_numbers_never_overflow_a_date() {
        for expires_in in [
            "1e30",
            "9223372036854775807",
            "18446744073709551615",
            "\"999999999999999999999\"",
        ] {
            let text = format!(
                r#"{{"access_token":"a","token_type":"Bearer","expires_in":{expires_in}}}"#
            );
            let Ok(r) = serde_json::from_str::<TokenResponse>(&text) else {
                continue; // refused as no number of seconds: no overflow either
            };
            let now = at(1_000_000);
            let set = TokenSet::from_response(r.clone(), &[], now);
            assert_eq!(
                set.expires_at.map(|e| (e - now).num_seconds()),
                Some(MAX_LIFETIME.as_secs() as i64),
                "{expires_in}"
            );
            let late = TokenSet::from_response(r, &[], DateTime::<Utc>::MAX_UTC);
            assert_eq!(late.expires_at, Some(DateTime::<Utc>::MAX_UTC));
        }
    }

    #[test]
    fn tokens_must_be_printable_ascii_without_spaces() {
        assert!(check_token("access_token", "eyJ.a-b_c~d+e/f==").is_ok());
        for bad in ["", "a b", "a\nb", "a\r\nusername=x", "caf\u{e9}", "a\x7f"] {
            let e = check_token("access_token", bad).expect_err(bad);
            assert!(e.contains("access_token"), "{e}");
            assert!(bad.is_empty() || !e.contains(bad), "never the value: {e}");
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("timestamp")
    }

    #[test]
    fn expiry_comes_from_expires_in_and_the_local_clock() {
        let set = TokenSet::from_response(
            response(
                r#"{"access_token":"a","token_type":"Bearer","expires_in":300,"scope":"openid email"}"#,
            ),
            &[],
            at(1_000),
        );
        assert_eq!(set.expires_at, Some(at(1_300)));
        assert_eq!(set.scopes, vec!["openid", "email"]);
        assert!(set.valid_for(at(1_000), Duration::from_secs(299)));
        assert!(!set.valid_for(at(1_000), Duration::from_secs(300)));
    }

    #[test]
    fn skew_between_exp_and_expires_in_is_reported_beyond_a_minute() {
        use base64::Engine;
        let jwt = |exp: i64| {
            let enc = |s: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
            format!(
                "{}.{}.sig",
                enc(r#"{"alg":"RS256"}"#.into()),
                enc(format!(r#"{{"exp":{exp}}}"#))
            )
        };
        let set = |exp: i64| {
            TokenSet::from_response(
                response(&format!(
                    r#"{{"access_token":"{}","expires_in":300}}"#,
                    jwt(exp)
                )),
                &[],
                at(1_000),
            )
        };
        assert_eq!(set(1_300).exp_skew(), None);
        assert_eq!(set(1_350).exp_skew(), None, "within a minute");
        assert_eq!(
            set(1_500).exp_skew(),
            Some(200),
            "provider clock 200 s ahead"
        );
        assert_eq!(set(1_000).exp_skew(), Some(-300));
    }

    #[test]
    fn lenient_expires_in() {
        assert_eq!(
            response(r#"{"access_token":"a","expires_in":"3600"}"#).expires_in,
            Some(3600)
        );
        let negative =
            serde_json::from_str::<TokenResponse>(r#"{"access_token":"a","expires_in":-5}"#);
        assert!(
            negative
                .expect_err("negative")
                .to_string()
                .contains("expires_in is negative (-5)")
        );
        assert_eq!(response(r#"{"access_token":"a"}"#).expires_in, None);
        assert_eq!(response(r#"{"access_token":"a"}"#).token_type, "Bearer");
    }

    #[test]
    fn no_expiry_means_valid_until_revoked() {
        let set = TokenSet::from_response(
            response(r#"{"access_token":"gho_x"}"#),
            &["repo".into()],
            at(0),
        );
        assert_eq!(set.expires_at, None);
        assert_eq!(set.scopes, vec!["repo"]);
        assert!(set.valid_for(at(10_000_000), Duration::from_secs(60)));
    }

    #[test]
    fn refresh_keeps_old_refresh_token_unless_rotated() {
        let first = TokenSet::from_response(
            response(
                r#"{"access_token":"a1","refresh_token":"r1","id_token":"i1","expires_in":60}"#,
            ),
            &[],
            at(0),
        );
        let kept = first.refreshed(response(r#"{"access_token":"a2","expires_in":60}"#), at(50));
        assert_eq!(kept.refresh_token.as_ref().map(Secret::expose), Some("r1"));
        assert_eq!(kept.id_token.as_ref().map(Secret::expose), Some("i1"));
        let rotated = first.refreshed(
            response(r#"{"access_token":"a3","refresh_token":"r2","expires_in":60}"#),
            at(50),
        );
        assert_eq!(
            rotated.refresh_token.as_ref().map(Secret::expose),
            Some("r2")
        );
        assert_eq!(rotated.expires_at, Some(at(110)));
    }
}
