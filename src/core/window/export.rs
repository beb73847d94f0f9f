//! An open window's accumulators as mergeable state (`core::merge`), for relays to publish.

use std::sync::Arc;

use super::{AppAccumulator, CallerAccumulator, OpenWindow};
use crate::core::merge::{
    AppPartial, CallerPartial, TopSummary, WIRE_CALLER_PATHS, WIRE_TOP_CALLERS, WIRE_TOP_PATHS,
};

impl OpenWindow {
    /// The mergeable state of every application with requests, by application name.
    pub fn partials(&self) -> Vec<AppPartial> {
        let mut partials: Vec<AppPartial> = self
            .apps
            .iter()
            .filter(|a| a.requests > 0)
            .map(|a| a.partial(self.start, self.end))
            .collect();
        partials.sort_unstable_by(|a, b| a.application.cmp(&b.application));
        partials
    }
}

impl AppAccumulator {
    fn partial(&self, start: i64, end: i64) -> AppPartial {
        AppPartial {
            start,
            end,
            application: Arc::clone(&self.name),
            requests: self.requests,
            bytes: self.bytes,
            status: self.status,
            status_codes: self.codes.sorted(),
            hosts: self.hosts.clone(),
            latency: self.latency.clone(),
            paths: TopSummary::from_table(&self.paths, WIRE_TOP_PATHS, |_| ()),
            callers: TopSummary::from_table(&self.callers, WIRE_TOP_CALLERS, |slot| {
                caller_partial(slot.payload())
            }),
        }
    }
}

fn caller_partial(c: &CallerAccumulator) -> CallerPartial {
    CallerPartial {
        bytes: c.bytes,
        status: c.status,
        status_codes: c.codes.sorted(),
        latency: c.latency.clone(),
        paths: TopSummary::from_table(&c.paths, WIRE_CALLER_PATHS, |_| ()),
    }
}
