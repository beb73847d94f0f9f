//! Event-time tumbling windows: `record(hit)` and `advance(watermark)`, time passed in.

use std::sync::Arc;

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
}

impl Default for WindowConfig {
    fn default() -> Self {
        WindowConfig {
            width_secs: 300,
            lateness_secs: 60,
            history: 48,
            top_k: 20,
            top_k_unknown: 200,
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
#[derive(Debug)]
pub struct Aggregator {
    _todo: (),
}

impl Aggregator {
    pub fn new(config: WindowConfig) -> Self {
        let _ = config;
        todo!()
    }

    pub fn config(&self) -> &WindowConfig {
        todo!()
    }

    /// Adds one hit; may make older windows final (collect them with [`Aggregator::take_final`]).
    pub fn record(&mut self, hit: &Hit<'_>) -> Recorded {
        let _ = hit;
        todo!()
    }

    /// Moves event time forward without a hit (idle live sources): windows whose end + lateness
    /// is at or before `watermark` become final.
    pub fn advance(&mut self, watermark: i64) {
        let _ = watermark;
        todo!()
    }

    /// Makes every open window final (end of finite input).
    pub fn flush(&mut self) {
        todo!()
    }

    /// Windows that became final since the last call, oldest first. Windows without any request
    /// are not reported.
    pub fn take_final(&mut self) -> Vec<Arc<WindowSummary>> {
        todo!()
    }

    /// Hits counted as late so far.
    pub fn late(&self) -> u64 {
        todo!()
    }

    /// Newest event time seen or advanced to.
    pub fn watermark(&self) -> Option<i64> {
        todo!()
    }

    /// The kept history (final windows, oldest first) followed by the open windows summarized now
    /// (`is_final == false`). Final windows are shared, not copied.
    pub fn windows(&self) -> Vec<Arc<WindowSummary>> {
        todo!()
    }
}
