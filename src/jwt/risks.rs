//! What makes a token suspicious whatever its signature says: header fields (`alg:
//! none`, keys named by the token itself, unknown `crit` extensions, a `kid` missing
//! from the keys) and times (expired, not yet valid).

use super::verify::Jwks;
use serde_json::Value;

/// Header fields that deserve a warning whatever the signature says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Risk {
    /// `alg: none`: anyone can forge it.
    AlgNone,
    /// `jku`, `x5u`, `jwk` or `x5c`: the token names or carries its own key.
    KeyFromToken(String),
    /// HMAC from a provider that publishes public keys: a classic key-confusion attack.
    HmacFromPublicKeyProvider(String),
    /// `crit` lists extensions tokdeck does not understand (RFC 7515 §4.1.11).
    UnknownCritical(Vec<String>),
    /// The `kid` is not in the provider's JWKS.
    KidNotInJwks(String),
    /// `exp` is in the past (the humanized time).
    Expired(String),
    /// A time claim that is no NumericDate (the claim, its value as written).
    MalformedTime(&'static str, String),
    /// `nbf` is in the future (the humanized time).
    NotYetValid(String),
    /// `iss` names another issuer than the one whose keys were asked for (the token's,
    /// the one expected): its keys cannot be these.
    OtherIssuer { token: String, expected: String },
}

impl Risk {
    pub fn describe(&self) -> String {
        match self {
            Self::AlgNone => "alg none: unsigned, anyone could have written it".into(),
            Self::KeyFromToken(field) => {
                format!(
                    "header '{field}': the token chooses its own verification key; never trust that key"
                )
            }
            Self::HmacFromPublicKeyProvider(alg) => format!(
                "alg {alg} (HMAC) although the provider publishes public keys: possible key-confusion forgery"
            ),
            Self::UnknownCritical(names) => {
                format!("crit lists unknown extensions: {}", names.join(", "))
            }
            Self::KidNotInJwks(kid) => format!("kid '{kid}' is not in the provider's JWKS"),
            Self::Expired(when) => format!("expired: exp {when}"),
            Self::MalformedTime(claim, value) => format!(
                "{claim} is {value}, not a NumericDate (seconds since 1970, RFC 7519 §2): when the token is valid cannot be known"
            ),
            Self::NotYetValid(when) => format!("not valid yet: nbf {when}"),
            Self::OtherIssuer { token, expected } => format!(
                "issued by '{}', not by '{}' whose keys were asked for: the issuers differ",
                crate::printable::printable(token),
                expected
            ),
        }
    }

    /// Short machine-readable name (`tokdeck decode`'s `"risks"`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::AlgNone => "alg_none",
            Self::KeyFromToken(_) => "key_from_token",
            Self::HmacFromPublicKeyProvider(_) => "hmac_with_public_keys",
            Self::UnknownCritical(_) => "unknown_crit",
            Self::KidNotInJwks(_) => "kid_not_in_jwks",
            Self::Expired(_) => "expired",
            Self::MalformedTime(..) => "malformed_time",
            Self::NotYetValid(_) => "not_yet_valid",
            Self::OtherIssuer { .. } => "other_issuer",
        }
    }
}

/// The risky parts of a JWS header; `jwks` adds the checks that need the provider's keys.
pub fn risks(header: &Value, jwks: Option<&Jwks>) -> Vec<Risk> {
    let mut found = Vec::new();
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg.eq_ignore_ascii_case("none") {
        found.push(Risk::AlgNone);
    }
    for field in ["jku", "x5u", "jwk", "x5c"] {
        if header.get(field).is_some() {
            found.push(Risk::KeyFromToken(field.to_string()));
        }
    }
    if let Some(crit) = header.get("crit") {
        // tokdeck understands no JWS extensions, so every critical one is unknown to it.
        let names: Vec<String> = match crit {
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().unwrap_or("?").to_string())
                .collect(),
            other => vec![other.to_string()],
        };
        found.push(Risk::UnknownCritical(names));
    }
    if let Some(jwks) = jwks {
        if alg.starts_with("HS") && jwks.has_public_keys() {
            found.push(Risk::HmacFromPublicKeyProvider(alg.to_string()));
        }
        if let Some(kid) = header.get("kid").and_then(Value::as_str)
            && !jwks.has_kid(kid)
        {
            found.push(Risk::KidNotInJwks(kid.to_string()));
        }
    }
    found
}

/// Time claims that make the token unusable now (no leeway: this is a report).
pub fn time_risks(claims: &Value, now: chrono::DateTime<chrono::Utc>) -> Vec<Risk> {
    let Value::Object(map) = claims else {
        return Vec::new();
    };
    let mut found: Vec<Risk> = ["exp", "nbf", "iat"]
        .into_iter()
        .filter_map(|claim| {
            crate::jwt::numeric_date(map, claim)
                .err()
                .map(|value| Risk::MalformedTime(claim, value))
        })
        .collect();
    if let Some(exp) = crate::jwt::time_claim(map, "exp")
        && exp <= now
    {
        found.push(Risk::Expired(crate::humanize::instant(exp, now)));
    }
    if let Some(nbf) = crate::jwt::time_claim(map, "nbf")
        && nbf > now
    {
        found.push(Risk::NotYetValid(crate::humanize::instant(nbf, now)));
    }
    found
}
