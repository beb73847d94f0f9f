//! Bounded top-k counting (space-saving, Metwally et al. 2005).
//!
//! A table monitors at most `capacity` keys. A new key, when the table is full, takes over the slot
//! of the least counted key and inherits its count as `error`: every reported count overestimates
//! the true count by at most its `error`, and every key occurring more than `N / capacity` times
//! is in the table. Slots sit in an indexed min-heap on count, so a hit is O(1) amortized (an
//! increment sinks at most a few levels) and an eviction O(log capacity). Memory is fixed by the
//! capacity: a replaced slot reuses its key buffer and payload, so the steady state allocates
//! nothing.

use std::collections::HashMap;

use super::hashing::PreHashed;

/// Longest key stored, in bytes. Longer keys (hostile paths) are cut at a character boundary and
/// end with `…`, so a table's memory stays bounded by `capacity × MAX_KEY_BYTES`.
pub const MAX_KEY_BYTES: usize = 1024;

/// Longest user agent or referer kept, in bytes (cut as keys are, see [`push_cut`]): one giant
/// header must not cost more than a few hundred bytes in the batch and in each table holding it.
pub const AGENT_BYTES: usize = 256;

/// Tables of at most this many keys find a key by scanning their slots' hashes, without an index:
/// most tables (a caller's paths, an application seen a few times in a window) hold a handful of
/// keys, and an index is an allocation of its own (~100 bytes) per table, millions of them with
/// 100,000 applications.
const SCANNED_UP_TO: usize = 8;

/// State carried with each monitored key (e.g. a caller's own statistics).
pub trait SlotPayload: Default {
    /// Forget everything: the slot now monitors another key. Keep allocations for reuse.
    fn reset(&mut self);
}

impl SlotPayload for () {
    fn reset(&mut self) {}
}

/// One monitored key.
#[derive(Debug, Clone)]
pub struct Slot<P> {
    key: String,
    hash: u64,
    count: u64,
    error: u64,
    heap_pos: u32,
    payload: P,
}

impl<P> Slot<P> {
    /// The key as given (possibly cut, see [`MAX_KEY_BYTES`]).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Occurrences counted, an overestimate by at most [`Slot::error`].
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Count inherited from the evicted key; 0 means `count` is exact.
    pub fn error(&self) -> u64 {
        self.error
    }

    /// State gathered since this key took the slot.
    pub fn payload(&self) -> &P {
        &self.payload
    }
}

/// Space-saving top-k table keyed by pre-computed 64-bit hashes (see `hashing`).
#[derive(Debug, Clone)]
pub struct SpaceSaving<P = ()> {
    capacity: usize,
    /// Key hash → slot index, once the table holds more than [`SCANNED_UP_TO`] keys (empty before).
    index: HashMap<u64, u32, PreHashed>,
    slots: Vec<Slot<P>>,
    /// Slot indices ordered as a binary min-heap on `count`.
    heap: Vec<u32>,
}

impl<P: SlotPayload> SpaceSaving<P> {
    /// A table monitoring at most `capacity` keys (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, u32::MAX as usize);
        SpaceSaving {
            capacity,
            index: HashMap::default(),
            slots: Vec::new(),
            heap: Vec::new(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Keys monitored now (≤ capacity).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// No key that is not monitored occurred more than this many times: the smallest count once
    /// the table is full (an evicted key had at most that), 0 before (nothing was evicted).
    pub fn unmonitored_bound(&self) -> u64 {
        if self.slots.len() < self.capacity {
            0
        } else {
            self.heap
                .first()
                .map_or(0, |&slot| self.slots[slot as usize].count)
        }
    }

    /// Counts one occurrence of `key` (whose hash is `hash`) and returns its slot's payload,
    /// freshly reset if the key just took over another key's slot.
    #[inline]
    pub fn hit(&mut self, hash: u64, key: &str) -> &mut P {
        let slot = match self.find(hash) {
            Some(slot) => {
                self.slots[slot as usize].count += 1;
                slot
            }
            None if self.slots.len() < self.capacity => self.insert(hash, key),
            None => self.evict_min_for(hash, key),
        };
        let pos = self.slots[slot as usize].heap_pos;
        self.sift_down(pos as usize);
        &mut self.slots[slot as usize].payload
    }

    #[inline]
    fn find(&self, hash: u64) -> Option<u32> {
        if self.slots.len() <= SCANNED_UP_TO {
            self.slots
                .iter()
                .position(|s| s.hash == hash)
                .map(|i| i as u32)
        } else {
            self.index.get(&hash).copied()
        }
    }

    #[cold]
    fn insert(&mut self, hash: u64, key: &str) -> u32 {
        if self.slots.len() == self.slots.capacity() {
            // Doubling from one slot, up to the capacity: most tables (a caller's paths, an
            // application seen once in a window) hold one or two keys, and a slot with its
            // payload is a few hundred bytes, where `Vec` would start at four.
            let more = self
                .slots
                .len()
                .max(1)
                .min(self.capacity - self.slots.len());
            self.slots.reserve_exact(more);
            self.heap.reserve_exact(more);
        }
        let slot = self.slots.len() as u32;
        let mut stored = String::new();
        store_key(&mut stored, key);
        self.slots.push(Slot {
            key: stored,
            hash,
            count: 1,
            error: 0,
            heap_pos: self.heap.len() as u32,
            payload: P::default(),
        });
        self.heap.push(slot);
        if self.slots.len() == SCANNED_UP_TO + 1 {
            // Past scanning: index every key.
            self.index.extend(
                self.slots
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.hash, i as u32)),
            );
        } else if self.slots.len() > SCANNED_UP_TO {
            self.index.insert(hash, slot);
        }
        self.sift_up(self.heap.len() - 1);
        slot
    }

    fn evict_min_for(&mut self, hash: u64, key: &str) -> u32 {
        let slot = self.heap[0];
        let s = &mut self.slots[slot as usize];
        let old_hash = s.hash;
        s.hash = hash;
        s.error = s.count;
        s.count += 1;
        store_key(&mut s.key, key);
        s.payload.reset();
        if self.slots.len() > SCANNED_UP_TO {
            self.index.remove(&old_hash);
            self.index.insert(hash, slot);
        }
        slot
    }

    /// Monitored keys by count, descending (ties by key), at most `k`.
    pub fn top(&self, k: usize) -> Vec<&Slot<P>> {
        let mut all: Vec<&Slot<P>> = self.slots.iter().collect();
        all.sort_unstable_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        all.truncate(k);
        all
    }

    /// Forgets every key; keeps the allocations.
    pub fn clear(&mut self) {
        self.index.clear();
        self.slots.clear();
        self.heap.clear();
    }

    fn count_at(&self, pos: usize) -> u64 {
        self.slots[self.heap[pos] as usize].count
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.slots[self.heap[a] as usize].heap_pos = a as u32;
        self.slots[self.heap[b] as usize].heap_pos = b as u32;
    }

    #[inline]
    fn sift_down(&mut self, mut pos: usize) {
        let len = self.heap.len();
        loop {
            let left = 2 * pos + 1;
            if left >= len {
                return;
            }
            let right = left + 1;
            let child = if right < len && self.count_at(right) < self.count_at(left) {
                right
            } else {
                left
            };
            if self.count_at(child) >= self.count_at(pos) {
                return;
            }
            self.swap(pos, child);
            pos = child;
        }
    }

    fn sift_up(&mut self, mut pos: usize) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if self.count_at(parent) <= self.count_at(pos) {
                return;
            }
            self.swap(pos, parent);
            pos = parent;
        }
    }
}

/// `key` as a table stores it: cut to [`MAX_KEY_BYTES`] at a character boundary, ending with `…`.
pub fn stored_key(key: &str) -> std::borrow::Cow<'_, str> {
    if key.len() <= MAX_KEY_BYTES {
        std::borrow::Cow::Borrowed(key)
    } else {
        let mut cut = String::new();
        store_key(&mut cut, key);
        std::borrow::Cow::Owned(cut)
    }
}

/// Stores `key` into `buf` (reusing its allocation), cut to [`MAX_KEY_BYTES`].
fn store_key(buf: &mut String, key: &str) {
    buf.clear();
    push_cut(buf, key, MAX_KEY_BYTES);
}

/// Appends `text` to `buf`, cut to at most `max_bytes` (≥ 4) at a character boundary and then
/// ending with `…`, so the cut is visible.
pub fn push_cut(buf: &mut String, text: &str, max_bytes: usize) {
    if text.len() <= max_bytes {
        buf.push_str(text);
    } else {
        let mut cut = max_bytes.saturating_sub('…'.len_utf8());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        buf.push_str(&text[..cut]);
        buf.push('…');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::hashing::KeyHasher;

    fn feed(t: &mut SpaceSaving, h: &KeyHasher, key: &str) {
        t.hit(h.hash(key), key);
    }

    /// Checks the heap invariant and the index, so every test also checks the structure.
    fn check_invariants<P: SlotPayload>(t: &SpaceSaving<P>) {
        assert!(t.slots.len() <= t.capacity);
        let indexed = t.slots.len() > SCANNED_UP_TO;
        assert_eq!(t.index.len(), if indexed { t.slots.len() } else { 0 });
        for (pos, &slot) in t.heap.iter().enumerate() {
            assert_eq!(t.slots[slot as usize].heap_pos as usize, pos);
            if pos > 0 {
                assert!(t.count_at((pos - 1) / 2) <= t.count_at(pos));
            }
        }
        for (i, s) in t.slots.iter().enumerate() {
            assert_eq!(t.find(s.hash), Some(i as u32));
            if indexed {
                assert_eq!(t.index[&s.hash] as usize, i);
            }
        }
    }

    #[test]
    fn exact_while_under_capacity() {
        let h = KeyHasher;
        let mut t = SpaceSaving::new(10);
        for (key, n) in [("/a", 5), ("/b", 3), ("/c", 7)] {
            for _ in 0..n {
                feed(&mut t, &h, key);
            }
        }
        check_invariants(&t);
        assert_eq!(t.unmonitored_bound(), 0, "nothing evicted");
        let top: Vec<(&str, u64, u64)> = t
            .top(10)
            .iter()
            .map(|s| (s.key(), s.count(), s.error()))
            .collect();
        assert_eq!(top, vec![("/c", 7, 0), ("/a", 5, 0), ("/b", 3, 0)]);
        assert_eq!(t.top(2).len(), 2);
    }

    /// Deterministic xorshift, so the test needs no RNG crate and no clock.
    pub(crate) fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn skewed_stream_finds_the_true_top_within_error() {
        // Zipf-like: key i occurs 20000 / i times (at least once), 5000 keys, shuffled.
        let h = KeyHasher;
        let capacity = 80;
        let mut t = SpaceSaving::new(capacity);
        let keys: Vec<String> = (1..=5000).map(|i| format!("/item/{i}")).collect();
        let truth: Vec<u64> = (1..=5000u64).map(|i| (20_000 / i).max(1)).collect();
        let total: u64 = truth.iter().sum();
        let mut stream: Vec<usize> = (0..keys.len())
            .flat_map(|i| std::iter::repeat_n(i, truth[i] as usize))
            .collect();
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for i in (1..stream.len()).rev() {
            let j = (xorshift(&mut rng) % (i as u64 + 1)) as usize;
            stream.swap(i, j);
        }
        for &i in &stream {
            feed(&mut t, &h, &keys[i]);
        }
        check_invariants(&t);
        // No unmonitored key occurred more often than the table's smallest count.
        let bound = t.unmonitored_bound();
        assert_eq!(bound, t.top(capacity).last().unwrap().count());
        let listed: Vec<&str> = t.top(capacity).iter().map(|s| s.key()).collect();
        for (i, &n) in truth.iter().enumerate() {
            if !listed.contains(&keys[i].as_str()) {
                assert!(n <= bound, "{}: {n} > {bound}", keys[i]);
            }
        }
        // Every monitored count brackets the true count.
        for slot in t.top(capacity) {
            let i: usize = slot.key()["/item/".len()..].parse::<usize>().unwrap() - 1;
            assert!(slot.count() >= truth[i], "{}", slot.key());
            assert!(slot.count() - slot.error() <= truth[i], "{}", slot.key());
            assert!(slot.error() <= total / capacity as u64);
        }
        // Every key occurring more than N / capacity times is monitored.
        let monitored: Vec<&str> = t.top(capacity).iter().map(|s| s.key()).collect();
        for (i, &n) in truth.iter().enumerate() {
            if n > total / capacity as u64 {
                assert!(monitored.contains(&keys[i].as_str()), "{} missing", keys[i]);
            }
        }
        // The heavy hitters come out first, in their true order.
        let top: Vec<&str> = t.top(4).iter().map(|s| s.key()).collect();
        assert_eq!(top, ["/item/1", "/item/2", "/item/3", "/item/4"]);
    }

    #[test]
    fn a_million_distinct_keys_stay_within_capacity() {
        let h = KeyHasher;
        let mut t = SpaceSaving::new(64);
        let mut key = String::new();
        for i in 0..1_000_000u32 {
            key.clear();
            use std::fmt::Write;
            write!(key, "/p/{i}").unwrap();
            feed(&mut t, &h, &key);
        }
        assert_eq!(t.len(), 64);
        assert_eq!(t.index.len(), 64);
        assert_eq!(t.heap.len(), 64);
        check_invariants(&t);
        // Every monitored key's lower bound is at most its true count (1).
        assert!(t.top(64).iter().all(|s| s.count() - s.error() <= 1));
    }

    #[test]
    fn gigantic_keys_are_cut_at_a_char_boundary() {
        let h = KeyHasher;
        let mut t = SpaceSaving::new(4);
        let long = "é".repeat(5000);
        feed(&mut t, &h, &long);
        let key = t.top(1)[0].key().to_owned();
        assert!(key.len() <= MAX_KEY_BYTES);
        assert!(key.ends_with('…'));
        assert!(key.trim_end_matches('…').chars().all(|c| c == 'é'));
        assert_eq!(stored_key(&long), key);
        assert!(matches!(
            stored_key("/short"),
            std::borrow::Cow::Borrowed("/short")
        ));
    }

    #[derive(Default)]
    struct Tally(u64);
    impl SlotPayload for Tally {
        fn reset(&mut self) {
            self.0 = 0;
        }
    }

    #[test]
    fn payload_is_reset_when_a_slot_changes_hands() {
        let h = KeyHasher;
        let mut t: SpaceSaving<Tally> = SpaceSaving::new(2);
        t.hit(h.hash("a"), "a").0 += 10;
        t.hit(h.hash("a"), "a").0 += 10;
        t.hit(h.hash("b"), "b").0 += 1;
        // "c" evicts "b" (the minimum) and starts with a fresh payload.
        assert_eq!(t.hit(h.hash("c"), "c").0, 0);
        check_invariants(&t);
        let top = t.top(2);
        assert_eq!((top[0].key(), top[0].payload().0), ("a", 20));
        assert_eq!((top[1].key(), top[1].count(), top[1].error()), ("c", 2, 1));
        t.clear();
        assert!(t.is_empty());
    }
}
