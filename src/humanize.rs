//! Durations and instants the way people read them: `4m 03s`, `in 2h 05m`, `expired 2m ago`.

use chrono::{DateTime, Utc};

/// `42s`, `4m 03s`, `2h 05m`, `3d 4h`; the sign is ignored.
pub fn duration(d: chrono::Duration) -> String {
    let secs = d.num_seconds().unsigned_abs();
    let (days, hours, mins, s) = (secs / 86_400, secs / 3_600 % 24, secs / 60 % 60, secs % 60);
    if secs < 60 {
        format!("{s}s")
    } else if secs < 3_600 {
        format!("{mins}m {s:02}s")
    } else if secs < 86_400 {
        format!("{hours}h {mins:02}m")
    } else {
        format!("{days}d {hours}h")
    }
}

/// `in 4m 12s` or `2m 10s ago`.
pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = at - now;
    // A time that has just passed (or is now) is "0s ago", never "in 0s".
    if d.num_milliseconds() > 0 {
        format!("in {}", duration(d))
    } else {
        format!("{} ago", duration(d))
    }
}

/// `2026-11-25 23:10:00 UTC (in 4m 12s)`.
pub fn instant(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!(
        "{} ({})",
        at.format("%Y-%m-%d %H:%M:%S UTC"),
        relative(at, now)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration as D;

    #[test]
    fn durations() {
        assert_eq!(duration(D::seconds(0)), "0s");
        assert_eq!(duration(D::seconds(59)), "59s");
        assert_eq!(duration(D::seconds(243)), "4m 03s");
        assert_eq!(duration(D::seconds(59 * 60 + 12)), "59m 12s");
        assert_eq!(duration(D::seconds(2 * 3600 + 5 * 60 + 9)), "2h 05m");
        assert_eq!(duration(D::seconds(3 * 86_400 + 4 * 3600)), "3d 4h");
        assert_eq!(duration(D::seconds(-130)), "2m 10s");
    }

    #[test]
    fn instants() {
        let now = DateTime::from_timestamp(1_764_111_948, 0).expect("ts");
        let at = now + D::seconds(252);
        assert_eq!(
            instant(at, now),
            format!("{} (in 4m 12s)", at.format("%Y-%m-%d %H:%M:%S UTC"))
        );
        assert_eq!(relative(now - D::seconds(130), now), "2m 10s ago");
        assert_eq!(relative(now, now), "0s ago");
        assert_eq!(relative(now - D::milliseconds(400), now), "0s ago");
        assert_eq!(relative(now + D::seconds(5), now), "in 5s");
    }
}
