use crate::engine::EngineError;
use crate::jwt::{self, Decoded};
use chrono::Utc;
use serde_json::{Value, json};
use std::io::Read;

/// Largest token read from stdin.
const MAX_TOKEN_BYTES: u64 = 1024 * 1024;

pub fn run(token: Option<String>) -> Result<(), EngineError> {
    let token = match token {
        Some(t) => t,
        None => {
            let mut text = String::new();
            std::io::stdin()
                .take(MAX_TOKEN_BYTES)
                .read_to_string(&mut text)
                .map_err(|e| usage(format!("cannot read a token from stdin: {e}")))?;
            text
        }
    };
    let token = token.trim();
    if token.is_empty() {
        return Err(usage(
            "no token given: pass it as an argument or on stdin".into(),
        ));
    }
    let value = match jwt::decode(token).map_err(|e| usage(e.to_string()))? {
        Decoded::Jwt { header, claims } => json!({
            "format": "jwt",
            "header": header,
            "claims": claims,
            "times": Value::Object(jwt::humanized_times(&claims, Utc::now())),
        }),
        Decoded::Encrypted { header } => json!({
            "format": "jwe",
            "header": header,
            "note": "an encrypted token: only its header is readable",
        }),
        Decoded::Opaque => json!({
            "format": "opaque",
            "length": token.len(),
            "note": "not a JWT: a reference token that only the provider can read (try introspection)",
        }),
    };
    super::print_line(&serde_json::to_string_pretty(&value).unwrap_or_default())
}

fn usage(message: String) -> EngineError {
    EngineError::Usage(message)
}
