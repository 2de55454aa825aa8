use super::*;

#[test]
fn stat_is_read_past_a_name_with_parentheses() {
    let (name, stat) =
        parse_stat("4242 (my (odd) prog) S 100 4242 90 34817 4242 4194560 0 0").expect("stat");
    assert_eq!(name, "my (odd) prog");
    assert_eq!(
        stat,
        Stat {
            ppid: 100,
            session: 90,
            tty: 34817
        }
    );
    assert!(parse_stat("garbage").is_none());
}

#[test]
fn a_pseudo_terminal_is_named() {
    let session = Session {
        sid: 1,
        tty: Some(34817),
    };
    assert_eq!(session.terminal().as_deref(), Some("pts/1"));
}

#[test]
fn markers_are_names_with_a_value() {
    let environ = b"HOME=/h\0CLAUDECODE=1\0GEMINI_CLI=0\0CODEX_SANDBOX=\0PATH=/bin\0";
    assert_eq!(markers_in(environ), vec!["CLAUDECODE".to_string()]);
}

#[test]
fn callers_are_classified_from_their_facts() {
    let shell = Caller {
        uid: 1000,
        pid: Some(5),
        session: Some(Session {
            sid: 4,
            tty: Some(34816),
        }),
        ..Caller::default()
    };
    assert_eq!(shell.class(), Class::Shell);
    let mut program = shell.clone();
    program.session = Some(Session { sid: 4, tty: None });
    assert_eq!(program.class(), Class::Program);
    let mut agent = shell.clone();
    agent.markers = vec!["CLAUDECODE".into()];
    assert!(matches!(agent.class(), Class::CodingAgent(n) if n.contains("Claude Code")));
    let mut node_agent = shell.clone();
    node_agent.ancestors = vec![Ancestor {
        pid: 9,
        name: "node".into(),
        exe: Some("/usr/bin/node".into()),
        args: vec!["node".into(), "/usr/lib/node_modules/.bin/codex".into()],
    }];
    assert!(
        matches!(node_agent.class(), Class::CodingAgent(n) if n.contains("Codex CLI") && n.contains("process 9"))
    );
    let mut contained = agent.clone();
    contained.other_pid_namespace = Some(true);
    assert_eq!(contained.class(), Class::Container);
    let mut forwarded = contained;
    forwarded.forwarded = Some("build.example".into());
    assert_eq!(forwarded.class(), Class::Forwarded("build.example".into()));
    assert!(shell.class().is_the_person());
    assert!(!agent.class().is_the_person());
}

#[test]
fn the_facts_say_which_are_verified() {
    let caller = Caller {
        uid: 1000,
        pid: Some(5),
        exe: Some("/usr/bin/curl".into()),
        cmdline: vec!["curl\u{1b}[2J".into()],
        markers: vec!["CLAUDECODE".into()],
        ..Caller::default()
    };
    let facts = caller.facts();
    let get = |n: &str| facts.iter().find(|f| f.name == n).expect(n);
    assert!(get("executable").verified);
    assert!(!get("command").verified);
    assert!(!get("environment").verified);
    assert!(!get("command").value.contains('\u{1b}'));
}

#[cfg(target_os = "linux")]
#[test]
fn this_process_is_read_from_proc() {
    let caller = Caller::of(0, Some(std::process::id()));
    assert_eq!(caller.exe, std::env::current_exe().ok());
    assert_eq!(caller.other_pid_namespace, Some(false));
    assert!(caller.session.is_some());
    assert!(!caller.ancestors.is_empty());
}
