//! Headless alarms through the real binary: a log whose 5xx spike, recovery, second spike and
//! silence land in known one-minute windows. Each final window's lines come first, then the
//! alarm lines its evaluation caused (exactly the contract's fields, in order), then the summary.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// 10:00:00Z on 2017-01-20 as written in `%t`.
fn stamp(minute: u32, second: u32) -> String {
    format!("[20/Jan/2017:10:{minute:02}:{second:02} +0000]")
}

/// `requests` combined_D lines from `client` in minute `minute`, the first `errors` of them 503.
fn minute_of_traffic(log: &mut String, client: &str, minute: u32, requests: u32, errors: u32) {
    for i in 0..requests {
        let status = if i < errors { 503 } else { 200 };
        writeln!(
            log,
            "{client} - - {} \"GET /api/v1/cart/{i} HTTP/1.1\" {status} 512 \"-\" \"alarm-test/1.0\" {}",
            stamp(minute, (i * 59 / requests.max(1)).min(59)),
            10_000 + i * 100
        )
        .unwrap();
    }
}

/// Runs kinetop headless on the log with the config; returns stdout lines.
fn run(dir: &Path, log: &str, config: &str) -> Vec<String> {
    let log_path = dir.join("access.log");
    let cfg_path = dir.join("kinetop.toml");
    std::fs::write(&log_path, log).unwrap();
    std::fs::write(&cfg_path, config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kinetop"))
        .arg("--file")
        .arg(&log_path)
        .args(["--format", "combined_D", "--window", "1m", "--config"])
        .arg(&cfg_path)
        .arg("--headless")
        .env("HOME", dir) // keep logs and state of the run inside the temp dir
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .output()
        .expect("run kinetop");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(str::to_string)
        .collect()
}

/// A compact form of the output: `window HH:MM app requests 5xx` for window lines, the alarm
/// line's contract part for alarm lines (checked to be exact), `summary …` last.
fn compact(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            match v["type"].as_str() {
                Some("window") => format!(
                    "window {} {} {} {}",
                    &v["start"].as_str().unwrap()[11..16],
                    v["application"].as_str().unwrap(),
                    v["requests"],
                    v["status"]["5xx"]
                ),
                Some("alarm") => {
                    // The contract's eight fields, exactly and in this order; extra fields may
                    // follow.
                    let end = line.find(r#","threshold":"#).expect("threshold");
                    let rest = &line[end..];
                    let threshold_end = rest[1..]
                        .find([',', '}'])
                        .map(|i| i + 1)
                        .expect("end of threshold");
                    line[..end + threshold_end].to_string()
                }
                Some("summary") => format!(
                    "summary lines={} parsed={} malformed={}",
                    v["lines"], v["parsed"], v["malformed"]
                ),
                other => panic!("unexpected line type {other:?}: {line}"),
            }
        })
        .collect()
}

fn alarm(
    name: &str,
    app: &str,
    state: &str,
    previous: &str,
    minute: u32,
    value: &str,
    threshold: &str,
) -> String {
    format!(
        r#"{{"type":"alarm","alarm":"{name}","application":"{app}","state":"{state}","previous":"{previous}","window_start":"2017-01-20T10:{minute:02}:00Z","value":{value},"threshold":{threshold}"#
    )
}

#[test]
fn five_xx_spike_recovery_and_silence_in_known_windows() {
    // Errors of 20 requests per minute; minutes 7..=11 have no traffic at all.
    let errors = [
        (0, 0),
        (1, 10),
        (2, 10),
        (3, 0),
        (4, 0),
        (5, 20),
        (6, 20),
        (12, 0),
    ];
    let mut log = String::new();
    for (minute, e) in errors {
        minute_of_traffic(&mut log, "10.0.0.1", minute, 20, e);
    }
    let config = r#"
[[alarm]]
name = "unknown-5xx"
application = "unknown"
metric = "error-rate-5xx"
comparison = ">"
threshold = 0.05
evaluation-periods = 3
datapoints-to-alarm = 2

[[alarm]]
name = "unknown-rps"
application = "unknown"
metric = "requests-per-second"
comparison = ">"
threshold = 0.1
evaluation-periods = 1
"#;
    let dir = tempfile::tempdir().unwrap();
    let got = compact(&run(dir.path(), &log, config));
    let window = |minute: u32, e: u32| format!("window 10:{minute:02} unknown 20 {e}");
    let expected = vec![
        window(0, 0),
        alarm(
            "unknown-5xx",
            "unknown",
            "OK",
            "INSUFFICIENT_DATA",
            0,
            "0",
            "0.05",
        ),
        alarm(
            "unknown-rps",
            "unknown",
            "ALARM",
            "INSUFFICIENT_DATA",
            0,
            "0.3333333333333333",
            "0.1",
        ),
        // One breaching window of three is not enough.
        window(1, 10),
        // Two of three.
        window(2, 10),
        alarm("unknown-5xx", "unknown", "ALARM", "OK", 2, "0.5", "0.05"),
        window(3, 0),
        // Only one of the last three breaches again.
        window(4, 0),
        alarm("unknown-5xx", "unknown", "OK", "ALARM", 4, "0", "0.05"),
        window(5, 20),
        window(6, 20),
        alarm("unknown-5xx", "unknown", "ALARM", "OK", 6, "1", "0.05"),
        // Minutes 7..=11 had no traffic: missing datapoints. Minute 12's first line moves time
        // to 10:12:00, which closes every window up to 10:10 (one minute of lateness): the rate
        // alarm (range 3) runs out of datapoints at 10:09. The 5xx one (range 5) does at 10:11,
        // evaluated when the end of input closes the rest; then minute 12 decides both.
        alarm(
            "unknown-rps",
            "unknown",
            "INSUFFICIENT_DATA",
            "ALARM",
            9,
            "null",
            "0.1",
        ),
        window(12, 0),
        alarm(
            "unknown-5xx",
            "unknown",
            "INSUFFICIENT_DATA",
            "ALARM",
            11,
            "null",
            "0.05",
        ),
        alarm(
            "unknown-5xx",
            "unknown",
            "OK",
            "INSUFFICIENT_DATA",
            12,
            "0",
            "0.05",
        ),
        alarm(
            "unknown-rps",
            "unknown",
            "ALARM",
            "INSUFFICIENT_DATA",
            12,
            "0.3333333333333333",
            "0.1",
        ),
        "summary lines=160 parsed=160 malformed=0".to_string(),
    ];
    assert_eq!(got, expected, "\n{}", got.join("\n"));
}

/// A followed log that stops altogether: no line ever arrives again, yet its windows close with
/// the wall clock and an alarm on missing data fires (as CloudWatch evaluates on a schedule).
#[test]
fn a_log_that_goes_silent_raises_its_alarm_without_another_line() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("access.log");
    let cfg_path = dir.path().join("kinetop.toml");
    // Ten requests in the 2-second window [10:00:00, 10:00:02), then nothing.
    let log: String = (0..10)
        .map(|i| {
            format!(
                "10.0.0.1 - - [20/Jan/2017:10:00:0{} +0000] \"GET /cart HTTP/1.1\" 200 512 \"-\" \"t/1\" 900\n",
                i / 5
            )
        })
        .collect();
    std::fs::write(&log_path, log).unwrap();
    std::fs::write(
        &cfg_path,
        r#"
[[alarm]]
name = "unknown-silent"
application = "unknown"
metric = "requests"
comparison = "<"
threshold = 1
evaluation-periods = 1
treat-missing-data = "breaching"
"#,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kinetop"))
        .arg("--file")
        .arg(&log_path)
        .args(["--follow", "--format", "combined_D", "--window", "2s"])
        .args(["--lateness", "0s", "--headless", "--config"])
        .arg(&cfg_path)
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("run kinetop");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Silence is noticed after 5 s; then event time runs on with the wall clock. As in
    // CloudWatch, the evaluation range is N + 2 windows and a real datapoint in it still decides
    // (10:00:02 and :04 are missing, the OK datapoint of 10:00:00 holds); the window of 10:00:06
    // is the first without it, closed at 10:00:08, about 7 s after the last line.
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut lines = Vec::new();
    while !lines
        .iter()
        .any(|l: &String| l.contains(r#""state":"ALARM""#))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let got = compact(&lines);
    let expected = vec![
        "window 10:00 unknown 10 0".to_string(),
        r#"{"type":"alarm","alarm":"unknown-silent","application":"unknown","state":"OK","previous":"INSUFFICIENT_DATA","window_start":"2017-01-20T10:00:00Z","value":10,"threshold":1"#.to_string(),
        r#"{"type":"alarm","alarm":"unknown-silent","application":"unknown","state":"ALARM","previous":"OK","window_start":"2017-01-20T10:00:06Z","value":null,"threshold":1"#.to_string(),
    ];
    assert_eq!(got, expected, "\n{}", got.join("\n"));
}

#[test]
fn star_rule_with_metadata_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts.csv");
    std::fs::write(
        &hosts,
        "host,application,contact\n10.0.0.1,checkout,shop@example.com\n10.0.0.2,search,search@example.com\n",
    )
    .unwrap();
    let mut log = String::new();
    for (minute, checkout_errors) in [(0, 0), (1, 5), (2, 0)] {
        minute_of_traffic(&mut log, "10.0.0.1", minute, 20, checkout_errors);
        minute_of_traffic(&mut log, "10.0.0.2", minute, 10, 0);
    }
    let config = format!(
        r#"metadata = "{}"

[[alarm]]
name = "5xx"
application = "*"
metric = "error-rate-5xx"
comparison = ">="
threshold = 0.25
evaluation-periods = 1
"#,
        hosts.display()
    );
    let got = compact(&run(dir.path(), &log, &config));
    let expected = vec![
        "window 10:00 checkout 20 0".to_string(),
        "window 10:00 search 10 0".to_string(),
        alarm("5xx", "checkout", "OK", "INSUFFICIENT_DATA", 0, "0", "0.25"),
        alarm("5xx", "search", "OK", "INSUFFICIENT_DATA", 0, "0", "0.25"),
        "window 10:01 checkout 20 5".to_string(),
        "window 10:01 search 10 0".to_string(),
        alarm("5xx", "checkout", "ALARM", "OK", 1, "0.25", "0.25"),
        "window 10:02 checkout 20 0".to_string(),
        "window 10:02 search 10 0".to_string(),
        alarm("5xx", "checkout", "OK", "ALARM", 2, "0", "0.25"),
        "summary lines=90 parsed=90 malformed=0".to_string(),
    ];
    assert_eq!(got, expected, "\n{}", got.join("\n"));
}

#[test]
fn bad_rule_exits_2_naming_file_rule_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("access.log");
    let cfg_path = dir.path().join("kinetop.toml");
    let mut log = String::new();
    minute_of_traffic(&mut log, "10.0.0.1", 0, 5, 0);
    std::fs::write(&log_path, log).unwrap();
    std::fs::write(
        &cfg_path,
        "[[alarm]]\nname = \"x\"\napplication = \"*\"\nmetric = \"errors\"\ncomparison = \">\"\nthreshold = 1\nevaluation-periods = 1\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kinetop"))
        .arg("--file")
        .arg(&log_path)
        .args(["--window", "1m", "--config"])
        .arg(&cfg_path)
        .arg("--headless")
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "{}:4: [[alarm]] #1 \"x\": unknown metric \"errors\"",
        cfg_path.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// An anomaly band alarm through the real binary: steady traffic (about 100 requests a minute),
/// a burst of 300 in minute 8, steady again: the alarm fires on the burst, its line gives the
/// band it left, and it recovers.
#[test]
fn anomaly_band_alarm_fires_on_a_burst_and_gives_the_band() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    let per_minute = [100, 104, 96, 101, 99, 103, 97, 100, 300, 102, 98];
    for (minute, &n) in per_minute.iter().enumerate() {
        minute_of_traffic(&mut log, "10.0.0.1", minute as u32, n, 0);
    }
    let config = r#"
[[alarm]]
name = "burst"
application = "unknown"
metric = "requests"
comparison = "outside-band"
band = 3
band-windows = 6
evaluation-periods = 1
"#;
    let lines = run(dir.path(), &log, config);
    let alarms: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "alarm")
        .collect();
    let brief: Vec<(String, String, String)> = alarms
        .iter()
        .map(|a| {
            (
                a["window_start"].as_str().unwrap()[11..16].to_string(),
                a["state"].as_str().unwrap().to_string(),
                a["value"].to_string(),
            )
        })
        .collect();
    // 6 band windows need 3 datapoints: minute 3 is the first judged.
    assert_eq!(
        brief,
        [
            ("10:03".into(), "OK".into(), "101".into()),
            ("10:08".into(), "ALARM".into(), "300".into()),
            ("10:09".into(), "OK".into(), "102".into()),
        ]
    );
    let fired = &alarms[1];
    assert_eq!(
        fired["threshold"], 3,
        "a band rule's threshold is its width"
    );
    let (low, high) = (
        fired["band_low"].as_f64().unwrap(),
        fired["band_high"].as_f64().unwrap(),
    );
    // Minutes 2..=7: mean 99.33, sample sd 2.58; 3 sd.
    assert!(
        (low - 91.6).abs() < 0.1 && (high - 107.1).abs() < 0.1,
        "{fired}"
    );
    // The contract's fields come first, the band after them.
    let line = lines
        .iter()
        .find(|l| l.contains(r#""state":"ALARM""#))
        .unwrap();
    assert!(line.contains(r#""threshold":3,"band_low":"#), "{line}");
}
