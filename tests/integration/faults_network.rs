//! Network faults are said within seconds, retried with backoff, and never hold a run hostage:
//! an endpoint that accepts and never answers, a closed port. Headless, each change of state is
//! one line on standard error, at most one per source per 10 s; SIGINT still ends the run at
//! once with the summary.

use std::time::Duration;

use crate::support::binary::Kinetop;
use crate::support::loopback::{closed_port, HungServer};

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
