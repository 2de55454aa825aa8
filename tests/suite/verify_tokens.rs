//! Signature verdicts and ID token checks, against the real provider and against keys
//! and tokens made by node:crypto (tests/provider/sign.js).

use crate::common;

use common::Home;
use common::provider::Provider;
use common::stub::{Stub, json};
use serde_json::Value;
use std::process::Command;

fn signed(claims: &Value) -> Value {
    let out = Command::new("node")
        .arg(common::repo().join("tests/provider/sign.js"))
        .arg(claims.to_string())
        .output()
        .expect("node sign.js");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("sign.js JSON")
}

/// `openssl ARGS` in `dir`, which must succeed; its stdout.
fn openssl(dir: &std::path::Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Makes `path` readable by its owner only, as tokdeck wants secrets and private keys.
fn owner_only(path: impl AsRef<std::path::Path>) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
}

fn decode(home: &Home, args: &[&str]) -> (i32, Value) {
    let run = home.run(&[&["decode"], args].concat());
    let value = serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("decode JSON: {run}"));
    (run.code, value)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[test]
fn every_algorithm_verifies_and_risky_headers_are_flagged() {
    let made = signed(
        &serde_json::json!({"iss": "https://idp.test", "sub": "alice", "aud": "api", "exp": now() + 300}),
    );
    let stub = Stub::start();
    stub.on("/jwks", vec![json(200, &made["jwks"].to_string())]);
    let jwks = stub.url("/jwks");
    let home = Home::new("");
    for alg in [
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
    ] {
        let token = made["tokens"][alg].as_str().expect("token");
        let (code, value) = decode(&home, &["--jwks", &jwks, token]);
        assert_eq!(
            (code, value["signature"].as_str()),
            (0, Some("valid")),
            "{alg}: {value}"
        );
        assert_eq!(
            value["signature_detail"],
            format!("signature valid (kid test-{})", alg.to_lowercase())
        );
        // One claim changed, the signature kept.
        let parts: Vec<&str> = token.split('.').collect();
        let forged_claims =
            base64_url(br#"{"iss":"https://idp.test","sub":"mallory","aud":"api"}"#);
        let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
        let (code, value) = decode(&home, &["--jwks", &jwks, &forged]);
        assert_eq!(
            (code, value["signature"].as_str()),
            (3, Some("invalid")),
            "{alg}: {value}"
        );
    }
    let (code, value) = decode(
        &home,
        &["--jwks", &jwks, made["foreign"].as_str().expect("foreign")],
    );
    assert_eq!(
        (code, value["signature"].as_str()),
        (3, Some("unknown_key")),
        "{value}"
    );
    assert!(
        risk_codes(&value).contains(&"kid_not_in_jwks".to_string()),
        "{value}"
    );

    for (name, expected) in [
        ("jku", "key_from_token"),
        ("x5u", "key_from_token"),
        ("jwk", "key_from_token"),
        ("crit", "unknown_crit"),
        ("hs256", "hmac_with_public_keys"),
        ("none", "alg_none"),
    ] {
        let token = made["risky"][name].as_str().expect("risky token");
        let (_, value) = decode(&home, &["--jwks", &jwks, token]);
        assert!(
            risk_codes(&value).contains(&expected.to_string()),
            "{name}: {value}"
        );
    }
    let (code, value) = decode(
        &home,
        &[
            "--jwks",
            &jwks,
            made["risky"]["none"].as_str().expect("none"),
        ],
    );
    assert_eq!((code, value["signature"].as_str()), (3, Some("alg_none")));
    // A valid signature with a `crit` extension tokdeck does not understand is refused
    // (RFC 7515 §4.1.11).
    let (code, value) = decode(
        &home,
        &[
            "--jwks",
            &jwks,
            made["risky"]["crit"].as_str().expect("crit"),
        ],
    );
    // The word scripts read says so too (a trial found `"signature": "valid"` here).
    assert_eq!(
        (code, value["signature"].as_str()),
        (3, Some("refused")),
        "{value}"
    );
    // Without a key source: decoded, risks from the header alone, exit 0.
    let (code, value) = decode(&home, &[made["risky"]["jku"].as_str().expect("jku")]);
    assert_eq!(
        (code, value["signature"].as_str()),
        (0, Some("not_verifiable")),
        "{value}"
    );
    assert_eq!(
        value["explained"]["aud"],
        "audience: who the token is meant for"
    );
}

fn risk_codes(value: &Value) -> Vec<String> {
    value["risks"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|x| x["risk"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn the_providers_tokens_verify_and_rotated_keys_are_fetched_once() {
    let mut provider = Provider::start(&[]);
    let port = provider
        .issuer
        .rsplit(':')
        .next()
        .expect("port")
        .to_string();
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.ok(&["login", "web"]);
    for flag in [&[][..], &["--id-token"][..]] {
        let token = home.ok(&[&["token", "web"], flag].concat()).stdout;
        let (code, value) = decode(&home, &["--account", "web", token.trim()]);
        assert_eq!(
            (code, value["signature"].as_str()),
            (0, Some("valid")),
            "{value}"
        );
        let (_, value) = decode(&home, &["--issuer", &provider.issuer, token.trim()]);
        assert_eq!(value["signature"], "valid");
    }
    // The provider restarts on the same port with new keys (and forgets its grants).
    provider.stop();
    let provider = Provider::start(&["--port", &port]);
    assert!(provider.issuer.ends_with(&port));
    home.ok(&["login", "web"]);
    // The login checked the new ID token with the cached (old) keys, met an unknown kid,
    // and fetched the keys again exactly once.
    assert_eq!(provider.log_count("GET /jwks"), 1, "{}", provider.log());
    let token = home.ok(&["token", "web", "--id-token"]).stdout;
    let (code, value) = decode(&home, &["--account", "web", token.trim()]);
    assert_eq!(
        (code, value["signature"].as_str()),
        (0, Some("valid")),
        "{value}"
    );
    // `decode` asks for the current keys every time: a withdrawn key must not pass.
    assert_eq!(provider.log_count("GET /jwks"), 2);
}

#[test]
fn a_login_whose_id_token_names_another_audience_fails_with_both_values() {
    let stub = Stub::start();
    let claims = serde_json::json!({
        "iss": stub.base, "sub": "alice", "aud": "someone-else", "exp": now() + 300, "iat": now()
    });
    let made = signed(&claims);
    let discovery = serde_json::json!({
        "issuer": stub.base,
        "token_endpoint": stub.url("/token"),
        "device_authorization_endpoint": stub.url("/device"),
        "jwks_uri": stub.url("/jwks"),
    });
    stub.on("/.well-known/openid-configuration", vec![json(200, &discovery.to_string())])
        .on("/jwks", vec![json(200, &made["jwks"].to_string())])
        .on(
            "/device",
            vec![json(200, r#"{"device_code":"d","user_code":"U","verification_uri":"https://x/device","expires_in":60,"interval":1}"#)],
        )
        .on(
            "/token",
            vec![json(
                200,
                &serde_json::json!({"access_token": "at", "token_type": "Bearer", "expires_in": 60,
                    "id_token": made["tokens"]["RS256"]}).to_string(),
            )],
        );
    let home = Home::new(&format!(
        "[providers.p]\nissuer = \"{}\"\nclient_id = \"tokdeck\"\nflow = \"device\"\n[accounts.a]\nprovider = \"p\"\n",
        stub.base
    ));
    let run = home.run(&["login", "a", "--no-browser"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr
            .contains("the ID token's `aud` is 'someone-else', expected to include 'tokdeck'"),
        "{run}"
    );
    assert!(
        !home.path().join("tokens/a.json").exists(),
        "nothing stored"
    );
}

#[test]
fn introspection_and_userinfo() {
    let provider = Provider::start(&[]);
    let mut home = Home::new(&provider.config());
    home.with_headless_user();
    home.ok(&["login", "dev"]);
    let run = home.ok(&["introspect", "dev", "--refresh-token"]);
    let value: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(value["active"], true, "{value}");
    assert_eq!(value["client_id"], "tokdeck-public");
    // oidc-provider does not introspect JWT access tokens: its error is passed on clearly.
    let run = home.run(&["introspect", "dev"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr
            .contains("introspection endpoint refused the request"),
        "{run}"
    );
    // A provider without the endpoint.
    let stub = Stub::start();
    let config = format!(
        "{}\n[providers.bare]\nclient_id = \"c\"\ntoken_endpoint = \"{}\"\n[accounts.bare]\nprovider = \"bare\"\n",
        provider.config(),
        stub.url("/token")
    );
    std::fs::write(home.path().join("config.toml"), config).expect("config");
    std::fs::write(
        home.path().join("tokens/bare.json"),
        std::fs::read(home.path().join("tokens/dev.json")).expect("read"),
    )
    .expect("copy");
    for cmd in [&["userinfo", "bare"][..], &["introspect", "bare"][..]] {
        let run = home.run(cmd);
        // What the provider lacks is a provider failure, not a usage error.
        assert_eq!(run.code, 1, "{run}");
        assert!(
            run.stderr.contains("not offered by provider 'bare'"),
            "{run}"
        );
    }
}

#[test]
fn decode_calls_a_damaged_jwt_damaged_not_opaque() {
    let home = Home::new("");
    let b64 = |s: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    };
    let (header, payload) = (
        b64(r#"{"alg":"RS256","typ":"JWT"}"#),
        b64(r#"{"sub":"alice","exp":2000000000}"#),
    );
    let cases = [
        (format!("{header}.{payload}"), "signature"),
        (header.clone(), "payload"),
        (
            format!("{header}.{}.c2ln", &payload[..payload.len() - 5]),
            "payload",
        ),
        // Five parts but a signed token's header (no "enc"): no JWE.
        (format!("{header}.{payload}.c2ln.c2ln.c2ln"), "header"),
    ];
    for (token, part) in cases {
        let run = home.run(&["decode", &token]);
        assert_eq!(run.code, 1, "{token}: {run}");
        let value: Value = serde_json::from_str(&run.stdout).expect("json");
        assert_eq!(value["format"], "malformed_jwt", "{run}");
        assert_eq!(value["part"], part, "{run}");
        assert!(
            run.stderr.contains("looks like a JWT but is damaged"),
            "{run}"
        );
    }
    // A token that never was a JWT stays opaque, exit 0.
    let run = home.run(&["decode", "gho_16C7e42F292c6912E7710c838347Ae178B4a"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("\"opaque\""), "{run}");
}

#[test]
fn a_token_of_another_issuer_is_said_to_be_so() {
    use base64::Engine as _;
    let provider = Provider::start(&[]);
    let home = Home::new(&provider.config());
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let foreign = format!(
        "{}.{}.c2ln",
        b64(serde_json::json!({"alg": "RS256", "kid": "theirs"})),
        b64(serde_json::json!({"iss": "https://other.example", "sub": "x"}))
    );
    let run = home.run(&["decode", &foreign, "--account", "dev"]);
    assert_eq!(run.code, 3, "{run}");
    let out: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let risks = out["risks"].as_array().expect("risks");
    assert!(
        risks.iter().any(|r| r["risk"] == "other_issuer"
            && r["detail"].as_str().is_some_and(
                |d| d.contains("https://other.example") && d.contains("the issuers differ")
            )),
        "{run}"
    );
}

#[test]
fn a_jwks_from_a_file_or_a_single_jwk_verifies_as_a_fetched_one_does() {
    let made = signed(
        &serde_json::json!({"iss": "https://idp.test", "sub": "alice", "aud": "api", "exp": now() + 300}),
    );
    let home = Home::new("");
    let set = home.path().join("jwks.json");
    std::fs::write(&set, made["jwks"].to_string()).expect("write");
    let token = made["tokens"]["ES256"].as_str().expect("token");
    for source in [
        set.display().to_string(),
        format!("file://{}", set.display()),
    ] {
        let (code, value) = decode(&home, &["--jwks", &source, token]);
        assert_eq!(
            (code, value["signature"].as_str()),
            (0, Some("valid")),
            "{source}: {value}"
        );
    }
    // One JWK alone, as key tools print it.
    let key = made["jwks"]["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == "test-es256")
        .expect("the ES256 key")
        .clone();
    let single = home.path().join("key.json");
    std::fs::write(&single, key.to_string()).expect("write");
    let (code, value) = decode(&home, &["--jwks", &single.display().to_string(), token]);
    assert_eq!(
        (code, value["signature"].as_str()),
        (0, Some("valid")),
        "{value}"
    );
    // A file that is no key says what it wants.
    let bad = home.path().join("bad.json");
    std::fs::write(&bad, "not json").expect("write");
    let run = home.run(&["decode", "--jwks", &bad.display().to_string(), token]);
    assert_ne!(run.code, 0, "{run}");
    assert!(run.stderr.contains("give a JWK Set"), "{run}");
}

/// A compact JWS made by node:crypto (an independent implementation) with `alg` and
/// the HMAC `secret`.
fn hmac_token(alg: &str, secret: &str) -> String {
    let script = format!(
        "const c=require('crypto');const e=o=>Buffer.from(JSON.stringify(o)).toString('base64url');\
         const m=e({{alg:'{alg}',typ:'JWT'}})+'.'+e({{sub:'alice',iss:'https://dev.local'}});\
         process.stdout.write(m+'.'+c.createHmac('sha{bits}','{secret}').update(m).digest('base64url'))",
        bits = &alg[2..]
    );
    let out = Command::new("node")
        .args(["-e", &script])
        .output()
        .expect("node");
    String::from_utf8(out.stdout).expect("token")
}

#[test]
fn a_shared_secret_verifies_hmac_tokens_only_and_never_from_argv() {
    let home = Home::new("");
    let secret = "s3cret-for-tests";
    let file = home.path().join("secret");
    std::fs::write(&file, format!("{secret}\n")).expect("write");
    let file = file.display().to_string();
    for alg in ["HS256", "HS384", "HS512"] {
        let token = hmac_token(alg, secret);
        let (code, value) = decode(&home, &["--secret-file", &file, &token]);
        assert_eq!(
            (code, value["signature"].as_str()),
            (0, Some("valid")),
            "{alg}: {value}"
        );
        let wrong = hmac_token(alg, "another-secret");
        let (code, value) = decode(&home, &["--secret-file", &file, &wrong]);
        assert_eq!(
            (code, value["signature"].as_str()),
            (3, Some("invalid")),
            "{alg}: {value}"
        );
    }
    let token = hmac_token("HS256", secret);
    // From the environment, and from stdin (the token then an argument).
    let mut env_home = Home::new("");
    env_home.set("JWT_SECRET", secret);
    let (code, _) = decode(&env_home, &["--secret-env", "JWT_SECRET", &token]);
    assert_eq!(code, 0);
    let mut command = home.command(&["decode", "--secret-stdin", &token]);
    command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        write!(stdin, "{secret}").expect("write");
    }
    let run = common::Run::from(child.wait_with_output().expect("wait"));
    assert_eq!(run.code, 0, "{run}");
    // The key decides the algorithms: an RS256 token, or alg none, is refused with a secret.
    let made = signed(&serde_json::json!({"sub": "alice", "exp": now() + 300}));
    let rs = made["tokens"]["RS256"].as_str().expect("token");
    let (code, value) = decode(&home, &["--secret-file", &file, rs]);
    assert_eq!(
        (code, value["signature"].as_str()),
        (3, Some("not_verifiable")),
        "{value}"
    );
    assert!(
        value["signature_detail"]
            .as_str()
            .is_some_and(|d| d.contains("verifies HS256, HS384 and HS512 only")),
        "{value}"
    );
    let parts: Vec<&str> = token.split('.').collect();
    let none = format!("{}.{}.", base64_url(br#"{"alg":"none"}"#), parts[1]);
    let (code, value) = decode(&home, &["--secret-file", &file, &none]);
    assert_eq!(
        (code, value["signature"].as_str()),
        (3, Some("alg_none")),
        "{value}"
    );
}

/// `jwk` exported by node:crypto as PEM of `kind` ("spki" or "pkcs1").
fn pem_of(jwk: &Value, kind: &str) -> String {
    let script = format!(
        "process.stdout.write(require('crypto').createPublicKey({{key:{jwk},format:'jwk'}}).export({{type:'{kind}',format:'pem'}}))"
    );
    let out = Command::new("node")
        .args(["-e", &script])
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("pem")
}

#[test]
fn a_public_key_file_verifies_in_every_form_developers_have_it() {
    let made = signed(&serde_json::json!({"sub": "alice", "exp": now() + 300}));
    let home = Home::new("");
    let key_of = |kid: &str| -> Value {
        made["jwks"]["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["kid"] == kid)
            .expect("key")
            .clone()
    };
    let write = |name: &str, text: &str| {
        let path = home.path().join(name);
        std::fs::write(&path, text).expect("write");
        path.display().to_string()
    };
    for (alg, kid) in [
        ("RS256", "test-rs256"),
        ("PS384", "test-ps384"),
        ("ES256", "test-es256"),
        ("ES384", "test-es384"),
        ("EdDSA", "test-eddsa"),
    ] {
        let token = made["tokens"][alg].as_str().expect("token");
        let jwk = key_of(kid);
        let spki = write(&format!("{alg}.pem"), &pem_of(&jwk, "spki"));
        let (code, value) = decode(&home, &["--key", &spki, token]);
        assert_eq!(
            (code, value["signature"].as_str()),
            (0, Some("valid")),
            "{alg} SPKI: {value}"
        );
        // A JWK without its kid is still the key given.
        let mut bare = jwk.clone();
        bare.as_object_mut().expect("object").remove("kid");
        let jwk_file = write(&format!("{alg}.jwk"), &bare.to_string());
        let (code, value) = decode(&home, &["--key", &jwk_file, token]);
        assert_eq!(
            (code, value["signature"].as_str()),
            (0, Some("valid")),
            "{alg} JWK: {value}"
        );
    }
    // PKCS#1 for RSA.
    let rs = made["tokens"]["RS256"].as_str().expect("token");
    let pkcs1 = write("rs.pkcs1.pem", &pem_of(&key_of("test-rs256"), "pkcs1"));
    let (code, value) = decode(&home, &["--key", &pkcs1, rs]);
    assert_eq!(
        (code, value["signature"].as_str()),
        (0, Some("valid")),
        "{value}"
    );
    // The key's type decides: an ES256 token with the RSA key is said to need an EC key.
    let es = made["tokens"]["ES256"].as_str().expect("token");
    let (code, value) = decode(&home, &["--key", &pkcs1, es]);
    assert_eq!(code, 3, "{value}");
    assert!(
        value["signature_detail"]
            .as_str()
            .is_some_and(|d| d.contains("needs an EC key; the key given is RSA")),
        "{value}"
    );
    // Key confusion: an HS256 token whose HMAC key is the public key's PEM text (the
    // classic forgery) is never verified with that key.
    let script = format!(
        "const c=require('crypto'),fs=require('fs');\
         const e=o=>Buffer.from(JSON.stringify(o)).toString('base64url');\
         const m=e({{alg:'HS256'}})+'.'+e({{sub:'mallory'}});\
         process.stdout.write(m+'.'+c.createHmac('sha256',fs.readFileSync('{pkcs1}')).update(m).digest('base64url'))"
    );
    let out = Command::new("node")
        .args(["-e", &script])
        .output()
        .expect("node");
    let forged = String::from_utf8(out.stdout).expect("token");
    let (code, value) = decode(&home, &["--key", &pkcs1, &forged]);
    assert_eq!(
        (code, value["signature"].as_str()),
        (3, Some("not_verifiable")),
        "{value}"
    );
    // A certificate (openssl, an independent implementation): its subject key verifies.
    let dir = home.path();
    let ok = Command::new("openssl")
        .current_dir(dir)
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "cert.key",
            "-out",
            "cert.pem",
            "-days",
            "1",
            "-subj",
            "/CN=dev",
        ])
        .output()
        .expect("openssl");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let script = "const c=require('crypto'),fs=require('fs');\
        const e=o=>Buffer.from(JSON.stringify(o)).toString('base64url');\
        const m=e({alg:'ES256',kid:'whatever'})+'.'+e({sub:'alice'});\
        const s=c.sign('sha256',Buffer.from(m),{key:fs.readFileSync('cert.key'),dsaEncoding:'ieee-p1363'});\
        process.stdout.write(m+'.'+s.toString('base64url'))";
    let out = Command::new("node")
        .current_dir(dir)
        .args(["-e", script])
        .output()
        .expect("node");
    let token = String::from_utf8(out.stdout).expect("token");
    let cert = dir.join("cert.pem").display().to_string();
    let (code, value) = decode(&home, &["--key", &cert, &token]);
    assert_eq!(
        (code, value["signature"].as_str()),
        (0, Some("valid")),
        "{value}"
    );
    // A private key is refused with what to give instead.
    let run = home.run(&[
        "decode",
        "--key",
        &dir.join("cert.key").display().to_string(),
        &token,
    ]);
    assert_ne!(run.code, 0, "{run}");
    assert!(run.stderr.contains("openssl pkey -pubout"), "{run}");
}

#[test]
fn jwt_sign_makes_tokens_that_verify_here_and_elsewhere() {
    let home = Home::new("");
    let dir = home.path();
    let openssl = |args: &[&str]| {
        openssl(dir, args);
    };
    use std::os::unix::fs::PermissionsExt;
    for (name, algorithm, options, alg) in [
        (
            "ec",
            "EC",
            &["-pkeyopt", "ec_paramgen_curve:P-256"][..],
            "ES256",
        ),
        (
            "rsa",
            "RSA",
            &["-pkeyopt", "rsa_keygen_bits:2048"][..],
            "RS256",
        ),
        ("ed", "ED25519", &[][..], "EdDSA"),
    ] {
        let key = format!("{name}.pem");
        let public = format!("{name}.pub.pem");
        openssl(
            &[
                &["genpkey", "-algorithm", algorithm],
                options,
                &["-out", &key],
            ]
            .concat(),
        );
        std::fs::set_permissions(dir.join(&key), std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        openssl(&["pkey", "-in", &key, "-pubout", "-out", &public]);
        let key_path = dir.join(&key).display().to_string();
        let run = home.ok(&[
            "jwt",
            "sign",
            r#"{"role":"admin"}"#,
            "--set",
            "n=5",
            "--set",
            "ok=true",
            "--set",
            "team=dev ops",
            "--exp",
            "10m",
            "--aud",
            "api",
            "--iss",
            "https://dev.local",
            "--key",
            &key_path,
        ]);
        let token = run.stdout.trim().to_string();
        let public_path = dir.join(&public).display().to_string();
        let (code, value) = decode(
            &home,
            &[
                "--key",
                &public_path,
                "--aud",
                "api",
                "--iss",
                "https://dev.local",
                &token,
            ],
        );
        assert_eq!(
            (code, value["signature"].as_str()),
            (0, Some("valid")),
            "{alg}: {value}"
        );
        assert_eq!(value["header"]["alg"], alg);
        let claims = &value["claims"];
        assert_eq!(
            (
                claims["role"].clone(),
                claims["n"].clone(),
                claims["ok"].clone(),
                claims["team"].clone()
            ),
            ("admin".into(), 5.into(), true.into(), "dev ops".into()),
            "{value}"
        );
        let left = claims["exp"].as_i64().expect("exp") - now();
        assert!((590..=600).contains(&left), "{left}");
        // node:crypto, an independent implementation, verifies it too.
        let script = format!(
            "const c=require('crypto'),fs=require('fs');const [h,p,s]=process.argv[1].split('.');\
             const k=fs.readFileSync('{public}');\
             const ok='{alg}'==='EdDSA'?c.verify(null,Buffer.from(h+'.'+p),k,Buffer.from(s,'base64url'))\
             :c.verify('sha256',Buffer.from(h+'.'+p),{{key:k,dsaEncoding:'ieee-p1363'}},Buffer.from(s,'base64url'));\
             process.exit(ok?0:1)"
        );
        let status = Command::new("node")
            .current_dir(dir)
            .args(["-e", &script, &token])
            .status()
            .expect("node");
        assert!(status.success(), "node does not verify the {alg} token");

        // The same key as a private JWK, as node:crypto exports it (and inside a JWK
        // Set): it signs the same way.
        let out = Command::new("node")
            .current_dir(dir)
            .args([
                "-e",
                &format!(
                    "const c=require('crypto'),fs=require('fs');\
                     process.stdout.write(JSON.stringify(c.createPrivateKey(fs.readFileSync('{key}')).export({{format:'jwk'}})))"
                ),
            ])
            .output()
            .expect("node");
        let jwk = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(jwk.contains("\"d\""), "{jwk}");
        for (file, text) in [
            (format!("{name}.jwk"), jwk.clone()),
            (format!("{name}.jwks"), format!(r#"{{"keys":[{jwk}]}}"#)),
        ] {
            std::fs::write(dir.join(&file), text).expect("jwk");
            std::fs::set_permissions(dir.join(&file), std::fs::Permissions::from_mode(0o600))
                .expect("chmod");
            let path = dir.join(&file).display().to_string();
            let token = home
                .ok(&["jwt", "sign", "--sub", "bob", "--key", &path])
                .stdout
                .trim()
                .to_string();
            let (code, value) = decode(&home, &["--key", &public_path, &token]);
            assert_eq!(
                (
                    code,
                    value["signature"].as_str(),
                    value["header"]["alg"].as_str()
                ),
                (0, Some("valid"), Some(alg)),
                "{file}: {value}"
            );
        }
    }
    // The "traditional" PEMs jwt-cli users trip over: PKCS#1 RSA and SEC1 EC keys.
    for name in ["rsa", "ec"] {
        let traditional = format!("{name}.trad.pem");
        openssl(&[
            "pkey",
            "-in",
            &format!("{name}.pem"),
            "-traditional",
            "-out",
            &traditional,
        ]);
        let text = std::fs::read_to_string(dir.join(&traditional)).expect("read");
        assert!(
            text.starts_with(if name == "rsa" {
                "-----BEGIN RSA PRIVATE KEY"
            } else {
                "-----BEGIN EC PRIVATE KEY"
            }),
            "{text}"
        );
        std::fs::set_permissions(
            dir.join(&traditional),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
        let token = home
            .ok(&[
                "jwt",
                "sign",
                "--sub",
                "a",
                "--key",
                &dir.join(&traditional).display().to_string(),
            ])
            .stdout
            .trim()
            .to_string();
        let public = dir.join(format!("{name}.pub.pem")).display().to_string();
        let (code, value) = decode(&home, &["--key", &public, &token]);
        assert_eq!(
            (code, value["signature"].as_str()),
            (0, Some("valid")),
            "{name}: {value}"
        );
    }
    // A shared secret, never on the command line.
    let secret = dir.join("secret");
    std::fs::write(&secret, "s3cret\n").expect("write");
    let secret = secret.display().to_string();
    let token = home
        .ok(&[
            "jwt",
            "sign",
            "--sub",
            "alice",
            "--alg",
            "HS384",
            "--secret-file",
            &secret,
        ])
        .stdout
        .trim()
        .to_string();
    let (code, value) = decode(&home, &["--secret-file", &secret, &token]);
    assert_eq!(
        (code, value["header"]["alg"].as_str()),
        (0, Some("HS384")),
        "{value}"
    );
    // Nothing to sign with, a key others can read, claims that are no object: refused.
    let run = home.run(&["jwt", "sign"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("nothing to sign with"), "{run}");
    std::fs::set_permissions(dir.join("ec.pem"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let run = home.run(&[
        "jwt",
        "sign",
        "--key",
        &dir.join("ec.pem").display().to_string(),
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("chmod 600"), "{run}");
    let run = home.run(&["jwt", "sign", "[1]", "--secret-file", &secret]);
    assert_eq!(run.code, 2, "{run}");
}

#[test]
fn a_generated_key_signs_and_a_local_issuer_serves_its_jwks() {
    let home = Home::new("");
    let key = home.path().join("dev.pem");
    let key_path = key.display().to_string();
    let run = home.ok(&["jwt", "keygen", "--alg", "ES256", "--out", &key_path]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).expect("key").permissions().mode() & 0o777,
        0o600
    );
    let jwks: Value = serde_json::from_str(&run.stdout).expect("the public JWKS");
    let kid = jwks["keys"][0]["kid"].as_str().expect("kid").to_string();
    assert_eq!(jwks["keys"][0]["crv"], "P-256");
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "no private part printed: {jwks}"
    );
    // Never over an existing file.
    let again = home.run(&["jwt", "keygen", "--out", &key_path]);
    assert_eq!(again.code, 2, "{again}");
    let token = home
        .ok(&[
            "jwt", "sign", "--sub", "alice", "--exp", "5m", "--key", &key_path,
        ])
        .stdout
        .trim()
        .to_string();
    // The local issuer: its JWKS and discovery document verify the token.
    let mut serve = home.command(&["jwt", "serve", "--key", &key_path]);
    serve
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = serve.spawn().expect("serve");
    let mut line = String::new();
    {
        use std::io::BufRead;
        let stderr = child.stderr.take().expect("stderr");
        std::io::BufReader::new(stderr)
            .read_line(&mut line)
            .expect("the first line");
    }
    let issuer = line
        .split("(issuer ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .expect("the issuer in the first line")
        .to_string();
    assert!(issuer.starts_with("http://127.0.0.1:"), "{line}");
    let (code, value) = decode(&home, &["--jwks", &format!("{issuer}/jwks"), &token]);
    let (code2, value2) = decode(&home, &["--issuer", &issuer, &token]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        (code, value["signature"].as_str()),
        (0, Some("valid")),
        "{value}"
    );
    assert_eq!(
        value["signature_detail"],
        format!("signature valid (kid {kid})")
    );
    assert_eq!(
        (code2, value2["signature"].as_str()),
        (0, Some("valid")),
        "{value2}"
    );
    // An RSA key (ring does not make them; tokdeck does): OpenSSL finds its primes
    // prime and its parts consistent, and what it signs verifies with its JWKS.
    let rsa = home.path().join("rsa.pem").display().to_string();
    let rsa_jwks = home
        .ok(&["jwt", "keygen", "--alg", "RS256", "--out", &rsa])
        .stdout;
    let check = Command::new("openssl")
        .args(["rsa", "-check", "-noout", "-in", &rsa])
        .output()
        .expect("openssl");
    assert!(
        check.status.success() && String::from_utf8_lossy(&check.stdout).contains("RSA key ok"),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let bits = Command::new("openssl")
        .args(["pkey", "-text", "-noout", "-in", &rsa])
        .output()
        .expect("openssl");
    assert!(
        String::from_utf8_lossy(&bits.stdout).contains("Private-Key: (2048 bit"),
        "{}",
        String::from_utf8_lossy(&bits.stdout)
    );
    let rsa_token = home
        .ok(&["jwt", "sign", "--sub", "rsa-user", "--key", &rsa])
        .stdout
        .trim()
        .to_string();
    let rsa_jwks_file = home.path().join("rsa.jwks");
    std::fs::write(&rsa_jwks_file, &rsa_jwks).expect("write");
    let (code, value) = decode(
        &home,
        &["--jwks", &rsa_jwks_file.display().to_string(), &rsa_token],
    );
    assert_eq!(
        (
            code,
            value["header"]["alg"].as_str(),
            value["signature"].as_str()
        ),
        (0, Some("RS256"), Some("valid")),
        "{value}"
    );
    // An Ed25519 key other tools read (PKCS#8 v1: OpenSSL 3.0 refuses ring's v2 form).
    let ed = home.path().join("ed.pem").display().to_string();
    home.ok(&["jwt", "keygen", "--alg", "EdDSA", "--out", &ed]);
    let read = Command::new("openssl")
        .args(["pkey", "-noout", "-in", &ed])
        .output()
        .expect("openssl");
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    // A public key, a directory, a loose secret file: each said for what it is.
    let public = home.path().join("ed.pub").display().to_string();
    let out = Command::new("openssl")
        .args(["pkey", "-in", &ed, "-pubout", "-out", &public])
        .output()
        .expect("openssl");
    assert!(out.status.success());
    let run = home.run(&["jwt", "sign", "--key", &public]);
    assert!(
        run.stderr.contains("signing needs the private key"),
        "{run}"
    );
    let dir = home.path().display().to_string();
    let run = home.run(&["jwt", "sign", "--key", &dir]);
    assert!(run.stderr.contains("is a directory"), "{run}");
    let secret = home.path().join("secret");
    std::fs::write(&secret, "short").expect("secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let run = home.ok(&[
        "jwt",
        "sign",
        "--secret-file",
        &secret.display().to_string(),
    ]);
    assert!(run.stderr.contains("open to other users"), "{run}");
    assert!(run.stderr.contains("needs at least 32"), "{run}");
    // A key decides its algorithm: another --alg is refused, not ignored.
    let run = home.run(&["jwt", "sign", "--key", &ed, "--alg", "RS256"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("signs EdDSA"), "{run}");
}

/// `python -c SCRIPT ARGS...` in the Django OAuth Toolkit venv (which has jwcrypto): its
/// stdout, the run insisted on.
fn python(script_and_args: &[&str]) -> String {
    let out = Command::new(common::dot::python())
        .arg("-c")
        .args(script_and_args)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// jwcrypto (Python, in the Django OAuth Toolkit venv): a third implementation, both ways.
#[test]
fn tokens_cross_check_with_jwcrypto_both_ways() {
    let home = Home::new("");
    let key = home.path().join("k.pem");
    let key_path = key.display().to_string();
    let jwks = home
        .ok(&["jwt", "keygen", "--alg", "ES384", "--out", &key_path])
        .stdout;
    let token = home
        .ok(&[
            "jwt", "sign", "--sub", "alice", "--exp", "5m", "--key", &key_path,
        ])
        .stdout
        .trim()
        .to_string();
    // tokdeck's token, verified by jwcrypto with the JWKS keygen printed.
    let verify = "import sys,json;from jwcrypto import jwk,jwt;\
        keys=jwk.JWKSet.from_json(sys.argv[1]);\
        t=jwt.JWT(jwt=sys.argv[2],key=keys,algs=['ES384']);\
        print(json.loads(t.claims)['sub'])";
    assert_eq!(python(&[verify, &jwks, &token]).trim(), "alice");
    // jwcrypto's tokens (HS512 with a secret, RS256 with a new key), verified by tokdeck.
    let make = "import sys,json;from jwcrypto import jwk,jwt;\
        k=jwk.JWK.generate(kty='RSA',size=2048);\
        r=jwt.JWT(header={'alg':'RS256'},claims={'sub':'bob'});r.make_signed_token(k);\
        s=jwk.JWK(kty='oct',k=jwk.base64url_encode(b'py-secret-long-enough-for-hs512-py-secret-long-enough-for-hs512-py'));\
        h=jwt.JWT(header={'alg':'HS512'},claims={'sub':'carol'});h.make_signed_token(s);\
        e=jwk.JWK.generate(kty='EC',crv='P-521');\
        x=jwt.JWT(header={'alg':'ES512'},claims={'sub':'dave'});x.make_signed_token(e);\
        print(json.dumps({'rs':r.serialize(),'pub':k.export_public(),'hs':h.serialize(),\
        'es':x.serialize(),'es_jwk':e.export_public(),'es_pem':e.export_to_pem().decode()}))";
    let made: Value = serde_json::from_str(&python(&[make])).expect("JSON");
    let public = home.path().join("py.jwk");
    std::fs::write(&public, made["pub"].as_str().expect("pub")).expect("write");
    let (code, value) = decode(
        &home,
        &[
            "--key",
            &public.display().to_string(),
            made["rs"].as_str().expect("rs"),
        ],
    );
    assert_eq!(
        (code, value["claims"]["sub"].as_str()),
        (0, Some("bob")),
        "{value}"
    );
    let secret = home.path().join("py-secret");
    std::fs::write(
        &secret,
        "py-secret-long-enough-for-hs512-py-secret-long-enough-for-hs512-py",
    )
    .expect("write");
    let (code, value) = decode(
        &home,
        &[
            "--secret-file",
            &secret.display().to_string(),
            made["hs"].as_str().expect("hs"),
        ],
    );
    assert_eq!(
        (code, value["claims"]["sub"].as_str()),
        (0, Some("carol")),
        "{value}"
    );
    // ES512 (P-521, which ring lacks): the key as a JWK and as a PEM; a changed
    // signature fails.
    let es = made["es"].as_str().expect("es");
    for (name, text) in [("es.jwk", "es_jwk"), ("es.pem", "es_pem")] {
        let file = home.path().join(name);
        std::fs::write(&file, made[text].as_str().expect("key")).expect("write");
        let file = file.display().to_string();
        let (code, value) = decode(&home, &["--key", &file, es]);
        assert_eq!(
            (
                code,
                value["claims"]["sub"].as_str(),
                value["signature"].as_str()
            ),
            (0, Some("dave"), Some("valid")),
            "{name}: {value}"
        );
        let tampered = format!(
            "{}{}",
            &es[..es.len() - 4],
            if es.ends_with("AAAA") { "BBBB" } else { "AAAA" }
        );
        let (code, value) = decode(&home, &["--key", &file, &tampered]);
        assert_eq!(
            (code, value["signature"].as_str()),
            (3, Some("invalid")),
            "{name}: {value}"
        );
    }
}

/// From a trial: the leeway covers `exp` and `nbf` (and a refusal names the claim); a
/// single JWK without `kid` verifies through `--jwks`; a key given with `--key` draws no
/// warning that the token's `kid` is missing from it.
#[test]
fn leeway_kidless_jwks_and_given_keys_behave_as_developers_expect() {
    let home = Home::new("");
    let dir = home.path();
    let key = dir.join("k.pem").display().to_string();
    let jwks = home
        .ok(&["jwt", "keygen", "--alg", "ES256", "--out", &key])
        .stdout;
    let mut jwk: Value = serde_json::from_str::<Value>(&jwks).expect("jwks")["keys"][0].clone();
    jwk.as_object_mut().expect("jwk").remove("kid");
    let jwk_path = dir.join("k.jwk");
    std::fs::write(&jwk_path, jwk.to_string()).expect("jwk");
    let jwk_arg = jwk_path.display().to_string();
    let sign = |exp: &str| {
        home.ok(&["jwt", "sign", "--key", &key, &format!("--exp={exp}")])
            .stdout
            .trim()
            .to_string()
    };
    // Expired 30 s ago: refused, saying why; accepted with two minutes of leeway.
    let expired = sign("-30s");
    let run = home.run(&["decode", "--jwks", &jwk_arg, &expired]);
    assert_eq!(run.code, 3, "{run}");
    assert!(run.stderr.contains("`exp` is"), "{run}");
    let (code, value) = decode(&home, &["--jwks", &jwk_arg, "--leeway", "120", &expired]);
    assert_eq!(
        (code, value["signature"].as_str()),
        (0, Some("valid")),
        "{value}"
    );
    // The same kid-less JWK through --key: valid, and no risk about the kid.
    let current = sign("10m");
    let (code, value) = decode(&home, &["--key", &jwk_arg, &current]);
    assert_eq!(
        (code, value["signature"].as_str()),
        (0, Some("valid")),
        "{value}"
    );
    assert!(
        value["risks"].as_array().is_some_and(|r| r.is_empty()),
        "{value}"
    );
}

/// From the second trial: a time claim that is no date fails the checks (a token whose
/// `exp` is "tomorrow" is not one that never expires); claims come from `@FILE`; an
/// expired test token is made with `--exp -5m`; a token copied with its quotes decodes;
/// a script that gets `invalid` also gets the reason on stderr.
#[test]
fn malformed_times_fail_and_the_workbench_takes_what_people_paste() {
    let home = Home::new("");
    let secret = home.path().join("secret");
    std::fs::write(&secret, "a-secret-of-thirty-two-bytes-or-more!!").expect("write");
    owner_only(&secret);
    let secret = secret.display().to_string();
    let sign = |args: &[&str]| {
        home.ok(&[&["jwt", "sign", "--secret-file", &secret][..], args].concat())
            .stdout
            .trim()
            .to_string()
    };
    for bad in [
        r#"{"exp":"tomorrow"}"#,
        r#"{"exp":1e300}"#,
        r#"{"nbf":true}"#,
    ] {
        let token = sign(&["--no-iat", bad]);
        let run = home.run(&["decode", "--secret-file", &secret, &token]);
        assert_eq!(run.code, 3, "{bad}: {run}");
        assert!(run.stderr.contains("NumericDate"), "{bad}: {run}");
        let value: Value = serde_json::from_str(&run.stdout).expect("json");
        assert_eq!(value["risks"][0]["risk"], "malformed_time", "{value}");
    }
    let claims = home.path().join("claims.json");
    std::fs::write(&claims, r#"{"sub":"from-a-file"}"#).expect("write");
    let from_file = sign(&[&format!("@{}", claims.display())]);
    let (code, value) = decode(&home, &["--secret-file", &secret, &from_file]);
    assert_eq!(
        (code, value["claims"]["sub"].as_str()),
        (0, Some("from-a-file"))
    );
    let named = home.run(&[
        "jwt",
        "sign",
        "--secret-file",
        &secret,
        &claims.display().to_string(),
    ]);
    assert!(named.stderr.contains("write @"), "{named}");
    let expired = sign(&["--exp", "-5m"]);
    let run = home.run(&["decode", "--secret-file", &secret, &expired]);
    assert_eq!(run.code, 3, "{run}");
    assert!(run.stderr.contains("`exp`"), "{run}");
    let (code, value) = decode(
        &home,
        &["--secret-file", &secret, &format!("\"{from_file}\"")],
    );
    assert_eq!(
        (code, value["format"].as_str()),
        (0, Some("jwt")),
        "{value}"
    );
    let last = if from_file.ends_with('A') { "B" } else { "A" };
    let forged = format!("{}{last}", &from_file[..from_file.len() - 1]);
    let run = home.run(&["decode", "--secret-file", &secret, &forged]);
    assert_eq!(run.code, 3, "{run}");
    assert!(
        run.stderr.contains("not trusted: signature INVALID"),
        "{run}"
    );
    // An empty --kid, and a claim given twice, are refused.
    let run = home.run(&["jwt", "sign", "--secret-file", &secret, "--kid="]);
    assert!(
        run.code == 2 && run.stderr.contains("--kid is empty"),
        "{run}"
    );
    let run = home.run(&[
        "jwt",
        "sign",
        "--secret-file",
        &secret,
        "--sub",
        "a",
        "--set",
        "sub=b",
    ]);
    assert!(run.code == 2 && run.stderr.contains("give one"), "{run}");
    // keygen takes the algorithm in any case.
    let key = home.path().join("k.pem").display().to_string();
    home.ok(&["jwt", "keygen", "--alg", "eddsa", "--out", &key]);
}

/// From the second trial: key files as OpenSSL leaves them: a certificate after its text
/// dump, a chain of several certificates, DER.
#[test]
fn key_files_with_text_chains_and_der_verify() {
    let home = Home::new("");
    let dir = home.path();
    let openssl = |args: &[&str]| openssl(dir, args);
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "ec.pem",
    ]);
    openssl(&[
        "req", "-x509", "-new", "-key", "ec.pem", "-subj", "/CN=ec", "-days", "1", "-out", "ec.crt",
    ]);
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        "rsa.pem",
    ]);
    openssl(&[
        "req", "-x509", "-new", "-key", "rsa.pem", "-subj", "/CN=rsa", "-days", "1", "-out",
        "rsa.crt",
    ]);
    std::fs::write(
        dir.join("dump.pem"),
        openssl(&["x509", "-in", "ec.crt", "-text"]),
    )
    .expect("write");
    let chain = [
        std::fs::read(dir.join("rsa.crt")).expect("read"),
        std::fs::read(dir.join("ec.crt")).expect("read"),
    ]
    .concat();
    std::fs::write(dir.join("chain.pem"), chain).expect("write");
    openssl(&["x509", "-in", "ec.crt", "-outform", "DER", "-out", "ec.der"]);
    openssl(&[
        "pkey", "-in", "ec.pem", "-pubout", "-outform", "DER", "-out", "pub.der",
    ]);
    let key = dir.join("ec.pem").display().to_string();
    owner_only(&key);
    let token = home
        .ok(&["jwt", "sign", "--sub", "x", "--key", &key])
        .stdout
        .trim()
        .to_string();
    for file in ["dump.pem", "chain.pem", "ec.der", "pub.der"] {
        let path = dir.join(file).display().to_string();
        let (code, value) = decode(&home, &["--key", &path, &token]);
        assert_eq!(
            (code, value["signature"].as_str()),
            (0, Some("valid")),
            "{file}: {value}"
        );
    }
    // Binary that is no key: said so, with the way to convert.
    std::fs::write(dir.join("junk.der"), [0x30u8, 0x03, 0x02, 0x01, 0x00, 0xff]).expect("write");
    let run = home.run(&[
        "decode",
        "--key",
        &dir.join("junk.der").display().to_string(),
        &token,
    ]);
    assert!(
        run.stderr.contains("openssl pkey -pubin -inform DER"),
        "{run}"
    );
}

/// From the second trial: a private key tokdeck will not sign with is named for what it
/// is, with what to do.
#[test]
fn keys_tokdeck_does_not_sign_with_are_named() {
    let home = Home::new("");
    for (file, args, said) in [
        (
            "rsa1024.pem",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"][..],
            "too weak to sign with",
        ),
        (
            "p521.pem",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"][..],
            "P-521 key",
        ),
        ("ed448.pem", &["-algorithm", "ED448"][..], "Ed448 key"),
    ] {
        let path = home.path().join(file).display().to_string();
        openssl(
            home.path(),
            &[&["genpkey"][..], args, &["-out", &path]].concat(),
        );
        owner_only(&path);
        let run = home.run(&["jwt", "sign", "--key", &path, "--sub", "x"]);
        assert_eq!(run.code, 2, "{file}: {run}");
        assert!(run.stderr.contains(said), "{file}: {run}");
    }
}
