//! `tokdeck add NAME --url URL`: an account from an API's URL alone, against
//! oidc-provider with dynamic client registration (RFC 7591/7592) and a resource server
//! that publishes its protected resource metadata (RFC 9728) and takes only tokens
//! whose audience is itself (RFC 8707).

use crate::common;

use common::Home;
use common::provider::{Provider, Resource, curl_get};

/// The registration tokdeck kept for `provider` (file store).
fn registration(home: &Home, provider: &str) -> serde_json::Value {
    let path = home
        .path()
        .join("registrations")
        .join(format!("{provider}.json"));
    let text = std::fs::read_to_string(&path).expect("registration file");
    serde_json::from_str(&text).expect("registration JSON")
}

fn config(home: &Home) -> String {
    std::fs::read_to_string(home.path().join("config.toml")).expect("config")
}

/// An RFC 7592 request with the registration access token: the HTTP status.
fn manage(method: &str, registration: &serde_json::Value) -> u16 {
    let uri = registration["registration_client_uri"]
        .as_str()
        .expect("registration_client_uri");
    let token = registration["registration_access_token"]
        .as_str()
        .expect("registration_access_token");
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method])
        .args(["-H", "@-", uri])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(format!("Authorization: Bearer {token}\n").as_bytes())?;
            child.wait_with_output()
        })
        .expect("curl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

#[test]
fn an_api_url_alone_registers_a_client_logs_in_and_gets_tokens_for_that_api() {
    let provider = Provider::start(&["--registration"]);
    let api = Resource::start_with(&provider.issuer, &["--metadata"]);
    let url = format!("{}/mcp", api.url);
    let mut home = Home::new("");
    home.with_headless_user();

    // Unauthenticated, the API answers 401 with where its metadata is.
    let (status, _) = curl_get(&url, "");
    assert_eq!(status, 401);

    // What can be told before asking any server is told first: nothing registered.
    let run = home.run(&["add", "bad name", "--url", &url]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("account name 'bad name'"), "{run}");
    // A registration that cannot be kept (no keyring here) is not left at the server.
    let mut no_keyring = Home::new("");
    no_keyring.set("TOKDECK_STORE", "keyring");
    no_keyring.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let run = no_keyring.run(&["add", "mcp", "--url", &url]);
    assert_ne!(run.code, 0, "{run}");
    assert!(
        run.stderr.contains("cannot keep the registration")
            && run
                .stderr
                .contains("the registration was deleted there again"),
        "{run}"
    );
    assert_eq!(
        provider.log_count_reaching("POST /reg ", 1),
        1,
        "{}",
        provider.log()
    );
    assert_eq!(
        provider.log_count_reaching("DELETE /reg/", 1),
        1,
        "{}",
        provider.log()
    );
    assert_eq!(config(&no_keyring), "", "nothing written");

    let run = home.ok(&["add", "mcp", "--url", &url]);
    assert!(
        run.stderr
            .contains(&format!("is protected by {}", provider.issuer)),
        "{run}"
    );
    assert!(run.stderr.contains("registered tokdeck at"), "{run}");
    assert_eq!(
        provider.log_count_reaching("POST /reg ", 2),
        2,
        "{}",
        provider.log()
    );
    let written = config(&home);
    let kept = registration(&home, "mcp");
    let client_id = kept["client_id"].as_str().expect("client_id").to_string();
    assert!(
        written.contains(&format!("client_id = \"{client_id}\""))
            && written.contains("registration = \"dynamic\"")
            && written.contains(&format!("params = {{ resource = \"{url}\" }}"))
            && written.contains("\"api:read\""),
        "{written}"
    );
    assert_eq!(kept["issuer"], provider.issuer.as_str());
    // The registration access token is kept (0600), never shown.
    let token = kept["registration_access_token"].as_str().expect("RAT");
    assert!(!run.stdout.contains(token) && !run.stderr.contains(token));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.path().join("registrations/mcp.json"))
            .expect("registration file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The login asks for the API (RFC 8707) and the token is one the API takes: the
    // resource server checks that its audience is the API itself.
    home.ok(&["login", "mcp"]);
    let opened = home.browser_log();
    assert!(
        opened.contains(&format!("resource={}", common::provider::url_encode(&url))),
        "{opened}"
    );
    let access = home.ok(&["token", "mcp"]).stdout.trim().to_string();
    let (status, body) = curl_get(&url, &format!("Authorization: Bearer {access}\n"));
    assert_eq!((status, body.as_str()), (200, r#"{"sub":"alice"}"#));
    let list = home.ok(&["list"]).stdout;
    assert!(list.contains("mcp") && list.contains("alice"), "{list}");

    // Another account for the same API shares its provider (and client); removing it
    // leaves both to the first.
    home.ok(&["add", "second", "--url", &url, "--provider", "mcp"]);
    let written = config(&home);
    assert!(
        written.contains("[accounts.second]\nprovider = \"mcp\"")
            && written.matches(&format!("resource = \"{url}\"")).count() == 2,
        "{written}"
    );
    let run = home.ok(&["remove", "second"]);
    assert!(!run.stderr.contains("registration"), "{run}");
    assert!(config(&home).contains("[providers.mcp]"));

    // The client deleted at the server: the next login registers again and says so.
    assert_eq!(manage("DELETE", &kept), 204);
    let run = home.ok(&["login", "mcp"]);
    assert!(
        run.stderr
            .contains("is no longer known: registered again at"),
        "{run}"
    );
    let again = registration(&home, "mcp");
    let new_id = again["client_id"].as_str().expect("client_id");
    assert_ne!(new_id, client_id);
    assert!(
        config(&home).contains(&format!("client_id = \"{new_id}\"")),
        "{}",
        config(&home)
    );
    let access = home.ok(&["token", "mcp"]).stdout.trim().to_string();
    let (status, _) = curl_get(&url, &format!("Authorization: Bearer {access}\n"));
    assert_eq!(status, 200);

    // A server that cannot be asked beforehand (no registration access token kept):
    // the provider's invalid_client at the login registers again, and the login goes on.
    assert_eq!(manage("DELETE", &again), 204);
    let mut unmanaged = again.clone();
    unmanaged["registration_access_token"] = serde_json::Value::Null;
    unmanaged["registration_client_uri"] = serde_json::Value::Null;
    std::fs::write(
        home.path().join("registrations/mcp.json"),
        unmanaged.to_string(),
    )
    .expect("registration without management");
    let run = home.ok(&["login", "mcp", "--flow", "device"]);
    assert!(
        run.stderr
            .contains("the provider refused the client tokdeck registered (invalid_client)")
            && run.stderr.contains("Logged in to 'mcp'"),
        "{run}"
    );
    let again = registration(&home, "mcp");
    let access = home.ok(&["token", "mcp"]).stdout.trim().to_string();
    let (status, _) = curl_get(&url, &format!("Authorization: Bearer {access}\n"));
    assert_eq!(status, 200);

    // `remove` revokes, deletes the registration at the server and here, and the
    // provider table it was made for.
    assert_eq!(manage("GET", &again), 200);
    let run = home.ok(&["remove", "mcp"]);
    assert!(
        run.stderr.contains("its client registration at") && run.stderr.contains("was deleted"),
        "{run}"
    );
    assert_eq!(manage("GET", &again), 401);
    assert!(!home.path().join("registrations/mcp.json").exists());
    assert!(
        !config(&home).contains("[providers.mcp]"),
        "{}",
        config(&home)
    );

    // An issuer alone, without a client: registered the same way (no API to bind to).
    let registered_before = provider.log_count("POST /reg ");
    home.ok(&["add", "plain", "--issuer", &provider.issuer]);
    assert_eq!(
        provider.log_count_reaching("POST /reg ", registered_before + 1),
        registered_before + 1
    );
    let written = config(&home);
    assert!(
        written.contains("[providers.plain]")
            && written.contains("registration = \"dynamic\"")
            && !written.contains("resource ="),
        "{written}"
    );
}

#[test]
fn an_api_whose_metadata_names_another_resource_or_whose_server_does_not_register_is_refused_clearly()
 {
    // No registration at this server.
    let provider = Provider::start(&[]);
    let liar = Resource::start_with(
        &provider.issuer,
        &[
            "--metadata",
            "--claim-resource",
            "https://other.example/mcp",
        ],
    );
    let home = Home::new("");
    let url = format!("{}/mcp", liar.url);
    let run = home.run(&["add", "mcp", "--url", &url]);
    assert_ne!(run.code, 0, "{run}");
    assert!(
        run.stderr
            .contains("is for resource 'https://other.example/mcp'")
            && run.stderr.contains("RFC 9728 §3.3"),
        "{run}"
    );
    assert_eq!(config(&home), "", "nothing written");
    assert_eq!(provider.log_count("openid-configuration"), 0);

    // Found from the well-known place alone (no challenge), at a server that offers
    // no registration: what to register by hand, and where to put it.
    let api = Resource::start_with(&provider.issuer, &["--metadata", "--no-challenge"]);
    let url = format!("{}/mcp", api.url);
    let run = home.run(&["add", "mcp", "--url", &url]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("offers no dynamic client registration")
            && run
                .stderr
                .contains("redirect URI http://127.0.0.1/callback")
            && run.stderr.contains("--client-id ID")
            && run.stderr.contains("[providers.mcp]"),
        "{run}"
    );
    assert_eq!(config(&home), "", "nothing written");
    assert!(!home.path().join("registrations").exists());

    // With the client registered by hand, the account is made for the API all the same.
    home.ok(&[
        "add",
        "mcp",
        "--url",
        &url,
        "--client-id",
        common::provider::PUBLIC_CLIENT,
        "--scope",
        "api:read",
    ]);
    let written = config(&home);
    assert!(
        written.contains(&format!("resource = \"{url}\""))
            && !written.contains("registration =")
            && written.contains("scopes = [\"openid\", \"offline_access\", \"api:read\"]"),
        "{written}"
    );
}
