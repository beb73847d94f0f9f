//! What `e` exports: the rows of the view on screen, in its order and with its filter, as
//! [`ExportTable`]. Numbers are raw (requests, bytes, microseconds, shares 0–1), not the screen's
//! rounded text, so a spreadsheet can add them up. Pure: the event loop writes the file.

use std::sync::Arc;

use crate::core::{Counted, TopAgents, WindowSummary};
use crate::output::csv_export::ExportTable;
use crate::output::lines::rfc3339;
use crate::output::sanitize::for_display;
use crate::pipeline::recent::LINE_BYTES;
use crate::pipeline::snapshot::Snapshot;

use super::model::{picked_window, safe, Body, ViewModel};
use super::state::{Panel, UiState, View};

fn opt(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The caller whose detail is on screen, if it is a caller's.
fn caller_shown(view: &View) -> Option<&Arc<str>> {
    match view {
        View::Host { host, .. } => Some(host),
        _ => None,
    }
}

/// The top-k lists of `app` in `window`, or of its caller `host` when given: (top paths, top
/// user agents and referers).
fn top_lists<'a>(
    window: Option<&'a WindowSummary>,
    app: &str,
    host: Option<&Arc<str>>,
) -> (Option<&'a [Counted]>, Option<&'a TopAgents>) {
    let app_window = window.and_then(|w| w.app(app));
    match host {
        Some(h) => {
            let caller = app_window.and_then(|a| a.top_callers.iter().find(|c| c.host == *h));
            (caller.map(|c| &c.top_paths[..]), caller.map(|c| &c.agents))
        }
        None => (
            app_window.map(|a| &a.top_paths[..]),
            app_window.map(|a| &a.agents),
        ),
    }
}

/// A top-k panel (paths, user agents, referers) as rows: application, caller (empty for the
/// application's own), the key under `column`, its count and the count's overestimate bound.
fn counted_table(
    view: &'static str,
    column: &'static str,
    app: &str,
    host: Option<&Arc<str>>,
    list: Option<&[Counted]>,
) -> ExportTable {
    ExportTable {
        view,
        headers: vec![
            "application",
            "caller",
            column,
            "requests",
            "requests_overestimate",
        ],
        rows: list
            .unwrap_or_default()
            .iter()
            .map(|c| {
                vec![
                    safe(app),
                    host.map(|h| safe(h)).unwrap_or_default(),
                    safe(&c.key),
                    c.count.to_string(),
                    c.error.to_string(),
                ]
            })
            .collect(),
    }
}

/// The rows of the view on screen; `None` for views without rows to export (help, latency…).
pub fn export_table(
    snapshot: Option<&Snapshot>,
    ui: &UiState,
    model: &ViewModel,
) -> Option<ExportTable> {
    let snapshot = snapshot?;
    let top = ui.top();
    let window = picked_window(snapshot, ui.travel).map(|i| &*snapshot.windows[i]);
    match (&top.view, &model.body) {
        (View::Overview, Body::Overview(o)) => Some(ExportTable {
            view: "overview",
            headers: vec![
                "application",
                "requests",
                "requests_per_sec",
                "bytes",
                "share_4xx",
                "share_5xx",
                "p50_us",
                "p99_us",
                "callers",
                "callers_exact",
                "matched_caller",
            ],
            rows: o
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.label.to_string(),
                        r.requests.to_string(),
                        format!("{:.3}", r.rate),
                        r.bytes.to_string(),
                        format!("{:.4}", r.err_4xx),
                        format!("{:.4}", r.err_5xx),
                        opt(r.p50),
                        opt(r.p99),
                        r.hosts.to_string(),
                        r.hosts_exact.to_string(),
                        r.caller_match
                            .as_ref()
                            .map(|m| safe(&m.host))
                            .unwrap_or_default(),
                    ]
                })
                .collect(),
        }),
        (View::App { app }, _) | (View::Host { app, .. }, _)
            if matches!(top.panel, Panel::Agents | Panel::Referers) =>
        {
            let host = caller_shown(&top.view);
            let agents = top_lists(window, app, host).1;
            let (view, column, list) = match top.panel {
                Panel::Agents => ("user_agents", "user_agent", agents.map(|a| &a.user_agents)),
                _ => ("referers", "referer", agents.map(|a| &a.referers)),
            };
            Some(counted_table(view, column, app, host, list.map(|l| &l[..])))
        }
        (View::App { app }, Body::App(a)) if top.panel != Panel::Paths => Some(ExportTable {
            view: "callers",
            headers: vec![
                "application",
                "caller",
                "requests",
                "requests_overestimate",
                "bytes",
                "share_4xx",
                "share_5xx",
                "p50_us",
                "p99_us",
            ],
            rows: a
                .callers
                .iter()
                .map(|c| {
                    vec![
                        safe(app),
                        safe(&c.host),
                        c.requests.to_string(),
                        c.error.to_string(),
                        c.bytes.to_string(),
                        format!("{:.4}", c.err_4xx),
                        format!("{:.4}", c.err_5xx),
                        opt(c.p50),
                        opt(c.p99),
                    ]
                })
                .collect(),
        }),
        (View::App { app }, _) | (View::Host { app, .. }, _) => {
            let host = caller_shown(&top.view);
            let paths = top_lists(window, app, host).0;
            Some(counted_table("paths", "path", app, host, paths))
        }
        (View::Alarms, Body::Alarms(a)) => Some(ExportTable {
            view: "alarms",
            headers: vec![
                "alarm",
                "application",
                "condition",
                "state",
                "since",
                "value",
                "datapoints",
                "acknowledged",
            ],
            rows: a
                .rows
                .iter()
                .map(|r| {
                    let mut row = r.cells.to_vec();
                    row.push(r.acked.to_string());
                    row
                })
                .collect(),
        }),
        (View::Recent { app, host }, _) => Some(ExportTable {
            view: "requests",
            headers: vec![
                "time",
                "application",
                "caller",
                "status",
                "bytes",
                "latency_us",
                "line",
            ],
            rows: snapshot
                .recent
                .get(&**app)
                .map(|ring| {
                    ring.newest_first()
                        .filter(|r| host.as_ref().is_none_or(|h| *r.client == **h))
                        .map(|r| {
                            vec![
                                rfc3339(r.time),
                                safe(app),
                                safe(&r.client),
                                r.status.to_string(),
                                r.bytes.to_string(),
                                opt(r.latency_us),
                                // Escaped as on screen: a CSV someone `cat`s is a terminal too.
                                for_display(&r.line, LINE_BYTES + 1).into_owned(),
                            ]
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use crate::ui::app::{fixtures, App};

    fn app() -> App {
        let mut app = App::new(vec![300], (120, 36), fixtures::NOW_MS);
        app.on_snapshot(Arc::new(fixtures::snapshot()));
        app
    }

    fn keys(app: &mut App, keys: &str) {
        for c in keys.chars() {
            app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    fn press(app: &mut App, code: KeyCode) {
        app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    #[test]
    fn the_overview_exports_its_filtered_rows_with_raw_numbers() {
        let mut app = app();
        keys(&mut app, "/10.0.2.");
        press(&mut app, KeyCode::Enter);
        keys(&mut app, "e");
        let table = app.take_export().expect("e asks for an export");
        assert_eq!(table.view, "overview");
        assert_eq!(table.rows.len(), 1);
        let row = &table.rows[0];
        assert_eq!(row[0], "search");
        assert_eq!(row.len(), table.headers.len());
        // Raw, not "1.3k": a spreadsheet adds these up.
        assert!(row[1].parse::<u64>().unwrap() > 1_000, "{row:?}");
        assert_eq!(row[10], "10.0.2.21");
        assert!(app.take_export().is_none(), "taken once");
    }

    #[test]
    fn callers_paths_alarms_and_requests_each_export_their_rows() {
        let mut app = app();
        press(&mut app, KeyCode::Down);
        press(&mut app, KeyCode::Enter);
        keys(&mut app, "e");
        let callers = app.take_export().unwrap();
        assert_eq!((callers.view, callers.rows.len()), ("callers", 3));
        // Tab to the status codes, Tab again to the paths.
        press(&mut app, KeyCode::Tab);
        press(&mut app, KeyCode::Tab);
        keys(&mut app, "e");
        let paths = app.take_export().unwrap();
        assert_eq!(paths.view, "paths");
        assert_eq!(paths.rows[0][2], "/api/cart");
        keys(&mut app, "r");
        keys(&mut app, "e");
        let requests = app.take_export().unwrap();
        assert_eq!((requests.view, requests.rows.len()), ("requests", 30));
        assert!(requests.rows[0][0].ends_with('Z'), "{:?}", requests.rows[0]);
        assert!(
            requests.rows.iter().all(|r| !r[6].contains('\u{1b}')),
            "lines are escaped"
        );
        keys(&mut app, "a");
        keys(&mut app, "e");
        let alarms = app.take_export().unwrap();
        assert_eq!(alarms.view, "alarms");
        assert!(!alarms.rows.is_empty());
    }

    #[test]
    fn user_agents_and_referers_export_their_rows_for_an_application_and_a_caller() {
        let mut app = app();
        // The overview's first row is search; Tab past callers, codes and paths.
        press(&mut app, KeyCode::Enter);
        for _ in 0..3 {
            press(&mut app, KeyCode::Tab);
        }
        keys(&mut app, "e");
        let agents = app.take_export().unwrap();
        assert_eq!(agents.view, "user_agents");
        assert_eq!(agents.headers[2], "user_agent");
        assert_eq!(agents.rows[0][0], "search");
        assert_eq!(agents.rows[0][2], "python-requests/2.31.0");
        assert!(agents.rows[0][3].parse::<u64>().unwrap() > 800);
        press(&mut app, KeyCode::Tab);
        keys(&mut app, "e");
        let referers = app.take_export().unwrap();
        assert_eq!(referers.view, "referers");
        assert_eq!(
            referers.rows[0][2],
            "https://shop.example.com/search?q=shoes"
        );
        // A caller's own: its detail opens on its status codes.
        let mut app = self::app();
        press(&mut app, KeyCode::Enter);
        press(&mut app, KeyCode::Enter);
        for _ in 0..2 {
            press(&mut app, KeyCode::Tab);
        }
        keys(&mut app, "e");
        let caller = app.take_export().unwrap();
        assert_eq!(caller.view, "user_agents");
        assert!(
            caller.rows[0][1].starts_with("10.0.2."),
            "{:?}",
            caller.rows
        );
        assert_eq!(caller.rows.len(), 1);
    }

    #[test]
    fn a_view_without_rows_says_so_in_the_status_bar() {
        let mut app = app();
        keys(&mut app, "?e");
        assert!(app.take_export().is_none());
        let status: String = app.model.status.iter().map(|s| s.text.clone()).collect();
        assert!(status.contains("nothing to export here"), "{status}");
        let outcome = app.on_exported(3, Ok("/tmp/x.csv".into()));
        assert!(outcome.redraw);
        let status: String = app.model.status.iter().map(|s| s.text.clone()).collect();
        assert!(status.contains("CSV → /tmp/x.csv · 3 rows"), "{status}");
    }
}
