//! The polling consumer against kinesalite (the fastest emulator): many shards, many producers,
//! throttling and expired iterators through the fault layer, and the endpoint going away.

use crate::support;
use kinetop::source::status::PartState;

use std::sync::Arc;
use std::time::Duration;

use kinetop::source::kinesis::api::Position;
use kinetop::source::kinesis::faults::{Call, Fault, FaultyKinesis};
use kinetop::source::kinesis::KinesisSource;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_every_shard_while_several_producers_write() {
    let emu = Emulator::kinesalite();
    let client = kinesis_client(&emu.endpoint()).await;
    let stream = unique("multi");
    create_stream(&client, &stream, 4).await;
    // Some records before the reader starts, most while it reads.
    let early = tagged("early", 300);
    put_records(&client, &stream, early.clone()).await;

    let mut running = Running::start(KinesisSource::new(
        sdk_api(&emu.endpoint()).await,
        kinesis_options(&stream),
    ));
    let mut expected = early;
    let mut producers = Vec::new();
    for p in 0..4 {
        let records = tagged(&format!("producer{p}"), 1500);
        expected.extend(records.clone());
        let (client, stream) = (client.clone(), stream.clone());
        producers.push(tokio::spawn(async move {
            for chunk in records.chunks(250) {
                put_records(&client, &stream, chunk.to_vec()).await;
            }
        }));
    }
    for p in producers {
        p.await.unwrap();
    }
    let total = expected.len();
    assert!(
        running
            .wait_for(Duration::from_secs(60), |c| c.records.len() >= total)
            .await,
        "only {} of {total} records",
        running.got.records.len()
    );
    // Nothing more may come, and an idle stream produces watermarks.
    let watermarks_before = running.got.watermarks;
    running.settle(Duration::from_secs(2)).await;
    let (got, result) = running.stop().await;
    result.unwrap();
    got.assert_exactly(&expected);
    got.assert_no_duplicates();
    assert!(
        got.watermarks > watermarks_before,
        "no watermark while idle"
    );
    let status = got.last_status().unwrap();
    assert_eq!(status.name, format!("kinesis:{stream}"));
    assert_eq!(status.parts, 4);
    assert_eq!(status.problem, None);
    assert_eq!(status.lag_ms, Some(0));
    assert_eq!(status.details.len(), 4);
    assert_eq!(
        status.details.iter().map(|d| d.records).sum::<u64>(),
        total as u64
    );
    assert!(
        status
            .details
            .iter()
            .all(|d| d.records > 0 && d.state == PartState::CaughtUp),
        "{:?}",
        status.details
    );
    let shards: std::collections::HashSet<&str> =
        got.records.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(shards.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_expired_iterators_lose_and_repeat_nothing() {
    let emu = Emulator::kinesalite();
    let client = kinesis_client(&emu.endpoint()).await;
    let stream = unique("faults");
    create_stream(&client, &stream, 2).await;
    let expected = tagged("r", 2000);
    put_records(&client, &stream, expected.clone()).await;

    let faulty = FaultyKinesis::new(sdk_api(&emu.endpoint()).await);
    faulty.inject(Call::GetRecords, 3, 4, Fault::Throttle);
    faulty.inject(Call::GetRecords, 9, 1, Fault::ExpireIterator);
    faulty.inject(Call::GetRecords, 14, 1, Fault::ExpireIterator);
    faulty.inject(Call::GetRecords, 17, 2, Fault::Network);
    let mut options = kinesis_options(&stream);
    options.until_caught_up = true;
    options.tuning.limit = 100; // many calls per shard
    options.tuning.busy_interval = Duration::from_millis(20);
    let mut running = Running::start(KinesisSource::new(faulty.clone() as Arc<_>, options));
    assert!(
        running
            .wait_for(Duration::from_secs(60), |c| c.finished)
            .await,
        "not caught up"
    );
    let (got, result) = running.stop().await;
    result.unwrap();
    got.assert_exactly(&expected);
    got.assert_no_duplicates();
    assert_eq!(faulty.injected(Call::GetRecords), 8);
    let problems = got.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("throttled on shardId-") && p.contains(": retrying in ")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("kinesis: connection refused (injected): retrying in ")),
        "{problems:?}"
    );
    assert_eq!(got.last_status().unwrap().problem, None, "recovered");
    // Expired iterators were renewed right after the last record handed over.
    let renewals: Vec<_> = faulty
        .iterator_requests()
        .into_iter()
        .filter(|(_, p)| matches!(p, Position::AfterSequence(_)))
        .collect();
    assert_eq!(renewals.len(), 2, "{renewals:?}");
    for (shard, p) in renewals {
        let Position::AfterSequence(seq) = p else {
            unreachable!()
        };
        assert!(got
            .records
            .iter()
            .any(|(s, r)| *s == shard && r.sequence_number == seq));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_going_away_and_coming_back_is_survived() {
    let mut emu = Emulator::kinesalite_persistent();
    let client = kinesis_client(&emu.endpoint()).await;
    let stream = unique("restart");
    create_stream(&client, &stream, 2).await;
    let first = tagged("before", 400);
    put_records(&client, &stream, first.clone()).await;

    let mut running = Running::start(KinesisSource::new(
        sdk_api(&emu.endpoint()).await,
        kinesis_options(&stream),
    ));
    assert!(
        running
            .wait_for(Duration::from_secs(30), |c| c.records.len() >= 400)
            .await
    );
    emu.stop();
    // The outage names the endpoint, the next try and the last success.
    let refused = format!(
        "kinesis: connection refused by {}: retrying in ",
        emu.endpoint()
    );
    assert!(
        running
            .wait_for(Duration::from_secs(30), |c| c.problems().iter().any(|p| p
                .starts_with(&refused)
                && p.contains("try, last success ")))
            .await,
        "the outage is shown: {:?}",
        running.got.problems()
    );
    emu.restart();
    let second = tagged("after", 600);
    put_records(&client, &stream, second.clone()).await;
    assert!(
        running
            .wait_for(Duration::from_secs(60), |c| c.records.len() >= 1000)
            .await,
        "only {} records after the restart",
        running.got.records.len()
    );
    assert!(
        running
            .wait_for(Duration::from_secs(15), |c| c
                .last_status()
                .is_some_and(|s| s.problem.is_none()))
            .await,
        "the problem clears"
    );
    let (got, result) = running.stop().await;
    result.unwrap();
    let mut expected = first;
    expected.extend(second);
    got.assert_exactly(&expected);
    got.assert_no_duplicates();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_skips_older_records_and_a_missing_consumer_falls_back_to_polling() {
    let emu = Emulator::kinesalite();
    let client = kinesis_client(&emu.endpoint()).await;
    let stream = unique("latest");
    create_stream(&client, &stream, 2).await;
    put_records(&client, &stream, tagged("old", 100)).await;

    let mut options = kinesis_options(&stream);
    options.from = Position::Latest;
    // kinesalite has no enhanced fan-out: the consumer cannot be registered.
    options.consumer = Some("kinetop-test".into());
    let mut running = Running::start(KinesisSource::new(sdk_api(&emu.endpoint()).await, options));
    // Once both shards have been polled at LATEST, new records are read.
    assert!(
        running
            .wait_for(Duration::from_secs(30), |c| c
                .last_status()
                .is_some_and(|s| s.details.len() == 2
                    && s.details.iter().all(|d| d.state == PartState::CaughtUp)))
            .await
    );
    let new = tagged("new", 200);
    put_records(&client, &stream, new.clone()).await;
    assert!(
        running
            .wait_for(Duration::from_secs(30), |c| c.records.len() >= 200)
            .await
    );
    running.settle(Duration::from_millis(800)).await;
    let (got, result) = running.stop().await;
    result.unwrap();
    got.assert_exactly(&new);
    let problem = got
        .last_status()
        .unwrap()
        .problem
        .clone()
        .unwrap_or_default();
    assert!(
        problem.contains("enhanced fan-out as consumer kinetop-test unavailable")
            && problem.contains("polling"),
        "{problem}"
    );
}

/// `--from latest`, and the first iterator expires before any record came: the renewal reads from
/// the moment the shard was opened, so what arrived in between is not skipped by a new LATEST.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_renewed_before_the_first_record_skips_nothing() {
    let emu = Emulator::kinesalite();
    let client = kinesis_client(&emu.endpoint()).await;
    let stream = unique("latest-renew");
    create_stream(&client, &stream, 1).await;
    put_records(&client, &stream, tagged("old", 50)).await;
    // Older than the renewal's clock margin: still skipped.
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    let faulty = FaultyKinesis::new(sdk_api(&emu.endpoint()).await);
    // The first GetRecords calls fail (network: the iterator is kept and retried with backoff,
    // ~1.5 s or more in all), then the iterator has expired.
    faulty.inject(Call::GetRecords, 1, 5, Fault::Network);
    faulty.inject(Call::GetRecords, 6, 1, Fault::ExpireIterator);
    let mut options = kinesis_options(&stream);
    options.from = Position::Latest;
    let mut running = Running::start(KinesisSource::new(faulty.clone() as Arc<_>, options));
    let opened = tokio::time::timeout(Duration::from_secs(30), async {
        while faulty.iterator_requests().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(opened.is_ok(), "the shard was never opened");
    // Written after the shard was opened at LATEST, before its first record was read.
    let new = tagged("new", 100);
    put_records(&client, &stream, new.clone()).await;
    assert!(
        faulty.injected(Call::GetRecords) < 6,
        "the put came after the renewal: the test proves nothing"
    );
    assert!(
        running
            .wait_for(Duration::from_secs(30), |c| c.records.len() >= 100)
            .await,
        "records written before the renewal were skipped"
    );
    running.settle(Duration::from_millis(800)).await;
    let (got, result) = running.stop().await;
    result.unwrap();
    got.assert_exactly(&new);
    got.assert_no_duplicates();
    let requests = faulty.iterator_requests();
    assert_eq!(requests[0].1, Position::Latest);
    assert!(
        matches!(requests[1].1, Position::AtTimestamp(_)),
        "renewed at {:?}",
        requests[1].1
    );
}
