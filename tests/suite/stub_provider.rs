//! The real binary against a stub provider, for answers a certified server never gives.

use crate::common;

use common::Home;
use common::stub::{Stub, html, json};

const DEVICE_AUTH: &str = r#"{"device_code":"dc","user_code":"WXYZ-1234","verification_uri":"https://stub/device","expires_in":60,"interval":1}"#;

fn home_for(stub: &Stub) -> Home {
    Home::new(&format!(
        r#"
[providers.stub]
client_id = "cli"
token_endpoint = "{token}"
device_authorization_endpoint = "{device}"

[providers.stub-conf]
client_id = "svc"
client_secret = "svc-secret"
token_endpoint = "{token}"

[accounts.dev]
provider = "stub"
flow = "device"
scopes = ["openid"]

[accounts.svc]
provider = "stub-conf"
flow = "client_credentials"
"#,
        token = stub.url("/token"),
        device = stub.url("/device"),
    ))
}

#[test]
fn device_access_denied_ends_the_login_with_the_reason() {
    let stub = Stub::start();
    stub.on("/device", vec![json(200, DEVICE_AUTH)]).on(
        "/token",
        vec![
            json(400, r#"{"error":"authorization_pending"}"#),
            json(
                400,
                r#"{"error":"access_denied","error_description":"the user declined"}"#,
            ),
        ],
    );
    let home = home_for(&stub);
    let run = home.run(&["login", "dev", "--no-browser"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains("WXYZ-1234"),
        "the user code is shown: {run}"
    );
    assert!(run.stderr.contains("denied: the user declined"), "{run}");
    let polls = stub
        .requests()
        .iter()
        .filter(|(p, _)| p == "/token")
        .count();
    assert_eq!(polls, 2, "no poll after the denial");
    assert!(!home.path().join("tokens/dev.json").exists());
}

#[test]
fn device_expired_token_ends_the_login() {
    let stub = Stub::start();
    stub.on("/device", vec![json(200, DEVICE_AUTH)])
        .on("/token", vec![json(400, r#"{"error":"expired_token"}"#)]);
    let run = home_for(&stub).run(&["login", "dev", "--no-browser"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("device code expired"), "{run}");
}

#[test]
fn html_500_from_the_token_endpoint_is_described() {
    let stub = Stub::start();
    stub.on(
        "/token",
        vec![html(500, "<html><head><title>Internal Server Error</title></head><body><p>upstream down</p></body></html>")],
    );
    let run = home_for(&stub).run(&["token", "svc"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("HTTP 500"), "{run}");
    assert!(
        run.stderr.contains("Internal Server Error upstream down"),
        "{run}"
    );
    assert!(!run.stderr.contains("<html>"), "{run}");
    assert!(run.stdout.is_empty());
}

#[test]
fn truncated_json_is_reported_and_nothing_is_stored() {
    let stub = Stub::start();
    stub.on(
        "/token",
        vec![json(200, r#"{"access_token":"abc","token_type":"Bea"#)],
    );
    let home = home_for(&stub);
    let run = home.run(&["token", "svc"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains("cannot read") && run.stderr.contains("EOF"),
        "{run}"
    );
    assert!(
        !run.stderr.contains("abc"),
        "a partial body may hold a token: {run}"
    );
    assert!(!home.path().join("tokens/svc.json").exists());
}

#[test]
fn a_response_without_expires_in_is_a_token_without_expiry() {
    let stub = Stub::start();
    stub.on(
        "/token",
        vec![json(
            200,
            r#"{"access_token":"opaque-svc-token","token_type":"bearer"}"#,
        )],
    );
    let home = home_for(&stub);
    let run = home.ok(&["token", "svc"]);
    assert_eq!(run.stdout, "opaque-svc-token\n");
    let header = home.ok(&["header", "svc"]);
    assert_eq!(header.stdout, "Authorization: Bearer opaque-svc-token\n");
    // Only one request: the second command used the stored token.
    assert_eq!(stub.requests().len(), 1);
    let (_, body) = &stub.requests()[0];
    assert!(body.contains("grant_type=client_credentials"), "{body}");
    assert!(
        !body.contains("svc-secret"),
        "the secret goes in the Authorization header"
    );
    let list = home.ok(&["list", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&list.stdout).expect("json");
    let svc = rows
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["account"] == "svc")
        .expect("svc row");
    assert_eq!(svc["state"], "valid");
    assert_eq!(svc["expires_at"], serde_json::Value::Null);
}

#[test]
fn missing_access_token_is_named() {
    let stub = Stub::start();
    stub.on(
        "/token",
        vec![json(200, r#"{"token_type":"Bearer","expires_in":60}"#)],
    );
    let run = home_for(&stub).run(&["token", "svc"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("missing field `access_token`"), "{run}");
}

#[test]
fn connection_refused_names_the_endpoint() {
    let stub = Stub::start();
    let mut home = home_for(&stub);
    // A port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/token", dead.local_addr().expect("addr"));
    drop(dead);
    std::fs::write(
        home.path().join("config.toml"),
        format!("[providers.p]\nclient_id = \"c\"\nclient_secret = \"s\"\ntoken_endpoint = \"{url}\"\n[accounts.svc]\nprovider = \"p\"\nflow = \"client_credentials\"\n"),
    )
    .expect("write");
    home.set("TOKDECK_STORE", "file");
    let run = home.run(&["token", "svc"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains(&url), "{run}");
}

#[test]
fn no_token_means_exit_4_and_a_hint() {
    let stub = Stub::start();
    let run = home_for(&stub).run(&["token", "dev"]);
    assert_eq!(run.code, 4, "{run}");
    assert!(run.stderr.contains("tokdeck login dev"), "{run}");
    assert!(stub.requests().is_empty(), "nothing to ask the provider");
}

#[test]
fn unknown_account_lists_the_known_ones() {
    let stub = Stub::start();
    let run = home_for(&stub).run(&["token", "nope"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("no account named 'nope'") && run.stderr.contains("dev, svc"),
        "{run}"
    );
}

#[test]
fn export_formats_and_the_exec_credential() {
    let stub = Stub::start();
    stub.on(
        "/token",
        vec![json(
            200,
            r#"{"access_token":"svc-tok","token_type":"Bearer","expires_in":3600}"#,
        )],
    );
    let home = home_for(&stub);
    assert_eq!(
        home.ok(&["export", "svc", "--format", "curl"]).stdout,
        "header = \"Authorization: Bearer svc-tok\"\n"
    );
    let env = home.ok(&["export", "svc"]).stdout;
    assert!(
        env.starts_with(
            "export ACCESS_TOKEN='svc-tok'\nexport TOKEN_TYPE='Bearer'\nexport TOKEN_EXPIRES_AT='"
        ),
        "{env}"
    );
    let k8s: serde_json::Value =
        serde_json::from_str(&home.ok(&["token", "svc", "--format", "k8s"]).stdout)
            .expect("ExecCredential JSON");
    assert_eq!(k8s["kind"], "ExecCredential");
    assert_eq!(k8s["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(k8s["status"]["token"], "svc-tok");
    assert!(
        k8s["status"]["expirationTimestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
}

#[test]
fn providers_lists_the_presets() {
    let home = Home::new("");
    let text = home.ok(&["providers"]).stdout;
    for preset in [
        "google",
        "github",
        "gitlab",
        "microsoft",
        "auth0",
        "okta",
        "keycloak",
        "generic",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(preset)),
            "{preset} missing:\n{text}"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&home.ok(&["providers", "--json"]).stdout).expect("json");
    let keycloak = json
        .as_array()
        .and_then(|a| a.iter().find(|p| p["preset"] == "keycloak"))
        .expect("keycloak");
    assert_eq!(
        keycloak["requires"],
        serde_json::json!(["base_url", "realm"])
    );
}

#[test]
fn an_id_token_unchecked_for_want_of_the_network_is_not_an_unreachable_provider() {
    use base64::Engine;
    let stub = Stub::start();
    let issuer = stub.url("/issuer");
    let now = chrono::Utc::now().timestamp();
    let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let id_token = format!(
        "{}.{}.{}",
        enc(r#"{"alg":"RS256","kid":"k1"}"#),
        enc(&format!(
            r#"{{"iss":"{issuer}","aud":"cli","sub":"u","iat":{now},"exp":{}}}"#,
            now + 3600
        )),
        enc("not checked: the JWKS cannot be fetched")
    );
    stub.on("/device", vec![json(200, DEVICE_AUTH)]).on(
        "/token",
        vec![
            json(
                200,
                r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-1"}"#,
            ),
            json(
                200,
                &format!(
                    r#"{{"access_token":"at-2","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-2","id_token":"{id_token}"}}"#
                ),
            ),
        ],
    );
    let home = Home::new(&format!(
        r#"
[providers.stub]
issuer = "{issuer}"
client_id = "cli"
token_endpoint = "{token}"
device_authorization_endpoint = "{device}"
jwks_uri = "http://127.0.0.1:1/jwks"

[accounts.dev]
provider = "stub"
flow = "device"
scopes = ["openid"]
"#,
        token = stub.url("/token"),
        device = stub.url("/device"),
    ));
    home.ok(&["login", "dev", "--no-browser"]);
    // The refresh works, the new ID token cannot be checked (the JWKS is unreachable):
    // the new access token is printed, not the old one with "the provider is unreachable".
    let run = home.run(&["refresh", "dev"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(!run.stderr.contains("unreachable"), "{run}");
    // The new tokens were kept, without the unchecked ID token.
    let record = home.record("dev");
    assert_eq!(record["tokens"]["refresh_token"], "rt-2");
    assert!(record["tokens"]["id_token"].is_null(), "{record}");
    assert_eq!(home.ok(&["token", "dev"]).stdout.trim(), "at-2");
}

#[test]
fn invalid_client_names_the_client_and_its_table() {
    let stub = Stub::start();
    stub.on(
        "/token",
        vec![json(
            401,
            r#"{"error":"invalid_client","error_description":"client authentication failed"}"#,
        )],
    );
    let home = home_for(&stub);
    // A service account fetches with its secret; a user account refreshes without one.
    let run = home.run(&["token", "svc"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains(
            "invalid_client (client authentication failed; check `client_id = \"svc\"` in [providers.stub-conf] and its `client_secret`)"
        ),
        "{run}"
    );
    home.write_record(
        "dev",
        &common::bound_record(
            "at",
            Some("rt"),
            Some("2026-01-01T01:00:00Z"),
            &stub.url("/token"),
            "cli",
        ),
    );
    let run = home.run(&["refresh", "dev"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr
            .contains("check `client_id = \"cli\"` in [providers.stub] (no `client_secret` is set: does the provider expect one?)"),
        "{run}"
    );
}
