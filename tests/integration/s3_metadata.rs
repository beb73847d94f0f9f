//! The metadata object in S3 (moto): conditional GETs, changes picked up by the background
//! refresh, and failures (missing key or bucket, S3 unreachable) told apart and survived.

use crate::support;

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use kinetop::enrich::metadata::s3::{S3Error, S3Fetch, S3Location, S3MetadataFetcher};
use kinetop::enrich::metadata::{self, MetadataFetcher, MetadataLocation};
use kinetop::enrich::{MetadataTable, SharedTable};
use kinetop::pipeline::snapshot::MetadataStatus;
use support::*;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &str) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .expect("PutObject");
}

async fn bucket_with(client: &aws_sdk_s3::Client, key: &str, body: &str) -> String {
    let bucket = unique("meta");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("CreateBucket");
    put(client, &bucket, key, body).await;
    bucket
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_then_not_modified_then_the_change() {
    let emu = Emulator::moto();
    let client = s3_client(&emu.endpoint()).await;
    let v1 = "host,application,contact\n10.0.0.0/8,billing,ops@example.com\n";
    let bucket = bucket_with(&client, "hosts.csv", v1).await;

    let location = S3Location {
        bucket: bucket.clone(),
        key: "hosts.csv".into(),
    };
    let fetcher = S3MetadataFetcher::new(client.clone(), location);
    let S3Fetch::Changed {
        body,
        etag,
        last_modified_ms,
    } = fetcher.fetch(None).await.unwrap()
    else {
        panic!("first fetch returns the content")
    };
    assert_eq!(body, v1.as_bytes());
    assert!(last_modified_ms.is_some());
    let etag = etag.expect("an ETag");

    assert_eq!(
        fetcher.fetch(Some(&etag)).await.unwrap(),
        S3Fetch::NotModified
    );
    assert_eq!(
        fetcher.fetch(Some(&etag)).await.unwrap(),
        S3Fetch::NotModified
    );

    let v2 = "host,application,contact\n10.0.0.0/8,payments,pay@example.com\n";
    put(&client, &bucket, "hosts.csv", v2).await;
    let S3Fetch::Changed {
        body, etag: etag2, ..
    } = fetcher.fetch(Some(&etag)).await.unwrap()
    else {
        panic!("a changed object is fetched again")
    };
    assert_eq!(body, v2.as_bytes());
    let etag2 = etag2.unwrap();
    assert_ne!(etag, etag2);
    assert_eq!(
        fetcher.fetch(Some(&etag2)).await.unwrap(),
        S3Fetch::NotModified
    );

    // Through the metadata trait: the ETag is the version.
    let as_trait: &dyn MetadataFetcher = &fetcher;
    assert_eq!(as_trait.origin(), format!("s3://{bucket}/hosts.csv"));
    assert_eq!(
        as_trait.fetch(Some(&etag2)).await.unwrap(),
        metadata::Fetched::NotModified
    );
    let metadata::Fetched::Content { bytes, version } = as_trait.fetch(Some(&etag)).await.unwrap()
    else {
        panic!("changed since the old version")
    };
    assert_eq!(
        (bytes.as_slice(), version.as_str()),
        (v2.as_bytes(), etag2.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_key_bucket_and_unreachable_endpoint_are_told_apart() {
    let emu = Emulator::moto();
    let client = s3_client(&emu.endpoint()).await;
    let bucket = bucket_with(&client, "hosts.csv", "host,application\n").await;

    let missing_key = S3MetadataFetcher::new(
        client.clone(),
        S3Location {
            bucket: bucket.clone(),
            key: "nope.csv".into(),
        },
    );
    let err = missing_key.fetch(None).await.unwrap_err();
    assert_eq!(
        err,
        S3Error::NoSuchKey {
            location: format!("s3://{bucket}/nope.csv")
        }
    );
    assert_eq!(
        err.to_string(),
        format!("s3://{bucket}/nope.csv: no such key")
    );

    let missing_bucket = S3MetadataFetcher::new(
        client.clone(),
        S3Location {
            bucket: "no-such-bucket".into(),
            key: "k".into(),
        },
    );
    assert!(matches!(
        missing_bucket.fetch(None).await.unwrap_err(),
        S3Error::NoSuchBucket { .. }
    ));

    // Nothing listens on this port.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let unreachable = S3MetadataFetcher::new(
        s3_client(&closed).await,
        S3Location {
            bucket,
            key: "k".into(),
        },
    );
    let err = unreachable.fetch(None).await.unwrap_err();
    assert!(matches!(err, S3Error::Unreachable { .. }), "{err:?}");
    assert!(err.is_transient());
    // Named with the endpoint once the fetcher knows it.
    let err = unreachable
        .clone()
        .at_endpoint(Some(&closed))
        .fetch(None)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with(&format!("/k: connection refused by {closed}")),
        "{err}"
    );

    // At start (metadata::load) such an error is fatal for the caller and names the location.
    let location = MetadataLocation::parse(&format!("s3://{}/nope.csv", "no-such-bucket")).unwrap();
    let fetcher = S3MetadataFetcher::for_location(&location, &client).unwrap();
    let err = metadata::load(&*fetcher, &metadata::system_clock())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("s3://no-such-bucket/nope.csv")
            && err.to_string().contains("no such bucket"),
        "{err}"
    );
}

async fn wait_for(
    status: &mut watch::Receiver<MetadataStatus>,
    what: &str,
    done: impl Fn(&MetadataStatus) -> bool,
) -> MetadataStatus {
    let result = tokio::time::timeout(Duration::from_secs(20), status.wait_for(|s| done(s)))
        .await
        .map(|r| r.map(|s| s.clone()));
    match result {
        Ok(Ok(s)) => s,
        _ => panic!("timed out waiting for {what}: {:?}", status.borrow().error),
    }
}

fn app(table: &MetadataTable, client: &str) -> String {
    table.name(table.lookup(client)).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_follows_changes_in_s3_and_survives_s3_going_away() {
    let mut emu = Emulator::moto();
    let client = s3_client(&emu.endpoint()).await;
    let bucket = bucket_with(&client, "hosts.csv", "host,application\n10.0.0.0/8,corp\n").await;
    let location = MetadataLocation::parse(&format!("s3://{bucket}/hosts.csv")).unwrap();
    let s3 = S3MetadataFetcher::for_location(&location, &client);
    let fetcher = metadata::fetcher_for(&location, s3).unwrap();
    let clock = metadata::system_clock();
    let loaded = metadata::load(&*fetcher, &clock).await.unwrap();
    let shared = SharedTable::new(MetadataTable::empty());
    let cancel = CancellationToken::new();
    let (mut status, task) = metadata::spawn_refresh(
        fetcher.clone(),
        loaded,
        shared.clone(),
        Duration::from_millis(100),
        clock,
        cancel.clone(),
    );
    assert_eq!(app(&shared.current(), "10.1.2.3"), "corp");

    // A new object: later lookups use the new mapping.
    put(
        &client,
        &bucket,
        "hosts.csv",
        "host,application\n10.0.0.0/8,corp\n10.1.0.0/16,checkout\n",
    )
    .await;
    wait_for(&mut status, "the new table", |_| {
        app(&shared.current(), "10.1.2.3") == "checkout"
    })
    .await;
    assert_eq!(app(&shared.current(), "10.2.0.1"), "corp");

    // S3 goes away: the error shows, the last good table stays.
    emu.stop();
    let s = wait_for(&mut status, "the outage", |s| s.error.is_some()).await;
    let error = s.error.as_deref().unwrap();
    assert!(
        error.contains(": connection refused by ") && error.contains(": retrying in "),
        "{error}"
    );
    assert_eq!(app(&shared.current(), "10.1.2.3"), "checkout");

    // It comes back (moto keeps nothing on restart: the object is put again) and the error clears.
    emu.restart();
    let client = s3_client(&emu.endpoint()).await;
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    put(
        &client,
        &bucket,
        "hosts.csv",
        "host,application\n10.1.0.0/16,checkout\n10.2.0.0/16,search\n",
    )
    .await;
    let s = wait_for(&mut status, "recovery", |s| s.error.is_none()).await;
    assert_eq!(s.error, None);
    wait_for(&mut status, "the table after recovery", |_| {
        app(&shared.current(), "10.2.0.1") == "search"
    })
    .await;
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}
