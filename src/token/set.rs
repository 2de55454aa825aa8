//! The tokens tokdeck keeps for an account, and what makes a token one tokdeck hands out.

use super::lifetime::Lifetime;
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

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

impl TokenSet {
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

impl TokenSet {
    /// The access token alone, as a token per API is kept: its refresh and ID tokens
    /// belong to the account's own set.
    pub fn access_only(self) -> Self {
        Self {
            refresh_token: None,
            id_token: None,
            ..self
        }
    }

    /// The set bound to this DPoP key (`None`: to none).
    pub fn with_dpop_key(mut self, key: Option<Secret>) -> Self {
        self.dpop_key = key;
        self
    }
}

/// Sets made by hand (tests, benches, examples): start with [`TokenSet::bearer`] and add
/// what the set holds. Sets from a provider are made by `oauth` from its response.
impl TokenSet {
    /// A Bearer access token issued at `issued_at`, with no refresh or ID token, no
    /// scopes, no expiry and no DPoP key.
    pub fn bearer(access_token: impl Into<String>, issued_at: DateTime<Utc>) -> Self {
        Self {
            access_token: Secret::new(access_token),
            token_type: "Bearer".to_string(),
            refresh_token: None,
            id_token: None,
            scopes: Vec::new(),
            issued_at,
            expires_at: None,
            dpop_key: None,
        }
    }

    /// The set with this refresh token.
    pub fn with_refresh_token(mut self, token: impl Into<String>) -> Self {
        self.refresh_token = Some(Secret::new(token));
        self
    }

    /// The set with this ID token.
    pub fn with_id_token(mut self, token: impl Into<String>) -> Self {
        self.id_token = Some(Secret::new(token));
        self
    }

    /// The set with these granted scopes.
    pub fn with_scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = scopes.iter().map(|s| s.to_string()).collect();
        self
    }

    /// The set expiring at `at` (`None`: no lifetime given).
    pub fn expiring_at(mut self, at: impl Into<Option<DateTime<Utc>>>) -> Self {
        self.expires_at = at.into();
        self
    }
}
