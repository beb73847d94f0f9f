//! The requests behind a number (issue 14, `r`): each application's most recent raw requests,
//! kept by the engine (not per window: they are "now", whatever window is on screen) for the TUI:
//! only the parser of the TUI keeps raw lines ([`super::parse_stage::LineParser::with_raw_lines`]).
//!
//! Memory is bounded twice: [`PER_APP`] requests per application, each line cut at
//! [`LINE_BYTES`], for at most [`MAX_APPS`] applications (the one updated longest ago gives way
//! to a new one). Worst case about 1,000 × 200 × 0.5 KiB = 100 MiB; typical lines (200 bytes)
//! and tens of applications take a few MiB. Headless runs keep none.
//!
//! The snapshot gets an `Arc` per application ring: publishing clones a map of `Arc`s, and a
//! ring is copied (its entries are `Arc`s too) only when a request arrives for it while the
//! screen still holds the previous one.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use super::parse_stage::ParsedBatch;
use crate::config::when::{InRange, TimeRange};

/// Requests kept per application.
pub const PER_APP: usize = 200;
/// Applications with a ring at once.
pub const MAX_APPS: usize = 1_000;
/// Bytes of a raw line kept (the rest is cut; the view says so with `…`).
pub const LINE_BYTES: usize = 512;

/// One request as it was logged. `line` is the raw text (repaired to UTF-8, cut at
/// [`LINE_BYTES`]), not yet made safe to show: views and exports sanitize it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentRequest {
    /// Event time, UTC epoch seconds.
    pub time: i64,
    /// The caller, in its canonical spelling (as the callers table shows it).
    pub client: Box<str>,
    pub status: u16,
    pub bytes: u64,
    pub latency_us: Option<u64>,
    pub line: Box<str>,
}

/// One application's recent requests, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecentRing {
    entries: VecDeque<Arc<RecentRequest>>,
    /// When it last took a request (the keeper's counter), to pick the ring that gives way.
    touched: u64,
}

impl RecentRing {
    /// Newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &RecentRequest> {
        self.entries.iter().rev().map(|r| &**r)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn push(&mut self, request: RecentRequest, touched: u64) {
        if self.entries.len() == PER_APP {
            self.entries.pop_front();
        }
        self.entries.push_back(Arc::new(request));
        self.touched = touched;
    }
}

/// The rings of every application, as a snapshot carries them.
pub type RecentByApp = Arc<HashMap<Arc<str>, Arc<RecentRing>>>;

/// The engine's rings.
#[derive(Debug, Default)]
pub struct RecentKeeper {
    rings: HashMap<Arc<str>, Arc<RecentRing>>,
    /// Every ring by its `touched`, stalest first: with 100,000 applications nearly every line
    /// brings a new one, and scanning the rings for the stalest then cost more than the rest of
    /// the engine.
    by_touch: BTreeMap<u64, Arc<str>>,
    /// Counts requests taken: a ring's `touched` is the count at its last request.
    taken: u64,
    /// The map last handed out, until a request changes it.
    published: Option<RecentByApp>,
}

impl RecentKeeper {
    /// Takes a request of `application`.
    pub fn push(&mut self, application: &str, request: RecentRequest) {
        self.taken += 1;
        self.published = None;
        if let Some(ring) = self.rings.get_mut(application) {
            let ring = Arc::make_mut(ring);
            if let Some(name) = self.by_touch.remove(&ring.touched) {
                self.by_touch.insert(self.taken, name);
            }
            ring.push(request, self.taken);
            return;
        }
        if self.rings.len() >= MAX_APPS {
            if let Some((_, stalest)) = self.by_touch.pop_first() {
                self.rings.remove(&stalest);
            }
        }
        let mut ring = RecentRing::default();
        ring.push(request, self.taken);
        let name: Arc<str> = Arc::from(application);
        self.by_touch.insert(self.taken, Arc::clone(&name));
        self.rings.insert(name, Arc::new(ring));
    }

    /// The batch's requests inside `range` (`--since`/`--until`: the others are skipped).
    pub fn take_batch(&mut self, batch: &ParsedBatch, range: TimeRange) {
        batch.for_each_raw(|hit, line| {
            if range.place(hit.time) == InRange::Inside {
                self.push(
                    hit.application,
                    RecentRequest {
                        time: hit.time,
                        client: hit.client.into(),
                        status: hit.status,
                        bytes: hit.bytes,
                        latency_us: hit.latency_us,
                        line: line.into(),
                    },
                );
            }
        });
    }

    /// Every ring, for a snapshot; the same `Arc` while nothing arrived.
    pub fn view(&mut self) -> RecentByApp {
        self.published
            .get_or_insert_with(|| Arc::new(self.rings.clone()))
            .clone()
    }
}

/// Appends a raw line as kept to `out`: UTF-8 (invalid bytes replaced), at most [`LINE_BYTES`]
/// bytes of the input. No allocation for a valid line: this runs for every line the TUI reads.
pub fn push_kept_line(out: &mut String, raw: &[u8]) {
    let cut = &raw[..raw.len().min(LINE_BYTES)];
    match std::str::from_utf8(cut) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(cut)),
    }
    if raw.len() > LINE_BYTES {
        out.push('…');
    }
}

/// A raw line as kept (see [`push_kept_line`]).
pub fn kept_line(raw: &[u8]) -> Box<str> {
    let mut text = String::new();
    push_kept_line(&mut text, raw);
    text.into_boxed_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(n: u64) -> RecentRequest {
        RecentRequest {
            time: n as i64,
            client: "10.0.0.1".into(),
            status: 200,
            bytes: n,
            latency_us: None,
            line: format!("line {n}").into(),
        }
    }

    #[test]
    fn each_ring_keeps_the_newest_requests_newest_first() {
        let mut keeper = RecentKeeper::default();
        for n in 0..(PER_APP as u64 + 50) {
            keeper.push("checkout", request(n));
        }
        keeper.push("search", request(7));
        let view = keeper.view();
        let ring = &view["checkout"];
        assert_eq!(ring.len(), PER_APP);
        let bytes: Vec<u64> = ring.newest_first().map(|r| r.bytes).collect();
        assert_eq!(bytes[0], PER_APP as u64 + 49);
        assert_eq!(*bytes.last().unwrap(), 50);
        assert_eq!(view["search"].len(), 1);
    }

    #[test]
    fn the_view_is_shared_until_something_arrives_and_old_views_stay_as_they_were() {
        let mut keeper = RecentKeeper::default();
        keeper.push("checkout", request(1));
        let first = keeper.view();
        assert!(Arc::ptr_eq(&first, &keeper.view()));
        keeper.push("checkout", request(2));
        let second = keeper.view();
        assert_eq!(first["checkout"].len(), 1, "a published ring never changes");
        assert_eq!(second["checkout"].len(), 2);
    }

    #[test]
    fn past_the_application_bound_the_stalest_ring_gives_way() {
        let mut keeper = RecentKeeper::default();
        for i in 0..MAX_APPS {
            keeper.push(&format!("app-{i}"), request(i as u64));
        }
        // app-0 is busy again; app-1 is now the stalest.
        keeper.push("app-0", request(9));
        keeper.push("newcomer", request(1));
        let view = keeper.view();
        assert_eq!(view.len(), MAX_APPS);
        assert!(view.contains_key("app-0") && view.contains_key("newcomer"));
        assert!(!view.contains_key("app-1"));
    }

    #[test]
    fn with_many_more_applications_than_rings_the_newest_stay_and_the_index_matches() {
        let mut keeper = RecentKeeper::default();
        for i in 0..(3 * MAX_APPS) {
            keeper.push(&format!("app-{i}"), request(i as u64));
            // Every tenth request goes to app-0, so it is never the stalest.
            if i % 10 == 0 {
                keeper.push("app-0", request(i as u64));
            }
        }
        let view = keeper.view();
        assert_eq!(view.len(), MAX_APPS);
        assert_eq!(keeper.by_touch.len(), MAX_APPS);
        assert!(view.contains_key("app-0"));
        assert!(view.contains_key(format!("app-{}", 3 * MAX_APPS - 1).as_str()));
        assert!(!view.contains_key("app-1"));
        for (touched, name) in &keeper.by_touch {
            assert_eq!(view[name].touched, *touched);
        }
    }

    #[test]
    fn long_and_broken_lines_are_cut_and_repaired() {
        let long = vec![b'a'; LINE_BYTES + 10];
        let kept = kept_line(&long);
        assert_eq!(kept.chars().count(), LINE_BYTES + 1);
        assert!(kept.ends_with('…'));
        assert_eq!(&*kept_line(b"GET \xff/"), "GET \u{fffd}/");
    }
}
