//! ▲▼ on the overview: each application against the window before the one on screen (issue 14,
//! "compare with before"). Requests compare as rates (req/s), so an open window that has run for
//! a minute is not "▼80%" against a full previous one; the 5xx rate compares in percentage points
//! (0.1% → 0.2% is `▲0.1pp`, not `▲100%`); p99 compares relatively.

use crate::core::{AppWindow, WindowSummary};
use crate::pipeline::snapshot::Snapshot;

use super::widgets::elapsed;

/// One application's changes, as numbers: formatted only for the rows drawn (with 100,000
/// applications, formatting three changes per row for every row was a third of the overview).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Changes {
    /// Request rates (req/s) now and before; `None`: nothing to compare.
    requests: Option<(f64, f64)>,
    /// 5xx shares now and before (both windows had requests).
    err_5xx: Option<(f64, f64)>,
    /// Whether the 5xx rate went up (drawn as a warning).
    pub err_5xx_up: bool,
    /// p99 latencies now and before (both had latencies).
    p99: Option<(f64, f64)>,
    /// Whether p99 went up (drawn as a warning).
    pub p99_up: bool,
}

impl Changes {
    /// `▲12%`, `new`, or empty where there is nothing to compare.
    pub fn requests(&self) -> String {
        self.requests
            .map(|(now, before)| relative(now, before))
            .unwrap_or_default()
    }

    /// `▲0.1pp`, or empty.
    pub fn err_5xx(&self) -> String {
        self.err_5xx
            .map(|(now, before)| points(now, before))
            .unwrap_or_default()
    }

    /// `▼40%`, or empty.
    pub fn p99(&self) -> String {
        self.p99
            .map(|(now, before)| relative(now, before))
            .unwrap_or_default()
    }
}

/// Changes under this are shown as steady (`±0%`): noise, not news.
const STEADY: f64 = 0.005;

/// `▲12%`, `▼40%`, `±0%`; `new` when there was nothing before.
pub fn relative(now: f64, before: f64) -> String {
    if before <= 0.0 {
        return if now > 0.0 {
            "new".into()
        } else {
            String::new()
        };
    }
    let change = now / before - 1.0;
    if change.abs() < STEADY {
        "±0%".into()
    } else if change >= 9.995 {
        format!("▲{:.0}×", now / before)
    } else {
        let arrow = if change > 0.0 { '▲' } else { '▼' };
        format!("{arrow}{:.0}%", (change * 100.0).abs())
    }
}

/// `▲1.2pp`, `▼0.3pp`, `±0pp` between two shares (0–1).
pub fn points(now: f64, before: f64) -> String {
    let change = (now - before) * 100.0;
    if change.abs() < 0.05 {
        "±0pp".into()
    } else {
        let arrow = if change > 0.0 { '▲' } else { '▼' };
        format!("{arrow}{:.1}pp", change.abs())
    }
}

/// Where the window just before the one at `index` is in `snapshot.windows`: `Some(None)` when
/// that time had no traffic at all (no window kept for it, yet older ones are), `None` when there
/// is nothing before to compare.
pub fn previous_window(snapshot: &Snapshot, index: usize) -> Option<Option<usize>> {
    let start = snapshot.windows[index].start - snapshot.width_secs;
    let older = &snapshot.windows[..index];
    match older.iter().rposition(|w| w.start <= start) {
        Some(at) if older[at].start == start => Some(Some(at)),
        Some(_) => Some(None),
        None => None,
    }
}

/// `app` in `window` (the one on screen) against `before` (the same application in the previous
/// window, `None` if it had no requests then).
pub fn changes(
    snapshot: &Snapshot,
    window: &WindowSummary,
    app: Option<&AppWindow>,
    previous: &WindowSummary,
    before: Option<&AppWindow>,
) -> Changes {
    let rate = |w: &WindowSummary, a: Option<&AppWindow>| {
        a.map_or(0.0, |a| a.requests as f64 / elapsed(snapshot, w))
    };
    let requests = Some((rate(window, app), rate(previous, before)));
    let (mut err_5xx, mut err_5xx_up, mut p99, mut p99_up) = (None, false, None, false);
    if let (Some(now), Some(then)) = (app, before) {
        if now.requests > 0 && then.requests > 0 {
            let (a, b) = (now.error_rate_5xx(), then.error_rate_5xx());
            err_5xx = Some((a, b));
            err_5xx_up = a - b >= 0.0005;
        }
        if let (Some(a), Some(b)) = (&now.latency, &then.latency) {
            p99 = Some((a.p99 as f64, b.p99 as f64));
            p99_up = a.p99 as f64 > b.p99 as f64 * (1.0 + STEADY);
        }
    }
    Changes {
        requests,
        err_5xx,
        err_5xx_up,
        p99,
        p99_up,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::app::fixtures;

    #[test]
    fn changes_read_as_an_operator_expects() {
        assert_eq!(relative(112.0, 100.0), "▲12%");
        assert_eq!(relative(60.0, 100.0), "▼40%");
        assert_eq!(relative(100.2, 100.0), "±0%");
        assert_eq!(relative(5.0, 0.0), "new");
        assert_eq!(relative(0.0, 0.0), "");
        assert_eq!(relative(0.0, 10.0), "▼100%");
        assert_eq!(relative(2_500.0, 100.0), "▲25×");
        assert_eq!(points(0.002, 0.001), "▲0.1pp");
        assert_eq!(points(0.05, 0.062), "▼1.2pp");
        assert_eq!(points(0.01, 0.01), "±0pp");
    }

    #[test]
    fn the_previous_window_is_the_one_just_before_or_a_silent_one() {
        let snapshot = fixtures::snapshot();
        let last = snapshot.windows.len() - 1;
        let before = previous_window(&snapshot, last).unwrap().unwrap();
        assert_eq!(
            snapshot.windows[before].start,
            snapshot.windows[last].start - snapshot.width_secs
        );
        assert!(previous_window(&snapshot, 0).is_none());
        let mut gap = fixtures::snapshot();
        gap.windows.remove(last - 1);
        assert_eq!(previous_window(&gap, last - 1), Some(None));
    }

    #[test]
    fn an_open_window_compares_by_rate_not_by_its_partial_count() {
        let snapshot = fixtures::snapshot();
        let last = snapshot.windows.len() - 1;
        let (now, then) = (&snapshot.windows[last], &snapshot.windows[last - 1]);
        // The open window has run 30 s of 300: a tenth of the requests is the same rate.
        let mut app = then.app("inventory").unwrap().clone();
        app.requests /= 10;
        let c = changes(&snapshot, now, Some(&app), then, then.app("inventory"));
        assert_eq!(c.requests(), "±0%");
    }
}
