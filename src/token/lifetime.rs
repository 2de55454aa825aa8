//! When a token lives and when tokdeck replaces it: the one refresh point every
//! routine refresh keeps and every expiry tokdeck tells a tool promises.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// When a token was issued and when it expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl Lifetime {
    pub fn of(issued_at: DateTime<Utc>, expires_at: Option<DateTime<Utc>>) -> Self {
        Self {
            issued_at,
            expires_at,
        }
    }

    /// How long the provider made it live (`None`: no expiry).
    pub fn length(&self) -> Option<chrono::Duration> {
        self.expires_at.map(|at| at - self.issued_at)
    }

    pub fn remaining(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.expires_at.map(|at| at - now)
    }

    pub fn valid_for(&self, now: DateTime<Utc>, min_valid: Duration) -> bool {
        self.remaining(now).is_none_or(|left| {
            left.num_milliseconds() > i64::try_from(min_valid.as_millis()).unwrap_or(i64::MAX)
        })
    }

    /// The one refresh point of tokdeck: the moment its routine refreshes (the
    /// dashboard's schedule, a `token`, `header`, `exec` or helper call without
    /// `--min-valid`, the worker) may replace this token, and the expiry it promises to
    /// the tools it hands the token to. Ahead of expiry by a tenth of the lifetime, at
    /// least [`REFRESH_MARGIN_MIN`] and at most half the lifetime, plus a jitter of up to
    /// [`REFRESH_JITTER_MAX`] drawn from the issue time, so that accounts with the same
    /// lifetime do not all refresh in the same second while every process agrees on the
    /// moment. `None`: no expiry known (never refreshed on a schedule).
    pub fn refresh_point(&self) -> Option<DateTime<Utc>> {
        let expires_at = self.expires_at?;
        let lifetime_ms = (expires_at - self.issued_at).num_milliseconds().max(0) as f64;
        let base = (lifetime_ms * REFRESH_MARGIN_SHARE).max(REFRESH_MARGIN_MIN.as_millis() as f64);
        let jitter_span = (base * 0.1).min(REFRESH_JITTER_MAX.as_millis() as f64);
        let seed = self.issued_at.timestamp_millis().to_le_bytes();
        let jitter = (stable_hash(&seed) % 1000) as f64 / 1000.0 * jitter_span;
        let margin = (base + jitter).min(lifetime_ms * REFRESH_MARGIN_MAX_SHARE);
        Some(expires_at - chrono::Duration::milliseconds(margin as i64))
    }

    /// True before the refresh point (always, for a token without expiry).
    pub fn before_refresh_point(&self, now: DateTime<Utc>) -> bool {
        self.refresh_point().is_none_or(|at| now < at)
    }

    /// True when the token is valid for `min_valid`, or when its lifetime is no longer
    /// than `min_valid` (the provider issues none that long) and it is as fresh as its
    /// tokens come: issued within the first tenth of its lifetime (1 s to 60 s). So
    /// callers that all ask for more than the provider gives share one refresh instead
    /// of one each.
    /// Past the refresh point nothing is fresh enough: every caller, routine or not,
    /// refreshes then (one of them does, under the lock).
    pub fn fresh_enough(&self, now: DateTime<Utc>, min_valid: Duration) -> bool {
        if !self.before_refresh_point(now) {
            return false;
        }
        if self.valid_for(now, min_valid) {
            return true;
        }
        let (Some(length), Some(left)) = (self.length(), self.remaining(now)) else {
            return false;
        };
        let wanted = chrono::Duration::from_std(min_valid).unwrap_or(chrono::Duration::MAX);
        let window =
            (length / 10).clamp(chrono::Duration::seconds(1), chrono::Duration::seconds(60));
        length <= wanted && left > chrono::Duration::zero() && now - self.issued_at <= window
    }
}

/// The refresh point is ahead of expiry by at least this (as long as that is at most
/// half the lifetime): what a routine caller can count on having left.
pub const REFRESH_MARGIN_MIN: Duration = Duration::from_secs(60);
/// …and by this share of the lifetime when that is more…
pub const REFRESH_MARGIN_SHARE: f64 = 0.10;
/// …but never by more than this share: a short-lived token serves half its life.
pub const REFRESH_MARGIN_MAX_SHARE: f64 = 0.5;
/// The jitter spreads many accounts' refreshes over up to this much.
pub const REFRESH_JITTER_MAX: Duration = Duration::from_secs(15);

/// FNV-1a: stable across runs, processes and platforms, unlike `DefaultHasher`.
fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("timestamp")
    }

    #[test]
    fn a_token_as_fresh_as_the_provider_makes_them_is_fresh_enough() {
        let now = at(1000);
        let secs = Duration::from_secs;
        // 30 s tokens, 300 s asked: fresh for the first 3 s (a tenth), then refreshed.
        let issued = |ago: i64| Lifetime::of(at(1000 - ago), Some(at(1030 - ago)));
        assert!(issued(0).fresh_enough(now, secs(300)));
        assert!(issued(2).fresh_enough(now, secs(300)));
        assert!(!issued(4).fresh_enough(now, secs(300)));
        // A provider that issues long enough tokens gets no such leniency.
        let hour = Lifetime::of(at(999), Some(at(4599)));
        assert!(hour.fresh_enough(now, secs(300)));
        assert!(
            !hour.fresh_enough(now, secs(3599)),
            "3599 s left is not more than 3599"
        );
        // Exactly the provider's lifetime asked (the default 60 s on 60 s tokens): the
        // round trip's second is no reason to refresh a brand new token.
        assert!(hour.fresh_enough(now, secs(3600)));
        // Never an expired one, and no expiry is always enough.
        assert!(!Lifetime::of(at(900), Some(at(1000))).fresh_enough(now, secs(300)));
        assert!(Lifetime::of(at(0), None).fresh_enough(now, secs(300)));
        // The window is at least a second and at most a minute.
        assert!(Lifetime::of(at(999), Some(at(1003))).fresh_enough(now, secs(60)));
        let day = |ago: i64| Lifetime::of(at(1000 - ago), Some(at(1000 - ago + 86_400)));
        assert!(day(59).fresh_enough(now, secs(100_000)));
        assert!(!day(61).fresh_enough(now, secs(100_000)));
    }

    #[test]
    fn routine_callers_share_a_token_until_its_refresh_point_and_no_longer() {
        let secs = Duration::from_secs;
        // 60 s tokens (the old default --min-valid): the refresh point is half way, so
        // every routine caller of the first 30 s gets the same token, and one refresh
        // per half lifetime follows, however many callers there are.
        let minute = Lifetime::of(at(1000), Some(at(1060)));
        assert_eq!(minute.refresh_point(), Some(at(1030)));
        assert!(minute.fresh_enough(at(1000), Duration::ZERO));
        assert!(minute.fresh_enough(at(1029), Duration::ZERO));
        assert!(!minute.fresh_enough(at(1030), Duration::ZERO));
        // Ten minutes: at least 60 s before expiry, jitter of up to 6 s on top.
        let ten = Lifetime::of(at(1000), Some(at(1600)));
        let point = ten.refresh_point().expect("point");
        assert!((at(1534)..=at(1540)).contains(&point), "{point}");
        assert!(ten.fresh_enough(point - chrono::Duration::seconds(1), Duration::ZERO));
        // An explicit ask beyond what is left replaces the token early (that is what
        // the user asked); past the refresh point nothing is fresh enough.
        assert!(!ten.fresh_enough(at(1500), secs(120)));
        assert!(!ten.fresh_enough(point, secs(1)));
        // No expiry: no refresh point, always fresh.
        assert_eq!(Lifetime::of(at(0), None).refresh_point(), None);
    }

    #[test]
    fn a_huge_min_valid_is_never_satisfied_and_never_panics() {
        let hour = Lifetime::of(at(1000), Some(at(4600)));
        assert!(!hour.valid_for(at(1000), Duration::from_secs(u64::MAX)));
        assert!(!hour.valid_for(at(1000), Duration::from_secs(10_000_000_000_000_000)));
        assert!(!hour.fresh_enough(at(1500), Duration::from_secs(u64::MAX)));
    }
}
