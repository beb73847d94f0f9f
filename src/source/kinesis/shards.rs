//! Shard lineage: which shards to read, and when. A child shard is read only after every one of
//! its parents is fully read, so records of one partition key stay in order and none is lost or
//! read twice across splits and merges.

use std::collections::BTreeMap;

use super::api::{Position, ShardInfo};

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
}

/// The set of shards known so far and their phases.
#[derive(Debug, Clone)]
pub struct Lineage {
    start: Position,
    shards: BTreeMap<String, Entry>,
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
                    },
                )
            })
            .collect();
        Lineage { start, shards }
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
                        },
                    );
                }
            }
        }
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
        }
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
