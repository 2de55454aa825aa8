use super::*;

#[test]
fn requests_read_as_written() {
    let ask =
        read_request(r#"{"op":"token","account":"work","min_valid":300}"#).expect("token request");
    assert_eq!(
        ask,
        Request::Token {
            ask: TokenAsk {
                account: Some("work".into()),
                min_valid: Some(300),
                ..TokenAsk::default()
            }
        }
    );
    let line = serde_json::to_string(&ask).expect("json");
    assert_eq!(read_request(&line).expect("again"), ask);
}

#[test]
fn a_refresh_token_cannot_be_asked_for() {
    for line in [
        r#"{"op":"refresh_token","account":"work"}"#,
        r#"{"op":"export","account":"work"}"#,
        r#"{"op":"get_secret"}"#,
    ] {
        let e = read_request(line).expect_err(line);
        assert_eq!(e.code, Code::UnknownOp, "{line}");
    }
    for line in [
        r#"{"op":"token","account":"work","refresh_token":true}"#,
        r#"{"op":"token","account":"work","what":"refresh_token"}"#,
        r#"{"op":"list","with_secrets":true}"#,
        r#"{"op":"dpop_proof","account":"w","method":"GET","url":"u","ath":"x","key":true}"#,
    ] {
        let e = read_request(line).expect_err(line);
        assert_eq!(e.code, Code::BadRequest, "{line}");
        assert!(e.message.contains("unknown field"), "{}", e.message);
    }
    let e = read_request("[1]").expect_err("array");
    assert_eq!(e.code, Code::BadRequest);
}

#[test]
fn an_unknown_operation_cannot_steer_a_terminal() {
    let e = read_request("{\"op\":\"\\u001b]0;owned\\u0007\"}").expect_err("escape");
    assert!(!e.message.contains('\u{1b}'), "{:?}", e.message);
}

#[test]
fn answers_carry_ok_and_come_back() {
    let line = answer_line(Ok(Proof { proof: "p".into() }));
    assert!(line.ends_with('\n'));
    let proof: Proof = read_answer(&line).expect("proof");
    assert_eq!(proof.proof, "p");
    let line = answer_line::<Proof>(Err(Failure::new(Code::Locked, "locked")));
    let e = read_answer::<Proof>(&line).expect_err("refusal");
    assert_eq!(e, Failure::new(Code::Locked, "locked"));
}

#[test]
fn answers_as_people_type_them() {
    assert_eq!(Answer::parse(" S "), Some(Answer::Session));
    assert_eq!(Answer::parse("deny"), Some(Answer::Deny));
    assert_eq!(Answer::parse("maybe"), None);
    assert!(!Answer::Deny.allows());
}
