//! Changing a token's claims before it is signed again: one edit at a time, written as
//! `tokdeck jwt sign --set` takes them (`role=admin`, `n=5`, `tags=["a","b"]`), plus
//! removal (`-role`) and moving a time claim by a duration (`exp+=10m`, `nbf-=1h`).

use serde_json::{Map, Value};

/// One change to a claims object.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Set a claim: JSON when the text is JSON (numbers, booleans, arrays, objects),
    /// else the text as a string.
    Set(String, Value),
    Remove(String),
    /// Add seconds (negative: subtract) to a numeric claim.
    Shift(String, i64),
}

impl Edit {
    /// Reads `name=value`, `-name`, `name+=10m` or `name-=1h`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Some(name) = text.strip_prefix('-') {
            return Ok(Self::Remove(claim_name(name)?));
        }
        for (op, sign) in [("+=", 1), ("-=", -1)] {
            if let Some((name, duration)) = text.split_once(op) {
                let seconds = seconds(duration.trim()).ok_or_else(|| {
                    format!("'{duration}' is not a duration; write 300, 90s, 10m, 2h or 1d")
                })?;
                return Ok(Self::Shift(claim_name(name)?, sign * seconds));
            }
        }
        let Some((name, value)) = text.split_once('=') else {
            return Err(format!(
                "'{text}': write name=value, -name to remove, or exp+=10m to move a time"
            ));
        };
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into()));
        Ok(Self::Set(claim_name(name)?, value))
    }

    /// Applies the edit to `claims`; `Err` says why it cannot (a shift of a claim that
    /// is not a number).
    pub fn apply(&self, claims: &mut Map<String, Value>) -> Result<(), String> {
        match self {
            Self::Set(name, value) => {
                if matches!(name.as_str(), "exp" | "nbf" | "iat") && !value.is_i64() {
                    return Err(format!(
                        "'{name}' is a time in seconds since 1970: write {name}=1767225600, or move it with {name}+=10m"
                    ));
                }
                claims.insert(name.clone(), value.clone());
            }
            Self::Remove(name) => {
                claims
                    .remove(name)
                    .ok_or_else(|| format!("the token has no claim '{name}'"))?;
            }
            Self::Shift(name, seconds) => {
                let now = claims.get(name).and_then(Value::as_i64).ok_or_else(|| {
                    format!("'{name}' is not a time in seconds; set it with {name}=NUMBER")
                })?;
                let moved = now
                    .checked_add(*seconds)
                    .ok_or_else(|| format!("'{name}' would overflow"))?;
                claims.insert(name.clone(), moved.into());
            }
        }
        Ok(())
    }
}

fn claim_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().any(|c| c.is_control()) {
        return Err("a claim needs a name: write name=value".into());
    }
    Ok(name.to_string())
}

/// `300`, `90s`, `10m`, `2h`, `1d` in seconds (at most a hundred years).
pub fn seconds(text: &str) -> Option<i64> {
    let (number, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let number: i64 = number.trim().parse().ok()?;
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    number
        .checked_mul(factor)
        .filter(|s| s.abs() <= 100 * 365 * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn edited(claims: Value, edits: &[&str]) -> Result<Value, String> {
        let mut map = claims.as_object().cloned().unwrap_or_default();
        for edit in edits {
            Edit::parse(edit)?.apply(&mut map)?;
        }
        Ok(Value::Object(map))
    }

    #[test]
    fn values_are_typed_names_removed_and_times_moved() {
        let claims = json!({"sub": "alice", "exp": 1000, "role": "user"});
        assert_eq!(
            edited(
                claims.clone(),
                &[
                    "role=admin",
                    "n=5",
                    "ok=true",
                    "tags=[\"a\"]",
                    "-sub",
                    "exp+=10m",
                    "exp-=30"
                ]
            ),
            Ok(json!({"exp": 1570, "role": "admin", "n": 5, "ok": true, "tags": ["a"]}))
        );
        assert_eq!(
            edited(claims.clone(), &["-nope"]),
            Err("the token has no claim 'nope'".into())
        );
        assert!(edited(claims.clone(), &["role+=1m"]).is_err());
        assert!(edited(claims.clone(), &["exp+=soon"]).is_err());
        assert!(edited(claims.clone(), &["just text"]).is_err());
        let e = edited(claims, &["nbf=tomorrow"]).expect_err("a time is a number");
        assert!(e.contains("seconds since 1970"), "{e}");
    }
}
