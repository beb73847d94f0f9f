//! The pure core: event-time tumbling windows and alarms. No I/O, no clock, no tokio, no terminal:
//! time is always passed in, so everything here is tested and benchmarked without either.

pub mod aggregate;
pub mod alarms;
pub mod app_names;
pub mod distinct;
pub mod event_time;
pub mod hashing;
pub mod histogram;
pub mod history;
pub mod merge;
pub mod topk;
mod window;

use std::sync::Arc;

pub use aggregate::{Aggregator, Recorded, WindowConfig};
pub use window::OpenWindow;

/// One enriched request, as the aggregator sees it. Borrows from the log line and the metadata table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit<'a> {
    /// Event time, UTC epoch seconds.
    pub time: i64,
    /// Source application (`unknown` when the caller matched no metadata row).
    pub application: &'a str,
    /// Client host (`%h`) in its canonical spelling, so that distinct hosts and top callers
    /// count hosts (see `enrich::push_canonical_host`).
    pub client: &'a str,
    /// Request method; empty when the request line was `-` or junk.
    pub method: &'a str,
    /// Request path without query string, in its escaped (logged) form; empty when unknown.
    pub path: &'a str,
    /// HTTP status; 0 when the line has none (Apache's `-`), which counts in class `other`.
    pub status: u16,
    pub bytes: u64,
    pub latency_us: Option<u64>,
    /// `%{User-Agent}i` as logged (escaped, `-` when none was sent, cut at
    /// [`topk::AGENT_BYTES`]); `None` when not carried (the format has none, or the consumer
    /// shows no agents: headless runs), and then nothing is counted for it.
    pub user_agent: Option<&'a str>,
    /// `%{Referer}i`, likewise.
    pub referer: Option<&'a str>,
}

/// Requests per status class. `other` counts statuses outside 100..=599.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct StatusClasses {
    #[serde(rename = "1xx")]
    pub c1xx: u64,
    #[serde(rename = "2xx")]
    pub c2xx: u64,
    #[serde(rename = "3xx")]
    pub c3xx: u64,
    #[serde(rename = "4xx")]
    pub c4xx: u64,
    #[serde(rename = "5xx")]
    pub c5xx: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub other: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl StatusClasses {
    pub fn add(&mut self, status: u16, n: u64) {
        match status {
            100..=199 => self.c1xx += n,
            200..=299 => self.c2xx += n,
            300..=399 => self.c3xx += n,
            400..=499 => self.c4xx += n,
            500..=599 => self.c5xx += n,
            _ => self.other += n,
        }
    }

    pub fn total(&self) -> u64 {
        self.c1xx + self.c2xx + self.c3xx + self.c4xx + self.c5xx + self.other
    }
}

/// Latency percentiles from an HdrHistogram (3 significant digits), plus coarse bars for display.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LatencySummary {
    pub count: u64,
    pub min: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
    pub mean: f64,
    /// Bars for the latency histogram view: `(upper bound in µs, count)` over logarithmic buckets
    /// (1-2-5 steps), ascending, only up to the bucket holding `max`.
    pub buckets: Vec<(u64, u64)>,
}

/// A counted key from a bounded top-k structure. `count` may overestimate by at most `error`
/// (space-saving); `error == 0` means exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub key: Arc<str>,
    pub count: u64,
    pub error: u64,
}

/// One caller (client host) of an application in one window: what the host drill-down shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CallerSummary {
    pub host: Arc<str>,
    pub requests: u64,
    /// Overestimate bound of `requests` (space-saving), 0 when exact.
    pub error: u64,
    pub bytes: u64,
    pub status: StatusClasses,
    /// Exact counts per status code for this caller, ascending by code.
    pub status_codes: Vec<(u16, u64)>,
    /// Latency of this caller's requests (`None` without a latency field).
    pub latency: Option<LatencySummary>,
    pub top_paths: Vec<Counted>,
    pub agents: TopAgents,
}

/// Statistics of one application in one window. Immutable once the window is final.
#[derive(Debug, Clone, PartialEq)]
pub struct AppWindow {
    pub application: Arc<str>,
    pub requests: u64,
    pub bytes: u64,
    pub status: StatusClasses,
    /// Exact counts per status code, ascending by code.
    pub status_codes: Vec<(u16, u64)>,
    /// Distinct client hosts (exact while `hosts_exact`).
    pub hosts: u64,
    pub hosts_exact: bool,
    /// `None` when no request in the window carried a latency.
    pub latency: Option<LatencySummary>,
    pub top_paths: Vec<Counted>,
    /// Top callers by requests, descending.
    pub top_callers: Vec<CallerSummary>,
    pub agents: TopAgents,
}

/// Top user agents and referers (as logged: escaped, `-` when none was sent), by count descending.
/// Both empty when the hits carried none: the format has neither, the window came from relays'
/// records (which do not carry them), or the run is headless.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopAgents {
    pub user_agents: Vec<Counted>,
    pub referers: Vec<Counted>,
}

impl AppWindow {
    /// Share of requests with a 4xx status (0 when there are no requests).
    pub fn error_rate_4xx(&self) -> f64 {
        ratio(self.status.c4xx, self.requests)
    }

    /// Share of requests with a 5xx status (0 when there are no requests).
    pub fn error_rate_5xx(&self) -> f64 {
        ratio(self.status.c5xx, self.requests)
    }
}

fn ratio(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// One tumbling window `[start, end)` with every application that had requests in it, sorted by
/// application name. `is_final` windows never change again and are shared as `Arc`s.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSummary {
    pub start: i64,
    pub end: i64,
    pub is_final: bool,
    pub apps: Vec<AppWindow>,
    /// Merged from relays' aggregate records: how many relay groups had passed its end when it
    /// was shown, of how many there are. `None` for windows of raw input.
    pub relays: Option<RelayCoverage>,
}

/// How many relay groups a merged window covers (`relays` of `relays_expected`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayCoverage {
    pub relays: u32,
    pub expected: u32,
}

impl RelayCoverage {
    /// Whether a relay group is still missing.
    pub fn is_partial(&self) -> bool {
        self.relays < self.expected
    }
}

impl WindowSummary {
    /// A window in which nothing arrived: never reported by the aggregator, but time passed it
    /// (alarms evaluate it as missing data; the screen shows it as now).
    pub fn empty(start: i64, width_secs: i64, is_final: bool) -> Self {
        WindowSummary {
            relays: None,
            start,
            end: start.saturating_add(width_secs),
            is_final,
            apps: Vec::new(),
        }
    }

    pub fn app(&self, name: &str) -> Option<&AppWindow> {
        self.app_index(name).map(|i| &self.apps[i])
    }

    /// Where application `name` is in `apps` (kept in name order).
    pub fn app_index(&self, name: &str) -> Option<usize> {
        self.apps
            .binary_search_by(|a| a.application.as_ref().cmp(name))
            .ok()
    }

    pub fn requests(&self) -> u64 {
        self.apps.iter().map(|a| a.requests).sum()
    }
}
