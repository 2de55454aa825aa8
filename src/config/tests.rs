use super::*;
use std::path::Path;

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn valid_fixtures_load() {
    let files = fixtures("valid");
    assert!(files.len() >= 2);
    for file in files {
        if let Err(e) = Config::load(&file).and_then(Config::strict) {
            panic!("{}: {e}", file.display());
        }
    }
}

#[test]
fn invalid_fixtures_fail_with_file_line_and_reason() {
    let files = fixtures("invalid");
    assert!(files.len() >= 16, "{}", files.len());
    for file in files {
        let expected =
            std::fs::read_to_string(file.with_extension("err")).expect("matching .err file");
        let before = std::fs::read(&file).expect("read");
        let err = match Config::load(&file).and_then(Config::strict) {
            Ok(_) => panic!("{} loaded but should fail", file.display()),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(&format!("config file '{}'", file.display())),
            "{err}"
        );
        assert!(
            err.contains(expected.trim()),
            "{}:\n  got:  {err}\n  want: {expected}",
            file.display()
        );
        assert_eq!(
            std::fs::read(&file).expect("read"),
            before,
            "the file must never be rewritten"
        );
    }
}

#[test]
fn accounts_inherit_and_override_their_provider() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/valid/full.toml");
    let config =
        Config::parse(&path, &std::fs::read_to_string(&path).expect("read"), None).expect("parse");
    assert_eq!(config.store, StoreKind::File);
    let work = config.account("alice-work").expect("alice-work");
    assert_eq!(work.flow(), Some(Flow::Device));
    assert_eq!(work.scopes, vec!["openid", "profile", "offline_access"]);
    assert_eq!(
        work.grant()
            .expect("a grant")
            .params
            .get("audience")
            .map(String::as_str),
        Some("api://work")
    );
    assert_eq!(work.provider.redirect_port, 8765);
    assert_eq!(
        work.provider.client_secret.as_ref().map(Secret::expose),
        Some("s3cret")
    );
    let admin = config.account("alice-admin").expect("alice-admin");
    assert_eq!(admin.flow(), Some(Flow::Browser));
    assert_eq!(admin.scopes, vec!["openid", "admin"]);
    assert_eq!(
        admin.grant().expect("a grant").params.len(),
        2,
        "provider params plus the account's own"
    );
    let google = config.account("me.google").expect("google");
    assert_eq!(
        google.provider.endpoints.issuer.as_deref(),
        Some("https://accounts.google.com")
    );
    assert_eq!(google.flow(), Some(Flow::Browser));
    assert_eq!(
        config.account("svc").expect("svc").flow(),
        Some(Flow::ClientCredentials)
    );
    let err = config.account("nobody").expect_err("unknown").to_string();
    assert!(
        err.contains("'nobody'") && err.contains("alice-admin, alice-work"),
        "{err}"
    );
}

#[test]
fn store_override_wins() {
    let config = Config::parse(
        Path::new("c.toml"),
        "store = \"file\"",
        Some(StoreKind::Keyring),
    )
    .expect("parse");
    assert_eq!(config.store, StoreKind::Keyring);
    let config = Config::parse(Path::new("c.toml"), "", None).expect("parse");
    assert_eq!(config.store, StoreKind::Keyring, "keyring is the default");
}

#[test]
fn a_huge_file_is_refused_unread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "# x\n".repeat(400_000)).expect("write");
    let err = Config::load(&path).expect_err("too big").to_string();
    assert!(err.contains("a config is at most 1024 KiB"), "{err}");
}

#[test]
fn non_utf8_is_rejected_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, b"store = \"file\"\n# caf\xe9\n").expect("write");
    let err = Config::load(&path).expect_err("not utf-8").to_string();
    assert!(err.contains("line 2") && err.contains("UTF-8"), "{err}");
}

#[test]
fn debug_of_a_provider_hides_the_client_secret() {
    let config = Config::parse(
        Path::new("c.toml"),
        "[providers.p]\nissuer = \"https://i\"\nclient_id = \"c\"\nclient_secret = \"hunter2\"\n[accounts.a]\nprovider = \"p\"\n",
        None,
    )
    .expect("parse");
    let shown = format!("{config:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
}
