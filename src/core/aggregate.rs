//! Event-time tumbling windows: `record(hit)` and `advance(watermark)`, time passed in.

use std::collections::VecDeque;
use std::sync::Arc;

use super::hashing::KeyHasher;
use super::window::OpenWindow;
use super::{Hit, WindowSummary};

/// How windows are cut and how much is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowConfig {
    /// Tumbling window width in seconds (> 0).
    pub width_secs: i64,
    /// How long after a window's end events may still arrive, in seconds.
    pub lateness_secs: i64,
    /// How many final windows are kept for history (time travel, sparklines, alarms).
    pub history: usize,
    /// How many top paths / callers are reported per application and window.
    pub top_k: usize,
    /// How many callers are reported for the `unknown` application (its drill-down lists them).
    pub top_k_unknown: usize,
    /// Whether only [`Aggregator::advance`] moves the watermark. The pipeline sets this when it
    /// reads several inputs at once (shards, files): one input running ahead in event time must
    /// not make the others' events late, so it advances to the slowest active input's time.
    pub external_watermark: bool,
}

impl Default for WindowConfig {
    fn default() -> Self {
        WindowConfig {
            width_secs: 300,
            lateness_secs: 60,
            history: 48,
            top_k: 20,
            top_k_unknown: 200,
            external_watermark: false,
        }
    }
}

/// What happened to a recorded hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Accepted,
    /// Its window was already final: counted in `late`, not in any window.
    Late,
}

/// Owns all window state. A window `[start, start + width)` with `start = floor(t / width) * width`
/// becomes final when the newest event time seen (or the watermark passed to [`Aggregator::advance`])
/// reaches `end + lateness`.
///
/// Memory is bounded whatever the input: the open windows are those within `width + lateness` of
/// the watermark (at most `lateness / width + 2`), each holds bounded top-k tables and a bounded
/// host counter per application, a final window keeps only its summary, and at most
/// `config.history` final windows are kept. Final windows wait in a queue for
/// [`Aggregator::take_final`]; the pipeline drains it after every batch.
#[derive(Debug)]
pub struct Aggregator {
    config: WindowConfig,
    hasher: KeyHasher,
    /// Open windows, ascending by start.
    open: VecDeque<OpenWindow>,
    /// Final windows, oldest first, at most `config.history`.
    history: VecDeque<Arc<WindowSummary>>,
    /// Final windows not yet collected by [`Aggregator::take_final`].
    pending: Vec<Arc<WindowSummary>>,
    watermark: Option<i64>,
    /// Newest event time recorded (for display; with an external watermark it may run ahead).
    newest: Option<i64>,
    /// After [`Aggregator::flush`]: windows starting before this are final whatever the watermark.
    flushed_until: i64,
    late: u64,
}

/// Start of the window holding `t`: `floor(t / width) * width`, also for negative `t`.
pub fn window_start(t: i64, width_secs: i64) -> i64 {
    // Saturates for the few times near i64::MIN whose window start is not representable.
    t.div_euclid(width_secs).saturating_mul(width_secs)
}

impl Aggregator {
    /// A `width_secs` below 1 is taken as 1 and a negative lateness as 0 (see [`Aggregator::config`]).
    pub fn new(config: WindowConfig) -> Self {
        let config = WindowConfig {
            width_secs: config.width_secs.max(1),
            lateness_secs: config.lateness_secs.max(0),
            ..config
        };
        Aggregator {
            config,
            hasher: KeyHasher,
            open: VecDeque::new(),
            history: VecDeque::new(),
            pending: Vec::new(),
            watermark: None,
            newest: None,
            flushed_until: i64::MIN,
            late: 0,
        }
    }

    /// The configuration in effect.
    pub fn config(&self) -> &WindowConfig {
        &self.config
    }

    /// Adds one hit; may make older windows final (collect them with [`Aggregator::take_final`]).
    #[inline]
    pub fn record(&mut self, hit: &Hit<'_>) -> Recorded {
        if self.newest.is_none_or(|n| hit.time > n) {
            self.newest = Some(hit.time);
        }
        if !self.config.external_watermark && self.watermark.is_none_or(|w| hit.time > w) {
            self.set_watermark(hit.time);
        }
        let start = window_start(hit.time, self.config.width_secs);
        if self.is_final(start) {
            self.late += 1;
            return Recorded::Late;
        }
        let client_hash = self.hasher.hash(hit.client);
        let path_hash = self.hasher.hash(hit.path);
        let i = self.open_window(start);
        self.open[i].record(hit, client_hash, path_hash, &self.config);
        Recorded::Accepted
    }

    /// Moves event time forward without a hit (idle live sources): windows whose end + lateness
    /// is at or before `watermark` become final.
    pub fn advance(&mut self, watermark: i64) {
        if self.watermark.is_none_or(|w| watermark > w) {
            self.set_watermark(watermark);
        }
    }

    /// Makes every open window final (end of finite input). Hits for those windows or earlier
    /// ones are late from now on.
    pub fn flush(&mut self) {
        if let Some(last) = self.open.back() {
            self.flushed_until = self.flushed_until.max(last.end);
        }
        while let Some(window) = self.open.pop_front() {
            self.finalize(window);
        }
    }

    /// Windows that became final since the last call, oldest first. Windows without any request
    /// are not reported.
    pub fn take_final(&mut self) -> Vec<Arc<WindowSummary>> {
        std::mem::take(&mut self.pending)
    }

    /// Hits counted as late so far.
    pub fn late(&self) -> u64 {
        self.late
    }

    /// The event time windows are closed by: the newest event time seen (or, with an external
    /// watermark, the time last advanced to).
    pub fn watermark(&self) -> Option<i64> {
        self.watermark
    }

    /// The start of the newest window the watermark has closed, whether or not anything arrived
    /// in it: windows without requests are never reported, but time passed them all the same.
    pub fn newest_closed_start(&self) -> Option<i64> {
        let w = self.config.width_secs;
        let last_closing = self
            .watermark?
            .saturating_sub(self.config.lateness_secs)
            .saturating_sub(w);
        Some(window_start(last_closing, w))
    }

    /// The newest event time recorded.
    pub fn newest_event(&self) -> Option<i64> {
        self.newest
    }

    /// The kept history (final windows, oldest first) followed by the open windows summarized now
    /// (`is_final == false`). Final windows are shared, not copied.
    pub fn windows(&self) -> Vec<Arc<WindowSummary>> {
        self.history
            .iter()
            .cloned()
            .chain(
                self.open
                    .iter()
                    .map(|w| Arc::new(w.summarize(false, &self.config))),
            )
            .collect()
    }

    /// Whether the window starting at `start` is final: `end + lateness <= watermark`, or flushed.
    fn is_final(&self, start: i64) -> bool {
        let closes_at = start
            .saturating_add(self.config.width_secs)
            .saturating_add(self.config.lateness_secs);
        start < self.flushed_until || self.watermark.is_some_and(|w| closes_at <= w)
    }

    #[cold]
    fn set_watermark(&mut self, watermark: i64) {
        self.watermark = Some(watermark);
        while self.open.front().is_some_and(|w| self.is_final(w.start)) {
            let window = self.open.pop_front().expect("front exists");
            self.finalize(window);
        }
    }

    fn finalize(&mut self, window: OpenWindow) {
        let summary = Arc::new(window.summarize(true, &self.config));
        if summary.apps.is_empty() {
            return;
        }
        self.pending.push(Arc::clone(&summary));
        if self.config.history > 0 {
            if self.history.len() == self.config.history {
                self.history.pop_front();
            }
            self.history.push_back(summary);
        }
    }

    /// Index of the open window starting at `start`, created in order if needed. Most hits go
    /// to the newest window, so the search runs from the back.
    #[inline]
    fn open_window(&mut self, start: i64) -> usize {
        let mut at = self.open.len();
        while at > 0 {
            let w = &self.open[at - 1];
            if w.start == start {
                return at - 1;
            }
            if w.start < start {
                break;
            }
            at -= 1;
        }
        let end = start.saturating_add(self.config.width_secs);
        self.open.insert(at, OpenWindow::new(start, end));
        at
    }
}

#[cfg(test)]
mod tests;
