//! Hashing shared by the window accumulators: each path and client host of a hit is hashed once
//! (ahash, fixed seeds so runs are reproducible) and the 64-bit hash is then the key of the
//! distinct-host sets and the top-k tables, which therefore must not hash it again.

use std::hash::{BuildHasherDefault, Hasher};

/// Fixed-seed string hasher. Two distinct strings share a hash with probability ~2⁻⁶⁴, which the
/// counters accept (they identify keys by hash only, so the hot path never compares strings).
#[derive(Debug, Clone)]
pub struct KeyHasher(ahash::RandomState);

impl Default for KeyHasher {
    fn default() -> Self {
        KeyHasher(ahash::RandomState::with_seeds(
            0x243f_6a88_85a3_08d3,
            0x1319_8a2e_0370_7344,
            0xa409_3822_299f_31d0,
            0x082e_fa98_ec4e_6c89,
        ))
    }
}

impl KeyHasher {
    #[inline]
    pub fn hash(&self, key: &str) -> u64 {
        self.0.hash_one(key)
    }
}

/// A `Hasher` for keys that already are well-mixed 64-bit hashes: passes them through.
#[derive(Debug, Default, Clone, Copy)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Only reached for keys other than u64; fold the bytes so it still works.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Build hasher for maps and sets keyed by pre-computed hashes.
pub type PreHashed = BuildHasherDefault<PassThrough>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hasher_is_deterministic_and_distinguishes_keys() {
        let a = KeyHasher::default();
        let b = KeyHasher::default();
        assert_eq!(a.hash("/index.html"), b.hash("/index.html"));
        assert_ne!(a.hash("/index.html"), a.hash("/index.htm"));
    }

    #[test]
    fn pass_through_returns_the_u64() {
        let mut h = PassThrough::default();
        h.write_u64(0xdead_beef);
        assert_eq!(h.finish(), 0xdead_beef);
    }
}
