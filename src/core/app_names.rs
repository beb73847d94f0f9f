//! One shared `Arc<str>` per application name for all of an aggregator's windows: with 100,000
//! applications and hundreds of windows, a name allocated per (window, application) was millions
//! of allocations and tens of MB of copies of the same few strings.

use std::collections::HashSet;
use std::sync::Arc;

/// Whether names `a` and `b` are the same. Names are interned, so the same pointer is the same
/// name without reading either; `Arc<str>`'s `==` alone compares the strings (std's pointer
/// shortcut is only for sized types), a read of both names from memory.
pub fn same_name(a: &Arc<str>, b: &Arc<str>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// Whether name `a` comes before `b` in name order (the order windows keep their applications
/// in), without reading either when they are the same interned name.
pub fn precedes(a: &Arc<str>, b: &Arc<str>) -> bool {
    !Arc::ptr_eq(a, b) && a < b
}

/// Names no window holds any more are forgotten when the set has doubled since the last sweep,
/// so a metadata table that renames its applications over days does not grow the set forever.
#[derive(Debug, Default)]
pub struct AppNames {
    names: HashSet<Arc<str>, ahash::RandomState>,
    /// Size after the last sweep.
    swept_at: usize,
}

/// Sweeps never run below this many names (a sweep walks the whole set).
const MIN_SWEEP: usize = 4_096;

impl AppNames {
    /// The shared name equal to `name`.
    pub fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(shared) = self.names.get(name) {
            return Arc::clone(shared);
        }
        if self.names.len() >= MIN_SWEEP.max(self.swept_at.saturating_mul(2)) {
            // Held only here: no open window, summary or history refers to it.
            self.names.retain(|n| Arc::strong_count(n) > 1);
            self.swept_at = self.names.len();
        }
        let shared: Arc<str> = Arc::from(name);
        self.names.insert(Arc::clone(&shared));
        shared
    }

    /// Names kept now.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_allocation_per_name_shared_by_every_user() {
        let mut names = AppNames::default();
        let a = names.get("payments");
        let b = names.get("payments");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "payments");
        assert_eq!(names.len(), 1);
        assert!(!Arc::ptr_eq(&a, &names.get("search")));
    }

    #[test]
    fn names_nobody_holds_are_swept_once_the_set_doubles() {
        let mut names = AppNames::default();
        let held: Vec<Arc<str>> = (0..10).map(|i| names.get(&format!("held-{i}"))).collect();
        for i in 0..MIN_SWEEP - held.len() {
            names.get(&format!("gone-{i}"));
        }
        assert_eq!(names.len(), MIN_SWEEP);
        // The set reached the sweep size: the next new name sweeps the unheld ones first.
        names.get("new");
        assert_eq!(names.len(), held.len() + 1);
        for (i, h) in held.iter().enumerate() {
            assert!(Arc::ptr_eq(h, &names.get(&format!("held-{i}"))));
        }
    }
}
