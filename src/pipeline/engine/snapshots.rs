//! What the engine shows: a snapshot for the screen, published when something changed and no
//! sooner than a multiple of its own build cost, so a huge input is not slowed by the screen.

use std::sync::Arc;
use std::time::Instant;

use super::{Engine, PUBLISH_SPACING, SNAPSHOT_EVERY};
use crate::core::{Aggregator, WindowSummary};
use crate::output::actions::ActionRunner;
use crate::pipeline::snapshot::Snapshot;

impl Engine {
    /// What silence alone changes on screen: event time (the window of now) and events/s.
    pub(super) fn shown_now(&self) -> (Option<i64>, f64) {
        let selected = &self.aggregators[self.selected];
        (
            selected.newest_event().max(selected.watermark()),
            self.rate.per_sec(),
        )
    }

    pub(super) fn publish(&mut self, force: bool) {
        if !self.is_live() {
            return;
        }
        if self.inputs.metadata.has_changed().unwrap_or(false) {
            self.dirty = true;
        }
        let spacing = SNAPSHOT_EVERY.max(self.publish_cost * PUBLISH_SPACING);
        let due = self.last_publish.is_none_or(|t| t.elapsed() >= spacing);
        if !(force || (self.dirty && due)) {
            return;
        }
        let ready = self
            .sinks
            .iter()
            .filter(|s| s.is_live())
            .all(|s| s.ready_for_snapshot());
        if !(force || ready) {
            return;
        }
        let started = Instant::now();
        if std::mem::take(&mut self.alarms_changed) {
            if let Some(alarms) = &self.alarms {
                self.alarms_view = Arc::new(alarms.view());
            }
        }
        self.seq += 1;
        self.published = self.shown_now();
        let (widths, widths_given_up) = self.kept_widths();
        let selected = &self.aggregators[self.selected];
        let snapshot = Snapshot {
            widths,
            widths_given_up,
            seq: self.seq,
            taken_at_ms: crate::clock::now_ms(),
            width_secs: selected.config().width_secs,
            windows: windows_until_now(selected, self.relay_open_windows()),
            detail_from: selected.detail_from(),
            history_dropped: selected.history_dropped(),
            watermark: self.clocks.newest().max(selected.watermark()),
            counters: self.counters,
            events_per_sec: self.rate.per_sec(),
            malformed: self.samples.iter().cloned().collect(),
            source: self.source_status(),
            metadata: self.inputs.metadata.borrow_and_update().clone(),
            alarms: self.alarms_view.clone(),
            actions: self.actions.as_ref().map(ActionRunner::stats),
            finished: self.finished,
            recent: self.recent.view(),
        };
        let snapshot = Arc::new(snapshot);
        for sink in self.sinks.iter_mut().filter(|s| s.is_live()) {
            sink.snapshot(Arc::clone(&snapshot));
        }
        self.dirty = false;
        self.publish_cost = started.elapsed();
        self.last_publish = Some(Instant::now());
    }
}

/// The aggregator's windows, and, when time has moved past the newest of them without a single
/// request (a silent source, see [`OriginClocks::watermark`]), an empty open window for now:
/// the screen shows that nothing is arriving instead of the last window that had traffic.
pub(super) fn windows_until_now(
    aggregator: &Aggregator,
    merged_open: Vec<Arc<WindowSummary>>,
) -> Vec<Arc<WindowSummary>> {
    let mut windows = aggregator.windows();
    windows.extend(merged_open);
    let width = aggregator.config().width_secs;
    if let (Some(now), Some(newest)) = (aggregator.watermark(), windows.last()) {
        let start = crate::core::aggregate::window_start(now, width);
        if start >= newest.end {
            windows.push(Arc::new(WindowSummary::empty(start, width, false)));
        }
    }
    windows
}
