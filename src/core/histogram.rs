//! HdrHistogram wrapper for latencies: exact min/max next to the histogram, percentiles clamped
//! into `[min, max]`, and coarse 1-2-5 display buckets for the latency view.

use hdrhistogram::{Counter, Histogram};

use super::LatencySummary;

mod parts;

/// Significant digits of an application's latency histogram (the JSON `latency_us` figures).
pub const APP_SIGFIG: u8 = 3;
/// Significant digits of a caller's latency histogram: ~1% resolution at a few KB per caller,
/// where 3 digits would cost ~100 KB each.
pub const CALLER_SIGFIG: u8 = 2;
/// Latencies above this (~19 hours) are counted in the histogram as this value, so a hostile `%D`
/// cannot grow a histogram without bound; min and max stay exact.
pub const LATENCY_CAP_US: u64 = 1 << 36;

/// Values kept exactly before a histogram is built: most (window, application) pairs and most
/// callers see few requests, and a 3-digit HdrHistogram costs ~100 KB to allocate and scan.
pub const SMALL_EXACT: usize = 64;

/// A latency recorder (values in µs): the first [`SMALL_EXACT`] values exactly, then an
/// auto-resizing HdrHistogram whose memory follows the largest value seen, up to
/// [`LATENCY_CAP_US`].
#[derive(Debug, Clone)]
pub struct LatencyHistogram<C: Counter = u64> {
    small: Vec<u64>,
    hist: Option<Histogram<C>>,
    sigfig: u8,
    min: u64,
    max: u64,
}

impl LatencyHistogram<u64> {
    /// For an application in a window: 3 significant digits.
    pub fn precise() -> Self {
        Self::with_sigfig(APP_SIGFIG)
    }
}

impl LatencyHistogram<u32> {
    /// For one caller: 2 significant digits, 32-bit counters.
    pub fn compact() -> Self {
        Self::with_sigfig(CALLER_SIGFIG)
    }
}

impl<C: Counter> LatencyHistogram<C> {
    fn with_sigfig(sigfig: u8) -> Self {
        LatencyHistogram {
            small: Vec::new(),
            hist: None,
            sigfig,
            min: u64::MAX,
            max: 0,
        }
    }

    #[inline]
    pub fn record(&mut self, value_us: u64) {
        self.min = self.min.min(value_us);
        self.max = self.max.max(value_us);
        match &mut self.hist {
            Some(hist) => record_into(hist, value_us),
            None if self.small.len() < SMALL_EXACT => self.small.push(value_us),
            None => self.build_histogram(value_us),
        }
    }

    #[cold]
    fn build_histogram(&mut self, value_us: u64) {
        let mut hist = Histogram::new(self.sigfig).expect("sigfig is a valid constant");
        for &v in &self.small {
            record_into(&mut hist, v);
        }
        record_into(&mut hist, value_us);
        self.small = Vec::new();
        self.hist = Some(hist);
    }

    pub fn count(&self) -> u64 {
        match &self.hist {
            Some(hist) => hist.len(),
            None => self.small.len() as u64,
        }
    }

    /// Forgets every value, keeping the allocation.
    pub fn reset(&mut self) {
        self.small.clear();
        if let Some(hist) = &mut self.hist {
            hist.reset();
        }
        self.min = u64::MAX;
        self.max = 0;
    }

    /// Counters held (memory is about this × 8 bytes).
    pub fn counters(&self) -> usize {
        match &self.hist {
            Some(hist) => hist.distinct_values(),
            None => self.small.capacity(),
        }
    }

    /// `None` when nothing was recorded.
    pub fn summary(&self) -> Option<LatencySummary> {
        match &self.hist {
            Some(hist) if !hist.is_empty() => Some(self.hist_summary(hist)),
            _ if !self.small.is_empty() => Some(self.exact_summary()),
            _ => None,
        }
    }

    fn exact_summary(&self) -> LatencySummary {
        let mut sorted = self.small.clone();
        sorted.sort_unstable();
        let n = sorted.len();
        // HdrHistogram's definition: the ceil(q·n)-th smallest value.
        let at = |q: f64| sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
        let mut buckets = bucket_bounds(self.max);
        for &v in &sorted {
            add_to_bucket(&mut buckets, v, 1);
        }
        LatencySummary {
            count: n as u64,
            min: self.min,
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: self.max,
            mean: sorted.iter().map(|&v| v as f64).sum::<f64>() / n as f64,
            buckets,
        }
    }

    fn hist_summary(&self, hist: &Histogram<C>) -> LatencySummary {
        let clamp = |v: u64| v.clamp(self.min, self.max);
        let mut quantiles = hist.value_at_quantiles([0.5, 0.9, 0.99]).map(clamp);
        let mut next = || quantiles.next().unwrap_or(self.max);
        let (p50, p90, p99) = (next(), next(), next());
        let mut buckets = bucket_bounds(self.max);
        for v in hist.iter_recorded() {
            let value = hist.lowest_equivalent(v.value_iterated_to());
            add_to_bucket(&mut buckets, value, v.count_at_value().as_u64());
        }
        LatencySummary {
            count: hist.len(),
            min: self.min,
            p50,
            p90,
            p99,
            max: self.max,
            mean: hist.mean(),
            buckets,
        }
    }
}

#[inline]
fn record_into<C: Counter>(hist: &mut Histogram<C>, value_us: u64) {
    let clamped = value_us.min(LATENCY_CAP_US);
    if hist.record(clamped).is_err() {
        // Cannot happen below the cap with auto-resize; never lose the count anyway.
        hist.saturating_record(clamped);
    }
}

/// Display buckets `(upper bound, 0)`, each holding values in `(previous bound, bound]`.
fn bucket_bounds(max: u64) -> Vec<(u64, u64)> {
    display_bounds(max).into_iter().map(|b| (b, 0)).collect()
}

fn add_to_bucket(buckets: &mut [(u64, u64)], value: u64, n: u64) {
    let i = buckets
        .partition_point(|&(bound, _)| bound < value)
        .min(buckets.len() - 1);
    buckets[i].1 += n;
}

/// 1, 2, 5, 10, 20, 50, … up to the first at or above `max` (or the largest that fits a u64).
fn display_bounds(max: u64) -> Vec<u64> {
    let mut bounds = Vec::new();
    let steps = (0u32..)
        .map_while(|exp| 10u64.checked_pow(exp))
        .flat_map(|decade| [Some(decade), decade.checked_mul(2), decade.checked_mul(5)])
        .map_while(|b| b);
    for bound in steps {
        bounds.push(bound);
        if bound >= max {
            break;
        }
    }
    bounds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// The value at quantile q of sorted values, as HdrHistogram defines it: the ceil(q·n)-th.
    fn exact_quantile(sorted: &[u64], q: f64) -> u64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
        sorted[rank - 1]
    }

    #[test]
    fn percentiles_match_sorting_within_three_digits() {
        let mut rng = 42u64;
        // Log-uniform over 1 µs .. ~16 s, an odd count so no quantile falls on a rank boundary.
        let mut values: Vec<u64> = (0..10_007)
            .map(|_| {
                let exp = xorshift(&mut rng) % 24;
                (1u64 << exp) + xorshift(&mut rng) % (1u64 << exp)
            })
            .collect();
        let mut h = LatencyHistogram::precise();
        for &v in &values {
            h.record(v);
        }
        values.sort_unstable();
        let s = h.summary().unwrap();
        assert_eq!(s.count, values.len() as u64);
        assert_eq!(s.min, values[0]);
        assert_eq!(s.max, *values.last().unwrap());
        for (got, q) in [(s.p50, 0.5), (s.p90, 0.9), (s.p99, 0.99)] {
            let want = exact_quantile(&values, q);
            let tolerance = want / 1000 + 1;
            assert!(got.abs_diff(want) <= tolerance, "q{q}: {got} vs {want}");
        }
        let mean = values.iter().sum::<u64>() as f64 / values.len() as f64;
        assert!((s.mean - mean).abs() / mean < 1e-3, "{} vs {mean}", s.mean);
        assert_eq!(s.buckets.iter().map(|b| b.1).sum::<u64>(), s.count);
    }

    #[test]
    fn caller_histogram_is_small_and_close() {
        let mut h = LatencyHistogram::compact();
        let mut values: Vec<u64> = (1..=2000).map(|i| i * 500).collect(); // up to 1 s
        for &v in &values {
            h.record(v);
        }
        values.sort_unstable();
        let s = h.summary().unwrap();
        let want = exact_quantile(&values, 0.99);
        assert!(s.p99.abs_diff(want) <= want / 100, "{} vs {want}", s.p99);
        // 32-bit counters: well under 40 KB per caller.
        assert!(h.counters() * 4 < 10_000, "{} counters", h.counters());
    }

    #[test]
    fn single_value_percentiles_do_not_exceed_max() {
        let mut h = LatencyHistogram::precise();
        h.record(480_001);
        let s = h.summary().unwrap();
        assert_eq!(
            (s.min, s.p50, s.p90, s.p99, s.max),
            (480_001, 480_001, 480_001, 480_001, 480_001)
        );
    }

    #[test]
    fn buckets_follow_one_two_five_up_to_max() {
        let mut h = LatencyHistogram::precise();
        for v in [0, 1, 2, 3, 5, 6, 10, 11, 150] {
            h.record(v);
        }
        let s = h.summary().unwrap();
        assert_eq!(
            s.buckets,
            vec![
                (1, 2),
                (2, 1),
                (5, 2),
                (10, 2),
                (20, 1),
                (50, 0),
                (100, 0),
                (200, 1)
            ]
        );
    }

    #[test]
    fn hostile_values_are_capped_in_the_histogram_only() {
        let mut h = LatencyHistogram::precise();
        h.record(u64::MAX);
        h.record(10);
        for _ in 0..SMALL_EXACT {
            h.record(10); // beyond the exact values: into the histogram
        }
        let s = h.summary().unwrap();
        assert_eq!(
            (s.count, s.min, s.max),
            (2 + SMALL_EXACT as u64, 10, u64::MAX)
        );
        assert!(s.p99 >= s.p50 && s.p50 >= 10);
        assert!(h.counters() < 40_000);
        h.reset();
        assert!(h.summary().is_none());
    }

    #[test]
    fn few_values_are_exact() {
        let mut h = LatencyHistogram::precise();
        let values = [480_001u64, 7, 123_457, 99, 1_000_003];
        for v in values {
            h.record(v);
        }
        let s = h.summary().unwrap();
        assert_eq!(
            (s.count, s.p50, s.p90, s.p99),
            (5, 123_457, 1_000_003, 1_000_003)
        );
        assert_eq!(s.mean, values.iter().sum::<u64>() as f64 / 5.0);
        assert_eq!(s.buckets.iter().map(|b| b.1).sum::<u64>(), 5);
        assert_eq!(s.buckets.last(), Some(&(2_000_000, 1)));
        assert!(h.counters() <= SMALL_EXACT);
    }

    #[test]
    fn empty_histogram_has_no_summary() {
        assert!(LatencyHistogram::compact().summary().is_none());
    }
}
