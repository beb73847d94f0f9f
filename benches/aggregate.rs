//! Aggregator throughput: `record()` over ~1M hits built from the real Apache log in
//! `../shared/data/apache_logs`, repeated with increasing times (so windows open and close as in a
//! live run). The lines are split crudely on spaces here: parsing is benchmarked in `parse`.
//!
//! `cargo bench --bench aggregate -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used)] // test and bench code: a panic is how a failure is reported

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kinetop::core::{Aggregator, Hit, WindowConfig};

const LOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");
const TARGET_HITS: usize = 1_000_000;
/// Applications the hits are spread over, as enrichment would (by client host).
const APPS: [&str; 6] = [
    "checkout", "billing", "search", "static", "unknown", "unknown",
];

struct OwnedHit {
    time: i64,
    application: &'static str,
    client: String,
    method: String,
    path: String,
    status: u16,
    bytes: u64,
    latency_us: Option<u64>,
}

impl OwnedHit {
    fn as_hit(&self) -> Hit<'_> {
        Hit {
            time: self.time,
            application: self.application,
            client: &self.client,
            method: &self.method,
            path: &self.path,
            status: self.status,
            bytes: self.bytes,
            latency_us: self.latency_us,
            user_agent: None,
            referer: None,
        }
    }
}

/// `17/May/2015:10:05:03` (the offsets in this file are all +0000) → epoch seconds.
fn epoch(stamp: &str) -> Option<i64> {
    let month = |m: &str| {
        [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .iter()
        .position(|&n| n == m)
    };
    let mut parts = stamp.split(['/', ':']);
    let day: u8 = parts.next()?.parse().ok()?;
    let month = time::Month::try_from(month(parts.next()?)? as u8 + 1).ok()?;
    let year: i32 = parts.next()?.parse().ok()?;
    let (h, m, s): (u8, u8, u8) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let t = date.with_hms(h, m, s).ok()?.assume_utc();
    Some(t.unix_timestamp())
}

/// Crude combined-format split: `host - - [time zone] "METHOD path proto" status bytes …`.
fn crude_parse(line: &str, index: usize) -> Option<OwnedHit> {
    let f: Vec<&str> = line.split(' ').collect();
    let time = epoch(f.get(3)?.strip_prefix('[')?)?;
    let client = f.first()?.to_string();
    let app = APPS[client.bytes().map(usize::from).sum::<usize>() % APPS.len()];
    let path = f.get(6)?;
    Some(OwnedHit {
        time,
        application: app,
        client,
        method: f.get(5)?.trim_start_matches('"').to_string(),
        path: path.split('?').next().unwrap_or(path).to_string(),
        status: f.get(8)?.parse().ok()?,
        bytes: f.get(9)?.parse().unwrap_or(0),
        // The file has no %D: a spread of synthetic latencies, 100 µs .. ~2 s.
        latency_us: Some(100 + (index as u64 * 7919) % 2_000_000),
    })
}

/// The log repeated until ~1M hits, each repetition shifted after the previous one.
fn hits() -> Vec<OwnedHit> {
    let text = std::fs::read_to_string(LOG).expect("../shared/data/apache_logs");
    let base: Vec<OwnedHit> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| crude_parse(l, i))
        .collect();
    let first = base.iter().map(|h| h.time).min().expect("hits");
    let span = base.iter().map(|h| h.time).max().expect("hits") - first + 1;
    let mut all = Vec::with_capacity(TARGET_HITS);
    for round in 0.. {
        for h in &base {
            if all.len() == TARGET_HITS {
                return all;
            }
            all.push(OwnedHit {
                time: h.time + round * span,
                client: h.client.clone(),
                method: h.method.clone(),
                path: h.path.clone(),
                ..*h
            });
        }
    }
    unreachable!()
}

/// The same hits at 300 per second (a busy server): windows hold ~90,000 hits each.
fn dense(hits: &[OwnedHit]) -> Vec<OwnedHit> {
    let first = hits[0].time;
    hits.iter()
        .enumerate()
        .map(|(i, h)| OwnedHit {
            time: first + i as i64 / 300,
            client: h.client.clone(),
            method: h.method.clone(),
            path: h.path.clone(),
            ..*h
        })
        .collect()
}

fn bench_record(c: &mut Criterion) {
    let replay = hits();
    let dense = dense(&replay);
    let mut group = c.benchmark_group("aggregate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(replay.len() as u64));
    // `replay`: the log's own timestamps (~10 hits per 5-minute window): per-window cost.
    // `dense`: 300 hits/s: per-hit cost.
    for (name, hits) in [
        ("record_1m_replay_5m", &replay),
        ("record_1m_dense_5m", &dense),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || Aggregator::new(WindowConfig::default()),
                |mut agg| {
                    for h in hits {
                        black_box(agg.record(&h.as_hit()));
                    }
                    agg.flush();
                    black_box(agg.take_final())
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bench_record);
criterion_main!(benches);
