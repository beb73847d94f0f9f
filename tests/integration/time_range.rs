//! `--since` / `--until` through the real binary: over a file (lines outside skipped and counted,
//! window by window the same as the whole run's), over a followed file (the run ends by itself once
//! event time has passed `--until`), and over a Kinesis stream (emulator) read from a relative
//! `--since`, which is also where the stream starts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::support::binary::Kinetop;
use crate::support::{self, Emulator};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");
/// Line 8899 of the sample is truncated (malformed).
const MALFORMED_LINE: usize = 8899;

fn sample_lines() -> Vec<String> {
    let text = std::fs::read(SAMPLE).unwrap();
    String::from_utf8_lossy(&text)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The day of May 2015 a sample line is dated (`[17/May/2015:10:05:03 +0000]`).
fn day(line: &str) -> u32 {
    let at = line.find('[').unwrap() + 1;
    line[at..at + 2].parse().unwrap()
}

fn windows(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l["type"] == "window").collect()
}

fn requests(lines: &[Value]) -> u64 {
    windows(lines)
        .iter()
        .map(|w| w["requests"].as_u64().unwrap())
        .sum()
}

#[test]
fn since_and_until_over_a_file_skip_and_count_lines_outside() {
    let lines = sample_lines();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let path = path.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["--file", path, "--headless", "--format", "combined"];
        args.extend_from_slice(extra);
        let ended = Kinetop::start(&args).wait(Duration::from_secs(60));
        assert!(ended.status.success(), "{}", ended.stderr_text());
        ended.json()
    };
    let whole = run(&[]);
    let ranged = run(&["--since", "2015-05-18", "--until", "2015-05-19T00:00:00Z"]);

    let counted: Vec<u32> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| i + 1 != MALFORMED_LINE)
        .map(|(_, l)| day(l))
        .collect();
    let before = counted.iter().filter(|&&d| d < 18).count() as u64;
    let after = counted.iter().filter(|&&d| d > 18).count() as u64;
    let s = ranged.last().unwrap();
    assert_eq!(s["type"], "summary");
    assert!(before > 0 && after > 0);
    assert_eq!(
        (
            s["lines"].as_u64(),
            s["parsed"].as_u64(),
            s["before_since"].as_u64(),
            s["after_until"].as_u64()
        ),
        (Some(10_000), Some(9_999), Some(before), Some(after)),
        "{s}"
    );
    assert_eq!(
        requests(&ranged) + s["late"].as_u64().unwrap(),
        9_999 - before - after
    );
    // Every window in the range is the whole run's window, unchanged.
    let inside: Vec<&Value> = windows(&whole)
        .into_iter()
        .filter(|w| w["start"].as_str().unwrap().starts_with("2015-05-18"))
        .collect();
    assert!(!inside.is_empty());
    assert_eq!(windows(&ranged), inside);
    let w = whole.last().unwrap();
    assert_eq!(
        (w["before_since"].as_u64(), w["after_until"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn until_ends_a_followed_file_once_event_time_has_passed_it() {
    let lines = sample_lines();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    // --follow never ends by itself; the 18th's lines close every window before --until.
    let ended = Kinetop::start(&[
        "--file",
        path.to_str().unwrap(),
        "--follow",
        "--headless",
        "--format",
        "combined",
        "--until",
        "2015-05-18T00:00:00Z",
        "--window",
        "5m",
        "--lateness",
        "1m",
    ])
    .wait(Duration::from_secs(30));
    assert!(ended.status.success(), "{}", ended.stderr_text());
    let out = ended.json();
    let s = ended.summary();
    let windows = windows(&out);
    assert!(!windows.is_empty());
    for w in &windows {
        assert!(
            w["end"].as_str().unwrap() <= "2015-05-18T00:00:00Z",
            "a window after --until: {w}"
        );
    }
    let on_17th = lines.iter().filter(|l| day(l) == 17).count() as u64;
    assert_eq!(requests(&out) + s["late"].as_u64().unwrap(), on_17th, "{s}");
    assert!(s["after_until"].as_u64().unwrap() > 0, "{s}");
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `[01/May/2024:10:00:00 +0000]` for epoch seconds.
fn clf(secs: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
    let format = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    t.format(&format).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relative_since_starts_the_stream_there_and_skips_older_lines() {
    let emu = Emulator::kinesalite();
    let client = support::kinesis_client(&emu.endpoint()).await;
    let stream = support::unique("since");
    support::create_stream(&client, &stream, 1).await;
    // 300 lines dated 20 minutes ago, 200 dated 2 minutes ago.
    let now = now_secs();
    let line = |secs: i64, i: usize| {
        format!(
            "10.0.0.{} - - [{}] \"GET /p{i} HTTP/1.1\" 200 10 \"-\" \"curl/8\"",
            i % 200,
            clf(secs)
        )
    };
    let text: Vec<String> = (0..300)
        .map(|i| line(now - 1200, i))
        .chain((0..200).map(|i| line(now - 120, i)))
        .collect();
    let records = text
        .chunks(50)
        .map(|c| (c.join("\n") + "\n").into_bytes())
        .collect();
    support::put_records(&client, &stream, records).await;

    let endpoint = emu.endpoint();
    let ended = tokio::task::spawn_blocking(move || {
        Kinetop::start(&[
            "--kinesis",
            &stream,
            "--endpoint-url",
            &endpoint,
            "--region",
            "us-east-1",
            "--since",
            "-10m",
            "--headless",
            "--until-caught-up",
            "--format",
            "combined",
        ])
        .wait(Duration::from_secs(120))
    })
    .await
    .unwrap();
    assert!(ended.status.success(), "{}", ended.stderr_text());
    let out = ended.json();
    let s = ended.summary();
    // Put a moment ago, so a stream read from 10 minutes ago has every record.
    assert_eq!(
        (
            s["lines"].as_u64(),
            s["before_since"].as_u64(),
            s["after_until"].as_u64()
        ),
        (Some(500), Some(300), Some(0)),
        "{s}"
    );
    assert_eq!(requests(&out) + s["late"].as_u64().unwrap(), 200);
}
