//! Reading records: size first, then `type` and `schema`, then every field checked against the
//! others before anything is built from it. Unknown fields are ignored (a later version of the
//! same schema may add some).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{
    AggregateRecord, Heartbeat, Record, RecordError, RelayCounters, RelayStamp, MAX_RECORD_BYTES,
    MAX_RELAY_GROUPS, MAX_SHARDS, MAX_SHARD_ID_BYTES, MAX_WIDTH_S, SCHEMA,
};
use crate::core::distinct::DistinctCounter;
use crate::core::histogram::{LatencyHistogram, APP_SIGFIG, CALLER_SIGFIG, SMALL_EXACT};
use crate::core::merge::wire::{decode_hashes, decode_hdr, decode_hll};
use crate::core::merge::{
    AppPartial, CallerPartial, MergeDetail, TopEntry, TopSummary, WIRE_CALLER_PATHS,
    WIRE_TOP_CALLERS, WIRE_TOP_PATHS,
};
use crate::core::topk::MAX_KEY_BYTES;
use crate::core::StatusClasses;

/// Reads one record (one Kinesis record, or one line without its line end).
pub fn decode(bytes: &[u8]) -> Result<Record, RecordError> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge(bytes.len()));
    }
    let probe: Probe = serde_json::from_slice(bytes)?;
    let kind = match probe.kind.as_deref() {
        Some("aggregate") => "aggregate",
        Some("heartbeat") => "heartbeat",
        Some(other) => return Err(RecordError::UnknownType(other.chars().take(64).collect())),
        None => return Err(RecordError::NoType),
    };
    match probe.schema {
        None => return Err(RecordError::NoSchema { kind }),
        Some(found) if found != SCHEMA => return Err(RecordError::UnknownSchema { kind, found }),
        Some(_) => {}
    }
    if kind == "aggregate" {
        let wire: AggregateIn = serde_json::from_slice(bytes)?;
        Ok(Record::Aggregate(Box::new(wire.check()?)))
    } else {
        let wire: HeartbeatIn = serde_json::from_slice(bytes)?;
        Ok(Record::Heartbeat(wire.check()?))
    }
}

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "type")]
    kind: Option<String>,
    schema: Option<u64>,
}

/// Builds the error for `field` of an aggregate (or heartbeat) record.
fn invalid(kind: &'static str, field: impl Into<String>, reason: impl Into<String>) -> RecordError {
    RecordError::Invalid {
        kind,
        field: field.into(),
        reason: reason.into(),
    }
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> RecordError {
    invalid("aggregate", field, reason)
}

fn relay(kind: &'static str, group: u32, groups: u32, seq: u64) -> Result<RelayStamp, RecordError> {
    if groups == 0 || groups > MAX_RELAY_GROUPS {
        return Err(invalid(
            kind,
            "relay_groups",
            format!("is {groups}, not 1 to {MAX_RELAY_GROUPS}"),
        ));
    }
    if group >= groups {
        return Err(invalid(
            kind,
            "relay_group",
            format!("is {group}, not below relay_groups {groups}"),
        ));
    }
    Ok(RelayStamp { group, groups, seq })
}

fn epoch(
    kind: &'static str,
    field: &str,
    text: &str,
    whole_seconds: bool,
) -> Result<i64, RecordError> {
    let t = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| invalid(kind, field, format!("is not an RFC 3339 time: {e}")))?;
    if whole_seconds && t.nanosecond() != 0 {
        return Err(invalid(kind, field, "has a fraction of a second"));
    }
    Ok(t.unix_timestamp())
}

/// A path, host or (`non_empty`) application name.
fn key(field: &str, text: String, non_empty: bool) -> Result<Arc<str>, RecordError> {
    if non_empty && text.is_empty() {
        return Err(bad(field, "is empty"));
    }
    if text.len() > MAX_KEY_BYTES {
        return Err(bad(field, format!("is longer than {MAX_KEY_BYTES} bytes")));
    }
    Ok(Arc::from(text))
}

#[derive(Deserialize)]
struct StatusIn {
    #[serde(rename = "1xx")]
    c1xx: u64,
    #[serde(rename = "2xx")]
    c2xx: u64,
    #[serde(rename = "3xx")]
    c3xx: u64,
    #[serde(rename = "4xx")]
    c4xx: u64,
    #[serde(rename = "5xx")]
    c5xx: u64,
    #[serde(default)]
    other: u64,
}

/// Status classes and codes that agree with each other and add up to `requests`.
fn statuses(
    field: &str,
    status: StatusIn,
    codes: BTreeMap<String, u64>,
    requests: u64,
) -> Result<(StatusClasses, Vec<(u16, u64)>), RecordError> {
    let mut sorted = Vec::with_capacity(codes.len());
    for (code, n) in codes {
        let parsed: u16 = code.parse().map_err(|_| {
            bad(
                format!("{field}status_codes"),
                format!("has `{code}`, not a status code"),
            )
        })?;
        sorted.push((parsed, n));
    }
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(bad(format!("{field}status_codes"), "lists a code twice"));
    }
    let mut from_codes = StatusClasses::default();
    let mut total: u64 = 0;
    for &(code, n) in &sorted {
        from_codes.add(code, n);
        total = total.saturating_add(n);
    }
    let status = StatusClasses {
        c1xx: status.c1xx,
        c2xx: status.c2xx,
        c3xx: status.c3xx,
        c4xx: status.c4xx,
        c5xx: status.c5xx,
        other: status.other,
    };
    if status != from_codes {
        return Err(bad(format!("{field}status"), "does not match status_codes"));
    }
    if total != requests {
        return Err(bad(
            format!("{field}status_codes"),
            format!("add up to {total}, not to the {requests} requests"),
        ));
    }
    Ok((status, sorted))
}

#[derive(Deserialize)]
struct LatencyIn {
    hdr: String,
    min: u64,
    max: u64,
    values: Option<Vec<u64>>,
}

impl LatencyIn {
    fn check<C: hdrhistogram::Counter>(
        self,
        field: &str,
        sigfig: u8,
        most: u64,
    ) -> Result<LatencyHistogram<C>, RecordError> {
        let hist = decode_hdr::<C>(&self.hdr).map_err(|e| bad(format!("{field}.hdr"), e))?;
        let count = hist.len();
        if count == 0 {
            return Err(bad(
                format!("{field}.hdr"),
                "is empty (leave `latency` out instead)",
            ));
        }
        if count > most {
            return Err(bad(
                format!("{field}.hdr"),
                format!("counts {count}, more than the {most} requests"),
            ));
        }
        if self.min > self.max {
            return Err(bad(format!("{field}.min"), "is above max"));
        }
        match self.values {
            Some(values) => {
                if values.len() as u64 != count || values.len() > SMALL_EXACT {
                    return Err(bad(
                        format!("{field}.values"),
                        format!(
                            "has {} values for {count} counted (at most {SMALL_EXACT})",
                            values.len()
                        ),
                    ));
                }
                let (lo, hi) = (values.iter().min(), values.iter().max());
                if (lo, hi) != (Some(&self.min), Some(&self.max)) {
                    return Err(bad(format!("{field}.values"), "do not match min and max"));
                }
                Ok(LatencyHistogram::from_values(sigfig, &values))
            }
            None => Ok(LatencyHistogram::from_histogram(
                sigfig, hist, self.min, self.max,
            )),
        }
    }
}

#[derive(Deserialize)]
struct PathIn {
    path: String,
    requests: u64,
    #[serde(default)]
    error: u64,
}

fn top_summary<D: MergeDetail, T>(
    field: &str,
    items: Vec<T>,
    limit: usize,
    bound: u64,
    most: u64,
    mut entry: impl FnMut(String, T) -> Result<TopEntry<D>, RecordError>,
) -> Result<TopSummary<D>, RecordError> {
    if items.len() > limit {
        return Err(bad(
            field,
            format!("has {} entries, more than {limit}", items.len()),
        ));
    }
    if bound > most {
        return Err(bad(
            format!("{field}_bound"),
            format!("is above the {most} requests"),
        ));
    }
    let mut seen = HashSet::with_capacity(items.len());
    let mut entries = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let at = format!("{field}[{i}]");
        let e = entry(at.clone(), item)?;
        if e.error > e.count || e.count > most {
            return Err(bad(
                at,
                format!(
                    "counts {} with error {} (of {most} requests)",
                    e.count, e.error
                ),
            ));
        }
        if !seen.insert(Arc::clone(&e.key)) {
            return Err(bad(at, "lists a key twice"));
        }
        entries.push(e);
    }
    Ok(TopSummary::new(entries, bound))
}

fn path_summary(
    field: &str,
    paths: Vec<PathIn>,
    limit: usize,
    bound: u64,
    most: u64,
) -> Result<TopSummary, RecordError> {
    top_summary(field, paths, limit, bound, most, |at, p| {
        Ok(TopEntry {
            key: key(&format!("{at}.path"), p.path, false)?,
            count: p.requests,
            error: p.error,
            detail: (),
        })
    })
}

#[derive(Deserialize)]
struct CallerIn {
    host: String,
    requests: u64,
    #[serde(default)]
    error: u64,
    bytes: u64,
    status: StatusIn,
    status_codes: BTreeMap<String, u64>,
    latency: Option<LatencyIn>,
    top_paths: Vec<PathIn>,
    top_paths_bound: u64,
}

#[derive(Deserialize)]
enum HostsIn {
    #[serde(rename = "exact")]
    Exact(String),
    #[serde(rename = "hll")]
    Hll(String),
}

#[derive(Deserialize)]
struct AggregateIn {
    relay_group: u32,
    relay_groups: u32,
    seq: u64,
    start: String,
    end: String,
    application: String,
    requests: u64,
    bytes: u64,
    status: StatusIn,
    width_s: i64,
    status_codes: BTreeMap<String, u64>,
    top_paths: Vec<PathIn>,
    top_callers: Vec<CallerIn>,
    hosts_sketch: HostsIn,
    latency: Option<LatencyIn>,
    top_paths_bound: u64,
    top_callers_bound: u64,
}

impl AggregateIn {
    fn check(self) -> Result<AggregateRecord, RecordError> {
        let relay = relay("aggregate", self.relay_group, self.relay_groups, self.seq)?;
        let start = epoch("aggregate", "start", &self.start, true)?;
        let end = epoch("aggregate", "end", &self.end, true)?;
        if !(1..=MAX_WIDTH_S).contains(&self.width_s)
            || end.checked_sub(start) != Some(self.width_s)
        {
            return Err(bad(
                "width_s",
                format!("is {}: not end - start, or not 1 s to 7 d", self.width_s),
            ));
        }
        if start.rem_euclid(self.width_s) != 0 {
            return Err(bad("start", "is not a multiple of width_s since the epoch"));
        }
        let requests = self.requests;
        if requests == 0 {
            return Err(bad(
                "requests",
                "is 0 (a record is only written for requests)",
            ));
        }
        let (status, status_codes) = statuses("", self.status, self.status_codes, requests)?;
        let hosts = match self.hosts_sketch {
            HostsIn::Exact(text) => {
                let hashes = decode_hashes(&text).map_err(|e| bad("hosts_sketch.exact", e))?;
                if hashes.is_empty() || hashes.len() as u64 > requests {
                    return Err(bad(
                        "hosts_sketch.exact",
                        format!("has {} hosts for {requests} requests", hashes.len()),
                    ));
                }
                let mut counter = DistinctCounter::default();
                hashes.into_iter().for_each(|h| counter.insert(h));
                counter
            }
            HostsIn::Hll(text) => DistinctCounter::from_sketch(
                decode_hll(&text).map_err(|e| bad("hosts_sketch.hll", e))?,
            ),
        };
        let latency = match self.latency {
            Some(l) => Some(l.check::<u64>("latency", APP_SIGFIG, requests)?),
            None => None,
        };
        let paths = path_summary(
            "top_paths",
            self.top_paths,
            WIRE_TOP_PATHS,
            self.top_paths_bound,
            requests,
        )?;
        let callers = top_summary(
            "top_callers",
            self.top_callers,
            WIRE_TOP_CALLERS,
            self.top_callers_bound,
            requests,
            |at, c| {
                let host = key(&format!("{at}.host"), c.host, false)?;
                let hits = c
                    .requests
                    .checked_sub(c.error)
                    .ok_or_else(|| bad(format!("{at}.error"), "is above requests"))?;
                let (status, status_codes) =
                    statuses(&format!("{at}."), c.status, c.status_codes, hits)?;
                let latency = match c.latency {
                    Some(l) => {
                        Some(l.check::<u32>(&format!("{at}.latency"), CALLER_SIGFIG, hits)?)
                    }
                    None => None,
                };
                let paths = path_summary(
                    &format!("{at}.top_paths"),
                    c.top_paths,
                    WIRE_CALLER_PATHS,
                    c.top_paths_bound,
                    hits,
                )?;
                Ok(TopEntry {
                    key: host,
                    count: c.requests,
                    error: c.error,
                    detail: CallerPartial {
                        bytes: c.bytes,
                        status,
                        status_codes,
                        latency,
                        paths,
                    },
                })
            },
        )?;
        Ok(AggregateRecord {
            relay,
            partial: AppPartial {
                start,
                end,
                application: key("application", self.application, true)?,
                requests,
                bytes: self.bytes,
                status,
                status_codes,
                hosts,
                latency,
                paths,
                callers,
            },
        })
    }
}

#[derive(Deserialize)]
struct HeartbeatIn {
    relay_group: u32,
    relay_groups: u32,
    seq: u64,
    time: String,
    width_s: i64,
    lateness_s: i64,
    final_until: Option<String>,
    watermark: Option<String>,
    lag_ms: Option<u64>,
    shards: Vec<String>,
    #[serde(flatten)]
    counters: RelayCounters,
}

impl HeartbeatIn {
    fn check(self) -> Result<Heartbeat, RecordError> {
        let k = "heartbeat";
        let relay = relay(k, self.relay_group, self.relay_groups, self.seq)?;
        if !(1..=MAX_WIDTH_S).contains(&self.width_s) {
            return Err(invalid(
                k,
                "width_s",
                format!("is {}, not 1 s to 7 d", self.width_s),
            ));
        }
        if !(0..=MAX_WIDTH_S).contains(&self.lateness_s) {
            return Err(invalid(
                k,
                "lateness_s",
                format!("is {}, not 0 to 7 d", self.lateness_s),
            ));
        }
        if self.shards.len() > MAX_SHARDS {
            return Err(invalid(
                k,
                "shards",
                format!("lists {}, more than {MAX_SHARDS}", self.shards.len()),
            ));
        }
        if let Some(i) = self
            .shards
            .iter()
            .position(|s| s.is_empty() || s.len() > MAX_SHARD_ID_BYTES)
        {
            return Err(invalid(
                k,
                format!("shards[{i}]"),
                format!("is empty or longer than {MAX_SHARD_ID_BYTES} bytes"),
            ));
        }
        let c = &self.counters;
        if c.parsed > c.lines || c.malformed > c.lines {
            return Err(invalid(k, "parsed", "or malformed is above lines"));
        }
        let time = |field: &str, text: Option<String>| {
            text.map(|t| epoch(k, field, &t, false)).transpose()
        };
        Ok(Heartbeat {
            relay,
            time: epoch(k, "time", &self.time, false)?,
            width_s: self.width_s,
            lateness_s: self.lateness_s,
            final_until: time("final_until", self.final_until)?,
            watermark: time("watermark", self.watermark)?,
            lag_ms: self.lag_ms,
            shards: self.shards,
            counters: self.counters,
        })
    }
}
