//! Two tokens side by side, claim by claim (and header field by field): what only one
//! has, what changed, what is the same.

use serde_json::{Map, Value};

/// How a field of the second token stands to the first.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Same(Value),
    Changed(Value, Value),
    OnlyFirst(Value),
    OnlySecond(Value),
}

/// One field of the comparison: where it is (`header` or `claims`), its name, and how
/// it changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub part: &'static str,
    pub name: String,
    pub change: Change,
}

/// The rows of `first` against `second` (each a decoded JWT's header and claims),
/// the header first, names in order.
pub fn compare(first: (&Value, &Value), second: (&Value, &Value)) -> Vec<Row> {
    let mut rows = fields("header", first.0, second.0);
    rows.extend(fields("claims", first.1, second.1));
    rows
}

fn fields(part: &'static str, first: &Value, second: &Value) -> Vec<Row> {
    let empty = Map::new();
    let first = first.as_object().unwrap_or(&empty);
    let second = second.as_object().unwrap_or(&empty);
    let mut names: Vec<&String> = first.keys().chain(second.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let change = match (first.get(name), second.get(name)) {
                (Some(a), Some(b)) if a == b => Change::Same(a.clone()),
                (Some(a), Some(b)) => Change::Changed(a.clone(), b.clone()),
                (Some(a), None) => Change::OnlyFirst(a.clone()),
                (None, Some(b)) => Change::OnlySecond(b.clone()),
                (None, None) => Change::Same(Value::Null),
            };
            Row {
                part,
                name: name.clone(),
                change,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_field_is_same_changed_or_only_in_one() {
        let rows = compare(
            (
                &json!({"alg": "RS256"}),
                &json!({"sub": "a", "exp": 1, "old": true}),
            ),
            (
                &json!({"alg": "ES256"}),
                &json!({"sub": "a", "exp": 2, "new": 0}),
            ),
        );
        let seen: Vec<(&str, &str, Change)> = rows
            .iter()
            .map(|r| (r.part, r.name.as_str(), r.change.clone()))
            .collect();
        assert_eq!(
            seen,
            vec![
                (
                    "header",
                    "alg",
                    Change::Changed(json!("RS256"), json!("ES256"))
                ),
                ("claims", "exp", Change::Changed(json!(1), json!(2))),
                ("claims", "new", Change::OnlySecond(json!(0))),
                ("claims", "old", Change::OnlyFirst(json!(true))),
                ("claims", "sub", Change::Same(json!("a"))),
            ]
        );
    }
}
