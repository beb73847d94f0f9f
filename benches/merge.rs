//! Aggregate records (issue 12): bytes per window per application, and records merged per
//! second by a viewer.
//!
//! `cargo bench --bench merge -- --warm-up-time 1 --measurement-time 3`
//!
//! The record sizes are printed first (they are not timed). The timed part: 4 relays each publish
//! one record for each of 100 applications in a window (30 callers, 40 paths, 500 latencies per
//! application and relay); a viewer decodes the 400 records and merges them into 100 windows.
#![allow(clippy::unwrap_used)] // test and bench code: a panic is how a failure is reported

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kinetop::core::hashing::KeyHasher;
use kinetop::core::merge::record::{
    decode, encode_aggregate, encode_heartbeat, Heartbeat, Record, RelayCounters, RelayStamp,
};
use kinetop::core::merge::viewer::MergedWindows;
use kinetop::core::merge::AppPartial;
use kinetop::core::{Hit, OpenWindow, WindowConfig};

const START: i64 = 1_484_906_700;

/// Hits of one application: `hits` requests from `hosts` hosts over `paths` paths, each with a
/// latency (spread over 100 µs .. ~2 s) when `latencies`.
fn feed(
    window: &mut OpenWindow,
    app: &str,
    seed: u64,
    hits: u64,
    hosts: u64,
    paths: u64,
    latencies: bool,
) {
    let config = WindowConfig::default();
    let h = KeyHasher;
    for i in 0..hits {
        let mix = (i + seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // Skewed: a quarter of the hits go to the first few hosts and paths.
        let host_n = if mix.is_multiple_of(4) {
            mix % 3
        } else {
            (mix >> 8) % hosts
        };
        let path_n = if mix % 4 == 1 {
            mix % 5
        } else {
            (mix >> 16) % paths
        };
        let client = format!(
            "10.{}.{}.{}",
            host_n >> 16,
            (host_n >> 8) & 255,
            host_n & 255
        );
        let path = format!("/api/v1/items/{path_n}");
        let hit = Hit {
            time: START,
            application: app,
            client: &client,
            method: "GET",
            path: &path,
            status: [200, 200, 200, 200, 200, 304, 404, 500][(mix % 8) as usize],
            bytes: mix % 50_000,
            latency_us: latencies.then_some(100 + (mix >> 24) % 2_000_000),
            user_agent: None,
            referer: None,
        };
        window.record(&hit, h.hash(&client), h.hash(&path), &config);
    }
}

fn record_bytes(app: &str, hits: u64, hosts: u64, paths: u64, latencies: bool) -> usize {
    let mut window = OpenWindow::new(START, START + 300);
    feed(&mut window, app, 1, hits, hosts, paths, latencies);
    let partial = window.partials().remove(0);
    let relay = RelayStamp {
        group: 0,
        groups: 1,
        seq: 1,
    };
    encode_aggregate(relay, &partial).unwrap().len()
}

fn print_sizes() {
    println!("bytes per window per application (one aggregate record):");
    for (what, app, hits, hosts, paths, latencies) in [
        ("1 host, 1 path, no latency", "checkout", 50, 1, 1, false),
        ("1 host, 1 path, 50 latencies", "checkout", 50, 1, 1, true),
        (
            "1 host, 20 paths, 3,000 latencies",
            "checkout",
            3_000,
            1,
            20,
            true,
        ),
        (
            "20 hosts, 40 paths, 3,000 latencies",
            "checkout",
            3_000,
            20,
            40,
            true,
        ),
        (
            "200 hosts, 500 paths (full top-k), 30,000 latencies",
            "checkout",
            30_000,
            200,
            500,
            true,
        ),
        (
            "unknown: 2,000 callers (256 sent), 500 paths",
            "unknown",
            30_000,
            2_000,
            500,
            true,
        ),
        (
            "4,000 hosts (exact list)",
            "checkout",
            30_000,
            4_000,
            40,
            true,
        ),
        (
            "20,000 hosts (HLL sketch)",
            "checkout",
            60_000,
            20_000,
            40,
            true,
        ),
    ] {
        println!(
            "  {what:<55} {:>9}",
            record_bytes(app, hits, hosts, paths, latencies)
        );
    }
}

/// The records 4 relays publish for one window of 100 applications.
fn relay_records() -> Vec<Vec<u8>> {
    let mut records = Vec::new();
    for group in 0..4u32 {
        let mut window = OpenWindow::new(START, START + 300);
        for app in 0..100u64 {
            feed(
                &mut window,
                &format!("app-{app:03}"),
                app * 7 + u64::from(group),
                2_000,
                30,
                40,
                true,
            );
        }
        let relay = RelayStamp {
            group,
            groups: 4,
            seq: 1,
        };
        records.extend(
            window
                .partials()
                .iter()
                .map(|p| encode_aggregate(relay, p).unwrap()),
        );
    }
    records
}

fn merge_records(records: &[Vec<u8>]) -> HashMap<(i64, Arc<str>), AppPartial> {
    let mut merged: HashMap<(i64, Arc<str>), AppPartial> = HashMap::new();
    for bytes in records {
        let Ok(Record::Aggregate(r)) = decode(bytes) else {
            panic!("not an aggregate record")
        };
        let key = (r.partial.start, Arc::clone(&r.partial.application));
        match merged.get_mut(&key) {
            Some(m) => m.merge(&r.partial).unwrap(),
            None => {
                merged.insert(key, r.partial);
            }
        }
    }
    merged
}

fn bench_merge(c: &mut Criterion) {
    print_sizes();
    let records = relay_records();
    let total: usize = records.iter().map(Vec::len).sum();
    println!(
        "{} records, {total} bytes, {} bytes each on average",
        records.len(),
        total / records.len()
    );
    let partials: Vec<AppPartial> = records
        .iter()
        .map(|b| match decode(b) {
            Ok(Record::Aggregate(r)) => r.partial,
            _ => panic!("not an aggregate record"),
        })
        .collect();
    let config = WindowConfig::default();
    let mut group = c.benchmark_group("merge");
    group.sample_size(10);
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("decode_and_merge_400_records", |b| {
        b.iter(|| {
            let merged = merge_records(&records);
            black_box(
                merged
                    .values()
                    .map(|p| p.summarize(&config).requests)
                    .sum::<u64>(),
            )
        });
    });
    // The viewer's path: decode, keep the latest per (group, window, application), heartbeats
    // make the window final, merge and summarize (as `kinetop --kinesis AGG` does per record).
    let mut with_beats = records.clone();
    for g in 0..4u32 {
        with_beats.push(
            encode_heartbeat(&Heartbeat {
                relay: RelayStamp {
                    group: g,
                    groups: 4,
                    seq: 2,
                },
                time: START + 400,
                width_s: 300,
                lateness_s: 60,
                final_until: Some(START + 300),
                watermark: Some(START + 360),
                lag_ms: Some(0),
                shards: vec![format!("shardId-{g:012}")],
                counters: RelayCounters::default(),
            })
            .unwrap(),
        );
    }
    group.bench_function("viewer_400_records_to_final_windows", |b| {
        b.iter(|| {
            let mut viewer = MergedWindows::new(config.clone(), &[300]);
            for bytes in &with_beats {
                match decode(bytes).unwrap() {
                    Record::Aggregate(r) => {
                        viewer.add_aggregate(*r);
                    }
                    Record::Heartbeat(h) => viewer.add_heartbeat(&h),
                }
            }
            let finals = viewer.take_final();
            assert_eq!(finals.len(), 1);
            black_box(finals[0].1.requests())
        });
    });
    group.bench_function("merge_400_decoded_partials", |b| {
        b.iter(|| {
            let mut merged: HashMap<Arc<str>, AppPartial> = HashMap::new();
            for p in &partials {
                match merged.get_mut(&p.application) {
                    Some(m) => m.merge(p).unwrap(),
                    None => {
                        merged.insert(Arc::clone(&p.application), p.clone());
                    }
                }
            }
            black_box(merged.len())
        });
    });
    group.bench_function("encode_400_records", |b| {
        let relay = RelayStamp {
            group: 0,
            groups: 4,
            seq: 1,
        };
        b.iter(|| {
            let bytes: usize = partials
                .iter()
                .map(|p| encode_aggregate(relay, p).unwrap().len())
                .sum();
            black_box(bytes)
        });
    });
    group.finish();
}

criterion_group!(benches, bench_merge);
criterion_main!(benches);
