//! Parser throughput over the 10,000 real combined lines of `../shared/data/apache_logs`.
//!
//! `cargo bench --bench parse` reports lines/s (criterion's Throughput::Elements).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kinetop::parse::{LogFormat, Preset};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");

fn lines(data: &[u8]) -> Vec<&[u8]> {
    data.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

fn parse(c: &mut Criterion) {
    let data = std::fs::read(DATA).unwrap_or_else(|e| panic!("{DATA}: {e}"));
    let lines = lines(&data);
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(lines.len() as u64));

    let combined = LogFormat::preset(Preset::Combined);
    group.bench_function("combined_lenient", |b| {
        b.iter(|| {
            let mut parsed = 0u64;
            for line in &lines {
                if let Ok(l) = combined.parse_line(black_box(line)) {
                    parsed += u64::from(l.status.unwrap_or(0) > 0);
                }
            }
            parsed
        })
    });
    group.bench_function("combined_strict", |b| {
        b.iter(|| {
            lines
                .iter()
                .filter(|line| combined.parse_line_strict(black_box(line)).is_ok())
                .count()
        })
    });

    // The same lines with a %D field appended, parsed as combined_D.
    let with_latency: Vec<Vec<u8>> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let mut l = line.to_vec();
            l.extend_from_slice(format!(" {}", 1000 + i * 37).as_bytes());
            l
        })
        .collect();
    let combined_d = LogFormat::preset(Preset::CombinedD);
    group.bench_function("combined_D_lenient", |b| {
        b.iter(|| {
            with_latency
                .iter()
                .filter(|line| combined_d.parse_line(black_box(line)).is_ok())
                .count()
        })
    });

    let common = LogFormat::preset(Preset::Common);
    group.bench_function("common_lenient_on_combined_lines", |b| {
        b.iter(|| {
            lines
                .iter()
                .filter(|line| common.parse_line(black_box(line)).is_ok())
                .count()
        })
    });
    group.finish();

    let mut detect = c.benchmark_group("detect");
    detect.throughput(Throughput::Elements(100));
    detect.bench_function("first_100_lines", |b| {
        b.iter(|| LogFormat::detect(lines[..100].iter().copied()))
    });
    detect.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
