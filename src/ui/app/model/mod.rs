//! The view model: everything the views draw, derived once per snapshot (or UI change) from the
//! snapshot and the UI state. Views only read it: no sorting, filtering or aggregation in `draw`.
//!
//! One file per screen, mirroring `crate::ui::view`: each holds the screen's view-model types and
//! the builder that fills them. `widgets` holds what several screens share (charts, histograms,
//! table headers and sorting, the time line of kept windows); `status` the status bar and hints.

pub mod agents;
pub mod alarm_chart;
pub mod alarm_states;
pub mod alarms;
pub mod app_rows;
pub mod by_name;
pub mod caller_search;
pub mod change;
pub mod detail;
pub mod malformed;
pub mod older_apps;
pub mod overview;
pub mod recent;
pub mod sources;
pub mod status;
pub mod widgets;

use std::sync::Arc;

use crate::pipeline::snapshot::Snapshot;

use super::format;
use super::keymap::{self, Action};
use super::state::{ItemKey, Panel, UiState, View};

pub use agents::{AgentPanels, CountedList};
pub use alarms::{AlarmLine, AlarmPanel, AlarmRow, AlarmTable};
pub use app_rows::{AppRow, AppRows};
pub use detail::{AppDetail, CallerRow, HostDetail, LatencyView, CALLER_COLUMNS};
pub use malformed::{MalformedRow, MalformedView};
pub use older_apps::OlderApps;
pub use overview::{Overview, OVERVIEW_COLUMNS};
pub use recent::{RecentRow, RecentView, RECENT_COLUMNS};
pub use sources::{SourceRow, SourcesView};
pub use widgets::{
    chart, elapsed, headers, histogram, matches_filter, picked_window, safe, sort_rows,
    status_rows, timeline, Chart, Histogram, Series, MAX_TEXT,
};

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

/// What one build of the view model keeps for the next, where rebuilding it from the snapshot
/// costs (100,000 applications): only ever what the snapshot alone would give again.
#[derive(Debug, Clone, Default)]
pub struct ModelCache {
    older: OlderApps,
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
    /// Start-up waits for something (an endpoint, a metadata file), for `waited` so far.
    Starting {
        what: String,
        waited: String,
    },
    Overview(Overview),
    App(AppDetail),
    Host(HostDetail),
    Latency(LatencyView),
    Malformed(MalformedView),
    Sources(SourcesView),
    Alarms(AlarmTable),
    Recent(RecentView),
    /// The keys, and how far back history reaches.
    Help(String),
}

/// How far back time travel reaches: `48 windows of 5m kept, back to 2017-01-20 06:00 UTC`.
pub fn history_reach(snapshot: &Snapshot) -> String {
    let reach = window_reach(snapshot);
    match widths_given_up(snapshot) {
        Some(given_up) => format!("{reach} {given_up}"),
        None => reach,
    }
}

/// `Widths given up at this scale: 15m, 1h …`, when the engine gave any up (see
/// `pipeline::engine::widths`).
pub fn widths_given_up(snapshot: &Snapshot) -> Option<String> {
    if snapshot.widths_given_up.is_empty() {
        return None;
    }
    Some(format!(
        "Widths given up at this scale: {} (too many applications; w offers {}).",
        widths_text(&snapshot.widths_given_up, ", "),
        widths_text(&snapshot.widths, ", "),
    ))
}

/// The status bar's word on widths given up (short: the counters must still fit; `?` has the
/// whole sentence): `10s 1m given up: too many applications (?)`.
pub fn widths_given_up_short(snapshot: &Snapshot) -> Option<String> {
    if snapshot.widths_given_up.is_empty() {
        return None;
    }
    Some(format!(
        "{} given up: too many applications (?)",
        widths_text(&snapshot.widths_given_up, " ")
    ))
}

/// `10s, 1m` (or `10s 1m`): widths as the screen writes them.
fn widths_text(widths: &[i64], separator: &str) -> String {
    widths
        .iter()
        .map(|&w| format::width(w))
        .collect::<Vec<_>>()
        .join(separator)
}

fn window_reach(snapshot: &Snapshot) -> String {
    match (snapshot.windows.first(), snapshot.windows.len()) {
        (Some(oldest), n) => format!(
            "History: {n} window{} of {} kept, back to {} {} UTC (< goes there).",
            if n == 1 { "" } else { "s" },
            format::width(snapshot.width_secs),
            format::date(oldest.start),
            format::clock_short(oldest.start),
        ),
        (None, _) => "History: no window yet.".into(),
    }
}

impl ViewModel {
    /// Only the status bar, for the clock tick: ages change with time, the rest does not.
    pub fn refresh_status(
        &mut self,
        snapshot: Option<&Snapshot>,
        ui: &UiState,
        now_ms: i64,
        columns: u16,
    ) {
        match snapshot {
            Some(snapshot) => {
                let index = picked_window(snapshot, ui.travel);
                self.status = status::status(snapshot, ui, index, now_ms, columns);
            }
            // Start-up's wait grows by the second.
            None => *self = ViewModel::build(None, ui, now_ms, columns),
        }
    }

    /// Everything the screen shows for this snapshot, UI state, wall clock and terminal width,
    /// built from nothing kept (see [`ViewModel::build_with`]).
    pub fn build(
        snapshot: Option<&Arc<Snapshot>>,
        ui: &UiState,
        now_ms: i64,
        columns: u16,
    ) -> ViewModel {
        Self::build_with(snapshot, ui, now_ms, columns, &mut ModelCache::default())
    }

    /// [`ViewModel::build`], reusing what `cache` kept from the last build (the same output).
    pub fn build_with(
        snapshot: Option<&Arc<Snapshot>>,
        ui: &UiState,
        now_ms: i64,
        columns: u16,
        cache: &mut ModelCache,
    ) -> ViewModel {
        let Some(snapshot) = snapshot else {
            return ViewModel {
                status: status::waiting(ui, now_ms),
                // Before the first snapshot there is nothing to move, sort or open.
                hints: vec![(keymap::hint(Action::Quit), "quit")],
                body: match &ui.starting {
                    Some(step) => Body::Starting {
                        what: match &step.problem {
                            Some(problem) => format!("{}: {}", safe(&step.what), safe(problem)),
                            None => safe(&step.what),
                        },
                        waited: format::age((now_ms - step.since_ms) / 1000),
                    },
                    None => Body::Waiting,
                },
            };
        };
        let index = picked_window(snapshot, ui.travel);
        let top = ui.top();
        let filter = top.filter.to_lowercase();
        let body = match (&top.view, index) {
            (View::Help, _) => Body::Help(history_reach(snapshot)),
            (View::Malformed, _) => Body::Malformed(malformed::malformed(snapshot)),
            (View::Sources, _) => Body::Sources(sources::sources_view(&snapshot.source, now_ms)),
            (View::Alarms, _) => Body::Alarms(alarms::alarm_table(snapshot, ui, index, &filter)),
            // Not a window's: the newest requests whatever window is on screen.
            (View::Recent { app, host }, _) => {
                Body::Recent(recent::recent_view(snapshot, app, host.as_deref()))
            }
            (View::Overview, Some(i)) => Body::Overview(overview::overview(
                snapshot,
                ui,
                i,
                &filter,
                &mut cache.older,
            )),
            (View::App { app }, Some(i)) => {
                Body::App(detail::app_detail(snapshot, ui, i, app, &filter))
            }
            (View::Host { app, host }, Some(i)) => {
                Body::Host(detail::host_detail(snapshot, i, app, host))
            }
            (View::Latency { app, host }, Some(i)) => {
                Body::Latency(detail::latency_view(snapshot, i, app, host.as_deref()))
            }
            (View::Overview, None) => Body::Overview(overview::without_windows(snapshot, ui)),
            (_, None) => Body::Waiting,
        };
        ViewModel {
            status: status::status(snapshot, ui, index, now_ms, columns),
            hints: status::hints(ui, columns),
            body,
        }
    }

    /// What the main list's row `index` stands for.
    pub fn list_key(&self, index: usize) -> Option<ItemKey> {
        let name = |n: &std::sync::Arc<str>| Some(ItemKey::Name(n.clone()));
        match &self.body {
            Body::Overview(o) => o.rows.name(index).and_then(name),
            Body::App(a) => a.callers.get(index).and_then(|c| name(&c.host)),
            Body::Alarms(a) => a.rows.get(index).map(|r| ItemKey::Alarm(r.key.clone())),
            Body::Sources(s) => s.rows.get(index).map(|r| ItemKey::Text(r.cells[0].clone())),
            _ => None,
        }
    }

    /// Where the row standing for `key` is now, if still listed.
    pub fn list_position(&self, key: &ItemKey) -> Option<usize> {
        match (&self.body, key) {
            (Body::Overview(o), ItemKey::Name(n)) => o.rows.position(n),
            (Body::App(a), ItemKey::Name(n)) => a.callers.iter().position(|c| c.host == *n),
            (Body::Alarms(a), ItemKey::Alarm(k)) => a.rows.iter().position(|r| r.key == *k),
            (Body::Sources(s), ItemKey::Text(t)) => s.rows.iter().position(|r| r.cells[0] == *t),
            _ => None,
        }
    }

    /// Rows of a side panel (status codes, top paths, user agents, referers) of the view.
    pub fn panel_len(&self, panel: Panel) -> usize {
        let (codes, paths, agents) = match &self.body {
            Body::App(a) => (a.status_codes.len(), a.paths.len(), &a.agents),
            Body::Host(h) => (h.status_codes.len(), h.paths.len(), &h.agents),
            _ => return 0,
        };
        match panel {
            Panel::Codes => codes,
            Panel::Paths => paths,
            Panel::Agents => agents.user_agents.rows.len(),
            Panel::Referers => agents.referers.rows.len(),
            _ => 0,
        }
    }

    /// The active alarms of the overview's alarm panel.
    pub fn active_alarms(&self) -> &[AlarmLine] {
        match &self.body {
            Body::Overview(o) => &o.alarms.active,
            _ => &[],
        }
    }

    /// Rows of the main list of the view (for moving the selection).
    pub fn list_len(&self) -> usize {
        match &self.body {
            Body::Overview(o) => o.rows.len(),
            Body::App(a) => a.callers.len(),
            Body::Malformed(m) => m.rows.len(),
            Body::Sources(s) => s.rows.len(),
            Body::Alarms(a) => a.rows.len(),
            Body::Host(h) => h.paths.len(),
            Body::Recent(r) => r.rows.len(),
            _ => 0,
        }
    }
}
