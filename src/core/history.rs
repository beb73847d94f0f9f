//! Final windows kept for time travel and sparklines: the newest `full` windows in full detail,
//! older ones compacted to per-application rows (requests, bytes, statuses, hosts, latency: no
//! top paths or callers) within a memory budget. So history is bounded by memory, not by a count,
//! and a finished multi-day file stays reachable window by window as far as the budget allows.

use std::collections::VecDeque;
use std::mem::size_of;
use std::sync::Arc;

use super::{AppWindow, CallerSummary, Counted, LatencySummary, WindowSummary};

#[derive(Debug, Default)]
pub struct History {
    /// Newest windows in full detail, oldest first, at most `full_windows`.
    full: VecDeque<Arc<WindowSummary>>,
    full_windows: usize,
    /// Older windows, compacted, oldest first, within `budget` bytes.
    compact: VecDeque<Arc<WindowSummary>>,
    compact_bytes: usize,
    budget: usize,
    /// Windows given up for the budget.
    dropped: u64,
}

impl History {
    /// `full_windows` kept in full detail; `budget` bytes for the compacted ones before them.
    pub fn new(full_windows: usize, budget: usize) -> Self {
        History {
            full_windows,
            budget,
            ..History::default()
        }
    }

    /// Keeps a window that just became final.
    pub fn push(&mut self, window: Arc<WindowSummary>) {
        if self.full_windows == 0 {
            self.keep_compact(&window);
            return;
        }
        self.full.push_back(window);
        while self.full.len() > self.full_windows {
            if let Some(oldest) = self.full.pop_front() {
                self.keep_compact(&oldest);
            }
        }
    }

    fn keep_compact(&mut self, window: &WindowSummary) {
        if self.budget == 0 {
            self.dropped += 1;
            return;
        }
        let compact = compacted(window);
        self.compact_bytes += approx_bytes(&compact);
        self.compact.push_back(Arc::new(compact));
        while self.compact_bytes > self.budget {
            let Some(oldest) = self.compact.pop_front() else {
                break;
            };
            self.compact_bytes = self.compact_bytes.saturating_sub(approx_bytes(&oldest));
            self.dropped += 1;
        }
    }

    /// Every kept window, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<WindowSummary>> {
        self.compact.iter().chain(self.full.iter())
    }

    /// Start of the oldest window kept in full detail (older ones have no paths or callers).
    pub fn detail_from(&self) -> Option<i64> {
        self.full.front().map(|w| w.start)
    }

    /// Windows given up so far to stay within the budget.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Approximate memory held by the compacted windows.
    pub fn compact_bytes(&self) -> usize {
        self.compact_bytes
    }
}

/// The window without what only its detail views show: top paths and callers.
fn compacted(window: &WindowSummary) -> WindowSummary {
    WindowSummary {
        apps: window
            .apps
            .iter()
            .map(|a| AppWindow {
                top_paths: Vec::new(),
                top_callers: Vec::new(),
                ..a.clone()
            })
            .collect(),
        ..window.clone()
    }
}

/// Approximate heap and inline bytes of a window summary (for the history budget).
pub fn approx_bytes(window: &WindowSummary) -> usize {
    size_of::<WindowSummary>()
        + window
            .apps
            .iter()
            .map(|a| {
                size_of::<AppWindow>()
                    + a.application.len()
                    + a.status_codes.len() * size_of::<(u16, u64)>()
                    + a.latency.as_ref().map_or(0, latency_bytes)
                    + a.top_paths.iter().map(counted_bytes).sum::<usize>()
                    + a.top_callers.iter().map(caller_bytes).sum::<usize>()
            })
            .sum::<usize>()
}

fn latency_bytes(l: &LatencySummary) -> usize {
    size_of::<LatencySummary>() + l.buckets.len() * size_of::<(u64, u64)>()
}

fn counted_bytes(c: &Counted) -> usize {
    size_of::<Counted>() + c.key.len()
}

fn caller_bytes(c: &CallerSummary) -> usize {
    size_of::<CallerSummary>()
        + c.host.len()
        + c.status_codes.len() * size_of::<(u16, u64)>()
        + c.latency.as_ref().map_or(0, latency_bytes)
        + c.top_paths.iter().map(counted_bytes).sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start: i64, apps: usize) -> Arc<WindowSummary> {
        let app = |i: usize| AppWindow {
            application: Arc::from(format!("app-{i}")),
            requests: 10,
            bytes: 100,
            status: Default::default(),
            status_codes: vec![(200, 10)],
            hosts: 1,
            hosts_exact: true,
            latency: None,
            top_paths: vec![Counted {
                key: Arc::from("/a/long/path/that/takes/room"),
                count: 10,
                error: 0,
            }],
            top_callers: Vec::new(),
        };
        Arc::new(WindowSummary {
            relays: None,
            start,
            end: start + 10,
            is_final: true,
            apps: (0..apps).map(app).collect(),
        })
    }

    #[test]
    fn newest_in_full_older_compacted_within_the_budget() {
        let one = approx_bytes(&compacted(&window(0, 3)));
        let mut history = History::new(2, one * 5);
        for i in 0..20 {
            history.push(window(i * 10, 3));
        }
        let kept: Vec<i64> = history.iter().map(|w| w.start).collect();
        assert_eq!(kept, (13..20).map(|i| i * 10).collect::<Vec<_>>());
        assert_eq!(history.detail_from(), Some(180));
        assert_eq!(history.dropped(), 13);
        assert!(history.compact_bytes() <= one * 5);
        let all: Vec<&Arc<WindowSummary>> = history.iter().collect();
        assert!(all[..5]
            .iter()
            .all(|w| w.apps.iter().all(|a| a.top_paths.is_empty())));
        assert!(all[5..]
            .iter()
            .all(|w| w.apps.iter().all(|a| a.top_paths.len() == 1)));
        assert!(
            all.iter().all(|w| w.requests() == 30),
            "counts survive compaction"
        );
    }

    #[test]
    fn no_budget_keeps_only_the_full_windows() {
        let mut history = History::new(3, 0);
        for i in 0..10 {
            history.push(window(i * 10, 1));
        }
        let kept: Vec<i64> = history.iter().map(|w| w.start).collect();
        assert_eq!(kept, vec![70, 80, 90]);
        let mut none = History::new(0, 0);
        none.push(window(0, 1));
        assert_eq!(none.iter().count(), 0);
    }
}
