//! The dashboard end to end, in tmux, against the real provider.

use crate::common;

use common::Home;
use common::provider::Provider;
use common::tmux::Tmux;
use std::time::{Duration, Instant};

/// Seconds left on `account`'s row (`59m 12s` or `42s`), if it shows a countdown.
fn seconds_left(screen: &str, account: &str) -> Option<u64> {
    let line = screen
        .lines()
        .find(|l| l.contains(&format!("● {account} ")))?;
    let left_pane = line.split('│').nth(1)?;
    let words: Vec<&str> = left_pane.split_whitespace().collect();
    let parse = |w: &str, unit: char| w.strip_suffix(unit)?.parse::<u64>().ok();
    match words.as_slice() {
        [.., m, s] if parse(m, 'm').is_some() => Some(parse(m, 'm')? * 60 + parse(s, 's')?),
        [.., s] => parse(s, 's'),
        _ => None,
    }
}

fn row<'a>(screen: &'a str, account: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(&format!("● {account} ")))
        .and_then(|l| l.split('│').nth(1))
        .unwrap_or("")
}

fn home(provider: &Provider) -> Home {
    let config = format!(
        "{}\n[accounts.dev2]\nprovider = \"public\"\n",
        provider.config()
    );
    let mut home = Home::new(&config);
    home.with_headless_user();
    home
}

fn stored_access_token(home: &Home, account: &str) -> String {
    home.record(account)["tokens"]["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn countdowns_tick_and_a_device_login_runs_from_the_dashboard() {
    let provider = Provider::start(&["--access-ttl", "600"]);
    let home = home(&provider);
    home.ok(&["login", "dev"]);
    home.ok(&["token", "svc"]);
    let tmux = Tmux::start(&home, 120, 45);
    let first = tmux.wait_for("two countdowns", Duration::from_secs(10), |s| {
        seconds_left(s, "dev").is_some() && seconds_left(s, "svc").is_some()
    });
    assert!(row(&first, "dev2").contains("no token"), "{first}");
    std::thread::sleep(Duration::from_millis(2200));
    let second = tmux.capture();
    let (before, after) = (seconds_left(&first, "dev"), seconds_left(&second, "dev"));
    assert!(
        after < before,
        "the countdown ticks down: {before:?} then {after:?}\n{second}"
    );

    // Select dev2 with the filter and log in; the headless user approves in the "browser".
    tmux.send(&["/", "dev2", "Enter"]);
    tmux.wait_for("the filter", Duration::from_secs(5), |s| {
        s.contains("filter 'dev2'")
    });
    tmux.send(&["l"]);
    let popup = tmux.wait_for("the device code", Duration::from_secs(10), |s| {
        s.contains("enter the code")
    });
    assert!(popup.contains("/device"), "{popup}");
    // The UI keeps ticking while the login waits in the background.
    let expires_in = |screen: &str| {
        let text = screen.split("expires in ").nth(1)?;
        let mut words = text.split_whitespace();
        let (m, s) = (
            words.next()?.strip_suffix('m')?,
            words.next()?.strip_suffix('s')?,
        );
        Some(m.parse::<u64>().ok()? * 60 + s.parse::<u64>().ok()?)
    };
    let before = expires_in(&popup).expect("the popup shows when the code expires");
    std::thread::sleep(Duration::from_millis(2200));
    let after = expires_in(&tmux.capture()).expect("still shown");
    assert!(
        after < before,
        "the popup counts down: {before} then {after}"
    );
    tmux.send(&["o"]);
    let done = tmux.wait_for("the login", Duration::from_secs(30), |s| {
        s.contains("Logged in to 'dev2'")
    });
    assert!(
        seconds_left(&done, "dev2").is_some_and(|s| s > 500),
        "{done}\n{}",
        home.browser_log()
    );
    assert!(
        !stored_access_token(&home, "dev2").is_empty(),
        "the dashboard stored the tokens"
    );
}

#[test]
fn short_lived_tokens_are_refreshed_before_they_expire() {
    let provider = Provider::start(&["--access-ttl", "10"]);
    let home = home(&provider);
    home.ok(&["login", "dev"]);
    let first = stored_access_token(&home, "dev");
    let tmux = Tmux::start(&home, 120, 40);
    let start = Instant::now();
    let mut refreshes = 0;
    let mut last = first.clone();
    while start.elapsed() < Duration::from_secs(16) {
        let screen = tmux.capture();
        assert!(
            !row(&screen, "dev").contains("expired"),
            "the row showed expired:\n{screen}"
        );
        let now = stored_access_token(&home, "dev");
        if now != last {
            refreshes += 1;
            last = now;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(
        refreshes >= 2,
        "10 s tokens refreshed on their own, got {refreshes} refreshes"
    );
    assert_ne!(stored_access_token(&home, "dev"), first);
}

#[test]
fn copy_goes_through_osc52_and_q_quits_cleanly() {
    let provider = Provider::start(&[]);
    let home = home(&provider);
    home.ok(&["token", "svc"]);
    let token = stored_access_token(&home, "svc");
    let tmux = Tmux::start(&home, 120, 40);
    tmux.wait_for("svc", Duration::from_secs(10), |s| {
        seconds_left(s, "svc").is_some()
    });
    tmux.send(&["/", "svc", "Enter"]);
    // The claims pane shows the signature verdict, checked in the background.
    tmux.wait_for("the verdict", Duration::from_secs(10), |s| {
        s.contains("signature valid (kid rs256-")
    });
    tmux.send(&["c"]);
    let screen = tmux.wait_for("the copy", Duration::from_secs(5), |s| {
        s.contains("Copied the access token of 'svc'")
    });
    assert!(screen.contains("OSC 52"), "{screen}");
    assert!(
        !screen.contains(&token[..30]),
        "the token never appears on screen"
    );
    assert_eq!(
        tmux.buffer(),
        token,
        "tmux received the token through OSC 52"
    );
    tmux.send(&["q"]);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = tmux.exit_status() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "tokdeck did not exit after q:\n{}",
            tmux.capture()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status, 0, "q quits with status 0");
}

#[test]
fn survives_tiny_terminals_and_a_1_mb_paste_and_restores_the_screen() {
    let provider = Provider::start(&[]);
    let home = home(&provider);
    home.ok(&["token", "svc"]);
    let tmux = Tmux::start(&home, 100, 30);
    tmux.wait_for("the list", Duration::from_secs(10), |s| {
        seconds_left(s, "svc").is_some()
    });
    tmux.resize(20, 5);
    std::thread::sleep(Duration::from_millis(600));
    tmux.resize(100, 30);
    tmux.wait_for("a full redraw", Duration::from_secs(5), |s| {
        seconds_left(s, "svc").is_some()
    });
    // A 1 MB bracketed paste: refused with a message, no panic.
    tmux.paste(&"x".repeat(1024 * 1024));
    tmux.wait_for("the refusal", Duration::from_secs(10), |s| {
        s.contains("KiB; a token is at most 64 KiB")
    });
    // Separate keys: ESC followed at once by q reads as Alt-q.
    tmux.send(&["Escape"]);
    tmux.wait_for("the popup closed", Duration::from_secs(5), |s| {
        !s.contains("a token is at most")
    });
    tmux.send(&["q"]);
    let start = Instant::now();
    while tmux.exit_status().is_none() {
        assert!(start.elapsed() < Duration::from_secs(5), "still running");
        std::thread::sleep(Duration::from_millis(100));
    }
    let screen = tmux.capture();
    assert!(
        !screen.contains("Accounts"),
        "the alternate screen is gone:\n{screen}"
    );
    assert!(!screen.contains("panicked"), "{screen}");
}

#[test]
fn the_first_account_is_added_logged_in_and_removed_from_the_dashboard() {
    let provider = Provider::start(&[]);
    let mut home = Home::new("");
    home.with_headless_user();
    let config = home.path().join("config.toml");
    std::fs::remove_file(&config).expect("no config yet");
    let tmux = Tmux::start(&home, 120, 45);
    tmux.wait_for("the welcome screen", Duration::from_secs(10), |s| {
        s.contains("Press A to add your first account")
    });

    tmux.send(&["A"]);
    tmux.wait_for("the form", Duration::from_secs(5), |s| {
        s.contains("Add an account")
    });
    tmux.send(&["-l", "me"]);
    tmux.send(&["Tab"]);
    let screen = choose_provider(&tmux, "‹ new provider: generic ›");
    assert!(screen.contains("Issuer URL"), "{screen}");
    // Provider name (prefilled "generic"), then the issuer and the client.
    tmux.send(&["Tab"]);
    for _ in 0.."generic".len() {
        tmux.send(&["BSpace"]);
    }
    tmux.send(&["-l", "local"]);
    tmux.send(&["Tab"]);
    tmux.send(&["-l", &provider.issuer]);
    tmux.send(&["Tab"]);
    tmux.send(&["-l", common::provider::PUBLIC_CLIENT]);
    tmux.send(&["Tab", "Tab", "Right"]);
    tmux.wait_for("the device flow chosen", Duration::from_secs(5), |s| {
        s.contains("‹ device ›")
    });
    tmux.send(&["Enter"]);
    let review = tmux.wait_for("the review", Duration::from_secs(5), |s| {
        s.contains("[ Write and log in ]")
    });
    assert!(review.contains("A new file"), "{review}");
    assert!(review.contains("+ [accounts.me]"), "{review}");
    assert!(review.contains("+ [providers.local]"), "{review}");
    assert!(!config.exists(), "nothing is written before the yes");

    // A letter answers nothing; the highlighted answer and Enter do.
    tmux.send(&["y"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!config.exists(), "a letter does not write");
    tmux.send(&["Right", "Enter"]);
    tmux.wait_for("the device code", Duration::from_secs(15), |s| {
        s.contains("enter the code")
    });
    tmux.send(&["o"]);
    let done = tmux.wait_for("the login", Duration::from_secs(30), |s| {
        s.contains("Logged in to 'me'")
    });
    assert!(
        seconds_left(&done, "me").is_some(),
        "{done}\n{}",
        home.browser_log()
    );
    let written = std::fs::read_to_string(&config).expect("config written");
    assert!(written.starts_with("# tokdeck configuration"), "{written}");
    assert!(
        written.contains(&format!("issuer = \"{}\"", provider.issuer)),
        "{written}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The CLI sees the same account and the tokens the dashboard stored.
    let token = home.ok(&["token", "me"]).stdout;
    assert_eq!(token.trim(), stored_access_token(&home, "me"));

    // A comment added by hand survives the removal; the tokens are revoked and deleted.
    std::fs::write(&config, format!("# my note\n{written}")).expect("edit by hand");
    tmux.send(&["D"]);
    let review = tmux.wait_for("the removal review", Duration::from_secs(5), |s| {
        s.contains("Remove 'me'")
    });
    assert!(review.contains("- [accounts.me]"), "{review}");
    assert!(review.contains("[ Revoke and remove ]"), "{review}");
    tmux.send(&["Right", "Enter"]);
    tmux.wait_for("the removal", Duration::from_secs(15), |s| {
        s.contains("Removed 'me' from")
    });
    let left = std::fs::read_to_string(&config).expect("config");
    assert!(
        left.starts_with("# my note\n# tokdeck configuration"),
        "{left}"
    );
    assert!(!left.contains("[accounts.me]"), "{left}");
    assert!(left.contains("[providers.local]"), "{left}");
    let gone = home.run(&["token", "me"]);
    assert_eq!(gone.code, 2, "the account is gone: {}", gone.stderr);
    assert!(
        !home.path().join("tokens/me.json").exists(),
        "the tokens were deleted"
    );

    // An account written by hand shows up without a restart; a broken save is reported.
    std::fs::write(
        &config,
        format!("{left}\n[accounts.by-hand]\nprovider = \"local\"\n"),
    )
    .expect("edit by hand");
    tmux.wait_for("the hand-written account", Duration::from_secs(5), |s| {
        s.contains("● by-hand") && s.contains("changed; reloaded (1 account)")
    });
    // A broken table is a row of its own that says so; the others stay.
    std::fs::write(
        &config,
        format!("{left}\n[accounts.by-hand]\nprovider = \"local\"\n\n[accounts.broken]\n"),
    )
    .expect("break one table");
    tmux.wait_for("the broken row", Duration::from_secs(5), |s| {
        s.contains("broken!") && s.contains("config error") && s.contains("● by-hand")
    });
    // A file that is not TOML is not loaded at all: the previous config stays.
    std::fs::write(&config, format!("{left}\n[accounts.by-hand\n")).expect("break it");
    let screen = tmux.wait_for("the error", Duration::from_secs(5), |s| {
        s.contains("Config not reloaded, still using the previous one")
    });
    assert!(screen.contains("● by-hand"), "{screen}");
}

#[test]
fn rows_say_who_and_another_issuers_tokens_stay_home() {
    let provider = Provider::start(&[]);
    let mut other = Provider::start(&[]);
    let mut home = home(&provider);
    // No service account here: one that holds nothing rightly gets its first tokens
    // from whatever issuer the config names when the dashboard gets to it, which would
    // race with the edit below.
    let path = home.path().join("config.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        text.replace("[accounts.svc]\nprovider = \"service\"\n", ""),
    )
    .expect("config without svc");
    home.ok(&["login", "dev"]);
    home.set("TOKDECK_TEST_LOGIN", "bob");
    home.ok(&["login", "dev2"]);
    let tmux = Tmux::start(&home, 140, 45);
    // Rows load one after another: wait for all three.
    tmux.wait_for("who each account is", Duration::from_secs(10), |s| {
        row(s, "dev").contains("alice@example.test")
            && row(s, "dev2").contains("bob@example.test")
            && row(s, "web").contains("no token")
    });
    tmux.send(&["/", "dev2", "Enter"]);
    let details = tmux.wait_for("the details", Duration::from_secs(5), |s| {
        s.contains("Bob Example") && s.contains("subject")
    });
    assert!(
        details.contains(&format!("bob  at {}", provider.issuer)),
        "{details}"
    );

    // The issuer is edited under the running dashboard: its tokens go nowhere.
    let config = std::fs::read_to_string(home.path().join("config.toml")).expect("config");
    std::fs::write(
        home.path().join("config.toml"),
        config.replace(&provider.issuer, &other.issuer),
    )
    .expect("edit");
    let refused = tmux.wait_for("the binding refusal", Duration::from_secs(10), |s| {
        s.contains("were issued by")
    });
    assert!(refused.contains("● dev2!"), "the row is marked: {refused}");
    tmux.send(&["r"]);
    std::thread::sleep(Duration::from_millis(1500));
    tmux.send(&["c"]);
    let after = tmux.wait_for("no copy", Duration::from_secs(5), |s| !s.contains("Copied"));
    assert!(!after.contains("Copied"), "nothing to copy: {after}");
    other.stop();
    let log = other.log();
    assert!(
        !log.lines().any(|l| l.contains("/token")),
        "no token request reached the new issuer:\n{log}"
    );
}

#[test]
fn an_unbracketed_paste_of_a_token_runs_no_command() {
    let provider = Provider::start(&[]);
    let home = home(&provider);
    home.ok(&["login", "dev"]);
    let before = stored_access_token(&home, "dev");
    let tmux = Tmux::start(&home, 120, 45);
    tmux.wait_for("the countdown", Duration::from_secs(10), |s| {
        seconds_left(s, "dev").is_some()
    });
    tmux.send(&["/", "dev", "Enter"]);
    tmux.wait_for("dev selected", Duration::from_secs(5), |s| {
        s.contains("filter 'dev'")
    });
    // A real token: its letters include x (log out), y (yes), U (userinfo), D (remove).
    // Before the burst rule, typed out as keys, this logged the account out.
    let token = format!("{before}xyUDnyrAe");
    assert!(token.contains('x') && token.contains('y'));
    tmux.paste_unbracketed(&token);
    let screen = tmux.wait_for("the inspector", Duration::from_secs(5), |s| {
        s.contains("Inspector")
    });
    assert!(!screen.contains("Log out"), "no logout question: {screen}");
    std::thread::sleep(Duration::from_millis(500));
    tmux.send(&["Escape"]);
    let after = tmux.wait_for("the list again", Duration::from_secs(5), |s| {
        !s.contains("Inspector")
    });
    assert!(
        seconds_left(&after, "dev").is_some(),
        "still logged in: {after}"
    );
    assert_eq!(
        stored_access_token(&home, "dev"),
        before,
        "tokens untouched"
    );
    assert_eq!(
        provider.log_count("/token/revocation"),
        0,
        "nothing was revoked:\n{}",
        provider.log()
    );
    assert_eq!(provider.log_count("GET /me"), 0, "no userinfo call");
}

#[test]
fn an_accounts_api_tokens_show_under_it_and_are_kept_fresh() {
    let provider = Provider::start(&["--access-ttl", "10"]);
    let reports = "https://reports.tokdeck.test";
    let config = format!(
        "{}\n[accounts.multi]\nprovider = \"public\"\nscopes = [\"openid\", \"offline_access\", \"api:read\", \"reports:read\"]\nresources = [\"https://api.tokdeck.test\", \"{reports}\"]\n",
        provider.config()
    );
    let mut home = Home::new(&config);
    home.with_headless_user();
    home.ok(&["login", "multi"]);
    let tmux = Tmux::start(&home, 120, 40);
    // Fetched on its own, shown under its account with a countdown.
    let counting = |l: &str| {
        let badge = l.split(reports).nth(1).unwrap_or("");
        badge.chars().any(|c| c.is_ascii_digit()) && !badge.contains("expired")
    };
    let screen = tmux.wait_for("the API line", Duration::from_secs(10), |s| {
        s.lines()
            .any(|l| l.contains(&format!("└ {reports}")) && counting(l))
    });
    let lines: Vec<&str> = screen.lines().collect();
    let account = lines
        .iter()
        .position(|l| l.contains("● multi "))
        .expect("row");
    assert!(
        lines[account + 1..]
            .iter()
            .take(2)
            .any(|l| l.contains(&format!("└ {reports}"))),
        "under its account:\n{screen}"
    );
    let stored = |home: &Home| home.record("multi")["narrowed"][reports]["access_token"].clone();
    let first = stored(&home);
    assert!(
        first.is_string(),
        "kept in the store: {}",
        home.record("multi")
    );
    // 10 s tokens: refreshed before they expire, and never shown expired.
    let start = Instant::now();
    while stored(&home) == first {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "not refreshed:\n{}",
            tmux.capture()
        );
        let screen = tmux.capture();
        let line = screen
            .lines()
            .find(|l| l.contains(&format!("└ {reports}")))
            .unwrap_or("");
        assert!(!line.contains("expired"), "{screen}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_copy_one_second_after_a_cli_refresh_copies_the_new_token() {
    let provider = Provider::start(&[]);
    let home = home(&provider);
    home.ok(&["login", "dev"]);
    let old = stored_access_token(&home, "dev");
    let tmux = Tmux::start(&home, 120, 40);
    tmux.wait_for("dev's countdown", Duration::from_secs(10), |s| {
        seconds_left(s, "dev").is_some()
    });
    // Another process refreshes; one second later the dashboard copies.
    home.ok(&["refresh", "dev"]);
    let new = stored_access_token(&home, "dev");
    assert_ne!(new, old);
    std::thread::sleep(Duration::from_secs(1));
    tmux.send(&["/", "dev", "Enter"]);
    tmux.send(&["c"]);
    tmux.wait_for("the copy", Duration::from_secs(5), |s| {
        s.contains("Copied the access token of 'dev'")
    });
    assert_eq!(tmux.buffer(), new, "the token the store holds now");
}

/// The inspector as a workbench, as a developer uses it: a test token pasted, a claim
/// changed, signed again with a key file, copied (OSC 52), verified outside the
/// dashboard, and compared with the first.
#[test]
fn the_inspector_edits_a_token_signs_it_with_a_key_file_and_compares_it() {
    let home = Home::new(
        "[providers.p]\nissuer = \"https://idp.tokdeck.test\"\nclient_id = \"c\"\n[accounts.a]\nprovider = \"p\"\n",
    );
    let key = home.path().join("dev.pem");
    let key_path = key.display().to_string();
    let jwks = home
        .ok(&["jwt", "keygen", "--alg", "ES256", "--out", &key_path])
        .stdout;
    let jwks_path = home.path().join("dev.jwks");
    std::fs::write(&jwks_path, jwks).expect("jwks");
    let first = home
        .ok(&[
            "jwt",
            "sign",
            "--key",
            &key_path,
            "--sub",
            "alice",
            "--exp",
            "1h",
            r#"{"role":"user"}"#,
        ])
        .stdout
        .trim()
        .to_string();

    let tmux = Tmux::start(&home, 150, 45);
    tmux.wait_for("the list", Duration::from_secs(10), |s| {
        s.contains("Accounts (1)")
    });
    tmux.paste(&first);
    tmux.wait_for("the inspector", Duration::from_secs(5), |s| {
        s.contains("e edit claim")
    });
    typed(&tmux, &["e", "role=admin", "Enter"]);
    tmux.wait_for("the draft", Duration::from_secs(5), |s| {
        s.contains("edited, not signed")
    });
    typed(&tmux, &["S", &key_path, "Enter"]);
    let screen = tmux.wait_for("the signed token", Duration::from_secs(5), |s| {
        s.contains("signed: c copies")
    });
    assert!(screen.contains("signature valid"), "{screen}");
    typed(&tmux, &["c"]);
    tmux.wait_for("the copy", Duration::from_secs(5), |s| {
        s.contains("Copied the inspector's token")
    });
    let second = tmux.buffer();
    assert_ne!(second, first);
    let jwks_arg = jwks_path.display().to_string();
    let decoded: serde_json::Value = serde_json::from_str(
        &home
            .ok(&["decode", "--json", "--jwks", &jwks_arg, &second])
            .stdout,
    )
    .expect("decode json");
    assert_eq!(decoded["claims"]["role"], "admin", "{decoded}");
    assert_eq!(decoded["claims"]["sub"], "alice", "{decoded}");

    typed(&tmux, &["d"]);
    tmux.paste(&first);
    typed(&tmux, &["Enter"]);
    let screen = tmux.wait_for("the comparison", Duration::from_secs(5), |s| {
        s.contains("fields differ")
    });
    assert!(
        screen.contains(r#"~ claims role: "admin" → "user""#),
        "{screen}"
    );
}

/// Keys as a person types them: apart, so that no two sends arrive as one burst (which
/// the dashboard takes for an unbracketed paste).
/// → on the form's provider field until `label` shows; the screen then.
fn choose_provider(tmux: &Tmux, label: &str) -> String {
    let mut screen = tmux.capture();
    for _ in 0..20 {
        if screen.contains(label) {
            break;
        }
        tmux.send(&["Right"]);
        std::thread::sleep(Duration::from_millis(100));
        screen = tmux.capture();
    }
    screen
}

fn typed(tmux: &Tmux, keys: &[&str]) {
    for key in keys {
        std::thread::sleep(Duration::from_millis(150));
        tmux.send(&[key]);
    }
    std::thread::sleep(Duration::from_millis(150));
}

/// Whether process `pid` still runs, and the CPU time it has used (clock ticks).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// A terminal that closes under the dashboard ends it, also when no SIGHUP comes (the
/// dashboard in a session of its own, as `setsid` runs it) and with a key still waiting:
/// reads from a closed terminal return nothing at once, forever, and crossterm's reader
/// retries them without end, so the dashboard has to notice by its own means (a SIGHUP,
/// a drawing that fails) on a thread that reader cannot hold. Stopping tokdeck makes the
/// order certain: a key is waiting and the terminal is gone when it goes on.
#[test]
fn a_terminal_that_closes_ends_the_dashboard_with_or_without_a_hangup_signal() {
    let home = Home::new(
        "[providers.p]\nissuer = \"https://127.0.0.1:9\"\nclient_id = \"c\"\n\n[accounts.a]\nprovider = \"p\"\n",
    );
    let signal = |name: &str, pid: u32| {
        let status = std::process::Command::new("kill")
            .args([name, &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {name} {pid}");
    };
    for wrapper in [&[][..], &["setsid"][..]] {
        let tmux = Tmux::start_wrapped(&home, 100, 30, wrapper);
        tmux.wait_for("the dashboard", Duration::from_secs(10), |s| {
            s.contains("Accounts")
        });
        let pid = tmux.pid().expect("tokdeck's pid");
        signal("-STOP", pid);
        tmux.send(&["j"]);
        std::thread::sleep(Duration::from_millis(200));
        tmux.kill_server();
        signal("-CONT", pid);
        let start = Instant::now();
        while let Some(ticks) = cpu_ticks(pid) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "tokdeck {wrapper:?} still runs 10 s after its terminal closed, having used {ticks} ticks of CPU"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn an_account_is_added_from_an_api_url_in_the_form_and_logged_in() {
    let provider = Provider::start(&["--registration"]);
    let api = common::provider::Resource::start_with(&provider.issuer, &["--metadata"]);
    let url = format!("{}/mcp", api.url);
    let mut home = Home::new("");
    home.with_headless_user();
    let config = home.path().join("config.toml");
    std::fs::remove_file(&config).expect("no config yet");
    let tmux = Tmux::start(&home, 130, 45);
    tmux.wait_for("the welcome screen", Duration::from_secs(10), |s| {
        s.contains("Press A to add your first account")
    });
    tmux.send(&["A"]);
    tmux.wait_for("the form", Duration::from_secs(5), |s| {
        s.contains("Add an account")
    });
    tmux.send(&["-l", "mcp"]);
    tmux.send(&["Tab"]);
    let screen = choose_provider(&tmux, "‹ new provider from an API's URL");
    assert!(screen.contains("API URL"), "{screen}");
    // Provider name (prefilled "api"), then the API's URL.
    typed(&tmux, &["Tab", "Tab"]);
    tmux.send(&["-l", &url]);
    // A pause first: keys in one burst with the URL would be part of its paste.
    typed(&tmux, &["Enter"]);
    let review = tmux.wait_for("the review", Duration::from_secs(15), |s| {
        s.contains("[ Write and log in ]")
    });
    assert!(review.contains("+ [providers.api]"), "{review}");
    assert!(review.contains("registered when written"), "{review}");
    assert!(
        review.contains("(tokdeck test API) is protected by"),
        "{review}"
    );
    assert_eq!(
        provider.log_count("POST /reg "),
        0,
        "nothing registered before the yes"
    );

    tmux.send(&["Right", "Enter"]);
    tmux.wait_for("the login", Duration::from_secs(30), |s| {
        s.contains("Logged in to 'mcp'")
    });
    let written = std::fs::read_to_string(&config).expect("config written");
    let kept: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("registrations/api.json"))
            .expect("registration kept"),
    )
    .expect("JSON");
    let client_id = kept["client_id"].as_str().expect("client_id");
    assert!(
        written.contains(&format!("client_id = \"{client_id}\""))
            && !written.contains("registered when written"),
        "{written}"
    );
    // The token the dashboard's login stored is one the API takes.
    let access = home.ok(&["token", "mcp"]).stdout.trim().to_string();
    let (status, _) =
        common::provider::curl_get(&url, &format!("Authorization: Bearer {access}\n"));
    assert_eq!(status, 200);
}
