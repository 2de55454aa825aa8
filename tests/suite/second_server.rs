//! tokdeck's flows against a second, independently written server: Django OAuth
//! Toolkit 3.4 (tests/dot), with an issuer that has a path, revocation and introspection
//! listed only in its RFC 8414 metadata, opaque access tokens and hashed client secrets.

use crate::common;

use common::Home;
use common::dot::{Dot, SERVICE_CLIENT, SERVICE_SECRET};
use serde_json::Value;

fn home(dot: &Dot) -> Home {
    let mut home = Home::new(&dot.config());
    let browser = dot.user_script(&home);
    home.set("BROWSER", &browser);
    home
}

/// DOT's introspection, as the service client (client_secret_post).
fn introspect(dot: &Dot, token: &str) -> Value {
    let body = format!("token={token}&client_id={SERVICE_CLIENT}&client_secret={SERVICE_SECRET}");
    let (status, text) = common::http_post(&format!("{}/introspect/", dot.issuer), &body);
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).expect("JSON")
}

fn stored(home: &Home, account: &str, field: &str) -> String {
    home.record(account)["tokens"][field]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn client_credentials_introspection_and_a_logout_that_revokes() {
    let dot = Dot::start(300);
    let home = home(&dot);
    let token = home.ok(&["token", "svc"]).stdout.trim().to_string();
    assert_eq!(introspect(&dot, &token)["active"], true);
    // Cached: no second token request.
    assert_eq!(home.ok(&["token", "svc"]).stdout.trim(), token);
    assert_eq!(dot.log_count("POST /o/token/"), 1, "{}", dot.log());
    // Opaque tokens: decode says so; introspect asks the server, whose endpoint is listed
    // only in its RFC 8414 metadata (merged into the OIDC document).
    let decoded: Value = serde_json::from_str(&home.ok(&["decode", &token]).stdout).expect("JSON");
    assert_eq!(decoded["format"], "opaque");
    let answer: Value =
        serde_json::from_str(&home.ok(&["introspect", "svc"]).stdout).expect("JSON");
    assert_eq!(
        (answer["active"].clone(), answer["client_id"].clone()),
        (true.into(), SERVICE_CLIENT.into())
    );
    assert!(
        dot.log_count("GET /.well-known/oauth-authorization-server/o") >= 1,
        "{}",
        dot.log()
    );

    let run = home.ok(&["logout", "svc"]);
    assert!(run.stderr.contains("revoked the access token"), "{run}");
    assert_eq!(
        introspect(&dot, &token)["active"],
        false,
        "revoked at the server"
    );
}

#[test]
fn device_login_refresh_rotation_userinfo_id_token_and_logout() {
    let dot = Dot::start(300);
    let home = home(&dot);
    let run = home.ok(&["login", "dev"]);
    assert!(run.stderr.contains("Logged in to 'dev'"), "{run}");
    assert!(
        home.browser_log().contains("/o/device-confirm/"),
        "{}",
        home.browser_log()
    );
    // DOT's device grant brings no ID token; the refresh with `openid` does, and tokdeck
    // checks it against DOT's JWKS.
    assert!(stored(&home, "dev", "id_token").is_empty());
    let first_refresh = stored(&home, "dev", "refresh_token");
    home.ok(&["refresh", "dev"]);
    let rotated = stored(&home, "dev", "refresh_token");
    assert_ne!(rotated, first_refresh, "DOT rotates refresh tokens");
    let id_token = home.ok(&["token", "dev", "--id-token"]).stdout;
    let run = home.run(&["decode", "--issuer", &dot.issuer, id_token.trim()]);
    assert_eq!(run.code, 0, "{run}");
    let decoded: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(decoded["signature"], "valid", "{decoded}");
    assert_eq!(decoded["claims"]["iss"], dot.issuer.as_str());
    // userinfo: DOT's `sub` is the user's database key.
    let info: Value = serde_json::from_str(&home.ok(&["userinfo", "dev"]).stdout).expect("JSON");
    assert!(info["sub"].is_string(), "{info}");
    // The old refresh token is spent: DOT refuses its reuse and, with reuse protection,
    // revokes the whole grant; tokdeck's next refresh then says a login is needed and
    // keeps the tokens it has.
    let (status, text) = common::http_post(
        &format!("{}/token/", dot.issuer),
        &format!(
            "grant_type=refresh_token&client_id={}&refresh_token={first_refresh}",
            common::dot::DEVICE_CLIENT
        ),
    );
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("invalid_grant"), "{text}");
    let before = home.record("dev");
    let run = home.run(&["refresh", "dev"]);
    assert_eq!(run.code, 4, "{run}");
    assert_eq!(
        home.record("dev")["tokens"],
        before["tokens"],
        "the old tokens are kept"
    );
    let states: Value = serde_json::from_str(&home.ok(&["list", "--json"]).stdout).expect("JSON");
    let dev = states
        .as_array()
        .and_then(|r| r.iter().find(|r| r["account"] == "dev"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(dev["state"], "login_needed", "{dev}");
}

#[test]
fn browser_login_with_pkce_on_any_loopback_port() {
    let dot = Dot::start(300);
    let home = home(&dot);
    let run = home.ok(&["login", "web"]);
    assert!(run.stderr.contains("Logged in to 'web'"), "{run}");
    let log = home.browser_log();
    assert!(
        log.contains("code_challenge_method=S256") || log.contains("/o/authorize/"),
        "{log}"
    );
    assert!(
        !stored(&home, "web", "id_token").is_empty(),
        "the code flow brings an ID token"
    );
    // DOT accepted the registered http://127.0.0.1/callback on tokdeck's ephemeral port.
    let refresh = stored(&home, "web", "refresh_token");
    let access = stored(&home, "web", "access_token");
    assert_eq!(introspect(&dot, &access)["active"], true);
    home.ok(&["logout", "web"]);
    let (status, text) = common::http_post(
        &format!("{}/token/", dot.issuer),
        &format!(
            "grant_type=refresh_token&client_id={}&refresh_token={refresh}",
            common::dot::BROWSER_CLIENT
        ),
    );
    assert_eq!(
        status, 400,
        "the logout revoked the refresh token (RFC 8414 metadata): {text}"
    );
    assert_eq!(introspect(&dot, &access)["active"], false);

    // An API that DOT protects (RFC 9728 metadata naming DOT): DOT offers no dynamic
    // registration (RFC 7591), so tokdeck says what to register by hand and where it goes.
    let api = common::provider::Resource::start_with(&dot.issuer, &["--metadata"]);
    let url = format!("{}/mcp", api.url);
    let run = home.run(&["add", "api", "--url", &url]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains(&format!(
            "{} offers no dynamic client registration",
            dot.issuer
        )) && run.stderr.contains("--client-id ID"),
        "{run}"
    );
    let run = home.ok(&[
        "add",
        "api",
        "--url",
        &url,
        "--client-id",
        common::dot::BROWSER_CLIENT,
    ]);
    assert!(
        run.stdout.contains(&format!("issuer = \"{}\"", dot.issuer)),
        "{run}"
    );
}

/// DOT revokes the previous access token when it issues a new one: an expiry tokdeck
/// tells a tool must not be later than its own routine refreshes (the dashboard's
/// schedule, callers without --min-valid). 60 s tokens, the dashboard running, a caller
/// every second: the token handed to kubectl is introspected every second until the
/// expiry it was told, and is active throughout; one routine refresh per half lifetime.
#[test]
fn a_token_stays_active_until_the_expiry_tokdeck_told() {
    let dot = Dot::start(60);
    let home = home(&dot);
    // Only the account under test: the dashboard would fetch the service account's
    // first token on its own, one more token request in DOT's log.
    let path = home.path().join("config.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        text.replace("[accounts.svc]\nprovider = \"dot-service\"\n", ""),
    )
    .expect("config without svc");
    home.ok(&["login", "dev"]);
    let _dashboard = common::tmux::Tmux::start(&home, 120, 30);
    let out = home.ok(&["token", "dev", "--format", "k8s"]);
    let credential: Value = serde_json::from_str(&out.stdout).expect("ExecCredential");
    let token = credential["status"]["token"]
        .as_str()
        .expect("token")
        .to_string();
    let told = credential["status"]["expirationTimestamp"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .expect("expirationTimestamp")
        .with_timezone(&chrono::Utc);
    let expires = chrono::DateTime::parse_from_rfc3339(&stored(&home, "dev", "expires_at"))
        .expect("expires_at")
        .with_timezone(&chrono::Utc);
    let margin = (expires - told).num_seconds();
    assert!(
        (29..=31).contains(&margin),
        "told {told}, expires {expires}"
    );
    let before = dot.log_count("POST /o/token/");
    let mut checks = 0;
    while chrono::Utc::now() < told - chrono::Duration::milliseconds(500) {
        // A prompt's call: the routine ask, which must not replace the token early.
        home.ok(&["token", "dev"]);
        let answer = introspect(&dot, &token);
        assert_eq!(
            answer["active"],
            true,
            "inactive at {} although tokdeck told {told}:\n{}",
            chrono::Utc::now(),
            dot.log()
        );
        // Still before the told expiry: no token request since the first.
        if chrono::Utc::now() < told {
            assert_eq!(
                dot.log_count("POST /o/token/"),
                before,
                "a refresh before the told expiry {told}:\n{}",
                dot.log()
            );
        }
        checks += 1;
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    assert!(checks >= 20, "{checks} checks");
    // At the refresh point the routine refreshes happen: one, whoever runs it.
    std::thread::sleep(std::time::Duration::from_secs(4));
    home.ok(&["token", "dev"]);
    assert_eq!(
        dot.log_count("POST /o/token/"),
        before + 1,
        "one refresh, by the dashboard or a caller:\n{}",
        dot.log()
    );
    assert_ne!(home.ok(&["token", "dev"]).stdout.trim(), token);
}
