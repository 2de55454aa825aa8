//! The modern extensions against oidc-provider: pushed authorization requests (RFC 9126).

use crate::common;

use common::Home;
use common::provider::{Provider, ec_key};

fn par_config(provider: &Provider, par: bool) -> String {
    format!(
        "{}\n[providers.par]\nissuer = \"{}\"\nclient_id = \"tokdeck-par\"\nscopes = [\"openid\", \"email\", \"offline_access\"]\nflow = \"browser\"\n{}\n[accounts.pushed]\nprovider = \"par\"\n",
        provider.config(),
        provider.issuer,
        if par { "par = true\n" } else { "" }
    )
}

#[test]
fn pushed_authorization_requests_carry_the_whole_request() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&par_config(&provider, true));
    home.with_headless_user();
    let run = home.ok(&["login", "pushed"]);
    assert!(
        run.stderr
            .contains("Logged in to 'pushed' as alice@example.test"),
        "{run}"
    );
    // The browser saw only client_id and request_uri; PKCE, state and nonce were pushed.
    let opened = home
        .browser_log()
        .lines()
        .find_map(|l| l.strip_prefix("user.js: start ").map(str::to_string))
        .expect("the browser was started");
    assert!(opened.contains("request_uri=urn"), "{opened}");
    assert!(
        !opened.contains("code_challenge") && !opened.contains("state="),
        "{opened}"
    );
    assert!(
        provider.log_count("POST /request") >= 1,
        "{}",
        provider.log()
    );
    // The tokens work as any: a refresh with rotation, a logout that revokes.
    home.ok(&["refresh", "pushed"]);
    home.ok(&["logout", "pushed"]);

    // The same client without `par = true`: the provider refuses, and tokdeck says so.
    let mut home = Home::new(&par_config(&provider, false));
    home.with_headless_user();
    let run = home.run(&["login", "pushed"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.to_lowercase().contains("pushed"),
        "the provider's words: {run}"
    );
    assert!(run.stderr.contains("set `par = true`"), "what to do: {run}");
}

#[test]
fn signed_client_assertions_instead_of_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, jwks) = ec_key(dir.path(), "test-key-1");
    let provider = Provider::start(&["--client-jwks", jwks.to_str().expect("utf-8")]);
    let config = format!(
        "{}\n[providers.keyed]\nissuer = \"{issuer}\"\nclient_id = \"tokdeck-key\"\nclient_auth = \"private_key_jwt\"\nclient_key = \"{key}\"\nclient_key_id = \"test-key-1\"\nscopes = [\"api:read\"]\nflow = \"client_credentials\"\n\n[providers.hs]\nissuer = \"{issuer}\"\nclient_id = \"tokdeck-jwt-secret\"\nclient_secret = \"tokdeck-jwt-secret-secret-of-at-least-32-bytes\"\nclient_auth = \"client_secret_jwt\"\nscopes = [\"api:read\"]\nflow = \"client_credentials\"\n\n[accounts.keyed]\nprovider = \"keyed\"\n\n[accounts.hs]\nprovider = \"hs\"\n",
        provider.config(),
        issuer = provider.issuer,
        key = key.display()
    );
    let home = Home::new(&config);
    for account in ["keyed", "hs"] {
        let token = home.ok(&["token", account]).stdout;
        let decoded: serde_json::Value =
            serde_json::from_str(&home.ok(&["decode", token.trim()]).stdout).expect("JSON");
        assert!(
            decoded["claims"]["client_id"]
                .as_str()
                .is_some_and(|c| c.starts_with("tokdeck-")),
            "{decoded}"
        );
        // Introspection authenticates the same way.
        home.ok(&["refresh", account]);
    }
    // The secret itself never travelled: every token request carried an assertion.
    assert!(
        !provider.log().contains("tokdeck-jwt-secret-secret"),
        "{}",
        provider.log()
    );

    // Another key: refused with the provider's words, nothing stored.
    let (_, _) = ec_key(dir.path(), "ignored");
    let home = Home::new(&config);
    let run = home.run(&["token", "keyed"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("invalid_client"), "{run}");
    assert!(!home.path().join("tokens/keyed.json").exists());

    // A key file others can read is refused (the provider table is broken, not tokdeck).
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let run = home.run(&["token", "keyed"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("open to other users"), "{run}");
}

#[test]
fn token_exchange_trades_the_accounts_token_for_another_audience() {
    let provider = Provider::start(&[]);
    let config = format!(
        "{}\n[accounts.api-b]\nexchange_from = \"web\"\naudience = \"https://other.api.test\"\n\n[providers.elsewhere]\nissuer = \"http://127.0.0.1:9\"\nclient_id = \"x\"\n\n[accounts.far]\nprovider = \"elsewhere\"\n",
        provider.config()
    );
    let mut home = Home::new(&config);
    home.with_headless_user();
    home.ok(&["login", "web"]);
    let exchanged = home
        .ok(&["exchange", "web", "--audience", "https://other.api.test"])
        .stdout;
    let decoded: serde_json::Value =
        serde_json::from_str(&home.ok(&["decode", exchanged.trim()]).stdout).expect("JSON");
    assert_eq!(
        decoded["claims"]["aud"], "https://other.api.test",
        "{decoded}"
    );
    assert_ne!(
        exchanged.trim(),
        home.record("web")["tokens"]["access_token"],
        "a new token"
    );
    let run = home.ok(&[
        "exchange",
        "web",
        "--audience",
        "https://other.api.test",
        "--json",
    ]);
    let answer: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        answer["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    // The server checks the subject token for real: a client that may not exchange, or a
    // forged subject, is refused with the provider's words.
    home.ok(&["login", "dev"]);
    let run = home.run(&["exchange", "dev", "--audience", "https://other.api.test"]);
    assert_eq!(run.code, 1, "the public client may not exchange: {run}");
    assert!(
        run.stderr.contains("token endpoint refused the request"),
        "{run}"
    );

    // Delegation: `dev` acts for `web`; the server checked both tokens and says so in `act`.
    let acting = home
        .ok(&[
            "exchange",
            "web",
            "--audience",
            "https://other.api.test",
            "--actor",
            "dev",
        ])
        .stdout;
    let dev_sub = home.record("dev")["identity"]["sub"].clone();
    assert_eq!(claims(&home, &acting)["act"]["sub"], dev_sub);
    // An actor of another server: its token is not sent here (nothing asked of it).
    let run = home.run(&["exchange", "web", "--audience", "x", "--actor", "far"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("another server"), "{run}");

    // An account defined by exchange: no login of its own, cached like any, re-exchanged.
    let posts = provider.log_count("POST /token ");
    let by_exchange = home.ok(&["token", "api-b"]).stdout;
    assert_eq!(claims(&home, &by_exchange)["aud"], "https://other.api.test");
    assert_eq!(home.ok(&["token", "api-b"]).stdout, by_exchange);
    assert_eq!(provider.log_count("POST /token "), posts + 1, "cached");
    assert_eq!(
        home.record("api-b")["identity"],
        home.record("web")["identity"]
    );
    home.ok(&["refresh", "api-b"]);
    assert_ne!(
        home.ok(&["token", "api-b"]).stdout,
        by_exchange,
        "exchanged again"
    );
    let list = home.ok(&["list", "--json"]).stdout;
    assert!(list.contains("\"exchange_from\": \"web\""), "{list}");
    let run = home.run(&["login", "api-b"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("tokdeck login web"), "{run}");
    // The ID token as the subject: sent as such (this server takes access tokens only).
    let run = home.run(&[
        "exchange",
        "web",
        "--audience",
        "x",
        "--subject-token-type",
        "id_token",
    ]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("subject_token_type must be"), "{run}");
    for bad in [
        &["exchange", "web", "--audience", "x", "--actor", "web"][..],
        &["exchange", "web", "--audience", "x", "--resource", "nope"],
        &["exchange", "web", "--audience", ""],
    ] {
        assert_eq!(home.run(bad).code, 2, "{bad:?}");
    }

    // Logging out the source revokes its grant: the account by exchange shares none.
    let refresh_token = home.record("web")["tokens"]["refresh_token"].clone();
    let run = home.ok(&["logout", "web"]);
    assert!(!run.stderr.contains("not revoked"), "{run}");
    let body = format!(
        "grant_type=refresh_token&refresh_token={}",
        refresh_token.as_str().expect("refresh token")
    );
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-u",
            "tokdeck-confidential:tokdeck-confidential-secret",
            "-d",
            &body,
        ])
        .arg(format!("{}/token", provider.issuer))
        .output()
        .expect("curl");
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(answer.contains("invalid_grant"), "revoked: {answer}");
    // Now the account by exchange says whom to log in.
    home.ok(&["refresh", "dev"]);
    let run = home.run(&["refresh", "api-b"]);
    assert_eq!(run.code, 4, "{run}");
    assert!(run.stderr.contains("tokdeck login web"), "{run}");
}

pub(crate) fn dpop_config(provider: &Provider) -> String {
    format!(
        "{}\n[providers.bound]\nissuer = \"{issuer}\"\nclient_id = \"tokdeck-dpop\"\nscopes = [\"openid\", \"email\", \"offline_access\", \"api:read\"]\nflow = \"browser\"\ndpop = true\n\n[providers.nonced]\nissuer = \"{issuer}\"\nclient_id = \"tokdeck-dpop-nonce\"\nscopes = [\"openid\", \"email\", \"offline_access\", \"api:read\"]\nflow = \"device\"\ndpop = true\n\n[accounts.bound]\nprovider = \"bound\"\n\n[accounts.unbound]\nprovider = \"bound\"\ndpop = false\n\n[accounts.nonced]\nprovider = \"nonced\"\n\n[accounts.svc-bound]\nprovider = \"service\"\ndpop = true\n",
        provider.config(),
        issuer = provider.issuer
    )
}

fn claims(home: &Home, token: &str) -> serde_json::Value {
    let decoded: serde_json::Value =
        serde_json::from_str(&home.ok(&["decode", token.trim()]).stdout).expect("JSON");
    decoded["claims"].clone()
}

#[test]
fn dpop_binds_tokens_to_the_accounts_key_from_login_to_the_resource_server() {
    use common::provider::{Resource, curl_get};
    let provider = Provider::start(&[]);
    let resource = Resource::start(&provider.issuer);
    let mut home = Home::new(&dpop_config(&provider));
    home.with_headless_user();

    // Browser login: the code is bound to the key (dpop_jkt), the tokens are DPoP tokens.
    home.ok(&["login", "bound"]);
    let record = home.record("bound");
    assert_eq!(record["tokens"]["token_type"], "DPoP", "{record}");
    let token = record["tokens"]["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let jkt = claims(&home, &token)["cnf"]["jkt"]
        .as_str()
        .expect("cnf.jkt")
        .to_string();
    let opened = home.browser_log();
    assert!(opened.contains(&format!("dpop_jkt={jkt}")), "{opened}");
    let first_refresh_token = record["tokens"]["refresh_token"].clone();

    // `token` prints it and warns; `header` without the request cannot make a proof.
    let run = home.ok(&["token", "bound"]);
    assert_eq!(run.stdout.trim(), token);
    assert!(run.stderr.contains("DPoP-bound"), "{run}");
    let run = home.run(&["header", "bound"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("--url"), "{run}");
    for bad in [
        &[
            "header",
            "bound",
            "--method",
            "",
            "--url",
            "http://127.0.0.1/x",
        ][..],
        &["header", "bound", "--url", "ftp://127.0.0.1/x"],
        &["export", "bound", "--format", "curl"],
    ] {
        assert_eq!(home.run(bad).code, 2, "{bad:?}");
    }

    // The two headers verify at a resource server (signature, htm, htu, ath, cnf.jkt).
    let url = format!("{}/items?page=2", resource.url);
    let headers = home
        .ok(&["header", "bound", "--method", "GET", "--url", &url])
        .stdout;
    assert!(
        headers.starts_with(&format!("Authorization: DPoP {token}\nDPoP: ")),
        "{headers}"
    );
    let (status, body) = resource.get("/items?page=2", &headers);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&jkt), "{body}");
    // The same proof again is a replay; a proof for another URL or method is refused.
    let (status, body) = resource.get("/items?page=2", &headers);
    assert_eq!((status, body.contains("replayed")), (401, true), "{body}");
    let post = home
        .ok(&["header", "bound", "--method", "POST", "--url", &url])
        .stdout;
    let (status, body) = resource.get("/items", &post);
    assert_eq!((status, body.contains("htm")), (401, true), "{body}");

    // At the provider: the token is refused as a bearer token at userinfo.
    let userinfo = format!("{}/me", provider.issuer);
    let bearer = format!("Authorization: Bearer {token}\n");
    let (status, body) = curl_get(&userinfo, &bearer);
    assert_eq!(status, 401, "bound, not bearer: {body}");

    // A refresh rotates the refresh token (bound to the same key) and keeps the binding.
    home.ok(&["refresh", "bound"]);
    let record = home.record("bound");
    assert_ne!(record["tokens"]["refresh_token"], first_refresh_token);
    let refreshed = record["tokens"]["access_token"].as_str().expect("token");
    assert_ne!(refreshed, token);
    assert_eq!(claims(&home, refreshed)["cnf"]["jkt"], jkt.as_str());
    let list = home.ok(&["list"]).stdout;
    assert!(
        list.lines()
            .any(|l| l.starts_with("bound ") && l.contains("(DPoP-bound)")),
        "{list}"
    );
    home.ok(&["logout", "bound"]);

    // The client that requires DPoP refuses an account without it, in its own words.
    let run = home.run(&["login", "unbound"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("set `dpop = true`"), "{run}");
    assert!(!home.path().join("tokens/unbound.json").exists());

    // A server that wants nonces: the first proof is refused, the retry carries it.
    home.ok(&["login", "nonced"]);
    assert!(
        provider.log().contains("use_dpop_nonce"),
        "{}",
        provider.log()
    );
    home.ok(&["refresh", "nonced"]);
    assert_eq!(home.record("nonced")["tokens"]["token_type"], "DPoP");

    // Client credentials, DPoP for this account only (the provider is the bearer one's).
    let token = home.ok(&["token", "svc-bound"]).stdout;
    assert!(claims(&home, &token)["cnf"]["jkt"].is_string());
    let headers = home
        .ok(&[
            "header",
            "svc-bound",
            "--url",
            &format!("{}/svc", resource.url),
        ])
        .stdout;
    assert_eq!(resource.get("/svc", &headers).0, 200);
    // The provider refuses a proof it has seen: one of tokdeck's, sent twice.
    let token_endpoint = format!("{}/token", provider.issuer);
    let headers = home
        .ok(&[
            "header",
            "svc-bound",
            "--method",
            "POST",
            "--url",
            &token_endpoint,
        ])
        .stdout;
    let proof = headers.lines().nth(1).expect("the DPoP line");
    let grant = || {
        let out = std::process::Command::new("curl")
            .args([
                "-s",
                "-u",
                "tokdeck-service:tokdeck-service-secret",
                "-H",
                proof,
            ])
            .args([
                "-d",
                "grant_type=client_credentials&scope=api:read",
                &token_endpoint,
            ])
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(grant().contains("\"token_type\":\"DPoP\""));
    let replayed = grant();
    assert!(replayed.contains("invalid_grant"), "{replayed}");
    assert!(
        provider.log().contains("DPoP proof JWT Replay detected"),
        "{}",
        provider.log()
    );
}

#[test]
fn tokens_per_api_are_cached_beside_the_accounts_own() {
    let provider = Provider::start(&[]);
    let (api, reports) = ("https://api.tokdeck.test", "https://reports.tokdeck.test");
    let config = format!(
        "{}\n[accounts.multi]\nprovider = \"public\"\nscopes = [\"openid\", \"email\", \"offline_access\", \"api:read\", \"reports:read\"]\nresources = [\"{api}\", \"{reports}\"]\n",
        provider.config()
    );
    let mut home = Home::new(&config);
    home.with_headless_user();
    home.ok(&["login", "multi"]);
    let before = home.record("multi")["tokens"].clone();
    assert_eq!(
        claims(&home, before["access_token"].as_str().expect("at"))["aud"],
        api
    );

    // A token for the second API, from the refresh token; the account's own is the same.
    let posts = provider.log_count("POST /token ");
    let token = home.ok(&["token", "multi", "--resource", reports]).stdout;
    let got = claims(&home, &token);
    assert_eq!(
        (got["aud"].as_str(), got["scope"].as_str()),
        (Some(reports), Some("reports:read"))
    );
    let record = home.record("multi");
    assert_eq!(record["tokens"]["access_token"], before["access_token"]);
    assert_ne!(
        record["tokens"]["refresh_token"], before["refresh_token"],
        "the rotated refresh token is the account's"
    );
    assert_eq!(record["narrowed"][reports]["access_token"], token.trim());
    assert_eq!(provider.log_count("POST /token "), posts + 1);
    // Cached: served again without a request; exec and header take the same options.
    let run = home.ok(&[
        "exec",
        "multi",
        "--resource",
        reports,
        "--",
        "sh",
        "-c",
        "echo $ACCESS_TOKEN",
    ]);
    assert_eq!(run.stdout, token);
    let header = home.ok(&["header", "multi", "--resource", reports]).stdout;
    assert_eq!(
        header.trim(),
        format!("Authorization: Bearer {}", token.trim())
    );
    assert_eq!(
        provider.log_count("POST /token "),
        posts + 1,
        "{}",
        provider.log()
    );

    // Fewer scopes: a token of its own.
    let narrow = home.ok(&["token", "multi", "--scope", "api:read"]).stdout;
    assert_eq!(claims(&home, &narrow)["scope"], "api:read");
    assert_ne!(narrow.trim(), token.trim());

    // A scope the login was not granted: the provider's words, the value, and whether
    // the login survived (checked with a refresh, which here it did).
    let run = home.run(&["token", "multi", "--scope", "api:write"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains("invalid_scope") && run.stderr.contains("scope 'api:write'"),
        "{run}"
    );
    assert!(run.stderr.contains("refresh token still works"), "{run}");
    assert!(home.record("multi").get("login_needed").is_none());
    home.ok(&["refresh", "multi"]);
    let run = home.run(&["token", "multi", "--scope", " "]);
    assert_eq!(run.code, 2, "{run}");

    // An API the login did not ask for: refused here (oidc-provider spends the refresh
    // token on the refusal), with what to do; so is any on an account without `resources`.
    let run = home.run(&[
        "token",
        "multi",
        "--resource",
        "https://unknown.tokdeck.test",
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("add it to `resources`"), "{run}");
    home.ok(&["login", "dev"]);
    let run = home.run(&["token", "dev", "--resource", reports]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("lists no `resources`"), "{run}");
    home.ok(&["refresh", "multi"]);
    // A service account asks; the provider refuses in its words.
    let run = home.run(&["token", "svc", "--resource", "https://unknown.tokdeck.test"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains("invalid_target")
            && run
                .stderr
                .contains("resource 'https://unknown.tokdeck.test'")
            && run
                .stderr
                .contains("gives client 'tokdeck-service' no tokens"),
        "{run}"
    );
    // A resource added to the config after the login: refused here, as the login did
    // not ask for it (the record keeps what the login asked for).
    let grown = config.replace(
        &format!("resources = [\"{api}\", \"{reports}\"]"),
        &format!("resources = [\"{api}\", \"{reports}\", \"https://late.tokdeck.test\"]"),
    );
    std::fs::write(home.path().join("config.toml"), grown).expect("write config");
    let late = ["token", "multi", "--resource", "https://late.tokdeck.test"];
    let run = home.run(&late);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("after its login"), "{run}");
    home.ok(&["refresh", "multi"]);
    // A record of an earlier tokdeck does not say what its login asked for: the request
    // goes out, the provider refuses it and (oidc-provider) spends the refresh token, and
    // tokdeck checks and says so.
    let mut record = home.record("multi");
    record
        .as_object_mut()
        .expect("record")
        .remove("login_resources");
    home.write_record("multi", &record);
    let run = home.run(&late);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains("invalid_target")
            && run.stderr.contains("spent the account's refresh token")
            && run.stderr.contains("tokdeck login multi"),
        "{run}"
    );
    assert_eq!(
        home.run(&["token", "multi", "--min-valid", "0", "--resource", reports])
            .code,
        0,
        "a cached API token is still served"
    );
    assert_eq!(
        home.run(&["refresh", "multi"]).code,
        4,
        "the login is gone, as said"
    );
    let run = home.run(&["token", "multi", "--resource", "not a uri"]);
    assert_eq!(run.code, 2, "{run}");
}
