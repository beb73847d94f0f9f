//! `--shard-group I/N`: which shards of a stream one relay reads, decided by every relay alone,
//! with no coordination.
//!
//! **The rule.** Follow a shard's `ParentShardId` (its first parent, never the
//! `AdjacentParentShardId`) back to its lineage root: the oldest ancestor the stream still lists.
//! The shard's group is the slice of the 128-bit hash-key space holding the middle of the root's
//! hash-key range: `I = floor(mid(root) · N / 2^128)`, `mid = start + (end − start) / 2`. (The
//! middle, not the start: services round range boundaries differently — kinesis-local starts the
//! third of four shards at 2^127 − 2 — and the middle of an evenly cut range is far from any
//! slice boundary.)
//!
//! - A split child has its parent's root, so it stays in its parent's group.
//! - A merged child follows its first parent: the group of `ParentShardId`.
//! - Every shard has exactly one root, so it is in exactly one group; the groups of all `N`
//!   relays together cover the stream.
//! - Evenly created streams whose shard count is a multiple of `N` are balanced (each group gets
//!   the same number of roots).
//! - A relay remembers a shard's group once decided (see [`super::shards::Lineage`]), so a root
//!   aging out of retention changes nothing for a running relay. Relays restarted after an
//!   ancestor expired decide from the oldest ancestor still listed; evenly split streams keep
//!   their assignment as long as no root range straddles a slice boundary.

use std::fmt;
use std::str::FromStr;

use crate::core::merge::record::MAX_RELAY_GROUPS;

/// Relay group `index` of `count` (`--shard-group I/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardGroup {
    pub index: u32,
    pub count: u32,
}

impl ShardGroup {
    /// The only group when the stream is not split between relays.
    pub const ALL: ShardGroup = ShardGroup { index: 0, count: 1 };

    /// The group of a lineage whose root's range has its middle at `key`:
    /// `floor(key · count / 2^128)`, computed without overflow.
    pub fn of_hash(key: u128, count: u32) -> u32 {
        let n = u128::from(count.max(1));
        let (hi, lo) = (key >> 64, key & u128::from(u64::MAX));
        // start·n / 2^128 = (hi·n + lo·n / 2^64) / 2^64; the fraction dropped from lo·n / 2^64
        // cannot change the floor of the outer division.
        let top = hi * n + ((lo * n) >> 64);
        (top >> 64) as u32
    }
}

impl fmt::Display for ShardGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ShardGroup {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || format!("`{text}` is not I/N (e.g. 0/2: group 0 of 2)");
        let (i, n) = text.split_once('/').ok_or_else(usage)?;
        let index: u32 = i.trim().parse().map_err(|_| usage())?;
        let count: u32 = n.trim().parse().map_err(|_| usage())?;
        if count == 0 || count > MAX_RELAY_GROUPS {
            return Err(format!(
                "`{text}`: N must be 1 to {MAX_RELAY_GROUPS}, not {count}"
            ));
        }
        if index >= count {
            return Err(format!(
                "`{text}`: I must be below N (groups are numbered 0 to {})",
                count - 1
            ));
        }
        Ok(ShardGroup { index, count })
    }
}

/// The middle of a hash-key range as Kinesis writes it (decimal strings below 2^128).
pub fn hash_mid(start: &str, end: &str) -> Option<u128> {
    let (start, end): (u128, u128) = (start.parse().ok()?, end.parse().ok()?);
    (start <= end).then(|| start + (end - start) / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_by_reason() {
        assert_eq!(
            "1/2".parse::<ShardGroup>(),
            Ok(ShardGroup { index: 1, count: 2 })
        );
        for bad in ["2/2", "0/0", "0/1025", "x/2", "1", "-1/2", "1/2/3"] {
            assert!(bad.parse::<ShardGroup>().is_err(), "{bad}");
        }
        assert!("2/2".parse::<ShardGroup>().unwrap_err().contains("below N"));
    }

    #[test]
    fn slices_of_the_hash_space() {
        let quarter = 1u128 << 126;
        assert_eq!(ShardGroup::of_hash(0, 2), 0);
        assert_eq!(ShardGroup::of_hash(2 * quarter - 1, 2), 0);
        assert_eq!(ShardGroup::of_hash(2 * quarter, 2), 1);
        assert_eq!(ShardGroup::of_hash(u128::MAX, 2), 1);
        assert_eq!(ShardGroup::of_hash(u128::MAX, 1024), 1023);
        assert_eq!(ShardGroup::of_hash(3 * quarter, 4), 3);
        assert_eq!(ShardGroup::of_hash(u128::MAX, 1), 0);
        // 3 groups: slice boundaries at ceil(k · 2^128 / 3).
        let third = u128::MAX / 3 + 1;
        assert_eq!(ShardGroup::of_hash(third - 1, 3), 0);
        assert_eq!(ShardGroup::of_hash(third, 3), 1);
    }

    #[test]
    fn kinesis_locals_uneven_quarters_still_split_evenly_by_their_middles() {
        // kinesis-local's 4 shards: the third starts at 2^127 - 2, just below the half.
        let ranges = [
            ("0", "85070591730234615865843651857942052862"),
            (
                "85070591730234615865843651857942052863",
                "170141183460469231731687303715884105725",
            ),
            (
                "170141183460469231731687303715884105726",
                "255211775190703847597530955573826158588",
            ),
            (
                "255211775190703847597530955573826158589",
                "340282366920938463463374607431768211455",
            ),
        ];
        let groups: Vec<u32> = ranges
            .iter()
            .map(|(s, e)| ShardGroup::of_hash(hash_mid(s, e).unwrap(), 2))
            .collect();
        assert_eq!(groups, [0, 0, 1, 1]);
        assert_eq!(hash_mid("5", "4"), None);
        assert_eq!(hash_mid("x", "4"), None);
    }
}
