//! The view model: everything the views draw, derived once per snapshot (or UI change) from the
//! snapshot and the UI state. Views only read it: no sorting, filtering or aggregation in `draw`.
//!
//! One file per screen, mirroring `crate::ui::view`: each holds the screen's view-model types and
//! the builder that fills them. `widgets` holds what several screens share (charts, histograms,
//! table headers and sorting, the time line of kept windows); `status` the status bar and hints.

pub mod alarms;
pub mod detail;
pub mod malformed;
pub mod overview;
pub mod sources;
pub mod status;
pub mod widgets;

use crate::pipeline::snapshot::Snapshot;

use super::state::{UiState, View};

pub use alarms::{AlarmLine, AlarmPanel, AlarmRow, AlarmTable};
pub use detail::{AppDetail, CallerRow, HostDetail, LatencyView, CALLER_COLUMNS};
pub use malformed::{MalformedRow, MalformedView};
pub use overview::{AppRow, Overview, OVERVIEW_COLUMNS};
pub use sources::{SourceRow, SourcesView};
pub use widgets::{
    chart, elapsed, headers, histogram, matches_filter, picked_window, safe, sort_rows, sparkline,
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
            self.status = status::status(snapshot, ui, index, now_ms, columns);
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
                status: status::waiting(),
                hints: status::hints(ui, columns),
                body: Body::Waiting,
            };
        };
        let index = picked_window(snapshot, ui.travel);
        let top = ui.top();
        let filter = top.filter.to_lowercase();
        let body = match (&top.view, index) {
            (View::Help, _) => Body::Help,
            (View::Malformed, _) => Body::Malformed(malformed::malformed(snapshot)),
            (View::Sources, _) => Body::Sources(sources::sources_view(&snapshot.source)),
            (View::Alarms, _) => Body::Alarms(alarms::alarm_table(snapshot, ui, &filter)),
            (View::Overview, Some(i)) => {
                Body::Overview(overview::overview(snapshot, ui, i, &filter))
            }
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
