//! Network faults are said within seconds, retried with backoff, and never hold a run hostage:
//! an endpoint that accepts and never answers, a closed port. Headless, each change of state is
//! one line on standard error, at most one per source per 10 s; SIGINT still ends the run at
//! once with the summary.

use std::time::Duration;

use crate::support::binary::Kinetop;
use crate::support::loopback::{closed_port, HungServer, Proxy};
use crate::support::{s3_client, Emulator};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");

/// A config file with short AWS timeouts, so that a hang is noticed in a second.
fn short_timeouts(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("kinetop.toml");
    std::fs::write(
        &path,
        "aws-connect-timeout = \"1s\"\naws-operation-timeout = \"1s\"\n",
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_kinesis_endpoint_that_never_answers_is_said_and_retried_and_sigint_still_works() {
    let hung = HungServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = short_timeouts(&dir);
    let endpoint = hung.endpoint();
    let run = Kinetop::start(&[
        "--kinesis",
        "web",
        "--endpoint-url",
        &endpoint,
        "--config",
        &config,
        "--headless",
    ]);
    let expected = format!("kinesis: no answer from {endpoint}: retrying in ");
    let (when, line) = run.wait_for_stderr(Duration::from_secs(15), |l| l.starts_with(&expected));
    assert!(line.ends_with(" try, no success yet)"), "{line}");
    assert!(when < Duration::from_secs(10), "said after {when:?}");
    // Retried all along (several timeouts of 1 s), but the state is the same: one line.
    std::thread::sleep(Duration::from_secs(4));
    let said = run.stderr_so_far();
    assert_eq!(said.len(), 1, "{said:?}");
    let log = std::fs::read_to_string(run.log_file()).unwrap();
    let tries = log.matches("DescribeStreamSummary").count();
    assert!(
        tries >= 3,
        "retried with backoff: {tries} tries logged\n{log}"
    );

    let ended = run.signal_and_wait(libc::SIGINT, Duration::from_secs(10));
    assert!(ended.took < Duration::from_secs(1), "took {:?}", ended.took);
    assert!(ended.status.success(), "{:?}", ended.status);
    assert_eq!(ended.summary()["lines"], 0);
}

#[test]
fn a_closed_port_is_said_as_refused_and_retried() {
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let run = Kinetop::start(&[
        "--kinesis",
        "web",
        "--endpoint-url",
        &endpoint,
        "--headless",
    ]);
    let expected = format!("kinesis: connection refused by {endpoint}: retrying in ");
    let (when, _) = run.wait_for_stderr(Duration::from_secs(15), |l| l.starts_with(&expected));
    assert!(when < Duration::from_secs(5), "said after {when:?}");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(run.stderr_so_far().len(), 1, "{:?}", run.stderr_so_far());
    let ended = run.signal_and_wait(libc::SIGTERM, Duration::from_secs(10));
    assert!(ended.took < Duration::from_secs(1), "took {:?}", ended.took);
    assert_eq!(ended.summary()["source"], "kinesis:web");
}

#[test]
fn s3_metadata_that_never_answers_at_start_is_said_and_sigint_ends_the_wait() {
    let hung = HungServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = short_timeouts(&dir);
    let endpoint = hung.endpoint();
    let run = Kinetop::start(&[
        "--file",
        SAMPLE,
        "--metadata",
        "s3://ops/hosts.csv",
        "--s3-endpoint-url",
        &endpoint,
        "--config",
        &config,
        "--headless",
    ]);
    let expected = format!("metadata s3://ops/hosts.csv: no answer from {endpoint}: retrying in ");
    let (when, _) = run.wait_for_stderr(Duration::from_secs(15), |l| l.starts_with(&expected));
    assert!(when < Duration::from_secs(10), "said after {when:?}");
    let ended = run.signal_and_wait(libc::SIGINT, Duration::from_secs(10));
    assert!(ended.took < Duration::from_secs(1), "took {:?}", ended.took);
    assert_eq!(ended.status.code(), Some(130), "{}", ended.stderr_text());
    assert!(ended.stdout.is_empty());
    assert!(
        ended
            .stderr_text()
            .ends_with("kinetop: stopped by a signal before the input was opened"),
        "{}",
        ended.stderr_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_metadata_coming_up_after_the_start_is_loaded_and_the_run_goes_on() {
    // S3 (moto, with the object) behind a proxy that is down when kinetop starts.
    let moto = Emulator::moto();
    let client = s3_client(&moto.endpoint()).await;
    client.create_bucket().bucket("ops").send().await.unwrap();
    client
        .put_object()
        .bucket("ops")
        .key("hosts.csv")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(
            b"host,application\n83.149.9.216,kibana-demo\n",
        ))
        .send()
        .await
        .unwrap();
    let mut proxy = Proxy::new(moto.port);
    proxy.stop();
    let endpoint = proxy.endpoint();
    let run = Kinetop::start(&[
        "--file",
        SAMPLE,
        "--metadata",
        "s3://ops/hosts.csv",
        "--s3-endpoint-url",
        &endpoint,
        "--headless",
    ]);
    let refused = format!("metadata s3://ops/hosts.csv: connection refused by {endpoint}: ");
    let run = tokio::task::spawn_blocking(move || {
        run.wait_for_stderr(Duration::from_secs(15), |l| l.starts_with(&refused));
        run
    })
    .await
    .unwrap();
    proxy.start();
    let ended = tokio::task::spawn_blocking(move || run.wait(Duration::from_secs(90)))
        .await
        .unwrap();
    assert!(ended.status.success(), "{}", ended.stderr_text());
    assert!(
        ended.stderr[1].starts_with("metadata s3://ops/hosts.csv: recovered after "),
        "{:?}",
        ended.stderr
    );
    // Loaded before the first line: the caller is mapped.
    let apps: Vec<String> = ended
        .json()
        .iter()
        .filter(|l| l["type"] == "window")
        .map(|l| l["application"].as_str().unwrap().to_string())
        .collect();
    assert!(apps.iter().any(|a| a == "kibana-demo"), "{apps:?}");
    assert_eq!(ended.summary()["lines"], 10_000);
}
