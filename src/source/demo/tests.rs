use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use super::catalog::{APPS, SCANNER, STRAY_CALLERS};
use super::*;

/// 2026-11-26T10:00:00Z: the start of an incident cycle with the default 15-minute period.
const T0: i64 = 1_795_687_200_000;

/// One `combined_D` line, split without the real parser (which another module owns).
#[derive(Debug)]
struct Fields<'a> {
    host: &'a str,
    /// UTC epoch seconds from `%t`.
    time: i64,
    offset: &'a str,
    request: &'a str,
    status: u16,
    bytes: Option<u64>,
    agent: &'a str,
    latency_us: u64,
}

fn quoted(rest: &str) -> Option<(&str, &str)> {
    let rest = rest.strip_prefix('"')?;
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some((&rest[..i], &rest[i + 1..])),
            _ => i += 1,
        }
    }
    None
}

fn month(name: &str) -> Option<time::Month> {
    let names = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let i = names.iter().position(|m| *m == name)?;
    time::Month::try_from(i as u8 + 1).ok()
}

/// `26/Nov/2026:10:05:00 +0100` → UTC epoch seconds.
fn apache_time(text: &str) -> Option<i64> {
    let (stamp, offset) = text.split_once(' ')?;
    let mut parts = stamp.splitn(3, '/');
    let day: u8 = parts.next()?.parse().ok()?;
    let mon = month(parts.next()?)?;
    let rest = parts.next()?;
    let mut hms = rest.split(':');
    let year: i32 = hms.next()?.parse().ok()?;
    let (h, m, s): (u8, u8, u8) = (
        hms.next()?.parse().ok()?,
        hms.next()?.parse().ok()?,
        hms.next()?.parse().ok()?,
    );
    let sign = match offset.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    if offset.len() != 5 {
        return None;
    }
    let off_h: i64 = offset[1..3].parse().ok()?;
    let off_m: i64 = offset[3..5].parse().ok()?;
    let date = time::Date::from_calendar_date(year, mon, day).ok()?;
    let local = date.with_hms(h, m, s).ok()?.assume_utc().unix_timestamp();
    Some(local - sign * (off_h * 3600 + off_m * 60))
}

fn split(line: &str) -> Option<Fields<'_>> {
    let (host, rest) = line.split_once(' ')?;
    let (_ident, rest) = rest.split_once(' ')?;
    let (_user, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix('[')?;
    let (stamp, rest) = rest.split_once("] ")?;
    let time = apache_time(stamp)?;
    let offset = stamp.split_once(' ')?.1;
    let (request, rest) = quoted(rest)?;
    let rest = rest.strip_prefix(' ')?;
    let (status, rest) = rest.split_once(' ')?;
    let status: u16 = status.parse().ok()?;
    let (bytes, rest) = rest.split_once(' ')?;
    let bytes = if bytes == "-" {
        None
    } else {
        Some(bytes.parse().ok()?)
    };
    let (_referer, rest) = quoted(rest)?;
    let (agent, rest) = quoted(rest.strip_prefix(' ')?)?;
    let latency_us: u64 = rest.strip_prefix(' ')?.parse().ok()?;
    (!host.is_empty() && (100..600).contains(&status)).then_some(Fields {
        host,
        time,
        offset,
        request,
        status,
        bytes,
        agent,
        latency_us,
    })
}

fn generate(config: DemoConfig, from_ms: i64, to_ms: i64) -> (usize, String) {
    let mut generator = DemoGenerator::new(config);
    let mut out = Vec::new();
    let n = generator.lines_between(from_ms, to_ms, &mut out);
    (n, String::from_utf8(out).expect("demo lines are ASCII"))
}

fn app_of_host() -> HashMap<&'static str, &'static str> {
    APPS.iter()
        .flat_map(|a| a.callers.iter().map(move |c| (*c, a.name)))
        .collect()
}

/// Per application: (requests, 5xx, latencies).
fn per_app(text: &str) -> HashMap<&'static str, (usize, usize, Vec<u64>)> {
    let owners = app_of_host();
    let mut stats: HashMap<&str, (usize, usize, Vec<u64>)> = HashMap::new();
    for fields in text.lines().filter_map(split) {
        let app = owners.get(fields.host).copied().unwrap_or("unknown");
        let entry = stats.entry(app).or_default();
        entry.0 += 1;
        entry.1 += usize::from(fields.status >= 500);
        entry.2.push(fields.latency_us);
    }
    stats
}

fn p99(latencies: &mut [u64]) -> u64 {
    latencies.sort_unstable();
    latencies[latencies.len() * 99 / 100]
}

#[test]
fn same_seed_same_lines_other_seed_other_lines() {
    let run = |seed| {
        let mut generator = DemoGenerator::new(DemoConfig {
            seed,
            ..DemoConfig::default()
        });
        let mut out = Vec::new();
        // Uneven calls, as the live source makes them.
        for (from, to) in [
            (T0, T0 + 130),
            (T0 + 130, T0 + 1_000),
            (T0 + 1_000, T0 + 7_345),
        ] {
            generator.lines_between(from, to, &mut out);
        }
        out
    };
    let first = run(7);
    assert!(first.len() > 100_000, "{} bytes", first.len());
    assert_eq!(first, run(7));
    assert_ne!(first, run(8));
}

#[test]
fn every_line_is_combined_d_except_rare_truncated_ones() {
    let (n, text) = generate(DemoConfig::default(), T0, T0 + 300_000);
    assert_eq!(n, text.lines().count());
    let bad: Vec<&str> = text.lines().filter(|l| split(l).is_none()).collect();
    assert!(!bad.is_empty(), "the demo includes truncated lines");
    assert!(
        bad.len() * 1000 <= n * 2,
        "{} of {n} lines malformed",
        bad.len()
    );
    for line in &bad {
        // Truncated lines keep less than half of a line.
        assert!(line.len() < 130, "only truncated lines fail: {line}");
    }
}

#[test]
fn hostile_lines_appear_at_a_low_rate() {
    let (n, text) = generate(DemoConfig::default(), T0, T0 + 600_000);
    let tls = text
        .lines()
        .filter(|l| l.contains(r#""\x16\x03\x01"#))
        .count();
    let request_timeout = text.lines().filter(|l| l.contains(r#" "-" 408 "#)).count();
    let escapes = text.lines().filter(|l| l.contains(r"\x1b[31m")).count();
    for (what, count) in [("TLS", tls), ("408", request_timeout), ("escape", escapes)] {
        assert!(count > 0, "no {what} lines");
        assert!(count * 1000 <= n, "{count} {what} lines of {n}");
    }
    // Apache writes control bytes escaped: no raw control character reaches the file.
    assert!(!text.bytes().any(|b| b < 0x20 && b != b'\n'));
    // The hostile lines that are not truncated still parse.
    let sample = text.lines().find(|l| l.contains(r"\x1b[31m")).unwrap();
    assert!(split(sample)
        .unwrap()
        .agent
        .starts_with("Mozilla/5.0 \\x1b[31m"));
    let sample = text.lines().find(|l| l.contains(r#" "-" 408 "#)).unwrap();
    assert_eq!(split(sample).unwrap().request, "-");
}

#[test]
fn timestamps_stay_within_the_range_asked_for() {
    // Not on whole seconds, so `%t` (whole seconds) may show the second `from` falls in.
    let (from, to) = (T0 + 1_250, T0 + 61_750);
    let (_, text) = generate(DemoConfig::default(), from, to);
    let times: Vec<i64> = text.lines().filter_map(split).map(|f| f.time).collect();
    assert!(times.len() > 10_000);
    for t in &times {
        assert!(
            *t >= from.div_euclid(1000) && t * 1000 < to,
            "{t} outside [{from}, {to})"
        );
    }
    assert_eq!(times.iter().min().unwrap() * 1000, T0 + 1_000);
    assert_eq!(times.iter().max().unwrap() * 1000, T0 + 61_000);
}

#[test]
fn servers_in_other_time_zones_still_line_up() {
    let (_, text) = generate(DemoConfig::default(), T0, T0 + 10_000);
    let mut offsets: HashMap<&str, usize> = HashMap::new();
    for fields in text.lines().filter_map(split) {
        *offsets.entry(fields.offset).or_default() += 1;
        assert!(
            (T0 / 1000..T0 / 1000 + 10).contains(&fields.time),
            "{fields:?}"
        );
    }
    assert!(offsets.len() >= 3, "{offsets:?}");
    assert!(text.contains("[26/Nov/2026:11:00:0") && text.contains("+0100]"));
    assert!(text.contains("[26/Nov/2026:05:00:0") && text.contains("-0500]"));
}

#[test]
fn rates_stay_within_bounds_outside_the_flood() {
    let generator = DemoGenerator::new(DemoConfig::default());
    let config = DemoConfig::default();
    // Ten quiet minutes around the clock: before the flood, and half a day later.
    for start in [T0, T0 + 12 * 3_600_000, T0 + 19 * 3_600_000] {
        assert_eq!(generator.incident_at(start), None);
        let (n, text) = generate(config.clone(), start, start + 60_000);
        let rate = n as f64 / 60.0;
        assert!((150.0..=400.0).contains(&rate), "{rate} req/s at {start}");
        let stats = per_app(&text);
        assert_eq!(
            stats.len(),
            APPS.len() + 1,
            "every application and unknown callers"
        );
        for app in APPS {
            assert!(
                stats[app.name].0 >= 60,
                "{} made {} calls",
                app.name,
                stats[app.name].0
            );
        }
    }
}

#[test]
fn incidents_show_in_their_phases() {
    let generator = DemoGenerator::new(DemoConfig::default());
    let quiet = per_app(&generate(DemoConfig::default(), T0, T0 + 90_000).1);

    let (flood_start, flood_len) = generator.next_incident(Incident::Flood, T0);
    assert!(
        (120_000..=300_000).contains(&flood_len),
        "a few minutes: {flood_len}"
    );
    assert_eq!(
        generator.incident_at(flood_start + 1),
        Some(Incident::Flood)
    );
    let flood = per_app(&generate(DemoConfig::default(), flood_start, flood_start + 90_000).1);
    let (before, during) = (quiet[FLOOD_APP].0 as f64, flood[FLOOD_APP].0 as f64);
    assert!(during > 7.0 * before, "flood: {before} → {during}");
    assert!(
        flood["checkout"].0 < 2 * quiet["checkout"].0,
        "only one application floods"
    );

    let (spike_start, _) = generator.next_incident(Incident::ServerErrors, T0);
    let spike = per_app(&generate(DemoConfig::default(), spike_start, spike_start + 180_000).1);
    let share = |s: &(usize, usize, Vec<u64>)| s.1 as f64 / s.0 as f64;
    assert!(
        share(&quiet[ERROR_APP]) < 0.03,
        "{}",
        share(&quiet[ERROR_APP])
    );
    let during = share(&spike[ERROR_APP]);
    assert!(
        (0.3..=0.6).contains(&during),
        "5xx share during the spike: {during}"
    );
    assert!(share(&spike["checkout"]) < 0.03);

    let (tail_start, _) = generator.next_incident(Incident::LatencyTail, T0);
    let mut tail = per_app(&generate(DemoConfig::default(), tail_start, tail_start + 120_000).1);
    let mut quiet = quiet;
    let normal_p99 = p99(&mut quiet.get_mut(SLOW_APP).unwrap().2);
    let slow_p99 = p99(&mut tail.get_mut(SLOW_APP).unwrap().2);
    assert!(
        slow_p99 > 12 * normal_p99,
        "p99 {normal_p99} → {slow_p99} µs"
    );
    let other_p99 = p99(&mut tail.get_mut("checkout").unwrap().2);
    assert!(other_p99 < 3 * p99(&mut quiet.get_mut("checkout").unwrap().2));

    // Any 20-minute view shows every incident.
    for offset_min in [0, 7, 13] {
        let start = T0 + offset_min * 60_000;
        let seen: Vec<Option<Incident>> = (0..1200)
            .map(|s| generator.incident_at(start + s * 1000))
            .collect();
        for incident in [
            Incident::Flood,
            Incident::ServerErrors,
            Incident::LatencyTail,
        ] {
            assert!(
                seen.contains(&Some(incident)),
                "{incident:?} missing from {offset_min}"
            );
        }
    }
}

#[test]
fn unknown_callers_include_a_noisy_scanner() {
    let (_, text) = generate(DemoConfig::default(), T0, T0 + 300_000);
    let scanner: Vec<Fields> = text
        .lines()
        .filter_map(split)
        .filter(|f| f.host == SCANNER)
        .collect();
    assert!(scanner.len() > 600, "{} scanner calls", scanner.len());
    let not_found = scanner.iter().filter(|f| f.status == 404).count();
    assert!(not_found * 10 > scanner.len() * 7);
    assert!(scanner.iter().any(|f| f.request.contains("/wp-login.php")));
    assert!(scanner.iter().any(|f| f.request.contains("/.env")));
    let strays: std::collections::HashSet<&str> = text
        .lines()
        .filter_map(split)
        .filter(|f| STRAY_CALLERS.contains(&f.host))
        .map(|f| f.host)
        .collect();
    assert!(strays.len() >= 4, "{strays:?}");
    // Bytes `-` on empty answers.
    assert!(text
        .lines()
        .filter_map(split)
        .any(|f| f.bytes.is_none() && f.status == 204));
}

/// Longest-prefix match over the demo metadata, written independently of `crate::enrich`.
fn metadata_owner(rows: &[(String, String)], host: &str) -> Option<String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        rows.iter()
            .filter_map(|(block, app)| {
                let net: ipnet::IpNet = block
                    .parse()
                    .or_else(|_| block.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .ok()?;
                net.contains(&ip).then_some((net.prefix_len(), app))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, app)| app.clone())
    } else {
        rows.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(host))
            .map(|(_, app)| app.clone())
    }
}

#[test]
fn demo_metadata_maps_every_caller_to_its_application() {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(DEMO_METADATA.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        ["host", "application", "contact", "team", "tier", "region"]
    );
    let rows: Vec<(String, String)> = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| r.iter().any(|cell| !cell.is_empty()))
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    assert!(rows.len() >= 12);
    for app in APPS {
        for caller in app.callers {
            assert_eq!(
                metadata_owner(&rows, caller).as_deref(),
                Some(app.name),
                "{caller}"
            );
        }
    }
    for unknown in STRAY_CALLERS.iter().chain([&SCANNER]) {
        assert_eq!(metadata_owner(&rows, unknown), None, "{unknown}");
    }
    assert!(DEMO_METADATA.contains("\"Commerce On-Call, Checkout <checkout-oncall@example.com>\""));
    let payments_contacts: Vec<_> = DEMO_METADATA
        .lines()
        .filter(|l| l.contains(",payments,"))
        .collect();
    assert_eq!(payments_contacts.len(), 2);
}

#[test]
fn backfill_is_capped_in_time_and_lines() {
    let now = T0 + 3_600_000;
    let short = DemoSource::new(DemoConfig::default(), Duration::from_secs(600));
    assert_eq!(short.backfill_start(now), now - 600_000);
    let long = DemoSource::new(DemoConfig::default(), Duration::from_secs(24 * 3600));
    let start = long.backfill_start(now);
    assert!(start >= now - MAX_BACKFILL.as_millis() as i64);
    let lines = long.generator.expected_lines(start, now);
    assert!(
        lines <= MAX_BACKFILL_LINES && lines > 0.8 * MAX_BACKFILL_LINES,
        "{lines}"
    );
}

#[tokio::test]
async fn the_source_backfills_then_streams_live() {
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let cancel = CancellationToken::new();
    let source = DemoSource::new(DemoConfig::default(), Duration::from_secs(30))
        .with_tick(Duration::from_millis(20));
    assert_eq!(source.describe(), "demo");
    let started = crate::clock::now_ms();
    let task = tokio::spawn(Box::new(source).run(tx, cancel.clone()));

    let mut oldest = i64::MAX;
    let mut newest = i64::MIN;
    let mut batches = 0;
    let mut statuses = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while newest < started / 1000 + 1 || statuses < 2 {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("demo keeps sending")
            .expect("channel open");
        match event {
            SourceEvent::Batch(batch) => {
                assert_eq!(&*batch.origin, "demo");
                let Payload::Lines(bytes) = batch.payload else {
                    panic!("lines")
                };
                let text = String::from_utf8(bytes).unwrap();
                for fields in text.lines().filter_map(split) {
                    oldest = oldest.min(fields.time);
                    newest = newest.max(fields.time);
                }
                batches += 1;
            }
            SourceEvent::Status(status) => {
                assert_eq!(status.name, "demo");
                assert_eq!(status.problem, None);
                statuses += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(batches >= 4, "{batches} batches");
    assert!(
        oldest <= started / 1000 - 29,
        "back-fill reaches back: {oldest} vs {started}"
    );
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops when cancelled")
        .unwrap()
        .unwrap();
}
