//! When to refresh, and how long to wait after a failure. Pure functions of time.

use crate::token::TokenSet;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// First wait after a failed refresh; doubled per failure up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(5);
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// When to refresh `tokens`: their refresh point ([`crate::token::Lifetime::refresh_point`]),
/// the one the CLI and the helpers keep too, and the expiry tools were promised.
pub fn refresh_at(tokens: &TokenSet) -> Option<DateTime<Utc>> {
    tokens.promised_expiry()
}

/// Wait before retry number `attempt` (1-based): 5 s, 10 s, 20 s, … capped at 5 min.
pub fn backoff(attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
    (FIRST_BACKOFF * factor).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(lifetime_secs: i64) -> TokenSet {
        let issued = DateTime::from_timestamp(1_000_000, 0).expect("ts");
        TokenSet::bearer("a", issued)
            .with_refresh_token("r")
            .expiring_at(issued + chrono::Duration::seconds(lifetime_secs))
    }

    fn margin_of(t: &TokenSet) -> i64 {
        (t.expires_at.expect("exp") - refresh_at(t).expect("at")).num_milliseconds()
    }

    fn margin(lifetime: i64) -> i64 {
        margin_of(&tokens(lifetime))
    }

    #[test]
    fn margin_scales_with_the_lifetime() {
        // One hour: 10 % = 6 min, plus up to 15 s of jitter.
        let m = margin(3600);
        assert!((360_000..=375_000).contains(&m), "{m}");
        // Five minutes: 10 % is 30 s, below the 60 s minimum; jitter adds up to 6 s.
        let m = margin(300);
        assert!((60_000..=66_000).contains(&m), "{m}");
        // Ten seconds or a minute: never more than half the lifetime.
        assert_eq!(margin(10), 5_000);
        assert_eq!(margin(60), 30_000);
    }

    #[test]
    fn jitter_differs_between_tokens_but_every_process_agrees() {
        assert_eq!(margin(3600), margin(3600));
        let spread: std::collections::BTreeSet<i64> = (0..20)
            .map(|i| {
                let mut t = tokens(3600);
                t.issued_at += chrono::Duration::milliseconds(i * 7919);
                t.expires_at = Some(t.issued_at + chrono::Duration::seconds(3600));
                margin_of(&t)
            })
            .collect();
        assert!(spread.len() > 10, "{spread:?}");
    }

    #[test]
    fn no_expiry_no_refresh() {
        let mut t = tokens(60);
        t.expires_at = None;
        assert_eq!(refresh_at(&t), None);
    }

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        let secs: Vec<u64> = (1..=9).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(secs, vec![5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
