//! The viewer's side: aggregate records from any number of relays merged into windows.
//!
//! - **Latest per (group, window, application).** Kinesis delivers at least once and a restarted
//!   relay publishes again: of the records of one relay group for one (window, application), the
//!   one with the greatest `seq` is kept, so duplicates replace instead of adding.
//! - **Final when every relay group passed it.** A relay's heartbeat says up to where its windows
//!   are final and published (`final_until`); a window is final here once every group `0..N`
//!   (`N` = `relay_groups`, the count every record and heartbeat carries) said so. Until then it
//!   is shown as partial, with how many groups had passed it ([`RelayCoverage`]). At the end of
//!   finite input ([`MergedWindows::flush`]) every window is final, with the coverage it had.
//! - **Wider windows** (the TUI's `w`) are rolled up from the relays' windows: any width that is
//!   a multiple of the relays' width, merging the same mergeable state again.
//! - **Counters**: the latest heartbeat of each group, added up.
//!
//! Heartbeat ordering: Kinesis orders records per shard only, and a relay's heartbeat may travel
//! on another shard than the records it covers. [`HeartbeatGate`] holds a heartbeat until every
//! shard being read has delivered records that arrived at the stream after it (relays send a
//! heartbeat only once the records before it were accepted, and spread heartbeats over every
//! shard), or has gone quiet. Records read from a file are in the order written: no wait.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::record::{AggregateRecord, Heartbeat, RelayCounters};
use super::AppPartial;
use crate::core::aggregate::window_start;
use crate::core::{RelayCoverage, WindowConfig, WindowSummary};

/// What became of an aggregate record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    Accepted,
    /// For a window already final here (a relay's republished copy, or one that came too late).
    Stale,
    /// Its window width differs from the relays' width seen first.
    OtherWidth {
        width: i64,
        expected: i64,
    },
}

/// One relay group's copy of one application in one open window.
#[derive(Debug)]
struct Copy {
    seq: u64,
    partial: AppPartial,
}

/// Merged windows of the kept widths; see the module docs.
#[derive(Debug)]
pub struct MergedWindows {
    config: WindowConfig,
    /// Widths the viewer shows, in its order; each rolled up when a multiple of the relays'.
    widths: Vec<i64>,
    /// The relays' window width, from the first record or heartbeat.
    base: Option<i64>,
    expected: u32,
    final_until: BTreeMap<u32, i64>,
    counters: BTreeMap<u32, (u64, RelayCounters)>,
    watermark: Option<i64>,
    /// Open windows of the relays' width by start: copies by (application, group).
    open: BTreeMap<i64, HashMap<(Arc<str>, u32), Copy>>,
    /// Windows ending at or before this were made final here.
    final_done: Option<i64>,
    rollups: Vec<Option<Rollup>>,
    stale: u64,
}

/// A kept width's windows that are not complete yet: merged base windows already final.
#[derive(Debug)]
struct Rollup {
    width: i64,
    open: BTreeMap<i64, (BTreeMap<Arc<str>, AppPartial>, RelayCoverage)>,
}

impl MergedWindows {
    pub fn new(config: WindowConfig, widths: &[i64]) -> Self {
        MergedWindows {
            config,
            widths: widths.to_vec(),
            base: None,
            expected: 0,
            final_until: BTreeMap::new(),
            counters: BTreeMap::new(),
            watermark: None,
            open: BTreeMap::new(),
            final_done: None,
            rollups: Vec::new(),
            stale: 0,
        }
    }

    /// The relays' window width, once known.
    pub fn base_width(&self) -> Option<i64> {
        self.base
    }

    /// Relay groups expected (`relay_groups`).
    pub fn expected(&self) -> u32 {
        self.expected
    }

    /// Records for windows already final here.
    pub fn stale(&self) -> u64 {
        self.stale
    }

    /// The newest event-time watermark any relay reported.
    pub fn watermark(&self) -> Option<i64> {
        self.watermark
    }

    /// The relays' counters: each group's latest, added up.
    pub fn relay_counters(&self) -> RelayCounters {
        let mut sum = RelayCounters::default();
        for (_, c) in self.counters.values() {
            sum += *c;
        }
        sum
    }

    fn learn_width(&mut self, width: i64) -> Result<(), i64> {
        match self.base {
            Some(base) if base != width => Err(base),
            Some(_) => Ok(()),
            None => {
                self.base = Some(width);
                self.rollups = self
                    .widths
                    .iter()
                    .map(|&w| {
                        (w >= width && w % width == 0).then(|| Rollup {
                            width: w,
                            open: BTreeMap::new(),
                        })
                    })
                    .collect();
                Ok(())
            }
        }
    }

    pub fn add_aggregate(&mut self, record: AggregateRecord) -> Taken {
        let p = &record.partial;
        let width = p.end - p.start;
        if let Err(expected) = self.learn_width(width) {
            return Taken::OtherWidth { width, expected };
        }
        self.expected = self.expected.max(record.relay.groups);
        if self.final_done.is_some_and(|done| p.end <= done) {
            self.stale += 1;
            return Taken::Stale;
        }
        let key = (Arc::clone(&p.application), record.relay.group);
        let copies = self.open.entry(p.start).or_default();
        match copies.get(&key) {
            Some(kept) if kept.seq >= record.relay.seq => {}
            _ => {
                copies.insert(
                    key,
                    Copy {
                        seq: record.relay.seq,
                        partial: record.partial,
                    },
                );
            }
        }
        Taken::Accepted
    }

    pub fn add_heartbeat(&mut self, beat: &Heartbeat) {
        // A heartbeat of another width is ignored like that width's records.
        if self.learn_width(beat.width_s).is_err() {
            return;
        }
        let group = beat.relay.group;
        self.expected = self.expected.max(beat.relay.groups);
        if let Some(until) = beat.final_until {
            let known = self.final_until.entry(group).or_insert(until);
            *known = (*known).max(until);
        }
        self.watermark = self.watermark.max(beat.watermark);
        match self.counters.get(&group) {
            Some((seq, _)) if *seq >= beat.relay.seq => {}
            _ => {
                self.counters.insert(group, (beat.relay.seq, beat.counters));
            }
        }
    }

    /// Up to where every relay group has made its windows final.
    fn all_final_until(&self) -> Option<i64> {
        if self.expected == 0 || self.final_until.len() < self.expected as usize {
            return None;
        }
        (0..self.expected)
            .map(|g| self.final_until.get(&g).copied())
            .min()
            .flatten()
    }

    fn coverage(&self, end: i64) -> RelayCoverage {
        RelayCoverage {
            relays: self
                .final_until
                .iter()
                .filter(|(g, &until)| **g < self.expected && until >= end)
                .count() as u32,
            expected: self.expected,
        }
    }

    /// Windows that became final, as `(index into widths, window)`, each width in order.
    pub fn take_final(&mut self) -> Vec<(usize, WindowSummary)> {
        let limit = self.all_final_until();
        self.finalize_until(limit)
    }

    /// End of finite input: every window is final, with the coverage it has.
    pub fn flush(&mut self) -> Vec<(usize, WindowSummary)> {
        self.finalize_until(Some(i64::MAX))
    }

    fn finalize_until(&mut self, limit: Option<i64>) -> Vec<(usize, WindowSummary)> {
        let (Some(limit), Some(base)) = (limit, self.base) else {
            return Vec::new();
        };
        let starts: Vec<i64> = self
            .open
            .keys()
            .copied()
            .take_while(|s| s.saturating_add(base) <= limit)
            .collect();
        for start in starts {
            let end = start.saturating_add(base);
            let copies = self.open.remove(&start).unwrap_or_default();
            let coverage = self.coverage(end);
            let merged = merge_copies(copies.into_values().map(|c| c.partial));
            for rollup in self.rollups.iter_mut().flatten() {
                rollup.add(&merged, coverage);
            }
            self.final_done = self.final_done.max(Some(end));
        }
        if limit < i64::MAX {
            self.final_done = self.final_done.max(Some(limit));
        }
        let mut out = Vec::new();
        for (i, rollup) in self.rollups.iter_mut().enumerate() {
            let Some(rollup) = rollup else { continue };
            let complete: Vec<i64> = rollup
                .open
                .keys()
                .copied()
                .take_while(|s| limit == i64::MAX || s.saturating_add(rollup.width) <= limit)
                .collect();
            for start in complete {
                if let Some((apps, coverage)) = rollup.open.remove(&start) {
                    let summary = summarize(
                        start,
                        start.saturating_add(rollup.width),
                        true,
                        apps.values(),
                        coverage,
                        &self.config,
                    );
                    out.push((i, summary));
                }
            }
        }
        out
    }

    /// The windows of width `widths[index]` not final yet, merged as far as known (partial).
    pub fn open_windows(&self, index: usize) -> Vec<Arc<WindowSummary>> {
        let Some(Some(rollup)) = self.rollups.get(index) else {
            return Vec::new();
        };
        let mut windows: BTreeMap<i64, (BTreeMap<Arc<str>, AppPartial>, RelayCoverage)> = rollup
            .open
            .iter()
            .map(|(s, (apps, c))| (*s, (apps.clone(), *c)))
            .collect();
        for (&start, copies) in &self.open {
            let end = start.saturating_add(self.base.unwrap_or(1));
            let merged = merge_copies(copies.values().map(|c| c.partial.clone()));
            let rollup_start = window_start(start, rollup.width);
            let entry = windows
                .entry(rollup_start)
                .or_insert_with(|| (BTreeMap::new(), self.coverage(end)));
            let coverage = self.coverage(end);
            entry.1.relays = entry.1.relays.min(coverage.relays);
            for p in merged {
                add_restamped(&mut entry.0, p, rollup_start, rollup.width);
            }
        }
        windows
            .into_iter()
            .map(|(start, (apps, coverage))| {
                Arc::new(summarize(
                    start,
                    start.saturating_add(rollup.width),
                    false,
                    apps.values(),
                    coverage,
                    &self.config,
                ))
            })
            .collect()
    }
}

impl Rollup {
    fn add(&mut self, merged: &[AppPartial], coverage: RelayCoverage) {
        let Some(first) = merged.first() else {
            return;
        };
        let start = window_start(first.start, self.width);
        let entry = self
            .open
            .entry(start)
            .or_insert_with(|| (BTreeMap::new(), coverage));
        entry.1.relays = entry.1.relays.min(coverage.relays);
        entry.1.expected = entry.1.expected.max(coverage.expected);
        for p in merged {
            add_restamped(&mut entry.0, p.clone(), start, self.width);
        }
    }
}

/// Adds `p` to the window `[start, start + width)` holding it.
fn add_restamped(
    into: &mut BTreeMap<Arc<str>, AppPartial>,
    mut p: AppPartial,
    start: i64,
    width: i64,
) {
    p.start = start;
    p.end = start.saturating_add(width);
    match into.get_mut(&p.application) {
        // Same window and application by construction.
        Some(kept) => {
            let _ = kept.merge(&p);
        }
        None => {
            into.insert(Arc::clone(&p.application), p);
        }
    }
}

/// One partial per application out of every group's copies, by application.
fn merge_copies(copies: impl Iterator<Item = AppPartial>) -> Vec<AppPartial> {
    let mut by_app: BTreeMap<Arc<str>, AppPartial> = BTreeMap::new();
    for p in copies {
        match by_app.get_mut(&p.application) {
            Some(kept) => {
                let _ = kept.merge(&p);
            }
            None => {
                by_app.insert(Arc::clone(&p.application), p);
            }
        }
    }
    by_app.into_values().collect()
}

fn summarize<'a>(
    start: i64,
    end: i64,
    is_final: bool,
    apps: impl Iterator<Item = &'a AppPartial>,
    coverage: RelayCoverage,
    config: &WindowConfig,
) -> WindowSummary {
    // By application name (the order of the map), as the aggregator's summaries are.
    WindowSummary {
        start,
        end,
        is_final,
        apps: apps.map(|p| p.summarize(config)).collect(),
        relays: Some(coverage),
    }
}

/// Holds heartbeats read from a stream until the records they cover have been read; see the
/// module docs.
///
/// A shard being read has passed a heartbeat that arrived at the stream at `h` when it delivered
/// a record that arrived at `h` or later, or when the source's latest word on it, given at least
/// [`HeartbeatGate::TIP_SLACK_MS`] after `h` by our clock, is that it is at its tip (or finished):
/// a reader at its tip polls about every second, so a word that late reflects a read made after
/// `h`, and the slack covers the difference between the service's clock and ours. Nothing is
/// released before the source's first word on which shards it reads.
#[derive(Debug, Default)]
pub struct HeartbeatGate {
    shards: HashMap<Arc<str>, ShardProgress>,
    held: Vec<(Heartbeat, i64)>,
    told_shards: bool,
}

#[derive(Debug, Default, Clone, Copy)]
struct ShardProgress {
    /// Newest arrival time delivered (epoch ms).
    newest: Option<i64>,
    /// When (our wall clock, epoch ms) the source last said the shard is at its tip; `None` when
    /// its latest word is that it is not.
    tip_reported: Option<i64>,
}

impl HeartbeatGate {
    /// How long after a heartbeat's arrival a shard's "at its tip" counts as having passed it.
    pub const TIP_SLACK_MS: i64 = 3000;

    /// `origin` delivered records that arrived at the stream up to `arrival_ms`.
    pub fn delivered(&mut self, origin: &Arc<str>, arrival_ms: i64) {
        let p = self.shards.entry(Arc::clone(origin)).or_default();
        p.newest = p.newest.max(Some(arrival_ms));
    }

    /// What the source says of a shard it reads: at its tip (or finished) or not, at `now_ms`.
    pub fn shard_state(&mut self, shard: &str, at_tip: bool, now_ms: i64) {
        self.told_shards = true;
        let p = self.shards.entry(Arc::from(shard)).or_default();
        p.tip_reported = at_tip.then_some(now_ms);
    }

    /// A heartbeat that arrived at the stream at `arrival_ms`.
    pub fn hold(&mut self, beat: Heartbeat, arrival_ms: i64) {
        self.held.push((beat, arrival_ms));
    }

    /// Heartbeats every shard has passed, in the order held.
    pub fn release(&mut self) -> Vec<Heartbeat> {
        if !self.told_shards {
            return Vec::new();
        }
        let shards = &self.shards;
        let passed = |arrival: i64| {
            shards.values().all(|p| {
                p.newest.is_some_and(|n| n >= arrival)
                    || p.tip_reported
                        .is_some_and(|at| at >= arrival.saturating_add(Self::TIP_SLACK_MS))
            })
        };
        let (ready, held): (Vec<_>, Vec<_>) = self.held.drain(..).partition(|(_, a)| passed(*a));
        self.held = held;
        ready.into_iter().map(|(b, _)| b).collect()
    }

    /// Every heartbeat held (the input ended).
    pub fn release_all(&mut self) -> Vec<Heartbeat> {
        self.held.drain(..).map(|(b, _)| b).collect()
    }
}

#[cfg(test)]
mod tests;
