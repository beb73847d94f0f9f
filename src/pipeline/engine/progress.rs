//! What the engine tells its sinks besides windows and alarms: where the run stands (a relay's
//! heartbeat), and the sinks' own states (a publisher's) merged with the sources' for the status
//! bar, the inputs view and the headless fault log.

use std::io;
use std::time::Instant;

use super::Engine;
use crate::pipeline::sink::Progress;
use crate::pipeline::snapshot::{merge_statuses, SourceStatus};

impl Engine {
    /// Tells the sinks where the run stands (a relay's heartbeat), and takes in their own
    /// states (a publisher's), said like a source's.
    pub(super) fn report_progress(&mut self, finished: bool) -> io::Result<()> {
        let source = merge_statuses(&self.source_name, self.sources.values());
        let primary = &self.aggregators[self.primary];
        let progress = Progress {
            counters: &self.counters,
            watermark: primary.watermark(),
            final_until: primary.final_until(),
            source: &source,
            finished,
        };
        for sink in &mut self.sinks {
            sink.progress(&progress)?;
        }
        for sink in &self.sinks {
            if let Some(status) = sink.status() {
                if self.sink_statuses.get(&status.name) != Some(&status) {
                    if let Some(log) = self.fault_log.as_mut() {
                        log.observe(&status, Instant::now());
                    }
                    self.sink_statuses.insert(status.name.clone(), status);
                    self.dirty = true;
                }
            }
        }
        Ok(())
    }

    /// The sources' state, and after it the publishers' (a relay's output): the status bar
    /// names where a relay publishes (`access.log → kinesis:aggs`).
    pub(super) fn source_status(&self) -> SourceStatus {
        let targets: Vec<&str> = self
            .sink_statuses
            .keys()
            .filter_map(|name| name.strip_prefix("publish "))
            .collect();
        let name = if targets.is_empty() {
            self.source_name.clone()
        } else {
            format!("{} → {}", self.source_name, targets.join(", "))
        };
        merge_statuses(
            &name,
            self.sources.values().chain(self.sink_statuses.values()),
        )
    }
}
