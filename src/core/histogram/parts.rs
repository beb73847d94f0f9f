//! A latency recorder taken apart and put together again, for the mergeable window state
//! (`core::merge`): merging two recorders, and the parts their wire form carries.

use hdrhistogram::{Counter, Histogram};

use super::{record_into, LatencyHistogram, SMALL_EXACT};

impl<C: Counter> LatencyHistogram<C> {
    /// Significant digits of the histogram.
    pub fn sigfig(&self) -> u8 {
        self.sigfig
    }

    /// Smallest and largest value recorded, exactly; `None` when empty.
    pub fn min_max(&self) -> Option<(u64, u64)> {
        (self.count() > 0).then_some((self.min, self.max))
    }

    /// The values themselves while they are few (at most [`SMALL_EXACT`], before any histogram
    /// was built): percentiles from them are exact.
    pub fn exact_values(&self) -> Option<&[u64]> {
        self.hist.is_none().then_some(self.small.as_slice())
    }

    /// Every value recorded, as an HdrHistogram (built from the exact values while they are few;
    /// values above `LATENCY_CAP_US` are counted at the cap, as always).
    pub fn to_histogram(&self) -> Histogram<C> {
        match &self.hist {
            Some(hist) => hist.clone(),
            None => {
                let mut hist = new_histogram(self.sigfig);
                for &v in &self.small {
                    record_into(&mut hist, v);
                }
                hist
            }
        }
    }

    /// A recorder holding `values` exactly (at most [`SMALL_EXACT`] are kept exactly; more go
    /// into a histogram, as when recorded one by one).
    pub fn from_values(sigfig: u8, values: &[u64]) -> Self {
        let mut recorder = Self::with_sigfig(sigfig);
        for &v in values {
            recorder.record(v);
        }
        recorder
    }

    /// A recorder holding the counts of `hist`, whose smallest and largest values were exactly
    /// `min` and `max` (the histogram only knows them to its precision). A histogram of the
    /// recorder's own layout (`sigfig` digits, lowest value 1) is kept as it is, others copied.
    pub fn from_histogram(sigfig: u8, mut hist: Histogram<C>, min: u64, max: u64) -> Self {
        let mut recorder = Self::with_sigfig(sigfig);
        if hist.is_empty() {
            return recorder;
        }
        if hist.sigfig() == sigfig && hist.low() == 1 {
            hist.auto(true);
        } else {
            let mut own = new_histogram(sigfig);
            add_into(&mut own, &hist);
            hist = own;
        }
        recorder.hist = Some(hist);
        recorder.min = min;
        recorder.max = max;
        recorder
    }

    /// Adds everything `other` recorded. The result summarizes exactly as one recorder fed the
    /// values of both would: exact values while the two together have at most [`SMALL_EXACT`],
    /// otherwise one histogram of all of them (HdrHistogram counts add exactly).
    pub fn merge(&mut self, other: &Self) {
        if other.count() == 0 {
            return;
        }
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        if self.hist.is_none()
            && other.hist.is_none()
            && self.small.len() + other.small.len() <= SMALL_EXACT
        {
            self.small.extend_from_slice(&other.small);
            return;
        }
        let sigfig = self.sigfig;
        let small = std::mem::take(&mut self.small);
        let hist = self.hist.get_or_insert_with(|| new_histogram(sigfig));
        for &v in small.iter().chain(&other.small) {
            record_into(hist, v);
        }
        if let Some(other_hist) = &other.hist {
            add_into(hist, other_hist);
        }
    }
}

/// An auto-resizing histogram of `sigfig` digits, as the recorder builds.
pub(super) fn new_histogram<C: Counter>(sigfig: u8) -> Histogram<C> {
    Histogram::new(sigfig.clamp(1, 5)).expect("1..=5 significant digits are valid")
}

/// Adds `source` into `hist`; counts saturate rather than fail.
fn add_into<C: Counter>(hist: &mut Histogram<C>, source: &Histogram<C>) {
    if hist.add(source).is_err() {
        // Only when resizing fails (not on 64-bit targets): never lose the counts anyway.
        for v in source.iter_recorded() {
            hist.saturating_record_n(v.value_iterated_to(), v.count_at_value());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::histogram::APP_SIGFIG;

    fn recorder(values: &[u64]) -> LatencyHistogram {
        LatencyHistogram::from_values(APP_SIGFIG, values)
    }

    #[test]
    fn merging_few_values_stays_exact() {
        let mut a = recorder(&[5, 480_001, 7]);
        a.merge(&recorder(&[123_457, 99]));
        assert_eq!(a.exact_values().map(<[u64]>::len), Some(5));
        assert_eq!(
            a.summary(),
            recorder(&[5, 480_001, 7, 123_457, 99]).summary()
        );
    }

    #[test]
    fn merging_past_the_exact_limit_equals_one_recorder() {
        let values: Vec<u64> = (0..500u64).map(|i| i * i * 37 + 1).collect();
        let whole = recorder(&values);
        for split in [0, 1, 30, 64, 65, 200, 499, 500] {
            let mut a = recorder(&values[..split]);
            a.merge(&recorder(&values[split..]));
            assert_eq!(a.summary(), whole.summary(), "split at {split}");
            assert_eq!(a.count(), 500);
        }
    }

    #[test]
    fn rebuilt_from_its_histogram_it_summarizes_the_same() {
        let values: Vec<u64> = (1..=300u64).map(|i| i * 1_009).collect();
        let original = recorder(&values);
        let (min, max) = original.min_max().unwrap();
        let rebuilt =
            LatencyHistogram::from_histogram(APP_SIGFIG, original.to_histogram(), min, max);
        assert_eq!(rebuilt.summary(), original.summary());
        // Of another precision: copied into the recorder's own.
        let mut two_digits = Histogram::<u64>::new(2).unwrap();
        two_digits.record_n(1_000, 10).unwrap();
        let copied = LatencyHistogram::from_histogram(APP_SIGFIG, two_digits, 1_000, 1_000);
        assert_eq!(copied.to_histogram().sigfig(), APP_SIGFIG);
        assert_eq!(copied.summary().unwrap().p99, 1_000);
        let empty = LatencyHistogram::<u64>::from_histogram(3, Histogram::new(3).unwrap(), 0, 0);
        assert!(empty.summary().is_none());
    }

    #[test]
    fn an_empty_side_changes_nothing() {
        let mut a = recorder(&[10, 20]);
        a.merge(&recorder(&[]));
        assert_eq!(a.summary(), recorder(&[10, 20]).summary());
        let mut empty = recorder(&[]);
        empty.merge(&a);
        assert_eq!(empty.summary(), a.summary());
    }
}
