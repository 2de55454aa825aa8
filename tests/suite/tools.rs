//! Tokens reaching the tools that use them, through the real binary and real clients:
//! `exec`, git's credential helper protocol, Docker's, kubeconfig.

use crate::common;

use common::Home;
use common::provider::Provider;
use std::process::Stdio;
use std::time::Duration;

#[test]
fn exec_puts_the_token_in_the_environment_only_and_passes_the_status_on() {
    let provider = Provider::start(&[]);
    let mut config = provider.config();
    config.push_str("env = [\"GITLAB_TOKEN\", \"CI_JOB_TOKEN\"]\n"); // on [accounts.svc]
    let home = Home::new(&config);
    let token = home.ok(&["token", "svc"]).stdout.trim().to_string();

    let run = home.ok(&[
        "exec",
        "svc",
        "--",
        "sh",
        "-c",
        "printf '%s %s %s' \"$GITLAB_TOKEN\" \"$CI_JOB_TOKEN\" \"$TOKDECK_ACCOUNT\"",
    ]);
    assert_eq!(
        run.stdout,
        format!("{token} {token} svc"),
        "the account's env: {run}"
    );
    let run = home.ok(&[
        "exec",
        "svc",
        "--env",
        "MY_TOKEN",
        "--",
        "sh",
        "-c",
        "printf '%s|%s' \"$MY_TOKEN\" \"${GITLAB_TOKEN:-unset}\"",
    ]);
    assert_eq!(run.stdout, format!("{token}|unset"), "--env wins: {run}");

    // The command's status is tokdeck's; a command that cannot start is 127.
    assert_eq!(
        home.run(&["exec", "svc", "--", "sh", "-c", "exit 7"]).code,
        7
    );
    let run = home.run(&["exec", "svc", "--", "no-such-program-here"]);
    assert_eq!(run.code, 127, "{run}");
    assert!(
        run.stderr.contains("cannot run 'no-such-program-here'"),
        "{run}"
    );
    // Found but not executable: 126, as shells say.
    let script = home.path().join("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\necho ran\n").expect("write");
    let run = home.run(&["exec", "svc", "--", &script.display().to_string()]);
    assert_eq!(run.code, 126, "{run}");
    // No usable token: exit 4, nothing started.
    let marker = home.path().join("started");
    let run = home.run(&["exec", "dev", "--", "touch", &marker.display().to_string()]);
    assert_eq!(run.code, 4, "{run}");
    assert!(!marker.exists(), "nothing was started");

    // The token is in the environment, not on any command line; a SIGTERM to the pid
    // tokdeck had reaches the command (it is the command).
    let mut child = home
        .command(&["exec", "svc", "--", "sleep", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let cmdline = loop {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if cmdline.starts_with(b"sleep") || std::time::Instant::now() > deadline {
            break cmdline;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        cmdline.starts_with(b"sleep\x0030"),
        "{:?}",
        String::from_utf8_lossy(&cmdline)
    );
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    assert!(String::from_utf8_lossy(&environ).contains(&format!("GITLAB_TOKEN={token}")));
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    let status = child.wait().expect("wait");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(15),
        "ended by the forwarded SIGTERM: {status:?}"
    );
}

/// A home whose `dev` account is alice and `web-public` is bob, with git's global config
/// in the home too.
pub(crate) fn two_people(provider: &Provider) -> Home {
    let mut home = Home::new(&provider.config());
    home.set("HOME", &home.path().display().to_string());
    home.set("GIT_CONFIG_NOSYSTEM", "1");
    home.set("GIT_TERMINAL_PROMPT", "0");
    home.with_headless_user();
    home.ok(&["login", "dev"]);
    home.set("TOKDECK_TEST_LOGIN", "bob");
    home.ok(&["login", "web-public"]);
    home.set("TOKDECK_TEST_LOGIN", "alice");
    home
}

pub(crate) fn git_server(
    provider: &Provider,
    root: &std::path::Path,
) -> common::git_server::GitServer {
    common::git_server::bare_repo(root, "alice.git");
    common::git_server::bare_repo(root, "bob.git");
    let issuer = provider.issuer.clone();
    let jwks = http_get(&format!("{issuer}/jwks"));
    let check = std::sync::Arc::new(move |token: &str, repo: &str| {
        verified_sub(token, &issuer, &jwks).is_some_and(|sub| format!("{sub}.git") == repo)
    });
    common::git_server::GitServer::start(root, check)
}

/// The `sub` of a JWT access token that the provider's key signed (RS256), for this
/// issuer, not expired: what a real Git server checks before it serves a repository.
fn verified_sub(token: &str, issuer: &str, jwks: &serde_json::Value) -> Option<String> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return None;
    };
    let header: serde_json::Value = serde_json::from_slice(&b64.decode(header).ok()?).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&b64.decode(payload).ok()?).ok()?;
    let key = jwks["keys"]
        .as_array()?
        .iter()
        .find(|k| k["kid"] == header["kid"])?;
    let (n, e) = (
        b64.decode(key["n"].as_str()?).ok()?,
        b64.decode(key["e"].as_str()?).ok()?,
    );
    let public = ring::signature::RsaPublicKeyComponents { n: &n, e: &e };
    let signed = format!("{}.{}", parts[0], parts[1]);
    public
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            signed.as_bytes(),
            &b64.decode(signature).ok()?,
        )
        .ok()?;
    let now = chrono::Utc::now().timestamp();
    (claims["iss"] == issuer && claims["exp"].as_i64()? > now && header["alg"] == "RS256")
        .then(|| claims["sub"].as_str().map(str::to_string))
        .flatten()
}

fn http_get(url: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http");
    let (host, path) = rest.split_once('/').expect("path");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    serde_json::from_str(body).expect("JSON")
}

#[test]
fn git_clones_and_pushes_with_each_accounts_token() {
    let provider = Provider::start(&[]);
    let home = two_people(&provider);
    let root = tempfile::tempdir().expect("tempdir");
    let server = git_server(&provider, root.path());
    let (alice, bob) = (
        format!("{}/alice.git", server.url),
        format!("{}/bob.git", server.url),
    );
    let work = home.path().join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    let git = |script: &str| home.shell("sh", &format!("cd '{}' && {script}", work.display()));

    // Without tokdeck, git has nothing to send.
    let run = git(&format!("git clone -q {alice} no-helper"));
    assert_ne!(run.code, 0, "{run}");

    // setup git: the URL into the account's urls, the helper into git's global config.
    let run = home.ok(&["setup", "git", "dev", &alice]);
    assert!(run.stdout.contains("+ urls = ["), "{run}");
    assert!(
        run.stdout.contains("credential.") && run.stdout.contains("useHttpPath = true"),
        "{run}"
    );
    home.ok(&["setup", "git", "web-public", &bob]);
    let gitconfig = std::fs::read_to_string(home.path().join(".gitconfig")).expect("gitconfig");
    // Twice changes nothing.
    let again = home.ok(&["setup", "git", "dev", &alice]);
    assert!(again.stdout.is_empty(), "{again}");
    assert_eq!(
        std::fs::read_to_string(home.path().join(".gitconfig")).expect("gitconfig"),
        gitconfig
    );

    // Each repository with its own person's token, by URL; push too.
    let run = git(&format!(
        "git clone -q {alice} a && git clone -q {bob} b && cat a/README b/README"
    ));
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout, "alice.git\nbob.git\n");
    let run = git(
        "cd a && echo more >> README && git -c user.name=t -c user.email=t@t commit -qam more && git push -q origin main",
    );
    assert_eq!(run.code, 0, "{run}");
    // git 2.46+ announces authtype: the token went as a Bearer credential.
    assert!(
        server
            .schemes
            .lock()
            .expect("lock")
            .iter()
            .any(|s| s == "Bearer"),
        "{:?}",
        server.schemes
    );

    // An expired token is refreshed between two fetches.
    let before = home.record("dev")["tokens"]["access_token"].clone();
    let mut record = home.record("dev");
    record["tokens"]["expires_at"] = "2026-01-01T00:00:00Z".into();
    home.write_record("dev", &record);
    let run = git("cd a && git fetch -q origin");
    assert_eq!(run.code, 0, "{run}");
    assert_ne!(
        home.record("dev")["tokens"]["access_token"],
        before,
        "refreshed for git"
    );

    // --remove undoes both.
    home.ok(&["setup", "git", "dev", &alice, "--remove"]);
    let config = std::fs::read_to_string(home.path().join("config.toml")).expect("config");
    assert!(!config.contains("alice.git"), "{config}");
    let run = git(&format!("git clone -q {alice} again"));
    assert_ne!(run.code, 0, "{run}");
}

#[test]
fn the_git_credential_protocol_as_git_speaks_it() {
    let provider = Provider::start(&[]);
    let home = two_people(&provider);
    let root = tempfile::tempdir().expect("tempdir");
    let server = git_server(&provider, root.path());
    let host = server.url.trim_start_matches("http://").to_string();
    home.ok(&["setup", "git", "dev", &format!("{}/alice.git", server.url)]);
    let token = home.record("dev")["tokens"]["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let ask = |request: String| {
        home.shell(
            "sh",
            &format!("printf '{request}' | tokdeck git-credential get"),
        )
    };

    let run = ask(format!(
        "protocol=http\\nhost={host}\\npath=alice.git\\n\\n"
    ));
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.starts_with(&format!(
            "username=oauth2\npassword={token}\npassword_expiry_utc="
        )),
        "{run}"
    );
    let run = ask(format!(
        "capability[]=authtype\\nprotocol=http\\nhost={host}\\npath=alice.git\\n\\n"
    ));
    assert!(
        run.stdout.starts_with(&format!(
            "capability[]=authtype\nauthtype=Bearer\ncredential={token}\nephemeral=1\n"
        )),
        "{run}"
    );
    // git's own transcript: `git credential fill` asks the configured helper.
    let run = home.shell(
        "sh",
        &format!("printf 'url=http://{host}/alice.git\\n\\n' | git credential fill"),
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains(&format!("password={token}"))
            || run.stdout.contains(&format!("credential={token}")),
        "{run}"
    );
    // A URL no account claims: nothing, exit 0 (git asks its next helper).
    let run = ask(format!(
        "protocol=http\\nhost={host}\\npath=bob-other.git\\n\\n"
    ));
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run}");
    // Without a path from git, only host-wide entries match.
    let run = ask(format!("protocol=http\\nhost={host}\\n\\n"));
    assert_eq!(run.stdout, "", "{run}");
    // erase of the stored token: the next get hands out a refreshed one.
    let run = home.shell("sh", &format!("printf 'protocol=http\\nhost={host}\\npath=alice.git\\npassword={token}\\n\\n' | tokdeck git-credential erase"));
    assert_eq!(run.code, 0, "{run}");
    let run = ask(format!(
        "protocol=http\\nhost={host}\\npath=alice.git\\n\\n"
    ));
    assert!(
        !run.stdout.contains(&token),
        "a new token after erase: {run}"
    );
    // A dead refresh token: no login from a background caller, the message says what to do.
    let mut record = home.record("dev");
    record["tokens"]["expires_at"] = "2026-01-01T00:00:00Z".into();
    record["tokens"]["refresh_token"] = "dead".into();
    home.write_record("dev", &record);
    let run = ask(format!(
        "protocol=http\\nhost={host}\\npath=alice.git\\n\\n"
    ));
    assert_eq!(run.code, 4, "{run}");
    assert!(
        run.stdout.is_empty() && run.stderr.contains("tokdeck login dev"),
        "{run}"
    );
    assert!(
        home.browser_log().matches("start ").count() <= 2,
        "no browser opened for git: {}",
        home.browser_log()
    );
}

#[test]
fn docker_speaks_the_credential_helper_protocol_and_setup_keeps_the_config() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.set("HOME", &home.path().display().to_string());
    let docker = home.path().join("docker");
    home.set("DOCKER_CONFIG", &docker.display().to_string());
    std::fs::create_dir_all(&docker).expect("mkdir");
    let original = r#"{"auths": {"other.example": {"auth": "eA=="}}, "credsStore": "desktop", "experimental": "enabled"}"#;
    std::fs::write(docker.join("config.json"), original).expect("write");
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    std::fs::set_permissions(
        docker.join("config.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    let token = home.ok(&["token", "svc"]).stdout.trim().to_string();

    // setup docker: urls, credHelpers (every other key kept, in order), the helper (a
    // script that carries this TOKDECK_HOME, since Docker passes none).
    let run = home.ok(&["setup", "docker", "svc", "registry.example.test"]);
    assert!(
        run.stdout
            .contains("credHelpers[\"registry.example.test\"] set"),
        "{run}"
    );
    let written = std::fs::read_to_string(docker.join("config.json")).expect("config");
    assert_eq!(mode(&docker.join("config.json")), 0o644, "its mode is kept");
    let json: serde_json::Value = serde_json::from_str(&written).expect("JSON");
    assert_eq!(json["credHelpers"]["registry.example.test"], "tokdeck");
    assert_eq!(json["auths"]["other.example"]["auth"], "eA==");
    assert_eq!(json["credsStore"], "desktop");
    let keys: Vec<&String> = json.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["auths", "credsStore", "experimental", "credHelpers"],
        "order kept"
    );
    let again = home.ok(&["setup", "docker", "svc", "registry.example.test"]);
    assert!(
        !again.stdout.contains("credHelpers"),
        "twice changes nothing: {again}"
    );
    // The helper setup wrote (a script: this home's TOKDECK_HOME, which Docker does not
    // pass on), run as Docker runs it, from an environment without tokdeck's.
    let written = std::fs::canonicalize(env!("CARGO_BIN_EXE_tokdeck"))
        .expect("exe")
        .with_file_name("docker-credential-tokdeck");
    let script = std::fs::read_to_string(&written).expect("the helper script");
    assert!(script.contains("exec '"), "{script}");
    let run = home.shell(
        "sh",
        &format!(
            "printf registry.example.test | env -u TOKDECK_HOME -u TOKDECK_STORE '{}' get",
            written.display()
        ),
    );
    assert_eq!(run.code, 0, "{run}\n{script}");
    assert!(run.stdout.contains(&token), "{run}");

    // The helper as Docker runs it: by the name docker-credential-tokdeck.
    let link = home.path().join("bin");
    std::fs::create_dir_all(&link).expect("mkdir");
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_tokdeck"),
        link.join("docker-credential-tokdeck"),
    )
    .expect("link");
    let helper = |op: &str, input: &str| {
        home.shell(
            "sh",
            &format!(
                "printf '{input}' | '{}' {op}",
                link.join("docker-credential-tokdeck").display()
            ),
        )
    };
    let run = helper("get", "registry.example.test");
    assert_eq!(run.code, 0, "{run}");
    let answer: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(answer["ServerURL"], "registry.example.test");
    assert_eq!(answer["Secret"], token);
    assert_eq!(answer["Username"], "oauth2");
    let run = helper("get", "https://registry.example.test/v2/");
    assert_eq!(run.code, 0, "a URL form of the registry: {run}");
    let run = helper("get", "unknown.example");
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        run.stdout.trim(),
        "credentials not found in native keychain"
    );
    let run = helper("list", "");
    let list: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    // The registries Docker sends to tokdeck, by host; no git URL of any account.
    assert_eq!(
        list,
        serde_json::json!({"registry.example.test": "oauth2"}),
        "{list}"
    );
    assert_eq!(
        helper(
            "store",
            r#"{"ServerURL":"registry.example.test","Username":"u","Secret":"s"}"#
        )
        .code,
        0
    );
    // erase: the next get has another token.
    assert_eq!(helper("erase", "registry.example.test").code, 0);
    let run = helper("get", "registry.example.test");
    let after: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_ne!(after["Secret"], token, "refreshed after erase");

    // --remove undoes credHelpers and urls, keeping the rest.
    home.ok(&[
        "setup",
        "docker",
        "svc",
        "registry.example.test",
        "--remove",
    ]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(docker.join("config.json")).expect("config"))
            .expect("JSON");
    assert!(
        json.get("credHelpers").is_none(),
        "the emptied credHelpers goes too: {json}"
    );
    assert!(!written.exists(), "and the helper setup wrote");
    assert_eq!(json["credsStore"], "desktop");
}

#[test]
fn kubectl_setup_writes_an_exec_user_and_keeps_the_rest() {
    let provider = Provider::start(&[]);
    let home = Home::new(&provider.config());
    let kubeconfig = home.path().join("kubeconfig");
    let original = "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://k8s.example:6443\n    certificate-authority-data: Q0E=\ncontexts:\n- name: prod\n  context:\n    cluster: prod\n    user: admin\ncurrent-context: prod\nusers:\n- name: admin\n  user:\n    token: static-admin-token\npreferences: {}\n";
    std::fs::write(&kubeconfig, original).expect("write");
    let path = kubeconfig.display().to_string();

    let run = home.ok(&["setup", "kubectl", "svc", "--kubeconfig", &path]);
    assert!(run.stdout.contains("user 'tokdeck-svc' written"), "{run}");
    let text = std::fs::read_to_string(&kubeconfig).expect("read");
    let config: serde_json::Value = serde_yaml_ng::from_str(&text).expect("YAML");
    assert_eq!(config["current-context"], "prod");
    assert_eq!(
        config["clusters"][0]["cluster"]["server"],
        "https://k8s.example:6443"
    );
    assert_eq!(
        config["users"][0]["user"]["token"], "static-admin-token",
        "other users kept"
    );
    let exec = &config["users"][1]["user"]["exec"];
    assert_eq!(config["users"][1]["name"], "tokdeck-svc");
    assert_eq!(exec["apiVersion"], "client.authentication.k8s.io/v1");
    // By its absolute path, with this run's TOKDECK_HOME: kubectl's PATH and
    // environment need not know tokdeck.
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_tokdeck")).expect("exe");
    assert_eq!(exec["command"], exe.display().to_string());
    assert_eq!(
        exec["args"],
        serde_json::json!(["token", "svc", "--format", "k8s"])
    );
    assert_eq!(exec["env"][0]["name"], "TOKDECK_HOME");
    assert_eq!(exec["interactiveMode"], "Never");
    assert_eq!(exec["provideClusterInfo"], false);
    // Twice changes nothing.
    let again = home.ok(&["setup", "kubectl", "svc", "--kubeconfig", &path]);
    assert!(again.stdout.is_empty(), "{again}");
    assert_eq!(std::fs::read_to_string(&kubeconfig).expect("read"), text);

    // What kubectl runs: an ExecCredential as client.authentication.k8s.io/v1 specifies.
    let args: Vec<String> = exec["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().unwrap_or("").to_string())
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let credential: serde_json::Value = serde_json::from_str(&home.ok(&args).stdout).expect("JSON");
    assert_eq!(credential["kind"], "ExecCredential");
    assert_eq!(credential["apiVersion"], "client.authentication.k8s.io/v1");
    assert!(
        credential["status"]["token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let expiry = credential["status"]["expirationTimestamp"]
        .as_str()
        .expect("expiry");
    assert!(
        chrono::DateTime::parse_from_rfc3339(expiry).is_ok(),
        "{expiry}"
    );

    // --remove takes only that user out.
    home.ok(&["setup", "kubectl", "svc", "--kubeconfig", &path, "--remove"]);
    let config: serde_json::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&kubeconfig).expect("read"))
            .expect("YAML");
    assert_eq!(config["users"].as_array().map(Vec::len), Some(1));
    assert_eq!(config["users"][0]["name"], "admin");
}

#[test]
fn setup_refuses_what_would_break_something() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.set("HOME", &home.path().display().to_string());
    home.set("GIT_CONFIG_NOSYSTEM", "1");
    let config = home.path().join("config.toml");

    // git: a URL another account claims; --local outside a repository (nothing written);
    // a URL without its scheme.
    home.ok(&["setup", "git", "svc", "https://git.example.test/"]);
    let run = home.run(&["setup", "git", "dev", "https://git.example.test/"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("already claimed by account 'svc'"),
        "{run}"
    );
    let before = std::fs::read_to_string(&config).expect("config");
    // (In the home, which is no repository; the test runs inside tokdeck's own.)
    let run = home.shell(
        "sh",
        &format!(
            "cd '{}' && tokdeck setup git dev https://other.example.test/ --local",
            home.path().display()
        ),
    );
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("not inside one"), "{run}");
    assert_eq!(
        std::fs::read_to_string(&config).expect("config"),
        before,
        "nothing half done"
    );
    let run = home.run(&["setup", "git", "dev"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("'dev' is not a URL"), "{run}");
    // Two accounts claiming one URL (written by hand): the error names both.
    std::fs::write(
        &config,
        before.replace(
            "[accounts.dev]\n",
            "[accounts.dev]\nurls = [\"https://git.example.test/\"]\n",
        ),
    )
    .expect("write");
    let host = "git.example.test";
    let run = home.shell(
        "sh",
        &format!("printf 'protocol=https\\nhost={host}\\n\\n' | tokdeck git-credential get"),
    );
    assert!(
        run.stderr.contains("'dev'") && run.stderr.contains("'svc'"),
        "{run}"
    );
    std::fs::write(&config, &before).expect("write");

    // kubectl: a user that is not tokdeck's is never replaced.
    let kubeconfig = home.path().join("kubeconfig");
    let original =
        "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: static\n";
    std::fs::write(&kubeconfig, original).expect("write");
    let path = kubeconfig.display().to_string();
    let run = home.run(&[
        "setup",
        "kubectl",
        "svc",
        "--kubeconfig",
        &path,
        "--user",
        "admin",
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(
        std::fs::read_to_string(&kubeconfig).expect("read"),
        original
    );

    // Docker: credHelpers is keyed by the registry's host; a dead account's reason goes
    // to stdout, where Docker shows it.
    let docker = home.path().join("docker");
    home.set("DOCKER_CONFIG", &docker.display().to_string());
    home.ok(&["setup", "docker", "dev", "https://reg.example.test/v2/"]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(docker.join("config.json")).expect("config"))
            .expect("JSON");
    assert_eq!(json["credHelpers"]["reg.example.test"], "tokdeck", "{json}");
    let run = home.shell(
        "sh",
        "printf reg.example.test | tokdeck docker-credential get",
    );
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.contains("tokdeck login dev"), "{run}");

    // exec: the token never replaces what the command needs to start.
    let run = home.run(&["exec", "svc", "--env", "PATH", "--", "true"]);
    assert_eq!(run.code, 2, "{run}");
}

#[test]
fn credential_helpers_refuse_a_dpop_bound_token_and_say_why() {
    let home = Home::new(
        "[providers.p]\nclient_id = \"cli\"\ntoken_endpoint = \"https://idp.example.test/token\"\n\n[accounts.bound]\nprovider = \"p\"\nflow = \"device\"\nurls = [\"https://git.example.test/\", \"https://reg.example.test\"]\n",
    );
    let mut record = common::bound_record(
        "dpop-bound-token",
        None,
        Some("2099-01-01T00:00:00Z"),
        "https://idp.example.test/token",
        "cli",
    );
    record["tokens"]["token_type"] = "DPoP".into();
    home.write_record("bound", &record);
    let git = home.shell(
        "sh",
        "printf 'protocol=https\\nhost=git.example.test\\n\\n' | tokdeck git-credential get",
    );
    assert_eq!(git.code, 2, "{git}");
    assert!(
        git.stderr.contains("'bound' holds a DPoP-bound token")
            && git.stderr.contains("git cannot send one"),
        "{git}"
    );
    assert!(!git.stdout.contains("dpop-bound-token"), "{git}");
    // Docker shows a helper's stdout, so the reason goes there.
    let docker = home.shell(
        "sh",
        "printf reg.example.test | tokdeck docker-credential get",
    );
    assert_eq!(docker.code, 2, "{docker}");
    assert!(docker.stdout.contains("Docker cannot send one"), "{docker}");
    assert!(!docker.stdout.contains("dpop-bound-token"), "{docker}");
}

#[test]
fn tool_setups_carry_the_config_and_home_they_were_made_with() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.set("HOME", &home.path().display().to_string());
    home.ok(&["login", "dev"]);
    let token = home.record("dev")["tokens"]["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    // The config elsewhere, named by --config: without it, nothing is found.
    let custom = home.path().join("elsewhere").join("custom.toml");
    std::fs::create_dir_all(custom.parent().expect("dir")).expect("mkdir");
    std::fs::rename(home.path().join("config.toml"), &custom).expect("move");
    let config = custom.display().to_string();
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_tokdeck")).expect("exe");
    let exe = exe.display().to_string();

    home.ok(&[
        "--config",
        &config,
        "setup",
        "git",
        "dev",
        "http://git.example.test/acme/",
    ]);
    let gitconfig = std::fs::read_to_string(home.path().join(".gitconfig")).expect("gitconfig");
    assert!(
        gitconfig.contains(&format!("'{exe}' '--config' '{config}' git-credential"))
            && gitconfig.contains("TOKDECK_HOME="),
        "{gitconfig}"
    );
    // git as an IDE or cron runs it: no TOKDECK_HOME, no tokdeck on PATH.
    let run = home.shell(
        "sh",
        "env -u TOKDECK_HOME PATH=/usr/local/bin:/usr/bin:/bin sh -c \"printf 'protocol=http\\nhost=git.example.test\\npath=acme/x.git\\n\\n' | git credential fill\"",
    );
    assert!(run.stdout.contains(&format!("password={token}")), "{run}");

    let kubeconfig = home.path().join("kubeconfig");
    let path = kubeconfig.display().to_string();
    home.ok(&[
        "--config",
        &config,
        "setup",
        "kubectl",
        "dev",
        "--kubeconfig",
        &path,
    ]);
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&kubeconfig).expect("read"))
            .expect("yaml");
    let exec = &yaml["users"][0]["user"]["exec"];
    assert_eq!(exec["command"].as_str(), Some(exe.as_str()), "{yaml:?}");
    let args: Vec<&str> = exec["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    assert_eq!(
        args,
        ["--config", &config, "token", "dev", "--format", "k8s"]
    );
    assert_eq!(exec["env"][0]["name"].as_str(), Some("TOKDECK_HOME"));
    // Run as kubectl runs it: the entry's command, args and env, nothing else.
    let out = std::process::Command::new(&exe)
        .args(&args)
        .env_clear()
        .env(
            "TOKDECK_HOME",
            exec["env"][0]["value"].as_str().expect("home"),
        )
        .env("TOKDECK_STORE", "file")
        .output()
        .expect("plugin");
    let credential = String::from_utf8_lossy(&out.stdout);
    assert!(credential.contains(&token), "{credential}");

    // Removing warns about contexts left on the removed user.
    let mut text = std::fs::read_to_string(&kubeconfig).expect("read");
    text = text.replace(
        "contexts: []",
        "contexts:\n- name: prod\n  context:\n    cluster: c\n    user: tokdeck-dev",
    );
    std::fs::write(&kubeconfig, text).expect("write");
    let run = home.ok(&[
        "--config",
        &config,
        "setup",
        "kubectl",
        "dev",
        "--kubeconfig",
        &path,
        "--remove",
    ]);
    assert!(
        run.stderr.contains("context 'prod'")
            && run.stderr.contains("still uses user 'tokdeck-dev'"),
        "{run}"
    );
}
