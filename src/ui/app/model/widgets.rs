//! Building blocks shared by the view models (as `view/widgets.rs` is for the views): charts,
//! latency histograms, sortable table headers, status-code rows, sparklines, the time line of
//! kept windows, and making untrusted text safe.

use crate::core::{LatencySummary, WindowSummary};
use crate::output::sanitize::for_display;
use crate::pipeline::snapshot::Snapshot;
use crate::ui::app::format;
use crate::ui::app::state::{Column, Sort};

use super::Tone;

/// Longest name or path shown (the rest is elided with `…`).
pub const MAX_TEXT: usize = 160;

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

/// Every window start `[start, start + width)` from the oldest kept window (at most `max` of
/// them) up to the window at `index`, each with its window if it had requests: the x axis of
/// sparklines and charts, with the silent windows in between.
pub fn timeline(
    snapshot: &Snapshot,
    index: usize,
    max: usize,
) -> Vec<(i64, Option<&WindowSummary>)> {
    timeline_at(snapshot, index, max)
        .into_iter()
        .map(|(start, at)| (start, at.map(|i| &*snapshot.windows[i])))
        .collect()
}

/// [`timeline`] with each window as its index in `snapshot.windows`.
pub fn timeline_at(snapshot: &Snapshot, index: usize, max: usize) -> Vec<(i64, Option<usize>)> {
    let windows = &snapshot.windows[..=index];
    let width = snapshot.width_secs.max(1);
    let current = windows[index].start;
    let oldest = windows[0].start;
    let count = (((current - oldest) / width) as usize + 1).min(max);
    (0..count)
        .rev()
        .map(|k| {
            let start = current - k as i64 * width;
            let found = windows.binary_search_by(|w| w.start.cmp(&start)).ok();
            (start, found)
        })
        .collect()
}

/// The last window the charts plot: an open window is left out (its partial count would look like
/// a sudden drop) unless it is all there is.
pub fn chart_end(snapshot: &Snapshot, index: usize) -> usize {
    if index > 0 && !snapshot.windows[index].is_final {
        index - 1
    } else {
        index
    }
}

/// The block level of `v` against `max`: 0 (nothing, a space) to 8 (a full block).
pub fn spark_level(v: u64, max: u64) -> u8 {
    if v == 0 || max == 0 {
        0
    } else {
        (v.saturating_mul(8).div_ceil(max)).clamp(1, 8) as u8
    }
}

/// The character of a block level (see [`spark_level`]).
pub fn spark_block(level: u8) -> char {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    match level {
        0 => ' ',
        l => BLOCKS[usize::from(l.min(8)) - 1],
    }
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
    /// Marked points (breaches), not a line.
    pub scatter: bool,
}

/// A chart of series over window starts (`x` = window start, seconds).
pub fn chart(title: String, starts: &[i64], series: Vec<(String, Vec<u64>)>) -> Chart {
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let (first, last) = (
        starts.first().copied().unwrap_or(0),
        starts.last().copied().unwrap_or(0),
    );
    let x_bounds = [first as f64, (last.max(first + 1)) as f64];
    // Labels on window starts, in order; with the date when the chart spans days.
    let mid = starts.get(starts.len() / 2).copied().unwrap_or(first);
    let dated = format::spans_days(first, last);
    Chart {
        title,
        x_labels: {
            let mut labels = vec![first, mid, last];
            labels.dedup();
            labels
                .into_iter()
                .map(|t| format::stamp(t, dated))
                .collect()
        },
        y_labels: vec!["0".into(), format::count(max / 2), format::count(max)],
        x_bounds,
        y_bounds: [0.0, max as f64],
        series: series
            .into_iter()
            .enumerate()
            .map(|(i, (name, values))| Series {
                name,
                points: starts
                    .iter()
                    .zip(values)
                    .map(|(&x, y)| (x as f64, y as f64))
                    .collect(),
                colour: i,
                scatter: false,
            })
            .collect(),
    }
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

/// Sorts rows by a column key, ties by name, in the order of `sort`.
pub fn sort_rows<T>(
    rows: &mut Vec<T>,
    sort: Sort,
    name: impl Fn(&T) -> &str,
    key: impl Fn(&T, Column) -> f64,
) {
    // A stable sort on the key alone: ties keep the input order (names for applications, the
    // engine's order for callers) without a string comparison per tie, which matters at 100,000.
    // The sort moves indices, not rows: a row is a few hundred bytes, and a merge sort of 100,000
    // of them moved half a gigabyte.
    let descending = sort.descending();
    let keys: Option<Vec<f64>> =
        (sort.column != Column::Name).then(|| rows.iter().map(|r| key(r, sort.column)).collect());
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        directed(
            match &keys {
                Some(keys) => keys[a].total_cmp(&keys[b]),
                None => name(&rows[a]).cmp(name(&rows[b])),
            },
            descending,
        )
    });
    let mut taken: Vec<Option<T>> = rows.drain(..).map(Some).collect();
    rows.extend(order.into_iter().filter_map(|i| taken[i].take()));
}

/// Sorts rows that are in name order (as the overview's merge yields them), each with its key in
/// `sort`'s column: by name they already are (or reversed); by a column, a stable sort on the
/// key keeps ties by name without comparing a string.
pub fn sort_keyed<T>(rows: &mut [(f64, T)], sort: Sort) {
    let descending = sort.descending();
    if sort.column == Column::Name {
        if descending {
            rows.reverse();
        }
        return;
    }
    rows.sort_by(|a, b| directed(a.0.total_cmp(&b.0), descending));
}

/// `ord` as a sort in that direction orders.
fn directed(ord: std::cmp::Ordering, descending: bool) -> std::cmp::Ordering {
    if descending {
        ord.reverse()
    } else {
        ord
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_without_status_shows_the_dash_apache_wrote() {
        let rows = status_rows(&[(0, 1), (200, 3)], 4);
        assert_eq!(rows[0].0, "-");
        assert_eq!(rows[0].2, format::percent(0.25));
        assert_eq!(rows[1].0, "200");
    }

    #[test]
    fn axis_labels_fall_on_window_starts_in_order_once_each() {
        // 2017-01-20 10:00, 10:05, 10:10, 10:15 UTC.
        let starts: Vec<i64> = (0..4).map(|i| 1_484_906_400 + i * 300).collect();
        let c = chart("t".into(), &starts, vec![("a".into(), vec![1, 2, 3, 4])]);
        assert_eq!(c.x_labels, ["10:00", "10:10", "10:15"]);
        let c = chart("t".into(), &starts[..2], vec![("a".into(), vec![1, 2])]);
        assert_eq!(c.x_labels, ["10:00", "10:05"], "no label twice");
        // Across midnight: dated.
        let late: Vec<i64> = (0..3).map(|i| 1_484_956_800 - 3600 + i * 3600).collect();
        let c = chart("t".into(), &late, vec![("a".into(), vec![1, 2, 3])]);
        assert_eq!(c.x_labels, ["01-20 23:00", "01-21 00:00", "01-21 01:00"]);
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
