//! Hashing shared by the window accumulators: each path and client host of a hit is hashed once
//! and the 64-bit hash is then the key of the distinct-host sets and the top-k tables, which
//! therefore must not hash it again.
//!
//! Host hashes leave the process (the exact host sets of aggregate records), so the hash is a
//! documented, stable one: XXH3-64 with seed 0 over the UTF-8 bytes (`XXH3_64bits` of the xxHash
//! specification; Python's `xxhash.xxh3_64_intdigest`, Java's `LongHashFunction.xx3()`). It does
//! not depend on the version, the CPU's features or the process, unlike ahash's output.

use std::hash::{BuildHasherDefault, Hasher};

/// Stable string hasher (XXH3-64, seed 0). Two distinct strings share a hash with probability
/// ~2⁻⁶⁴, which the counters accept (they identify keys by hash only, so the hot path never
/// compares strings).
#[derive(Debug, Clone, Default)]
pub struct KeyHasher;

impl KeyHasher {
    #[inline]
    pub fn hash(&self, key: &str) -> u64 {
        xxhash_rust::xxh3::xxh3_64(key.as_bytes())
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
        let a = KeyHasher;
        let b = KeyHasher;
        assert_eq!(a.hash("/index.html"), b.hash("/index.html"));
        assert_ne!(a.hash("/index.html"), a.hash("/index.htm"));
    }

    /// The xxHash specification's test vectors (XXH3_64bits, seed 0): another implementation
    /// hashes hosts to the same values.
    #[test]
    fn key_hasher_is_xxh3_64() {
        let h = KeyHasher;
        assert_eq!(h.hash(""), 0x2d06_8005_38d3_94c2);
        assert_eq!(h.hash("a"), 0xe6c6_32b6_1e96_4e1f);
        assert_eq!(h.hash("abc"), 0x78af_5f94_892f_3950);
    }

    #[test]
    fn pass_through_returns_the_u64() {
        let mut h = PassThrough::default();
        h.write_u64(0xdead_beef);
        assert_eq!(h.finish(), 0xdead_beef);
    }
}
