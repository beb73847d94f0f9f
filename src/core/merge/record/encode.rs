//! Writing records: JSON objects in a fixed field order, strings escaped so that no control,
//! bidi or format character reaches a terminal raw (`--publish -`), at most `MAX_RECORD_BYTES`.

use serde::{Serialize, Serializer};

use super::{
    Heartbeat, RecordError, RelayCounters, RelayStamp, MAX_RECORD_BYTES, MAX_RELAY_GROUPS, SCHEMA,
};
use crate::core::histogram::LatencyHistogram;
use crate::core::merge::wire::{encode_hashes, encode_hdr, encode_hll, WIRE_EXACT_HOSTS};
use crate::core::merge::{AppPartial, CallerPartial, TopEntry, TopSummary};
use crate::core::topk::stored_key;
use crate::core::window::CALLER_TOP_PATHS;
use crate::core::StatusClasses;

/// The aggregate record of `partial`, published by `relay`.
pub fn encode_aggregate(relay: RelayStamp, partial: &AppPartial) -> Result<Vec<u8>, RecordError> {
    check_relay(relay)?;
    let mut record = AggregateOut::new(relay, partial)?;
    loop {
        let json = to_json(&record)?;
        if json.len() <= MAX_RECORD_BYTES {
            return Ok(json);
        }
        if !record.shrink() {
            return Err(RecordError::TooLarge(json.len()));
        }
    }
}

/// The heartbeat record.
pub fn encode_heartbeat(beat: &Heartbeat) -> Result<Vec<u8>, RecordError> {
    check_relay(beat.relay)?;
    let json = to_json(&HeartbeatOut {
        kind: "heartbeat",
        schema: SCHEMA,
        relay_group: beat.relay.group,
        relay_groups: beat.relay.groups,
        seq: beat.relay.seq,
        time: rfc3339(beat.time)?,
        width_s: beat.width_s,
        lateness_s: beat.lateness_s,
        final_until: beat.final_until.map(rfc3339).transpose()?,
        watermark: beat.watermark.map(rfc3339).transpose()?,
        lag_ms: beat.lag_ms,
        shards: &beat.shards,
        counters: beat.counters,
    })?;
    if json.len() > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge(json.len()));
    }
    Ok(json)
}

fn check_relay(relay: RelayStamp) -> Result<(), RecordError> {
    if relay.groups == 0 || relay.groups > MAX_RELAY_GROUPS || relay.group >= relay.groups {
        return Err(RecordError::Unencodable(format!(
            "relay group {}/{} (groups must be 1 to {MAX_RELAY_GROUPS}, the group below them)",
            relay.group, relay.groups
        )));
    }
    Ok(())
}

/// RFC 3339 UTC (`2017-01-20T10:05:00Z`); times outside years 0..=9999 cannot be written.
pub(super) fn rfc3339(epoch_secs: i64) -> Result<String, RecordError> {
    crate::output::lines::rfc3339_checked(epoch_secs)
        .ok_or_else(|| RecordError::Unencodable(format!("time {epoch_secs} is beyond RFC 3339")))
}

#[derive(Serialize)]
struct AggregateOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema: u64,
    relay_group: u32,
    relay_groups: u32,
    seq: u64,
    // The headless window line, in its order.
    start: String,
    end: String,
    application: std::borrow::Cow<'a, str>,
    requests: u64,
    bytes: u64,
    status: &'a StatusClasses,
    hosts: u64,
    latency_us: Option<LatencyLine>,
    width_s: i64,
    hosts_exact: bool,
    error_rate_4xx: f64,
    error_rate_5xx: f64,
    status_codes: Codes<'a>,
    latency_mean_us: Option<f64>,
    top_paths: Vec<PathOut<'a>>,
    top_callers: Vec<CallerOut<'a>>,
    // The mergeable state.
    hosts_sketch: HostsOut,
    latency: Option<LatencyOut>,
    top_paths_bound: u64,
    top_callers_bound: u64,
}

impl<'a> AggregateOut<'a> {
    fn new(relay: RelayStamp, p: &'a AppPartial) -> Result<Self, RecordError> {
        let summary = p.latency.as_ref().and_then(LatencyHistogram::summary);
        let exact_hosts = p
            .hosts
            .exact_hashes()
            .filter(|_| p.hosts.count() <= WIRE_EXACT_HOSTS as u64);
        let hosts_sketch = match exact_hosts {
            Some(hashes) => HostsOut::Exact(encode_hashes(hashes)),
            None => HostsOut::Hll(encode_hll(&p.hosts.to_sketch())),
        };
        Ok(AggregateOut {
            kind: "aggregate",
            schema: SCHEMA,
            relay_group: relay.group,
            relay_groups: relay.groups,
            seq: relay.seq,
            start: rfc3339(p.start)?,
            end: rfc3339(p.end)?,
            application: stored_key(&p.application),
            requests: p.requests,
            bytes: p.bytes,
            status: &p.status,
            hosts: p.hosts.count(),
            latency_us: summary.as_ref().map(|l| LatencyLine {
                count: l.count,
                p50: l.p50,
                p90: l.p90,
                p99: l.p99,
                max: l.max,
            }),
            width_s: p.end.saturating_sub(p.start),
            hosts_exact: p.hosts.is_exact(),
            error_rate_4xx: rate(p.status.c4xx, p.requests),
            error_rate_5xx: rate(p.status.c5xx, p.requests),
            status_codes: Codes(&p.status_codes),
            latency_mean_us: summary.as_ref().map(|l| l.mean.round()),
            top_paths: paths(&p.paths),
            top_callers: p.callers.entries().iter().map(CallerOut::new).collect(),
            hosts_sketch,
            latency: p.latency.as_ref().and_then(LatencyOut::new),
            top_paths_bound: p.paths.bound(),
            top_callers_bound: p.callers.bound(),
        })
    }

    /// One step towards a smaller record; `false` when nothing is left to trim. Whatever is
    /// dropped raises the bound it falls under, so the record stays true, only less detailed.
    fn shrink(&mut self) -> bool {
        if self
            .top_callers
            .iter()
            .any(|c| c.top_paths.len() > CALLER_TOP_PATHS)
        {
            for c in &mut self.top_callers {
                truncate(&mut c.top_paths, &mut c.top_paths_bound, CALLER_TOP_PATHS);
            }
            return true;
        }
        let exact_caller_values =
            |c: &CallerOut| c.latency.as_ref().is_some_and(|l| l.values.is_some());
        if self.top_callers.iter().any(exact_caller_values) {
            for c in &mut self.top_callers {
                if let Some(l) = &mut c.latency {
                    l.values = None;
                }
            }
            return true;
        }
        if !self.top_callers.is_empty() {
            let keep = self.top_callers.len() / 2;
            if let Some(first_dropped) = self.top_callers.get(keep) {
                self.top_callers_bound = self.top_callers_bound.max(first_dropped.requests);
            }
            self.top_callers.truncate(keep);
            return true;
        }
        if !self.top_paths.is_empty() {
            let keep = self.top_paths.len() / 2;
            truncate(&mut self.top_paths, &mut self.top_paths_bound, keep);
            return true;
        }
        false
    }
}

fn truncate(paths: &mut Vec<PathOut<'_>>, bound: &mut u64, keep: usize) {
    if let Some(first_dropped) = paths.get(keep) {
        *bound = (*bound).max(first_dropped.requests);
    }
    paths.truncate(keep);
}

fn rate(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        ((n as f64 / d as f64) * 10_000.0).round() / 10_000.0
    }
}

#[derive(Serialize)]
struct LatencyLine {
    count: u64,
    p50: u64,
    p90: u64,
    p99: u64,
    max: u64,
}

/// `{"200":1100,"404":40}`, ascending by code.
struct Codes<'a>(&'a [(u16, u64)]);

impl Serialize for Codes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(code, n)| (code.to_string(), n)))
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Serialize)]
struct PathOut<'a> {
    path: &'a str,
    requests: u64,
    #[serde(skip_serializing_if = "is_zero")]
    error: u64,
}

fn paths(summary: &TopSummary) -> Vec<PathOut<'_>> {
    summary
        .entries()
        .iter()
        .map(|e| PathOut {
            path: &e.key,
            requests: e.count,
            error: e.error,
        })
        .collect()
}

#[derive(Serialize)]
struct CallerOut<'a> {
    host: &'a str,
    requests: u64,
    #[serde(skip_serializing_if = "is_zero")]
    error: u64,
    bytes: u64,
    status: &'a StatusClasses,
    status_codes: Codes<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency: Option<LatencyOut>,
    top_paths: Vec<PathOut<'a>>,
    top_paths_bound: u64,
}

impl<'a> CallerOut<'a> {
    fn new(e: &'a TopEntry<CallerPartial>) -> Self {
        CallerOut {
            host: &e.key,
            requests: e.count,
            error: e.error,
            bytes: e.detail.bytes,
            status: &e.detail.status,
            status_codes: Codes(&e.detail.status_codes),
            latency: e.detail.latency.as_ref().and_then(LatencyOut::new),
            top_paths: paths(&e.detail.paths),
            top_paths_bound: e.detail.paths.bound(),
        }
    }
}

/// `{"hdr": base64 V2-deflate, "min", "max", "values"?}`: the exact values too while at most 64.
#[derive(Serialize)]
struct LatencyOut {
    hdr: String,
    min: u64,
    max: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    values: Option<Vec<u64>>,
}

impl LatencyOut {
    fn new<C: hdrhistogram::Counter>(l: &LatencyHistogram<C>) -> Option<Self> {
        let (min, max) = l.min_max()?;
        Some(LatencyOut {
            hdr: encode_hdr(&l.to_histogram()),
            min,
            max,
            values: l.exact_values().map(|v| {
                let mut sorted = v.to_vec();
                sorted.sort_unstable();
                sorted
            }),
        })
    }
}

#[derive(Serialize)]
enum HostsOut {
    #[serde(rename = "exact")]
    Exact(String),
    #[serde(rename = "hll")]
    Hll(String),
}

#[derive(Serialize)]
struct HeartbeatOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema: u64,
    relay_group: u32,
    relay_groups: u32,
    seq: u64,
    time: String,
    width_s: i64,
    lateness_s: i64,
    final_until: Option<String>,
    watermark: Option<String>,
    lag_ms: Option<u64>,
    shards: &'a [String],
    #[serde(flatten)]
    counters: RelayCounters,
}

/// Compact JSON with every control, bidi and format character escaped as `\uXXXX` (serde_json
/// alone leaves C1 controls and U+202E raw), like the headless output: the same formatter.
fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, RecordError> {
    Ok(crate::output::jsonl::to_safe_json(value)?)
}
