//! Applications of several lists side by side, in name order: each window's applications are
//! sorted by name, so one merge pass finds every application's row in every list. With
//! 100,000 applications, looking each one up in each of the sparkline's windows (a binary search
//! of string comparisons per window) was most of the overview's cost.

use std::sync::Arc;

use crate::core::app_names::{precedes, same_name};
use crate::core::{AppWindow, WindowSummary};

/// Where an application's row is: `apps[at]` of the window at `slot` of the windows merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowAt {
    pub slot: usize,
    pub at: usize,
}

/// Applications in name order, each with where its row is: a window's, or rows of windows
/// (as [`super::older_apps::OlderApps`] keeps them). Read by index, not through an iterator:
/// the merge is bound by loading each application's name from memory, and plain loads from all
/// lists at once overlap where calls through an iterator each wait for theirs (4× slower).
pub enum NameList<'a> {
    Window {
        slot: usize,
        apps: &'a [AppWindow],
    },
    Rows {
        rows: &'a [RowAt],
        /// The windows by slot.
        windows: Vec<Option<&'a WindowSummary>>,
    },
}

impl<'a> NameList<'a> {
    /// The name at `i` and where its row is; `None` past the end.
    fn get(&self, i: usize) -> Option<(&'a Arc<str>, RowAt)> {
        match self {
            NameList::Window { slot, apps } => apps.get(i).map(|app| {
                let at = RowAt { slot: *slot, at: i };
                (&app.application, at)
            }),
            NameList::Rows { rows, windows } => {
                let row = *rows.get(i)?;
                let app = windows.get(row.slot).copied().flatten()?.apps.get(row.at)?;
                Some((&app.application, row))
            }
        }
    }
}

/// The applications of `window`, the one at `slot`.
pub fn window_list(slot: usize, window: &WindowSummary) -> NameList<'_> {
    NameList::Window {
        slot,
        apps: &window.apps,
    }
}

/// Calls `f(name, rows)` once per application present in any of `lists`, in name order;
/// `rows[j]` is where it is in `lists[j]` (`None` when that list lacks it).
pub fn merge_by_name<'a>(
    lists: Vec<NameList<'a>>,
    mut f: impl FnMut(&'a Arc<str>, &[Option<RowAt>]),
) {
    let mut next = vec![0usize; lists.len()];
    let mut heads: Vec<Option<(&'a Arc<str>, RowAt)>> = lists.iter().map(|l| l.get(0)).collect();
    let mut rows: Vec<Option<RowAt>> = vec![None; lists.len()];
    loop {
        // The smallest name at the head of any list.
        let mut least: Option<&'a Arc<str>> = None;
        for &(name, _) in heads.iter().flatten() {
            // Most heads are the same (interned) application: compared by pointer.
            if least.is_none_or(|l| precedes(name, l)) {
                least = Some(name);
            }
        }
        let Some(name) = least else {
            return;
        };
        for (((list, i), head), row) in lists
            .iter()
            .zip(next.iter_mut())
            .zip(heads.iter_mut())
            .zip(rows.iter_mut())
        {
            // By pointer first: comparing the strings was half of the merge's time.
            *row = match *head {
                Some((n, at)) if same_name(n, name) => {
                    *i += 1;
                    *head = list.get(*i);
                    Some(at)
                }
                _ => None,
            };
        }
        f(name, &rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start: i64, apps: &[(&str, u64)]) -> WindowSummary {
        let mut w = WindowSummary::empty(start, 300, true);
        w.apps = apps
            .iter()
            .map(|&(name, requests)| AppWindow {
                application: Arc::from(name),
                requests,
                bytes: 0,
                status: Default::default(),
                status_codes: Vec::new(),
                hosts: 0,
                hosts_exact: true,
                latency: None,
                top_paths: Vec::new(),
                top_callers: Vec::new(),
                agents: Default::default(),
            })
            .collect();
        w
    }

    #[test]
    fn every_application_once_in_name_order_with_its_row_in_each_window() {
        let a = window(0, &[("billing", 1), ("checkout", 2)]);
        let b = window(300, &[("checkout", 3), ("search", 4)]);
        let mut seen = Vec::new();
        let windows = [Some(&a), None, Some(&b)];
        let lists = vec![
            window_list(0, &a),
            NameList::Rows {
                rows: &[],
                windows: Vec::new(),
            },
            window_list(2, &b),
        ];
        merge_by_name(lists, |name, rows| {
            let counts: Vec<Option<u64>> = rows
                .iter()
                .map(|r| r.and_then(|r| Some(windows[r.slot]?.apps[r.at].requests)))
                .collect();
            seen.push((name.to_string(), counts));
        });
        assert_eq!(
            seen,
            [
                ("billing".to_string(), vec![Some(1), None, None]),
                ("checkout".to_string(), vec![Some(2), None, Some(3)]),
                ("search".to_string(), vec![None, None, Some(4)]),
            ]
        );
    }

    #[test]
    fn no_lists_no_calls() {
        let mut calls = 0;
        let empty = WindowSummary::empty(0, 300, true);
        merge_by_name(
            vec![window_list(0, &empty), window_list(1, &empty)],
            |_, _| calls += 1,
        );
        assert_eq!(calls, 0);
        merge_by_name(Vec::new(), |_, _| calls += 1);
        assert_eq!(calls, 0);
    }
}
