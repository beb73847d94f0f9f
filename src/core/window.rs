//! One open window: per-application accumulators fed hit by hit, summarized into the immutable
//! [`WindowSummary`] (which drops every histogram, set and table).

use std::collections::HashMap;
use std::sync::Arc;

use super::aggregate::HitHashes;
use super::app_names::AppNames;
use super::distinct::DistinctCounter;
use super::histogram::LatencyHistogram;
use super::topk::{Slot, SlotPayload, SpaceSaving};
use super::{AppWindow, CallerSummary, Hit, StatusClasses, TopAgents, WindowConfig, WindowSummary};
use crate::enrich::UNKNOWN;

mod agents;
mod export;

use agents::{counted, AgentTables};
pub use agents::{
    AgentHashes, AGENTS_CAPACITY, CALLER_AGENTS_CAPACITY, CALLER_TOP_AGENTS, TOP_AGENTS,
};

/// Top-k tables monitor this many times the keys they report: every key occurring more than
/// `requests / capacity` times is found and counts are overestimated by at most that much.
pub const TOPK_OVERSAMPLING: usize = 4;
/// Smallest top-k table, so a small `top_k` still gets usable accuracy.
pub const MIN_TOPK_CAPACITY: usize = 32;
/// Top paths reported per caller, and the size of a caller's path table.
pub const CALLER_TOP_PATHS: usize = 5;
pub const CALLER_PATHS_CAPACITY: usize = 16;

fn capacity_for(k: usize) -> usize {
    k.saturating_mul(TOPK_OVERSAMPLING).max(MIN_TOPK_CAPACITY)
}

/// Exact per-status-code counts. A handful of codes per window, so a short vector beats a map.
#[derive(Debug, Default, Clone)]
struct StatusCodes(Vec<(u16, u64)>);

impl StatusCodes {
    #[inline]
    fn add(&mut self, status: u16) {
        match self.0.iter_mut().find(|(code, _)| *code == status) {
            Some((_, n)) => *n += 1,
            None => {
                // One or two codes per caller and window are the rule: no room for four.
                self.0.reserve_exact(1);
                self.0.push((status, 1));
            }
        }
    }

    fn sorted(&self) -> Vec<(u16, u64)> {
        let mut codes = self.0.clone();
        codes.sort_unstable();
        codes
    }
}

/// What is known of one caller of one application in one window, since it took its top-k slot.
#[derive(Debug)]
struct CallerAccumulator {
    bytes: u64,
    status: StatusClasses,
    codes: StatusCodes,
    latency: Option<LatencyHistogram<u32>>,
    paths: SpaceSaving,
    /// Boxed and made on first use: most runs (headless) carry no agents, and a caller slot
    /// stays small.
    agents: Option<Box<AgentTables>>,
}

impl Default for CallerAccumulator {
    fn default() -> Self {
        CallerAccumulator {
            bytes: 0,
            status: StatusClasses::default(),
            codes: StatusCodes::default(),
            latency: None,
            paths: SpaceSaving::new(CALLER_PATHS_CAPACITY),
            agents: None,
        }
    }
}

impl SlotPayload for CallerAccumulator {
    fn reset(&mut self) {
        self.bytes = 0;
        self.status = StatusClasses::default();
        self.codes.0.clear();
        if let Some(latency) = &mut self.latency {
            latency.reset();
        }
        self.paths.clear();
        if let Some(agents) = &mut self.agents {
            agents.clear();
        }
    }
}

#[derive(Debug)]
struct AppAccumulator {
    name: Arc<str>,
    requests: u64,
    bytes: u64,
    status: StatusClasses,
    codes: StatusCodes,
    hosts: DistinctCounter,
    latency: Option<LatencyHistogram>,
    paths: SpaceSaving,
    callers: SpaceSaving<CallerAccumulator>,
    agents: Option<Box<AgentTables>>,
    /// Callers reported (`top_k`, or `top_k_unknown` for the `unknown` application).
    callers_k: usize,
}

impl AppAccumulator {
    fn new(name: Arc<str>, config: &WindowConfig) -> Self {
        let callers_k = if &*name == UNKNOWN {
            config.top_k_unknown
        } else {
            config.top_k
        };
        AppAccumulator {
            name,
            requests: 0,
            bytes: 0,
            status: StatusClasses::default(),
            codes: StatusCodes::default(),
            hosts: DistinctCounter::default(),
            latency: None,
            paths: SpaceSaving::new(capacity_for(config.top_k)),
            callers: SpaceSaving::new(capacity_for(callers_k)),
            agents: None,
            callers_k,
        }
    }

    #[inline]
    fn record(&mut self, hit: &Hit<'_>, hashes: &HitHashes) {
        let (client_hash, path_hash) = (hashes.client, hashes.path);
        self.requests += 1;
        self.bytes = self.bytes.saturating_add(hit.bytes);
        self.status.add(hit.status, 1);
        self.codes.add(hit.status);
        self.hosts.insert(client_hash);
        if let Some(us) = hit.latency_us {
            self.latency
                .get_or_insert_with(LatencyHistogram::precise)
                .record(us);
        }
        let has_path = !hit.path.is_empty();
        if has_path {
            self.paths.hit(path_hash, hit.path);
        }
        let caller = self.callers.hit(client_hash, hit.client);
        caller.bytes = caller.bytes.saturating_add(hit.bytes);
        caller.status.add(hit.status, 1);
        caller.codes.add(hit.status);
        if let Some(us) = hit.latency_us {
            caller
                .latency
                .get_or_insert_with(LatencyHistogram::compact)
                .record(us);
        }
        if has_path {
            caller.paths.hit(path_hash, hit.path);
        }
        AgentTables::record(
            &mut caller.agents,
            CALLER_AGENTS_CAPACITY,
            hit,
            hashes.agents,
        );
        AgentTables::record(&mut self.agents, AGENTS_CAPACITY, hit, hashes.agents);
    }

    fn summarize(&self, top_k: usize) -> AppWindow {
        AppWindow {
            application: Arc::clone(&self.name),
            requests: self.requests,
            bytes: self.bytes,
            status: self.status,
            status_codes: self.codes.sorted(),
            hosts: self.hosts.count(),
            hosts_exact: self.hosts.is_exact(),
            latency: self.latency.as_ref().and_then(LatencyHistogram::summary),
            top_paths: counted(&self.paths.top(top_k)),
            top_callers: self
                .callers
                .top(self.callers_k)
                .into_iter()
                .map(caller_summary)
                .collect(),
            agents: top_agents(self.agents.as_deref(), TOP_AGENTS),
        }
    }
}

fn top_agents(tables: Option<&AgentTables>, k: usize) -> TopAgents {
    let (user_agents, referers) = AgentTables::top(tables, k);
    TopAgents {
        user_agents,
        referers,
    }
}

fn caller_summary(slot: &Slot<CallerAccumulator>) -> CallerSummary {
    let c = slot.payload();
    CallerSummary {
        host: Arc::from(slot.key()),
        requests: slot.count(),
        error: slot.error(),
        bytes: c.bytes,
        status: c.status,
        status_codes: c.codes.sorted(),
        latency: c.latency.as_ref().and_then(LatencyHistogram::summary),
        top_paths: counted(&c.paths.top(CALLER_TOP_PATHS)),
        agents: top_agents(c.agents.as_deref(), CALLER_TOP_AGENTS),
    }
}

/// An open tumbling window `[start, end)`.
#[derive(Debug)]
pub struct OpenWindow {
    pub start: i64,
    pub end: i64,
    /// Application name → index in `apps`.
    index: HashMap<Arc<str>, usize, ahash::RandomState>,
    apps: Vec<AppAccumulator>,
}

impl OpenWindow {
    pub fn new(start: i64, end: i64) -> Self {
        OpenWindow {
            start,
            end,
            index: HashMap::default(),
            apps: Vec::new(),
        }
    }

    /// Adds a hit whose client and path hash to `client_hash` and `path_hash`.
    pub fn record(
        &mut self,
        hit: &Hit<'_>,
        client_hash: u64,
        path_hash: u64,
        config: &WindowConfig,
    ) {
        let mut names = AppNames::default();
        let hashes = HitHashes {
            client: client_hash,
            path: path_hash,
            agents: AgentHashes::of(hit),
        };
        self.record_named(hit, &hashes, config, &mut names);
    }

    /// [`OpenWindow::record`], a new application's name shared from `names` (one allocation per
    /// name for all of an aggregator's windows).
    #[inline]
    pub fn record_named(
        &mut self,
        hit: &Hit<'_>,
        hashes: &HitHashes,
        config: &WindowConfig,
        names: &mut AppNames,
    ) {
        let i = match self.index.get(hit.application) {
            Some(&i) => i,
            None => self.add_app(names.get(hit.application), config),
        };
        self.apps[i].record(hit, hashes);
    }

    /// Applications with an accumulator in this window (each holds bounded tables).
    pub fn app_count(&self) -> usize {
        self.apps.len()
    }

    #[cold]
    fn add_app(&mut self, name: Arc<str>, config: &WindowConfig) -> usize {
        let app = AppAccumulator::new(name, config);
        self.index.insert(Arc::clone(&app.name), self.apps.len());
        self.apps.push(app);
        self.apps.len() - 1
    }

    pub fn summarize(&self, is_final: bool, config: &WindowConfig) -> WindowSummary {
        // Sized first: collected through the filter, the vector grew by doubling, and a final
        // window kept in history held up to twice the room it needs (300 bytes per slot).
        let mut apps: Vec<AppWindow> =
            Vec::with_capacity(self.apps.iter().filter(|a| a.requests > 0).count());
        apps.extend(
            self.apps
                .iter()
                .filter(|a| a.requests > 0)
                .map(|a| a.summarize(config.top_k)),
        );
        apps.sort_unstable_by(|a, b| a.application.cmp(&b.application));
        WindowSummary {
            relays: None,
            start: self.start,
            end: self.end,
            is_final,
            apps,
        }
    }

    /// `(application, monitored paths, monitored callers, distinct hosts)` for memory-bound tests.
    #[cfg(test)]
    pub fn table_sizes(&self) -> Vec<(String, usize, usize, u64)> {
        self.apps
            .iter()
            .map(|a| {
                (
                    a.name.to_string(),
                    a.paths.len(),
                    a.callers.len(),
                    a.hosts.count(),
                )
            })
            .collect()
    }
}
