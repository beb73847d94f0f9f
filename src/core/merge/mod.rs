//! Mergeable window state: everything several processes need to send about one (window,
//! application) so that merging their partial views gives the [`AppWindow`] one process fed all
//! their hits would have computed.
//!
//! - Requests, bytes, status classes and exact status codes add.
//! - Latency: exact values while few, then an HdrHistogram; histograms merge exactly.
//! - Distinct hosts: the exact set of host hashes (XXH3-64, stable across processes) up to a cap,
//!   then a DataSketches HLL sketch; exact while every side is exact and the union is below the cap.
//! - Top paths and top callers: mergeable space-saving summaries carrying their error bound (see
//!   [`TopSummary`]); each top caller carries its own detail (bytes, statuses, latency, paths) so a
//!   drill-down works on merged data.
//!
//! [`record`] is the wire form (one JSON object per partial) and the relay heartbeat.

pub mod record;
mod topk;
pub mod viewer;
mod wire;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use super::distinct::DistinctCounter;
use super::histogram::LatencyHistogram;
use super::window::CALLER_TOP_PATHS;
use super::{AppWindow, CallerSummary, Counted, StatusClasses, WindowConfig};
use crate::enrich::UNKNOWN;

pub use topk::{MergeDetail, TopEntry, TopSummary};

/// Top paths of an application a partial carries (the in-process table holds `4 × top_k`, at
/// least 32: 80 with the default `top_k` of 20, so by default the whole table travels).
pub const WIRE_TOP_PATHS: usize = 128;
/// Top callers of an application a partial carries, each with its detail (covers the 200 callers
/// the `unknown` application reports by default).
pub const WIRE_TOP_CALLERS: usize = 256;
/// Paths per caller a partial carries: half its table of 16, over the 5 reported. The callers'
/// detail is most of a record, and their paths were two thirds of that.
pub const WIRE_CALLER_PATHS: usize = 8;

/// The mergeable state of one application in one window `[start, end)`.
#[derive(Debug, Clone)]
pub struct AppPartial {
    pub start: i64,
    pub end: i64,
    pub application: Arc<str>,
    pub requests: u64,
    pub bytes: u64,
    pub status: StatusClasses,
    /// Exact counts per status code, ascending by code.
    pub status_codes: Vec<(u16, u64)>,
    pub hosts: DistinctCounter,
    /// `None` when no request carried a latency.
    pub latency: Option<LatencyHistogram>,
    pub paths: TopSummary,
    pub callers: TopSummary<CallerPartial>,
}

/// What one side knows of one top caller: its hits since it took its top-k slot there, so these
/// figures add up to `requests - error` of its entry.
#[derive(Debug, Clone)]
pub struct CallerPartial {
    pub bytes: u64,
    pub status: StatusClasses,
    /// Exact counts per status code, ascending by code.
    pub status_codes: Vec<(u16, u64)>,
    pub latency: Option<LatencyHistogram<u32>>,
    pub paths: TopSummary,
}

impl MergeDetail for CallerPartial {
    fn merge_from(&mut self, other: &Self) {
        self.bytes = self.bytes.saturating_add(other.bytes);
        add_classes(&mut self.status, &other.status);
        add_codes(&mut self.status_codes, &other.status_codes);
        merge_latency(&mut self.latency, &other.latency);
        self.paths.merge(&other.paths, WIRE_CALLER_PATHS);
    }
}

/// Two partials of different windows or applications.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot merge {theirs} into {ours}: not the same window and application")]
pub struct MergeMismatch {
    pub ours: String,
    pub theirs: String,
}

impl AppPartial {
    /// Adds `other`, a partial of the same window and application from other hits.
    pub fn merge(&mut self, other: &AppPartial) -> Result<(), MergeMismatch> {
        if (self.start, self.end, &self.application) != (other.start, other.end, &other.application)
        {
            return Err(MergeMismatch {
                ours: self.describe(),
                theirs: other.describe(),
            });
        }
        self.requests = self.requests.saturating_add(other.requests);
        self.bytes = self.bytes.saturating_add(other.bytes);
        add_classes(&mut self.status, &other.status);
        add_codes(&mut self.status_codes, &other.status_codes);
        self.hosts.merge(&other.hosts);
        merge_latency(&mut self.latency, &other.latency);
        self.paths.merge(&other.paths, WIRE_TOP_PATHS);
        self.callers.merge(&other.callers, WIRE_TOP_CALLERS);
        Ok(())
    }

    /// The window statistics, as the aggregator reports them: `top_k` paths, and `top_k` callers
    /// (`top_k_unknown` for the `unknown` application) with their `CALLER_TOP_PATHS` paths.
    pub fn summarize(&self, config: &WindowConfig) -> AppWindow {
        let callers_k = if self.application.as_ref() == UNKNOWN {
            config.top_k_unknown
        } else {
            config.top_k
        };
        AppWindow {
            application: Arc::clone(&self.application),
            requests: self.requests,
            bytes: self.bytes,
            status: self.status,
            status_codes: self.status_codes.clone(),
            hosts: self.hosts.count(),
            hosts_exact: self.hosts.is_exact(),
            latency: self.latency.as_ref().and_then(LatencyHistogram::summary),
            top_paths: counted(self.paths.top(config.top_k)),
            top_callers: self
                .callers
                .top(callers_k)
                .iter()
                .map(|e| CallerSummary {
                    host: Arc::clone(&e.key),
                    requests: e.count,
                    error: e.error,
                    bytes: e.detail.bytes,
                    status: e.detail.status,
                    status_codes: e.detail.status_codes.clone(),
                    latency: e
                        .detail
                        .latency
                        .as_ref()
                        .and_then(LatencyHistogram::summary),
                    top_paths: counted(e.detail.paths.top(CALLER_TOP_PATHS)),
                    // Relays' records do not carry user agents or referers (see README).
                    agents: Default::default(),
                })
                .collect(),
            agents: Default::default(),
        }
    }

    fn describe(&self) -> String {
        format!(
            "`{}` [{}, {})",
            self.application.escape_debug(),
            self.start,
            self.end
        )
    }
}

fn counted(entries: &[TopEntry]) -> Vec<Counted> {
    entries
        .iter()
        .map(|e| Counted {
            key: Arc::clone(&e.key),
            count: e.count,
            error: e.error,
        })
        .collect()
}

fn merge_latency<C: hdrhistogram::Counter>(
    ours: &mut Option<LatencyHistogram<C>>,
    theirs: &Option<LatencyHistogram<C>>,
) {
    match (ours.as_mut(), theirs) {
        (Some(ours), Some(theirs)) => ours.merge(theirs),
        (None, Some(theirs)) => *ours = Some(theirs.clone()),
        (_, None) => {}
    }
}

pub(crate) fn add_classes(into: &mut StatusClasses, from: &StatusClasses) {
    into.c1xx = into.c1xx.saturating_add(from.c1xx);
    into.c2xx = into.c2xx.saturating_add(from.c2xx);
    into.c3xx = into.c3xx.saturating_add(from.c3xx);
    into.c4xx = into.c4xx.saturating_add(from.c4xx);
    into.c5xx = into.c5xx.saturating_add(from.c5xx);
    into.other = into.other.saturating_add(from.other);
}

/// Adds sorted `(code, count)` lists, keeping `into` sorted by code.
pub(crate) fn add_codes(into: &mut Vec<(u16, u64)>, from: &[(u16, u64)]) {
    for &(code, n) in from {
        match into.binary_search_by_key(&code, |&(c, _)| c) {
            Ok(i) => into[i].1 = into[i].1.saturating_add(n),
            Err(i) => into.insert(i, (code, n)),
        }
    }
}
