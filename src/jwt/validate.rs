//! ID token claim checks (OIDC Core §3.1.3.7): issuer, audience, authorized party,
//! times with a small leeway, and the nonce.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Allowed clock difference for `exp`, `iat` and `nbf`.
pub const LEEWAY_SECS: i64 = 60;

/// What the ID token must say.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce sent with the login; `None` after a refresh (OIDC Core §12.2).
    pub nonce: Option<&'a str>,
}

/// A failed check, naming the claim and both values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the ID token's `{claim}` is '{got}', expected {expected}")]
pub struct Failed {
    pub claim: &'static str,
    pub expected: String,
    pub got: String,
}

fn fail(claim: &'static str, expected: impl Into<String>, got: impl Into<String>) -> Failed {
    Failed {
        claim,
        expected: expected.into(),
        got: got.into(),
    }
}

pub fn id_token(
    claims: &Map<String, Value>,
    expected: &Expected,
    now: DateTime<Utc>,
) -> Result<(), Failed> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let iss = text("iss").unwrap_or("(absent)");
    if iss.trim_end_matches('/') != expected.issuer.trim_end_matches('/') {
        return Err(fail("iss", format!("'{}'", expected.issuer), iss));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err(fail(
            "aud",
            format!("to include '{}'", expected.client_id),
            if audiences.is_empty() {
                "(absent)".to_string()
            } else {
                audiences.join(", ")
            },
        ));
    }
    if audiences.len() > 1 || claims.contains_key("azp") {
        let azp = text("azp").unwrap_or("(absent)");
        if azp != expected.client_id {
            return Err(fail(
                "azp",
                format!("'{}' (several audiences)", expected.client_id),
                azp,
            ));
        }
    }
    for claim in ["exp", "iat", "nbf"] {
        if let Err(value) = crate::jwt::numeric_date(claims, claim) {
            return Err(fail(claim, "a NumericDate (seconds since 1970)", value));
        }
    }
    let time = |name: &str| crate::jwt::time_claim(claims, name);
    let leeway = chrono::Duration::seconds(LEEWAY_SECS);
    let show = |at: DateTime<Utc>| crate::humanize::instant(at, now);
    match time("exp") {
        None => return Err(fail("exp", "a NumericDate", "(absent)")),
        Some(exp) if exp + leeway < now => {
            return Err(fail("exp", "a time in the future", show(exp)));
        }
        Some(_) => {}
    }
    if let Some(iat) = time("iat")
        && iat - leeway > now
    {
        return Err(fail("iat", "a time in the past", show(iat)));
    }
    if let Some(nbf) = time("nbf")
        && nbf - leeway > now
    {
        return Err(fail("nbf", "a time in the past", show(nbf)));
    }
    if let Some(nonce) = expected.nonce {
        let got = text("nonce").unwrap_or("(absent)");
        if got != nonce {
            return Err(fail("nonce", "the value sent with this login", got));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("ts")
    }

    fn claims(overrides: Value) -> Map<String, Value> {
        let mut base = json!({
            "iss": "https://idp.example",
            "aud": "tokdeck",
            "exp": 1_800_000_300,
            "iat": 1_800_000_000,
            "nonce": "n-1",
            "sub": "alice"
        });
        if let (Value::Object(b), Value::Object(o)) = (&mut base, overrides) {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(&k);
                } else {
                    b.insert(k, v);
                }
            }
        }
        match base {
            Value::Object(m) => m,
            _ => unreachable!("object"),
        }
    }

    const EXPECTED: Expected<'static> = Expected {
        issuer: "https://idp.example",
        client_id: "tokdeck",
        nonce: Some("n-1"),
    };

    fn check(overrides: Value) -> Result<(), String> {
        id_token(&claims(overrides), &EXPECTED, now()).map_err(|e| e.to_string())
    }

    #[test]
    fn a_good_token_passes() {
        assert_eq!(check(json!({})), Ok(()));
        assert_eq!(check(json!({"aud": ["tokdeck"]})), Ok(()));
        assert_eq!(
            check(json!({"aud": ["tokdeck", "api"], "azp": "tokdeck"})),
            Ok(())
        );
        assert_eq!(
            check(json!({"exp": 1_799_999_950})),
            Ok(()),
            "within the leeway"
        );
    }

    #[test]
    fn each_failure_names_the_claim_and_both_values() {
        let err = check(json!({"iss": "https://evil.example"})).expect_err("iss");
        assert_eq!(
            err,
            "the ID token's `iss` is 'https://evil.example', expected 'https://idp.example'"
        );
        let err = check(json!({"aud": "someone-else"})).expect_err("aud");
        assert_eq!(
            err,
            "the ID token's `aud` is 'someone-else', expected to include 'tokdeck'"
        );
        let err = check(json!({"aud": ["tokdeck", "api"]})).expect_err("azp");
        assert!(err.contains("`azp` is '(absent)'"), "{err}");
        let err = check(json!({"exp": 1_799_999_000})).expect_err("exp");
        assert!(
            err.starts_with("the ID token's `exp` is '2027-01-15 07:43:20 UTC (16m 40s ago)'"),
            "{err}"
        );
        let err = check(json!({"iat": 1_800_001_000})).expect_err("iat");
        assert!(
            err.contains("`iat`") && err.contains("in the past"),
            "{err}"
        );
        let err = check(json!({"nbf": 1_800_001_000})).expect_err("nbf");
        assert!(err.contains("`nbf`"), "{err}");
        let err = check(json!({"nonce": "replayed"})).expect_err("nonce");
        assert_eq!(
            err,
            "the ID token's `nonce` is 'replayed', expected the value sent with this login"
        );
        let err = check(json!({"exp": null})).expect_err("no exp");
        assert!(err.contains("(absent)"), "{err}");
    }
}
