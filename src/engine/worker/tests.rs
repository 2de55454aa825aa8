use super::*;

fn tokens() -> TokenSet {
    TokenSet::bearer(
        "at-1",
        chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("ts"),
    )
    .with_refresh_token("rt-2")
    .with_scopes(&["openid"])
    .expiring_at(chrono::DateTime::from_timestamp(1_700_003_600, 0))
}

#[test]
fn a_reply_crosses_the_pipe_as_one_line_with_the_tokens() {
    let line = Reply::Refreshed(tokens()).line();
    assert_eq!(line.matches('\n').count(), 1, "{line}");
    let read = Reply::parse(line.as_bytes(), "test");
    assert_eq!(read.into_result("dev").expect("refreshed"), tokens());
}

#[test]
fn failures_keep_their_kind_on_the_caller_side() {
    let unreachable = Reply::of(Err(oauth_error(
        "dev",
        OAuthError::Transport(TransportError::Relayed("cannot connect".into())),
    )));
    let line = unreachable.line();
    match Reply::parse(line.as_bytes(), "test").into_result("dev") {
        // The caller may then serve a still valid cached token.
        Err(EngineError::OAuth {
            account,
            source: OAuthError::Transport(e),
        }) => {
            assert_eq!(account, "dev");
            assert_eq!(e.to_string(), "cannot connect");
        }
        other => panic!("{other:?}"),
    }
    let needs_login = Reply::of(Err(EngineError::NeedsLogin {
        account: "source".into(),
        reason: "cannot be refreshed:\nrejected".into(),
    }));
    let line = needs_login.line();
    assert_eq!(line.matches('\n').count(), 1, "{line}");
    // The account to log in is the one the worker named (the source of an account
    // by exchange), not the caller's.
    match Reply::parse(line.as_bytes(), "test").into_result("by_exchange") {
        Err(EngineError::NeedsLogin { account, reason }) => {
            assert_eq!(
                (account.as_str(), reason.as_str()),
                ("source", "cannot be refreshed:\nrejected")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_worker_that_dies_without_a_word_is_a_failure_that_says_so() {
    match Reply::parse(&b""[..], "forked").into_result("dev") {
        Err(EngineError::Worker(message)) => {
            assert!(message.contains("stopped without an answer"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    match Reply::parse(&b"garbage\n"[..], "forked").into_result("dev") {
        Err(EngineError::Worker(message)) => {
            assert!(message.contains("cannot read"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}
