//! The JSON Lines contract (README "Output") in one place: the `window`, `alarm` and `summary`
//! lines as `derive(Serialize)` structs. Each starts with the contract's fields in the contract's
//! order; extra fields follow them. Decoders may rely on every field named here.

use serde::{Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::core::alarms::{AlarmRule, AlarmTransition};
use crate::core::{
    AppWindow, CallerSummary, Counted, LatencySummary, StatusClasses, WindowSummary,
};
use crate::pipeline::snapshot::Counters;

/// Entries of `top_paths` and `top_callers` in a window line (lines stay short).
pub const TOP_IN_LINE: usize = 5;

/// RFC 3339 UTC with `Z`, e.g. `2017-01-20T10:05:00Z`: every timestamp kinetop writes. Times
/// outside years 0..=9999 (which no accepted log line produces) are written as `@<epoch seconds>`.
pub fn rfc3339(epoch_secs: i64) -> String {
    rfc3339_checked(epoch_secs).unwrap_or_else(|| format!("@{epoch_secs}"))
}

/// RFC 3339 UTC, or `None` outside years 0..=9999: for formats that must refuse such a time
/// rather than write a stand-in (the aggregate record).
pub fn rfc3339_checked(epoch_secs: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(epoch_secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
}

/// One final (window, application): `{"type":"window",…}`.
#[derive(Debug, Serialize)]
pub struct WindowLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    start: String,
    end: String,
    application: &'a str,
    requests: u64,
    bytes: u64,
    status: &'a StatusClasses,
    hosts: u64,
    latency_us: Option<LatencyLine<'a>>,
    // Extras.
    width_s: i64,
    hosts_exact: bool,
    #[serde(serialize_with = "four_decimals")]
    error_rate_4xx: f64,
    #[serde(serialize_with = "four_decimals")]
    error_rate_5xx: f64,
    #[serde(serialize_with = "status_codes")]
    status_codes: &'a [(u16, u64)],
    latency_mean_us: Option<f64>,
    top_paths: Vec<PathLine<'a>>,
    top_callers: Vec<CallerLine<'a>>,
}

impl<'a> WindowLine<'a> {
    pub fn new(window: &'a WindowSummary, app: &'a AppWindow) -> Self {
        WindowLine {
            kind: "window",
            start: rfc3339(window.start),
            end: rfc3339(window.end),
            application: &app.application,
            requests: app.requests,
            bytes: app.bytes,
            status: &app.status,
            hosts: app.hosts,
            latency_us: app.latency.as_ref().map(LatencyLine),
            width_s: window.end - window.start,
            hosts_exact: app.hosts_exact,
            error_rate_4xx: app.error_rate_4xx(),
            error_rate_5xx: app.error_rate_5xx(),
            status_codes: &app.status_codes,
            latency_mean_us: app.latency.as_ref().map(|l| l.mean.round()),
            top_paths: app
                .top_paths
                .iter()
                .take(TOP_IN_LINE)
                .map(PathLine)
                .collect(),
            top_callers: app
                .top_callers
                .iter()
                .take(TOP_IN_LINE)
                .map(CallerLine)
                .collect(),
        }
    }
}

/// `{"count","p50","p90","p99","max"}`: exactly the contract.
#[derive(Debug)]
struct LatencyLine<'a>(&'a LatencySummary);

impl Serialize for LatencyLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Fields {
            count: u64,
            p50: u64,
            p90: u64,
            p99: u64,
            max: u64,
        }
        let l = self.0;
        Fields {
            count: l.count,
            p50: l.p50,
            p90: l.p90,
            p99: l.p99,
            max: l.max,
        }
        .serialize(s)
    }
}

/// `{"path","requests"}`, plus `error` (space-saving overestimate bound) when not exact.
#[derive(Debug)]
struct PathLine<'a>(&'a Counted);

impl Serialize for PathLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Fields<'a> {
            path: &'a str,
            requests: u64,
            #[serde(skip_serializing_if = "is_zero")]
            error: u64,
        }
        let c = self.0;
        Fields {
            path: &c.key,
            requests: c.count,
            error: c.error,
        }
        .serialize(s)
    }
}

/// `{"host","requests","bytes","status"}`, plus `error` when the count is not exact.
#[derive(Debug)]
struct CallerLine<'a>(&'a CallerSummary);

impl Serialize for CallerLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Fields<'a> {
            host: &'a str,
            requests: u64,
            #[serde(skip_serializing_if = "is_zero")]
            error: u64,
            bytes: u64,
            status: &'a StatusClasses,
        }
        let c = self.0;
        Fields {
            host: &c.host,
            requests: c.requests,
            error: c.error,
            bytes: c.bytes,
            status: &c.status,
        }
        .serialize(s)
    }
}

/// An alarm state change: `{"type":"alarm",…}`. `value` is null when the window had no datapoint.
#[derive(Debug, Serialize)]
pub struct AlarmLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    alarm: &'a str,
    application: &'a str,
    state: &'static str,
    previous: &'static str,
    window_start: String,
    #[serde(serialize_with = "optional_number")]
    value: Option<f64>,
    #[serde(serialize_with = "number")]
    threshold: f64,
    // Extras.
    /// Band rules: the band the value was judged against (absent while it has too little
    /// history, and for threshold rules).
    #[serde(flatten)]
    band: Option<BandFields>,
    /// What the rule says, for an action's script (not in headless output).
    #[serde(flatten)]
    rule: Option<RuleFields>,
}

#[derive(Debug, Serialize)]
struct BandFields {
    #[serde(serialize_with = "number")]
    band_low: f64,
    #[serde(serialize_with = "number")]
    band_high: f64,
}

#[derive(Debug, Serialize)]
struct RuleFields {
    metric: &'static str,
    comparison: &'static str,
    evaluation_periods: usize,
    datapoints_to_alarm: usize,
    /// Band rules: how many windows make the band (its width is `threshold`).
    #[serde(skip_serializing_if = "Option::is_none")]
    band_windows: Option<usize>,
}

impl<'a> AlarmLine<'a> {
    /// The headless line.
    pub fn new(t: &'a AlarmTransition) -> Self {
        AlarmLine {
            kind: "alarm",
            alarm: &t.alarm,
            application: &t.application,
            state: t.state.as_str(),
            previous: t.previous.as_str(),
            window_start: rfc3339(t.window_start),
            value: t.value,
            threshold: t.threshold,
            band: t.band.map(|b| BandFields {
                band_low: b.low,
                band_high: b.high,
            }),
            rule: None,
        }
    }

    /// The line plus what the rule says: `metric`, `comparison`, `evaluation_periods`,
    /// `datapoints_to_alarm` (what an action's script wants to know).
    pub fn with_rule(t: &'a AlarmTransition, rule: &AlarmRule) -> Self {
        AlarmLine {
            rule: Some(RuleFields {
                metric: rule.metric.as_str(),
                comparison: rule.comparison.as_str(),
                evaluation_periods: rule.evaluation_periods,
                datapoints_to_alarm: rule.datapoints_to_alarm,
                band_windows: rule.band.map(|b| b.windows),
            }),
            ..AlarmLine::new(t)
        }
    }
}

/// The last line of finite input: `{"type":"summary",…}`. `lines` counts non-empty input lines
/// and `parsed + malformed == lines`.
#[derive(Debug, Serialize)]
pub struct SummaryLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    pub counters: &'a Counters,
    /// `demo`, the files read, `kinesis:STREAM`.
    pub source: &'a str,
    /// The LogFormat string in use, when one was given or detected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<&'a str>,
    /// How far behind the source's newest data reading ended, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_ms: Option<u64>,
    /// Kinesis: the shards read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shards: Option<usize>,
    /// With alarm actions: those not run (a full queue, or still waiting at exit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions_dropped: Option<u64>,
}

impl<'a> SummaryLine<'a> {
    pub fn new(counters: &'a Counters, source: &'a str) -> Self {
        SummaryLine {
            kind: "summary",
            counters,
            source,
            format: None,
            lag_ms: None,
            shards: None,
            actions_dropped: None,
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A ratio rounded to 4 decimals so lines stay short.
fn four_decimals<S: Serializer>(r: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((r * 10_000.0).round() / 10_000.0)
}

/// `{"200":1100,"404":40}`, ascending by code.
fn status_codes<S: Serializer>(codes: &&[(u16, u64)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(codes.iter().map(|(code, n)| (code.to_string(), n)))
}

/// Whole numbers (counts, microseconds, thresholds such as `1000000`) as JSON integers, the rest
/// as floats; non-finite as null.
fn number<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
        s.serialize_i64(*v as i64)
    } else if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        s.serialize_none()
    }
}

fn optional_number<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => number(v, s),
        None => s.serialize_none(),
    }
}
