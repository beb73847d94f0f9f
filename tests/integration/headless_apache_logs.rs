//! The real binary over the real sample log (../shared/data/apache_logs), checked against counts
//! computed independently by tests/data/expected_apache_logs.py (Python regex + ipaddress).

use std::process::Command;

use serde_json::Value;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");
const METADATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/apache_logs_metadata.csv"
);
const EXPECTED: &str = include_str!("../data/apache_logs.expected.jsonl");

fn kinetop(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kinetop"))
        .args(args)
        .env(
            "KINETOP_LOG_DIR",
            std::env::temp_dir().join("kinetop-test-logs"),
        )
        .output()
        .expect("run kinetop")
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8(stdout.to_vec())
        .expect("stdout is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// The fields the reference computes, from one kinetop window line.
fn comparable(v: &Value) -> Value {
    serde_json::json!({
        "start": v["start"], "end": v["end"], "application": v["application"],
        "requests": v["requests"], "bytes": v["bytes"], "status": v["status"], "hosts": v["hosts"],
    })
}

#[test]
fn windows_match_the_independent_reference() {
    let out = kinetop(&["--file", DATA, "--metadata", METADATA, "--headless"]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = json_lines(&out.stdout);
    let expected: Vec<Value> = EXPECTED
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (want_summary, want_windows) = expected.split_last().unwrap();

    let windows: Vec<&Value> = got.iter().filter(|v| v["type"] == "window").collect();
    assert_eq!(
        windows.len(),
        want_windows.len(),
        "number of (window, application) lines"
    );
    for (g, w) in windows.iter().zip(want_windows) {
        assert_eq!(&comparable(g), w);
        assert!(
            g["latency_us"].is_null(),
            "combined has no latency field: {g}"
        );
    }
    let summary = got.last().expect("a summary line");
    assert_eq!(summary["type"], "summary");
    for key in ["lines", "parsed", "malformed"] {
        assert_eq!(summary[key], want_summary[key], "summary {key}");
    }
    assert_eq!(summary["late"], 0);
    // Apache escapes quotes: no line of the sample has text after its last field.
    assert_eq!(summary["trailing"], 0);
    assert_eq!(got.iter().filter(|v| v["type"] == "summary").count(), 1);
}

#[test]
fn window_lines_are_in_window_order_and_apps_in_name_order() {
    let out = kinetop(&[
        "--file",
        DATA,
        "--metadata",
        METADATA,
        "--headless",
        "--window",
        "1h",
    ]);
    assert!(out.status.success());
    let got = json_lines(&out.stdout);
    let keys: Vec<(String, String)> = got
        .iter()
        .filter(|v| v["type"] == "window")
        .map(|v| {
            (
                v["start"].as_str().unwrap().to_string(),
                v["application"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // 84 distinct hours in the data, every one of them has unknown callers or known ones.
    let hours: std::collections::BTreeSet<_> = keys.iter().map(|(s, _)| s.clone()).collect();
    assert_eq!(hours.len(), 84);
    let total: u64 = got
        .iter()
        .filter(|v| v["type"] == "window")
        .map(|v| v["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 9_999);
}

#[test]
fn standard_input_and_several_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    let text = std::fs::read_to_string(DATA).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&a, lines[..100].join("\n") + "\n").unwrap();
    std::fs::write(&b, lines[100..250].join("\r\n")).unwrap();
    let out = kinetop(&[
        "--file",
        a.to_str().unwrap(),
        "--file",
        b.to_str().unwrap(),
        "--headless",
        "--format",
        "combined",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = json_lines(&out.stdout).pop().unwrap();
    assert_eq!(summary["lines"], 250);
    assert_eq!(summary["parsed"], 250);

    let mut child = Command::new(env!("CARGO_BIN_EXE_kinetop"))
        .args(["--file", "-", "--headless"])
        .env("KINETOP_LOG_DIR", dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(lines[..40].join("\n").as_bytes()).unwrap();
        stdin.write_all(b"\nthis is not a log line\n\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let summary = json_lines(&out.stdout).pop().unwrap();
    assert_eq!(
        (
            summary["lines"].as_u64(),
            summary["parsed"].as_u64(),
            summary["malformed"].as_u64()
        ),
        (Some(41), Some(40), Some(1))
    );
}

fn assert_exit_2(args: &[&str], must_mention: &[&str]) {
    let out = kinetop(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "args {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.stdout.is_empty(), "nothing on stdout for {args:?}");
    for m in must_mention {
        assert!(
            stderr.contains(m),
            "stderr for {args:?} should mention {m:?}: {stderr}"
        );
    }
}

#[test]
fn bad_start_up_input_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.log");
    assert_exit_2(
        &["--file", missing.to_str().unwrap(), "--headless"],
        &["nope.log"],
    );
    assert_exit_2(
        &["--file", DATA, "--headless", "--format", "%h %Q"],
        &["--format"],
    );
    // No time: every line would be "parsed" at the time it was read.
    assert_exit_2(
        &["--file", DATA, "--headless", "--format", "%h"],
        &["--format: bad log format: no time directive"],
    );
    // Digits after `%` are status conditions, not a field width.
    assert_exit_2(
        &["--file", DATA, "--headless", "--format", "%1000000000h %t"],
        &["--format: bad log format at byte 1: status condition `1000000000`"],
    );
    let untimed_config = dir.path().join("untimed.toml");
    std::fs::write(&untimed_config, "window = \"1m\"\nformat = \"%h %>s\"\n").unwrap();
    assert_exit_2(
        &[
            "--file",
            DATA,
            "--headless",
            "--config",
            untimed_config.to_str().unwrap(),
        ],
        &["untimed.toml:2: format: bad log format: no time directive"],
    );
    assert_exit_2(&["--headless", "--window", "soon"], &["--window"]);
    assert_exit_2(&["--headless", "--bogus-flag"], &["--bogus-flag"]);

    let bad_meta = dir.path().join("meta.csv");
    std::fs::write(&bad_meta, "host,application\n10.0.0.0/8,a\n10.0.0.0/33,b\n").unwrap();
    assert_exit_2(
        &[
            "--file",
            DATA,
            "--headless",
            "--metadata",
            bad_meta.to_str().unwrap(),
        ],
        &["meta.csv:3"],
    );

    let bad_config = dir.path().join("k.toml");
    std::fs::write(&bad_config, "window = \"1m\"\nwidnow = 3\n").unwrap();
    assert_exit_2(
        &[
            "--file",
            DATA,
            "--headless",
            "--config",
            bad_config.to_str().unwrap(),
        ],
        &["k.toml:2"],
    );
}

/// Two files covering the same hours, read at the same time: neither may make the other's lines
/// late (windows close by the slower input), and the windows add up to the single-file reference.
#[test]
fn files_read_side_by_side_are_windowed_together() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(DATA).unwrap();
    let (mut even, mut odd) = (String::new(), String::new());
    for (i, line) in text.lines().enumerate() {
        let half = if i % 2 == 0 { &mut even } else { &mut odd };
        half.push_str(line);
        half.push('\n');
    }
    let a = dir.path().join("even.log");
    let b = dir.path().join("odd.log");
    std::fs::write(&a, even).unwrap();
    std::fs::write(&b, odd).unwrap();
    let out = kinetop(&[
        "--file",
        a.to_str().unwrap(),
        "--file",
        b.to_str().unwrap(),
        "--metadata",
        METADATA,
        "--headless",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = json_lines(&out.stdout);
    let summary = got.last().unwrap();
    assert_eq!(summary["late"], 0, "{summary}");
    assert_eq!(summary["parsed"], 9_999);
    let windows: Vec<Value> = got
        .iter()
        .filter(|v| v["type"] == "window")
        .map(comparable)
        .collect();
    let expected: Vec<Value> = EXPECTED
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(windows, expected[..expected.len() - 1].to_vec());
}
