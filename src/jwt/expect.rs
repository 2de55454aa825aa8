//! What a caller expects of a token's claims (`decode --aud --iss --leeway --max-age`):
//! each failure named with the claim, what was expected and what the token says.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The claim checks asked for; times allow `leeway` seconds of clock skew.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    pub audience: Option<String>,
    pub issuer: Option<String>,
    pub leeway: i64,
    /// The token is at most this many seconds old (by `iat`, which it then needs).
    pub max_age: Option<i64>,
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub claim: &'static str,
    pub expected: String,
    pub got: String,
}

impl Failure {
    pub fn describe(&self) -> String {
        format!(
            "`{}` is {}, expected {}",
            self.claim, self.got, self.expected
        )
    }
}

impl Expect {
    /// Whether anything was asked beyond the signature.
    pub fn asks(&self) -> bool {
        self.audience.is_some() || self.issuer.is_some() || self.max_age.is_some()
    }

    /// Every failed check of `claims` at `now` (RFC 7519 §4.1): `aud` holds the audience,
    /// `iss` is the issuer, `exp` and `nbf` hold (always, when present), `iat` is recent
    /// enough for `max_age`.
    pub fn check(&self, claims: &Map<String, Value>, now: DateTime<Utc>) -> Vec<Failure> {
        let mut failures = Vec::new();
        let shown = |v: Option<&Value>| v.map_or("absent".to_string(), |v| v.to_string());
        if let Some(audience) = &self.audience {
            let holds = match claims.get("aud") {
                Some(Value::String(aud)) => aud == audience,
                Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
                _ => false,
            };
            if !holds {
                failures.push(Failure {
                    claim: "aud",
                    expected: format!("to hold \"{audience}\""),
                    got: shown(claims.get("aud")),
                });
            }
        }
        if let Some(issuer) = &self.issuer
            && claims.get("iss").and_then(Value::as_str) != Some(issuer.as_str())
        {
            failures.push(Failure {
                claim: "iss",
                expected: format!("\"{issuer}\" (the token is another issuer's)"),
                got: shown(claims.get("iss")),
            });
        }
        let time = |name: &str| super::time_claim(claims, name);
        for claim in ["exp", "nbf", "iat"] {
            if let Err(value) = super::numeric_date(claims, claim) {
                failures.push(Failure {
                    claim,
                    expected: "a NumericDate (seconds since 1970, RFC 7519 §2)".into(),
                    got: value,
                });
            }
        }
        // Whole seconds, as the claims are.
        let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        let leeway = chrono::Duration::seconds(self.leeway);
        if let Some(exp) = time("exp")
            && now >= exp + leeway
        {
            failures.push(Failure {
                claim: "exp",
                expected: format!("after {now} (leeway {} s)", self.leeway),
                got: exp.to_string(),
            });
        }
        if let Some(nbf) = time("nbf")
            && now + leeway < nbf
        {
            failures.push(Failure {
                claim: "nbf",
                expected: format!("at or before {now} (leeway {} s)", self.leeway),
                got: nbf.to_string(),
            });
        }
        if let Some(max_age) = self.max_age {
            let oldest = now - chrono::Duration::seconds(max_age) - leeway;
            match time("iat") {
                // Issued in the future is no age at all.
                Some(iat) if iat > now + leeway => failures.push(Failure {
                    claim: "iat",
                    expected: format!("at or before {now} (leeway {} s)", self.leeway),
                    got: iat.to_string(),
                }),
                Some(iat) if iat >= oldest => {}
                // Malformed: said above.
                None if claims.contains_key("iat") => {}
                got => failures.push(Failure {
                    claim: "iat",
                    expected: format!("at most {max_age} s old (issued after {oldest})"),
                    got: got.map_or("absent".into(), |t| t.to_string()),
                }),
            }
        }
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("object")
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("ts")
    }

    #[test]
    fn each_failure_names_the_claim_and_both_values() {
        let token = claims(json!({
            "iss": "https://other.example", "aud": ["api", "web"],
            "iat": 1000, "exp": 1600, "nbf": 1000
        }));
        let expect = Expect {
            audience: Some("api".into()),
            issuer: Some("https://idp.example".into()),
            leeway: 0,
            max_age: Some(60),
        };
        let failures = expect.check(&token, at(1100));
        let named: Vec<&str> = failures.iter().map(|f| f.claim).collect();
        assert_eq!(named, ["iss", "iat"]);
        assert!(failures[0].describe().contains("\"https://other.example\""));
        assert!(failures[0].describe().contains("another issuer's"));
        // Expired, with and without leeway; not yet valid.
        let expect = Expect::default();
        assert_eq!(expect.check(&token, at(1600))[0].claim, "exp");
        let lenient = Expect {
            leeway: 30,
            ..Expect::default()
        };
        assert!(lenient.check(&token, at(1620)).is_empty());
        assert_eq!(expect.check(&token, at(999))[0].claim, "nbf");
        // An audience the token does not hold; max-age without iat.
        let expect = Expect {
            audience: Some("reports".into()),
            max_age: Some(60),
            ..Expect::default()
        };
        let bare = claims(json!({"aud": "api"}));
        let named: Vec<&str> = expect.check(&bare, at(0)).iter().map(|f| f.claim).collect();
        assert_eq!(named, ["aud", "iat"]);
    }

    #[test]
    fn a_time_claim_that_is_no_date_fails_instead_of_passing_as_absent() {
        for bad in [json!("tomorrow"), json!(true), json!(1e300), json!(null)] {
            let token = claims(json!({ "exp": bad }));
            let failures = Expect::default().check(&token, at(1000));
            assert_eq!(failures.len(), 1, "{bad}: {failures:?}");
            assert_eq!(failures[0].claim, "exp");
            assert!(
                failures[0].describe().contains("NumericDate"),
                "{failures:?}"
            );
        }
        let token = claims(json!({"nbf": "x", "iat": [1]}));
        let named: Vec<&str> = Expect::default()
            .check(&token, at(1000))
            .iter()
            .map(|f| f.claim)
            .collect();
        assert_eq!(named, ["nbf", "iat"]);
        // A fractional NumericDate is a date (RFC 7519 §2).
        let fine = claims(json!({"exp": 2000.5}));
        assert!(Expect::default().check(&fine, at(1000)).is_empty());
    }

    #[test]
    fn an_iat_in_the_future_has_no_age() {
        let token = claims(json!({"iat": 1500}));
        let expect = Expect {
            max_age: Some(600),
            leeway: 30,
            ..Expect::default()
        };
        let failures = expect.check(&token, at(1000));
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].expected.contains("at or before"),
            "{failures:?}"
        );
        // Within the leeway, it is not.
        assert!(
            expect
                .check(&claims(json!({"iat": 1020})), at(1000))
                .is_empty()
        );
    }
}
