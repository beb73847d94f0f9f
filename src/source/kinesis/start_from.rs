//! `--from`: where the shards open at start begin, typed once and resolved against the clock
//! when the source starts.

use std::time::Duration;

use super::api::Position;
use crate::config::when::When;

/// `--from`, as typed: where the shards open at start begin. Resolved against the clock when the
/// source starts ([`StartFrom::position`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartFrom {
    Latest,
    TrimHorizon,
    /// An instant, UTC epoch milliseconds.
    Time(i64),
    /// The start of the current window, so its numbers are complete from the first screen.
    #[default]
    CurrentWindow,
}

impl StartFrom {
    /// `--from` as typed: `latest`, `trim-horizon`, `window`, or a time (see
    /// [`crate::config::when`]: RFC 3339, or relative to `now_ms` such as `-2h`).
    pub fn parse_at(text: &str, now_ms: i64) -> Result<Self, String> {
        let text = text.trim();
        match text.to_ascii_lowercase().as_str() {
            "latest" => Ok(StartFrom::Latest),
            "trim-horizon" | "trim_horizon" | "earliest" => Ok(StartFrom::TrimHorizon),
            "window" => Ok(StartFrom::CurrentWindow),
            _ => text
                .parse::<When>()
                .map(|when| StartFrom::Time(when.resolve(now_ms)))
                .map_err(|e| format!("expected latest, trim-horizon, window or a time: {e}")),
        }
    }

    /// A time in the future has nothing to read yet: an error at start rather than a stream
    /// that stays silent.
    pub fn check_not_future(self, now_ms: i64) -> Result<(), String> {
        match self {
            StartFrom::Time(ms) if ms > now_ms => Err(format!(
                "{} is in the future (now {}): nothing has arrived there yet",
                rfc3339_ms(ms),
                rfc3339_ms(now_ms)
            )),
            _ => Ok(()),
        }
    }

    /// The shard iterator position at wall-clock `now_ms`, with windows `window` wide.
    pub fn position(self, window: Duration, now_ms: i64) -> Position {
        match self {
            StartFrom::Latest => Position::Latest,
            StartFrom::TrimHorizon => Position::TrimHorizon,
            StartFrom::Time(ms) => Position::AtTimestamp(ms),
            StartFrom::CurrentWindow => {
                let width = (window.as_millis() as i64).max(1);
                Position::AtTimestamp(now_ms - now_ms.rem_euclid(width))
            }
        }
    }
}

fn rfc3339_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// Resolves `--from` text (default `window`) at `now_ms`; see [`StartFrom`].
pub fn parse_from(text: Option<&str>, window: Duration, now_ms: i64) -> Result<Position, String> {
    let from = text.map_or(Ok(StartFrom::default()), |t| StartFrom::parse_at(t, now_ms));
    from.map(|f| f.position(window, now_ms))
        .map_err(|e| format!("--from {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_positions() {
        let w = Duration::from_secs(300);
        let now = 1_700_000_123_456;
        assert_eq!(parse_from(Some("latest"), w, now), Ok(Position::Latest));
        assert_eq!(
            parse_from(Some("trim-horizon"), w, now),
            Ok(Position::TrimHorizon)
        );
        assert_eq!(
            parse_from(None, w, now),
            Ok(Position::AtTimestamp(1_700_000_100_000))
        );
        assert_eq!(
            parse_from(Some("window"), w, now),
            Ok(Position::AtTimestamp(1_700_000_100_000))
        );
        assert_eq!(
            parse_from(Some("2024-05-01T10:00:00+02:00"), w, now),
            Ok(Position::AtTimestamp(1_714_550_400_000))
        );
        let err = parse_from(Some("yesterday"), w, now).unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
        assert!(err.contains("trim-horizon"), "{err}");
    }

    #[test]
    fn from_relative_times() {
        let w = Duration::from_secs(300);
        let now = 1_700_000_123_456;
        for text in ["-2h", "2h", "2h ago", "120m"] {
            assert_eq!(
                parse_from(Some(text), w, now),
                Ok(Position::AtTimestamp(now - 7_200_000)),
                "{text}"
            );
        }
        assert_eq!(
            StartFrom::parse_at("now", now),
            Ok(StartFrom::Time(now)),
            "now is a time, not latest: records that arrive while the shards open count"
        );
        assert_eq!(StartFrom::parse_at(" Latest ", now), Ok(StartFrom::Latest));
        let err = StartFrom::parse_at("+2h", now).unwrap_err();
        assert!(err.contains("counts back"), "{err}");
    }

    #[test]
    fn a_start_time_in_the_future_is_refused() {
        let now = 1_700_000_000_000;
        assert_eq!(StartFrom::Time(now).check_not_future(now), Ok(()));
        assert_eq!(StartFrom::Time(now - 1).check_not_future(now), Ok(()));
        assert_eq!(StartFrom::Latest.check_not_future(now), Ok(()));
        let err = StartFrom::Time(now + 3_600_000)
            .check_not_future(now)
            .unwrap_err();
        assert_eq!(
            err,
            "2023-11-14T23:13:20Z is in the future (now 2023-11-14T22:13:20Z): nothing has arrived there yet"
        );
    }
}
