//! Fetching the metadata object from S3 (moto): conditional GETs, changes, and failures.

mod support;

use aws_sdk_s3::primitives::ByteStream;
use kinetop::s3_metadata::{S3Error, S3Fetch, S3Location, S3MetadataFetcher};
use support::*;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_then_not_modified_then_the_change() {
    let emu = Emulator::moto();
    let client = s3_client(&emu.endpoint()).await;
    let bucket = unique("meta");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("CreateBucket");
    let v1 = "host,application,contact\n10.0.0.0/8,billing,ops@example.com\n";
    put(&client, &bucket, "hosts.csv", v1).await;

    let location = S3Location {
        bucket: bucket.clone(),
        key: "hosts.csv".into(),
    };
    let mut fetcher = S3MetadataFetcher::new(client.clone(), location);
    let S3Fetch::Changed {
        body,
        etag,
        last_modified_ms,
    } = fetcher.fetch().await.unwrap()
    else {
        panic!("first fetch returns the content")
    };
    assert_eq!(body, v1.as_bytes());
    assert!(etag.is_some() && last_modified_ms.is_some());
    assert_eq!(fetcher.etag(), etag.as_deref());

    assert_eq!(fetcher.fetch().await.unwrap(), S3Fetch::NotModified);
    assert_eq!(fetcher.fetch().await.unwrap(), S3Fetch::NotModified);

    let v2 = "host,application,contact\n10.0.0.0/8,payments,pay@example.com\n";
    put(&client, &bucket, "hosts.csv", v2).await;
    let S3Fetch::Changed {
        body, etag: etag2, ..
    } = fetcher.fetch().await.unwrap()
    else {
        panic!("a changed object is fetched again")
    };
    assert_eq!(body, v2.as_bytes());
    assert_ne!(etag, etag2);
    assert_eq!(fetcher.fetch().await.unwrap(), S3Fetch::NotModified);

    // After forgetting the ETag the content comes again, unchanged.
    fetcher.forget();
    assert!(matches!(
        fetcher.fetch().await.unwrap(),
        S3Fetch::Changed { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_key_bucket_and_unreachable_endpoint_are_told_apart() {
    let emu = Emulator::moto();
    let client = s3_client(&emu.endpoint()).await;
    let bucket = unique("meta");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("CreateBucket");

    let mut missing_key = S3MetadataFetcher::new(
        client.clone(),
        S3Location {
            bucket: bucket.clone(),
            key: "nope.csv".into(),
        },
    );
    let err = missing_key.fetch().await.unwrap_err();
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

    let mut missing_bucket = S3MetadataFetcher::new(
        client.clone(),
        S3Location {
            bucket: "no-such-bucket".into(),
            key: "k".into(),
        },
    );
    assert!(matches!(
        missing_bucket.fetch().await.unwrap_err(),
        S3Error::NoSuchBucket { .. }
    ));

    // Nothing listens on this port.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let mut unreachable = S3MetadataFetcher::new(
        s3_client(&closed).await,
        S3Location {
            bucket: bucket.clone(),
            key: "k".into(),
        },
    );
    let err = unreachable.fetch().await.unwrap_err();
    assert!(matches!(err, S3Error::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("cannot reach S3"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_going_away_and_coming_back() {
    let emu = Emulator::moto();
    let client = s3_client(&emu.endpoint()).await;
    let bucket = unique("meta");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("CreateBucket");
    put(
        &client,
        &bucket,
        "hosts.csv",
        "host,application\n10.1.0.0/16,web\n",
    )
    .await;
    let mut fetcher = S3MetadataFetcher::new(
        client.clone(),
        S3Location {
            bucket: bucket.clone(),
            key: "hosts.csv".into(),
        },
    );
    assert!(matches!(
        fetcher.fetch().await.unwrap(),
        S3Fetch::Changed { .. }
    ));
    let mut emu = emu;
    emu.stop();
    assert!(matches!(
        fetcher.fetch().await.unwrap_err(),
        S3Error::Unreachable { .. }
    ));
    // moto keeps its data in memory: after a restart the object is gone, and the fetcher says so.
    emu.restart();
    assert!(matches!(
        fetcher.fetch().await.unwrap_err(),
        S3Error::NoSuchBucket { .. }
    ));
}
