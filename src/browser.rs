//! Opening a URL in the user's browser, honouring `$BROWSER`.
//!
//! Only the authorization or verification URL is ever passed, and it holds no secret
//! (the PKCE verifier and the tokens never leave tokdeck).

use std::process::{Command, Stdio};

/// Starts the browser on `url` without waiting for it; reports which command was used.
/// The URL comes from a server (a device flow's `verification_uri_complete`, an
/// authorization endpoint from discovery): only an http(s) URL that no browser can take
/// for an option is passed (see [`checked`]).
pub fn open(url: &str) -> Result<String, String> {
    let url = checked(url)?;
    let url = url.as_str();
    let mut tried = Vec::new();
    for words in candidates(url) {
        let Some((program, args)) = words.split_first() else {
            continue;
        };
        let spawned = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match spawned {
            Ok(mut child) => {
                // Reap it whenever it exits, so no zombie outlives a long dashboard session.
                std::thread::spawn(move || child.wait());
                return Ok(program.clone());
            }
            Err(e) => tried.push(format!("'{program}': {e}")),
        }
    }
    Err(format!(
        "could not start a browser ({}); open the URL yourself or set $BROWSER",
        if tried.is_empty() {
            "no browser command known".to_string()
        } else {
            tried.join(", ")
        }
    ))
}

/// `url` as it may go on a browser's command line: an absolute `http` or `https` URL,
/// with nothing a program could read as an option (a leading `-`) or as a second
/// argument (spaces), and no control characters. `Err` says what was refused and that
/// the URL (shown escaped) can be opened by hand.
pub fn checked(url: &str) -> Result<String, String> {
    let refuse = |why: &str| {
        Err(format!(
            "did not open '{}' in a browser: {why}; open it yourself if you trust it",
            crate::printable::printable(url)
        ))
    };
    if url.starts_with('-') {
        return refuse("it starts with '-', which a browser would read as an option");
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || crate::printable::is_unsafe(c))
    {
        return refuse("it holds spaces or control characters");
    }
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {
            Ok(parsed.to_string())
        }
        Ok(parsed) => refuse(&format!(
            "only http and https URLs are opened, not '{}:'",
            parsed.scheme()
        )),
        Err(e) => refuse(&format!("it is not a URL ({e})")),
    }
}

/// The commands to try, each as argv. `$BROWSER` is a ':'-separated list; `%s` in an entry
/// is replaced by the URL, otherwise the URL is appended.
fn candidates(url: &str) -> Vec<Vec<String>> {
    let from_env = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty());
    match from_env {
        Some(list) => list
            .split(':')
            .filter_map(|entry| argv(entry, url))
            .collect(),
        None => default_commands()
            .iter()
            .filter_map(|entry| argv(entry, url))
            .collect(),
    }
}

fn argv(entry: &str, url: &str) -> Option<Vec<String>> {
    let mut words: Vec<String> = entry.split_whitespace().map(str::to_string).collect();
    if words.is_empty() {
        return None;
    }
    if words.iter().any(|w| w.contains("%s")) {
        for w in &mut words {
            *w = w.replace("%s", url);
        }
    } else {
        words.push(url.to_string());
    }
    Some(words)
}

fn default_commands() -> &'static [&'static str] {
    if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["explorer"]
    } else {
        &["xdg-open", "sensible-browser", "x-www-browser"]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_take_the_url_as_last_argument_or_at_percent_s() {
        assert_eq!(
            argv("firefox --new-tab", "U"),
            Some(vec!["firefox".into(), "--new-tab".into(), "U".into()])
        );
        assert_eq!(
            argv("w3m %s -dump", "U"),
            Some(vec!["w3m".into(), "U".into(), "-dump".into()])
        );
        assert_eq!(argv("  ", "U"), None);
    }

    #[test]
    fn only_plain_http_urls_reach_a_browser() {
        assert_eq!(
            checked("https://idp.example/device?user_code=AB-CD").as_deref(),
            Ok("https://idp.example/device?user_code=AB-CD")
        );
        for bad in [
            "--utility-cmd-prefix=/bin/sh",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://idp.example/a b",
            "https://idp.example/\x1b]52;c;x\x07",
            "https://idp.example/\nx",
            "relative/path",
        ] {
            let e = checked(bad).expect_err(bad);
            assert!(e.starts_with("did not open '"), "{e}");
            assert!(!e.contains('\x1b') && !e.contains('\n'), "{e:?}");
        }
    }
}
