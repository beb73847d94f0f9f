//! Issue 12's proof against kinesis-local: relays (`--shard-group I/N --publish kinesis:AGG`)
//! plus a viewer (`--kinesis AGG`) give the same window lines as one process over the raw
//! stream, across a reshard, with a relay killed and restarted, and for a viewer started after
//! the relays finished (it reads the whole history from the stream's retention).

use crate::support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::types::ScalingType;
use serde_json::Value;
use support::binary::Kinetop;
use support::*;

/// Every run is bounded: a hang fails the test.
const RUN_BOUND: Duration = Duration::from_secs(150);
/// 2,000 lines over 10 minutes of 2026-11-30 (10:00:00 to 10:09:59), 5 per record.
const LINES: usize = 2000;
const LINES_PER_RECORD: usize = 5;

const METADATA: &str = "host,application\n10.1.0.0/16,alpha\n10.2.0.0/16,beta\n10.3.0.0/16,gamma\n";

fn line(i: usize) -> String {
    let secs = i * 600 / LINES;
    let (m, s) = (secs / 60, secs % 60);
    // Hosts in three applications and some unknown; a few paths; statuses and latencies varied.
    let host = format!("10.{}.{}.{}", 1 + i % 4, i % 3, (i * 7) % 23);
    let path = [
        "/",
        "/api/cart",
        "/api/pay?id=1",
        "/img/logo.png",
        "/health",
    ][(i * 13) % 5];
    let status = [200, 200, 200, 304, 404, 500, 503][(i * 11) % 7];
    let bytes = (i * 37) % 9000;
    let latency = 200 + (i * 7919) % 2_000_000;
    format!(
        "{host} - - [30/Nov/2026:10:{m:02}:{s:02} +0000] \"GET {path} HTTP/1.1\" {status} {bytes} \"-\" \"curl/8\" {latency}\n"
    )
}

fn records(range: std::ops::Range<usize>) -> Vec<Vec<u8>> {
    range
        .step_by(LINES_PER_RECORD)
        .map(|first| {
            (first..first + LINES_PER_RECORD)
                .map(line)
                .collect::<String>()
                .into_bytes()
        })
        .collect()
}

struct Setup {
    emu: Emulator,
    raw: String,
    agg: String,
    metadata: tempfile::NamedTempFile,
}

/// A 4-shard raw stream resharded to 2 (two merges) halfway through the writes, and an empty
/// 2-shard aggregate stream.
async fn setup() -> Setup {
    let emu = Emulator::kinesis_local();
    let client = kinesis_client(&emu.endpoint()).await;
    let raw = unique("raw");
    let agg = unique("agg");
    create_stream(&client, &raw, 4).await;
    create_stream(&client, &agg, 2).await;
    put_records(&client, &raw, records(0..LINES / 2)).await;
    client
        .update_shard_count()
        .stream_name(&raw)
        .target_shard_count(2)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .expect("UpdateShardCount");
    wait_active(&client, &raw).await;
    put_records(&client, &raw, records(LINES / 2..LINES)).await;
    let metadata = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(metadata.path(), METADATA).unwrap();
    Setup {
        emu,
        raw,
        agg,
        metadata,
    }
}

impl Setup {
    fn args<'a>(&'a self, endpoint: &'a str, stream: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "--kinesis",
            stream,
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
            "--from",
            "trim-horizon",
            "--headless",
            "--window",
            "1m",
            "--metadata",
            self.metadata.path().to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args
    }

    fn relay(&self, endpoint: &str, group: &str, until_caught_up: bool) -> Kinetop {
        let publish = format!("kinesis:{}", self.agg);
        let mut extra = vec![
            "--shard-group",
            group,
            "--publish",
            &publish,
            "--format",
            "combined_D",
        ];
        if until_caught_up {
            extra.push("--until-caught-up");
        }
        Kinetop::start(&self.args(endpoint, &self.raw, &extra))
    }

    fn single(&self, endpoint: &str) -> Vec<Value> {
        let run = Kinetop::start(&self.args(
            endpoint,
            &self.raw,
            &["--until-caught-up", "--format", "combined_D"],
        ))
        .wait(RUN_BOUND);
        assert!(run.status.success(), "{}", run.stderr_text());
        run.json()
    }

    fn viewer(&self, endpoint: &str) -> Vec<Value> {
        let run =
            Kinetop::start(&self.args(endpoint, &self.agg, &["--until-caught-up"])).wait(RUN_BOUND);
        assert!(run.status.success(), "{}", run.stderr_text());
        run.json()
    }
}

fn finished(relay: Kinetop) -> Vec<Value> {
    let run = relay.wait(RUN_BOUND);
    assert!(run.status.success(), "{}", run.stderr_text());
    run.json()
}

/// Window lines by (start, application), without the relay coverage fields.
fn windows(lines: &[Value]) -> BTreeMap<(String, String), Value> {
    lines
        .iter()
        .filter(|l| l["type"] == "window")
        .map(|l| {
            let mut l = l.clone();
            let o = l.as_object_mut().unwrap();
            o.remove("relays");
            o.remove("relays_expected");
            (
                (
                    l["start"].as_str().unwrap().to_string(),
                    l["application"].as_str().unwrap().to_string(),
                ),
                l,
            )
        })
        .collect()
}

fn summary(lines: &[Value]) -> &Value {
    let last = lines.last().expect("output");
    assert_eq!(last["type"], "summary", "{last}");
    last
}

fn assert_same_windows(viewer: &[Value], single: &[Value]) {
    let (got, want) = (windows(viewer), windows(single));
    assert_eq!(want.len(), 40, "10 minutes × 4 applications");
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (key, want) in &want {
        let got = &got[key];
        assert_eq!(want["hosts_exact"], true);
        for field in [
            "requests",
            "bytes",
            "status",
            "status_codes",
            "latency_us",
            "latency_mean_us",
            "hosts",
            "hosts_exact",
            "top_paths",
            "top_callers",
        ] {
            assert_eq!(got[field], want[field], "{key:?} {field}");
        }
    }
    // Every window covered by both relay groups.
    for l in viewer.iter().filter(|l| l["type"] == "window") {
        assert_eq!(
            (&l["relays"], &l["relays_expected"]),
            (&2.into(), &2.into()),
            "{l}"
        );
    }
    // The viewer's summary totals the relays' counters.
    let (v, s) = (summary(viewer), summary(single));
    for counter in ["lines", "parsed", "malformed", "late", "future", "trailing"] {
        assert_eq!(v[counter], s[counter], "{counter}");
    }
    assert_eq!(s["lines"], LINES as u64);
    assert_eq!(s["late"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_and_a_viewer_equal_one_process_across_a_reshard() {
    let setup = setup().await;
    let endpoint = setup.emu.endpoint();
    let started = Instant::now();
    let relays = [
        setup.relay(&endpoint, "0/2", true),
        setup.relay(&endpoint, "1/2", true),
    ];
    let relay_lines: Vec<Vec<Value>> = relays.into_iter().map(finished).collect();
    // Each relay read its own shards only: together they counted every line once.
    let counted: u64 = relay_lines
        .iter()
        .map(|l| summary(l)["lines"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, LINES as u64);
    assert!(relay_lines
        .iter()
        .all(|l| summary(l)["lines"].as_u64() > Some(0)));
    // The viewer starts after the relays finished: it reads the history from the stream.
    let viewer = setup.viewer(&endpoint);
    let single = setup.single(&endpoint);
    assert_same_windows(&viewer, &single);
    assert!(started.elapsed() < RUN_BOUND * 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_and_restarted_mid_run_double_counts_nothing() {
    let setup = setup().await;
    let endpoint = setup.emu.endpoint();
    let other = setup.relay(&endpoint, "1/2", true);
    // Group 0 publishes some final windows, then dies without a word.
    let doomed = setup.relay(&endpoint, "0/2", false);
    doomed.wait_for_log("aggregate records published", Duration::from_secs(60));
    drop(doomed);
    let restarted = setup.relay(&endpoint, "0/2", true);
    finished(restarted);
    finished(other);
    let viewer = setup.viewer(&endpoint);
    let single = setup.single(&endpoint);
    assert_same_windows(&viewer, &single);
}
