//! Applications of several windows side by side, in name order: each window's applications are
//! sorted by name, so one merge pass finds every application's row in every window. With
//! 100,000 applications, looking each one up in each of the sparkline's windows (a binary search
//! of string comparisons per window) was most of the overview's cost.

use std::sync::Arc;

use crate::core::{AppWindow, WindowSummary};

/// Calls `f(name, rows)` once per application present in any of `windows`, in name order;
/// `rows[j]` is its row in `windows[j]` (`None` when that window is missing or lacks it).
pub fn for_each_by_name<'a>(
    windows: &[Option<&'a WindowSummary>],
    mut f: impl FnMut(&'a Arc<str>, &[Option<&'a AppWindow>]),
) {
    let lists: Vec<&'a [AppWindow]> = windows
        .iter()
        .map(|w| w.map_or(&[][..], |w| &w.apps[..]))
        .collect();
    let mut next = vec![0usize; lists.len()];
    let mut rows: Vec<Option<&'a AppWindow>> = vec![None; lists.len()];
    loop {
        // The smallest name at the head of any list.
        let mut least: Option<&'a Arc<str>> = None;
        for (list, &i) in lists.iter().zip(&next) {
            if let Some(app) = list.get(i) {
                // Names are shared across windows (interned by the engine): the same pointer is
                // the same name, and most heads are the same application.
                if least.is_none_or(|l| !Arc::ptr_eq(&app.application, l) && app.application < *l) {
                    least = Some(&app.application);
                }
            }
        }
        let Some(name) = least else {
            return;
        };
        for ((list, i), row) in lists.iter().zip(next.iter_mut()).zip(rows.iter_mut()) {
            *row = match list.get(*i) {
                Some(app) if app.application == *name => {
                    *i += 1;
                    Some(app)
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
        for_each_by_name(&[Some(&a), None, Some(&b)], |name, rows| {
            let counts: Vec<Option<u64>> = rows.iter().map(|r| r.map(|a| a.requests)).collect();
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
    fn no_windows_no_calls() {
        let mut calls = 0;
        for_each_by_name(&[None, None], |_, _| calls += 1);
        assert_eq!(calls, 0);
    }
}
