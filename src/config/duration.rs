//! Durations in flags and the config file: `500ms`, `10s`, `5m`, `1h30m`, `2d` (humantime's
//! syntax; a bare number is seconds), each setting with documented bounds. A value out of its
//! bounds, or too large to represent, is an error naming the setting: never a wrap, never a panic.

use std::fmt;
use std::time::Duration;

/// A duration setting: its name (the flag without `--`, the config key) and its bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationSetting {
    pub name: &'static str,
    pub min: Duration,
    pub max: Duration,
    /// Whether sub-second parts are refused (window widths are whole seconds).
    pub whole_seconds: bool,
}

const DAY: Duration = Duration::from_secs(86_400);

/// `--window`: 1 s to 7 d, whole seconds.
pub const WINDOW: DurationSetting = DurationSetting {
    name: "window",
    min: Duration::from_secs(1),
    max: Duration::from_secs(7 * 86_400),
    whole_seconds: true,
};

/// `--lateness`: 0 to 7 d.
pub const LATENESS: DurationSetting = DurationSetting {
    name: "lateness",
    min: Duration::ZERO,
    max: Duration::from_secs(7 * 86_400),
    whole_seconds: true,
};

/// `--max-skew`: how far ahead of the wall clock an event may be; 0 to 7 d.
pub const MAX_SKEW: DurationSetting = DurationSetting {
    name: "max-skew",
    min: Duration::ZERO,
    max: Duration::from_secs(7 * 86_400),
    whole_seconds: true,
};

/// `--metadata-refresh`: 1 s to 1 d.
pub const METADATA_REFRESH: DurationSetting = DurationSetting {
    name: "metadata-refresh",
    min: Duration::from_secs(1),
    max: DAY,
    whole_seconds: false,
};

/// An alarm action's `timeout`: 10 ms to 1 h.
pub const ACTION_TIMEOUT: DurationSetting = DurationSetting {
    name: "timeout",
    min: Duration::from_millis(10),
    max: Duration::from_secs(3600),
    whole_seconds: false,
};

/// `aws-connect-timeout`: 100 ms to 5 min.
pub const AWS_CONNECT_TIMEOUT: DurationSetting = DurationSetting {
    name: "aws-connect-timeout",
    min: Duration::from_millis(100),
    max: Duration::from_secs(300),
    whole_seconds: false,
};

/// `aws-operation-timeout`: 100 ms to 10 min.
pub const AWS_OPERATION_TIMEOUT: DurationSetting = DurationSetting {
    name: "aws-operation-timeout",
    min: Duration::from_millis(100),
    max: Duration::from_secs(600),
    whole_seconds: false,
};

impl DurationSetting {
    /// Parses `text` and checks the bounds. The error says what is wrong and what is allowed,
    /// without the setting's name (the caller names the flag or the file and line).
    pub fn parse(&self, text: &str) -> Result<Duration, String> {
        let text = text.trim();
        let parsed = match text.parse::<u64>() {
            Ok(secs) => Ok(Duration::from_secs(secs)),
            Err(_) => humantime::parse_duration(text),
        };
        let d = parsed.map_err(|e| match e {
            humantime::DurationError::NumberOverflow => {
                format!("{text:?} is too long: at most {}", Human(self.max))
            }
            e => format!("bad duration {text:?} ({e}): expected e.g. 500ms, 10s, 5m, 1h30m, 2d"),
        })?;
        if d < self.min || d > self.max {
            return Err(format!(
                "{text:?} is out of range: {} to {}",
                Human(self.min),
                Human(self.max)
            ));
        }
        if self.whole_seconds && d.subsec_nanos() != 0 {
            return Err(format!("{text:?} must be a whole number of seconds"));
        }
        Ok(d)
    }
}

/// A duration as a person writes it: `0s`, `250ms`, `5m`, `1h30m`, `7d`.
#[derive(Debug, Clone, Copy)]
pub struct Human(pub Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms == 0 {
            return f.write_str("0s");
        }
        let mut rest = ms;
        for (unit, size) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1000),
        ] {
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        if rest > 0 {
            write!(f, "{rest}ms")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_bare_seconds() {
        assert_eq!(WINDOW.parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(WINDOW.parse("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(WINDOW.parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(WINDOW.parse("90"), Ok(Duration::from_secs(90)));
        assert_eq!(WINDOW.parse("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(
            ACTION_TIMEOUT.parse("250ms"),
            Ok(Duration::from_millis(250))
        );
        assert_eq!(LATENESS.parse("0s"), Ok(Duration::ZERO));
        assert_eq!(LATENESS.parse("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn overflow_and_bounds_are_errors_never_wraps() {
        for text in [
            "18446744073709551615s1s",
            "18446744073709551615s",
            "307445734561825865m",
            "9223372036854775808s",
            "99999999999999999999",
        ] {
            for setting in [WINDOW, LATENESS, MAX_SKEW, METADATA_REFRESH, ACTION_TIMEOUT] {
                let err = setting.parse(text).unwrap_err();
                assert!(
                    err.contains("too long") || err.contains("out of range"),
                    "{} {text}: {err}",
                    setting.name
                );
            }
        }
        assert!(WINDOW
            .parse("0s")
            .unwrap_err()
            .contains("out of range: 1s to 7d"));
        assert!(WINDOW.parse("8d").unwrap_err().contains("out of range"));
        assert!(WINDOW.parse("1500ms").unwrap_err().contains("whole number"));
        assert!(LATENESS.parse("7d1s").is_err());
        assert!(METADATA_REFRESH.parse("500ms").is_err());
        assert!(ACTION_TIMEOUT.parse("2h").is_err());
        for bad in ["", "soon", "5x", "m", "-5s"] {
            assert!(WINDOW.parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn human_form() {
        let h = |ms| Human(Duration::from_millis(ms)).to_string();
        assert_eq!(h(0), "0s");
        assert_eq!(h(250), "250ms");
        assert_eq!(h(300_000), "5m");
        assert_eq!(h(5_400_000), "1h30m");
        assert_eq!(h(7 * 86_400_000), "7d");
    }
}
