//! Building the [`ViewModel`] from a snapshot and the UI state: once per snapshot or UI change,
//! never per frame.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::core::alarms::AlarmState;
use crate::core::{AppWindow, CallerSummary, Counted, WindowSummary};
use crate::enrich::UNKNOWN;
use crate::pipeline::snapshot::Snapshot;

use super::format;
use super::model::*;
use super::state::{Column, Panel, UiState, View};

/// Windows in each application's sparkline.
const SPARK_WINDOWS: usize = 12;
/// Applications in the overview chart.
const CHART_APPS: usize = 5;
/// Windows in the charts (at most the kept history).
const CHART_WINDOWS: usize = 60;
/// Recent transitions in the alarm panel.
const RECENT_TRANSITIONS: usize = 20;

impl ViewModel {
    /// Only the status bar, for the clock tick: ages change with time, the rest does not.
    pub fn refresh_status(
        &mut self,
        snapshot: Option<&Snapshot>,
        ui: &UiState,
        now_ms: i64,
        columns: u16,
    ) {
        if let Some(snapshot) = snapshot {
            let index = picked_window(snapshot, ui.travel);
            self.status = status(snapshot, ui, index, now_ms, columns);
        }
    }

    /// Everything the screen shows for this snapshot, UI state, wall clock and terminal width.
    pub fn build(
        snapshot: Option<&Snapshot>,
        ui: &UiState,
        now_ms: i64,
        columns: u16,
    ) -> ViewModel {
        let Some(snapshot) = snapshot else {
            return ViewModel {
                status: vec![
                    Segment {
                        text: "kinetop".into(),
                        tone: Tone::Accent,
                    },
                    Segment {
                        text: "waiting for the first data…".into(),
                        tone: Tone::Dim,
                    },
                ],
                hints: hints(ui, columns),
                body: Body::Waiting,
            };
        };
        let index = picked_window(snapshot, ui.travel);
        let frame = ui.top();
        let filter = frame.filter.to_lowercase();
        let body = match (&frame.view, index) {
            (View::Help, _) => Body::Help,
            (View::Malformed, _) => Body::Malformed(malformed(snapshot)),
            (View::Sources, _) => Body::Sources(super::sources::sources_view(&snapshot.source)),
            (View::Alarms, _) => Body::Alarms(alarm_table(snapshot, ui, &filter)),
            (View::Overview, Some(i)) => Body::Overview(overview(snapshot, ui, i, &filter)),
            (View::App { app }, Some(i)) => Body::App(app_detail(snapshot, ui, i, app, &filter)),
            (View::Host { app, host }, Some(i)) => Body::Host(host_detail(snapshot, i, app, host)),
            (View::Latency { app, host }, Some(i)) => {
                Body::Latency(latency_view(snapshot, i, app, host.as_deref()))
            }
            (View::Overview, None) => Body::Overview(Overview {
                title: "Applications".into(),
                headers: headers(OVERVIEW_COLUMNS.iter().copied(), ui.app_sort),
                empty: Some(if snapshot.finished {
                    "The input ended without a single request.".into()
                } else {
                    "No requests yet: waiting for traffic…".into()
                }),
                alarms: alarm_panel(snapshot, ui),
                ..Overview::default()
            }),
            (_, None) => Body::Waiting,
        };
        ViewModel {
            status: status(snapshot, ui, index, now_ms, columns),
            hints: hints(ui, columns),
            body,
        }
    }
}

fn status(
    snapshot: &Snapshot,
    ui: &UiState,
    index: Option<usize>,
    now_ms: i64,
    columns: u16,
) -> Vec<Segment> {
    // (priority: lower survives a narrow terminal, segment)
    let mut parts: Vec<(u8, Segment)> = Vec::new();
    let mut push = |priority, text: String, tone| parts.push((priority, Segment { text, tone }));
    push(0, "kinetop".into(), Tone::Accent);
    let source = &snapshot.source;
    let mut name = safe(&source.name);
    if source.parts > 1 {
        name.push_str(&format!(" ×{}", source.parts));
    }
    if snapshot.finished {
        name.push_str(" (ended)");
    }
    push(1, name, Tone::Normal);
    if let Some(problem) = &source.problem {
        push(0, format!("⚠ {}", safe(problem)), Tone::Bad);
    }
    push(
        2,
        format!("{} ev/s", format::rate(snapshot.events_per_sec)),
        Tone::Normal,
    );
    let c = &snapshot.counters;
    push(
        3,
        format!("{} parsed", format::grouped(c.parsed)),
        Tone::Normal,
    );
    push(
        2,
        format!("{} malformed", format::grouped(c.malformed)),
        if c.malformed > 0 {
            Tone::Warn
        } else {
            Tone::Dim
        },
    );
    if c.late > 0 {
        push(5, format!("{} late", format::grouped(c.late)), Tone::Warn);
    }
    if let Some(lag) = source.lag_ms {
        let tone = if lag > 60_000 {
            Tone::Warn
        } else {
            Tone::Normal
        };
        push(4, format!("lag {}", format::lag_ms(lag)), tone);
    }
    let meta = &snapshot.metadata;
    match (&meta.origin, &meta.error) {
        (_, Some(error)) => push(1, format!("metadata ⚠ {}", safe(error)), Tone::Bad),
        (Some(origin), None) => {
            // The file name says which table; the full path is in the config the operator wrote.
            let name = origin.rsplit('/').next().unwrap_or(origin);
            let age = meta
                .loaded_at
                .map(|t| format!(" {} old", format::age(now_ms / 1000 - t)))
                .unwrap_or_default();
            push(3, format!("{}{age}", safe(name)), Tone::Normal);
        }
        (None, None) => push(4, "no metadata".into(), Tone::Dim),
    }
    let (mode, tone) = match (ui.paused, ui.travel, index) {
        (true, _, _) => ("⏸ PAUSED".to_string(), Tone::Warn),
        (false, Some(_), Some(i)) => (
            format!("◀ PAST {}/{}", i + 1, snapshot.windows.len()),
            Tone::Warn,
        ),
        _ => ("● LIVE".to_string(), Tone::Good),
    };
    push(0, mode, tone);
    if let Some(i) = index {
        let w = &snapshot.windows[i];
        let width = format::width(snapshot.width_secs);
        let text = if columns >= 150 {
            format!("{width} window {}", format::span(w.start, w.end))
        } else if columns >= 100 {
            format!(
                "{width} {}–{}Z",
                format::clock(w.start),
                format::clock(w.end)
            )
        } else {
            format!(
                "{width} {}–{}",
                format::clock_short(w.start),
                format::clock_short(w.end)
            )
        };
        push(1, text, Tone::Accent);
    }
    fit(parts, columns as usize)
}

/// Drops the least important segments until the line fits (`" │ "` between segments).
fn fit(mut parts: Vec<(u8, Segment)>, columns: usize) -> Vec<Segment> {
    let width = |parts: &[(u8, Segment)]| -> usize {
        parts
            .iter()
            .map(|(_, s)| s.text.chars().count() + 3)
            .sum::<usize>()
    };
    while width(&parts) > columns + 1 && parts.len() > 1 {
        // Only the essentials left: shorten the longest (a problem's text) rather than lose
        // the LIVE/PAUSED mark or the problem altogether.
        if parts.iter().all(|(p, _)| *p == 0) {
            let excess = width(&parts) - (columns + 1);
            if let Some((_, longest)) = parts.iter_mut().max_by_key(|(_, s)| s.text.chars().count())
            {
                let len = longest.text.chars().count();
                if len > excess + 8 {
                    let kept: String = longest.text.chars().take(len - excess - 1).collect();
                    longest.text = kept + "…";
                    continue;
                }
            }
        }
        let worst = parts
            .iter()
            .enumerate()
            .max_by_key(|(i, (p, _))| (*p, *i))
            .map(|(i, _)| i)
            .unwrap_or(0);
        parts.remove(worst);
    }
    parts.into_iter().map(|(_, s)| s).collect()
}

/// The hints of the view, fitted to the width: the last three (pause, help, quit) always stay.
fn hints(ui: &UiState, columns: u16) -> Vec<(&'static str, &'static str)> {
    let mut hints = all_hints(ui);
    let width = |h: &[(&str, &str)]| {
        h.iter()
            .map(|(k, w)| k.chars().count() + w.chars().count() + 3)
            .sum::<usize>()
    };
    let prompt = if ui.filtering {
        ui.top().filter.chars().count() + 14
    } else {
        0
    };
    while width(&hints) + prompt > columns as usize && hints.len() > 3 {
        hints.remove(hints.len() - 4);
    }
    hints
}

fn all_hints(ui: &UiState) -> Vec<(&'static str, &'static str)> {
    if ui.filtering {
        return vec![("Enter", "keep filter"), ("Esc", "clear"), ("↑↓", "move")];
    }
    let frame = ui.top();
    let mut hints = match &frame.view {
        View::Overview if frame.panel == Panel::Alarms => {
            vec![
                ("↑↓", "alarm"),
                ("A", "acknowledge"),
                ("Enter", "application"),
                ("Tab", "table"),
            ]
        }
        View::Overview => vec![
            ("↑↓", "move"),
            ("Enter", "details"),
            ("/", "filter"),
            ("s/S", "sort"),
            ("←→", "time"),
            ("Tab", "alarms"),
            ("w", "width"),
        ],
        View::App { .. } => vec![
            ("↑↓", "caller"),
            ("Enter", "caller detail"),
            ("L", "latency"),
            ("/", "filter"),
            ("s/S", "sort"),
            ("←→", "time"),
            ("Esc", "back"),
        ],
        View::Host { .. } => vec![("L", "latency"), ("←→", "time"), ("Esc", "back")],
        View::Latency { .. } => vec![("←→", "time"), ("Esc", "back")],
        View::Malformed => vec![("↑↓", "scroll"), ("Esc", "back")],
        View::Sources => vec![("↑↓", "move"), ("Esc", "back")],
        View::Alarms => vec![
            ("↑↓", "move"),
            ("A", "acknowledge"),
            ("Enter", "application"),
            ("/", "filter"),
            ("Esc", "back"),
        ],
        View::Help => vec![("Esc", "close")],
    };
    if ui.travel.is_some() {
        hints.insert(0, ("End", "live"));
    }
    hints.push(("p", if ui.paused { "resume" } else { "pause" }));
    hints.push(("?", "help"));
    hints.push(("q", "quit"));
    hints
}

fn alarm_mark(snapshot: &Snapshot, ui: &UiState) -> HashMap<Arc<str>, Mark> {
    let mut marks: HashMap<Arc<str>, Mark> = HashMap::new();
    for s in snapshot
        .alarms
        .statuses
        .iter()
        .filter(|s| s.state == AlarmState::Alarm)
    {
        let acked = ui
            .acknowledged
            .contains(&(s.alarm.clone(), s.application.clone()));
        let mark = marks.entry(s.application.clone()).or_insert(Mark::Acked);
        if !acked {
            *mark = Mark::Alarm;
        }
    }
    marks
}

fn app_row(snapshot: &Snapshot, app: &AppWindow, window: &WindowSummary) -> AppRow {
    AppRow {
        name: app.application.clone(),
        label: safe(&app.application),
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
        spark: String::new(),
    }
}

fn overview(snapshot: &Snapshot, ui: &UiState, index: usize, filter: &str) -> Overview {
    let window = &snapshot.windows[index];
    let spark_slots = slots(snapshot, index, SPARK_WINDOWS);
    let marks = alarm_mark(snapshot, ui);
    // Every application seen in the sparkline's windows gets a row, so one that went silent shows.
    let mut rows: BTreeMap<Arc<str>, AppRow> = BTreeMap::new();
    for (_, w) in &spark_slots {
        for app in w.iter().flat_map(|w| &w.apps) {
            if !rows.contains_key(&app.application) && matches_filter(&app.application, filter) {
                let mut row = match window.app(&app.application) {
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
                        ..app_row(snapshot, app, window)
                    },
                };
                let series: Vec<u64> = spark_slots
                    .iter()
                    .map(|(_, w)| {
                        w.and_then(|w| w.app(&app.application))
                            .map_or(0, |a| a.requests)
                    })
                    .collect();
                row.spark = sparkline(&series);
                row.alarm = marks.get(&app.application).copied().unwrap_or_default();
                rows.insert(app.application.clone(), row);
            }
        }
    }
    let mut rows: Vec<AppRow> = rows.into_values().collect();
    sort_rows(
        &mut rows,
        ui.app_sort,
        |r| &r.label,
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
    let chart_slots = slots(snapshot, end, CHART_WINDOWS);
    // A window without traffic (a silent source) has no busiest applications: take the last
    // window plotted instead.
    let busiest_of = if window.apps.is_empty() {
        &snapshot.windows[end]
    } else {
        window
    };
    let mut busiest: Vec<&AppWindow> = busiest_of.apps.iter().collect();
    busiest.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then(a.application.cmp(&b.application))
    });
    let series = busiest
        .iter()
        .take(CHART_APPS)
        .map(|app| {
            let values = chart_slots
                .iter()
                .map(|(_, w)| {
                    w.and_then(|w| w.app(&app.application))
                        .map_or(0, |a| a.requests)
                })
                .collect();
            (safe(&app.application), values)
        })
        .collect();
    let starts: Vec<i64> = chart_slots.iter().map(|(s, _)| *s).collect();

    let title = format!(
        "Applications · {} req in {} window{}",
        format::grouped(window.requests()),
        format::width(snapshot.width_secs),
        if window.is_final { "" } else { " (open)" }
    );
    let empty = rows.is_empty().then(|| {
        if filter.is_empty() {
            "No requests in this window.".to_string()
        } else {
            format!("No application matches “{}”.", safe(filter))
        }
    });
    Overview {
        title,
        headers: headers(OVERVIEW_COLUMNS.iter().copied(), ui.app_sort),
        rows,
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
        alarms: alarm_panel(snapshot, ui),
    }
}

fn alarm_text(
    name: &str,
    app: &str,
    value: Option<f64>,
    comparison: &str,
    threshold: f64,
) -> String {
    format!(
        "{}  {}  {} {} {}",
        safe(name),
        safe(app),
        value.map(format::metric).unwrap_or_else(|| "–".into()),
        comparison,
        format::metric(threshold)
    )
}

fn alarm_panel(snapshot: &Snapshot, ui: &UiState) -> AlarmPanel {
    let view = &snapshot.alarms;
    let firing: Vec<_> = view
        .statuses
        .iter()
        .filter(|s| s.state == AlarmState::Alarm)
        .collect();
    let active = firing
        .iter()
        .map(|s| {
            let key = (s.alarm.clone(), s.application.clone());
            let since = s
                .since
                .map(|t| format!("  since {}", format::clock_short(t)))
                .unwrap_or_default();
            AlarmLine {
                text: format!(
                    "{}{since}",
                    alarm_text(&s.alarm, &s.application, s.value, s.comparison, s.threshold)
                ),
                acked: ui.acknowledged.contains(&key),
                key,
                state: s.state,
            }
        })
        .collect();
    let recent = view
        .recent
        .iter()
        .take(RECENT_TRANSITIONS)
        .map(|t| AlarmLine {
            key: (t.alarm.clone(), t.application.clone()),
            text: format!(
                "{} {} {} {}→{} {}",
                format::clock_short(t.window_start),
                safe(&t.alarm),
                safe(&t.application),
                short_state(t.previous),
                short_state(t.state),
                t.value.map(format::metric).unwrap_or_else(|| "–".into())
            ),
            state: t.state,
            acked: false,
        })
        .collect();
    let empty = if view.statuses.is_empty() {
        Some(
            "No alarm rules. Add [[alarm]] rules to the config file (see assets/config.toml)."
                .into(),
        )
    } else if firing.is_empty() && view.recent.is_empty() {
        Some(format!("All {} alarms OK.", view.statuses.len()))
    } else {
        None
    };
    AlarmPanel {
        title: format!(
            "Alarms · {} firing of {}",
            firing.len(),
            view.statuses.len()
        ),
        active,
        recent,
        empty,
    }
}

fn short_state(state: AlarmState) -> &'static str {
    match state {
        AlarmState::Ok => "OK",
        AlarmState::Alarm => "ALARM",
        AlarmState::InsufficientData => "INSUF",
    }
}

fn alarm_table(snapshot: &Snapshot, ui: &UiState, filter: &str) -> AlarmTable {
    let statuses = &snapshot.alarms.statuses;
    let rows: Vec<AlarmRow> = statuses
        .iter()
        .filter(|s| matches_filter(&s.alarm, filter) || matches_filter(&s.application, filter))
        .map(|s| {
            let key = (s.alarm.clone(), s.application.clone());
            let points: Vec<String> = s
                .datapoints
                .iter()
                .map(|(_, v)| v.map(format::metric).unwrap_or_else(|| "·".into()))
                .collect();
            AlarmRow {
                acked: ui.acknowledged.contains(&key),
                state: s.state,
                cells: [
                    safe(&s.alarm),
                    safe(&s.application),
                    format!(
                        "{} {} {}",
                        safe(&s.metric),
                        s.comparison,
                        format::metric(s.threshold)
                    ),
                    s.state.as_str().to_string(),
                    s.since.map(format::clock).unwrap_or_else(|| "start".into()),
                    s.value.map(format::metric).unwrap_or_else(|| "–".into()),
                    points.join(" "),
                ],
                key,
            }
        })
        .collect();
    let empty = if statuses.is_empty() {
        Some(
            "No alarm rules. Add [[alarm]] rules to the config file (see assets/config.toml)."
                .into(),
        )
    } else if rows.is_empty() {
        Some(format!("No alarm matches “{}”.", safe(filter)))
    } else {
        None
    };
    AlarmTable { rows, empty }
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

fn app_detail(
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
    let chart_slots = slots(snapshot, chart_end(snapshot, index), CHART_WINDOWS);
    let starts: Vec<i64> = chart_slots.iter().map(|(s, _)| *s).collect();
    let per_slot = |f: &dyn Fn(&AppWindow) -> u64| -> Vec<u64> {
        chart_slots
            .iter()
            .map(|(_, w)| w.and_then(|w| w.app(name)).map_or(0, f))
            .collect()
    };
    let series = vec![
        ("requests".to_string(), per_slot(&|a| a.requests)),
        ("4xx".to_string(), per_slot(&|a| a.status.c4xx)),
        ("5xx".to_string(), per_slot(&|a| a.status.c5xx)),
    ];
    let marks = alarm_mark(snapshot, ui);
    let hosts = app.map_or(0, |a| a.hosts);
    let callers_title = match app {
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
        latency: app
            .and_then(|a| a.latency.as_ref())
            .map(|l| histogram("Latency", l)),
        chart: chart(format!("{} per window", safe(name)), &starts, series),
    }
}

fn find_caller<'a>(window: &'a WindowSummary, app: &str, host: &str) -> Option<&'a CallerSummary> {
    window
        .app(app)?
        .top_callers
        .iter()
        .find(|c| &*c.host == host)
}

fn host_detail(snapshot: &Snapshot, index: usize, app: &Arc<str>, host: &Arc<str>) -> HostDetail {
    let window = &snapshot.windows[index];
    let caller = find_caller(window, app, host);
    let chart_slots = slots(snapshot, chart_end(snapshot, index), CHART_WINDOWS);
    let starts: Vec<i64> = chart_slots.iter().map(|(s, _)| *s).collect();
    let per_slot = |f: &dyn Fn(&CallerSummary) -> u64| -> Vec<u64> {
        chart_slots
            .iter()
            .map(|(_, w)| w.and_then(|w| find_caller(w, app, host)).map_or(0, f))
            .collect()
    };
    let series = vec![
        ("requests".to_string(), per_slot(&|c| c.requests)),
        (
            "errors".to_string(),
            per_slot(&|c| c.status.c4xx + c.status.c5xx),
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
        latency: caller
            .and_then(|c| c.latency.as_ref())
            .map(|l| histogram("Latency", l)),
        chart: chart(format!("{} per window", safe(host)), &starts, series),
    }
}

fn latency_view(
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

fn malformed(snapshot: &Snapshot) -> MalformedView {
    let c = &snapshot.counters;
    let share = if c.lines == 0 {
        0.0
    } else {
        c.malformed as f64 / c.lines as f64
    };
    MalformedView {
        summary: vec![
            ("lines".into(), format::grouped(c.lines)),
            ("parsed".into(), format::grouped(c.parsed)),
            (
                "malformed".into(),
                format!(
                    "{} ({})",
                    format::grouped(c.malformed),
                    format::percent(share)
                ),
            ),
            ("bad records".into(), format::grouped(c.bad_records)),
            ("late".into(), format::grouped(c.late)),
        ],
        // Samples are already escaped by the pipeline; escaping again is harmless and keeps the
        // guarantee local.
        rows: snapshot
            .malformed
            .iter()
            .rev()
            .map(|m| MalformedRow {
                origin: safe(&m.origin),
                reason: safe(&m.reason),
                text: crate::output::sanitize::for_display(&m.text, 4 * MAX_TEXT).into_owned(),
            })
            .collect(),
    }
}

/// The last window the charts plot: an open window is left out (its partial count would look like
/// a sudden drop) unless it is all there is.
fn chart_end(snapshot: &Snapshot, index: usize) -> usize {
    if index > 0 && !snapshot.windows[index].is_final {
        index - 1
    } else {
        index
    }
}
