//! Token responses as providers send them, and the token set tokdeck keeps.

use super::lifetime::Lifetime;
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
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

/// RFC 6749 Appendix A (VSCHAR) and RFC 6750 §2.1 (b64token): a token tokdeck keeps or
/// hands out is non-empty printable ASCII without spaces. Anything else would break the
/// protocols it is handed to (a line break in git's credential protocol or an HTTP
/// header adds lines), so it is refused; the error names the field and its length,
/// never its value.
pub fn check_token(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("the {field} is empty"));
    }
    if let Some(at) = value.bytes().position(|b| !(0x21..=0x7e).contains(&b)) {
        return Err(format!(
            "the {field} ({} bytes) holds a character that is not printable ASCII (a space, a control character or non-ASCII) at byte {at}",
            value.len()
        ));
    }
    Ok(())
}

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

/// The tokens of one account, with absolute times computed from the local clock when
/// the response arrived (not from the JWT's `exp`, which a skewed provider clock distorts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: Secret,
    pub token_type: String,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    /// Granted scopes (the requested ones when the provider does not say).
    pub scopes: Vec<String>,
    pub issued_at: DateTime<Utc>,
    /// `None`: the provider gave no lifetime (such tokens are valid until revoked).
    pub expires_at: Option<DateTime<Utc>>,
    /// The DPoP key the tokens are bound to (RFC 9449), PKCS#8 base64url; kept with
    /// them, never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_key: Option<Secret>,
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

    /// Time left; negative once expired, `None` when the lifetime is unknown.
    pub fn remaining(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.expires_at.map(|at| at - now)
    }

    /// True when less than `window` is left, or less than a fifth of the lifetime when
    /// that is shorter (a fresh 5-minute token is not "expiring").
    pub fn expiring(&self, now: DateTime<Utc>, window: Duration) -> bool {
        let Some(left) = self.remaining(now) else {
            return false;
        };
        let lifetime = self
            .expires_at
            .map(|at| at - self.issued_at)
            .unwrap_or_default();
        let threshold = chrono::Duration::from_std(window)
            .unwrap_or_default()
            .min(lifetime / 5);
        left < threshold
    }

    /// Why these tokens must not be handed out, read back from a store or cache that
    /// may have been edited (see [`check_token`]): `None` when they are fine.
    pub fn unusable(&self) -> Option<String> {
        check_token("access_token", self.access_token.expose())
            .and_then(
                |()| match self.id_token.as_ref().filter(|t| !t.is_empty()) {
                    Some(id) => check_token("id_token", id.expose()),
                    None => Ok(()),
                },
            )
            .err()
    }

    /// True for a DPoP-bound access token (RFC 9449 §5: `token_type` DPoP), which every
    /// request must present with a proof of the key.
    pub fn is_dpop(&self) -> bool {
        self.token_type.eq_ignore_ascii_case("dpop")
    }

    /// `Authorization: Bearer …` or `Authorization: DPoP …` (token responses of other
    /// types are refused at the token endpoint, RFC 6749 §7.1).
    pub fn authorization_header(&self) -> String {
        let scheme = if self.is_dpop() { "DPoP" } else { "Bearer" };
        format!("Authorization: {scheme} {}", self.access_token.expose())
    }

    /// True when the access token stays valid for at least `min_valid` from `now`.
    pub fn valid_for(&self, now: DateTime<Utc>, min_valid: Duration) -> bool {
        match self.remaining(now) {
            None => true,
            Some(left) => {
                left.num_milliseconds() > i64::try_from(min_valid.as_millis()).unwrap_or(i64::MAX)
            }
        }
    }

    /// True when the access token is as good as asked for: valid for `min_valid`, or,
    /// when the provider issues no token that long, as fresh as its tokens come (see
    /// [`Lifetime::fresh_enough`]). A refresh could not do better.
    pub fn fresh_enough(&self, now: DateTime<Utc>, min_valid: Duration) -> bool {
        self.lifetime().fresh_enough(now, min_valid)
    }

    pub fn lifetime(&self) -> Lifetime {
        Lifetime::of(self.issued_at, self.expires_at)
    }

    /// The moment tokdeck's routine refreshes may replace this token (see
    /// [`Lifetime::refresh_point`]): the expiry tokdeck tells tools and scripts.
    pub fn promised_expiry(&self) -> Option<DateTime<Utc>> {
        self.lifetime().refresh_point()
    }

    /// The ID token's issue and expiry times (`iat`, `exp`), when it has both.
    pub fn id_token_lifetime(&self) -> Option<Lifetime> {
        let claims = crate::jwt::claims(self.id_token.as_ref()?.expose())?;
        let exp = crate::jwt::time_claim(&claims, "exp")?;
        let iat = crate::jwt::time_claim(&claims, "iat").unwrap_or(self.issued_at);
        Some(Lifetime::of(iat, Some(exp)))
    }
}

/// Beyond this, a JWT's `exp` and the response's `expires_in` disagree enough to mention.
pub const SKEW_WARNING: chrono::Duration = chrono::Duration::seconds(60);

impl TokenSet {
    /// Seconds by which the access token's own `exp` claim differs from the expiry
    /// computed from `expires_in` and the local clock, when more than a minute: a sign
    /// that the provider's clock or ours is off. Expiry always follows `expires_in`.
    pub fn exp_skew(&self) -> Option<i64> {
        let expires_at = self.expires_at?;
        let claims = crate::jwt::claims(self.access_token.expose())?;
        let exp = crate::jwt::time_claim(&claims, "exp")?;
        let skew = exp - expires_at;
        (skew.num_seconds().abs() > SKEW_WARNING.num_seconds()).then_some(skew.num_seconds())
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
