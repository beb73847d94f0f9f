//! The extra widths `w` offers besides `--window` are kept while they are worth their cost.
//! Each records every hit into its own (window, application) accumulators. With 100,000
//! applications that made the TUI seven times slower than headless and over 1 GB: the 15m and
//! 1h widths held over a million accumulators, and at 10s and 1m nearly every request opened
//! one of its own (a row holding one request). An extra width is given up for the rest of the
//! run (its history too), widest cost first, and the screen says so, when
//! - the extra widths together hold more than [`EXTRA_WIDTHS_OPEN_APPS`] open accumulators
//!   (memory), or
//! - over at least [`CHURN_MIN_HITS`] of its hits, more than half opened a new accumulator (its
//!   rows are single requests, and it costs as much as the whole job).
//!
//! `--window` itself is never given up: alarms and outputs use it.

use super::Engine;
use crate::core::Aggregator;

/// Open (window, application) accumulators the extra widths may hold together: ~1.5 KB each
/// for an application seen a few times, so ~50 MB; a few thousand applications stay well under
/// it at every width.
pub const EXTRA_WIDTHS_OPEN_APPS: usize = 32_768;

/// Hits a width records before its churn is judged (a start-up burst decides nothing).
pub const CHURN_MIN_HITS: u64 = 100_000;

/// Why a width was given up (said in the log; the screen lists the widths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    Memory,
    Churn,
}

impl Engine {
    /// Gives up the extra widths that cost more than they show (see the module's rules).
    pub(super) fn bound_extra_widths(&mut self) {
        let extra = |e: &Engine, i: usize| i != e.primary && e.kept[i];
        for i in 0..self.aggregators.len() {
            if extra(self, i) && churns(&self.aggregators[i]) {
                self.give_up_width(i, Reason::Churn);
            }
        }
        loop {
            let held: usize = (0..self.aggregators.len())
                .filter(|&i| extra(self, i))
                .map(|i| self.aggregators[i].open_apps())
                .sum();
            if held <= EXTRA_WIDTHS_OPEN_APPS {
                return;
            }
            let Some(largest) = (0..self.aggregators.len())
                .filter(|&i| extra(self, i))
                .max_by_key(|&i| self.aggregators[i].open_apps())
            else {
                return;
            };
            self.give_up_width(largest, Reason::Memory);
        }
    }

    fn give_up_width(&mut self, i: usize, reason: Reason) {
        let config = self.aggregators[i].config().clone();
        let (accepted, opened) = self.aggregators[i].accepted_and_opened();
        tracing::warn!(
            width_secs = config.width_secs,
            ?reason,
            open = self.aggregators[i].open_apps(),
            accepted,
            opened,
            "window width given up"
        );
        // An empty aggregator in its place keeps every width's index (the relays' merged
        // windows are indexed alike); nothing is recorded into it again.
        self.aggregators[i] = Aggregator::new(config);
        self.kept[i] = false;
        if self.selected == i {
            self.selected = self.primary;
            self.last_publish = None;
        }
        self.dirty = true;
    }

    /// The widths still kept, ascending, and those given up.
    pub(super) fn kept_widths(&self) -> (Vec<i64>, Vec<i64>) {
        let mut kept = Vec::new();
        let mut given_up = Vec::new();
        for (a, &k) in self.aggregators.iter().zip(&self.kept) {
            let w = a.config().width_secs;
            if k {
                kept.push(w);
            } else {
                given_up.push(w);
            }
        }
        kept.sort_unstable();
        given_up.sort_unstable();
        (kept, given_up)
    }
}

/// More than half of at least [`CHURN_MIN_HITS`] hits opened an accumulator of their own.
fn churns(aggregator: &Aggregator) -> bool {
    let (accepted, opened) = aggregator.accepted_and_opened();
    accepted >= CHURN_MIN_HITS && opened.saturating_mul(2) > accepted
}
