//! Distinct counting of client hosts: exact (a set of 64-bit hashes) up to a cap, then a
//! HyperLogLog estimate, so memory stays bounded on any input. Both forms merge across processes:
//! the hashes are XXH3-64 (`hashing::KeyHasher`, stable and documented) and the sketch is an
//! Apache DataSketches HLL sketch, whose serialized form every DataSketches implementation reads.

use std::collections::HashSet;
use std::fmt;

use datasketches::hash::value::raw_bytes;
use datasketches::hll::{Coupon, HllSketch, HllType, HllUnion};

use super::hashing::PreHashed;

/// Distinct hosts counted exactly per window and application; beyond this the count becomes an
/// estimate and the set's memory (~1.6 MB at the cap) is released.
pub const EXACT_HOSTS_CAP: usize = 100_000;

/// log2 of the HLL sketch's registers: 2^14 = 16,384 registers, relative standard error
/// 1.04/√16384 ≈ 0.81% (95% of estimates within ±1.6%), 16 KiB in memory (one byte a register).
pub const HLL_LG_K: u8 = 14;

#[derive(Clone)]
pub struct DistinctCounter {
    exact: HashSet<u64, PreHashed>,
    sketch: Option<Box<HllSketch>>,
    cap: usize,
}

impl fmt::Debug for DistinctCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DistinctCounter")
            .field("count", &self.count())
            .field("exact", &self.is_exact())
            .field("cap", &self.cap)
            .finish()
    }
}

impl Default for DistinctCounter {
    fn default() -> Self {
        Self::with_cap(EXACT_HOSTS_CAP)
    }
}

/// The sketch's input for one host hash: its 8 little-endian bytes, hashed by the sketch's
/// MurmurHash3 (seed 9001), as DataSketches Java's `update(long)` and C++'s `update(int64_t)` do.
fn coupon(hash: u64) -> Coupon {
    Coupon::from_value(raw_bytes::from_slice(&hash.to_le_bytes()))
}

fn new_sketch() -> Box<HllSketch> {
    Box::new(HllSketch::new(HLL_LG_K, HllType::Hll8).expect("HLL_LG_K is in 4..=21"))
}

impl DistinctCounter {
    pub fn with_cap(cap: usize) -> Self {
        DistinctCounter {
            exact: HashSet::default(),
            sketch: None,
            cap,
        }
    }

    /// A counter that is an estimate from the start: the given sketch (see [`Self::sketch`]).
    pub fn from_sketch(sketch: HllSketch) -> Self {
        DistinctCounter {
            exact: HashSet::default(),
            sketch: Some(Box::new(sketch)),
            cap: EXACT_HOSTS_CAP,
        }
    }

    /// Adds the hash of one item (see `hashing::KeyHasher`).
    #[inline]
    pub fn insert(&mut self, hash: u64) {
        match &mut self.sketch {
            Some(sketch) => sketch.update_with_coupon(coupon(hash)),
            None => {
                if self.exact.insert(hash) && self.exact.len() > self.cap {
                    self.switch_to_estimate();
                }
            }
        }
    }

    #[cold]
    fn switch_to_estimate(&mut self) {
        let mut sketch = new_sketch();
        for &hash in &self.exact {
            sketch.update_with_coupon(coupon(hash));
        }
        self.exact = HashSet::default();
        self.sketch = Some(sketch);
    }

    /// Distinct items so far; exact while [`DistinctCounter::is_exact`].
    pub fn count(&self) -> u64 {
        match &self.sketch {
            Some(sketch) => sketch.estimate().round() as u64,
            None => self.exact.len() as u64,
        }
    }

    pub fn is_exact(&self) -> bool {
        self.sketch.is_none()
    }

    /// The hashes counted, while exact.
    pub fn exact_hashes(&self) -> Option<impl Iterator<Item = u64> + '_> {
        self.sketch.is_none().then(|| self.exact.iter().copied())
    }

    /// The sketch once the count is an estimate; [`Self::to_sketch`] makes one in any case.
    pub fn sketch(&self) -> Option<&HllSketch> {
        self.sketch.as_deref()
    }

    /// A sketch of every item counted (built from the hashes while exact).
    pub fn to_sketch(&self) -> HllSketch {
        match &self.sketch {
            Some(sketch) => (**sketch).clone(),
            None => {
                let mut sketch = new_sketch();
                for &hash in &self.exact {
                    sketch.update_with_coupon(coupon(hash));
                }
                *sketch
            }
        }
    }

    /// Adds every item `other` counted: exact while both are exact and the union stays within
    /// this counter's cap, otherwise the union of the two sketches (HLL unions lose nothing
    /// beyond each side's own error).
    pub fn merge(&mut self, other: &DistinctCounter) {
        if self.sketch.is_none() && other.sketch.is_none() {
            for &hash in &other.exact {
                self.insert(hash);
            }
            return;
        }
        if self.sketch.is_none() {
            self.switch_to_estimate();
        }
        let sketch = self.sketch.as_mut().expect("an estimate from here on");
        match &other.sketch {
            None => {
                for &hash in &other.exact {
                    sketch.update_with_coupon(coupon(hash));
                }
            }
            Some(theirs) => {
                let mut union = HllUnion::new(HLL_LG_K).expect("HLL_LG_K is in 4..=21");
                union.update(sketch);
                union.update(theirs);
                **sketch = union.to_sketch(HllType::Hll8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::hashing::KeyHasher;

    fn host_hashes(range: std::ops::Range<u32>) -> impl Iterator<Item = u64> {
        let h = KeyHasher;
        range.map(move |i| h.hash(&format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255)))
    }

    fn count_hosts(counter: &mut DistinctCounter, n: u32) {
        // Every host twice: duplicates must not count.
        for _ in 0..2 {
            for hash in host_hashes(0..n) {
                counter.insert(hash);
            }
        }
    }

    #[test]
    fn exact_at_ten_thousand_and_fifty_thousand() {
        for n in [10_000, 50_000] {
            let mut c = DistinctCounter::default();
            count_hosts(&mut c, n);
            assert!(c.is_exact());
            assert_eq!(c.count(), u64::from(n));
        }
    }

    #[test]
    fn estimates_beyond_the_cap_within_a_few_percent() {
        let mut c = DistinctCounter::with_cap(1_000);
        count_hosts(&mut c, 200_000);
        assert!(!c.is_exact());
        let est = c.count() as f64;
        assert!((est - 200_000.0).abs() / 200_000.0 < 0.03, "estimate {est}");
        assert!(c.exact.capacity() == 0, "the exact set is released");
    }

    #[test]
    fn exact_sides_merge_exactly_until_the_cap() {
        let mut a = DistinctCounter::with_cap(1_000);
        let mut b = DistinctCounter::with_cap(1_000);
        host_hashes(0..600).for_each(|h| a.insert(h));
        host_hashes(300..900).for_each(|h| b.insert(h));
        a.merge(&b);
        assert!(a.is_exact());
        assert_eq!(a.count(), 900);
        let mut c = DistinctCounter::with_cap(1_000);
        host_hashes(800..1_500).for_each(|h| c.insert(h));
        a.merge(&c);
        assert!(!a.is_exact(), "1,500 hosts is past the cap");
        assert!(a.count().abs_diff(1_500) <= 30, "{}", a.count());
    }

    #[test]
    fn sketches_merge_like_one_counter() {
        let mut whole = DistinctCounter::with_cap(100);
        host_hashes(0..65_000).for_each(|h| whole.insert(h));
        let mut parts: Vec<DistinctCounter> = (0..3)
            .map(|i| {
                // Overlapping ranges, 0..65,000 in all; the middle one still exact.
                let mut c = DistinctCounter::with_cap(if i == 1 { 100_000 } else { 100 });
                host_hashes(i * 20_000..(i + 1) * 20_000 + 5_000).for_each(|h| c.insert(h));
                c
            })
            .collect();
        assert!(parts[1].is_exact() && !parts[0].is_exact());
        let mut merged = parts.remove(0);
        for p in &parts {
            merged.merge(p);
        }
        // The same registers as one counter fed everything: the union's estimate is the same
        // up to the estimator used (HIP for one sketch, the composite one for a union).
        let (m, w) = (merged.count() as f64, whole.count() as f64);
        assert!((m - 65_000.0).abs() / 65_000.0 < 0.03, "{m}");
        assert!((m - w).abs() / w < 0.02, "{m} vs {w}");
    }
}
