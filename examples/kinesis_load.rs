//! Load tool for the Kinesis benchmark (`benches/kinesis_load.sh`), written with the bare SDK:
//!
//! - `kinesis_load create ENDPOINT STREAM SHARDS`: create a stream and wait until it is ACTIVE;
//! - `kinesis_load put ENDPOINT STREAM LINES FILE [PER_RECORD]`: put LINES log lines (FILE cycled),
//!   PER_RECORD lines per record (default 1), with 4 concurrent PutRecords writers;
//! - `kinesis_load drain ENDPOINT STREAM`: read every shard from TRIM_HORIZON concurrently with
//!   GetRecords until each is at its tip, and print records, lines and seconds — the baseline
//!   kinetop is compared with.
//!
//! Credentials come from the environment (`AWS_ACCESS_KEY_ID=test` … for emulators).
#![allow(clippy::unwrap_used)] // test and bench code: a panic is how a failure is reported

use std::time::{Duration, Instant};

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType};
use aws_sdk_kinesis::Client;
use kinetop::aws::AwsOptions;

async fn client(endpoint: &str) -> Client {
    let opts = AwsOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(endpoint.to_string()),
        ..AwsOptions::default()
    };
    kinetop::aws::kinesis_client(&opts).await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: kinesis_load create|put|drain ENDPOINT STREAM …";
    let (cmd, endpoint, stream) = match args.as_slice() {
        [c, e, s, ..] => (c.as_str(), e.as_str(), s.as_str()),
        _ => anyhow::bail!(usage),
    };
    let client = client(endpoint).await;
    match cmd {
        "create" => {
            let shards: i32 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(4);
            client
                .create_stream()
                .stream_name(stream)
                .shard_count(shards)
                .send()
                .await?;
            for _ in 0..600 {
                let d = client
                    .describe_stream_summary()
                    .stream_name(stream)
                    .send()
                    .await?;
                if d.stream_description_summary()
                    .map(|s| s.stream_status().as_str())
                    == Some("ACTIVE")
                {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            anyhow::bail!("stream {stream} not ACTIVE")
        }
        "put" => {
            let lines: usize = args.get(3).ok_or_else(|| anyhow::anyhow!(usage))?.parse()?;
            let file = args.get(4).ok_or_else(|| anyhow::anyhow!(usage))?;
            let per_record: usize = args
                .get(5)
                .map(|s| s.parse())
                .transpose()?
                .unwrap_or(1)
                .max(1);
            let text = std::fs::read(file)?;
            let source: Vec<&[u8]> = text
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .collect();
            let records: Vec<Vec<u8>> = (0..lines)
                .collect::<Vec<_>>()
                .chunks(per_record)
                .map(|idx| {
                    let mut r = Vec::new();
                    for &i in idx {
                        r.extend_from_slice(source[i % source.len()]);
                        r.push(b'\n');
                    }
                    r
                })
                .collect();
            let started = Instant::now();
            let writers = 4;
            let chunk = records.len().div_ceil(writers);
            let mut tasks = Vec::new();
            for (w, part) in records.chunks(chunk.max(1)).enumerate() {
                let (client, stream, part) = (client.clone(), stream.to_string(), part.to_vec());
                tasks.push(tokio::spawn(async move {
                    put_all(&client, &stream, w, part).await
                }));
            }
            for t in tasks {
                t.await??;
            }
            eprintln!(
                "put {} records ({lines} lines) in {:.2}s",
                records.len(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        "drain" => {
            let started = Instant::now();
            let shards = client.list_shards().stream_name(stream).send().await?;
            let mut tasks = Vec::new();
            for shard in shards.shards() {
                let (client, stream, id) = (
                    client.clone(),
                    stream.to_string(),
                    shard.shard_id().to_string(),
                );
                tasks.push(tokio::spawn(async move {
                    drain_shard(&client, &stream, &id).await
                }));
            }
            let (mut records, mut lines) = (0u64, 0u64);
            for t in tasks {
                let (r, l) = t.await??;
                records += r;
                lines += l;
            }
            println!("{records} {lines} {:.3}", started.elapsed().as_secs_f64());
            Ok(())
        }
        _ => anyhow::bail!(usage),
    }
}

async fn put_all(
    client: &Client,
    stream: &str,
    writer: usize,
    records: Vec<Vec<u8>>,
) -> anyhow::Result<()> {
    let mut pending: Vec<(String, Vec<u8>)> = records
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("w{writer}-{i}"), r))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(600);
    while !pending.is_empty() {
        anyhow::ensure!(Instant::now() < deadline, "PutRecords kept failing");
        let batch: Vec<(String, Vec<u8>)> = pending.drain(..pending.len().min(500)).collect();
        let entries = batch
            .iter()
            .map(|(k, d)| {
                PutRecordsRequestEntry::builder()
                    .partition_key(k)
                    .data(Blob::new(d.clone()))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        match client
            .put_records()
            .stream_name(stream)
            .set_records(Some(entries))
            .send()
            .await
        {
            Ok(out) => {
                for (entry, result) in batch.into_iter().zip(out.records()) {
                    if result.error_code().is_some() {
                        pending.push(entry);
                    }
                }
            }
            Err(e) => {
                eprintln!("PutRecords: {e}; retrying");
                pending.extend(batch);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    Ok(())
}

/// Reads a shard to its tip as fast as the service allows; returns (records, lines).
async fn drain_shard(client: &Client, stream: &str, shard: &str) -> anyhow::Result<(u64, u64)> {
    let mut iterator = client
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await?
        .shard_iterator()
        .map(str::to_string);
    let (mut records, mut lines) = (0u64, 0u64);
    while let Some(it) = iterator {
        let out = client
            .get_records()
            .shard_iterator(it)
            .limit(10_000)
            .send()
            .await?;
        records += out.records().len() as u64;
        lines += out
            .records()
            .iter()
            .map(|r| r.data().as_ref().iter().filter(|&&b| b == b'\n').count() as u64)
            .sum::<u64>();
        if out.records().is_empty() && out.millis_behind_latest().unwrap_or(0) == 0 {
            break;
        }
        iterator = out.next_shard_iterator().map(str::to_string);
    }
    Ok((records, lines))
}
