//! Merging is checked against the one-process truth: a random hit stream is split among K
//! accumulators, their partials are merged, and the result is compared with one accumulator fed
//! everything.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::core::hashing::KeyHasher;
use crate::core::window::OpenWindow;
use crate::core::{AppWindow, Hit, WindowConfig};

pub(crate) const START: i64 = 1_484_906_700;
pub(crate) const END: i64 = START + 300;
const APPS: [&str; 3] = ["billing", "checkout", "unknown"];
const STATUSES: [u16; 9] = [200, 200, 200, 200, 304, 404, 500, 503, 999];

#[derive(Debug, Clone)]
pub(crate) struct OwnedHit {
    pub(crate) app: &'static str,
    pub(crate) client: String,
    pub(crate) path: String,
    pub(crate) status: u16,
    pub(crate) bytes: u64,
    pub(crate) latency_us: Option<u64>,
    /// Which of the K accumulators gets it.
    pub(crate) part: usize,
}

/// Hits over `clients` hosts and `paths` paths (both skewed: a few take most hits), each sent to
/// one of `parts` accumulators.
pub(crate) fn hits(
    count: usize,
    clients: u32,
    paths: u32,
    parts: usize,
) -> impl Strategy<Value = Vec<OwnedHit>> {
    let skewed = |n: u32| prop_oneof![3 => 0..n.min(4), 1 => 0..n];
    let latency = prop_oneof![
        1 => Just(None),
        3 => (1u64..2_000).prop_map(Some),
        2 => (1u64..5_000_000).prop_map(Some),
        1 => Just(Some(u64::MAX)),
    ];
    let hit = (
        0..APPS.len(),
        skewed(clients),
        skewed(paths),
        0..STATUSES.len(),
        0u64..100_000,
        latency,
        0..parts,
    )
        .prop_map(
            |(app, client, path, status, bytes, latency_us, part)| OwnedHit {
                app: APPS[app],
                client: format!("10.0.{}.{}", client >> 8, client & 255),
                path: if path == 0 {
                    String::new() // a request without a path
                } else {
                    format!("/p/{path}")
                },
                status: STATUSES[status],
                bytes,
                latency_us,
                part,
            },
        );
    proptest::collection::vec(hit, 1..count)
}

pub(crate) fn config() -> WindowConfig {
    WindowConfig {
        top_k: 5,
        top_k_unknown: 20,
        ..WindowConfig::default()
    }
}

pub(crate) fn accumulate<'a>(hits: impl Iterator<Item = &'a OwnedHit>) -> OpenWindow {
    let h = KeyHasher;
    let config = config();
    let mut window = OpenWindow::new(START, END);
    for hit in hits {
        let view = Hit {
            time: START,
            application: hit.app,
            client: &hit.client,
            method: "GET",
            path: &hit.path,
            status: hit.status,
            bytes: hit.bytes,
            latency_us: hit.latency_us,
            user_agent: None,
            referer: None,
        };
        window.record(&view, h.hash(&hit.client), h.hash(&hit.path), &config);
    }
    window
}

/// The partials of each of `parts` accumulators.
pub(crate) fn partials_by_part(hits: &[OwnedHit], parts: usize) -> Vec<Vec<AppPartial>> {
    (0..parts)
        .map(|part| accumulate(hits.iter().filter(|h| h.part % parts == part)).partials())
        .collect()
}

/// Merges partials of the same application, in the order given.
pub(crate) fn merge_all(partials: impl IntoIterator<Item = AppPartial>) -> Vec<AppPartial> {
    let mut merged: BTreeMap<Arc<str>, AppPartial> = BTreeMap::new();
    for p in partials {
        match merged.get_mut(&p.application) {
            Some(m) => m.merge(&p).unwrap(),
            None => {
                merged.insert(Arc::clone(&p.application), p);
            }
        }
    }
    merged.into_values().collect()
}

pub(crate) fn summaries(partials: &[AppPartial]) -> Vec<AppWindow> {
    partials.iter().map(|p| p.summarize(&config())).collect()
}

pub(crate) fn one_process(hits: &[OwnedHit]) -> Vec<AppWindow> {
    accumulate(hits.iter()).summarize(true, &config()).apps
}

/// Everything but the top lists, which are only identical while no table evicted.
fn without_top_lists(apps: &[AppWindow]) -> Vec<AppWindow> {
    apps.iter()
        .map(|a| AppWindow {
            top_paths: Vec::new(),
            top_callers: Vec::new(),
            ..a.clone()
        })
        .collect()
}

fn true_counts<'a>(
    hits: impl Iterator<Item = &'a OwnedHit>,
    key: fn(&OwnedHit) -> &str,
) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for h in hits.filter(|h| !key(h).is_empty()) {
        *counts.entry(key(h).to_owned()).or_default() += 1;
    }
    counts
}

fn assert_bracketed<D>(what: &str, summary: &TopSummary<D>, truth: &BTreeMap<String, u64>) {
    for e in summary.entries() {
        let t = truth.get(e.key.as_ref()).copied().unwrap_or(0);
        assert!(
            e.count >= t && e.count - e.error <= t,
            "{what} {}: {}-{} vs {t}",
            e.key,
            e.count,
            e.error
        );
    }
    for (key, &t) in truth {
        if !summary.entries().iter().any(|e| e.key.as_ref() == key) {
            assert!(
                t <= summary.bound(),
                "{what} {key}: {t} unlisted above bound {}",
                summary.bound()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Few enough hosts and paths that no top-k table evicts and no caller's paths are cut (30
    /// callers, 7 paths: the tables hold 32 callers and 32 paths, and 8 paths a caller travel):
    /// the merged windows are identical
    /// to one process's, top lists and callers' detail included.
    #[test]
    fn merged_partials_equal_one_process_while_tables_hold_every_key(
        parts in 1usize..6,
        hits in hits(1_500, 30, 8, 5),
    ) {
        let partials = partials_by_part(&hits, parts);
        let merged = merge_all(partials.into_iter().flatten());
        prop_assert_eq!(summaries(&merged), one_process(&hits));
    }

    /// Many hosts and paths: tables evict. Counts, statuses, hosts and latency stay identical;
    /// every top count brackets the truth and no unlisted key exceeds the bound.
    #[test]
    fn merged_partials_keep_counts_exact_and_top_lists_bounded(
        parts in 1usize..6,
        hits in hits(3_000, 2_000, 400, 5),
    ) {
        let partials = partials_by_part(&hits, parts);
        // Merge in reverse part order: merging is order-independent.
        let merged = merge_all(partials.into_iter().rev().flatten());
        prop_assert_eq!(without_top_lists(&summaries(&merged)), without_top_lists(&one_process(&hits)));
        for p in &merged {
            let app_hits = || hits.iter().filter(|h| h.app == p.application.as_ref());
            assert_bracketed("path", &p.paths, &true_counts(app_hits(), |h| h.path.as_str()));
            assert_bracketed("caller", &p.callers, &true_counts(app_hits(), |h| h.client.as_str()));
            for c in p.callers.entries() {
                let caller_hits = || app_hits().filter(|h| h.client == c.key.as_ref());
                prop_assert_eq!(c.detail.status.total(), c.count - c.error);
                prop_assert!(c.detail.bytes <= caller_hits().map(|h| h.bytes).sum::<u64>());
            }
        }
    }
}

#[test]
fn partials_of_different_windows_or_applications_do_not_merge() {
    let hit = OwnedHit {
        app: "checkout",
        client: "10.0.0.1".into(),
        path: "/".into(),
        status: 200,
        bytes: 1,
        latency_us: None,
        part: 0,
    };
    let mut a = accumulate([hit.clone()].iter()).partials().remove(0);
    let mut other_app = a.clone();
    other_app.application = Arc::from("billing");
    let err = a.merge(&other_app).unwrap_err();
    assert!(err.to_string().contains("`billing`"), "{err}");
    let mut other_window = a.clone();
    other_window.start += 300;
    other_window.end += 300;
    assert!(a.merge(&other_window).is_err());
    assert_eq!(a.requests, 1, "a refused merge changes nothing");
}
