//! UI state: the stack of views (drill-down), selection, sort, filter, pause, time travel and
//! acknowledgements. Pure data; [`crate::ui::app::App`] changes it in response to keys and snapshots.

use std::collections::HashSet;
use std::sync::Arc;

pub use crate::core::alarms::AlarmKey;

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

/// The panels of the overview that take the selection (`Tab` cycles them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Panel {
    #[default]
    Table,
    Alarms,
}

/// One view on the drill-down stack, with its own selection, focused panel and filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewState {
    pub view: View,
    /// Selected row of the view's main list.
    pub selected: usize,
    /// Selected line of the alarm panel (overview) — only active alarms are selectable.
    pub alarm_selected: usize,
    pub panel: Panel,
    /// Rows whose name contains this (case-insensitive) are shown; empty = all.
    pub filter: String,
}

impl ViewState {
    pub fn new(view: View) -> Self {
        ViewState {
            view,
            selected: 0,
            alarm_selected: 0,
            panel: Panel::Table,
            filter: String::new(),
        }
    }
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
