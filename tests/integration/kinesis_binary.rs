//! The real binary against the emulators: `kinetop --kinesis … --headless --until-caught-up`
//! reads a multi-shard stream to its tip and prints exact counts; `--metadata s3://…` maps
//! callers to applications; a missing metadata object is a start-up error (exit 2).

use crate::support;

use std::process::{Command, Output};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use serde_json::Value;
use support::*;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");

fn sample_lines() -> Vec<String> {
    let text = std::fs::read(SAMPLE).unwrap();
    String::from_utf8_lossy(&text)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Runs kinetop with the emulators' credentials (and nothing from the user's AWS setup).
fn kinetop(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinetop"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"));
    // Bounded: a hung run fails the test instead of hanging the suite.
    output_within(&mut cmd, Duration::from_secs(120))
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn summary(lines: &[Value]) -> &Value {
    let last = lines.last().expect("output");
    assert_eq!(last["type"], "summary", "{last}");
    last
}

async fn stream_with_sample(endpoint: &str, shards: i32) -> (String, usize) {
    let client = kinesis_client(endpoint).await;
    let stream = unique("bin");
    create_stream(&client, &stream, shards).await;
    let lines = sample_lines();
    // Ten lines per record, as an agent batching them would.
    let records: Vec<Vec<u8>> = lines
        .chunks(10)
        .map(|c| (c.join("\n") + "\n").into_bytes())
        .collect();
    put_records(&client, &stream, records).await;
    (stream, lines.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_until_caught_up_counts_every_line_of_a_multi_shard_stream() {
    let emu = Emulator::kinesalite();
    let (stream, total) = stream_with_sample(&emu.endpoint(), 4).await;
    assert_eq!(total, 10_000);
    let endpoint = emu.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        kinetop(&[
            "--kinesis",
            &stream,
            "--endpoint-url",
            &endpoint,
            "--region",
            "us-east-1",
            "--from",
            "trim-horizon",
            "--headless",
            "--until-caught-up",
            "--format",
            "combined",
        ])
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let s = summary(&lines);
    // The sample's reference counts: line 8899 is truncated.
    assert_eq!(
        (
            s["lines"].as_u64(),
            s["parsed"].as_u64(),
            s["malformed"].as_u64()
        ),
        (Some(10_000), Some(9_999), Some(1)),
        "{s}"
    );
    let requests: u64 = lines
        .iter()
        .filter(|l| l["type"] == "window")
        .map(|l| l["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(requests + s["late"].as_u64().unwrap(), 9_999);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_from_s3_maps_callers_to_applications() {
    let kinesis = Emulator::kinesalite();
    let s3 = Emulator::moto();
    let (stream, _) = stream_with_sample(&kinesis.endpoint(), 2).await;
    let client = s3_client(&s3.endpoint()).await;
    let bucket = unique("meta");
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    let csv = "host,application,contact\n66.249.0.0/16,googlebot,crawl@example.com\n";
    client
        .put_object()
        .bucket(&bucket)
        .key("hosts.csv")
        .body(ByteStream::from(csv.as_bytes().to_vec()))
        .send()
        .await
        .unwrap();
    // What the mapping must give: every parsed line from 66.249.x.x.
    let google = sample_lines()
        .iter()
        .enumerate()
        .filter(|(i, l)| *i != 8898 && l.starts_with("66.249."))
        .count() as u64;
    assert!(google > 100);

    let (k, s, b) = (kinesis.endpoint(), s3.endpoint(), bucket.clone());
    let out = tokio::task::spawn_blocking(move || {
        kinetop(&[
            "--kinesis",
            &stream,
            "--endpoint-url",
            &k,
            "--s3-endpoint-url",
            &s,
            "--region",
            "us-east-1",
            "--metadata",
            &format!("s3://{b}/hosts.csv"),
            "--from",
            "trim-horizon",
            "--headless",
            "--until-caught-up",
            "--format",
            "combined",
            // The sample's records spread over days of event time and arrive within a second:
            // shards read concurrently interleave their event times, so keep every window open
            // (the sample spans four days).
            "--lateness",
            "7d",
        ])
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(summary(&lines)["late"], 0);
    assert_eq!(summary(&lines)["shards"], 2);
    let by_app = |app: &str| -> u64 {
        lines
            .iter()
            .filter(|l| l["type"] == "window" && l["application"] == app)
            .map(|l| l["requests"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(by_app("googlebot"), google);
    assert_eq!(
        by_app("googlebot") + by_app("unknown"),
        9_999 - summary(&lines)["late"].as_u64().unwrap()
    );

    // A metadata object that is not there: exit 2, naming it.
    let (k, s) = (kinesis.endpoint(), s3.endpoint());
    let missing = format!("s3://{bucket}/missing.csv");
    let out = tokio::task::spawn_blocking(move || {
        kinetop(&[
            "--kinesis",
            "whatever",
            "--endpoint-url",
            &k,
            "--s3-endpoint-url",
            &s,
            "--region",
            "us-east-1",
            "--metadata",
            &missing,
            "--headless",
            "--until-caught-up",
        ])
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("s3://{bucket}/missing.csv")) && err.contains("no such key"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_does_not_exist_is_a_start_up_error() {
    let emu = Emulator::kinesalite();
    let endpoint = emu.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        kinetop(&[
            "--kinesis",
            "no-such-stream",
            "--endpoint-url",
            &endpoint,
            "--region",
            "us-east-1",
            "--headless",
            "--until-caught-up",
        ])
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Kinesis stream no-such-stream") && err.contains("not found"),
        "{err}"
    );
}
