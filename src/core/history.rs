//! Final windows kept for time travel and sparklines: the newest `full` windows in full detail,
//! older ones compacted to per-application rows (requests, bytes, statuses, hosts, latency: no
//! top paths or callers), all within a memory budget. So history is bounded by memory, not by a
//! count, and a finished multi-day file stays reachable window by window as far as the budget
//! allows. The budget holds the full windows too: with 100,000 applications 48 full windows of
//! one width alone were over 1 GB. The newest stays in full whatever its size ([`MIN_FULL`]).

use std::collections::VecDeque;
use std::mem::size_of;
use std::sync::Arc;

use super::{AppWindow, CallerSummary, Counted, LatencySummary, TopAgents, WindowSummary};

/// Full windows kept whatever the budget (when any are kept): the screen shows the newest final
/// window with its callers and paths. One, not two: in full, an application's row with its
/// callers, paths and agents is ~1 KB, so at 100,000 applications (42,000 in each 5-minute
/// window) a second full window was ~50 MB over any budget, and up to five widths keep one.
/// Older windows are compact.
pub const MIN_FULL: usize = 1;

/// Heap bookkeeping per allocation (allocator header and rounding), counted in the budget so it
/// holds for the process's memory and not only for the bytes asked for.
const PER_ALLOCATION: usize = 16;
/// An `Arc<str>`'s counts, before its bytes.
const ARC_HEADER: usize = 16;

#[derive(Debug, Default)]
pub struct History {
    /// Newest windows in full detail, oldest first, at most `full_windows`.
    full: VecDeque<Arc<WindowSummary>>,
    full_windows: usize,
    full_bytes: usize,
    /// Older windows, compacted, oldest first, within `budget` bytes.
    compact: VecDeque<Arc<WindowSummary>>,
    compact_bytes: usize,
    budget: usize,
    /// Windows given up for the budget.
    dropped: u64,
}

impl History {
    /// At most `full_windows` kept in full detail, and compacted ones before them, within `budget`
    /// bytes in all; a `budget` of 0 keeps no compacted windows (and does not bound the full ones).
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
        self.full_bytes += approx_bytes(&window);
        self.full.push_back(window);
        while self.full.len() > self.full_windows
            || (self.budget > 0 && self.full.len() > MIN_FULL && self.full_bytes > self.budget)
        {
            let Some(oldest) = self.full.pop_front() else {
                break;
            };
            self.full_bytes = self.full_bytes.saturating_sub(approx_bytes(&oldest));
            self.keep_compact(&oldest);
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
        while self.compact_bytes + self.full_bytes > self.budget {
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

    /// Approximate memory held by the windows kept in full detail.
    pub fn full_bytes(&self) -> usize {
        self.full_bytes
    }
}

/// The window without what only its detail views show: top paths, callers and agents. Built
/// field by field: cloning the whole window (or application) first and dropping the detail
/// copied every caller list only to free it, a tenth of the engine's time at 100,000
/// applications.
fn compacted(window: &WindowSummary) -> WindowSummary {
    let WindowSummary {
        start,
        end,
        is_final,
        ref apps,
        relays,
    } = *window;
    WindowSummary {
        start,
        end,
        is_final,
        relays,
        apps: apps
            .iter()
            .map(|a| AppWindow {
                application: a.application.clone(),
                requests: a.requests,
                bytes: a.bytes,
                status: a.status,
                status_codes: a.status_codes.clone(),
                hosts: a.hosts,
                hosts_exact: a.hosts_exact,
                latency: a.latency.clone(),
                top_paths: Vec::new(),
                top_callers: Vec::new(),
                agents: TopAgents::default(),
            })
            .collect(),
    }
}

/// Approximate heap and inline bytes of a window summary (for the history budget), allocator
/// overhead included. Application names are shared by every window (`core::app_names`), so they
/// are not counted per window.
pub fn approx_bytes(window: &WindowSummary) -> usize {
    PER_ALLOCATION
        + size_of::<WindowSummary>()
        + window
            .apps
            .iter()
            .map(|a| {
                size_of::<AppWindow>()
                    + vec_bytes(&a.status_codes)
                    + a.latency.as_ref().map_or(0, latency_bytes)
                    + vec_bytes(&a.top_paths)
                    + a.top_paths.iter().map(counted_bytes).sum::<usize>()
                    + vec_bytes(&a.top_callers)
                    + a.top_callers.iter().map(caller_bytes).sum::<usize>()
                    + agents_bytes(&a.agents)
            })
            .sum::<usize>()
}

/// The heap block of a vector (its inline part is counted with its owner).
fn vec_bytes<T>(v: &Vec<T>) -> usize {
    if v.capacity() == 0 {
        0
    } else {
        PER_ALLOCATION + v.capacity() * size_of::<T>()
    }
}

fn latency_bytes(l: &LatencySummary) -> usize {
    vec_bytes(&l.buckets)
}

fn arc_str_bytes(s: &str) -> usize {
    PER_ALLOCATION + ARC_HEADER + s.len()
}

/// The heap part of a counted key (its inline part is in its vector).
fn counted_bytes(c: &Counted) -> usize {
    arc_str_bytes(&c.key)
}

/// The heap part of top user agents and referers.
fn agents_bytes(a: &TopAgents) -> usize {
    vec_bytes(&a.user_agents)
        + a.user_agents.iter().map(counted_bytes).sum::<usize>()
        + vec_bytes(&a.referers)
        + a.referers.iter().map(counted_bytes).sum::<usize>()
}

/// The heap part of a caller (its inline part is in its vector).
fn caller_bytes(c: &CallerSummary) -> usize {
    arc_str_bytes(&c.host)
        + vec_bytes(&c.status_codes)
        + c.latency.as_ref().map_or(0, latency_bytes)
        + vec_bytes(&c.top_paths)
        + c.top_paths.iter().map(counted_bytes).sum::<usize>()
        + agents_bytes(&c.agents)
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
            agents: Default::default(),
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
        let full = approx_bytes(&window(0, 3));
        let mut history = History::new(2, one * 5 + full * 2);
        for i in 0..20 {
            history.push(window(i * 10, 3));
        }
        let kept: Vec<i64> = history.iter().map(|w| w.start).collect();
        assert_eq!(kept, (13..20).map(|i| i * 10).collect::<Vec<_>>());
        assert_eq!(history.detail_from(), Some(180));
        assert_eq!(history.dropped(), 13);
        assert!(history.compact_bytes() <= one * 5);
        assert_eq!(history.full_bytes(), full * 2);
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
    fn a_compacted_window_keeps_every_number_and_drops_only_the_detail() {
        use crate::ui::app::fixtures;
        let mut w = (*window(0, 3)).clone();
        w.relays = Some(super::super::RelayCoverage {
            relays: 1,
            expected: 2,
        });
        for (i, a) in w.apps.iter_mut().enumerate() {
            a.latency = Some(fixtures::latency(10, 1_000 * i as u64 + 1, 90_000));
            a.top_callers = vec![fixtures::caller("10.0.0.1", 10, 1, 2_000)];
            a.agents.user_agents = a.top_paths.clone();
            a.hosts_exact = i % 2 == 0;
        }
        let mut want = w.clone();
        for a in &mut want.apps {
            a.top_paths.clear();
            a.top_callers.clear();
            a.agents = TopAgents::default();
        }
        assert_eq!(compacted(&w), want);
    }

    #[test]
    fn full_windows_count_in_the_budget_but_the_newest_stays() {
        let full = approx_bytes(&window(0, 3));
        let one = approx_bytes(&compacted(&window(0, 3)));
        assert!(one < full, "a compacted window is smaller");
        // Room for three full windows: the fourth newest is compacted before the count says so.
        let mut history = History::new(48, full * 3 + one);
        for i in 0..10 {
            history.push(window(i * 10, 3));
        }
        assert!(history.full_bytes() + history.compact_bytes() <= full * 3 + one);
        assert_eq!(history.detail_from(), Some(70));
        let kept: Vec<i64> = history.iter().map(|w| w.start).collect();
        assert_eq!(kept, vec![60, 70, 80, 90]);
        // A budget below one full window still keeps the newest in full, and nothing older.
        let mut small = History::new(48, full / 2);
        for i in 0..10 {
            small.push(window(i * 10, 3));
        }
        let kept: Vec<i64> = small.iter().map(|w| w.start).collect();
        assert_eq!(kept, vec![90]);
        assert_eq!(small.dropped(), 9);
        assert_eq!(small.detail_from(), Some(90));
        // Room for one full window and one compact one: the one before the newest, compact.
        let mut two = History::new(48, full + one);
        for i in 0..10 {
            two.push(window(i * 10, 3));
        }
        let kept: Vec<(i64, bool)> = two
            .iter()
            .map(|w| (w.start, w.apps[0].top_paths.is_empty()))
            .collect();
        assert_eq!(kept, vec![(80, true), (90, false)]);
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
