//! Number and time formatting for the screen: short, fixed-ish widths, units an operator reads at a
//! glance (`12.3k`, `4.5 MiB`, `850µs`, `1.2%`, `10:15:00`).

use std::sync::OnceLock;

use time::OffsetDateTime;

/// `999`, `1.2k`, `45.6k`, `1.2M`, `3.4G`.
pub fn count(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")];
    for (scale, unit) in UNITS {
        if n >= scale {
            let v = n as f64 / scale as f64;
            return if v >= 100.0 {
                format!("{v:.0}{unit}")
            } else {
                format!("{v:.1}{unit}")
            };
        }
    }
    n.to_string()
}

/// A count with thousands separators: `10,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `512 B`, `1.5 KiB`, `12 MiB`, `3.1 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if v >= 100.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Microseconds: `850µs`, `12ms`, `1.25s`.
pub fn latency_us(us: u64) -> String {
    if us < 1_000 {
        format!("{us}µs")
    } else if us < 10_000 {
        format!("{:.1}ms", us as f64 / 1_000.0)
    } else if us < 1_000_000 {
        format!("{}ms", us / 1_000)
    } else if us < 60_000_000 {
        format!("{:.2}s", us as f64 / 1_000_000.0)
    } else {
        format!("{:.0}s", us as f64 / 1_000_000.0)
    }
}

/// How far behind the source we are: `0.3s`, `12s`, `4m`.
pub fn lag_ms(ms: u64) -> String {
    if ms < 10_000 {
        format!("{:.1}s", ms as f64 / 1_000.0)
    } else {
        age((ms / 1_000) as i64)
    }
}

/// A share as a percentage: `0%`, `0.4%`, `12%`, `100%`.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p == 0.0 {
        "0%".into()
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// A rate per second: `0`, `<0.01`, `0.25`, `4.2`, `37`, `1.2k`.
pub fn rate(per_sec: f64) -> String {
    if per_sec <= 0.0 {
        "0".into()
    } else if per_sec < 0.01 {
        // Not zero: something did arrive.
        "<0.01".into()
    } else if per_sec < 1.0 {
        format!("{per_sec:.2}")
    } else if per_sec < 10.0 {
        format!("{per_sec:.1}")
    } else if per_sec < 1_000.0 {
        format!("{per_sec:.0}")
    } else {
        count(per_sec.round() as u64)
    }
}

/// A metric value as alarms show it: small ratios with 3 decimals, large numbers grouped.
pub fn metric(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        let sign = if value < 0.0 { "-" } else { "" };
        format!("{sign}{}", grouped(value.abs() as u64))
    } else if value.abs() < 10.0 {
        format!("{value:.3}")
    } else {
        format!("{value:.1}")
    }
}

/// A metric's value in the metric's own unit, as the tables show it: latencies `192ms`, error
/// rates `26%`, bytes `1.5 MiB`, rates `12/s`, counts `1,234`.
pub fn metric_value(metric_name: &str, value: f64) -> String {
    use crate::core::alarms::Metric;
    match metric_name.parse::<Metric>() {
        Ok(
            Metric::P50LatencyUs
            | Metric::P90LatencyUs
            | Metric::P99LatencyUs
            | Metric::MaxLatencyUs,
        ) => latency_us(value.max(0.0).round() as u64),
        Ok(Metric::ErrorRate4xx | Metric::ErrorRate5xx) => percent(value),
        Ok(Metric::Bytes) => bytes(value.max(0.0).round() as u64),
        Ok(Metric::RequestsPerSecond) => format!("{}/s", rate(value)),
        Ok(Metric::Requests | Metric::Hosts) | Err(_) => metric(value),
    }
}

/// A value and the threshold it is compared with, each in the metric's unit; where rounding
/// would make two different numbers look the same, both are shown in full.
pub fn metric_pair(metric_name: &str, value: f64, threshold: f64) -> (String, String) {
    let (v, t) = (
        metric_value(metric_name, value),
        metric_value(metric_name, threshold),
    );
    if v == t && value != threshold {
        use crate::core::alarms::Metric;
        let (scale, unit) = match metric_name.parse::<Metric>() {
            Ok(Metric::ErrorRate4xx | Metric::ErrorRate5xx) => (100.0, "%"),
            Ok(
                Metric::P50LatencyUs
                | Metric::P90LatencyUs
                | Metric::P99LatencyUs
                | Metric::MaxLatencyUs,
            ) => (1.0, "µs"),
            Ok(Metric::Bytes) => (1.0, " B"),
            Ok(Metric::RequestsPerSecond) => (1.0, "/s"),
            _ => (1.0, ""),
        };
        for decimals in 1..=6 {
            let a = format!("{:.decimals$}{unit}", value * scale);
            let b = format!("{:.decimals$}{unit}", threshold * scale);
            if a != b {
                return (a, b);
            }
        }
        (format!("{value}"), format!("{threshold}"))
    } else {
        (v, t)
    }
}

/// A window width: `10s`, `1m`, `5m`, `15m`, `1h`, `90s`.
pub fn width(secs: i64) -> String {
    if secs % 3600 == 0 {
        format!("{}h", secs / 3600)
    } else if secs % 60 == 0 {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// A duration for ages: `4s`, `3m`, `2h`, `5d`.
pub fn age(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 120 {
        format!("{secs}s")
    } else if secs < 7_200 {
        format!("{}m", secs / 60)
    } else if secs < 172_800 {
        format!("{}h", secs / 3_600)
    } else {
        format!("{}d", secs / 86_400)
    }
}

/// The zone times are shown in: UTC unless `--local-time` asked for the system's zone. Set once,
/// when the TUI starts; everything shown uses it, with its name on screen.
#[derive(Debug, Clone)]
enum Zone {
    Utc,
    Local(jiff::tz::TimeZone),
}

static ZONE: OnceLock<Zone> = OnceLock::new();

fn zone() -> &'static Zone {
    ZONE.get_or_init(|| Zone::Utc)
}

/// Show times in the system's time zone (with its daylight-saving rules) from now on. Returns
/// false (UTC stays) when the zone cannot be found or times were already shown in UTC.
pub fn use_local_time() -> bool {
    match jiff::tz::TimeZone::try_system() {
        Ok(tz) => ZONE.set(Zone::Local(tz)).is_ok(),
        Err(e) => {
            tracing::warn!("--local-time: no system time zone ({e}); showing UTC");
            false
        }
    }
}

/// `(year, month, day, hour, minute, second)` of `secs` in the display zone.
fn civil(secs: i64) -> Option<(i32, u8, u8, u8, u8, u8)> {
    match zone() {
        Zone::Utc => {
            let t = OffsetDateTime::from_unix_timestamp(secs).ok()?;
            Some((
                t.year(),
                t.month() as u8,
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
            ))
        }
        Zone::Local(tz) => {
            let t = jiff::Timestamp::from_second(secs)
                .ok()?
                .to_zoned(tz.clone());
            Some((
                i32::from(t.year()),
                t.month() as u8,
                t.day() as u8,
                t.hour() as u8,
                t.minute() as u8,
                t.second() as u8,
            ))
        }
    }
}

/// The display zone's name at `secs`: `UTC`, `CET`, `CEST`.
pub fn zone_name(secs: i64) -> String {
    match zone() {
        Zone::Utc => "UTC".into(),
        Zone::Local(tz) => jiff::Timestamp::from_second(secs)
            .map(|t| t.to_zoned(tz.clone()).strftime("%Z").to_string())
            .unwrap_or_else(|_| "local".into()),
    }
}

/// `10:15:00`.
pub fn clock(secs: i64) -> String {
    match civil(secs) {
        Some((_, _, _, h, m, s)) => format!("{h:02}:{m:02}:{s:02}"),
        None => "?".into(),
    }
}

/// `10:15`, for chart axes.
pub fn clock_short(secs: i64) -> String {
    match civil(secs) {
        Some((_, _, _, h, m, _)) => format!("{h:02}:{m:02}"),
        None => "?".into(),
    }
}

/// `2017-01-20`.
pub fn date(secs: i64) -> String {
    match civil(secs) {
        Some((y, mo, d, _, _, _)) => format!("{y:04}-{mo:02}-{d:02}"),
        None => "?".into(),
    }
}

/// Whether `first` and `last` fall on different days (in the display zone): then times on
/// screen carry their date.
pub fn spans_days(first: i64, last: i64) -> bool {
    date(first) != date(last)
}

/// `10:15:05`, or `01-20 10:15:05` when the data on screen spans more than one day: for windows
/// that do not fall on whole minutes, whose bounds `stamp` would make look equal.
pub fn stamp_secs(secs: i64, with_date: bool) -> String {
    match (with_date, civil(secs)) {
        (true, Some((_, mo, d, h, m, s))) => format!("{mo:02}-{d:02} {h:02}:{m:02}:{s:02}"),
        _ => clock(secs),
    }
}

/// `10:15`, or `01-20 10:15` when the data on screen spans more than one day.
pub fn stamp(secs: i64, with_date: bool) -> String {
    match (with_date, civil(secs)) {
        (true, Some((_, mo, d, h, m, _))) => format!("{mo:02}-{d:02} {h:02}:{m:02}"),
        _ => clock_short(secs),
    }
}

/// A window `[start, end)`: `2017-01-20 10:15:00–10:20:00 UTC`.
pub fn span(start: i64, end: i64) -> String {
    if date(start) == date(end - 1) {
        format!(
            "{} {}–{} {}",
            date(start),
            clock(start),
            clock(end),
            zone_name(start)
        )
    } else {
        format!(
            "{} {}–{} {} {}",
            date(start),
            clock(start),
            date(end),
            clock(end),
            zone_name(start)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234), "1.2k");
        assert_eq!(count(123_456), "123k");
        assert_eq!(count(2_500_000), "2.5M");
        assert_eq!(grouped(10_000), "10,000");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(300 * 1024 * 1024), "300 MiB");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.004), "0.4%");
        assert_eq!(percent(0.5), "50%");
        assert_eq!(rate(0.25), "0.25");
        assert_eq!(rate(0.004), "<0.01");
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(37.4), "37");
        assert_eq!(metric(0.12), "0.120");
        assert_eq!(metric(1500.0), "1,500");
        assert_eq!(metric(-3.0), "-3");
    }

    #[test]
    fn alarm_values_keep_the_metric_unit() {
        assert_eq!(metric_value("p99-latency-us", 1_741_823.0), "1.74s");
        assert_eq!(metric_value("p99-latency-us", 1_000_000.0), "1.00s");
        assert_eq!(metric_value("error-rate-5xx", 0.315), "32%");
        assert_eq!(metric_value("error-rate-5xx", 0.1), "10%");
        assert_eq!(metric_value("bytes", 1536.0), "1.5 KiB");
        assert_eq!(metric_value("requests-per-second", 162.0), "162/s");
        assert_eq!(metric_value("requests", 1_000_000.0), "1,000,000");
        // Rounding that would hide the difference shows both in full.
        assert_eq!(
            metric_pair("error-rate-5xx", 0.0504, 0.05),
            ("5.04%".to_string(), "5.00%".to_string())
        );
        assert_eq!(
            metric_pair("error-rate-5xx", 0.315, 0.1),
            ("32%".to_string(), "10%".to_string())
        );
    }

    #[test]
    fn durations_and_times() {
        assert_eq!(latency_us(850), "850µs");
        assert_eq!(latency_us(1_500), "1.5ms");
        assert_eq!(latency_us(120_000), "120ms");
        assert_eq!(latency_us(1_250_000), "1.25s");
        assert_eq!(lag_ms(0), "0.0s");
        assert_eq!(lag_ms(1_250), "1.2s");
        assert_eq!(lag_ms(300_000), "5m");
        assert_eq!(width(10), "10s");
        assert_eq!(width(300), "5m");
        assert_eq!(width(3600), "1h");
        assert_eq!(age(59), "59s");
        assert_eq!(age(600), "10m");
        // 2017-01-20T10:15:00Z
        assert_eq!(clock(1_484_907_300), "10:15:00");
        assert_eq!(
            span(1_484_956_800 - 1800, 1_484_956_800 + 1800),
            "2017-01-20 23:30:00–2017-01-21 00:30:00 UTC"
        );
        assert_eq!(stamp(1_484_907_300, false), "10:15");
        assert_eq!(stamp(1_484_907_300, true), "01-20 10:15");
        assert!(spans_days(1_484_956_800 - 1, 1_484_956_800));
        assert!(!spans_days(1_484_907_300, 1_484_956_799));
        assert_eq!(
            span(1_484_907_300, 1_484_907_600),
            "2017-01-20 10:15:00–10:20:00 UTC"
        );
        assert_eq!(
            span(1_484_956_800 - 300, 1_484_956_800),
            "2017-01-20 23:55:00–00:00:00 UTC"
        );
    }
}
