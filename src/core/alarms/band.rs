//! Anomaly bands: what a metric's recent windows say its next value should be.
//!
//! The band of a window is `mean ± band × spread` over the datapoints of the `band-windows`
//! windows before it (windows without a datapoint are left out), where `spread` is their sample
//! standard deviation, but at least 1 % of the mean: a perfectly flat series would otherwise make
//! any change at all an anomaly. The low bound is never below 0 (every metric is a count, a rate, a
//! share or a latency). With fewer than [`min_points`] datapoints there is no band, and the value
//! cannot be judged.
//!
//! CloudWatch's anomaly detection trains a model on two weeks of data; kinetop has what it has
//! seen since it started, so the band is a rolling one, and says so.

/// The expected range of a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    pub low: f64,
    pub high: f64,
}

/// A band rule's parameters: `band` standard deviations over `band-windows` windows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandRule {
    /// Half-width of the band, in standard deviations.
    pub width: f64,
    /// How many windows before the one judged make its band.
    pub windows: usize,
}

impl BandRule {
    pub const DEFAULT_WIDTH: f64 = 2.0;
    pub const DEFAULT_WINDOWS: usize = 12;
    /// The smallest `band-windows`: a spread needs a few values.
    pub const MIN_WINDOWS: usize = 3;
    /// The widest band accepted, in standard deviations.
    pub const MAX_WIDTH: f64 = 100.0;

    /// The band from the datapoints of the windows before the one judged (missing ones left
    /// out); `None` with fewer than [`min_points`] of them.
    pub fn band(&self, values: impl IntoIterator<Item = f64>) -> Option<Band> {
        let (mut n, mut mean, mut m2) = (0usize, 0.0f64, 0.0f64);
        // Welford: one pass, no loss of precision on large values.
        for v in values.into_iter().filter(|v| v.is_finite()) {
            n += 1;
            let delta = v - mean;
            mean += delta / n as f64;
            m2 += delta * (v - mean);
        }
        if n < min_points(self.windows) {
            return None;
        }
        let std_dev = (m2 / (n - 1) as f64).sqrt();
        let spread = std_dev.max(mean.abs() * MIN_RELATIVE_SPREAD);
        Some(Band {
            low: (mean - self.width * spread).max(0.0),
            high: mean + self.width * spread,
        })
    }
}

/// The smallest spread, as a share of the mean (see the module's documentation).
pub const MIN_RELATIVE_SPREAD: f64 = 0.01;

/// Datapoints a band needs: half of `windows`, and at least 3.
pub fn min_points(windows: usize) -> usize {
    windows.div_ceil(2).max(BandRule::MIN_WINDOWS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(width: f64, windows: usize) -> BandRule {
        BandRule { width, windows }
    }

    #[test]
    fn mean_plus_minus_width_sample_standard_deviations() {
        // mean 10, sample std dev sqrt(40/4) = sqrt(10).
        let band = rule(2.0, 5).band([6.0, 8.0, 10.0, 12.0, 14.0]).unwrap();
        let sd = 10f64.sqrt();
        assert!((band.low - (10.0 - 2.0 * sd)).abs() < 1e-9, "{band:?}");
        assert!((band.high - (10.0 + 2.0 * sd)).abs() < 1e-9, "{band:?}");
        let wide = rule(3.0, 5).band([6.0, 8.0, 10.0, 12.0, 14.0]).unwrap();
        assert!(wide.high > band.high && wide.low < band.low);
    }

    #[test]
    fn too_few_datapoints_make_no_band() {
        // 12 windows: at least 6 datapoints.
        assert_eq!(min_points(12), 6);
        assert_eq!(min_points(3), 3);
        assert_eq!(min_points(13), 7);
        assert_eq!(rule(2.0, 12).band([1.0; 5]), None);
        assert!(rule(2.0, 12).band([1.0; 6]).is_some());
        assert_eq!(rule(2.0, 3).band([]), None);
        // Not-a-number values never count (no metric gives them, but a band must not be NaN).
        assert_eq!(rule(2.0, 3).band([1.0, f64::NAN, 1.0]), None);
    }

    #[test]
    fn a_flat_series_still_has_a_band_and_it_never_goes_below_zero() {
        let band = rule(2.0, 4).band([100.0; 4]).unwrap();
        assert_eq!(
            band,
            Band {
                low: 98.0,
                high: 102.0
            }
        );
        let zero = rule(2.0, 4).band([0.0; 4]).unwrap();
        assert_eq!(
            zero,
            Band {
                low: 0.0,
                high: 0.0
            }
        );
        let spread = rule(2.0, 4).band([1.0, 9.0, 1.0, 9.0]).unwrap();
        assert_eq!(spread.low, 0.0, "clamped at 0: {spread:?}");
    }

    #[test]
    fn large_values_keep_their_precision() {
        let base = 1e12;
        let band = rule(1.0, 3)
            .band([base + 1.0, base + 2.0, base + 3.0])
            .unwrap();
        // Sample std dev 1, but at least 1 % of the mean.
        assert!((band.high - (base + 2.0 + (base + 2.0) * 0.01)).abs() < 1.0);
    }
}
