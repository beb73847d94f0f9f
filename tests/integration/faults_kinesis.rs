//! Kinesis under faults against the emulators, through the real binary or the real source: a
//! stream deleted mid-run; enhanced fan-out with its subscriptions cut mid-stream and its
//! endpoint restarted, with exact counts.

use std::time::Duration;

use crate::support::binary::Kinetop;
use crate::support::*;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");

/// The first `n` lines of the sample log, ten to a record.
fn sample_records(n: usize) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    let lines: Vec<&str> = text.lines().take(n).collect();
    lines
        .chunks(10)
        .map(|c| (c.join("\n") + "\n").into_bytes())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_deleted_mid_run_is_said_and_the_run_ends_non_zero_after_flushing() {
    let emu = Emulator::kinesis_local();
    let client = kinesis_client(&emu.endpoint()).await;
    let stream = unique("deleted");
    create_stream(&client, &stream, 2).await;
    put_records(&client, &stream, sample_records(300)).await;

    let endpoint = emu.endpoint();
    let run = Kinetop::start(&[
        "--kinesis",
        &stream,
        "--endpoint-url",
        &endpoint,
        "--from",
        "trim-horizon",
        "--format",
        "combined",
        "--headless",
    ]);
    let log_ready = tokio::task::spawn_blocking({
        let log = run.log_file();
        move || {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while !std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains("every shard is at its tip")
            {
                assert!(std::time::Instant::now() < deadline, "never caught up");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    });
    log_ready.await.unwrap();

    client
        .delete_stream()
        .stream_name(&stream)
        .send()
        .await
        .expect("DeleteStream");
    let ended = tokio::task::spawn_blocking(move || run.wait(Duration::from_secs(90)))
        .await
        .unwrap();
    let stderr = ended.stderr_text();
    assert_eq!(ended.status.code(), Some(1), "non-zero: {stderr}");
    assert!(
        stderr.contains(&format!(
            "stream {stream} was deleted: reading stopped after 30 records"
        )),
        "{stderr}"
    );
    // What was read is written: every line, in its windows, then the summary.
    let summary = ended.summary();
    assert_eq!(
        (summary["lines"].as_u64(), summary["parsed"].as_u64()),
        (Some(300), Some(300)),
        "{summary}"
    );
    let requests: u64 = ended
        .json()
        .iter()
        .filter(|l| l["type"] == "window")
        .map(|l| l["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(requests + summary["late"].as_u64().unwrap(), 300);
}
