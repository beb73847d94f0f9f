//! UI state: the stack of views (drill-down), selection, sort, filter, pause, time travel and
//! acknowledgements. Pure data; [`crate::ui::app::App`] changes it in response to keys and snapshots.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

pub use crate::core::alarms::AlarmKey;
use crate::pipeline::progress::StartStep;

/// One screen of the drill-down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// Every application: table, request chart, alarm panel.
    Overview,
    /// One application: contacts, callers, status codes, paths, latency, chart.
    App {
        app: Arc<str>,
    },
    /// One caller of an application.
    Host {
        app: Arc<str>,
        host: Arc<str>,
    },
    /// The latency histogram of an application (or one of its callers), full screen.
    Latency {
        app: Arc<str>,
        host: Option<Arc<str>>,
    },
    /// Recent raw requests of an application (or one of its callers), newest first.
    Recent {
        app: Arc<str>,
        host: Option<Arc<str>>,
    },
    Malformed,
    /// Every part of the source (shards, files): state, lag, records, problems.
    Sources,
    Alarms,
    Help,
}

impl View {
    /// The table whose sort order applies in this view, if any.
    pub fn table(&self) -> Option<TableKind> {
        match self {
            View::Overview => Some(TableKind::Applications),
            View::App { .. } => Some(TableKind::Callers),
            _ => None,
        }
    }
}

/// The panels of a view: `Tab` moves the focus through them, ↑ ↓ move in the focused one, Enter
/// opens a chart, status-code, path, user-agent, referer or latency panel full screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Panel {
    /// The view's main list (applications, callers).
    #[default]
    Table,
    Alarms,
    Codes,
    Paths,
    /// Top user agents (application and caller detail).
    Agents,
    /// Top referers (application and caller detail).
    Referers,
    Latency,
    Chart,
}

impl View {
    /// The panels `Tab` goes through, in order.
    pub fn panels(&self) -> &'static [Panel] {
        match self {
            View::Overview => &[Panel::Table, Panel::Alarms, Panel::Chart],
            View::App { .. } => &[
                Panel::Table,
                Panel::Codes,
                Panel::Paths,
                Panel::Agents,
                Panel::Referers,
                Panel::Latency,
                Panel::Chart,
            ],
            View::Host { .. } => &[
                Panel::Codes,
                Panel::Paths,
                Panel::Agents,
                Panel::Referers,
                Panel::Latency,
                Panel::Chart,
            ],
            _ => &[Panel::Table],
        }
    }
}

impl Panel {
    /// Whether Enter opens it full screen (rather than drilling down).
    pub fn zooms(self) -> bool {
        matches!(
            self,
            Panel::Codes
                | Panel::Paths
                | Panel::Agents
                | Panel::Referers
                | Panel::Latency
                | Panel::Chart
        )
    }

    /// Whether it is a list with its own cursor (↑ ↓ scroll it when focused).
    pub fn scrolls(self) -> bool {
        matches!(
            self,
            Panel::Codes | Panel::Paths | Panel::Agents | Panel::Referers
        )
    }
}

/// One view on the drill-down stack, with its own selection, focused panel and filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewState {
    pub view: View,
    /// Selected row of the view's main list.
    pub selected: usize,
    /// What is at `selected`: the selection follows it across re-sorts and refreshes until the
    /// user moves; `None` = whatever is at `selected` (after a move by position).
    pub selected_key: Option<ItemKey>,
    /// Selected line of the alarm panel (overview) — only active alarms are selectable.
    pub alarm_selected: usize,
    /// The alarm at `alarm_selected`, followed likewise.
    pub alarm_key: Option<AlarmKey>,
    pub panel: Panel,
    /// The highlighted row of each scrolling side panel (status codes, paths).
    pub cursors: BTreeMap<Panel, usize>,
    /// The focused panel fills the body (Enter on it; Esc goes back).
    pub zoomed: bool,
    /// Rows whose name contains this (case-insensitive) are shown; empty = all.
    pub filter: String,
}

impl ViewState {
    /// Selects the row at `index` (and whatever it holds).
    pub fn select(&mut self, index: usize) {
        self.selected = index;
        self.selected_key = None;
    }

    pub fn new(view: View) -> Self {
        ViewState {
            panel: view.panels()[0],
            view,
            selected: 0,
            selected_key: None,
            alarm_selected: 0,
            alarm_key: None,
            cursors: BTreeMap::new(),
            zoomed: false,
            filter: String::new(),
        }
    }
}

/// What a list row stands for, so a selection can follow it when rows move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKey {
    /// An application, caller, input or path.
    Name(Arc<str>),
    Alarm(AlarmKey),
    /// A row known only by its text (a malformed sample).
    Text(String),
}

/// The tables that can be sorted; each keeps its own order across drill-downs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Applications,
    Callers,
}

/// A sortable column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Requests,
    Rate,
    Bytes,
    Err4xx,
    Err5xx,
    P50,
    P99,
    Hosts,
}

impl TableKind {
    /// The columns `s` cycles through, in screen order.
    pub fn columns(self) -> &'static [Column] {
        match self {
            TableKind::Applications => &[
                Column::Name,
                Column::Requests,
                Column::Rate,
                Column::Bytes,
                Column::Err4xx,
                Column::Err5xx,
                Column::P50,
                Column::P99,
                Column::Hosts,
            ],
            TableKind::Callers => &[
                Column::Name,
                Column::Requests,
                Column::Bytes,
                Column::Err4xx,
                Column::Err5xx,
                Column::P50,
                Column::P99,
            ],
        }
    }
}

/// Sort order of one table: names ascend and numbers descend unless `reversed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub reversed: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            column: Column::Requests,
            reversed: false,
        }
    }
}

impl Sort {
    pub fn next(self, kind: TableKind) -> Sort {
        let columns = kind.columns();
        let at = columns.iter().position(|c| *c == self.column).unwrap_or(0);
        Sort {
            column: columns[(at + 1) % columns.len()],
            reversed: false,
        }
    }

    /// Whether the largest value comes first.
    pub fn descending(self) -> bool {
        (self.column != Column::Name) != self.reversed
    }
}

/// All UI state that is not the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiState {
    /// The drill-down; never empty, the overview at the bottom.
    pub stack: Vec<ViewState>,
    pub app_sort: Sort,
    pub caller_sort: Sort,
    /// The filter prompt is open (keys go to the top frame's filter).
    pub filtering: bool,
    /// The display is frozen on the snapshot shown when `p` was pressed.
    pub paused: bool,
    /// Time travel: start of the window on screen; `None` = live (the newest window).
    pub travel: Option<i64>,
    /// Alarms acknowledged while in ALARM; forgotten when they clear.
    pub acknowledged: HashSet<AlarmKey>,
    /// What start-up waits for, until the first snapshot.
    pub starting: Option<StartStep>,
    /// A message for the status bar (where an export went), until it expires.
    pub notice: Option<Notice>,
}

/// A passing message of the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    /// A failure (said in trouble's tone).
    pub bad: bool,
    /// Wall clock (UTC epoch milliseconds) after which it is gone.
    pub until_ms: i64,
}

impl Default for UiState {
    fn default() -> Self {
        UiState {
            stack: vec![ViewState::new(View::Overview)],
            app_sort: Sort::default(),
            caller_sort: Sort::default(),
            filtering: false,
            paused: false,
            travel: None,
            acknowledged: HashSet::new(),
            starting: None,
            notice: None,
        }
    }
}

impl UiState {
    pub fn top(&self) -> &ViewState {
        self.stack
            .last()
            .expect("the view stack always holds the overview")
    }

    pub fn top_mut(&mut self) -> &mut ViewState {
        self.stack
            .last_mut()
            .expect("the view stack always holds the overview")
    }

    pub fn sort(&self, kind: TableKind) -> Sort {
        match kind {
            TableKind::Applications => self.app_sort,
            TableKind::Callers => self.caller_sort,
        }
    }

    pub fn sort_mut(&mut self, kind: TableKind) -> &mut Sort {
        match kind {
            TableKind::Applications => &mut self.app_sort,
            TableKind::Callers => &mut self.caller_sort,
        }
    }

    pub fn push(&mut self, view: View) {
        if self.top().view != view {
            self.stack.push(ViewState::new(view));
        }
        self.filtering = false;
    }

    /// Back one level; the overview stays.
    pub fn pop(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
        }
        self.filtering = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_cycles_through_the_columns_of_the_table() {
        let mut sort = Sort::default();
        let mut seen = vec![sort.column];
        for _ in 0..TableKind::Callers.columns().len() - 1 {
            sort = sort.next(TableKind::Callers);
            seen.push(sort.column);
        }
        assert_eq!(sort.next(TableKind::Callers).column, Column::Requests);
        assert_eq!(seen.len(), 7);
        assert!(!seen.contains(&Column::Hosts));
        assert!(Sort::default().descending());
        let by_name = Sort {
            column: Column::Name,
            reversed: false,
        };
        assert!(!by_name.descending());
        assert!(Sort {
            reversed: true,
            ..by_name
        }
        .descending());
    }

    #[test]
    fn the_overview_cannot_be_popped() {
        let mut ui = UiState::default();
        ui.pop();
        assert_eq!(ui.stack.len(), 1);
        ui.push(View::Help);
        ui.push(View::Help);
        assert_eq!(ui.stack.len(), 2, "the same view is not stacked twice");
        ui.pop();
        assert_eq!(ui.top().view, View::Overview);
    }
}
