//! The engine as a viewer: relays' aggregate records merged into the windows of every kept width
//! (see `core::merge::viewer`), heartbeats held until the records they cover are read, and the
//! relays' counters added to the run's.

use std::sync::Arc;
use std::time::Instant;

use super::Engine;
use crate::core::merge::record::{Record, RelayCounters};
use crate::core::merge::viewer::{HeartbeatGate, MergedWindows, Taken};
use crate::pipeline::snapshot::{Counters, MalformedSample, PartStatus, SourceStatus};
use crate::source::status::PartState;

/// Name of the relays' entry among the statuses (status bar, inputs view, standard error).
const RELAYS: &str = "relays";

/// What the engine keeps to merge relays' records.
pub(super) struct RelayInput {
    merged: MergedWindows,
    gate: HeartbeatGate,
    /// The relays' counters as last added to the run's.
    counted: RelayCounters,
}

impl Engine {
    /// Takes a batch's relay records (aggregates and heartbeats) from `origin`.
    pub(super) fn take_relay_records(
        &mut self,
        origin: &Arc<str>,
        records: Vec<(Record, Option<i64>)>,
    ) {
        let relays = self.relays.get_or_insert_with(|| {
            let widths: Vec<i64> = self
                .aggregators
                .iter()
                .map(|a| a.config().width_secs)
                .collect();
            let mut gate = HeartbeatGate::default();
            // What the source said so far of the shards it reads.
            for status in self.sources.values() {
                tell_gate(&mut gate, status);
            }
            RelayInput {
                merged: MergedWindows::new(
                    self.aggregators[self.primary].config().clone(),
                    &widths,
                ),
                gate,
                counted: RelayCounters::default(),
            }
        });
        if let Some(newest) = records.iter().filter_map(|(_, a)| *a).max() {
            relays.gate.delivered(origin, newest);
        }
        for (record, arrival) in records {
            match record {
                Record::Aggregate(aggregate) => {
                    let application = aggregate.partial.application.clone();
                    match relays.merged.add_aggregate(*aggregate) {
                        Taken::Accepted => {}
                        Taken::Stale => {
                            tracing::debug!(application = %application.escape_debug(), "aggregate record for a window already final");
                        }
                        Taken::OtherWidth { width, expected } => {
                            self.counters.lines += 1;
                            self.counters.malformed += 1;
                            self.samples.push_back(MalformedSample {
                                origin: origin.to_string(),
                                reason: format!(
                                    "aggregate record of {width} s windows; the relays' windows are {expected} s"
                                ),
                                text: crate::output::sanitize::for_display(&application, 200).into_owned(),
                            });
                        }
                    }
                }
                Record::Heartbeat(beat) => match arrival {
                    Some(arrival) => relays.gate.hold(beat, arrival),
                    None => relays.merged.add_heartbeat(&beat),
                },
            }
        }
        self.dirty = true;
    }

    /// Applies the heartbeats whose records were read and hands the windows that became final to
    /// the aggregators (as their final windows); `ended`: the input ended, everything is final.
    pub(super) fn drain_relays(&mut self, ended: bool) {
        let Some(relays) = self.relays.as_mut() else {
            return;
        };
        let beats = if ended {
            relays.gate.release_all()
        } else {
            relays.gate.release()
        };
        for beat in &beats {
            relays.merged.add_heartbeat(beat);
        }
        let finals = if ended {
            let mut finals = relays.merged.take_final();
            finals.extend(relays.merged.flush());
            finals
        } else {
            relays.merged.take_final()
        };
        if let Some(watermark) = relays.merged.watermark() {
            for a in &mut self.aggregators {
                a.advance(watermark);
            }
        }
        for (i, window) in finals {
            if self.kept[i] {
                self.aggregators[i].push_final(window);
            }
        }
        let total = relays.merged.relay_counters();
        add_difference(&mut self.counters, &relays.counted, &total);
        relays.counted = total;
        if !beats.is_empty() {
            self.dirty = true;
        }
        let status = relays_status(
            &relays.merged,
            self.aggregators[self.primary].config().width_secs,
        );
        if self.sink_statuses.get(RELAYS) != Some(&status) {
            if let Some(log) = self.fault_log.as_mut() {
                log.observe(&status, Instant::now());
            }
            self.sink_statuses.insert(RELAYS.to_string(), status);
        }
    }

    /// A source's word on its shards, for the heartbeat gate.
    pub(super) fn relays_source_status(&mut self, status: &SourceStatus) {
        if let Some(relays) = self.relays.as_mut() {
            tell_gate(&mut relays.gate, status);
        }
    }

    /// The open (partial) merged windows of the selected width, for the screen.
    pub(super) fn relay_open_windows(&self) -> Vec<Arc<crate::core::WindowSummary>> {
        self.relays
            .as_ref()
            .map(|r| r.merged.open_windows(self.selected))
            .unwrap_or_default()
    }

    /// Late lines counted by the relays (added to the run's own).
    pub(super) fn relays_late(&self) -> u64 {
        self.relays.as_ref().map_or(0, |r| r.counted.late)
    }
}

/// Tells the gate which shards the source reads and whether each is at its tip (or finished).
fn tell_gate(gate: &mut HeartbeatGate, status: &SourceStatus) {
    let now_ms = crate::clock::now_ms();
    for part in &status.details {
        let at_tip = part.state == PartState::CaughtUp || part.state.is_done();
        gate.shard_state(&part.name, at_tip, now_ms);
    }
}

/// `counters += total - counted`, field by field (each group's latest heartbeat replaces its
/// previous one in the sum).
fn add_difference(counters: &mut Counters, counted: &RelayCounters, total: &RelayCounters) {
    let step = |c: &mut u64, old: u64, new: u64| *c = c.saturating_sub(old).saturating_add(new);
    step(&mut counters.lines, counted.lines, total.lines);
    step(&mut counters.parsed, counted.parsed, total.parsed);
    step(&mut counters.malformed, counted.malformed, total.malformed);
    step(&mut counters.future, counted.future, total.future);
    step(&mut counters.trailing, counted.trailing, total.trailing);
    step(
        &mut counters.bad_records,
        counted.bad_records,
        total.bad_records,
    );
}

/// The relays as an entry of the inputs view: how many groups, and a problem when the window
/// width cannot be shown from theirs.
fn relays_status(merged: &MergedWindows, primary_width: i64) -> SourceStatus {
    let problem = merged.base_width().and_then(|base| {
        (primary_width % base != 0 || primary_width < base).then(|| {
            format!(
                "relays: --window {primary_width} s is not a multiple of the relays' {base} s windows: no windows at this width"
            )
        })
    });
    SourceStatus {
        name: RELAYS.to_string(),
        problem: problem.clone(),
        details: vec![PartStatus {
            name: format!(
                "relays: {} groups, {} s windows, {} stale",
                merged.expected(),
                merged.base_width().unwrap_or(0),
                merged.stale()
            ),
            state: crate::source::status::PartState::Reading,
            problem,
            ..PartStatus::default()
        }],
        ..SourceStatus::default()
    }
}
