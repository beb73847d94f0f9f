//! The drill-down view models: an application (contacts, callers, status codes, paths, latency,
//! chart), one caller of it, and the full-screen latency histogram.

use std::sync::Arc;

use crate::core::{AppWindow, CallerSummary, Counted, WindowSummary};
use crate::enrich::UNKNOWN;
use crate::pipeline::snapshot::Snapshot;
use crate::ui::app::format;
use crate::ui::app::state::{Column, UiState};

use super::agents::{agent_panels, AgentPanels};
use super::alarms::alarm_marks;
use super::overview::CHART_WINDOWS;
use super::widgets::{
    chart, chart_end, elapsed, headers, histogram, matches_filter, safe, sort_rows, status_rows,
    timeline, Chart, Histogram,
};
use super::{Mark, Tone};

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
    /// `Top paths`, with the legend of `≤` when a count is an upper bound.
    pub paths_title: String,
    pub agents: AgentPanels,
    pub latency: Option<Histogram>,
    pub chart: Chart,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HostDetail {
    pub title: String,
    pub summary: String,
    pub status_codes: Vec<(String, String, String, Tone)>,
    pub paths: Vec<(String, String)>,
    /// `Top paths`, with the legend of `≤` when a count is an upper bound.
    pub paths_title: String,
    pub agents: AgentPanels,
    pub latency: Option<Histogram>,
    pub chart: Chart,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LatencyView {
    pub title: String,
    pub histogram: Option<Histogram>,
}

fn caller_row(c: &CallerSummary) -> CallerRow {
    let total = c.requests.max(1) as f64;
    CallerRow {
        host: c.host.clone(),
        requests: c.requests,
        error: c.error,
        bytes: c.bytes,
        err_4xx: c.status.c4xx as f64 / total,
        err_5xx: c.status.c5xx as f64 / total,
        p50: c.latency.as_ref().map(|l| l.p50),
        p99: c.latency.as_ref().map(|l| l.p99),
    }
}

/// The paths panel's title: counts of the top-k sketch may be upper bounds (`≤47`: at most 47),
/// and the title says so when one is.
fn paths_title(top: Option<&[Counted]>) -> String {
    if top.is_some_and(|t| t.iter().any(|p| p.error > 0)) {
        "Top paths · ≤n: at most n (estimated)".into()
    } else {
        "Top paths".into()
    }
}

fn paths(top: &[Counted]) -> Vec<(String, String)> {
    top.iter()
        .map(|p| {
            let count = if p.error == 0 {
                format::count(p.count)
            } else {
                format!("≤{}", format::count(p.count))
            };
            let path = if p.key.is_empty() {
                "(no path)".to_string()
            } else {
                safe(&p.key)
            };
            (count, path)
        })
        .collect()
}

fn summary(
    requests: u64,
    rate: f64,
    bytes: u64,
    err4: f64,
    err5: f64,
    latency: Option<(u64, u64)>,
) -> String {
    let mut text = format!(
        "{} req · {}/s · {} · 4xx {} · 5xx {}",
        format::grouped(requests),
        format::rate(rate),
        format::bytes(bytes),
        format::percent(err4),
        format::percent(err5)
    );
    if let Some((p50, p99)) = latency {
        text.push_str(&format!(
            " · p50 {} · p99 {}",
            format::latency_us(p50),
            format::latency_us(p99)
        ));
    }
    text
}

pub fn app_detail(
    snapshot: &Snapshot,
    ui: &UiState,
    index: usize,
    name: &Arc<str>,
    filter: &str,
) -> AppDetail {
    let window = &snapshot.windows[index];
    let unknown = &**name == UNKNOWN;
    let meta = snapshot
        .metadata
        .table
        .applications()
        .iter()
        .find(|a| a.name == *name);
    let contacts = meta
        .map(|m| m.contacts.iter().map(|c| safe(c)).collect())
        .unwrap_or_default();
    let attributes = meta
        .map(|m| {
            m.attributes
                .iter()
                .map(|(k, v)| format!("{}: {}", safe(k), safe(&v.join(", "))))
                .collect()
        })
        .unwrap_or_default();
    let app = window.app(name);
    let mut callers: Vec<CallerRow> = app
        .map(|a| {
            a.top_callers
                .iter()
                .filter(|c| matches_filter(&c.host, filter))
                .map(caller_row)
                .collect()
        })
        .unwrap_or_default();
    sort_rows(
        &mut callers,
        ui.caller_sort,
        |r| &r.host,
        |r, c| match c {
            Column::Requests => r.requests as f64,
            Column::Bytes => r.bytes as f64,
            Column::Err4xx => r.err_4xx,
            Column::Err5xx => r.err_5xx,
            Column::P50 => r.p50.unwrap_or(0) as f64,
            Column::P99 => r.p99.unwrap_or(0) as f64,
            _ => 0.0,
        },
    );
    let chart_timeline = timeline(snapshot, chart_end(snapshot, index), CHART_WINDOWS);
    let starts: Vec<i64> = chart_timeline.iter().map(|(s, _)| *s).collect();
    let per_window = |f: &dyn Fn(&AppWindow) -> u64| -> Vec<u64> {
        chart_timeline
            .iter()
            .map(|(_, w)| w.and_then(|w| w.app(name)).map_or(0, f))
            .collect()
    };
    let series = vec![
        ("requests".to_string(), per_window(&|a| a.requests)),
        ("4xx".to_string(), per_window(&|a| a.status.c4xx)),
        ("5xx".to_string(), per_window(&|a| a.status.c5xx)),
    ];
    let marks = alarm_marks(snapshot, ui, Some(index));
    let hosts = app.map_or(0, |a| a.hosts);
    let compact = compact_note(snapshot, window);
    let callers_title = match app {
        _ if compact.is_some() => format!("Callers · {}", compact.as_deref().unwrap_or_default()),
        None => "Callers".to_string(),
        Some(a) if unknown => format!(
            "Unknown callers — raw addresses, top {} of {}{}",
            a.top_callers.len(),
            format::grouped(hosts),
            if a.hosts_exact { "" } else { "+" }
        ),
        Some(a) => format!(
            "Callers · top {} of {}",
            a.top_callers.len(),
            format::grouped(hosts)
        ),
    };
    AppDetail {
        title: safe(name),
        unknown,
        alarm: marks.get(name).copied().unwrap_or_default(),
        summary: match app {
            Some(a) => summary(
                a.requests,
                a.requests as f64 / elapsed(snapshot, window),
                a.bytes,
                a.error_rate_4xx(),
                a.error_rate_5xx(),
                a.latency.as_ref().map(|l| (l.p50, l.p99)),
            ),
            None => "no requests in this window".into(),
        },
        contacts,
        attributes,
        headers: headers(
            CALLER_COLUMNS.iter().map(|&(t, c)| (t, Some(c))),
            ui.caller_sort,
        ),
        callers,
        callers_title,
        status_codes: app
            .map(|a| status_rows(&a.status_codes, a.requests))
            .unwrap_or_default(),
        paths: app.map(|a| paths(&a.top_paths)).unwrap_or_default(),
        paths_title: match &compact {
            Some(note) => format!("Top paths · {note}"),
            None => paths_title(app.map(|a| &a.top_paths[..])),
        },
        agents: agent_panels(app.map(|a| &a.agents), window, compact.as_deref()),
        latency: app
            .and_then(|a| a.latency.as_ref())
            .map(|l| histogram("Latency", l)),
        chart: chart(format!("{} per window", safe(name)), &starts, series),
    }
}

/// For a window older than the history kept in full detail: why its callers and paths are empty
/// (the history budget keeps only per-application totals that far back), and from when they are
/// kept. `None` for a window in full detail.
fn compact_note(snapshot: &Snapshot, window: &WindowSummary) -> Option<String> {
    let from = snapshot.detail_from.filter(|&from| window.start < from)?;
    Some(format!(
        "not kept this far back (kept from {} {})",
        format::date(from),
        format::clock_short(from)
    ))
}

fn find_caller<'a>(window: &'a WindowSummary, app: &str, host: &str) -> Option<&'a CallerSummary> {
    window
        .app(app)?
        .top_callers
        .iter()
        .find(|c| &*c.host == host)
}

pub fn host_detail(
    snapshot: &Snapshot,
    index: usize,
    app: &Arc<str>,
    host: &Arc<str>,
) -> HostDetail {
    let window = &snapshot.windows[index];
    let caller = find_caller(window, app, host);
    let chart_timeline = timeline(snapshot, chart_end(snapshot, index), CHART_WINDOWS);
    let starts: Vec<i64> = chart_timeline.iter().map(|(s, _)| *s).collect();
    let per_window = |f: &dyn Fn(&CallerSummary) -> u64| -> Vec<u64> {
        chart_timeline
            .iter()
            .map(|(_, w)| w.and_then(|w| find_caller(w, app, host)).map_or(0, f))
            .collect()
    };
    let series = vec![
        ("requests".to_string(), per_window(&|c| c.requests)),
        (
            "errors".to_string(),
            per_window(&|c| c.status.c4xx + c.status.c5xx),
        ),
    ];
    HostDetail {
        title: format!("{} · caller of {}", safe(host), safe(app)),
        summary: match caller {
            Some(c) => {
                let total = c.requests.max(1) as f64;
                summary(
                    c.requests,
                    c.requests as f64 / elapsed(snapshot, window),
                    c.bytes,
                    c.status.c4xx as f64 / total,
                    c.status.c5xx as f64 / total,
                    c.latency.as_ref().map(|l| (l.p50, l.p99)),
                )
            }
            None => "no requests from this caller in this window".into(),
        },
        status_codes: caller
            .map(|c| status_rows(&c.status_codes, c.requests))
            .unwrap_or_default(),
        paths: caller.map(|c| paths(&c.top_paths)).unwrap_or_default(),
        paths_title: paths_title(caller.map(|c| &c.top_paths[..])),
        agents: agent_panels(caller.map(|c| &c.agents), window, None),
        latency: caller
            .and_then(|c| c.latency.as_ref())
            .map(|l| histogram("Latency", l)),
        chart: chart(format!("{} per window", safe(host)), &starts, series),
    }
}

pub fn latency_view(
    snapshot: &Snapshot,
    index: usize,
    app: &Arc<str>,
    host: Option<&str>,
) -> LatencyView {
    let window = &snapshot.windows[index];
    let (title, latency) = match host {
        Some(h) => (
            format!("Latency of {} calling {}", safe(h), safe(app)),
            find_caller(window, app, h).and_then(|c| c.latency.as_ref()),
        ),
        None => (
            format!("Latency of {}", safe(app)),
            window.app(app).and_then(|a| a.latency.as_ref()),
        ),
    };
    LatencyView {
        histogram: latency.map(|l| histogram(&title, l)),
        title,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::app::fixtures;

    #[test]
    fn a_window_kept_without_detail_says_so_instead_of_showing_no_callers() {
        let mut snapshot = fixtures::snapshot();
        let ui = UiState::default();
        let name: Arc<str> = "checkout".into();
        let newest = snapshot.windows.len() - 1;
        let full = app_detail(&snapshot, &ui, newest, &name, "");
        assert!(
            full.callers_title.starts_with("Callers · top"),
            "{}",
            full.callers_title
        );
        // Only the newest window is kept in full: the one before it is compact.
        snapshot.detail_from = Some(snapshot.windows[newest].start);
        let old = app_detail(&snapshot, &ui, newest - 1, &name, "");
        assert!(
            old.callers_title.contains("not kept this far back"),
            "{}",
            old.callers_title
        );
        assert!(
            old.paths_title.contains("not kept this far back"),
            "{}",
            old.paths_title
        );
        let still_full = app_detail(&snapshot, &ui, newest, &name, "");
        assert_eq!(still_full.callers_title, full.callers_title);
    }
}
