//! When to refresh, and how long to wait after a failure. Pure functions of time.

use crate::oauth::TokenSet;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Refresh this long before expiry at least…
pub const MIN_MARGIN: Duration = Duration::from_secs(30);
/// …and this share of the lifetime when that is more.
pub const MARGIN_SHARE: f64 = 0.10;
/// Never refresh earlier than half way through a lifetime (short-lived tokens).
pub const MAX_MARGIN_SHARE: f64 = 0.5;
/// The jitter spreads many accounts' refreshes over up to this much.
pub const MAX_JITTER: Duration = Duration::from_secs(15);
/// First wait after a failed refresh; doubled per failure up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(5);
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// When to refresh `tokens` of `account`: ahead of expiry by 10 % of the lifetime (at
/// least 30 s, at most half of it), plus a per-account jitter so that accounts with the
/// same lifetime do not all refresh in the same second. `None`: no expiry known.
pub fn refresh_at(tokens: &TokenSet, account: &str) -> Option<DateTime<Utc>> {
    let expires_at = tokens.expires_at?;
    let lifetime_ms = (expires_at - tokens.issued_at).num_milliseconds().max(0) as f64;
    let base = (lifetime_ms * MARGIN_SHARE).max(MIN_MARGIN.as_millis() as f64);
    let jitter_span = (base * 0.1).min(MAX_JITTER.as_millis() as f64);
    let jitter = (stable_hash(account) % 1000) as f64 / 1000.0 * jitter_span;
    let margin = (base + jitter).min(lifetime_ms * MAX_MARGIN_SHARE);
    Some(expires_at - chrono::Duration::milliseconds(margin as i64))
}

/// Wait before retry number `attempt` (1-based): 5 s, 10 s, 20 s, … capped at 5 min.
pub fn backoff(attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
    (FIRST_BACKOFF * factor).min(MAX_BACKOFF)
}

/// FNV-1a: stable across runs and platforms, unlike `DefaultHasher`.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn tokens(lifetime_secs: i64) -> TokenSet {
        let issued = DateTime::from_timestamp(1_000_000, 0).expect("ts");
        TokenSet {
            dpop_key: None,
            access_token: Secret::new("a"),
            token_type: "Bearer".into(),
            refresh_token: Some(Secret::new("r")),
            id_token: None,
            scopes: vec![],
            issued_at: issued,
            expires_at: Some(issued + chrono::Duration::seconds(lifetime_secs)),
        }
    }

    fn margin(lifetime: i64, account: &str) -> i64 {
        let t = tokens(lifetime);
        (t.expires_at.expect("exp") - refresh_at(&t, account).expect("at")).num_milliseconds()
    }

    #[test]
    fn margin_scales_with_the_lifetime() {
        // One hour: 10 % = 6 min, plus up to 15 s of jitter.
        let m = margin(3600, "alice");
        assert!((360_000..=375_000).contains(&m), "{m}");
        // Five minutes: 10 % is 30 s, the minimum; jitter adds up to 3 s.
        let m = margin(300, "alice");
        assert!((30_000..=33_000).contains(&m), "{m}");
        // Ten seconds: never more than half the lifetime, or it would refresh forever.
        assert_eq!(margin(10, "alice"), 5_000);
    }

    #[test]
    fn jitter_differs_between_accounts_but_is_stable() {
        assert_eq!(margin(3600, "alice"), margin(3600, "alice"));
        let spread: std::collections::BTreeSet<i64> = (0..20)
            .map(|i| margin(3600, &format!("acct-{i}")))
            .collect();
        assert!(spread.len() > 10, "{spread:?}");
    }

    #[test]
    fn no_expiry_no_refresh() {
        let mut t = tokens(60);
        t.expires_at = None;
        assert_eq!(refresh_at(&t, "a"), None);
    }

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        let secs: Vec<u64> = (1..=9).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(secs, vec![5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
