//! Event time is per event, not per read: the same lines give the same window lines and counts
//! from a file, from a pipe written with pauses (one longer than the idle time), and from a
//! one-shard Kinesis stream (emulator). The lines are the real sample with a line dated a day
//! ahead and one in year 9999 inserted: neither may make a real line late.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use serde_json::Value;

use crate::support::{self, Emulator};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");

/// The sample with two wild lines after line 100 (copies of line 100, re-dated).
fn lines() -> Vec<String> {
    let text = std::fs::read(SAMPLE).unwrap();
    let mut lines: Vec<String> = String::from_utf8_lossy(&text)
        .lines()
        .map(str::to_string)
        .collect();
    let model = lines[99].clone();
    let date = &model[model.find('[').unwrap() + 1..model.find(':').unwrap()];
    let (day, rest) = date.split_once('/').unwrap();
    let next_day = format!("{:02}/{rest}", day.parse::<u32>().unwrap() + 1);
    lines.insert(100, model.replacen(date, &next_day, 1));
    lines.insert(101, model.replacen(date, "31/Dec/9999", 1));
    lines
}

fn kinetop() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinetop"));
    cmd.env(
        "KINETOP_LOG_DIR",
        std::env::temp_dir().join("kinetop-test-logs"),
    );
    cmd
}

/// Window lines (all fields) and the summary's counts.
fn outcome(stdout: &[u8]) -> (Vec<Value>, Value) {
    let all: Vec<Value> = String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = all.last().expect("a summary line").clone();
    assert_eq!(summary["type"], "summary", "{summary}");
    let counts = serde_json::json!({
        "lines": summary["lines"], "parsed": summary["parsed"], "malformed": summary["malformed"],
        "late": summary["late"], "future": summary["future"],
    });
    let windows = all.into_iter().filter(|v| v["type"] == "window").collect();
    (windows, counts)
}

fn from_file(text: &str) -> (Vec<Value>, Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    std::fs::write(&path, text).unwrap();
    let out = support::output_within(
        kinetop().args([
            "--file",
            path.to_str().unwrap(),
            "--headless",
            "--format",
            "combined",
        ]),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    outcome(&out.stdout)
}

/// Through standard input in four parts, with pauses of 0.3 s, 6 s (longer than the 5 s after
/// which an input counts as idle) and 0.3 s between them.
fn from_pipe(text: &str) -> (Vec<Value>, Value) {
    let mut child = kinetop()
        .args(["--file", "-", "--headless", "--format", "combined"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Written from a thread: kinetop's output fills its pipe long before the input ends.
    let bytes = text.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let quarter = bytes.len() / 4;
        let pauses = [300, 6_000, 300];
        for (i, part) in bytes.chunks(quarter.max(1)).enumerate() {
            stdin.write_all(part).unwrap();
            stdin.flush().unwrap();
            if let Some(ms) = pauses.get(i) {
                std::thread::sleep(Duration::from_millis(*ms));
            }
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    outcome(&out.stdout)
}

/// One shard, 50 lines per record, put one record at a time so the order is the file's.
async fn from_kinesis(lines: &[String]) -> (Vec<Value>, Value) {
    let emu = Emulator::kinesalite();
    let endpoint = emu.endpoint();
    let client = support::kinesis_client(&endpoint).await;
    let stream = support::unique("event-time");
    support::create_stream(&client, &stream, 1).await;
    support::wait_active(&client, &stream).await;
    for chunk in lines.chunks(50) {
        client
            .put_record()
            .stream_name(&stream)
            .partition_key("one")
            .data(Blob::new(chunk.join("\n") + "\n"))
            .send()
            .await
            .unwrap();
    }
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = kinetop();
        cmd.args([
            "--kinesis",
            &stream,
            "--endpoint-url",
            &endpoint,
            "--region",
            "us-east-1",
            "--from",
            "trim-horizon",
            "--until-caught-up",
            "--headless",
            "--format",
            "combined",
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true");
        support::output_within(&mut cmd, Duration::from_secs(90))
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    outcome(&out.stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_pipe_and_stream_give_the_same_windows() {
    let lines = lines();
    let text = lines.join("\n") + "\n";
    let (file_windows, file_counts) = from_file(&text);
    // 10,002 lines: the sample's truncated line is malformed, the year-9999 line refused.
    assert_eq!(
        file_counts,
        serde_json::json!({"lines": 10_002, "parsed": 10_001, "malformed": 1, "late": 0, "future": 1})
    );
    // Every parsed line but the refused one is in a window, the day-ahead one included.
    let requests: u64 = file_windows
        .iter()
        .map(|w| w["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(requests, 10_000);

    let text_for_pipe = text.clone();
    let (pipe_windows, pipe_counts) =
        tokio::task::spawn_blocking(move || from_pipe(&text_for_pipe))
            .await
            .unwrap();
    assert_eq!(pipe_counts, file_counts);
    assert_eq!(pipe_windows, file_windows);

    let (stream_windows, stream_counts) = from_kinesis(&lines).await;
    assert_eq!(stream_counts, file_counts);
    assert_eq!(stream_windows, file_windows);
}
