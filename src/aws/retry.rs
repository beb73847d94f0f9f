//! Retrying a failed call, and saying so in one form everywhere (status bar, inputs view,
//! standard error when headless):
//!
//! `kinesis: no answer from http://127.0.0.1:4567: retrying in 4 s (3rd try, last success 12 s ago)`
//!
//! The part before `: retrying in` is the *state* (what is wrong, and where): it stays the same
//! while the same failure repeats, so a reporter can tell a new problem from another try of the
//! same one ([`state_of`]).

use std::time::{Duration, Instant};

use super::backoff::Backoff;

/// Separates the state from the retry details in a problem text.
const RETRYING: &str = ": retrying in ";

/// Consecutive failures of one kind of call and when it last worked.
#[derive(Debug, Clone)]
pub struct Retries {
    backoff: Backoff,
    failures: u32,
    last_success: Option<Instant>,
}

impl Retries {
    pub fn new(backoff: Backoff) -> Self {
        Retries {
            backoff,
            failures: 0,
            last_success: None,
        }
    }

    /// A call worked: the next failure starts a fresh backoff.
    pub fn succeeded(&mut self, now: Instant) {
        self.backoff.reset();
        self.failures = 0;
        self.last_success = Some(now);
    }

    /// A call failed: how long to wait before the next try.
    pub fn failed(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        self.backoff.next_delay()
    }

    /// Failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// `{what}: retrying in {delay} ({n}th try, last success {age} ago)`: what is wrong, when the
    /// next try is and which one it will be.
    pub fn text(&self, what: &str, delay: Duration, now: Instant) -> String {
        let next_try = ordinal(self.failures.saturating_add(1));
        let since = match self.last_success {
            Some(t) => format!("last success {} ago", age(now.saturating_duration_since(t))),
            None => "no success yet".to_string(),
        };
        format!("{what}{RETRYING}{} ({next_try} try, {since})", wait(delay))
    }
}

/// The state a problem text names: the text up to the retry details (the whole text when it
/// has none).
pub fn state_of(problem: &str) -> &str {
    problem.find(RETRYING).map_or(problem, |at| &problem[..at])
}

/// `1st`, `2nd`, `3rd`, `4th`, … `11th`, `12th`, `13th`, `21st` …
pub fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A wait as an operator reads it: `400 ms`, `4 s` (rounded), `2 min`.
pub fn wait(d: Duration) -> String {
    if d < Duration::from_millis(950) {
        format!("{} ms", d.as_millis())
    } else {
        age(d)
    }
}

/// A past duration: `12 s`, `3 min`, `2 h`, `3 d` (whole units, rounded).
pub fn age(d: Duration) -> String {
    let secs = d.as_secs_f64().round() as u64;
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", (secs + 30) / 60),
        7200..=172_799 => format!("{} h", (secs + 1800) / 3600),
        _ => format!("{} d", (secs + 43_200) / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_the_next_try_and_the_last_success() {
        let start = Instant::now();
        let mut retries = Retries::new(Backoff::new(
            Duration::from_millis(100),
            Duration::from_secs(10),
        ));
        let what = "kinesis: no answer from http://127.0.0.1:4567";
        retries.failed();
        assert_eq!(
            retries.text(what, Duration::from_millis(120), start),
            "kinesis: no answer from http://127.0.0.1:4567: retrying in 120 ms (2nd try, no success yet)"
        );
        retries.succeeded(start);
        retries.failed();
        retries.failed();
        let later = start + Duration::from_millis(12_300);
        let text = retries.text(what, Duration::from_millis(3_700), later);
        assert_eq!(
            text,
            "kinesis: no answer from http://127.0.0.1:4567: retrying in 4 s (3rd try, last success 12 s ago)"
        );
        assert_eq!(state_of(&text), what);
        assert_eq!(
            state_of("waiting for /var/log/a.log"),
            "waiting for /var/log/a.log"
        );
        assert_eq!(retries.failures(), 2);
    }

    #[test]
    fn ordinals_waits_and_ages() {
        let ordinals: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(
            ordinals,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
                "101st", "111th", "112th"
            ]
        );
        assert_eq!(wait(Duration::from_millis(250)), "250 ms");
        assert_eq!(wait(Duration::from_millis(960)), "1 s");
        assert_eq!(wait(Duration::from_millis(4_400)), "4 s");
        assert_eq!(age(Duration::from_secs(119)), "119 s");
        assert_eq!(age(Duration::from_secs(150)), "3 min");
        assert_eq!(age(Duration::from_secs(3 * 3600)), "3 h");
        assert_eq!(age(Duration::from_secs(3 * 86_400)), "3 d");
    }
}
