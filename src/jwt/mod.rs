//! JWTs (RFC 7519): decoding for display, and — separately, in [`verify`] — checking
//! signatures against a provider's JWKS. Decoding alone never trusts a token.

pub mod explain;
pub mod validate;
pub mod verify;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Claims whose values are NumericDate seconds (RFC 7519 §2, OIDC Core §2).
pub const TIME_CLAIMS: &[&str] = &["exp", "nbf", "iat", "auth_time", "updated_at"];

/// What a token string turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// A JWS compact serialization with a JSON header and claims.
    Jwt { header: Value, claims: Value },
    /// A JWE (five segments): only the header is readable.
    Encrypted { header: Value },
    /// Not a JWT: a reference token only the provider can read.
    Opaque,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token's {part} is not base64url-encoded JSON: {reason}")]
    BadSegment { part: &'static str, reason: String },
}

/// Decodes without verifying. A string that does not look like a JWT at all is `Opaque`,
/// not an error; a JWT whose claims cannot be read is an error.
pub fn decode(token: &str) -> Result<Decoded, JwtError> {
    let token = token.trim();
    let parts: Vec<&str> = token.split('.').collect();
    if !(parts.len() == 3 || parts.len() == 5) {
        return Ok(Decoded::Opaque);
    }
    let Ok(header) = segment_json(parts[0], "header") else {
        return Ok(Decoded::Opaque);
    };
    if !header.get("alg").is_some_and(Value::is_string) {
        return Ok(Decoded::Opaque);
    }
    if parts.len() == 5 {
        return Ok(Decoded::Encrypted { header });
    }
    let claims = segment_json(parts[1], "payload")?;
    Ok(Decoded::Jwt { header, claims })
}

fn segment_json(segment: &str, part: &'static str) -> Result<Value, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .map_err(|e| JwtError::BadSegment {
            part,
            reason: e.to_string(),
        })?;
    serde_json::from_slice(&bytes).map_err(|e| JwtError::BadSegment {
        part,
        reason: e.to_string(),
    })
}

/// The claims of a JWT, or `None` for anything else.
pub fn claims(token: &str) -> Option<Map<String, Value>> {
    match decode(token) {
        Ok(Decoded::Jwt {
            claims: Value::Object(map),
            ..
        }) => Some(map),
        _ => None,
    }
}

/// A NumericDate claim as an instant.
pub fn time_claim(claims: &Map<String, Value>, name: &str) -> Option<DateTime<Utc>> {
    let secs = claims.get(name)?.as_f64()?;
    DateTime::from_timestamp(secs as i64, 0)
}

/// The time claims present, each humanized (`2026-11-25 23:10:00 UTC (in 4m 12s)`).
pub fn humanized_times(claims: &Value, now: DateTime<Utc>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Value::Object(map) = claims {
        for name in TIME_CLAIMS {
            if let Some(at) = time_claim(map, name) {
                out.insert(
                    (*name).to_string(),
                    Value::String(crate::humanize::instant(at, now)),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encode(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("json"))
    }

    fn jwt(header: Value, claims: Value) -> String {
        format!("{}.{}.c2ln", encode(&header), encode(&claims))
    }

    #[test]
    fn decodes_header_and_claims() {
        let token = jwt(
            json!({"alg":"RS256","kid":"k1"}),
            json!({"sub":"alice","exp":1_800_000_000}),
        );
        let Ok(Decoded::Jwt { header, claims }) = decode(&token) else {
            panic!("not decoded");
        };
        assert_eq!(header["kid"], "k1");
        assert_eq!(claims["sub"], "alice");
    }

    #[test]
    fn opaque_tokens_are_not_errors() {
        for t in [
            "gho_16C7e42F292c6912E7710c838347Ae178B4a",
            "abc.def.ghi",
            "",
            "a.b",
        ] {
            assert_eq!(decode(t), Ok(Decoded::Opaque), "{t}");
        }
    }

    #[test]
    fn bad_payload_is_an_error_naming_the_part() {
        let token = format!("{}.!!!.sig", encode(&json!({"alg":"RS256"})));
        let err = decode(&token).expect_err("bad payload");
        assert!(err.to_string().contains("payload"), "{err}");
    }

    #[test]
    fn jwe_shows_only_its_header() {
        let token = format!(
            "{}.a.b.c.d",
            encode(&json!({"alg":"RSA-OAEP","enc":"A256GCM"}))
        );
        assert!(matches!(decode(&token), Ok(Decoded::Encrypted { .. })));
    }

    #[test]
    fn time_claims_are_humanized() {
        let now = DateTime::from_timestamp(1_000_000, 0).expect("ts");
        let times = humanized_times(&json!({"exp": 1_000_252, "iat": 999_870, "sub": "x"}), now);
        assert_eq!(times["exp"], "1970-01-12 13:50:52 UTC (in 4m 12s)");
        assert_eq!(times["iat"], "1970-01-12 13:44:30 UTC (2m 10s ago)");
        assert!(!times.contains_key("sub"));
    }
}
