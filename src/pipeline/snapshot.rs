//! The immutable state the UI draws from. The pipeline publishes a new `Arc<Snapshot>` when
//! something changed; the view never computes, it only reads this.

use std::sync::Arc;

use crate::core::alarms::AlarmsView;
use crate::core::WindowSummary;
pub use crate::enrich::metadata::MetadataStatus;
use crate::output::actions::ActionStats;
use crate::pipeline::recent::RecentByApp;
pub use crate::source::status::{PartState, PartStatus, SourceStatus};

/// Line counters since start. `parsed + malformed == lines`; `trailing` lines are among `parsed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Counters {
    /// Non-empty input lines.
    pub lines: u64,
    pub parsed: u64,
    pub malformed: u64,
    /// Parsed lines whose window was already final.
    pub late: u64,
    /// Stream records that could not be decoded (corrupt or unknown payloads). Each such record
    /// also counts as one line and one malformed line, so the summary still adds up.
    pub bad_records: u64,
    /// Parsed lines dated too far ahead of the wall clock (`--max-skew`): refused, in no window.
    pub future: u64,
    /// Windows finalized before their time because too many were open at once (memory bound);
    /// lines for them that come later count as `late`.
    pub closed_early: u64,
    /// Parsed lines with text left after the last field of the format (a second record run onto
    /// the line, junk appended): each counts once in `parsed`, with its first record; the text is
    /// sampled in the malformed view.
    pub trailing: u64,
    /// Parsed lines dated before `--since`: skipped, in no window.
    pub before_since: u64,
    /// Parsed lines dated at or after `--until`: skipped, in no window.
    pub after_until: u64,
}

/// A malformed line or record, kept for the malformed view. `text` is already made safe to show
/// (control characters escaped, truncated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedSample {
    /// Where it came from: `file.log:123`, `shard-000001 seq 4950…`, `demo`.
    pub origin: String,
    pub reason: String,
    pub text: String,
}

/// Everything the UI shows, at one instant.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Increases with every published snapshot.
    pub seq: u64,
    /// Wall clock when this was made (UTC epoch milliseconds).
    pub taken_at_ms: i64,
    /// Window width of `windows`, in seconds.
    pub width_secs: i64,
    /// The widths kept (those `w` offers), ascending; empty: the ones the TUI started with.
    pub widths: Vec<i64>,
    /// Widths given up during the run to bound memory (too many applications), ascending.
    pub widths_given_up: Vec<i64>,
    /// Kept history of windows at that width, oldest first; the last ones may still be open.
    /// Windows before `detail_from` are compact: no top paths or callers.
    pub windows: Vec<Arc<WindowSummary>>,
    /// Start of the oldest window kept in full detail (`None`: all are).
    pub detail_from: Option<i64>,
    /// Final windows given up at this width to stay within the history budget.
    pub history_dropped: u64,
    /// Newest event time seen (UTC epoch seconds).
    pub watermark: Option<i64>,
    pub counters: Counters,
    /// Parsed lines per second recently (event rate as received).
    pub events_per_sec: f64,
    /// Recent malformed samples, newest last, bounded.
    pub malformed: Vec<MalformedSample>,
    pub source: SourceStatus,
    pub metadata: MetadataStatus,
    pub alarms: Arc<AlarmsView>,
    /// What became of alarm actions so far, when rules have actions.
    pub actions: Option<ActionStats>,
    /// Whether the input has ended (finite files).
    pub finished: bool,
    /// Each application's most recent raw requests (TUI only; empty headless).
    pub recent: RecentByApp,
}

/// One status for the status bar out of every source's.
pub fn merge_statuses<'a>(name: &str, all: impl Iterator<Item = &'a SourceStatus>) -> SourceStatus {
    let mut merged = SourceStatus {
        name: name.to_string(),
        ..SourceStatus::default()
    };
    for s in all {
        merged.parts += s.parts;
        merged.lag_ms = match (merged.lag_ms, s.lag_ms) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        merged.records_per_sec += s.records_per_sec;
        if merged.problem.is_none() {
            merged.problem = s.problem.clone();
        }
        merged.details.extend(s.details.iter().cloned());
    }
    merged
}
