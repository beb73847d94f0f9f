//! The view model: everything the views draw, derived once per snapshot (or UI change) from the
//! snapshot and the UI state. Views only read it: no sorting, filtering or aggregation in `draw`.

use std::sync::Arc;

use crate::core::alarms::AlarmState;
use crate::core::{LatencySummary, WindowSummary};
use crate::output::sanitize::for_display;
use crate::pipeline::snapshot::Snapshot;

use super::format;
use super::state::{AlarmKey, Column, Sort};

/// Longest name or path shown (the rest is elided with `…`).
pub const MAX_TEXT: usize = 160;

/// How a piece of text is coloured; the theme maps tones to styles (or none, with NO_COLOR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Normal,
    Dim,
    Accent,
    Good,
    Warn,
    Bad,
}

/// One part of the status bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub text: String,
    pub tone: Tone,
}

/// The alarm mark of an application or alarm row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mark {
    #[default]
    None,
    Alarm,
    /// In ALARM, acknowledged.
    Acked,
}

/// Everything on screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ViewModel {
    pub status: Vec<Segment>,
    /// `(key, what it does)` for the bottom line.
    pub hints: Vec<(&'static str, &'static str)>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Body {
    /// No snapshot yet.
    #[default]
    Waiting,
    Overview(Overview),
    App(AppDetail),
    Host(HostDetail),
    Latency(LatencyView),
    Malformed(MalformedView),
    Sources(SourcesView),
    Alarms(AlarmTable),
    Help,
}

/// A line chart over windows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chart {
    pub title: String,
    pub series: Vec<Series>,
    pub x_bounds: [f64; 2],
    pub y_bounds: [f64; 2],
    pub x_labels: Vec<String>,
    pub y_labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Index into the theme's series palette.
    pub colour: usize,
}

/// Latency histogram bars with their percentiles.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Histogram {
    pub title: String,
    /// `(≤ bound label, count)`, ascending.
    pub bars: Vec<(String, u64)>,
    /// `p50 12ms`, `p90 …`, `p99 …`, `max …`, `mean …`, `n …`.
    pub stats: Vec<(String, String)>,
}

/// One application row of the overview, numbers kept for sorting; formatted by [`AppRow::cells`].
#[derive(Debug, Clone, PartialEq)]
pub struct AppRow {
    pub name: Arc<str>,
    pub label: String,
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
    /// Requests over the last windows as block characters.
    pub spark: String,
}

impl AppRow {
    /// Cells in [`OVERVIEW_COLUMNS`] order (the mark column is drawn separately).
    pub fn cells(&self) -> [String; 10] {
        [
            self.label.clone(),
            format::count(self.requests),
            format::rate(self.rate),
            format::bytes(self.bytes),
            format::percent(self.err_4xx),
            format::percent(self.err_5xx),
            self.p50
                .map(format::latency_us)
                .unwrap_or_else(|| "–".into()),
            self.p99
                .map(format::latency_us)
                .unwrap_or_else(|| "–".into()),
            format!(
                "{}{}",
                format::count(self.hosts),
                if self.hosts_exact { "" } else { "+" }
            ),
            self.spark.clone(),
        ]
    }
}

/// Overview column titles and the sort column each stands for.
pub const OVERVIEW_COLUMNS: [(&str, Option<Column>); 10] = [
    ("application", Some(Column::Name)),
    ("req", Some(Column::Requests)),
    ("req/s", Some(Column::Rate)),
    ("bytes", Some(Column::Bytes)),
    ("4xx", Some(Column::Err4xx)),
    ("5xx", Some(Column::Err5xx)),
    ("p50", Some(Column::P50)),
    ("p99", Some(Column::P99)),
    ("callers", Some(Column::Hosts)),
    ("history", None),
];

/// Caller column titles and their sort columns.
pub const CALLER_COLUMNS: [(&str, Column); 7] = [
    ("caller", Column::Name),
    ("req", Column::Requests),
    ("bytes", Column::Bytes),
    ("4xx", Column::Err4xx),
    ("5xx", Column::Err5xx),
    ("p50", Column::P50),
    ("p99", Column::P99),
];

/// Column headers with an arrow on the sort column.
pub fn headers<'a>(
    columns: impl Iterator<Item = (&'a str, Option<Column>)>,
    sort: Sort,
) -> Vec<String> {
    columns
        .map(|(title, column)| match column {
            Some(c) if c == sort.column => {
                format!("{title}{}", if sort.descending() { "▼" } else { "▲" })
            }
            _ => title.to_string(),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Overview {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<AppRow>,
    /// Why the table is empty, when it is.
    pub empty: Option<String>,
    pub chart: Chart,
    pub alarms: AlarmPanel,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlarmLine {
    pub key: AlarmKey,
    pub text: String,
    pub state: AlarmState,
    pub acked: bool,
}

/// Active alarms (selectable, ALARM first) then recent transitions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlarmPanel {
    pub title: String,
    pub active: Vec<AlarmLine>,
    pub recent: Vec<AlarmLine>,
    pub empty: Option<String>,
}

/// One caller row of an application detail.
#[derive(Debug, Clone, PartialEq)]
pub struct CallerRow {
    pub host: Arc<str>,
    pub requests: u64,
    /// Overestimate bound of `requests` (0 = exact).
    pub error: u64,
    pub bytes: u64,
    pub err_4xx: f64,
    pub err_5xx: f64,
    pub p50: Option<u64>,
    pub p99: Option<u64>,
}

impl CallerRow {
    /// Cells in [`CALLER_COLUMNS`] order; only called for the rows on screen.
    pub fn cells(&self) -> [String; 7] {
        [
            safe(&self.host),
            if self.error == 0 {
                format::count(self.requests)
            } else {
                format!("≤{}", format::count(self.requests))
            },
            format::bytes(self.bytes),
            format::percent(self.err_4xx),
            format::percent(self.err_5xx),
            self.p50
                .map(format::latency_us)
                .unwrap_or_else(|| "–".into()),
            self.p99
                .map(format::latency_us)
                .unwrap_or_else(|| "–".into()),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppDetail {
    pub title: String,
    pub unknown: bool,
    pub alarm: Mark,
    pub summary: String,
    pub contacts: Vec<String>,
    pub attributes: Vec<String>,
    pub headers: Vec<String>,
    pub callers: Vec<CallerRow>,
    pub callers_title: String,
    /// `(code, count, share, tone)`.
    pub status_codes: Vec<(String, String, String, Tone)>,
    /// `(count, path)`.
    pub paths: Vec<(String, String)>,
    pub latency: Option<Histogram>,
    pub chart: Chart,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HostDetail {
    pub title: String,
    pub summary: String,
    pub status_codes: Vec<(String, String, String, Tone)>,
    pub paths: Vec<(String, String)>,
    pub latency: Option<Histogram>,
    pub chart: Chart,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LatencyView {
    pub title: String,
    pub histogram: Option<Histogram>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MalformedRow {
    pub origin: String,
    pub reason: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MalformedView {
    pub summary: Vec<(String, String)>,
    /// Newest first.
    pub rows: Vec<MalformedRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    /// part, state, lag, records, problem.
    pub cells: [String; 5],
    pub tone: Tone,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourcesView {
    pub summary: Vec<(String, String)>,
    /// The source's own line (the status bar's).
    pub problem: Option<String>,
    /// Parts with a problem first.
    pub rows: Vec<SourceRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlarmRow {
    pub key: AlarmKey,
    pub state: AlarmState,
    pub acked: bool,
    /// alarm, application, condition, state, since, value, datapoints.
    pub cells: [String; 7],
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlarmTable {
    pub rows: Vec<AlarmRow>,
    pub empty: Option<String>,
}

impl ViewModel {
    /// Rows of the main list of the view (for moving the selection).
    pub fn list_len(&self) -> usize {
        match &self.body {
            Body::Overview(o) => o.rows.len(),
            Body::App(a) => a.callers.len(),
            Body::Malformed(m) => m.rows.len(),
            Body::Sources(s) => s.rows.len(),
            Body::Alarms(a) => a.rows.len(),
            Body::Host(h) => h.paths.len(),
            _ => 0,
        }
    }
}

/// Untrusted text (log fields, metadata) made safe for a widget.
pub fn safe(text: &str) -> String {
    for_display(text, MAX_TEXT).into_owned()
}

/// Case-insensitive "contains" without allocating per row; `needle` is already lower case.
pub fn matches_filter(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        return h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(needle)
}

/// The window on screen: the one time travel points at, else the newest.
pub fn picked_window(snapshot: &Snapshot, travel: Option<i64>) -> Option<usize> {
    let last = snapshot.windows.len().checked_sub(1)?;
    match travel {
        None => Some(last),
        Some(start) => Some(
            snapshot
                .windows
                .iter()
                .rposition(|w| w.start <= start)
                .unwrap_or(0),
        ),
    }
}

/// Seconds of a window that have passed (all of it once final), for rates.
pub fn elapsed(snapshot: &Snapshot, window: &WindowSummary) -> f64 {
    let width = (window.end - window.start).max(1);
    if window.is_final {
        return width as f64;
    }
    let seen = snapshot.watermark.map_or(width, |w| w - window.start + 1);
    seen.clamp(1, width) as f64
}

/// Time slots `[start, start + width)` from the oldest kept window (at most `max` slots) up to the
/// window at `index`, each with its window if it had requests.
pub fn slots(snapshot: &Snapshot, index: usize, max: usize) -> Vec<(i64, Option<&WindowSummary>)> {
    let windows = &snapshot.windows[..=index];
    let width = snapshot.width_secs.max(1);
    let current = windows[index].start;
    let oldest = windows[0].start;
    let count = (((current - oldest) / width) as usize + 1).min(max);
    (0..count)
        .rev()
        .map(|k| {
            let start = current - k as i64 * width;
            let found = windows
                .binary_search_by(|w| w.start.cmp(&start))
                .ok()
                .map(|i| &*windows[i]);
            (start, found)
        })
        .collect()
}

/// `▁▂▃▄▅▆▇█` scaled to the largest value; zero is a blank.
pub fn sparkline(values: &[u64]) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if v == 0 || max == 0 {
                ' '
            } else {
                BLOCKS[((v * 8).div_ceil(max) - 1).min(7) as usize]
            }
        })
        .collect()
}

/// A chart of series over time slots (`x` = window start, seconds).
pub fn chart(title: String, slots: &[i64], series: Vec<(String, Vec<u64>)>) -> Chart {
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let (first, last) = (
        slots.first().copied().unwrap_or(0),
        slots.last().copied().unwrap_or(0),
    );
    let x_bounds = [first as f64, (last.max(first + 1)) as f64];
    let mid = first + (last - first) / 2;
    Chart {
        title,
        x_labels: vec![
            format::clock_short(first),
            format::clock_short(mid),
            format::clock_short(last),
        ],
        y_labels: vec!["0".into(), format::count(max / 2), format::count(max)],
        x_bounds,
        y_bounds: [0.0, max as f64],
        series: series
            .into_iter()
            .enumerate()
            .map(|(i, (name, values))| Series {
                name,
                points: slots
                    .iter()
                    .zip(values)
                    .map(|(&x, y)| (x as f64, y as f64))
                    .collect(),
                colour: i,
            })
            .collect(),
    }
}

/// Bars and percentiles of a latency summary.
pub fn histogram(title: &str, latency: &LatencySummary) -> Histogram {
    let first = latency
        .buckets
        .iter()
        .position(|&(_, n)| n > 0)
        .unwrap_or(0);
    Histogram {
        title: format!(
            "{title} · p50 {} · p90 {} · p99 {} · max {}",
            format::latency_us(latency.p50),
            format::latency_us(latency.p90),
            format::latency_us(latency.p99),
            format::latency_us(latency.max)
        ),
        bars: latency.buckets[first..]
            .iter()
            .map(|&(bound, n)| (format!("≤{}", format::latency_us(bound)), n))
            .collect(),
        stats: vec![
            ("requests".into(), format::grouped(latency.count)),
            ("min".into(), format::latency_us(latency.min)),
            ("p50".into(), format::latency_us(latency.p50)),
            ("p90".into(), format::latency_us(latency.p90)),
            ("p99".into(), format::latency_us(latency.p99)),
            ("max".into(), format::latency_us(latency.max)),
            (
                "mean".into(),
                format::latency_us(latency.mean.round() as u64),
            ),
        ],
    }
}

/// Status-code rows: code, count, share, tone by class.
pub fn status_rows(codes: &[(u16, u64)], total: u64) -> Vec<(String, String, String, Tone)> {
    codes
        .iter()
        .map(|&(code, n)| {
            let tone = match code {
                500..=599 => Tone::Bad,
                400..=499 => Tone::Warn,
                200..=299 => Tone::Good,
                _ => Tone::Normal,
            };
            let share = if total == 0 {
                0.0
            } else {
                n as f64 / total as f64
            };
            // 0 is a request without a status: Apache wrote `-`.
            let code = match code {
                0 => "-".to_owned(),
                code => code.to_string(),
            };
            (code, format::grouped(n), format::percent(share), tone)
        })
        .collect()
}

/// Sorts rows by a column key, ties by name, in the order of `sort`.
pub fn sort_rows<T>(
    rows: &mut [T],
    sort: Sort,
    name: impl Fn(&T) -> &str,
    key: impl Fn(&T, Column) -> f64,
) {
    // A stable sort on the key alone: ties keep the input order (names for applications, the
    // engine's order for callers) without a string comparison per tie, which matters at 100,000.
    let descending = sort.descending();
    rows.sort_by(|a, b| {
        let ord = if sort.column == Column::Name {
            name(a).cmp(name(b))
        } else {
            key(a, sort.column).total_cmp(&key(b, sort.column))
        };
        if descending {
            ord.reverse()
        } else {
            ord
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_largest_value() {
        assert_eq!(sparkline(&[0, 1, 4, 8]), " ▁▄█");
        assert_eq!(sparkline(&[1, 1000]), "▁█");
        assert_eq!(sparkline(&[0, 0]), "  ");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn a_request_without_status_shows_the_dash_apache_wrote() {
        let rows = status_rows(&[(0, 1), (200, 3)], 4);
        assert_eq!(rows[0].0, "-");
        assert_eq!(rows[0].2, format::percent(0.25));
        assert_eq!(rows[1].0, "200");
    }

    #[test]
    fn filter_is_case_insensitive() {
        assert!(matches_filter("Checkout", "check"));
        assert!(matches_filter("10.0.0.1", "0.0"));
        assert!(!matches_filter("search", "check"));
        assert!(matches_filter("Überweisung", "über"));
        assert!(matches_filter("anything", ""));
    }
}
