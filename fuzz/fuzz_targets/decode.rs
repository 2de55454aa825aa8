//! Any bytes as a token: decoding, time humanizing, header risks and signature checks
//! must never panic. Run: `cargo fuzz run decode` (from the repo root).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokdeck::jwt::{self, verify};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let now = chrono_now();
    if let Ok(jwt::Decoded::Jwt { header, claims }) = jwt::decode(text) {
        let _ = jwt::humanized_times(&claims, now);
        let jwks: verify::Jwks = serde_json::from_str(
            r#"{"keys":[{"kty":"RSA","kid":"k","n":"sXch","e":"AQAB"},{"kty":"EC","crv":"P-256","kid":"e","x":"AA","y":"AA"},{"kty":"OKP","crv":"Ed25519","x":"AA"}]}"#,
        )
        .unwrap_or_default();
        let _ = verify::risks(&header, Some(&jwks));
        let _ = verify::verify(text, Some(&jwks)).describe();
    }
    let _ = jwt::claims(text);
});

fn chrono_now() -> tokdeck_time::DateTime {
    tokdeck_time::now()
}

mod tokdeck_time {
    pub type DateTime = chrono::DateTime<chrono::Utc>;
    pub fn now() -> DateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }
}
