//! Event-time tumbling windows: `record(hit)` and `advance(watermark)`, time passed in.

use std::collections::VecDeque;
use std::sync::Arc;

use super::app_names::AppNames;
use super::hashing::KeyHasher;
use super::history::History;
pub use super::window::AgentHashes;
use super::window::OpenWindow;
use super::{Hit, WindowSummary};

/// How windows are cut and how much is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowConfig {
    /// Tumbling window width in seconds (> 0).
    pub width_secs: i64,
    /// How long after a window's end events may still arrive, in seconds.
    pub lateness_secs: i64,
    /// How many of the newest final windows are kept in full detail (time travel, sparklines).
    pub history: usize,
    /// Bytes for older final windows, kept compact (no top paths or callers); see
    /// [`crate::core::history`]. 0: none.
    pub history_bytes: usize,
    /// How many top paths / callers are reported per application and window.
    pub top_k: usize,
    /// How many callers are reported for the `unknown` application (its drill-down lists them).
    pub top_k_unknown: usize,
    /// At most this many windows are open at once (memory bound whatever the lateness and the
    /// input); see [`Aggregator::closed_early`].
    pub max_open: usize,
    /// At most this many (window, application) accumulators are open at once, beyond the two
    /// newest windows; see [`MAX_OPEN_APP_WINDOWS`].
    pub max_open_apps: usize,
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
            history_bytes: 0,
            top_k: 20,
            top_k_unknown: 200,
            max_open: MAX_OPEN_WINDOWS,
            max_open_apps: MAX_OPEN_APP_WINDOWS,
            external_watermark: false,
        }
    }
}

/// Open windows kept at most (per width): with a long lateness and hits scattered over years, the
/// oldest open window is finalized early rather than memory growing with every window.
pub const MAX_OPEN_WINDOWS: usize = 256;

/// (window, application) accumulators kept open at most (per width), each a few KB (up to ~20 KB
/// when busy: bounded top-k tables and histograms). Past it the oldest open window is finalized
/// early, but never one of the two newest: those are the traffic of now.
pub const MAX_OPEN_APP_WINDOWS: usize = 16_384;

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
/// the final windows kept for display are bounded by count and bytes ([`History`]). Final windows wait in a queue for
/// [`Aggregator::take_final`]; the pipeline drains it after every batch.
#[derive(Debug)]
pub struct Aggregator {
    config: WindowConfig,
    /// Application names, one allocation each for every window.
    names: AppNames,
    /// Open windows, ascending by start.
    open: VecDeque<OpenWindow>,
    /// Final windows kept for display, oldest first.
    history: History,
    /// Final windows not yet collected by [`Aggregator::take_final`].
    pending: Vec<Arc<WindowSummary>>,
    watermark: Option<i64>,
    /// Newest event time recorded (for display; with an external watermark it may run ahead).
    newest: Option<i64>,
    /// After [`Aggregator::flush`]: windows starting before this are final whatever the watermark.
    flushed_until: i64,
    late: u64,
    closed_early: u64,
    /// Accumulators in the open windows (the sum of their `app_count`).
    open_apps: usize,
    /// Hits recorded into a window, and how many of them opened a new (window, application)
    /// accumulator: what a width costs against what it aggregates.
    accepted: u64,
    opened: u64,
    /// Whether final windows' mergeable state is kept for [`Aggregator::take_final_partials`].
    export_partials: bool,
    pending_partials: Vec<Vec<crate::core::merge::AppPartial>>,
}

/// The keys of a hit's tables and sets: its client's and its path's [`KeyHasher`] hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HitHashes {
    pub client: u64,
    pub path: u64,
    pub agents: AgentHashes,
}

impl HitHashes {
    #[inline]
    pub fn of(hit: &Hit<'_>) -> Self {
        HitHashes {
            client: KeyHasher.hash(hit.client),
            path: KeyHasher.hash(hit.path),
            agents: AgentHashes::of(hit),
        }
    }
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
            history: History::new(config.history, config.history_bytes),
            config,
            names: AppNames::default(),
            open: VecDeque::new(),
            pending: Vec::new(),
            watermark: None,
            newest: None,
            flushed_until: i64::MIN,
            late: 0,
            closed_early: 0,
            open_apps: 0,
            accepted: 0,
            opened: 0,
            export_partials: false,
            pending_partials: Vec::new(),
        }
    }

    /// Keeps the mergeable state of every final window with requests (a relay publishes it).
    pub fn export_partials(&mut self, on: bool) {
        self.export_partials = on;
    }

    /// The mergeable state of the windows that became final since the last call (with
    /// [`Aggregator::export_partials`]), one list per window, oldest first.
    pub fn take_final_partials(&mut self) -> Vec<Vec<crate::core::merge::AppPartial>> {
        std::mem::take(&mut self.pending_partials)
    }

    /// A final window made elsewhere (merged from relays' records): reported and kept like the
    /// aggregator's own.
    pub fn push_final(&mut self, window: WindowSummary) {
        let window = Arc::new(window);
        self.pending.push(Arc::clone(&window));
        self.history.push(window);
    }

    /// Every window ending at or before this is final: the watermark closed it, or a flush did.
    pub fn final_until(&self) -> Option<i64> {
        let closed = self
            .newest_closed_start()
            .map(|s| s.saturating_add(self.config.width_secs));
        let flushed = (self.flushed_until > i64::MIN).then_some(self.flushed_until);
        closed.max(flushed)
    }

    /// The configuration in effect.
    pub fn config(&self) -> &WindowConfig {
        &self.config
    }

    /// Adds one hit; may make older windows final (collect them with [`Aggregator::take_final`]).
    #[inline]
    pub fn record(&mut self, hit: &Hit<'_>) -> Recorded {
        let hashes = HitHashes::of(hit);
        self.record_hashed(hit, hashes)
    }

    /// [`Aggregator::record`] with the hit's hashes made once for every width it is recorded in.
    #[inline]
    pub fn record_hashed(&mut self, hit: &Hit<'_>, hashes: HitHashes) -> Recorded {
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
        let Some(i) = self.open_window(start) else {
            self.late += 1;
            return Recorded::Late;
        };
        let window = &mut self.open[i];
        let apps = window.app_count();
        window.record_named(hit, &hashes, &self.config, &mut self.names);
        self.accepted += 1;
        if window.app_count() > apps {
            self.opened += 1;
            self.open_apps += 1;
            if self.open_apps > self.config.max_open_apps && self.open.len() > 2 && i > 0 {
                self.close_oldest_early();
            }
        }
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

    /// (window, application) accumulators open now.
    pub fn open_apps(&self) -> usize {
        self.open_apps
    }

    /// Hits recorded into a window so far, and how many of them opened a new (window,
    /// application) accumulator.
    pub fn accepted_and_opened(&self) -> (u64, u64) {
        (self.accepted, self.opened)
    }

    /// Hits counted as late so far.
    pub fn late(&self) -> u64 {
        self.late
    }

    /// Windows finalized before the watermark reached them because [`WindowConfig::max_open`]
    /// were open: hits for them (or older) that come later are late.
    pub fn closed_early(&self) -> u64 {
        self.closed_early
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

    /// Start of the oldest window kept in full detail (older kept ones have no paths or callers).
    pub fn detail_from(&self) -> Option<i64> {
        self.history.detail_from()
    }

    /// Final windows given up to stay within the history budget.
    pub fn history_dropped(&self) -> u64 {
        self.history.dropped()
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
        self.open_apps = self.open_apps.saturating_sub(window.app_count());
        let summary = Arc::new(window.summarize(true, &self.config));
        if summary.apps.is_empty() {
            return;
        }
        if self.export_partials {
            self.pending_partials.push(window.partials());
        }
        self.pending.push(Arc::clone(&summary));
        self.history.push(summary);
    }

    /// Index of the open window starting at `start`, created in order if needed. Most hits go
    /// to the newest window, so the search runs from the back. With [`WindowConfig::max_open`]
    /// windows open, the oldest is finalized to make room; `None` when the new window would be
    /// older than every open one (it counts as closed early too: windows stay final in order).
    #[inline]
    fn open_window(&mut self, start: i64) -> Option<usize> {
        let mut at = self.open.len();
        while at > 0 {
            let w = &self.open[at - 1];
            if w.start == start {
                return Some(at - 1);
            }
            if w.start < start {
                break;
            }
            at -= 1;
        }
        if self.open.len() >= self.config.max_open.max(1) {
            if at == 0 {
                return None;
            }
            self.close_oldest_early();
            at -= 1;
        }
        let end = start.saturating_add(self.config.width_secs);
        self.open.insert(at, OpenWindow::new(start, end));
        Some(at)
    }

    #[cold]
    fn close_oldest_early(&mut self) {
        if let Some(window) = self.open.pop_front() {
            self.flushed_until = self.flushed_until.max(window.end);
            self.closed_early += 1;
            self.finalize(window);
        }
    }
}

#[cfg(test)]
mod tests;
