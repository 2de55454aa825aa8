//! Any text as config.toml: an error or a config, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tokdeck::config::Config::parse(std::path::Path::new("fuzz.toml"), text, None)
            .map_err(|e| e.to_string());
    }
});
