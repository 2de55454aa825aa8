//! Every token knows who it belongs to and who issued it: identities shown and pinned,
//! tokens bound to their issuer and client, accounts picked from context. Against the
//! real provider (oidc-provider), played by the headless user.

use crate::common;

use common::Home;
use common::provider::Provider;
use serde_json::Value;

/// The test provider's config plus a second device account at the same provider.
fn two_people(provider: &Provider) -> String {
    format!(
        "{}\n[accounts.dev2]\nprovider = \"public\"\n",
        provider.config()
    )
}

fn login_as(home: &mut Home, account: &str, user: &str) -> common::Run {
    home.set("TOKDECK_TEST_LOGIN", user);
    home.run(&["login", account])
}

fn list_json(home: &Home) -> Vec<Value> {
    let run = home.ok(&["list", "--json"]);
    serde_json::from_str(&run.stdout).expect("list --json")
}

fn row<'a>(rows: &'a [Value], account: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["account"] == account)
        .unwrap_or_else(|| panic!("no row for {account}: {rows:?}"))
}

#[test]
fn list_shows_who_each_account_is() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&two_people(&provider));
    home.with_headless_user();
    let run = login_as(&mut home, "dev", "alice");
    assert_eq!(run.code, 0, "{run}\n{}", home.browser_log());
    assert!(
        run.stderr
            .contains("Logged in to 'dev' as alice@example.test"),
        "{run}"
    );
    assert_eq!(login_as(&mut home, "dev2", "bob").code, 0);

    let rows = list_json(&home);
    assert_eq!(
        row(&rows, "dev")["identity"],
        serde_json::json!({
            "iss": provider.issuer,
            "sub": "alice",
            "email": "alice@example.test",
            "preferred_username": "alice",
            "name": "Alice Example",
        })
    );
    assert_eq!(row(&rows, "dev2")["identity"]["sub"], "bob");
    assert_eq!(row(&rows, "web")["identity"], Value::Null, "no token: null");

    let table = home.ok(&["list"]).stdout;
    let header = table.lines().next().unwrap_or_default();
    assert!(header.contains("WHO"), "{table}");
    let dev2 = table
        .lines()
        .find(|l| l.starts_with("dev2 "))
        .unwrap_or_default();
    assert!(dev2.contains("bob@example.test"), "{table}");
}

#[test]
fn a_login_as_someone_else_is_refused_until_replace_user() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    assert_eq!(login_as(&mut home, "dev", "bob").code, 0);
    let before = std::fs::read(home.path().join("tokens/dev.json")).expect("record");
    let bobs_refresh = home.record("dev")["tokens"]["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let run = login_as(&mut home, "dev", "carol");
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains(
            "login returned carol@example.test, but 'dev' is bob@example.test: the browser is probably signed in as carol@example.test"
        ),
        "{run}"
    );
    assert!(
        run.stderr.contains("tokdeck login dev --replace-user"),
        "{run}"
    );
    assert_eq!(
        std::fs::read(home.path().join("tokens/dev.json")).expect("record"),
        before,
        "bob's tokens byte for byte"
    );
    // carol's new grant was revoked at the provider: tokdeck never keeps it.
    assert!(
        provider.log_count("grant.revoked") >= 1,
        "{}",
        provider.log()
    );

    let run = home.run(&["login", "dev", "--replace-user"]);
    assert_eq!(run.code, 0, "{run}\n{}", home.browser_log());
    assert_eq!(row(&list_json(&home), "dev")["identity"]["sub"], "carol");
    // bob's old grant is gone at the provider.
    assert_eq!(provider.introspect(&bobs_refresh)["active"], false);
}

#[test]
fn a_changed_issuer_or_client_never_receives_the_old_tokens() {
    let old = Provider::start(&[]);
    let mut new = Provider::start(&[]);
    let mut home = Home::new(&old.config());
    home.with_headless_user();
    home.ok(&["login", "dev"]);
    let record = std::fs::read(home.path().join("tokens/dev.json")).expect("record");

    let edits = [
        ("issuer", old.config().replace(&old.issuer, &new.issuer)),
        (
            "client",
            old.config()
                .replace("client_id = \"tokdeck-public\"", "client_id = \"tokdeck-confidential\"\nclient_secret = \"tokdeck-confidential-secret\""),
        ),
        (
            "token endpoint",
            old.config().replacen(
                &format!("issuer = \"{}\"\n", old.issuer),
                &format!("issuer = \"{0}\"\ntoken_endpoint = \"{1}/token\"\n", old.issuer, new.issuer),
                1,
            ),
        ),
    ];
    for (what, config) in edits {
        std::fs::write(home.path().join("config.toml"), &config).expect("config");
        for args in [
            &["refresh", "dev"][..],
            &["token", "dev"],
            &["header", "dev"],
            &["token", "dev", "--min-valid", "100000"],
            &["export", "dev"],
            &["introspect", "dev", "--refresh-token"],
            &["userinfo", "dev"],
            &["logout", "dev"],
        ] {
            let run = home.run(args);
            assert_eq!(run.code, 4, "{what}: {args:?}\n{run}");
            assert!(
                run.stderr.contains("the tokens of 'dev' were issued by"),
                "{what}: {args:?}\n{run}"
            );
            assert!(run.stderr.contains("run `tokdeck login dev`"), "{run}");
            assert!(run.stdout.is_empty(), "nothing printed: {run}");
        }
        assert_eq!(
            std::fs::read(home.path().join("tokens/dev.json")).expect("record"),
            record,
            "{what}: the record is kept as it was"
        );
    }
    // Not one token request, revocation or introspection reached the new provider.
    let log = new.log();
    for path in ["/token", "/token/revocation", "/token/introspection", "/me"] {
        assert!(
            !log.lines().any(|l| l.starts_with(&format!("POST {path} "))
                || l.starts_with(&format!("GET {path} "))),
            "{path} was called at the new provider:\n{log}"
        );
    }
    new.stop();
    // The old tokens can still be deleted here.
    let run = home.run(&["logout", "dev", "--local"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stderr.contains("deleted here without revoking them"),
        "{run}"
    );
    assert!(!home.path().join("tokens/dev.json").exists());
}

#[test]
fn login_hint_and_select_account_follow_the_config_and_the_provider() {
    for select_account in [true, false] {
        let flags: &[&str] = if select_account {
            &["--select-account"]
        } else {
            &[]
        };
        let provider = Provider::start(flags);
        let config = format!(
            "{}\n[accounts.web-bob]\nprovider = \"confidential\"\nlogin_hint = \"bob@example.test\"\n",
            provider.config()
        );
        let mut home = Home::new(&config);
        home.with_headless_user();
        home.set("TOKDECK_TEST_LOGIN", "bob");
        let run = home.run(&["login", "web-bob"]);
        assert_eq!(run.code, 0, "{run}\n{}", home.browser_log());
        let url = authorization_url(&home);
        assert_eq!(
            url.get("login_hint").map(String::as_str),
            Some("bob@example.test")
        );
        // Three accounts share the issuer: the chooser only where the provider knows it.
        let prompt = url.get("prompt").cloned().unwrap_or_default();
        assert_eq!(
            prompt,
            if select_account {
                "select_account consent"
            } else {
                "consent"
            },
            "{url:?}"
        );

        // A re-login of a pinned account hints at its person.
        home.set("TOKDECK_TEST_LOGIN", "alice");
        assert_eq!(home.run(&["login", "web"]).code, 0);
        std::fs::remove_file(home.path().join("browser.log")).expect("clear log");
        assert_eq!(home.run(&["login", "web"]).code, 0);
        let url = authorization_url(&home);
        // `confidential` asks for no `email` scope: the username is the hint.
        assert_eq!(url.get("login_hint").map(String::as_str), Some("alice"));
    }
}

/// The query of the last authorization URL the headless user was given.
fn authorization_url(home: &Home) -> std::collections::HashMap<String, String> {
    let log = home.browser_log();
    let start = log
        .lines()
        .filter_map(|l| l.strip_prefix("user.js: start "))
        .next_back()
        .unwrap_or_else(|| panic!("no start URL in the browser log:\n{log}"));
    url::Url::parse(start)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

#[test]
fn end_session_signs_the_browser_out_at_the_provider() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    let jar = home.path().join("jar.json");
    home.set("TOKDECK_TEST_JAR", &jar.display().to_string());
    let sign_ins = |home: &Home| home.browser_log().matches("form via \"Sign-in\"").count();

    home.ok(&["login", "web"]);
    assert_eq!(sign_ins(&home), 1, "{}", home.browser_log());
    // The browser keeps its session: no login form the second time.
    home.ok(&["login", "web"]);
    assert_eq!(sign_ins(&home), 1, "{}", home.browser_log());

    let run = home.run(&["logout", "web", "--end-session"]);
    assert_eq!(run.code, 0, "{run}\n{}", home.browser_log());
    // The browser goes on after tokdeck has handed it the page.
    let started = std::time::Instant::now();
    while !home.browser_log().contains("signed out")
        && started.elapsed() < std::time::Duration::from_secs(15)
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let log = home.browser_log();
    assert!(log.contains("signed out"), "{log}");
    assert!(
        !log.contains("id_token_hint="),
        "the ID token never travels in a URL: {log}"
    );
    // The provider's session is gone: the next login needs the login form again.
    home.ok(&["login", "web"]);
    assert_eq!(sign_ins(&home), 2, "{}", home.browser_log());
}

#[test]
fn end_session_without_an_endpoint_says_so_after_the_local_logout() {
    let home = Home::new(
        "[providers.plain]\nclient_id = \"c\"\ntoken_endpoint = \"http://127.0.0.1:9/token\"\n[accounts.x]\nprovider = \"plain\"\n",
    );
    home.write_record(
        "x",
        &common::bound_record("at", None, None, "http://127.0.0.1:9/token", "c"),
    );
    let path = home.path().join("tokens/x.json");
    let run = home.run(&["logout", "x", "--end-session"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stderr.contains("offers no end-session endpoint"),
        "{run}"
    );
    assert!(run.stderr.contains("Logged out of 'x'"), "{run}");
    assert!(!path.exists());
}

#[test]
fn commands_pick_their_account_from_context() {
    let provider = Provider::start(&[]);
    let project = tempfile::tempdir().expect("dir");
    let nested = project.path().join("api/src");
    std::fs::create_dir_all(&nested).expect("mkdir");
    let config = format!(
        "default_account = \"dev\"\n{}\n[accounts.dev2]\nprovider = \"public\"\ndirectories = [\"{}\"]\n",
        provider.config(),
        project.path().join("api").display()
    );
    let mut home = Home::new(&config);
    home.with_headless_user();
    home.ok(&["login", "dev"]);
    home.set("TOKDECK_TEST_LOGIN", "bob");
    home.ok(&["login", "dev2"]);
    let token_of = |account: &str| home.ok(&["token", account]).stdout;

    let in_dir = |dir: &std::path::Path, args: &[&str], env: Option<&str>| {
        let mut cmd = home.command(args);
        cmd.current_dir(dir).env("PWD", dir);
        match env {
            Some(name) => cmd.env("TOKDECK_ACCOUNT", name),
            None => cmd.env_remove("TOKDECK_ACCOUNT"),
        };
        common::Run::from(cmd.output().expect("run"))
    };
    // The directory: the longest match wins, from any depth.
    let run = in_dir(&nested, &["token"], None);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout, token_of("dev2"));
    let run = in_dir(&nested, &["which"], None);
    assert_eq!(
        run.stdout.trim(),
        format!(
            "dev2 (directories: {})",
            project.path().join("api").display()
        )
    );
    let json: Value =
        serde_json::from_str(&in_dir(&nested, &["which", "--json"], None).stdout).expect("json");
    assert_eq!(json["account"], "dev2");
    assert_eq!(json["from"], "directory");
    // TOKDECK_ACCOUNT beats the directory; the argument beats both.
    let run = in_dir(&nested, &["header"], Some("dev"));
    assert_eq!(
        run.stdout,
        format!("Authorization: Bearer {}", token_of("dev"))
    );
    assert_eq!(
        in_dir(&nested, &["which"], Some("dev")).stdout.trim(),
        "dev (from TOKDECK_ACCOUNT)"
    );
    let run = in_dir(&nested, &["token", "dev"], Some("dev2"));
    assert_eq!(run.stdout, token_of("dev"));
    // Elsewhere: the default account.
    let run = in_dir(project.path(), &["token"], None);
    assert_eq!(run.stdout, token_of("dev"));
    assert_eq!(
        in_dir(project.path(), &["which"], None).stdout.trim(),
        "dev (default_account)"
    );
    // An unknown TOKDECK_ACCOUNT is an error naming it.
    let run = in_dir(project.path(), &["token"], Some("nope"));
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("TOKDECK_ACCOUNT='nope'"), "{run}");

    // Without a default: nothing matches, and the error says how to choose.
    let config = config.replacen("default_account = \"dev\"\n", "", 1);
    std::fs::write(home.path().join("config.toml"), config).expect("config");
    let run = in_dir(project.path(), &["token"], None);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("no account named"), "{run}");
    assert!(run.stderr.contains("dev, dev2"), "{run}");
    assert!(run.stdout.is_empty());
}

/// At oidc-provider (as at Keycloak) two logins of one person through one browser session
/// share a grant, and revoking a refresh token ends the whole grant: tokdeck must not
/// revoke tokens that another of its accounts still lives on.
#[test]
fn revoking_never_ends_the_grant_of_another_account_of_the_same_person() {
    let provider = Provider::start(&[]);
    let config = format!(
        "{}\n[accounts.dev2]\nprovider = \"public\"\n[accounts.dev3]\nprovider = \"public\"\n",
        provider.config()
    );
    let mut home = Home::new(&config);
    home.with_headless_user();
    let bobs_browser = home.path().join("bob.jar").display().to_string();
    home.set("TOKDECK_TEST_JAR", &bobs_browser);
    assert_eq!(login_as(&mut home, "dev", "bob").code, 0);
    home.set(
        "TOKDECK_TEST_JAR",
        &home.path().join("alice.jar").display().to_string(),
    );
    assert_eq!(login_as(&mut home, "dev3", "alice").code, 0);

    // dev3 is alice's; bob's browser session answers as bob: refused, and bob's new tokens
    // (of dev's grant) are not revoked.
    home.set("TOKDECK_TEST_JAR", &bobs_browser);
    let run = home.run(&["login", "dev3"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains("login returned bob@example.test"),
        "{run}"
    );
    let refresh = home.run(&["refresh", "dev"]);
    assert_eq!(
        refresh.code,
        0,
        "dev's grant lives on: {refresh}\n{}",
        provider.log()
    );

    // Another account of bob through the same session, logged out: dev keeps working.
    assert_eq!(login_as(&mut home, "dev2", "bob").code, 0);
    let logout = home.ok(&["logout", "dev2"]);
    assert!(
        logout
            .stderr
            .contains("not revoked at the provider: account 'dev' holds the same person"),
        "{logout}"
    );
    let refresh = home.run(&["refresh", "dev"]);
    assert_eq!(refresh.code, 0, "{refresh}\n{}", provider.log());
    assert_eq!(provider.log_count("grant.revoked"), 0, "{}", provider.log());
}
