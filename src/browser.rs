//! Opening a URL in the user's browser, honouring `$BROWSER`, else the platform's
//! handler: `open` on macOS, `rundll32 url.dll,FileProtocolHandler` on Windows (no shell
//! parses the URL), the Windows browser from WSL, `xdg-open` and friends elsewhere. In
//! a dev container or a codespace without `$BROWSER` nothing is tried: the message says
//! why and points at the device flow.
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
    let host = Host::detect();
    let mut tried = Vec::new();
    for words in candidates(std::env::var("BROWSER").ok(), host, url) {
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
    if let Host::Container(place) = host
        && tried.is_empty()
    {
        return Err(format!(
            "no browser was opened: in {place} a browser on your machine cannot reach this container's loopback address unless the port is forwarded; open the URL yourself, set $BROWSER, or log in with the device flow (`tokdeck login NAME --flow device`)"
        ));
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

/// Where tokdeck runs, as far as opening a browser goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Host {
    Plain,
    /// Windows Subsystem for Linux: the browser is Windows'.
    Wsl,
    /// A dev container or a codespace: the browser is on another machine.
    Container(&'static str),
}

impl Host {
    fn detect() -> Self {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        if cfg!(windows) || cfg!(target_os = "macos") {
            Self::Plain
        } else if set("WSL_DISTRO_NAME") || set("WSL_INTEROP") {
            Self::Wsl
        } else if std::env::var("CODESPACES").is_ok_and(|v| v == "true") {
            Self::Container("a codespace")
        } else if std::env::var("REMOTE_CONTAINERS").is_ok_and(|v| v == "true") {
            Self::Container("a dev container")
        } else {
            Self::Plain
        }
    }
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

/// The commands to try, each as argv. `$BROWSER` is a list separated as `PATH` is (`:`,
/// `;` on Windows); `%s` in an entry is replaced by the URL, otherwise the URL is
/// appended.
fn candidates(browser: Option<String>, host: Host, url: &str) -> Vec<Vec<String>> {
    let separator = if cfg!(windows) { ';' } else { ':' };
    match browser.filter(|b| !b.trim().is_empty()) {
        Some(list) => list
            .split(separator)
            .filter_map(|entry| argv(entry, url))
            .collect(),
        None => default_commands(host)
            .iter()
            .filter_map(|entry| argv(entry, url))
            .collect(),
    }
}

fn argv(entry: &str, url: &str) -> Option<Vec<String>> {
    // A program's path with spaces (`C:\Program Files\…\firefox.exe`) is one word.
    if std::path::Path::new(entry.trim()).is_file() {
        return Some(vec![entry.trim().to_string(), url.to_string()]);
    }
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

fn default_commands(host: Host) -> &'static [&'static str] {
    if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["rundll32 url.dll,FileProtocolHandler", "explorer"]
    } else {
        match host {
            Host::Wsl => &[
                "wslview",
                "rundll32.exe url.dll,FileProtocolHandler",
                "xdg-open",
            ],
            Host::Container(_) => &[],
            Host::Plain => &["xdg-open", "sensible-browser", "x-www-browser"],
        }
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
    fn the_platform_decides_what_opens_a_url_when_browser_is_unset() {
        let first = |host| {
            candidates(None, host, "U")
                .first()
                .map(|argv| argv.join(" "))
                .unwrap_or_default()
        };
        if cfg!(windows) {
            assert_eq!(first(Host::Plain), "rundll32 url.dll,FileProtocolHandler U");
        } else if cfg!(target_os = "linux") {
            assert_eq!(first(Host::Plain), "xdg-open U");
            assert_eq!(first(Host::Wsl), "wslview U");
            assert!(
                candidates(None, Host::Wsl, "U")
                    .iter()
                    .any(|a| a[0] == "rundll32.exe")
            );
            assert!(candidates(None, Host::Container("a codespace"), "U").is_empty());
        }
        // $BROWSER always wins, a list separated as PATH is.
        let list = if cfg!(windows) {
            "a;b %s x"
        } else {
            "a:b %s x"
        };
        assert_eq!(
            candidates(Some(list.into()), Host::Container("a codespace"), "U"),
            vec![vec!["a", "U"], vec!["b", "U", "x"]]
        );
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
