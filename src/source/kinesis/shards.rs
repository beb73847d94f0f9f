//! Shard lineage: which shards to read, and when. A child shard is read only after every one of
//! its parents is fully read, so records of one partition key stay in order and none is lost or
//! read twice across splits and merges.
//!
//! With `--shard-group I/N` only the shards of that group are read (see [`super::shard_group`]);
//! the others count as finished here (another relay reads them), so a child of two groups'
//! parents starts once its own group's parent is read.

use std::collections::BTreeMap;

use super::api::{Position, ShardInfo};
use super::shard_group::ShardGroup;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardPhase {
    /// Known, waiting for its parents.
    Pending,
    /// A reader is running.
    Reading,
    /// Fully read (closed and drained), or skipped (closed before a `latest` start).
    Finished,
}

#[derive(Debug, Clone)]
struct Entry {
    info: ShardInfo,
    phase: ShardPhase,
    /// Shards open at the first listing start at the user's position; all others at the
    /// beginning of the shard (or the user's timestamp).
    initial: bool,
    /// Its relay group, decided once (see [`super::shard_group`]) and remembered, so an
    /// ancestor aging out of the listing changes nothing.
    group: Option<u32>,
}

/// The set of shards known so far and their phases.
#[derive(Debug, Clone)]
pub struct Lineage {
    start: Position,
    shards: BTreeMap<String, Entry>,
    /// Only this group's shards are read.
    group: ShardGroup,
}

impl Lineage {
    /// From the first listing. With `latest`, shards already closed hold nothing new: they are
    /// treated as finished, so their open children start right away.
    pub fn new(start: Position, listing: Vec<ShardInfo>) -> Self {
        let skip_closed = start == Position::Latest;
        let shards = listing
            .into_iter()
            .map(|info| {
                let phase = if skip_closed && info.closed {
                    ShardPhase::Finished
                } else {
                    ShardPhase::Pending
                };
                (
                    info.id.clone(),
                    Entry {
                        info,
                        phase,
                        initial: true,
                        group: None,
                    },
                )
            })
            .collect();
        Lineage {
            start,
            shards,
            group: ShardGroup::ALL,
        }
    }

    /// Reads only the shards of `group` (all with `None`).
    pub fn with_group(mut self, group: Option<ShardGroup>) -> Self {
        self.group = group.unwrap_or(ShardGroup::ALL);
        self.assign_groups();
        self
    }

    /// The relay group of a shard, once known.
    pub fn group_of(&self, id: &str) -> Option<u32> {
        self.shards.get(id).and_then(|e| e.group)
    }

    /// Decides the group of every shard without one, from its lineage root; shards of other
    /// groups are finished here.
    fn assign_groups(&mut self) {
        let undecided: Vec<String> = self
            .shards
            .iter()
            .filter(|(_, e)| e.group.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        for id in undecided {
            let group = self.root_group(&id);
            let mine = self.group.index;
            if let Some(entry) = self.shards.get_mut(&id) {
                entry.group = Some(group);
                if group != mine && entry.phase == ShardPhase::Pending {
                    entry.phase = ShardPhase::Finished;
                }
            }
        }
    }

    /// Follows first parents back to the oldest listed ancestor (or the nearest one whose group
    /// is already decided) and takes its group.
    fn root_group(&self, id: &str) -> u32 {
        let mut current = id;
        // Bounded: a lineage is never longer than the listing (guards against a cycle).
        for _ in 0..=self.shards.len() {
            let Some(entry) = self.shards.get(current) else {
                break;
            };
            if let Some(group) = entry.group {
                return group;
            }
            match entry.info.parents.first() {
                Some(parent) if self.shards.contains_key(parent) => current = parent,
                _ => {
                    let mid = entry.info.hash_mid.unwrap_or_else(|| {
                        tracing::warn!(shard = %current, "no hash-key range listed: group 0");
                        0
                    });
                    return ShardGroup::of_hash(mid, self.group.count);
                }
            }
        }
        0
    }

    /// Adds shards seen in a later listing or announced as children. Returns how many were new.
    pub fn add(&mut self, shards: impl IntoIterator<Item = ShardInfo>) -> usize {
        let mut added = 0;
        for info in shards {
            match self.shards.get_mut(&info.id) {
                Some(entry) => {
                    // A re-listing knows more than a ChildShards notice (e.g. `closed`).
                    entry.info.closed |= info.closed;
                    for p in info.parents {
                        if !entry.info.parents.contains(&p) {
                            entry.info.parents.push(p);
                        }
                    }
                }
                None => {
                    added += 1;
                    self.shards.insert(
                        info.id.clone(),
                        Entry {
                            info,
                            phase: ShardPhase::Pending,
                            initial: false,
                            group: None,
                        },
                    );
                }
            }
        }
        self.assign_groups();
        added
    }

    pub fn finish(&mut self, id: &str) {
        if let Some(e) = self.shards.get_mut(id) {
            e.phase = ShardPhase::Finished;
        }
    }

    pub fn phase(&self, id: &str) -> Option<ShardPhase> {
        self.shards.get(id).map(|e| e.phase)
    }

    /// Pending shards whose parents are all finished (or unknown: expired from retention), now
    /// marked as reading, with the position each starts at.
    pub fn take_ready(&mut self) -> Vec<(ShardInfo, Position)> {
        let ready: Vec<String> = self
            .shards
            .values()
            .filter(|e| e.phase == ShardPhase::Pending)
            .filter(|e| {
                e.info.parents.iter().all(|p| {
                    self.shards
                        .get(p)
                        .is_none_or(|parent| parent.phase == ShardPhase::Finished)
                })
            })
            .map(|e| e.info.id.clone())
            .collect();
        ready
            .into_iter()
            .map(|id| {
                let entry = self.shards.get_mut(&id).expect("listed above");
                entry.phase = ShardPhase::Reading;
                let position = match (&self.start, entry.initial) {
                    (Position::Latest, true) => Position::Latest,
                    (Position::AtTimestamp(t), _) => Position::AtTimestamp(*t),
                    (Position::AtSequence(s), true) => Position::AtSequence(s.clone()),
                    _ => Position::TrimHorizon,
                };
                (entry.info.clone(), position)
            })
            .collect()
    }

    /// Shards being read that a listing showed closed.
    pub fn closed_while_reading(&self) -> Vec<String> {
        self.shards
            .values()
            .filter(|e| e.phase == ShardPhase::Reading && e.info.closed)
            .map(|e| e.info.id.clone())
            .collect()
    }

    /// Shards not yet started.
    pub fn pending(&self) -> usize {
        self.count(ShardPhase::Pending)
    }

    pub fn reading(&self) -> usize {
        self.count(ShardPhase::Reading)
    }

    pub fn count(&self, phase: ShardPhase) -> usize {
        self.shards.values().filter(|e| e.phase == phase).count()
    }

    pub fn ids(&self) -> impl Iterator<Item = (&str, ShardPhase)> {
        self.shards.iter().map(|(id, e)| (id.as_str(), e.phase))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(id: &str, parents: &[&str], closed: bool) -> ShardInfo {
        ShardInfo {
            id: id.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            closed,
            hash_mid: None,
        }
    }

    /// A shard whose hash range is the `eighths`th eighth of the key space (or starts there).
    fn ranged(id: &str, parents: &[&str], closed: bool, eighths: u128) -> ShardInfo {
        ShardInfo {
            hash_mid: Some((eighths << 125) + (1 << 124)),
            ..shard(id, parents, closed)
        }
    }

    fn groups(listing: &[ShardInfo], n: u32) -> Vec<Vec<String>> {
        (0..n)
            .map(|i| {
                let mut l = Lineage::new(Position::TrimHorizon, listing.to_vec())
                    .with_group(Some(ShardGroup { index: i, count: n }));
                let mut read = Vec::new();
                loop {
                    let ready = l.take_ready();
                    if ready.is_empty() {
                        break;
                    }
                    for (s, _) in ready {
                        l.finish(&s.id);
                        read.push(s.id);
                    }
                }
                read.sort();
                read
            })
            .collect()
    }

    #[test]
    fn groups_follow_the_lineage_root_through_splits_and_merges() {
        // Four shards of a quarter each (a, b | c, d in 2 groups). a splits into a1 (its lower
        // half) and a2; a2 and b merge into m with a2 as first parent; c and d merge into n
        // with d first; later n splits at a key in c's old range: both children follow d.
        let listing = vec![
            ranged("a", &[], true, 0),
            ranged("b", &[], true, 2),
            ranged("c", &[], true, 4),
            ranged("d", &[], true, 6),
            ranged("a1", &["a"], false, 0),
            ranged("a2", &["a"], true, 1),
            ranged("m", &["a2", "b"], false, 1),
            ranged("n", &["d", "c"], true, 4),
            ranged("n1", &["n"], false, 4),
            ranged("n2", &["n"], false, 5),
        ];
        let g = groups(&listing, 2);
        assert_eq!(g[0], ["a", "a1", "a2", "b", "m"]);
        assert_eq!(g[1], ["c", "d", "n", "n1", "n2"]);
        // b's first-parent root is itself (group 0) though m's range starts in a's.
        // With 4 groups: d's lineage (group 3) takes n and its children; c stays alone.
        let g = groups(&listing, 4);
        assert_eq!(g[0], ["a", "a1", "a2", "m"]);
        assert_eq!(g[1], ["b"]);
        assert_eq!(g[2], ["c"]);
        assert_eq!(g[3], ["d", "n", "n1", "n2"]);
        // Every shard in exactly one group, whatever N.
        for n in 1..=5 {
            let mut all: Vec<String> = groups(&listing, n).concat();
            all.sort();
            assert_eq!(all.len(), listing.len(), "N = {n}");
            all.dedup();
            assert_eq!(all.len(), listing.len(), "N = {n}");
        }
    }

    #[test]
    fn a_decided_group_survives_its_root_leaving_the_listing() {
        let mut l = Lineage::new(
            Position::TrimHorizon,
            vec![ranged("c", &[], true, 4), ranged("c1", &["c"], false, 5)],
        )
        .with_group(Some(ShardGroup { index: 1, count: 2 }));
        assert_eq!(l.group_of("c1"), Some(1));
        // A child of c1 announced after c expired is still group 1 via c1's remembered group,
        // even with a range that starts in group 0's slice.
        l.add(vec![ranged("c2", &["c1"], false, 0)]);
        assert_eq!(l.group_of("c2"), Some(1));
        // Another group's shard is never read here.
        l.add(vec![ranged("z", &[], false, 0)]);
        assert_eq!(l.group_of("z"), Some(0));
        assert_eq!(l.phase("z"), Some(ShardPhase::Finished));
    }

    fn ids(ready: &[(ShardInfo, Position)]) -> Vec<&str> {
        ready.iter().map(|(s, _)| s.id.as_str()).collect()
    }

    #[test]
    fn children_wait_for_all_parents() {
        // 0 split into 1 and 2; later 1 and 2 merged into 3.
        let listing = vec![
            shard("s0", &[], true),
            shard("s1", &["s0"], true),
            shard("s2", &["s0"], true),
            shard("s3", &["s1", "s2"], false),
        ];
        let mut l = Lineage::new(Position::TrimHorizon, listing);
        let r = l.take_ready();
        assert_eq!(ids(&r), ["s0"]);
        assert_eq!(r[0].1, Position::TrimHorizon);
        assert!(l.take_ready().is_empty());
        l.finish("s0");
        assert_eq!(ids(&l.take_ready()), ["s1", "s2"]);
        l.finish("s1");
        assert!(l.take_ready().is_empty(), "s3 must wait for s2 too");
        l.finish("s2");
        assert_eq!(ids(&l.take_ready()), ["s3"]);
        assert_eq!(l.pending(), 0);
        assert_eq!(l.reading(), 1);
        assert!(l.closed_while_reading().is_empty());
        l.add(vec![shard("s3", &["s1", "s2"], true)]);
        assert_eq!(l.closed_while_reading(), ["s3"]);
    }

    #[test]
    fn latest_skips_closed_shards_and_children_start_at_their_beginning() {
        let listing = vec![
            shard("s0", &[], true),
            shard("s1", &["s0"], false),
            shard("s2", &["s0"], false),
        ];
        let mut l = Lineage::new(Position::Latest, listing);
        let r = l.take_ready();
        assert_eq!(ids(&r), ["s1", "s2"]);
        assert!(r.iter().all(|(_, p)| *p == Position::Latest));
        // s1 splits later: its children are read from their first record.
        l.add(vec![
            shard("s3", &["s1"], false),
            shard("s4", &["s1"], false),
        ]);
        assert!(l.take_ready().is_empty());
        l.finish("s1");
        let r = l.take_ready();
        assert_eq!(ids(&r), ["s3", "s4"]);
        assert!(r.iter().all(|(_, p)| *p == Position::TrimHorizon));
    }

    #[test]
    fn timestamp_start_applies_to_every_shard_and_unknown_parents_count_as_finished() {
        let mut l = Lineage::new(
            Position::AtTimestamp(5),
            vec![shard("s7", &["expired"], false)],
        );
        let r = l.take_ready();
        assert_eq!(ids(&r), ["s7"]);
        assert_eq!(r[0].1, Position::AtTimestamp(5));
        assert_eq!(
            l.add(vec![shard("s7", &[], true)]),
            0,
            "known shard is not new"
        );
    }
}
