//! Any bytes as a token endpoint's answer, with any status: an error or tokens, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&status, body)) = data.split_first() else {
        return;
    };
    let status = 100 + u16::from(status) * 2;
    let _ = tokdeck::oauth::fuzzing::read_token_response(status, body).map_err(|e| e.to_string());
});
