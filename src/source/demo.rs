//! The built-in demo: realistic traffic from several applications.
//!
//! [`DemoGenerator`] is pure (seeded, time passed in); [`DemoSource`] runs it against the wall
//! clock: first it back-fills the kept history with past events, so charts are full at once, then
//! it streams live, one batch about every 100 ms.

mod catalog;
mod generator;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

pub use generator::{DemoConfig, DemoGenerator, Incident, ERROR_APP, FLOOD_APP, SLOW_APP};

use super::{Payload, RawBatch, Source, SourceEvent, SourceSender};
use crate::pipeline::snapshot::SourceStatus;

/// The demo's host metadata (`assets/demo-metadata.csv`): used when the demo runs without
/// `--metadata`, so its callers have names.
pub const DEMO_METADATA: &str = include_str!("../../assets/demo-metadata.csv");
/// Where [`DEMO_METADATA`] comes from, for messages and the status bar.
pub const DEMO_METADATA_ORIGIN: &str = "assets/demo-metadata.csv (built in)";

/// The most history the demo back-fills, whatever it is asked for.
pub const MAX_BACKFILL: Duration = Duration::from_secs(2 * 3600);
/// The most lines the back-fill generates: beyond this it covers less time.
pub const MAX_BACKFILL_LINES: f64 = 500_000.0;
/// Event time covered by one back-fill batch.
const BACKFILL_BATCH_MS: i64 = 10_000;

/// The demo as a [`Source`]: origin `demo`.
pub struct DemoSource {
    generator: DemoGenerator,
    backfill: Duration,
    tick: Duration,
    origin: Arc<str>,
}

impl DemoSource {
    /// A demo that first back-fills `backfill` of history (capped by [`MAX_BACKFILL`] and
    /// [`MAX_BACKFILL_LINES`]), then streams live.
    pub fn new(config: DemoConfig, backfill: Duration) -> Self {
        DemoSource {
            generator: DemoGenerator::new(config),
            backfill,
            tick: Duration::from_millis(100),
            origin: Arc::from("demo"),
        }
    }

    /// How often live batches are sent (default 100 ms).
    pub fn with_tick(mut self, tick: Duration) -> Self {
        self.tick = tick.max(Duration::from_millis(1));
        self
    }

    /// Where the back-fill starts for a run starting at `now_ms`: `backfill` ago, capped so it
    /// generates no more than [`MAX_BACKFILL_LINES`] lines.
    pub fn backfill_start(&self, now_ms: i64) -> i64 {
        let wanted = self.backfill.min(MAX_BACKFILL).as_millis() as i64;
        let mut start = now_ms - wanted;
        if self.generator.expected_lines(start, now_ms) > MAX_BACKFILL_LINES {
            // Walk back from now a minute at a time until the budget is spent.
            let mut lines = 0.0;
            start = now_ms;
            while start > now_ms - wanted {
                let step = self.generator.expected_lines(start - 60_000, start);
                if lines + step > MAX_BACKFILL_LINES {
                    break;
                }
                lines += step;
                start -= 60_000;
            }
        }
        start
    }

    fn batch(&self, payload: Vec<u8>) -> SourceEvent {
        SourceEvent::Batch(RawBatch {
            origin: self.origin.clone(),
            first_line: 0,
            received_ms: crate::clock::now_ms(),
            payload: Payload::Lines(payload),
        })
    }

    fn status(&self, records_per_sec: f64) -> SourceEvent {
        SourceEvent::Status(SourceStatus {
            name: "demo".into(),
            parts: 1,
            lag_ms: Some(0),
            records_per_sec,
            problem: None,
            details: Vec::new(),
        })
    }

    async fn stream(mut self, out: SourceSender, cancel: CancellationToken) -> anyhow::Result<()> {
        let now = crate::clock::now_ms();
        let mut generated_to = self.backfill_start(now);
        if !send(&out, &cancel, self.status(0.0)).await {
            return Ok(());
        }
        tracing::info!(from_ms = generated_to, to_ms = now, "demo back-fill");
        while generated_to < now {
            let end = (generated_to + BACKFILL_BATCH_MS).min(now);
            let mut lines = Vec::with_capacity(256 * 1024);
            self.generator.lines_between(generated_to, end, &mut lines);
            generated_to = end;
            if !send(&out, &cancel, self.batch(lines)).await {
                return Ok(());
            }
        }

        let mut ticker = tokio::time::interval(self.tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut second_start = now;
        let mut lines_this_second = 0usize;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = ticker.tick() => {}
            }
            let now = crate::clock::now_ms();
            if now <= generated_to {
                continue; // the clock stood still or stepped back: wait for it
            }
            let mut lines = Vec::with_capacity(64 * 1024);
            lines_this_second += self.generator.lines_between(generated_to, now, &mut lines);
            generated_to = now;
            if !lines.is_empty() && !send(&out, &cancel, self.batch(lines)).await {
                return Ok(());
            }
            if now - second_start >= 1000 {
                let rate = lines_this_second as f64 * 1000.0 / (now - second_start) as f64;
                if !send(&out, &cancel, self.status(rate)).await {
                    return Ok(());
                }
                second_start = now;
                lines_this_second = 0;
            }
        }
    }
}

/// Sends unless cancelled; `false` when the run should end (cancelled or nobody listening).
async fn send(out: &SourceSender, cancel: &CancellationToken, event: SourceEvent) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => false,
        sent = out.send(event) => sent.is_ok(),
    }
}

impl Source for DemoSource {
    fn describe(&self) -> String {
        "demo".into()
    }

    fn run(
        self: Box<Self>,
        out: SourceSender,
        cancel: CancellationToken,
    ) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(self.stream(out, cancel))
    }
}
