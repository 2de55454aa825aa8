//! JWTs (RFC 7519): decoding for display, and — separately, in [`verify`] — checking
//! signatures against a provider's JWKS. Decoding alone never trusts a token.

pub mod compare;
pub mod edit;
pub mod expect;
pub mod explain;
pub mod keyfile;
pub mod p521;
pub mod private_key;
pub mod risks;
pub mod rsa_keygen;
pub mod sign;
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

/// The token in what people copy: `tokdeck header`'s line, a request's
/// `Authorization: Bearer …`, or `Bearer …` (and DPoP's scheme), trimmed.
pub fn presented(text: &str) -> &str {
    let text = text.trim();
    let text = text
        .strip_prefix("Authorization:")
        .map(str::trim_start)
        .unwrap_or(text);
    let text = ["Bearer ", "bearer ", "DPoP ", "dpop "]
        .iter()
        .find_map(|scheme| text.strip_prefix(scheme))
        .map(str::trim_start)
        .unwrap_or(text);
    // Copied with its quotes (from JSON, a shell line): the token is inside.
    ['"', '\'']
        .iter()
        .find_map(|q| text.strip_prefix(*q)?.strip_suffix(*q))
        .unwrap_or(text)
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
        return match jwe_header_problem(&header) {
            None => Ok(Decoded::Encrypted { header }),
            Some(reason) => Err(JwtError::BadSegment {
                part: "header",
                reason,
            }),
        };
    }
    let claims = claims_json(parts[1])?;
    Ok(Decoded::Jwt { header, claims })
}

/// What is wrong with a string that looks like a JWT but is not a whole one (cut off,
/// its signature part missing, a segment garbled): the part and the reason. `None` for a
/// whole JWT, a JWE, or a string that never looked like a JWT (an opaque token).
pub fn damage(token: &str) -> Option<(&'static str, String)> {
    let token = token.trim();
    let parts: Vec<&str> = token.split('.').collect();
    // base64url of `{"` is `eyJ`: how every JWT header begins.
    let looks_like_jwt = token.starts_with("eyJ")
        && segment_json(parts[0], "header").is_ok_and(|h| h.get("alg").is_some())
        || (parts.len() == 3 && token.starts_with("eyJ"));
    if !looks_like_jwt {
        return cut_header(token).then(|| {
            (
                "header",
                "the token ends inside a JWT header: the rest (payload and signature) is missing (cut off?)"
                    .to_string(),
            )
        });
    }
    match parts.len() {
        3 => {
            if let Err(JwtError::BadSegment { reason, .. }) = segment_json(parts[0], "header") {
                return Some(("header", format!("the header is not base64url JSON ({reason})")));
            }
            match segment_json(parts[1], "payload") {
                Err(JwtError::BadSegment { reason, .. }) => Some((
                    "payload",
                    format!("the payload is not base64url JSON ({reason}); was the token cut off or changed?"),
                )),
                Ok(_) => match claims_json(parts[1]) {
                    Err(JwtError::BadSegment { reason, .. }) => Some(("payload", reason)),
                    // Compact JWS is base64url without padding (RFC 7515 §2, §7.1).
                    Ok(_) if parts[2].contains('=') => Some((
                        "signature",
                        "the signature part ends in '=' padding, which a compact JWS never has (RFC 7515 §2): was the token re-encoded?".into(),
                    )),
                    Ok(_) => None,
                },
            }
        }
        5 => segment_json(parts[0], "header")
            .ok()
            .and_then(|h| jwe_header_problem(&h))
            .map(|reason| ("header", reason)),
        1 => Some((
            "payload",
            "only a header: the payload and signature parts are missing (cut off?)".into(),
        )),
        2 => Some((
            "signature",
            "2 parts (header.payload): a JWT has 3; the signature part is missing (cut off, or copied without it?)".into(),
        )),
        n => Some((
            "structure",
            format!("{n} parts: a signed JWT has 3 (header.payload.signature), an encrypted one 5"),
        )),
    }
}

/// A JWT's payload: a JSON object (RFC 7519 §7.2 step 10), else damaged.
fn claims_json(segment: &str) -> Result<Value, JwtError> {
    let claims = segment_json(segment, "payload")?;
    if claims.is_object() {
        return Ok(claims);
    }
    let kind = match claims {
        Value::Array(_) => "an array",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Object(_) => "an object",
    };
    Err(JwtError::BadSegment {
        part: "payload",
        reason: format!("the claims are {kind}, not a JSON object (RFC 7519 §7.2)"),
    })
}

/// Why a five-part token's header is no JWE header: RFC 7516 §4.1.2 requires `enc`.
fn jwe_header_problem(header: &Value) -> Option<String> {
    (!header.get("enc").is_some_and(Value::is_string)).then(|| {
        "5 parts, as an encrypted token (JWE) has, but its header has no \"enc\" (RFC 7516 §4.1.2): neither a JWE nor a signed JWT (3 parts); was it changed or two tokens joined?".to_string()
    })
}

/// A string with no `.` whose base64url reads as the start of a JWT header
/// (`{"alg":…` or `{"typ":…`): a JWT cut before its first dot.
fn cut_header(token: &str) -> bool {
    if token.contains('.') || !token.starts_with("eyJ") || token.len() < 8 {
        return false;
    }
    let whole = &token[..token.len() / 4 * 4];
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(whole.trim_end_matches('=')) else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes);
    text.starts_with("{\"") && (text.contains("\"alg\"") || text.contains("\"typ\""))
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
    numeric_date(claims, name).ok().flatten()
}

/// A time claim as RFC 7519 §2 defines it, a NumericDate (a JSON number of seconds since
/// 1970): `Ok(None)` when absent; `Err` with the value as written when it is present but
/// no date (a string, a boolean, a number past any calendar), which a check must take as
/// a failure, never as "absent" (a token whose `exp` is "tomorrow" must not pass as one
/// that never expires).
pub fn numeric_date(
    claims: &Map<String, Value>,
    name: &str,
) -> Result<Option<DateTime<Utc>>, String> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    value
        .as_f64()
        .filter(|secs| secs.is_finite())
        .and_then(|secs| DateTime::from_timestamp(secs.floor() as i64, 0))
        .map(Some)
        .ok_or_else(|| crate::printable::printable(&value.to_string()).into_owned())
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
    fn a_damaged_jwt_says_which_part_and_an_opaque_token_is_no_damage() {
        let whole = jwt(json!({"alg":"RS256"}), json!({"sub":"x"}));
        assert_eq!(damage(&whole), None);
        let parts: Vec<&str> = whole.split('.').collect();
        let unsigned = format!("{}.{}", parts[0], parts[1]);
        assert_eq!(damage(&unsigned).map(|d| d.0), Some("signature"));
        assert_eq!(damage(parts[0]).map(|d| d.0), Some("payload"));
        let cut = format!(
            "{}.{}.{}",
            parts[0],
            &parts[1][..parts[1].len() - 3],
            parts[2]
        );
        let (part, reason) = damage(&cut).expect("cut payload");
        assert_eq!(part, "payload", "{reason}");
        // Cut before the first dot, inside the header.
        let long = jwt(
            json!({"alg":"RS256","typ":"JWT","kid":"key-1"}),
            json!({"sub":"x"}),
        );
        let (part, _) = damage(&long[..30]).expect("cut header");
        assert_eq!(part, "header");
        for opaque in [
            "eyJzb21ldGhpbmciOiJlbHNlIn0",
            "gho_16C7e42F292c6912E7710c838347Ae178B4a",
            "abc.def",
            "ya29.a0AfH6SM",
        ] {
            assert_eq!(damage(opaque), None, "{opaque}");
        }
    }

    #[test]
    fn jwe_shows_only_its_header() {
        let token = format!(
            "{}.a.b.c.d",
            encode(&json!({"alg":"RSA-OAEP","enc":"A256GCM"}))
        );
        assert!(matches!(decode(&token), Ok(Decoded::Encrypted { .. })));
        assert_eq!(damage(&token), None);
    }

    #[test]
    fn a_padded_signature_is_damaged() {
        let token = format!(
            "{}.{}.c2ln=",
            encode(&json!({"alg":"HS256"})),
            encode(&json!({}))
        );
        assert_eq!(damage(&token).map(|(part, _)| part), Some("signature"));
    }

    #[test]
    fn claims_that_are_no_json_object_are_damaged() {
        let token = format!(
            "{}.{}.c2ln",
            encode(&json!({"alg":"HS256"})),
            encode(&json!([1, 2]))
        );
        assert!(matches!(
            decode(&token),
            Err(JwtError::BadSegment {
                part: "payload",
                ..
            })
        ));
        let (part, why) = damage(&token).expect("damaged");
        assert_eq!(part, "payload");
        assert!(why.contains("an array, not a JSON object"), "{why}");
    }

    #[test]
    fn five_parts_without_enc_are_damaged_not_a_jwe() {
        let token = format!("{}.e30.e30.e30.e30", encode(&json!({"alg":"HS256"})));
        assert!(matches!(
            decode(&token),
            Err(JwtError::BadSegment { part: "header", .. })
        ));
        let (part, why) = damage(&token).expect("damaged");
        assert_eq!(part, "header");
        assert!(why.contains("no \"enc\""), "{why}");
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
