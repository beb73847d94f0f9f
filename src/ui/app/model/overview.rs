//! The overview's view model: one row per application, the chart of the busiest ones, and the
//! alarm panel (built in `alarms`).

use std::borrow::Cow;
use std::sync::Arc;

use crate::core::{AppWindow, WindowSummary};
use crate::enrich::UNKNOWN;
use crate::pipeline::snapshot::Snapshot;
use crate::ui::app::format;
use crate::ui::app::state::{Column, UiState};

use super::alarms::{alarm_marks, alarm_panel, AlarmPanel};
use super::by_name::for_each_by_name;
use super::caller_search::{matching_callers, CallerMatch};
use super::change::{changes, previous_window, Changes};
use super::widgets::{
    chart, chart_end, elapsed, headers, matches_filter, safe, sort_rows, spark_block, spark_level,
    timeline, Chart, MAX_TEXT,
};
use super::Mark;
use crate::output::sanitize::for_display;

/// Windows in each application's sparkline.
const SPARK_WINDOWS: usize = 12;
/// Applications in the overview chart.
const CHART_APPS: usize = 5;
/// Windows in the charts (at most the kept history).
pub const CHART_WINDOWS: usize = 60;

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
    /// Cells in [`OVERVIEW_COLUMNS`] order (the mark column is drawn separately).
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
fn caller_hint(label: &str, m: &CallerMatch) -> String {
    let mut text = format!("{label} · caller {}", safe(&m.host));
    if m.others > 0 {
        text.push_str(&format!(" +{}", m.others));
    }
    text
}

/// Overview column titles and the sort column each stands for.
/// The Δ columns compare with the previous window.
pub const OVERVIEW_COLUMNS: [(&str, Option<Column>); 13] = [
    ("application", Some(Column::Name)),
    ("req", Some(Column::Requests)),
    ("req/s", Some(Column::Rate)),
    ("Δ", None),
    ("bytes", Some(Column::Bytes)),
    ("4xx", Some(Column::Err4xx)),
    ("5xx", Some(Column::Err5xx)),
    ("Δ5xx", None),
    ("p50", Some(Column::P50)),
    ("p99", Some(Column::P99)),
    ("Δp99", None),
    ("callers", Some(Column::Hosts)),
    ("history", None),
];

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Overview {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<AppRow>,
    /// Width the application column should keep when rows carry a caller hint (the caller is
    /// what the operator searched for: other columns give way first); 0 = no hint.
    pub hint_width: usize,
    /// Why the table is empty, when it is.
    pub empty: Option<String>,
    pub chart: Chart,
    pub alarms: AlarmPanel,
}

/// The overview before any window exists: the table says why it is empty.
pub fn without_windows(snapshot: &Snapshot, ui: &UiState) -> Overview {
    Overview {
        title: "Applications".into(),
        headers: headers(OVERVIEW_COLUMNS.iter().copied(), ui.app_sort),
        empty: Some(if snapshot.finished {
            "The input ended without a single request.".into()
        } else {
            "No requests yet: waiting for traffic…".into()
        }),
        alarms: alarm_panel(snapshot, ui, None),
        ..Overview::default()
    }
}

fn app_row(snapshot: &Snapshot, app: &AppWindow, window: &WindowSummary) -> AppRow {
    AppRow {
        name: app.application.clone(),
        label: match for_display(&app.application, MAX_TEXT) {
            Cow::Borrowed(_) => Arc::clone(&app.application),
            Cow::Owned(escaped) => Arc::from(escaped),
        },
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

/// An application's requests over the sparkline's windows, kept as block levels and drawn only
/// for the rows on screen (a string per row for 100,000 rows cost more than the rest of a row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spark {
    levels: [u8; SPARK_WINDOWS],
    len: usize,
}

impl Spark {
    /// The levels of `counts` (the first [`SPARK_WINDOWS`]) against their largest.
    fn of(counts: impl Iterator<Item = u64> + Clone) -> Spark {
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

pub fn overview(snapshot: &Snapshot, ui: &UiState, index: usize, filter: &str) -> Overview {
    let window = &snapshot.windows[index];
    let spark_timeline = timeline(snapshot, index, SPARK_WINDOWS);
    let marks = alarm_marks(snapshot, ui, Some(index));
    // The window before, or a silent one when that time had no traffic at all.
    let previous = previous_window(snapshot, index);
    let silent = WindowSummary::empty(
        window.start - snapshot.width_secs,
        snapshot.width_secs,
        true,
    );
    // Every application seen in the sparkline's windows gets a row, so one that went silent shows.
    // The timeline ends with the window on screen; the one before it is the previous window
    // when that had traffic.
    let windows: Vec<Option<&WindowSummary>> = spark_timeline.iter().map(|(_, w)| *w).collect();
    let now_at = windows.len() - 1;
    let before_at = match previous {
        Some(Some(p)) if now_at >= 1 && spark_timeline[now_at - 1].0 == p.start => Some(now_at - 1),
        _ => None,
    };
    let mut rows: Vec<AppRow> = Vec::with_capacity(window.apps.len());
    for_each_by_name(&windows, |name, found| {
        let Some(seen) = found.iter().flatten().next() else {
            return;
        };
        let now = found[now_at];
        // The name, else a caller in the window on screen (an app silent now has none).
        let caller_match = if matches_filter(name, filter) {
            None
        } else {
            match now.and_then(|a| matching_callers(a, filter)) {
                Some(m) => Some(m),
                None => return,
            }
        };
        let mut row = match now {
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
        row.spark = Spark::of(found.iter().map(|a| a.map_or(0, |a| a.requests)));
        row.alarm = marks.get(name).copied().unwrap_or_default();
        row.caller_match = caller_match;
        if let Some(previous) = previous {
            let before = before_at.and_then(|i| found[i]);
            let previous = previous.unwrap_or(&silent);
            row.changes = changes(snapshot, window, now, previous, before);
        }
        rows.push(row);
    });
    sort_rows(
        &mut rows,
        ui.app_sort,
        |r| &*r.label,
        |r, c| match c {
            Column::Requests => r.requests as f64,
            Column::Rate => r.rate,
            Column::Bytes => r.bytes as f64,
            Column::Err4xx => r.err_4xx,
            Column::Err5xx => r.err_5xx,
            Column::P50 => r.p50.unwrap_or(0) as f64,
            Column::P99 => r.p99.unwrap_or(0) as f64,
            Column::Hosts => r.hosts as f64,
            Column::Name => 0.0,
        },
    );

    // The chart: the busiest applications of the window on screen, over the kept history.
    let end = chart_end(snapshot, index);
    let chart_timeline = timeline(snapshot, end, CHART_WINDOWS);
    // A window without traffic (a silent source) has no busiest applications: take the last
    // window plotted instead.
    let busiest_of = if window.apps.is_empty() {
        &snapshot.windows[end]
    } else {
        window
    };
    let series = busiest(&busiest_of.apps, CHART_APPS)
        .into_iter()
        .map(|app| {
            let values = chart_timeline
                .iter()
                .map(|(_, w)| {
                    w.and_then(|w| w.app(&app.application))
                        .map_or(0, |a| a.requests)
                })
                .collect();
            (safe(&app.application), values)
        })
        .collect();
    let starts: Vec<i64> = chart_timeline.iter().map(|(s, _)| *s).collect();

    // Merged from relays: how many relay groups the window covers ("2/3 relays" while one is
    // still missing it).
    let relays = window
        .relays
        .map(|r| format!(" · {}/{} relays", r.relays, r.expected))
        .unwrap_or_default();
    let title = format!(
        "Applications · {} req in {} window{}{relays}",
        format::grouped(window.requests()),
        format::width(snapshot.width_secs),
        if window.is_final { "" } else { " (open)" }
    );
    let hint_width = rows
        .iter()
        .filter(|r| r.caller_match.is_some())
        .map(|r| r.cells()[0].chars().count())
        .max()
        .unwrap_or(0);
    let empty = rows.is_empty().then(|| {
        if filter.is_empty() {
            "No requests in this window.".to_string()
        } else {
            format!("No application or caller matches “{}”.", safe(filter))
        }
    });
    Overview {
        title,
        headers: headers(OVERVIEW_COLUMNS.iter().copied(), ui.app_sort),
        rows,
        hint_width,
        empty,
        chart: chart(
            format!(
                "Requests per {} window · top {}",
                format::width(snapshot.width_secs),
                CHART_APPS
            ),
            &starts,
            series,
        ),
        alarms: alarm_panel(snapshot, ui, Some(index)),
    }
}

/// The `n` applications with the most requests, most first (ties by name), in one pass: a full
/// sort of 100,000 applications, mostly ties compared by name, was an eighth of the overview.
fn busiest(apps: &[AppWindow], n: usize) -> Vec<&AppWindow> {
    let first = |a: &AppWindow, b: &AppWindow| {
        b.requests
            .cmp(&a.requests)
            .then_with(|| a.application.cmp(&b.application))
    };
    let mut top: Vec<&AppWindow> = Vec::with_capacity(n + 1);
    for app in apps {
        if top.len() == n && top.last().is_some_and(|last| app.requests < last.requests) {
            continue;
        }
        let at = top.partition_point(|t| first(t, app).is_lt());
        if at < n {
            top.insert(at, app);
            top.truncate(n);
        }
    }
    top
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(name: &str, requests: u64) -> AppWindow {
        let mut w = crate::ui::app::fixtures::app(name, Vec::new(), 0, &[]);
        w.requests = requests;
        w
    }

    #[test]
    fn sparkline_scales_to_the_largest_value() {
        let spark = |counts: &[u64]| Spark::of(counts.iter().copied()).text();
        assert_eq!(spark(&[0, 1, 4, 8]), " ▁▄█");
        assert_eq!(spark(&[1, 1000]), "▁█");
        assert_eq!(spark(&[0, 0]), "  ");
        assert_eq!(spark(&[]), "");
    }

    #[test]
    fn the_busiest_are_those_a_full_sort_puts_first() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..50 {
            let apps: Vec<AppWindow> = (0..rng.usize(0..300))
                .map(|i| {
                    app(
                        &format!("app-{:03}", rng.usize(0..1000) * 1000 + i),
                        rng.u64(0..20),
                    )
                })
                .collect();
            let mut sorted: Vec<&AppWindow> = apps.iter().collect();
            sorted.sort_by(|a, b| {
                b.requests
                    .cmp(&a.requests)
                    .then(a.application.cmp(&b.application))
            });
            for n in [1, 5] {
                let names = |v: &[&AppWindow]| -> Vec<String> {
                    v.iter().map(|a| a.application.to_string()).collect()
                };
                let want: Vec<&AppWindow> = sorted.iter().take(n).copied().collect();
                assert_eq!(names(&busiest(&apps, n)), names(&want));
            }
        }
    }
}
