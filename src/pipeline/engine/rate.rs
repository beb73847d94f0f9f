//! Events per second as received, for the status bar.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Events per second over the last few seconds (a ring of short buckets).
#[derive(Debug, Default)]
pub(super) struct RateMeter {
    buckets: VecDeque<(Instant, u64)>,
}

impl RateMeter {
    const SPAN: Duration = Duration::from_secs(3);

    pub fn add(&mut self, n: u64) {
        let now = Instant::now();
        match self.buckets.back_mut() {
            Some((t, count)) if now.duration_since(*t) < Duration::from_millis(250) => *count += n,
            _ => self.buckets.push_back((now, n)),
        }
        while self
            .buckets
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > Self::SPAN)
        {
            self.buckets.pop_front();
        }
    }

    pub fn per_sec(&self) -> f64 {
        let recent = self
            .buckets
            .iter()
            .filter(|(t, _)| t.elapsed() <= Self::SPAN);
        let total: u64 = recent.map(|(_, n)| *n).sum();
        total as f64 / Self::SPAN.as_secs_f64()
    }
}
