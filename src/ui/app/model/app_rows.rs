//! The overview's rows, built when asked for. The overview lists every application of the
//! sparkline's windows, sorted; but a screen shows forty of them. With 100,000 applications,
//! building every row (changes, sparkline, alarm mark, label) was most of the view model's cost,
//! so the list keeps, per row, only where its application is, and [`AppRows::get`] builds the
//! rows that are drawn, exported or opened.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::core::{AppWindow, WindowSummary};
use crate::enrich::UNKNOWN;
use crate::output::sanitize::for_display;
use crate::pipeline::snapshot::Snapshot;
use crate::ui::app::format;
use crate::ui::app::state::Column;

use super::by_name::RowAt;
use super::caller_search::{matching_callers, CallerMatch};
use super::change::{changes, Changes};
use super::widgets::{elapsed, matches_filter, safe, spark_block, spark_level, MAX_TEXT};
use super::Mark;

/// Windows in each application's sparkline.
pub const SPARK_WINDOWS: usize = 12;

/// One application row of the overview, numbers kept for sorting; formatted by [`AppRow::cells`].
#[derive(Debug, Clone, PartialEq)]
pub struct AppRow {
    pub name: Arc<str>,
    /// The name made safe to show: the name itself (shared) unless it needed escaping.
    pub label: Arc<str>,
    pub unknown: bool,
    pub alarm: Mark,
    pub requests: u64,
    pub rate: f64,
    pub bytes: u64,
    pub err_4xx: f64,
    pub err_5xx: f64,
    pub p50: Option<u64>,
    pub p99: Option<u64>,
    pub hosts: u64,
    pub hosts_exact: bool,
    /// Requests over the last windows, drawn as block characters.
    pub spark: Spark,
    /// The caller `/` found when the application's name did not match it.
    pub caller_match: Option<CallerMatch>,
    /// Against the previous window (▲ 12%).
    pub changes: Changes,
}

impl AppRow {
    /// Cells in [`super::OVERVIEW_COLUMNS`] order (the mark column is drawn separately).
    pub fn cells(&self) -> [String; 13] {
        [
            match &self.caller_match {
                Some(m) => caller_hint(&self.label, m),
                None => self.label.to_string(),
            },
            format::count(self.requests),
            format::rate(self.rate),
            self.changes.requests(),
            format::bytes(self.bytes),
            format::percent(self.err_4xx),
            format::percent(self.err_5xx),
            self.changes.err_5xx(),
            self.p50
                .map(format::latency_us)
                .unwrap_or_else(|| "–".into()),
            self.p99
                .map(format::latency_us)
                .unwrap_or_else(|| "–".into()),
            self.changes.p99(),
            format!(
                "{}{}",
                format::count(self.hosts),
                if self.hosts_exact { "" } else { "+" }
            ),
            self.spark.text(),
        ]
    }
}

/// `checkout · caller 10.2.3.4 +2`: the application and the caller that made it match.
pub fn caller_hint(label: &str, m: &CallerMatch) -> String {
    let mut text = format!("{label} · caller {}", safe(&m.host));
    if m.others > 0 {
        text.push_str(&format!(" +{}", m.others));
    }
    text
}

/// The name made safe to show: the name itself (shared) unless it needs escaping.
pub fn label(name: &Arc<str>) -> Arc<str> {
    match for_display(name, MAX_TEXT) {
        Cow::Borrowed(_) => Arc::clone(name),
        Cow::Owned(escaped) => Arc::from(escaped),
    }
}

/// An application's requests over the sparkline's windows, kept as block levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spark {
    levels: [u8; SPARK_WINDOWS],
    len: usize,
}

impl Spark {
    /// The levels of `counts` (the first [`SPARK_WINDOWS`]) against their largest.
    pub fn of(counts: impl Iterator<Item = u64> + Clone) -> Spark {
        let max = counts.clone().take(SPARK_WINDOWS).max().unwrap_or(0);
        let mut spark = Spark::default();
        for (level, v) in spark.levels.iter_mut().zip(counts) {
            *level = spark_level(v, max);
            spark.len += 1;
        }
        spark
    }

    /// `▁▂▃▄▅▆▇█` scaled to the largest count, oldest first; zero is a blank.
    pub fn text(&self) -> String {
        self.levels[..self.len]
            .iter()
            .map(|&l| spark_block(l))
            .collect()
    }
}

/// What the rows are built from: the snapshot, the windows they span, the filter and marks.
#[derive(Clone)]
pub struct RowSource {
    pub snapshot: Arc<Snapshot>,
    /// The window on screen (in `snapshot.windows`).
    pub index: usize,
    /// The sparkline's windows, oldest first, ending with the one on screen; `None` for a time
    /// without traffic.
    pub spark: Vec<Option<usize>>,
    /// The previous window's slot in `spark`, when it had traffic.
    pub before_at: Option<usize>,
    /// The window before the one on screen: `Some(None)` silent, `None` nothing to compare.
    pub previous: Option<Option<usize>>,
    pub marks: HashMap<Arc<str>, Mark>,
    /// The `/` filter, lower case.
    pub filter: String,
}

impl RowSource {
    fn window(&self, slot: usize) -> Option<&WindowSummary> {
        self.spark[slot].map(|i| &*self.snapshot.windows[i])
    }

    fn now_at(&self) -> usize {
        self.spark.len() - 1
    }

    fn app(&self, row: RowAt) -> Option<&AppWindow> {
        self.window(row.slot).and_then(|w| w.apps.get(row.at))
    }

    /// The application of `row`.
    pub fn name(&self, row: RowAt) -> Option<&Arc<str>> {
        self.app(row).map(|a| &a.application)
    }

    /// The application in the window on screen, if it had requests there.
    fn now(&self, row: RowAt) -> Option<&AppWindow> {
        (row.slot == self.now_at()).then(|| self.app(row)).flatten()
    }
}

/// The overview's rows in display order; each built when asked for. A row is where its
/// application is in the sparkline's windows: the window on screen when it had requests there,
/// else the oldest window it had them in.
#[derive(Clone)]
pub struct AppRows {
    source: RowSource,
    rows: Vec<RowAt>,
}

impl AppRows {
    pub fn new(source: RowSource, rows: Vec<RowAt>) -> AppRows {
        AppRows { source, rows }
    }

    /// No rows (before any window exists).
    pub fn none(snapshot: &Arc<Snapshot>) -> AppRows {
        let source = RowSource {
            snapshot: Arc::clone(snapshot),
            index: 0,
            spark: Vec::new(),
            before_at: None,
            previous: None,
            marks: HashMap::new(),
            filter: String::new(),
        };
        AppRows::new(source, Vec::new())
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The application of row `i`.
    pub fn name(&self, i: usize) -> Option<&Arc<str>> {
        self.source.name(*self.rows.get(i)?)
    }

    /// The row of application `name`, if listed.
    pub fn position(&self, name: &str) -> Option<usize> {
        // Where its row points (the window on screen first, else the oldest that has it), then
        // that place among the rows: no string comparison per row.
        let s = &self.source;
        let now_at = s.spark.len().checked_sub(1)?;
        let slots = std::iter::once(now_at).chain(0..now_at);
        let at = slots
            .filter_map(|slot| {
                let at = s.window(slot)?.app_index(name)?;
                Some(RowAt { slot, at })
            })
            .next()?;
        self.rows.iter().position(|r| *r == at)
    }

    /// The unknown application's row (drawn apart).
    pub fn is_unknown(&self, i: usize) -> bool {
        self.name(i).is_some_and(|n| &**n == UNKNOWN)
    }

    /// A row without requests in the window on screen (drawn dim).
    pub fn is_silent(&self, i: usize) -> bool {
        self.rows
            .get(i)
            .is_some_and(|&r| self.source.now(r).is_none_or(|a| a.requests == 0))
    }

    /// Row `i`, built.
    pub fn get(&self, i: usize) -> Option<AppRow> {
        let row = *self.rows.get(i)?;
        let s = &self.source;
        let snapshot = &*s.snapshot;
        let window = &*snapshot.windows[s.index];
        let seen = s.app(row)?;
        let name = &seen.application;
        let found: Vec<Option<&AppWindow>> = (0..s.spark.len())
            .map(|slot| match slot == row.slot {
                true => Some(seen),
                false => s.window(slot).and_then(|w| w.app(name)),
            })
            .collect();
        let now = s.now(row);
        let mut app_row = match now {
            Some(current) => app_row(snapshot, current, window),
            None => AppRow {
                requests: 0,
                bytes: 0,
                rate: 0.0,
                err_4xx: 0.0,
                err_5xx: 0.0,
                p50: None,
                p99: None,
                hosts: 0,
                hosts_exact: true,
                ..app_row(snapshot, seen, window)
            },
        };
        app_row.spark = Spark::of(found.iter().map(|a| a.map_or(0, |a| a.requests)));
        app_row.alarm = s.marks.get(name).copied().unwrap_or_default();
        if !matches_filter(name, &s.filter) {
            app_row.caller_match = now.and_then(|a| matching_callers(a, &s.filter));
        }
        if let Some(previous) = s.previous {
            let before = s.before_at.and_then(|slot| found[slot]);
            let silent;
            let previous = match previous {
                Some(at) => &*snapshot.windows[at],
                None => {
                    silent = WindowSummary::empty(
                        window.start - snapshot.width_secs,
                        snapshot.width_secs,
                        true,
                    );
                    &silent
                }
            };
            app_row.changes = changes(snapshot, window, now, previous, before);
        }
        Some(app_row)
    }

    /// Every row, built, in display order (for export).
    pub fn iter(&self) -> impl Iterator<Item = AppRow> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// The number a row sorts by in `column`: that of its application in the window on screen
/// (`now`), zero when silent there.
pub fn sort_key(now: Option<&AppWindow>, column: Column, elapsed_secs: f64) -> f64 {
    let Some(app) = now else {
        return 0.0;
    };
    match column {
        Column::Requests => app.requests as f64,
        Column::Rate => app.requests as f64 / elapsed_secs,
        Column::Bytes => app.bytes as f64,
        Column::Err4xx => app.error_rate_4xx(),
        Column::Err5xx => app.error_rate_5xx(),
        Column::P50 => app.latency.as_ref().map_or(0, |l| l.p50) as f64,
        Column::P99 => app.latency.as_ref().map_or(0, |l| l.p99) as f64,
        Column::Hosts => app.hosts as f64,
        Column::Name => 0.0,
    }
}

/// Rows compare by what they show: the same snapshot (by identity), windows and rows.
impl PartialEq for AppRows {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.source, &other.source);
        Arc::ptr_eq(&a.snapshot, &b.snapshot)
            && a.index == b.index
            && a.spark == b.spark
            && a.before_at == b.before_at
            && a.previous == b.previous
            && a.marks == b.marks
            && a.filter == b.filter
            && self.rows == other.rows
    }
}

/// The rows' count and window, not the snapshot they come from (100,000 applications).
impl fmt::Debug for AppRows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppRows")
            .field("rows", &self.rows.len())
            .field("window", &self.source.index)
            .finish()
    }
}

fn app_row(snapshot: &Snapshot, app: &AppWindow, window: &WindowSummary) -> AppRow {
    AppRow {
        name: app.application.clone(),
        label: label(&app.application),
        unknown: &*app.application == UNKNOWN,
        alarm: Mark::None,
        requests: app.requests,
        rate: app.requests as f64 / elapsed(snapshot, window),
        bytes: app.bytes,
        err_4xx: app.error_rate_4xx(),
        err_5xx: app.error_rate_5xx(),
        p50: app.latency.as_ref().map(|l| l.p50),
        p99: app.latency.as_ref().map(|l| l.p99),
        hosts: app.hosts,
        hosts_exact: app.hosts_exact,
        spark: Spark::default(),
        caller_match: None,
        changes: Changes::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_largest_value() {
        let spark = |counts: &[u64]| Spark::of(counts.iter().copied()).text();
        assert_eq!(spark(&[0, 1, 4, 8]), " ▁▄█");
        assert_eq!(spark(&[1, 1000]), "▁█");
        assert_eq!(spark(&[0, 0]), "  ");
        assert_eq!(spark(&[]), "");
    }
}
