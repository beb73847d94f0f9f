//! Resharding and enhanced fan-out against kinesis-local (the emulator that ends closed shards
//! with ChildShards and supports UpdateShardCount and SubscribeToShard).

use crate::support;
use kinetop::source::status::PartState;

use std::time::Duration;

use aws_sdk_kinesis::types::ScalingType;
use kinetop::source::kinesis::KinesisSource;
use support::*;

async fn open_shards(client: &aws_sdk_kinesis::Client, stream: &str) -> usize {
    let out = client
        .list_shards()
        .stream_name(stream)
        .send()
        .await
        .unwrap();
    out.shards()
        .iter()
        .filter(|s| {
            s.sequence_number_range()
                .and_then(|r| r.ending_sequence_number())
                .is_none()
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resharding_mid_read_loses_and_repeats_nothing() {
    let emu = Emulator::kinesis_local();
    let client = kinesis_client(&emu.endpoint()).await;
    let stream = unique("reshard");
    create_stream(&client, &stream, 2).await;
    let before = tagged("before", 200);
    put_records(&client, &stream, before.clone()).await;

    let mut running = Running::start(KinesisSource::new(
        sdk_api(&emu.endpoint()).await,
        kinesis_options(&stream),
    ));
    assert!(
        running
            .wait_for(Duration::from_secs(30), |c| c.records.len() >= 200)
            .await
    );

    // 2 → 4 shards while reading; then write more, which lands in the children.
    client
        .update_shard_count()
        .stream_name(&stream)
        .target_shard_count(4)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .expect("UpdateShardCount");
    wait_active(&client, &stream).await;
    assert_eq!(open_shards(&client, &stream).await, 4);
    let after = tagged("after", 300);
    put_records(&client, &stream, after.clone()).await;

    assert!(
        running
            .wait_for(Duration::from_secs(60), |c| c.records.len() >= 500)
            .await,
        "only {} of 500 records",
        running.got.records.len()
    );
    // Every open shard at its tip, with the parents finished.
    assert!(
        running
            .wait_for(Duration::from_secs(30), |c| c.last_status().is_some_and(
                |s| s.parts == 4
                    && s.details
                        .iter()
                        .filter(|d| d.state == PartState::Finished)
                        .count()
                        == 2
            ))
            .await,
        "{:?}",
        running.got.last_status()
    );
    running.settle(Duration::from_secs(1)).await;
    let (got, result) = running.stop().await;
    result.unwrap();
    let mut expected = before;
    expected.extend(after);
    got.assert_exactly(&expected);
    got.assert_no_duplicates();
    // Records written after the reshard came from the children only.
    let status = got.last_status().unwrap();
    let parents: Vec<&str> = status
        .details
        .iter()
        .filter(|d| d.state == PartState::Finished)
        .map(|d| d.name.as_str())
        .collect();
    for (shard, r) in &got.records {
        if r.data.starts_with(b"after") {
            assert!(
                !parents.contains(&shard.as_str()),
                "{shard} is a closed parent"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn until_caught_up_finishes_after_draining_closed_shards() {
    let emu = Emulator::kinesis_local();
    let client = kinesis_client(&emu.endpoint()).await;
    let stream = unique("drain");
    create_stream(&client, &stream, 1).await;
    let first = tagged("one", 150);
    put_records(&client, &stream, first.clone()).await;
    let shard = client
        .list_shards()
        .stream_name(&stream)
        .send()
        .await
        .unwrap()
        .shards()[0]
        .clone();
    client
        .split_shard()
        .stream_name(&stream)
        .shard_to_split(shard.shard_id())
        .new_starting_hash_key("170141183460469231731687303715884105728")
        .send()
        .await
        .expect("SplitShard");
    wait_active(&client, &stream).await;
    let second = tagged("two", 150);
    put_records(&client, &stream, second.clone()).await;

    let mut options = kinesis_options(&stream);
    options.until_caught_up = true;
    let mut running = Running::start(KinesisSource::new(sdk_api(&emu.endpoint()).await, options));
    assert!(
        running
            .wait_for(Duration::from_secs(60), |c| c.finished)
            .await,
        "never caught up"
    );
    let (got, result) = running.stop().await;
    result.unwrap();
    let mut expected = first;
    expected.extend(second);
    got.assert_exactly(&expected);
    got.assert_no_duplicates();
    let status = got.last_status().unwrap();
    assert_eq!(status.parts, 2, "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enhanced_fan_out_renews_subscriptions_without_gaps() {
    let emu = Emulator::kinesis_local();
    let client = kinesis_client(&emu.endpoint()).await;
    let stream = unique("efo");
    create_stream(&client, &stream, 2).await;
    let first = tagged("first", 100);
    put_records(&client, &stream, first.clone()).await;

    let mut options = kinesis_options(&stream);
    options.consumer = Some(unique("kinetop"));
    // Renew every 2 s (the service ends subscriptions after 5 minutes) to exercise renewal.
    options.tuning.subscription_renewal = Duration::from_secs(2);
    let consumer = options.consumer.clone().unwrap();
    let mut running = Running::start(KinesisSource::new(sdk_api(&emu.endpoint()).await, options));
    assert!(
        running
            .wait_for(Duration::from_secs(30), |c| c.records.len() >= 100)
            .await,
        "fan-out read nothing"
    );
    let mut expected = first;
    // Writes spread over several renewals.
    for round in 0..4 {
        let batch = tagged(&format!("round{round}"), 50);
        expected.extend(batch.clone());
        put_records(&client, &stream, batch).await;
        tokio::time::sleep(Duration::from_millis(900)).await;
    }
    let total = expected.len();
    assert!(
        running
            .wait_for(Duration::from_secs(30), |c| c.records.len() >= total)
            .await,
        "only {} of {total}",
        running.got.records.len()
    );
    running.settle(Duration::from_secs(2)).await;
    let (got, result) = running.stop().await;
    result.unwrap();
    got.assert_exactly(&expected);
    got.assert_no_duplicates();
    let status = got.last_status().unwrap();
    assert_eq!(status.problem, None, "fan-out in use, no fallback");
    // The consumer was registered on the stream.
    let arn = client
        .describe_stream_summary()
        .stream_name(&stream)
        .send()
        .await
        .unwrap()
        .stream_description_summary()
        .unwrap()
        .stream_arn()
        .to_string();
    let c = client
        .describe_stream_consumer()
        .stream_arn(arn)
        .consumer_name(&consumer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.consumer_description().unwrap().consumer_status().as_str(),
        "ACTIVE"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enhanced_fan_out_follows_a_split_to_the_children() {
    let emu = Emulator::kinesis_local();
    let client = kinesis_client(&emu.endpoint()).await;
    let stream = unique("efo-split");
    create_stream(&client, &stream, 1).await;
    let before = tagged("before", 100);
    put_records(&client, &stream, before.clone()).await;

    let mut options = kinesis_options(&stream);
    options.consumer = Some(unique("kinetop"));
    let mut running = Running::start(KinesisSource::new(sdk_api(&emu.endpoint()).await, options));
    assert!(
        running
            .wait_for(Duration::from_secs(30), |c| c.records.len() >= 100)
            .await
    );

    let shard = client
        .list_shards()
        .stream_name(&stream)
        .send()
        .await
        .unwrap()
        .shards()[0]
        .clone();
    client
        .split_shard()
        .stream_name(&stream)
        .shard_to_split(shard.shard_id())
        .new_starting_hash_key("170141183460469231731687303715884105728")
        .send()
        .await
        .expect("SplitShard");
    wait_active(&client, &stream).await;
    let after = tagged("after", 200);
    put_records(&client, &stream, after.clone()).await;
    assert!(
        running
            .wait_for(Duration::from_secs(60), |c| c.records.len() >= 300)
            .await,
        "only {} of 300: {:?}",
        running.got.records.len(),
        running.got.last_status()
    );
    assert!(
        running
            .wait_for(Duration::from_secs(20), |c| c.last_status().is_some_and(
                |s| s.parts == 2
                    && s.details
                        .iter()
                        .any(|d| d.name == shard.shard_id() && d.state == PartState::Finished)
            ))
            .await,
        "{:?}",
        running.got.last_status()
    );
    running.settle(Duration::from_secs(1)).await;
    let (got, result) = running.stop().await;
    result.unwrap();
    let mut expected = before;
    expected.extend(after);
    got.assert_exactly(&expected);
    got.assert_no_duplicates();
    assert_eq!(got.last_status().unwrap().problem, None);
}
