//! A fixed amount of hot-path work, for instruction counts under callgrind: on this shared 2-core
//! machine wall-clock benches swing with the load, instruction counts do not.
//!
//! ```sh
//! cargo build --release --example hot_path
//! valgrind --tool=callgrind --toggle-collect='hot_path::measured_*' \
//!     target/release/examples/hot_path parse_stage
//! ```
//!
//! Modes (the work counted is inside the `measured_*` function of each):
//! - `parse_stage`: the parse stage (decode, parse, enrich, copy into the batch's arena) over the
//!   10,000 lines of `../shared/data/apache_logs`, 20 times in batches of 500 lines;
//! - `aggregate`: one aggregator (5-minute windows) recording 200,000 of those hits at 300/s;
//! - `aggregate_tui`: the same into the five widths the TUI keeps (10s, 1m, 5m, 15m, 1h);
//! - `parse_stage_tui`: `parse_stage` with the raw lines kept, as the TUI's parser does (`r`);
//! - `recent_tui`: the engine taking those lines into its recent-request rings.

use std::hint::black_box;
use std::sync::Arc;

use kinetop::core::{Aggregator, WindowConfig};
use kinetop::enrich::{MetadataTable, SharedTable};
use kinetop::parse::{LogFormat, Preset};
use kinetop::pipeline::{LineParser, ParsedBatch};
use kinetop::source::{Payload, RawBatch};

const LOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");
const METADATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/apache_logs_metadata.csv"
);
const ROUNDS: usize = 20;
const BATCH_LINES: usize = 500;
const HITS: usize = 200_000;

fn batches() -> Vec<RawBatch> {
    let text = std::fs::read(LOG).unwrap_or_else(|e| panic!("{LOG}: {e}"));
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = Vec::new();
    for _ in 0..ROUNDS {
        for chunk in lines.chunks(BATCH_LINES) {
            let mut bytes = Vec::new();
            for line in chunk {
                bytes.extend_from_slice(line);
                bytes.push(b'\n');
            }
            out.push(RawBatch {
                origin: Arc::from("apache_logs"),
                first_line: 1,
                received_ms: 1_700_000_000_000,
                payload: Payload::Lines(bytes),
            });
        }
    }
    out
}

fn parser() -> LineParser {
    let csv = std::fs::read(METADATA).unwrap_or_else(|e| panic!("{METADATA}: {e}"));
    let table = MetadataTable::from_csv(&csv, METADATA).expect("metadata");
    LineParser::new(
        Some(LogFormat::preset(Preset::Combined)),
        SharedTable::new(table),
    )
}

#[inline(never)]
fn measured_parse_stage(parser: &mut LineParser, batches: &[RawBatch]) -> u64 {
    let mut hits = 0;
    for batch in batches {
        let parsed = parser.parse_batch(black_box(batch));
        hits += parsed.hits.len() as u64;
        drop(black_box(parsed));
    }
    hits
}

#[inline(never)]
fn measured_aggregate(aggregators: &mut [Aggregator], parsed: &[ParsedBatch]) -> u64 {
    let mut i = 0i64;
    let mut accepted = 0;
    'all: for batch in parsed {
        let mut done = false;
        batch.for_each_hit(|hit| {
            if done {
                return;
            }
            // 300 hits per second from a fixed start: windows fill as on a busy server.
            let hit = kinetop::core::Hit {
                time: 1_700_000_000 + i / 300,
                ..*hit
            };
            for a in aggregators.iter_mut() {
                accepted += u64::from(a.record(&hit) == kinetop::core::Recorded::Accepted);
            }
            i += 1;
            done = i as usize >= HITS;
        });
        if done {
            break 'all;
        }
    }
    for a in aggregators.iter_mut() {
        a.flush();
        black_box(a.take_final());
    }
    accepted
}

#[inline(never)]
fn measured_recent(parsed: &[ParsedBatch]) -> usize {
    let mut keeper = kinetop::pipeline::recent::RecentKeeper::default();
    for batch in parsed {
        keeper.take_batch(black_box(batch), Default::default());
        // A snapshot every batch (the TUI's are at most 10 a second): rings shared, then copied.
        black_box(keeper.view());
    }
    keeper.view().values().map(|r| r.len()).sum()
}

fn aggregators(widths: &[i64]) -> Vec<Aggregator> {
    widths
        .iter()
        .map(|&w| {
            Aggregator::new(WindowConfig {
                width_secs: w,
                ..WindowConfig::default()
            })
        })
        .collect()
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let batches = batches();
    match mode.as_str() {
        "parse_stage" | "parse_stage_tui" => {
            let mut parser = parser().with_raw_lines(mode == "parse_stage_tui");
            println!("hits: {}", measured_parse_stage(&mut parser, &batches));
        }
        "recent_tui" => {
            let mut parser = parser().with_raw_lines(true);
            let parsed: Vec<ParsedBatch> = batches.iter().map(|b| parser.parse_batch(b)).collect();
            println!("kept: {}", measured_recent(&parsed));
        }
        "aggregate" | "aggregate_tui" => {
            let mut parser = parser();
            let parsed: Vec<ParsedBatch> = batches.iter().map(|b| parser.parse_batch(b)).collect();
            let widths: &[i64] = if mode == "aggregate" {
                &[300]
            } else {
                &[10, 60, 300, 900, 3600]
            };
            let mut aggregators = aggregators(widths);
            println!(
                "accepted: {}",
                measured_aggregate(&mut aggregators, &parsed)
            );
        }
        _ => {
            eprintln!("usage: hot_path parse_stage | aggregate | aggregate_tui");
            std::process::exit(2);
        }
    }
}
