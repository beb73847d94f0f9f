//! The overview's view model: one row per application, the chart of the busiest ones, and the
//! alarm panel (built in `alarms`).

use std::sync::Arc;

use crate::core::AppWindow;
use crate::pipeline::snapshot::Snapshot;
use crate::ui::app::format;
use crate::ui::app::state::{Column, UiState};

use super::alarms::{alarm_marks, alarm_panel, AlarmPanel};
use super::app_rows::{caller_hint, label, sort_key, AppRows, RowSource, SPARK_WINDOWS};
use super::by_name::{merge_by_name, window_list, NameList, RowAt};
use super::caller_search::matching_callers;
use super::change::previous_window;
use super::older_apps::OlderApps;
use super::widgets::{
    chart, chart_end, elapsed, headers, matches_filter, safe, sort_keyed, timeline, timeline_at,
    Chart,
};
/// Applications in the overview chart.
const CHART_APPS: usize = 5;
/// Windows in the charts (at most the kept history).
pub const CHART_WINDOWS: usize = 60;

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

#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub title: String,
    pub headers: Vec<String>,
    /// The applications, sorted; each row built when drawn.
    pub rows: AppRows,
    /// Width the application column should keep when rows carry a caller hint (the caller is
    /// what the operator searched for: other columns give way first); 0 = no hint.
    pub hint_width: usize,
    /// Why the table is empty, when it is.
    pub empty: Option<String>,
    pub chart: Chart,
    pub alarms: AlarmPanel,
}

/// The overview before any window exists: the table says why it is empty.
pub fn without_windows(snapshot: &Arc<Snapshot>, ui: &UiState) -> Overview {
    Overview {
        title: "Applications".into(),
        headers: headers(OVERVIEW_COLUMNS.iter().copied(), ui.app_sort),
        rows: AppRows::none(snapshot),
        hint_width: 0,
        empty: Some(if snapshot.finished {
            "The input ended without a single request.".into()
        } else {
            "No requests yet: waiting for traffic…".into()
        }),
        chart: Chart::default(),
        alarms: alarm_panel(snapshot, ui, None),
    }
}

/// The overview of the window at `index`; `older` keeps the older windows' applications from
/// one build to the next.
pub fn overview(
    snapshot: &Arc<Snapshot>,
    ui: &UiState,
    index: usize,
    filter: &str,
    older: &mut OlderApps,
) -> Overview {
    let window = &snapshot.windows[index];
    let spark: Vec<Option<usize>> = timeline_at(snapshot, index, SPARK_WINDOWS)
        .into_iter()
        .map(|(_, at)| at)
        .collect();
    // The timeline ends with the window on screen; the one before it is the previous window
    // when that had traffic.
    let now_at = spark.len() - 1;
    let previous = previous_window(snapshot, index);
    let before_at = match previous {
        Some(Some(p)) if now_at >= 1 && spark[now_at - 1] == Some(p) => Some(now_at - 1),
        _ => None,
    };
    // Every application seen in the sparkline's windows gets a row, so one that went silent
    // shows: where it is now, else where it was first seen. The final older windows come merged
    // already; older windows still open (taking late events) and the one on screen are merged
    // here, the one on screen last.
    older.update(snapshot, &spark);
    let mut lists: Vec<NameList> = vec![older.list()];
    for (slot, at) in spark[..now_at].iter().enumerate() {
        match at.map(|i| &snapshot.windows[i]) {
            Some(w) if !w.is_final => lists.push(window_list(slot, w)),
            _ => {}
        }
    }
    lists.push(window_list(now_at, window));
    let elapsed_secs = elapsed(snapshot, window);
    let mut keyed: Vec<(f64, RowAt)> = Vec::with_capacity(window.apps.len());
    let mut hint_width = 0;
    merge_by_name(lists, |name, found| {
        let now = found.last().copied().flatten();
        let Some(row) = now.or_else(|| found.iter().flatten().min_by_key(|r| r.slot).copied())
        else {
            return;
        };
        let now = now.map(|r| &window.apps[r.at]);
        // The name, else a caller in the window on screen (an app silent now has none).
        if !matches_filter(name, filter) {
            match now.and_then(|a| matching_callers(a, filter)) {
                Some(m) => {
                    let hint = caller_hint(&label(name), &m).chars().count();
                    hint_width = hint_width.max(hint);
                }
                None => return,
            }
        }
        keyed.push((sort_key(now, ui.app_sort.column, elapsed_secs), row));
    });
    sort_keyed(&mut keyed, ui.app_sort);
    let source = RowSource {
        snapshot: Arc::clone(snapshot),
        index,
        spark,
        before_at,
        previous,
        marks: alarm_marks(snapshot, ui, Some(index)),
        filter: filter.to_string(),
    };
    let rows = AppRows::new(source, keyed.into_iter().map(|(_, row)| row).collect());

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

/// The `n` applications with the most requests, most first (ties by name), in one pass over
/// `apps` in name order (as windows keep them): a full sort of 100,000 applications, mostly ties
/// compared by name, was an eighth of the overview.
fn busiest(apps: &[AppWindow], n: usize) -> Vec<&AppWindow> {
    let first = |a: &AppWindow, b: &AppWindow| {
        b.requests
            .cmp(&a.requests)
            .then_with(|| a.application.cmp(&b.application))
    };
    let mut top: Vec<&AppWindow> = Vec::with_capacity(n + 1);
    for app in apps {
        // A tie with the last of a full list comes after it by name: names come in order.
        if top.len() == n && top.last().is_some_and(|last| app.requests <= last.requests) {
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
    use crate::core::WindowSummary;
    use crate::ui::app::fixtures;
    use crate::ui::app::state::{Sort, TableKind};
    use std::collections::BTreeSet;

    fn app(name: &str, requests: u64) -> AppWindow {
        let mut w = crate::ui::app::fixtures::app(name, Vec::new(), 0, &[]);
        w.requests = requests;
        w
    }

    #[test]
    fn the_busiest_are_those_a_full_sort_puts_first() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..50 {
            let mut apps: Vec<AppWindow> = (0..rng.usize(0..300))
                .map(|i| {
                    app(
                        &format!("app-{:03}", rng.usize(0..1000) * 1000 + i),
                        rng.u64(0..20),
                    )
                })
                .collect();
            // As windows keep them.
            apps.sort_by(|a, b| a.application.cmp(&b.application));
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

    /// `n` windows of applications drawn from a small pool (so some go silent and come back),
    /// some times without a window, the last `open` windows open; names shared between windows
    /// as the engine interns them, except now and then.
    fn random_snapshot(rng: &mut fastrand::Rng, n: usize, open: usize) -> Snapshot {
        let pool: Vec<Arc<str>> = (0..30).map(|i| Arc::from(format!("app-{i:02}"))).collect();
        let windows = (0..n)
            .filter_map(|i| {
                let kept = i + 1 == n || rng.u8(..6) != 0;
                kept.then(|| random_window(rng, &pool, i, i + open >= n))
            })
            .collect();
        Snapshot {
            windows,
            ..fixtures::snapshot_without_alarms()
        }
    }

    fn random_window(
        rng: &mut fastrand::Rng,
        pool: &[Arc<str>],
        i: usize,
        open: bool,
    ) -> Arc<WindowSummary> {
        let start = fixtures::START + i as i64 * fixtures::WIDTH;
        let mut w = WindowSummary::empty(start, fixtures::WIDTH, !open);
        w.apps = pool
            .iter()
            .filter_map(|name| {
                if rng.u8(..3) == 0 {
                    return None;
                }
                let mut a = app("", rng.u64(0..6));
                a.application = match rng.u8(..8) {
                    0 => Arc::from(&**name),
                    _ => Arc::clone(name),
                };
                a.bytes = rng.u64(0..4);
                a.hosts = rng.u64(0..3);
                Some(a)
            })
            .collect();
        Arc::new(w)
    }

    /// What the overview must list, worked out plainly: every name of the sparkline's windows,
    /// by name, then sorted (stable) by the key of the window on screen.
    fn expected(snapshot: &Snapshot, index: usize, sort: Sort) -> Vec<String> {
        let names: BTreeSet<String> = timeline(snapshot, index, SPARK_WINDOWS)
            .iter()
            .filter_map(|(_, w)| *w)
            .flat_map(|w| w.apps.iter().map(|a| a.application.to_string()))
            .collect();
        let mut names: Vec<String> = names.into_iter().collect();
        let now = &snapshot.windows[index];
        let key = |name: &str| sort_key(now.app(name), sort.column, elapsed(snapshot, now));
        if sort.column == Column::Name {
            if sort.descending() {
                names.reverse();
            }
        } else {
            names.sort_by(|a, b| match sort.descending() {
                true => key(b).total_cmp(&key(a)),
                false => key(a).total_cmp(&key(b)),
            });
        }
        names
    }

    fn listed(o: &Overview) -> Vec<String> {
        (0..o.rows.len())
            .map(|i| o.rows.name(i).map(|n| n.to_string()).unwrap_or_default())
            .collect()
    }

    #[test]
    fn every_application_of_the_sparkline_is_listed_once_sorted_as_asked() {
        let mut rng = fastrand::Rng::with_seed(11);
        // One list of older applications kept across all of them, as the TUI keeps it.
        let mut older = OlderApps::default();
        for _ in 0..60 {
            let n = rng.usize(1..20);
            let open = rng.usize(1..4);
            let snapshot = Arc::new(random_snapshot(&mut rng, n, open));
            let index = rng.usize(0..snapshot.windows.len());
            let mut ui = UiState::default();
            for &column in TableKind::Applications.columns() {
                for reversed in [false, true] {
                    ui.app_sort = Sort { column, reversed };
                    let o = overview(&snapshot, &ui, index, "", &mut older);
                    let want = expected(&snapshot, index, ui.app_sort);
                    assert_eq!(listed(&o), want, "{column:?} reversed {reversed}");
                    for (i, name) in want.iter().enumerate() {
                        assert_eq!(o.rows.position(name), Some(i), "{name}");
                        let row = o.rows.get(i).expect("listed");
                        assert_eq!(&*row.name, name.as_str());
                        assert_eq!(o.rows.is_silent(i), row.requests == 0);
                    }
                    assert_eq!(o.rows.position("not-listed"), None);
                    assert_eq!(o.rows, overview(&snapshot, &ui, index, "", &mut older).rows);
                }
            }
        }
    }

    #[test]
    fn the_kept_older_applications_follow_the_windows_as_they_close() {
        let mut rng = fastrand::Rng::with_seed(5);
        let pool: Vec<Arc<str>> = (0..30).map(|i| Arc::from(format!("app-{i:02}"))).collect();
        let mut older = OlderApps::default();
        let ui = UiState::default();
        let mut snapshot = random_snapshot(&mut rng, 14, 2);
        for step in 0..40 {
            // Most snapshots: the open windows took more traffic (new summaries, the final ones
            // shared); now and then the oldest open window closes and a new one opens.
            let n = snapshot.windows.len();
            let last = snapshot.windows[n - 1].start;
            let i = ((last - fixtures::START) / fixtures::WIDTH) as usize;
            if step % 5 == 4 {
                let closing = n - 2;
                let mut closed = (*snapshot.windows[closing]).clone();
                closed.is_final = true;
                snapshot.windows[closing] = Arc::new(closed);
                snapshot
                    .windows
                    .push(random_window(&mut rng, &pool, i + 1, true));
            } else {
                snapshot.windows[n - 1] = random_window(&mut rng, &pool, i, true);
                snapshot.windows[n - 2] = random_window(&mut rng, &pool, i - 1, true);
            }
            let shared = Arc::new(snapshot.clone());
            let index = shared.windows.len() - 1;
            let o = overview(&shared, &ui, index, "", &mut older);
            assert_eq!(
                listed(&o),
                expected(&shared, index, ui.app_sort),
                "step {step}"
            );
        }
    }
}
