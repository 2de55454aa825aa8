use super::*;
use std::path::PathBuf;

const BEFORE: &str = r#"# My tokdeck setup.
store = "file" # tokens in files on this laptop

[providers.corp]   # the company IdP
issuer = "https://idp.example"
client_id = "tokdeck"
flow = "device"

# Personal things below.
[accounts.alice-work]
provider = "corp"
scopes = [
    "openid",
    "offline_access", # needed for refresh
]

[dashboard]
clipboard_clear_seconds = 30
"#;

fn path() -> PathBuf {
    PathBuf::from("/home/u/.config/tokdeck/config.toml")
}

fn draft(name: &str, provider: ProviderDraft) -> AccountDraft {
    AccountDraft {
        provider_edit: None,
        api: None,
        name: name.into(),
        provider,
        flow: None,
        scopes: None,
    }
}

fn okta() -> NewProvider {
    NewProvider {
        name: "okta-dev".into(),
        preset: "okta".into(),
        issuer: None,
        client_id: "0oa1".into(),
        client_secret: None,
        template: [("domain".to_string(), "dev-1.okta.com".to_string())].into(),
        registration: crate::config::Registration::Manual,
    }
}

#[test]
fn adding_an_account_keeps_comments_and_layout() {
    let mut new = draft("bob", ProviderDraft::Existing("corp".into()));
    new.flow = Some(Flow::Browser);
    new.scopes = Some(vec!["openid".into(), "email".into()]);
    let after = add_account(&path(), BEFORE, &new).expect("added");
    insta::assert_snapshot!(after);
    let config = Config::parse(&path(), &after, None).expect("still a config");
    assert_eq!(config.accounts["bob"].flow(), Some(Flow::Browser));
    assert_eq!(config.accounts["bob"].scopes, ["openid", "email"]);
    assert_eq!(config.accounts.len(), 2);
}

#[test]
fn adding_with_a_new_preset_provider_writes_both_tables() {
    let after =
        add_account(&path(), BEFORE, &draft("dev", ProviderDraft::New(okta()))).expect("added");
    insta::assert_snapshot!(after);
    let config = Config::parse(&path(), &after, None).expect("still a config");
    assert_eq!(
        config.accounts["dev"].provider.endpoints.issuer.as_deref(),
        Some("https://dev-1.okta.com/oauth2/default")
    );
}

#[test]
fn the_first_account_creates_a_file_with_a_header() {
    let mut generic = okta();
    generic.name = "idp".into();
    generic.preset = "generic".into();
    generic.issuer = Some("https://login.example".into());
    generic.template.clear();
    generic.client_secret = Some(Secret::new("s3cret"));
    let after = add_account(&path(), "", &draft("me", ProviderDraft::New(generic))).expect("added");
    insta::assert_snapshot!(after);
}

#[test]
fn changing_an_account_touches_only_the_keys_that_change() {
    let mut changed = draft("alice-work", ProviderDraft::Existing("corp".into()));
    changed.flow = Some(Flow::Browser);
    changed.scopes = Some(vec!["openid".into(), "offline_access".into()]);
    let after = change_account(&path(), BEFORE, &changed).expect("changed");
    insta::assert_snapshot!(after);
    let config = Config::parse(&path(), &after, None).expect("still a config");
    assert_eq!(config.accounts["alice-work"].flow(), Some(Flow::Browser));

    // Clearing the scopes goes back to the provider's.
    changed.scopes = None;
    let after = change_account(&path(), &after, &changed).expect("changed");
    assert!(!after.contains("scopes"), "{after}");
    let config = Config::parse(&path(), &after, None).expect("still a config");
    assert_eq!(config.accounts["alice-work"].scopes, ["openid"]);
    // No change at all is said so.
    assert_eq!(
        change_account(&path(), &after, &changed),
        Err(EditError::Rejected("nothing changed".into()))
    );
}

#[test]
fn removing_an_account_keeps_everything_else() {
    let after = remove_account(&path(), BEFORE, "alice-work").expect("removed");
    insta::assert_snapshot!(after);
    let config = Config::parse(&path(), &after, None).expect("still a config");
    assert!(config.accounts.is_empty());
    assert!(config.providers.contains_key("corp"));
}

#[test]
fn a_broken_file_is_never_edited() {
    let broken = "[providers.corp]\nissuer = \n";
    let err = add_account(
        &path(),
        broken,
        &draft("x", ProviderDraft::Existing("corp".into())),
    )
    .expect_err("refused");
    assert!(matches!(err, EditError::Broken(_)), "{err}");
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(matches!(
        remove_account(&path(), broken, "x"),
        Err(EditError::Broken(_))
    ));
}

#[test]
fn bad_drafts_are_refused_with_the_value_named() {
    let cases = [
        (
            draft("alice-work", ProviderDraft::Existing("corp".into())),
            "an account named 'alice-work' already exists",
        ),
        (
            draft("has space", ProviderDraft::Existing("corp".into())),
            "account name 'has space' must be",
        ),
        (
            draft("x", ProviderDraft::Existing("nope".into())),
            "no provider 'nope'",
        ),
        (
            draft(
                "x",
                ProviderDraft::New(NewProvider {
                    template: BTreeMap::new(),
                    registration: crate::config::Registration::Manual,
                    ..okta()
                }),
            ),
            "preset 'okta' needs a domain",
        ),
        (
            draft(
                "x",
                ProviderDraft::New(NewProvider {
                    client_id: " ".into(),
                    ..okta()
                }),
            ),
            "a client ID is needed",
        ),
        (
            draft(
                "x",
                ProviderDraft::New(NewProvider {
                    name: "corp".into(),
                    ..okta()
                }),
            ),
            "a provider named 'corp' already exists",
        ),
        (
            draft(
                "x",
                ProviderDraft::New(NewProvider {
                    preset: "generic".into(),
                    issuer: Some("http://idp.example".into()),
                    ..okta()
                }),
            ),
            "issuer 'http://idp.example' must use https://",
        ),
    ];
    for (draft, expected) in cases {
        let err = add_account(&path(), BEFORE, &draft).expect_err(expected);
        assert!(err.to_string().contains(expected), "{err} / {expected}");
    }
}

#[test]
fn client_credentials_without_a_secret_is_refused_before_writing() {
    let mut cc = draft("svc", ProviderDraft::Existing("corp".into()));
    cc.flow = Some(Flow::ClientCredentials);
    let err = add_account(&path(), BEFORE, &cc).expect_err("refused");
    assert!(err.to_string().contains("needs `client_secret`"), "{err}");
}

#[test]
fn save_writes_only_over_the_text_it_was_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("config.toml");
    std::fs::write(&file, BEFORE).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    }
    let after = remove_account(&file, BEFORE, "alice-work").expect("removed");
    // Someone else edited the file meanwhile: nothing is written.
    std::fs::write(&file, format!("{BEFORE}# edited\n")).expect("write");
    let err = save(&file, Some(BEFORE), &after).expect_err("refused");
    assert!(matches!(err, EditError::ChangedOnDisk(_)), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        format!("{BEFORE}# edited\n")
    );

    std::fs::write(&file, BEFORE).expect("write");
    save(&file, Some(BEFORE), &after).expect("saved");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), after);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o640, "the file keeps its mode");
    }
}

#[cfg(unix)]
#[test]
fn save_creates_a_private_file_and_writes_through_symlinks() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let new = dir.path().join("sub/config.toml");
    save(&new, None, "store = \"file\"\n").expect("created");
    let mode = std::fs::metadata(&new).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(matches!(
        save(&new, None, "x"),
        Err(EditError::ChangedOnDisk(_))
    ));

    let real = dir.path().join("dotfiles.toml");
    std::fs::write(&real, BEFORE).expect("write");
    let link = dir.path().join("link.toml");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    save(&link, Some(BEFORE), "store = \"file\"\n").expect("saved");
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink(),
        "the link stays a link"
    );
    assert_eq!(
        std::fs::read_to_string(&real).expect("read"),
        "store = \"file\"\n"
    );
}

#[test]
fn diff_shows_the_changed_lines_with_context_and_masks_secrets() {
    let before = "a\nb\nc\nd\ne\nf\n";
    let after = "a\nb\nc\nX\nclient_secret = \"hunter2\"\ne\nf\n";
    assert_eq!(
        diff(before, after, 1),
        vec![
            DiffLine::Skipped(2),
            DiffLine::Same("c".into()),
            DiffLine::Removed("d".into()),
            DiffLine::Added("X".into()),
            DiffLine::Added("client_secret = \"••••••\"".into()),
            DiffLine::Same("e".into()),
            DiffLine::Skipped(1),
        ]
    );
    assert_eq!(diff("", "x\n", 2), vec![DiffLine::Added("x".into())]);
}

#[test]
fn diff_finds_insertions_between_unchanged_lines() {
    let before = "[p]\nx = 1\n\n[a]\nprovider = \"p\"\n";
    let after = "[p]\nx = 1\n\n[q]\ny = 2\n\n[a]\nprovider = \"p\"\n";
    assert_eq!(
        diff(before, after, 1),
        vec![
            DiffLine::Skipped(2),
            DiffLine::Same("".into()),
            DiffLine::Added("[q]".into()),
            DiffLine::Added("y = 2".into()),
            DiffLine::Added("".into()),
            DiffLine::Same("[a]".into()),
            DiffLine::Skipped(1),
        ]
    );
}

#[test]
fn a_changed_value_keeps_the_comments_around_it() {
    let before = "[providers.corp]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\n\n[accounts.bob]\nprovider = \"corp\"\n# why bob uses the device flow\nflow = \"device\" # ask Ann first\n";
    let mut changed = draft("bob", ProviderDraft::Existing("corp".into()));
    changed.flow = Some(Flow::Browser);
    let after = change_account(&path(), before, &changed).expect("changed");
    assert!(
        after.ends_with("# why bob uses the device flow\nflow = \"browser\" # ask Ann first\n"),
        "{after}"
    );
}

#[test]
fn removing_a_table_keeps_the_comments_a_blank_line_sets_apart() {
    let before = "[providers.corp]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\n\n[accounts.a]\nprovider = \"corp\"\n\n# section note: keep\n\n# the old one\n[accounts.old]\nprovider = \"corp\"\n\n# end of file: keep\n";
    let after = remove_account(&path(), before, "old").expect("removed");
    assert!(after.contains("# section note: keep"), "{after}");
    assert!(
        !after.contains("# the old one"),
        "its own comment goes: {after}"
    );
    assert!(after.contains("# end of file: keep"), "{after}");
    assert!(!after.contains("[accounts.old]"));
    // Between two tables: the note moves to the next one, in the same place in the text.
    let before = "[providers.corp]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\n\n# work accounts\n\n[accounts.old]\nprovider = \"corp\"\n\n[accounts.b]\nprovider = \"corp\"\n";
    let after = remove_account(&path(), before, "old").expect("removed");
    let note = after.find("# work accounts").expect("kept");
    assert!(note < after.find("[accounts.b]").expect("b"), "{after}");
}
