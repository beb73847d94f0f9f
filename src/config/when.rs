//! Points in time on the command line (`--since`, `--until`, `--from`): absolute, or relative to
//! now. Parsed once into a [`When`]; resolved against the wall clock at start
//! ([`When::resolve`]), so a relative time names one fixed instant for the whole run.
//!
//! - Relative: `-2h`, `2h`, `2h ago`, `90m`, `1h30m`, `1d`, `now`: that long before now (humantime's
//!   durations). Logs hold the past, so a relative time always counts back; `+2h` is refused.
//! - Absolute: RFC 3339 (`2024-05-01T10:00:00Z`, `2024-05-01T12:00:00+02:00`), or the same without
//!   a zone, with a space or `T`, with or without seconds, or a bare date (`2024-05-01 10:00`,
//!   `2024-05-01`): read as UTC, the zone kinetop writes every time in.

use std::str::FromStr;
use std::time::Duration;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Relative times reach back at most this far (a typo such as `2000000d` is an error, not a time
/// before the epoch).
pub const MAX_AGO: Duration = Duration::from_secs(100 * 366 * 86_400);

/// A time as typed: an instant, or a duration before now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// An instant, UTC epoch milliseconds.
    At(i64),
    /// This long before the moment kinetop starts.
    Ago(Duration),
}

impl When {
    /// The instant meant, in UTC epoch milliseconds, when now is `now_ms`.
    pub fn resolve(self, now_ms: i64) -> i64 {
        match self {
            When::At(ms) => ms,
            // MAX_AGO keeps this far from overflow.
            When::Ago(d) => now_ms.saturating_sub(d.as_millis() as i64),
        }
    }
}

/// What the error messages list as accepted.
const EXPECTED: &str = "expected an RFC 3339 time (2024-05-01T10:00:00Z), a UTC date and time \
     (2024-05-01 10:00), or a time relative to now (-2h, 90m ago, now)";

impl FromStr for When {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("now") {
            return Ok(When::Ago(Duration::ZERO));
        }
        if let Some(ahead) = text.strip_prefix('+') {
            return Err(format!(
                "{text:?}: a relative time counts back from now (write -{ahead} or {ahead} ago)"
            ));
        }
        if let Some(ago) = relative(text) {
            return ago.map(When::Ago);
        }
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{text:?}: a bare number is ambiguous; give a unit (90s, 2h) or an RFC 3339 time"
            ));
        }
        absolute(text)
            .map(When::At)
            .ok_or_else(|| format!("{text:?}: {EXPECTED}"))
    }
}

/// `Some` when `text` is written as a relative time (`-2h`, `2h`, `2h ago`), with its duration or
/// why it is not one.
fn relative(text: &str) -> Option<Result<Duration, String>> {
    let lower = text.to_ascii_lowercase();
    let (body, marked) = if let Some(rest) = lower.strip_prefix('-') {
        (rest.trim_start(), true)
    } else if let Some(rest) = lower.strip_suffix("ago") {
        (rest.trim_end(), true)
    } else {
        (lower.as_str(), false)
    };
    match humantime::parse_duration(body) {
        Ok(d) if d > MAX_AGO => Some(Err(format!(
            "{text:?} reaches back more than {} days",
            MAX_AGO.as_secs() / 86_400
        ))),
        Ok(d) => Some(Ok(d)),
        // `-` or `ago` says it is relative: say what is wrong with the duration.
        Err(e) if marked => Some(Err(format!("{text:?}: {e} ({EXPECTED})"))),
        Err(_) => None,
    }
}

/// An absolute time in UTC epoch milliseconds: RFC 3339, or a date and time without a zone (UTC).
fn absolute(text: &str) -> Option<i64> {
    let parse = |t: &str| {
        OffsetDateTime::parse(t, &Rfc3339)
            .ok()
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
    };
    if let Some(ms) = parse(text) {
        return Some(ms);
    }
    // No zone: `2024-05-01`, `2024-05-01 10:00`, `2024-05-01T10:00:30.5`, read as UTC.
    let (date, clock) = match text.split_once([' ', 'T', 't']) {
        Some((date, clock)) => (date, clock.trim()),
        None => (text, "00:00:00"),
    };
    if date.len() != 10 || clock.ends_with(['Z', 'z']) {
        return None;
    }
    let clock = if clock.len() == 5 {
        format!("{clock}:00")
    } else {
        clock.to_string()
    };
    parse(&format!("{date}T{clock}Z"))
}

/// `--since` and `--until` resolved: lines dated outside `[since, until)` are skipped and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    /// UTC epoch milliseconds; lines before it are skipped (`before_since`).
    pub since_ms: Option<i64>,
    /// UTC epoch milliseconds; lines at or after it are skipped (`after_until`).
    pub until_ms: Option<i64>,
}

/// Where an event time falls against a [`TimeRange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InRange {
    Before,
    Inside,
    After,
}

impl TimeRange {
    /// Checks `since < until` when both are given.
    pub fn new(since_ms: Option<i64>, until_ms: Option<i64>) -> Result<Self, String> {
        if let (Some(since), Some(until)) = (since_ms, until_ms) {
            if until <= since {
                return Err(format!(
                    "{} is not after --since {}: no line could be read",
                    rfc3339_ms(until),
                    rfc3339_ms(since)
                ));
            }
        }
        Ok(TimeRange { since_ms, until_ms })
    }

    pub fn is_unbounded(&self) -> bool {
        self.since_ms.is_none() && self.until_ms.is_none()
    }

    /// Where an event at `secs` (UTC epoch seconds, as lines carry them) falls.
    #[inline]
    pub fn place(&self, secs: i64) -> InRange {
        let ms = secs.saturating_mul(1000);
        if self.since_ms.is_some_and(|since| ms < since) {
            InRange::Before
        } else if self.until_ms.is_some_and(|until| ms >= until) {
            InRange::After
        } else {
            InRange::Inside
        }
    }
}

/// RFC 3339 UTC with milliseconds only when there are some.
pub fn rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000);
    let text = crate::output::lines::rfc3339(secs);
    match (frac, text.strip_suffix('Z')) {
        (0, _) | (_, None) => text,
        (frac, Some(base)) => format!("{base}.{frac:03}Z"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_714_557_600_000; // 2024-05-01T10:00:00Z
    const H: i64 = 3_600_000;

    fn at(text: &str) -> Result<i64, String> {
        text.parse::<When>().map(|w| w.resolve(NOW))
    }

    #[test]
    fn relative_times_count_back_from_now() {
        for text in [
            "-2h",
            "2h",
            "2h ago",
            "2 hours ago",
            "- 2h",
            "-2H",
            "120m",
            "1h 60m",
        ] {
            assert_eq!(at(text), Ok(NOW - 2 * H), "{text}");
        }
        assert_eq!(at("1h30m"), Ok(NOW - 3 * H / 2));
        assert_eq!(at("-1d"), Ok(NOW - 24 * H));
        assert_eq!(at("90s ago"), Ok(NOW - 90_000));
        assert_eq!(at("now"), Ok(NOW));
        assert_eq!(at("NOW"), Ok(NOW));
        assert_eq!(at("0s"), Ok(NOW));
        assert_eq!("-2h".parse(), Ok(When::Ago(Duration::from_secs(7200))));
    }

    #[test]
    fn absolute_times_are_rfc_3339_or_utc_without_a_zone() {
        let ten = NOW;
        for text in [
            "2024-05-01T10:00:00Z",
            "2024-05-01t10:00:00z",
            "2024-05-01T12:00:00+02:00",
            "2024-05-01T05:00:00-05:00",
            "2024-05-01 10:00:00",
            "2024-05-01T10:00:00",
            "2024-05-01 10:00",
            "2024-05-01T10:00",
            " 2024-05-01 10:00 ",
        ] {
            assert_eq!(at(text), Ok(ten), "{text}");
        }
        assert_eq!(at("2024-05-01"), Ok(ten - 10 * H));
        assert_eq!(at("2024-05-01T10:00:00.250Z"), Ok(ten + 250));
        assert_eq!(at("2024-05-01 10:00:00.5"), Ok(ten + 500));
        assert_eq!(at("1970-01-01"), Ok(0));
    }

    #[test]
    fn the_future_relative_and_bad_text_are_refused_with_the_accepted_forms() {
        let err = at("+2h").unwrap_err();
        assert!(err.contains("counts back") && err.contains("-2h"), "{err}");
        let err = at("3600").unwrap_err();
        assert!(err.contains("bare number"), "{err}");
        for text in [
            "yesterday",
            "",
            "2024-13-01",
            "2024-05-01 25:00",
            "2024-05-01 10",
            "10:00",
            "2024-5-1",
            "2024-05-01Z",
        ] {
            let err = at(text).unwrap_err();
            assert!(err.contains("RFC 3339"), "{text}: {err}");
        }
        // Marked relative but not a duration: the duration's own error is said.
        let err = at("-2 fortnights").unwrap_err();
        assert!(err.contains("fortnights"), "{err}");
        let err = at("5 ago").unwrap_err();
        assert!(err.contains("5 ago"), "{err}");
    }

    #[test]
    fn a_range_places_event_times_since_inclusive_until_exclusive() {
        let range = TimeRange::new(Some(NOW), Some(NOW + H)).unwrap();
        let secs = NOW / 1000;
        assert_eq!(range.place(secs - 1), InRange::Before);
        assert_eq!(range.place(secs), InRange::Inside);
        assert_eq!(range.place(secs + 3599), InRange::Inside);
        assert_eq!(range.place(secs + 3600), InRange::After);
        assert_eq!(range.place(i64::MAX), InRange::After);
        assert_eq!(range.place(i64::MIN), InRange::Before);
        // Half a second into a second: the line of that second is before it.
        let half = TimeRange::new(Some(NOW + 500), None).unwrap();
        assert_eq!(half.place(secs), InRange::Before);
        assert_eq!(half.place(secs + 1), InRange::Inside);
        assert!(TimeRange::default().is_unbounded());
        assert_eq!(TimeRange::default().place(secs), InRange::Inside);
        let err = TimeRange::new(Some(NOW), Some(NOW)).unwrap_err();
        assert_eq!(
            err,
            "2024-05-01T10:00:00Z is not after --since 2024-05-01T10:00:00Z: no line could be read"
        );
        assert_eq!(rfc3339_ms(NOW + 250), "2024-05-01T10:00:00.250Z");
    }

    #[test]
    fn relative_times_are_bounded() {
        let err = at("200000d").unwrap_err();
        assert!(err.contains("more than"), "{err}");
        assert!(at("36500d").is_ok());
        // Never an overflow, whatever `now` is.
        assert_eq!(When::Ago(MAX_AGO).resolve(i64::MIN), i64::MIN);
    }
}
