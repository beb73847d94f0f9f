//! Mergeable top-k summaries: the cross-process form of the space-saving tables in `core::topk`
//! (merge rule of "parallel space saving", Cafaro et al. 2016, in the mergeable-summaries sense of
//! Agarwal et al. 2012).
//!
//! A summary lists keys with a `count` that overestimates the true count by at most `error`
//! (`count - error <= true <= count`), and carries one more number, `bound`: no key that is *not*
//! listed occurred more than `bound` times. A space-saving table exports its monitored keys with
//! `bound` = its smallest count when full (every evicted key had at most that), 0 when it never
//! evicted. Merging two summaries adds, for each key, the other side's count (or its `bound` when
//! the key is not listed there, as an upper bound of what it may have missed), and the bounds add.
//! Truncating a summary raises `bound` to the largest count dropped. So every count stays
//! bracketed, the bound stays true, and summaries merge in any order and grouping.

use std::collections::HashMap;
use std::sync::Arc;

use crate::core::topk::{Slot, SpaceSaving};

/// Per-key state merged along with the count (e.g. a caller's own statistics).
pub trait MergeDetail: Clone {
    /// Adds what `other` knows of the same key.
    fn merge_from(&mut self, other: &Self);
}

impl MergeDetail for () {
    fn merge_from(&mut self, _: &Self) {}
}

/// One listed key.
#[derive(Debug, Clone, PartialEq)]
pub struct TopEntry<D = ()> {
    pub key: Arc<str>,
    /// Upper bound of the key's true count.
    pub count: u64,
    /// `count - error` is a lower bound of the true count; 0 means exact.
    pub error: u64,
    pub detail: D,
}

/// Listed keys by count descending (ties by key ascending, like `SpaceSaving::top`), plus the
/// bound on every key not listed.
#[derive(Debug, Clone, PartialEq)]
pub struct TopSummary<D = ()> {
    entries: Vec<TopEntry<D>>,
    bound: u64,
}

impl<D> Default for TopSummary<D> {
    fn default() -> Self {
        TopSummary {
            entries: Vec::new(),
            bound: 0,
        }
    }
}

impl<D> TopSummary<D> {
    pub fn entries(&self) -> &[TopEntry<D>] {
        &self.entries
    }

    /// No unlisted key occurred more than this many times.
    pub fn bound(&self) -> u64 {
        self.bound
    }

    /// The first `k` entries.
    pub fn top(&self, k: usize) -> &[TopEntry<D>] {
        &self.entries[..k.min(self.entries.len())]
    }

    /// Keeps the `len` most counted entries; the bound rises to the largest count dropped.
    pub fn truncate(&mut self, len: usize) {
        if let Some(first_dropped) = self.entries.get(len) {
            self.bound = self.bound.max(first_dropped.count);
            self.entries.truncate(len);
        }
    }

    fn sort(&mut self) {
        self.entries
            .sort_unstable_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    }
}

impl<D: MergeDetail> TopSummary<D> {
    /// A summary of `entries` (any order; a key listed twice, e.g. two long keys cut to the same
    /// text, is combined into one entry) whose unlisted keys occurred at most `bound` times.
    pub fn new(entries: Vec<TopEntry<D>>, bound: u64) -> Self {
        let mut by_key: HashMap<Arc<str>, usize> = HashMap::with_capacity(entries.len());
        let mut combined: Vec<TopEntry<D>> = Vec::with_capacity(entries.len());
        for e in entries {
            match by_key.get(&e.key) {
                Some(&i) => {
                    let c = &mut combined[i];
                    c.count = c.count.saturating_add(e.count);
                    c.error = c.error.saturating_add(e.error);
                    c.detail.merge_from(&e.detail);
                }
                None => {
                    by_key.insert(Arc::clone(&e.key), combined.len());
                    combined.push(e);
                }
            }
        }
        let mut summary = TopSummary {
            entries: combined,
            bound,
        };
        summary.sort();
        summary
    }

    /// The `limit` most counted keys of a space-saving table, each with `detail(payload)`.
    pub fn from_table<P>(
        table: &SpaceSaving<P>,
        limit: usize,
        detail: impl Fn(&Slot<P>) -> D,
    ) -> Self
    where
        P: crate::core::topk::SlotPayload,
    {
        let slots = table.top(limit.saturating_add(1));
        let dropped = slots.get(limit).map_or(0, |s| s.count());
        let entries = slots
            .iter()
            .take(limit)
            .map(|s| TopEntry {
                key: Arc::from(s.key()),
                count: s.count(),
                error: s.error(),
                detail: detail(s),
            })
            .collect();
        Self::new(entries, table.unmonitored_bound().max(dropped))
    }

    /// Adds `other` (a summary of other occurrences), keeping at most `capacity` entries.
    pub fn merge(&mut self, other: &TopSummary<D>, capacity: usize) {
        let other_index: HashMap<&str, usize> = other
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.as_ref(), i))
            .collect();
        let mut matched = vec![false; other.entries.len()];
        for e in &mut self.entries {
            match other_index.get(e.key.as_ref()) {
                Some(&i) => {
                    matched[i] = true;
                    let o = &other.entries[i];
                    e.count = e.count.saturating_add(o.count);
                    e.error = e.error.saturating_add(o.error);
                    e.detail.merge_from(&o.detail);
                }
                None => {
                    e.count = e.count.saturating_add(other.bound);
                    e.error = e.error.saturating_add(other.bound);
                }
            }
        }
        let own_bound = self.bound;
        let unmatched = other
            .entries
            .iter()
            .zip(&matched)
            .filter(|(_, &m)| !m)
            .map(|(o, _)| TopEntry {
                key: Arc::clone(&o.key),
                count: o.count.saturating_add(own_bound),
                error: o.error.saturating_add(own_bound),
                detail: o.detail.clone(),
            });
        self.entries.extend(unmatched);
        self.bound = self.bound.saturating_add(other.bound);
        self.sort();
        self.truncate(capacity);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::core::hashing::KeyHasher;

    fn table_of(keys: &[u8], capacity: usize) -> SpaceSaving {
        let h = KeyHasher;
        let mut t = SpaceSaving::new(capacity);
        for k in keys {
            let key = format!("/k{k}");
            t.hit(h.hash(&key), &key);
        }
        t
    }

    fn summary_of(keys: &[u8], capacity: usize, limit: usize) -> TopSummary {
        TopSummary::from_table(&table_of(keys, capacity), limit, |_| ())
    }

    fn truth(keys: &[u8]) -> BTreeMap<String, u64> {
        let mut t = BTreeMap::new();
        for k in keys {
            *t.entry(format!("/k{k}")).or_default() += 1;
        }
        t
    }

    /// Every listed count brackets the truth, and no unlisted key exceeds the bound.
    fn assert_bracketed(s: &TopSummary, truth: &BTreeMap<String, u64>) {
        for e in s.entries() {
            let t = truth.get(e.key.as_ref()).copied().unwrap_or(0);
            assert!(e.count >= t, "{}: count {} < true {t}", e.key, e.count);
            assert!(
                e.count - e.error <= t,
                "{}: lower {} > {t}",
                e.key,
                e.count - e.error
            );
        }
        for (key, &t) in truth {
            if !s.entries().iter().any(|e| e.key.as_ref() == key) {
                assert!(
                    t <= s.bound(),
                    "{key}: {t} unlisted above bound {}",
                    s.bound()
                );
            }
        }
    }

    #[test]
    fn exact_tables_merge_exactly() {
        let a = summary_of(&[1, 1, 2, 3], 10, 10);
        let b = summary_of(&[1, 3, 3, 4], 10, 10);
        let mut m = a.clone();
        m.merge(&b, 10);
        let got: Vec<(&str, u64, u64)> = m
            .entries()
            .iter()
            .map(|e| (e.key.as_ref(), e.count, e.error))
            .collect();
        assert_eq!(
            got,
            [("/k1", 3, 0), ("/k3", 3, 0), ("/k2", 1, 0), ("/k4", 1, 0)]
        );
        assert_eq!(m.bound(), 0);
    }

    #[test]
    fn a_key_missing_from_a_full_side_takes_that_sides_bound() {
        // b is full (capacity 2) and evicted: its unlisted keys may have counted up to its minimum.
        let a = summary_of(&[7, 7, 7], 4, 4);
        let b = summary_of(&[1, 1, 1, 2, 3, 3, 3, 4], 2, 2);
        assert!(b.bound() > 0);
        let mut m = a.clone();
        m.merge(&b, 8);
        let seven = m
            .entries()
            .iter()
            .find(|e| e.key.as_ref() == "/k7")
            .unwrap();
        assert_eq!((seven.count, seven.error), (3 + b.bound(), b.bound()));
        assert_bracketed(&m, &truth(&[7, 7, 7, 1, 1, 1, 2, 3, 3, 3, 4]));
    }

    #[test]
    fn truncating_raises_the_bound_to_the_largest_dropped() {
        let mut s = summary_of(&[1, 1, 1, 2, 2, 3], 10, 10);
        s.truncate(1);
        assert_eq!(s.entries().len(), 1);
        assert_eq!(s.bound(), 2);
        s.truncate(5);
        assert_eq!((s.entries().len(), s.bound()), (1, 2));
    }

    #[test]
    fn duplicate_keys_are_combined() {
        let e = |count, error| TopEntry {
            key: Arc::from("/same"),
            count,
            error,
            detail: (),
        };
        let s = TopSummary::new(vec![e(5, 1), e(3, 0)], 0);
        assert_eq!(s.entries(), &[e(8, 1)]);
    }

    proptest! {
        /// Split a skewed stream among 1..5 tables of random capacity, merge in random order:
        /// every count brackets the truth and nothing unlisted exceeds the bound.
        #[test]
        fn merged_summaries_bracket_the_truth(
            stream in proptest::collection::vec(
                prop_oneof![4 => 0u8..6, 1 => 0u8..200], 1..2_000),
            parts in 1usize..5,
            capacity in 2usize..40,
            limit in 1usize..40,
            merged_capacity in 1usize..60,
        ) {
            let mut chunks: Vec<Vec<u8>> = vec![Vec::new(); parts];
            for (i, &k) in stream.iter().enumerate() {
                chunks[(i * 7 + k as usize) % parts].push(k);
            }
            let mut merged = TopSummary::default();
            for chunk in chunks.iter().rev() {
                merged.merge(&summary_of(chunk, capacity, limit), merged_capacity);
            }
            prop_assert!(merged.entries().len() <= merged_capacity);
            assert_bracketed(&merged, &truth(&stream));
        }
    }
}
