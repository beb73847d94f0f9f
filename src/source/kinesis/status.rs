//! Per-shard reader state, shared with the coordinator that turns it into [`SourceStatus`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

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
    /// The last problem since the previous status, kept until that status is sent: a short
    /// outage that cleared between two status updates is still shown once.
    pub unreported_problem: Option<String>,
}

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
    guard.unreported_problem = None;
    report
}

/// Shows a problem now and in the next status update, even if it clears before then.
pub fn set_problem(report: &mut ShardReport, text: String) {
    report.unreported_problem = Some(text.clone());
    report.problem = Some(text);
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
        .filter_map(|r| r.problem.as_deref().or(r.unreported_problem.as_deref()))
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
            problem: r.problem.clone().or_else(|| r.unreported_problem.clone()),
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
}
