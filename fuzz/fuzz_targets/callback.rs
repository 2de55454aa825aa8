//! Any request target at the loopback listener: ignored or finished, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(target) = std::str::from_utf8(data) {
        let _ =
            tokdeck::oauth::loopback::classify(target, "state-123", Some("https://idp.example"));
    }
});
