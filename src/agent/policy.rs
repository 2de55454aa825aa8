//! Whether a caller gets an account's token without asking the person, what it may ask
//! for at most, and the approvals people gave.

use super::caller::{Caller, Class, Session};
use super::protocol::Answer;
use crate::config::{AgentPolicy, Approve};
use crate::token::Target;
use chrono::{DateTime, Utc};
use std::path::PathBuf;

/// How long an approval for a session or a program lasts when the agent is not locked
/// before.
pub const APPROVAL_TTL: chrono::Duration = chrono::Duration::hours(8);

/// When the person is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asking {
    Never,
    /// Unless an approval covers the caller.
    Unless,
    /// For every request.
    Every,
}

/// What the account's `approve` says for this kind of caller; unset: the user's own
/// processes are never asked about, anything else is, once per session.
pub fn asking(policy: &AgentPolicy, class: &Class) -> Asking {
    match policy.approve {
        Some(Approve::Never) if !matches!(class, Class::Forwarded(_)) => Asking::Never,
        Some(Approve::Always) => Asking::Every,
        Some(Approve::Session | Approve::Never) => Asking::Unless,
        None if class.is_the_person() => Asking::Never,
        None => Asking::Unless,
    }
}

/// What the account's policy refuses of a request before anything is fetched, said with
/// what to change: the ID token, an API or scopes over the ceilings.
pub fn refuses(
    account: &str,
    policy: &AgentPolicy,
    target: Option<&Target>,
    id_token: bool,
) -> Option<String> {
    if id_token && !policy.id_token {
        return Some(format!(
            "the agent does not hand out the ID token of '{account}' (it says who the person is to whoever holds it); to allow it, set `id_token = true` in [accounts.{account}.agent]"
        ));
    }
    if let (Some(ceiling), Some(resource)) = (
        &policy.resources,
        target.and_then(|t| t.resource.as_deref()),
    ) && !ceiling
        .iter()
        .any(|r| r.trim_end_matches('/') == resource.trim_end_matches('/'))
    {
        return Some(format!(
            "resource '{resource}' is not in agent.resources of '{account}' ({}); add it there to allow it",
            ceiling.join(", ")
        ));
    }
    match target {
        Some(t) if !t.scopes.is_empty() => over_ceiling(account, policy, &t.scopes),
        _ => None,
    }
}

/// Scopes of an access token (asked for, or as the server granted them) over the
/// account's `agent.scopes`. The ID token is not judged by it: it is for no API.
pub fn over_ceiling(account: &str, policy: &AgentPolicy, scopes: &[String]) -> Option<String> {
    let ceiling = policy.scopes.as_ref()?;
    let over: Vec<&str> = scopes
        .iter()
        .filter(|s| !ceiling.contains(s))
        .map(String::as_str)
        .collect();
    (!over.is_empty()).then(|| {
        format!(
            "scope {} of '{account}' is over agent.scopes ({}); ask for less with --scope \"{}\", or widen agent.scopes",
            over.join(" "),
            ceiling.join(" "),
            ceiling.join(" ")
        )
    })
}

/// Who an approval covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// The caller's session (its terminal, else its process session), for callers of
    /// the same kind.
    Session {
        uid: u32,
        session: Session,
        kind: String,
    },
    /// The program (its executable as the kernel says), for callers of the same kind:
    /// `tokdeck token` run by one coding agent is not the same program as by another.
    Program {
        uid: u32,
        exe: PathBuf,
        kind: String,
    },
}

impl Grantee {
    fn covers(&self, caller: &Caller) -> bool {
        match self {
            Self::Session { uid, session, kind } => {
                *uid == caller.uid
                    && caller.session.as_ref() == Some(session)
                    && *kind == caller.class().key()
            }
            Self::Program { uid, exe, kind } => {
                *uid == caller.uid
                    && caller.exe.as_ref() == Some(exe)
                    && *kind == caller.class().key()
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub account: String,
    pub grantee: Grantee,
    /// Forwarded connections are approved per host and forward (one `tokdeck ssh`).
    pub forwarded: Option<String>,
    pub link: Option<u64>,
    pub until: DateTime<Utc>,
}

/// The approvals people gave, in memory only: dropped when the agent locks or stops.
#[derive(Debug, Default)]
pub struct Approvals {
    list: Vec<Approval>,
}

impl Approvals {
    pub fn covers(&self, account: &str, caller: &Caller, now: DateTime<Utc>) -> bool {
        self.list.iter().any(|a| {
            a.account == account
                && a.until > now
                && a.forwarded == caller.forwarded
                && a.link == caller.link
                && a.grantee.covers(caller)
        })
    }

    /// Keeps what `answer` allows beyond this request; says what it kept (for the log).
    pub fn keep(
        &mut self,
        answer: Answer,
        account: &str,
        caller: &Caller,
        now: DateTime<Utc>,
    ) -> Option<String> {
        let grantee = match answer {
            Answer::Session => Grantee::Session {
                uid: caller.uid,
                session: caller.session?,
                kind: caller.class().key(),
            },
            Answer::Program => Grantee::Program {
                uid: caller.uid,
                exe: caller.exe.clone()?,
                kind: caller.class().key(),
            },
            Answer::Once | Answer::Deny => return None,
        };
        let said = match &grantee {
            Grantee::Session { session, kind, .. } => format!(
                "session {}{}, {kind}",
                session.sid,
                session
                    .terminal()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default()
            ),
            Grantee::Program { exe, kind, .. } => format!("{}, {kind}", exe.display()),
        };
        self.list.retain(|a| now < a.until);
        self.list.push(Approval {
            account: account.to_string(),
            grantee,
            forwarded: caller.forwarded.clone(),
            link: caller.link,
            until: now + APPROVAL_TTL,
        });
        Some(said)
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn clear(&mut self) {
        self.list.clear();
    }

    /// Drops the approvals given through forward `link` (its ssh connection ended).
    pub fn end_link(&mut self, link: u64) {
        self.list.retain(|a| a.link != Some(link));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(tty: Option<u32>, markers: &[&str]) -> Caller {
        Caller {
            uid: 1000,
            pid: Some(10),
            exe: Some("/usr/bin/curl".into()),
            session: Some(Session { sid: 7, tty }),
            markers: markers.iter().map(|m| (*m).to_string()).collect(),
            ..Caller::default()
        }
    }

    #[test]
    fn by_default_only_the_users_own_processes_go_unasked() {
        let policy = AgentPolicy::default();
        assert_eq!(
            asking(&policy, &caller(Some(1), &[]).class()),
            Asking::Never
        );
        assert_eq!(asking(&policy, &caller(None, &[]).class()), Asking::Never);
        let agent = caller(Some(1), &["CLAUDECODE"]);
        assert_eq!(asking(&policy, &agent.class()), Asking::Unless);
        assert_eq!(asking(&policy, &Class::Container), Asking::Unless);
        let always = AgentPolicy {
            approve: Some(Approve::Always),
            ..AgentPolicy::default()
        };
        assert_eq!(asking(&always, &Class::Shell), Asking::Every);
        let never = AgentPolicy {
            approve: Some(Approve::Never),
            ..AgentPolicy::default()
        };
        assert_eq!(asking(&never, &agent.class()), Asking::Never);
        assert_eq!(
            asking(&never, &Class::Forwarded("h".into())),
            Asking::Unless,
            "a forwarded connection is always asked about"
        );
    }

    #[test]
    fn an_approval_covers_its_session_or_program_until_its_time() {
        let now = Utc::now();
        let mut approvals = Approvals::default();
        let asker = caller(Some(34817), &["CLAUDECODE"]);
        assert!(!approvals.covers("work", &asker, now));
        assert_eq!(approvals.keep(Answer::Once, "work", &asker, now), None);
        assert!(!approvals.covers("work", &asker, now));
        let kept = approvals.keep(Answer::Session, "work", &asker, now);
        assert_eq!(
            kept.as_deref(),
            Some("session 7 (pts/1), coding agent: Claude Code")
        );
        // Another kind of caller in the same session is not covered.
        let mut other = asker.clone();
        other.markers = vec!["CODEX_SANDBOX".into()];
        assert!(!approvals.covers("work", &other, now));
        other.markers.clear();
        other.other_pid_namespace = Some(true);
        assert!(!approvals.covers("work", &other, now));
        assert!(approvals.covers("work", &asker, now));
        assert!(!approvals.covers("other", &asker, now));
        let mut elsewhere = asker.clone();
        elsewhere.session = Some(Session { sid: 8, tty: None });
        assert!(!approvals.covers("work", &elsewhere, now));
        assert!(!approvals.covers("work", &asker, now + APPROVAL_TTL));
        approvals.keep(Answer::Program, "work", &elsewhere, now);
        let mut same_program = elsewhere.clone();
        same_program.session = Some(Session { sid: 99, tty: None });
        assert!(approvals.covers("work", &same_program, now));
        approvals.clear();
        assert!(!approvals.covers("work", &asker, now));
    }

    #[test]
    fn ceilings_refuse_with_what_to_change() {
        let policy = AgentPolicy {
            scopes: Some(vec!["read".into()]),
            resources: Some(vec!["https://api.example/".into()]),
            ..AgentPolicy::default()
        };
        let granted = vec!["read".to_string(), "write".to_string()];
        let e = over_ceiling("w", &policy, &granted).expect("over");
        assert!(
            e.contains("scope write") && e.contains("--scope \"read\""),
            "{e}"
        );
        assert_eq!(over_ceiling("w", &policy, &granted[..1]), None);
        assert_eq!(
            refuses("w", &policy, None, false),
            None,
            "judged by what is granted"
        );
        let narrow = Target::new(None, Some("read"));
        assert_eq!(refuses("w", &policy, narrow.as_ref(), false), None);
        let wide = Target::new(None, Some("read write"));
        assert!(refuses("w", &policy, wide.as_ref(), false).is_some());
        let other = Target::new(Some("https://other.example/"), Some("read"));
        let e = refuses("w", &policy, other.as_ref(), false).expect("resource");
        assert!(e.contains("'https://other.example/'"), "{e}");
        let slashless = Target::new(Some("https://api.example"), None);
        assert_eq!(refuses("w", &policy, slashless.as_ref(), false), None);
        let e = refuses("w", &AgentPolicy::default(), None, true).expect("id");
        assert!(e.contains("id_token = true"), "{e}");
    }
}
