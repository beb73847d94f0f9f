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

/// Enhanced fan-out through a proxy in front of kinesis-local: subscriptions cut mid-stream
/// (twice, while records flow) and the endpoint taken away and brought back. Every record is
/// read exactly once, and the outage is said with the endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enhanced_fan_out_survives_cut_subscriptions_and_an_endpoint_restart_exactly() {
    use crate::support::loopback::Proxy;
    use kinetop::source::kinesis::KinesisSource;

    let emu = Emulator::kinesis_local();
    let client = kinesis_client(&emu.endpoint()).await;
    let stream = unique("efo-faults");
    create_stream(&client, &stream, 2).await;
    let mut expected = tagged("first", 100);
    put_records(&client, &stream, expected.clone()).await;

    let mut proxy = Proxy::new(emu.port);
    let mut options = kinesis_options(&stream);
    options.consumer = Some(unique("kinetop"));
    options.tuning.subscription_silence = Duration::from_secs(10);
    let mut running = Running::start(KinesisSource::new(
        sdk_api(&proxy.endpoint()).await,
        options,
    ));
    assert!(
        running
            .wait_for(Duration::from_secs(60), |c| c.records.len() >= 100)
            .await,
        "fan-out read {} of 100",
        running.got.records.len()
    );

    // Cut every subscription while records are being written.
    for round in 0..2 {
        let batch = tagged(&format!("cut{round}"), 60);
        expected.extend(batch.clone());
        let (first, second) = batch.split_at(30);
        put_records(&client, &stream, first.to_vec()).await;
        proxy.cut();
        put_records(&client, &stream, second.to_vec()).await;
        let total = expected.len();
        assert!(
            running
                .wait_for(Duration::from_secs(60), |c| c.records.len() >= total)
                .await,
            "after cut {round}: {} of {total}",
            running.got.records.len()
        );
    }

    // The endpoint goes away; records keep arriving at the stream meanwhile.
    proxy.stop();
    let refused = format!("connection refused by {}", proxy.endpoint());
    let during = tagged("down", 80);
    expected.extend(during.clone());
    put_records(&client, &stream, during).await;
    assert!(
        running
            .wait_for(Duration::from_secs(60), |c| c.problems().iter().any(
                |p| p.starts_with(&format!("kinesis: {refused}: retrying in "))
            ))
            .await,
        "the outage is said: {:?}",
        running.got.problems()
    );
    proxy.start();
    let after = tagged("after", 40);
    expected.extend(after.clone());
    put_records(&client, &stream, after).await;
    let total = expected.len();
    assert!(
        running
            .wait_for(Duration::from_secs(90), |c| c.records.len() >= total)
            .await,
        "after the restart: {} of {total}",
        running.got.records.len()
    );
    assert!(
        running
            .wait_for(Duration::from_secs(30), |c| c
                .last_status()
                .is_some_and(|s| s.problem.is_none()))
            .await,
        "recovered: {:?}",
        running.got.last_status()
    );
    running.settle(Duration::from_secs(2)).await;
    let (got, result) = running.stop().await;
    result.unwrap();
    got.assert_exactly(&expected);
    got.assert_no_duplicates();
    // Read by fan-out throughout: never fell back to polling.
    assert!(
        got.statuses.iter().all(|s| s
            .problem
            .as_deref()
            .is_none_or(|p| !p.contains("polling GetRecords instead"))),
        "fell back to polling"
    );
}
