//! Per-shard reader state, shared with the coordinator that turns it into [`SourceStatus`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::aws::retry::state_of;
use crate::source::status::{PartState, PartStatus, SourceStatus};

/// What one shard reader reports.
#[derive(Debug, Clone, Default)]
pub struct ShardReport {
    pub state: PartState,
    /// When `state` began (UTC epoch milliseconds): the inputs view says for how long.
    pub state_since_ms: Option<i64>,
    pub lag_ms: Option<u64>,
    pub records: u64,
    /// Arrival time at the stream of the newest record read (UTC epoch ms).
    pub newest_arrival_ms: Option<i64>,
    /// At the tip: the last read was empty with MillisBehindLatest 0.
    pub caught_up: bool,
    pub finished: bool,
    /// A problem in effect (throttling, network), cleared by the next success.
    pub problem: Option<String>,
    /// Every kind of problem since the previous status (in the order they first happened, each
    /// with its latest text), kept until that status is sent: a short outage that cleared
    /// between two updates is still shown once, and a throttle followed by a network fault
    /// within one update is said as both, not only as the second. A problem's kind is what
    /// failed, without the retry details that change on every try
    /// ([`crate::aws::retry::state_of`]): a problem repeating keeps one entry.
    pub unreported_problems: Vec<String>,
}

/// Distinct kinds of problem kept per shard between two status updates: the oldest give way.
const UNREPORTED_KINDS: usize = 4;

/// Shared, cheap to update: one lock per shard, taken once per call.
pub type ShardCell = Arc<Mutex<ShardReport>>;

pub fn new_cell() -> ShardCell {
    Arc::new(Mutex::new(ShardReport {
        state: PartState::Starting,
        state_since_ms: Some(crate::clock::now_ms()),
        ..Default::default()
    }))
}

impl ShardReport {
    /// Moves to `state`, noting since when if it is a change.
    pub fn set_state(&mut self, state: PartState) {
        if self.state != state {
            self.state = state;
            self.state_since_ms = Some(crate::clock::now_ms());
        }
    }
}

pub fn update(cell: &ShardCell, f: impl FnOnce(&mut ShardReport)) {
    let mut guard = cell.lock().unwrap_or_else(|p| p.into_inner());
    f(&mut guard);
}

/// A closed shard read to its end: nothing is behind it any more.
pub fn mark_finished(cell: &ShardCell) {
    update(cell, |r| {
        r.finished = true;
        r.caught_up = true;
        r.set_state(PartState::Finished);
        r.lag_ms = None;
    });
}

pub fn read(cell: &ShardCell) -> ShardReport {
    cell.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Reads the report for a status update: its unreported problem counts as reported from now on.
pub fn take_for_status(cell: &ShardCell) -> ShardReport {
    let mut guard = cell.lock().unwrap_or_else(|p| p.into_inner());
    let report = guard.clone();
    guard.unreported_problems.clear();
    report
}

/// Shows a problem now and in the next status update, even if it clears before then.
pub fn set_problem(report: &mut ShardReport, text: String) {
    let kind = state_of(&text);
    let unreported = &mut report.unreported_problems;
    match unreported.iter_mut().find(|p| state_of(p) == kind) {
        Some(same) => same.clone_from(&text),
        None => {
            if unreported.len() == UNREPORTED_KINDS {
                unreported.remove(0);
            }
            unreported.push(text.clone());
        }
    }
    report.problem = Some(text);
}

impl ShardReport {
    /// What the shard's line in the inputs view says: every problem since the last update in
    /// the order they happened, or the one still in effect.
    pub fn problem_text(&self) -> Option<String> {
        if self.unreported_problems.is_empty() {
            self.problem.clone()
        } else {
            Some(self.unreported_problems.join("; then "))
        }
    }

    /// The latest problem: the status bar's line, which has room for one.
    pub fn latest_problem(&self) -> Option<&str> {
        match self.unreported_problems.last() {
            Some(latest) => Some(latest),
            None => self.problem.as_deref(),
        }
    }
}

/// Builds the source status from every shard's report.
pub fn summarize(
    stream: &str,
    reports: &BTreeMap<String, ShardReport>,
    records_per_sec: f64,
    note: Option<&str>,
) -> SourceStatus {
    let active = reports.values().filter(|r| !r.finished);
    let parts = active.clone().count();
    let lag_ms = active.clone().filter_map(|r| r.lag_ms).max();
    let problems: Vec<&str> = reports
        .values()
        .filter_map(ShardReport::latest_problem)
        .collect();
    // The status bar's line names the source (`kinesis: …`); each shard's own line in the
    // inputs view is already under its shard.
    let problem = match (problems.first(), note) {
        (Some(first), _) if problems.len() > 1 => Some(format!(
            "kinesis: {first} (+{} more shards with problems)",
            problems.len() - 1
        )),
        (Some(first), _) => Some(format!("kinesis: {first}")),
        (None, Some(note)) => Some(format!("kinesis: {note}")),
        (None, None) => None,
    };
    let details = reports
        .iter()
        .map(|(id, r)| PartStatus {
            name: id.clone(),
            state: r.state,
            state_since_ms: r.state_since_ms,
            lag_ms: if r.finished { None } else { r.lag_ms },
            records: r.records,
            problem: r.problem_text(),
            ..PartStatus::default()
        })
        .collect();
    SourceStatus {
        name: format!("kinesis:{stream}"),
        parts,
        lag_ms,
        records_per_sec,
        problem,
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_takes_the_worst_lag_and_names_problems() {
        let mut reports = BTreeMap::new();
        reports.insert(
            "shardId-0".to_string(),
            ShardReport {
                state: PartState::Reading,
                lag_ms: Some(500),
                records: 10,
                ..Default::default()
            },
        );
        reports.insert(
            "shardId-1".to_string(),
            ShardReport {
                state: PartState::BackingOff,
                lag_ms: Some(9000),
                problem: Some("throttled on shardId-1; backing off 1.6s".into()),
                ..Default::default()
            },
        );
        reports.insert(
            "shardId-2".to_string(),
            ShardReport {
                finished: true,
                lag_ms: Some(99_999),
                records: 3,
                ..Default::default()
            },
        );
        let s = summarize("web", &reports, 12.5, Some("fallback"));
        assert_eq!(s.name, "kinesis:web");
        assert_eq!(s.parts, 2);
        assert_eq!(s.lag_ms, Some(9000));
        assert_eq!(
            s.problem.as_deref(),
            Some("kinesis: throttled on shardId-1; backing off 1.6s")
        );
        assert_eq!(s.details.len(), 3);
        assert_eq!(s.details[2].lag_ms, None);
        reports.get_mut("shardId-1").unwrap().problem = None;
        assert_eq!(
            summarize("web", &reports, 0.0, Some("fallback"))
                .problem
                .as_deref(),
            Some("kinesis: fallback")
        );
        assert_eq!(summarize("web", &reports, 0.0, None).problem, None);
    }

    #[test]
    fn a_problem_that_cleared_between_updates_is_shown_once() {
        let cell = new_cell();
        update(&cell, |r| {
            set_problem(r, "cannot reach Kinesis; retrying in 100ms".into())
        });
        update(&cell, |r| r.problem = None); // recovered before the next status update
        let once: BTreeMap<String, ShardReport> =
            [("s".to_string(), take_for_status(&cell))].into();
        assert!(summarize("web", &once, 0.0, None).problem.is_some());
        let then: BTreeMap<String, ShardReport> =
            [("s".to_string(), take_for_status(&cell))].into();
        assert_eq!(summarize("web", &then, 0.0, None).problem, None);
    }

    #[test]
    fn two_problems_between_updates_are_both_said_in_order() {
        let cell = new_cell();
        update(&cell, |r| {
            set_problem(
                r,
                "throttled on shardId-0: retrying in 50 ms (2nd try, last success 0 s ago)".into(),
            );
            set_problem(
                r,
                "throttled on shardId-0: retrying in 100 ms (3rd try, last success 0 s ago)".into(),
            );
            r.problem = None; // a success in between
            set_problem(
                r,
                "connection refused: retrying in 75 ms (2nd try, last success 0 s ago)".into(),
            );
        });
        let reports: BTreeMap<String, ShardReport> =
            [("shardId-0".to_string(), take_for_status(&cell))].into();
        let status = summarize("web", &reports, 0.0, None);
        // The status bar has room for one: the latest.
        assert_eq!(
            status.problem.as_deref(),
            Some("kinesis: connection refused: retrying in 75 ms (2nd try, last success 0 s ago)")
        );
        // The shard's line says both, the throttle with its latest retry, once.
        assert_eq!(
            status.details[0].problem.as_deref(),
            Some(
                "throttled on shardId-0: retrying in 100 ms (3rd try, last success 0 s ago); \
                 then connection refused: retrying in 75 ms (2nd try, last success 0 s ago)"
            )
        );
        // Reported: from now on only what is still in effect.
        let next: BTreeMap<String, ShardReport> =
            [("shardId-0".to_string(), take_for_status(&cell))].into();
        assert_eq!(
            summarize("web", &next, 0.0, None).details[0]
                .problem
                .as_deref(),
            Some("connection refused: retrying in 75 ms (2nd try, last success 0 s ago)")
        );
    }

    #[test]
    fn the_problems_kept_between_updates_are_bounded() {
        let mut report = ShardReport::default();
        for n in 0..100 {
            set_problem(
                &mut report,
                format!("problem {n}: retrying in 1 s (2nd try, no success yet)"),
            );
        }
        assert_eq!(report.unreported_problems.len(), UNREPORTED_KINDS);
        assert_eq!(state_of(&report.unreported_problems[0]), "problem 96");
        assert_eq!(
            report.latest_problem(),
            Some("problem 99: retrying in 1 s (2nd try, no success yet)")
        );
    }
}
