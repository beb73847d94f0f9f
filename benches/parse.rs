//! Parser throughput over the 10,000 real combined lines of `../shared/data/apache_logs`.
//!
//! `cargo bench --bench parse` reports lines/s (criterion's Throughput::Elements): `parse` is
//! [`LogFormat::parse_line`] alone, `parse_stage` the whole stage a file's batches go through.
//!
//! The machine is shared, so wall-clock figures swing with the load. The `parse_cpu_time` group
//! measures the benchmark thread's own on-CPU time instead (Linux `/proc/thread-self/schedstat`),
//! which is what "lines per second on one core" means when other processes compete for the cores.
#![allow(clippy::unwrap_used)] // test and bench code: a panic is how a failure is reported

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kinetop::enrich::{MetadataTable, SharedTable};
use kinetop::parse::{LogFormat, Preset};
use kinetop::pipeline::LineParser;
use kinetop::source::{Payload, RawBatch};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");
const METADATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/apache_logs_metadata.csv"
);
/// The file source reads in chunks of this size; the parse stage gets one batch per chunk.
const CHUNK: usize = 512 * 1024;

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
    report_load(&lines, &combined);
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

    // The same work timed by on-CPU time of this thread, when the kernel reports it.
    if thread_cpu_time().is_some() {
        let mut cpu = c.benchmark_group("parse_cpu_time");
        cpu.throughput(Throughput::Elements(lines.len() as u64));
        cpu.bench_function("combined_lenient", |b| {
            b.iter_custom(|iterations| {
                let start = thread_cpu_time().expect("schedstat");
                for _ in 0..iterations {
                    for line in &lines {
                        let _ = black_box(combined.parse_line(black_box(line)));
                    }
                }
                thread_cpu_time().expect("schedstat") - start
            })
        });
        cpu.bench_function("combined_D_lenient", |b| {
            b.iter_custom(|iterations| {
                let start = thread_cpu_time().expect("schedstat");
                for _ in 0..iterations {
                    for line in &with_latency {
                        let _ = black_box(combined_d.parse_line(black_box(line)));
                    }
                }
                thread_cpu_time().expect("schedstat") - start
            })
        });
        cpu.finish();
    }

    let mut detect = c.benchmark_group("detect");
    detect.throughput(Throughput::Elements(100));
    detect.bench_function("first_100_lines", |b| {
        b.iter(|| LogFormat::detect(lines[..100].iter().copied()))
    });
    detect.finish();
}

/// Time this thread has spent on a CPU (first field of `/proc/thread-self/schedstat`, in ns).
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
    // A kernel without schedstats reports 0: unusable.
    (nanos > 0).then(|| Duration::from_nanos(nanos))
}

/// Wall-clock and on-CPU time of one pass, printed once for the record.
fn report_load(lines: &[&[u8]], format: &LogFormat) {
    let (wall, cpu) = (Instant::now(), thread_cpu_time());
    for line in lines {
        let _ = black_box(format.parse_line(line));
    }
    if let (Some(start), Some(end)) = (cpu, thread_cpu_time()) {
        eprintln!(
            "one pass over {} lines: {:?} wall, {:?} on CPU",
            lines.len(),
            wall.elapsed(),
            end - start
        );
    }
}

/// The whole parse stage (split, parse, canonical client, metadata lookup, copy into the batch
/// arena) over the file cut into file-source-sized batches, as `kinetop` runs it on a file.
fn parse_stage(c: &mut Criterion) {
    let data = std::fs::read(DATA).unwrap_or_else(|e| panic!("{DATA}: {e}"));
    let csv = std::fs::read(METADATA).unwrap_or_else(|e| panic!("{METADATA}: {e}"));
    let table = MetadataTable::from_csv(&csv, METADATA).expect("fixture metadata");
    let line_count = lines(&data).len() as u64;
    let mut group = c.benchmark_group("parse_stage");
    group.throughput(Throughput::Elements(line_count));
    // The real file (IPv4 callers, already canonical), then the same lines with IPv6 callers
    // spelled in several ways (upper case, leading zeros, uncompressed).
    // Last, the real file as the TUI's parser reads it: also copying each line's user agent
    // and referer (headless runs do not).
    for (name, text, agents) in [
        ("apache_logs_batches", data.clone(), false),
        ("apache_logs_ipv6_batches", with_ipv6_clients(&data), false),
        ("apache_logs_batches_with_agents", data.clone(), true),
    ] {
        let batches = batches(&text);
        let mut parser = LineParser::new(
            Some(LogFormat::preset(Preset::Combined)),
            SharedTable::new(table.clone()),
        )
        .with_agents(agents);
        group.bench_function(name, |b| {
            b.iter(|| {
                batches
                    .iter()
                    .map(|batch| parser.parse_batch(black_box(batch)).parsed)
                    .sum::<u64>()
            })
        });
    }
    group.finish();
}

/// `text` cut at line ends into batches of about [`CHUNK`] bytes.
fn batches(text: &[u8]) -> Vec<RawBatch> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let cut = match rest.get(CHUNK..) {
            Some(after) => {
                CHUNK
                    + after
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(after.len(), |i| i + 1)
            }
            None => rest.len(),
        };
        out.push(RawBatch {
            origin: "apache_logs".into(),
            first_line: 1,
            received_ms: 0,
            payload: Payload::Lines(rest[..cut].to_vec()),
        });
        rest = &rest[cut..];
    }
    out
}

/// Every line's IPv4 client `a.b.c.d` replaced by an IPv6 address, spelled in turn compressed,
/// upper case and uncompressed with leading zeros.
fn with_ipv6_clients(text: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(text).expect("UTF-8 sample");
    let mut out = String::with_capacity(text.len() * 2);
    for (i, line) in text.lines().enumerate() {
        let (client, rest) = line.split_once(' ').unwrap_or((line, ""));
        let octets: Vec<u16> = client.split('.').filter_map(|o| o.parse().ok()).collect();
        let [a, b, c, d] = octets[..] else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let (hi, lo) = (a << 8 | b, c << 8 | d);
        let spelled = match i % 3 {
            0 => format!("2001:db8::{hi:x}:{lo:x}"),
            1 => format!("2001:DB8::{hi:X}:{lo:X}"),
            _ => format!("2001:0db8:0000:0000:0000:0000:{hi:04x}:{lo:04x}"),
        };
        out.push_str(&spelled);
        out.push(' ');
        out.push_str(rest);
        out.push('\n');
    }
    out.into_bytes()
}

criterion_group!(benches, parse, parse_stage);
criterion_main!(benches);
