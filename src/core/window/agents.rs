//! Top user agents and referers of one (window, application), or of one of its callers: two
//! bounded space-saving tables, allocated on the first hit that carries either. Only the TUI's
//! parser carries them (see `LineParser::with_agents`), so headless runs allocate nothing here.
//!
//! Memory: a table holds at most its capacity of keys, each at most
//! [`AGENT_BYTES`](crate::core::topk::AGENT_BYTES) (cut when parsed) plus ~50 bytes of slot, so an
//! application's pair is at most 2 × [`AGENTS_CAPACITY`] × ~310 B ≈ 20 KB per open window, and a
//! caller's pair 2 × [`CALLER_AGENTS_CAPACITY`] × ~310 B ≈ 2.5 KB.

use std::sync::Arc;

use crate::core::topk::{Slot, SpaceSaving};
use crate::core::{Counted, Hit};

/// User agents (and referers) reported per application and window.
pub const TOP_AGENTS: usize = 10;
/// Keys an application's table monitors: a value occurring in more than `requests / 32` of the
/// requests is always found, and a count overestimates by at most that much.
pub const AGENTS_CAPACITY: usize = 32;
/// User agents (and referers) reported per caller: a host sends one or two.
pub const CALLER_TOP_AGENTS: usize = 3;
/// Keys a caller's table monitors.
pub const CALLER_AGENTS_CAPACITY: usize = 4;

/// The user-agent and referer tables of one application or caller.
#[derive(Debug)]
pub(super) struct AgentTables {
    user_agents: SpaceSaving,
    referers: SpaceSaving,
}

/// The hashes of a hit's user agent and referer (0 for a value not carried: never looked at).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgentHashes {
    pub user_agent: u64,
    pub referer: u64,
}

impl AgentHashes {
    #[inline]
    pub fn of(hit: &Hit<'_>) -> Self {
        let hash =
            |value: Option<&str>| value.map_or(0, |v| crate::core::hashing::KeyHasher.hash(v));
        AgentHashes {
            user_agent: hash(hit.user_agent),
            referer: hash(hit.referer),
        }
    }
}

impl AgentTables {
    /// Counts the hit's user agent and referer in `tables` (made with `capacity` on first use).
    /// Nothing happens for a hit that carries neither.
    #[inline]
    pub(super) fn record(
        tables: &mut Option<Box<AgentTables>>,
        capacity: usize,
        hit: &Hit<'_>,
        hashes: AgentHashes,
    ) {
        if hit.user_agent.is_none() && hit.referer.is_none() {
            return;
        }
        let t = tables.get_or_insert_with(|| {
            Box::new(AgentTables {
                user_agents: SpaceSaving::new(capacity),
                referers: SpaceSaving::new(capacity),
            })
        });
        if let Some(agent) = hit.user_agent {
            t.user_agents.hit(hashes.user_agent, agent);
        }
        if let Some(referer) = hit.referer {
            t.referers.hit(hashes.referer, referer);
        }
    }

    /// Forgets every key (the caller's slot changes hands); keeps the allocations.
    pub(super) fn clear(&mut self) {
        self.user_agents.clear();
        self.referers.clear();
    }

    /// The top `k` user agents and referers, by count descending.
    pub(super) fn top(tables: Option<&AgentTables>, k: usize) -> (Vec<Counted>, Vec<Counted>) {
        match tables {
            Some(t) => (counted(&t.user_agents.top(k)), counted(&t.referers.top(k))),
            None => (Vec::new(), Vec::new()),
        }
    }

    /// Keys monitored in both tables (memory-bound tests).
    #[cfg(test)]
    pub(super) fn len(&self) -> (usize, usize) {
        (self.user_agents.len(), self.referers.len())
    }
}

pub(super) fn counted(slots: &[&Slot<()>]) -> Vec<Counted> {
    slots
        .iter()
        .map(|s| Counted {
            key: Arc::from(s.key()),
            count: s.count(),
            error: s.error(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::hashing::KeyHasher;
    use crate::core::window::OpenWindow;
    use crate::core::{TopAgents, WindowConfig};

    fn hit<'a>(client: &'a str, agent: Option<&'a str>, referer: Option<&'a str>) -> Hit<'a> {
        Hit {
            time: 10,
            application: "shop",
            client,
            method: "GET",
            path: "/",
            status: 200,
            bytes: 1,
            latency_us: None,
            user_agent: agent,
            referer,
        }
    }

    fn record(window: &mut OpenWindow, hit: &Hit<'_>) {
        let h = KeyHasher;
        window.record(
            hit,
            h.hash(hit.client),
            h.hash(hit.path),
            &WindowConfig::default(),
        );
    }

    fn keys(list: &[Counted]) -> Vec<(&str, u64, u64)> {
        list.iter().map(|c| (&*c.key, c.count, c.error)).collect()
    }

    #[test]
    fn top_user_agents_and_referers_per_application_and_caller() {
        let mut w = OpenWindow::new(0, 300);
        for _ in 0..5 {
            record(&mut w, &hit("10.0.0.1", Some("curl/8.5.0"), Some("-")));
        }
        for _ in 0..3 {
            record(
                &mut w,
                &hit("10.0.0.2", Some("Mozilla/5.0"), Some("https://a/")),
            );
        }
        record(&mut w, &hit("10.0.0.2", Some("-"), Some("https://a/")));
        let summary = w.summarize(false, &WindowConfig::default());
        let app = &summary.apps[0];
        assert_eq!(
            keys(&app.agents.user_agents),
            [("curl/8.5.0", 5, 0), ("Mozilla/5.0", 3, 0), ("-", 1, 0)]
        );
        assert_eq!(
            keys(&app.agents.referers),
            [("-", 5, 0), ("https://a/", 4, 0)]
        );
        let caller = app
            .top_callers
            .iter()
            .find(|c| &*c.host == "10.0.0.2")
            .unwrap();
        assert_eq!(
            keys(&caller.agents.user_agents),
            [("Mozilla/5.0", 3, 0), ("-", 1, 0)]
        );
        assert_eq!(keys(&caller.agents.referers), [("https://a/", 4, 0)]);
    }

    #[test]
    fn hits_without_agents_allocate_no_tables() {
        let mut w = OpenWindow::new(0, 300);
        for i in 0..100 {
            let client = format!("10.0.0.{i}");
            record(&mut w, &hit(&client, None, None));
        }
        assert!(w.apps[0].agents.is_none());
        let slots = w.apps[0].callers.top(usize::MAX);
        assert!(slots.iter().all(|s| s.payload().agents.is_none()));
        let summary = w.summarize(false, &WindowConfig::default());
        assert_eq!(summary.apps[0].agents, TopAgents::default());
    }

    #[test]
    fn a_hundred_thousand_distinct_agents_keep_every_table_at_capacity() {
        let mut w = OpenWindow::new(0, 300);
        let heavy = "Mozilla/5.0 (heavy hitter)";
        for i in 0..100_000u32 {
            let agent = format!("scanner/{i}");
            let referer = format!("https://r{i}.example/");
            record(&mut w, &hit("10.0.0.1", Some(&agent), Some(&referer)));
            if i % 4 == 0 {
                record(&mut w, &hit("10.0.0.1", Some(heavy), Some("-")));
            }
        }
        let app = &w.apps[0];
        let tables = app.agents.as_deref().unwrap();
        assert_eq!(tables.len(), (AGENTS_CAPACITY, AGENTS_CAPACITY));
        let caller = app.callers.top(1)[0].payload().agents.as_deref().unwrap();
        assert_eq!(
            caller.len(),
            (CALLER_AGENTS_CAPACITY, CALLER_AGENTS_CAPACITY)
        );
        // The heavy hitter (a fifth of the requests) is found, its count bracketing the truth.
        let summary = w.summarize(false, &WindowConfig::default());
        let top = &summary.apps[0].agents.user_agents;
        assert_eq!(top.len(), TOP_AGENTS);
        assert_eq!(&*top[0].key, heavy);
        assert!(top[0].count >= 25_000 && top[0].count - top[0].error <= 25_000);
        assert_eq!(&*summary.apps[0].agents.referers[0].key, "-");
    }
}
