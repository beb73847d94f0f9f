//! A validated alarm rule: what is measured, how it is compared, how missing data is treated and
//! what runs on a transition. Built from the config file by `crate::config`; pure data.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::band::{Band, BandRule};
use crate::core::AppWindow;

/// What a rule measures in each window of one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    Requests,
    RequestsPerSecond,
    Bytes,
    ErrorRate4xx,
    ErrorRate5xx,
    P50LatencyUs,
    P90LatencyUs,
    P99LatencyUs,
    MaxLatencyUs,
    Hosts,
}

impl Metric {
    pub const ALL: [Metric; 10] = [
        Metric::Requests,
        Metric::RequestsPerSecond,
        Metric::Bytes,
        Metric::ErrorRate4xx,
        Metric::ErrorRate5xx,
        Metric::P50LatencyUs,
        Metric::P90LatencyUs,
        Metric::P99LatencyUs,
        Metric::MaxLatencyUs,
        Metric::Hosts,
    ];

    /// The name used in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Requests => "requests",
            Metric::RequestsPerSecond => "requests-per-second",
            Metric::Bytes => "bytes",
            Metric::ErrorRate4xx => "error-rate-4xx",
            Metric::ErrorRate5xx => "error-rate-5xx",
            Metric::P50LatencyUs => "p50-latency-us",
            Metric::P90LatencyUs => "p90-latency-us",
            Metric::P99LatencyUs => "p99-latency-us",
            Metric::MaxLatencyUs => "max-latency-us",
            Metric::Hosts => "hosts",
        }
    }

    /// The datapoint of this metric for one application in one window of `width_secs`.
    /// `None` (a missing datapoint) where the window cannot say: error rates of a window
    /// without requests, latencies of a log without a latency field.
    pub fn value(self, app: &AppWindow, width_secs: i64) -> Option<f64> {
        let latency = |pick: fn(&crate::core::LatencySummary) -> u64| {
            app.latency
                .as_ref()
                .filter(|l| l.count > 0)
                .map(|l| pick(l) as f64)
        };
        match self {
            Metric::Requests => Some(app.requests as f64),
            Metric::RequestsPerSecond => Some(app.requests as f64 / width_secs.max(1) as f64),
            Metric::Bytes => Some(app.bytes as f64),
            Metric::ErrorRate4xx => (app.requests > 0).then(|| app.error_rate_4xx()),
            Metric::ErrorRate5xx => (app.requests > 0).then(|| app.error_rate_5xx()),
            Metric::P50LatencyUs => latency(|l| l.p50),
            Metric::P90LatencyUs => latency(|l| l.p90),
            Metric::P99LatencyUs => latency(|l| l.p99),
            Metric::MaxLatencyUs => latency(|l| l.max),
            Metric::Hosts => Some(app.hosts as f64),
        }
    }

    /// Whether values are whole numbers (counts, microseconds): shown and written without a
    /// fraction.
    pub fn is_integral(self) -> bool {
        !matches!(
            self,
            Metric::RequestsPerSecond | Metric::ErrorRate4xx | Metric::ErrorRate5xx
        )
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Metric {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.as_str()).collect();
                format!("unknown metric {s:?}; expected one of {}", names.join(", "))
            })
    }
}

/// How a datapoint is judged: against the threshold, or against its anomaly band (see
/// [`super::band`]). A datapoint that satisfies the comparison is breaching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    /// Above the band's high bound or below its low bound.
    OutsideBand,
    AboveBand,
    BelowBand,
}

impl Comparison {
    pub const ALL: [Comparison; 7] = [
        Comparison::Greater,
        Comparison::GreaterOrEqual,
        Comparison::Less,
        Comparison::LessOrEqual,
        Comparison::OutsideBand,
        Comparison::AboveBand,
        Comparison::BelowBand,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::OutsideBand => "outside-band",
            Comparison::AboveBand => "above-band",
            Comparison::BelowBand => "below-band",
        }
    }

    /// Whether datapoints are judged against an anomaly band rather than a threshold.
    pub fn is_band(self) -> bool {
        matches!(
            self,
            Comparison::OutsideBand | Comparison::AboveBand | Comparison::BelowBand
        )
    }

    /// A threshold comparison; never true for a band comparison (see [`Comparison::breaches_band`]).
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Greater => value > threshold,
            Comparison::GreaterOrEqual => value >= threshold,
            Comparison::Less => value < threshold,
            Comparison::LessOrEqual => value <= threshold,
            Comparison::OutsideBand | Comparison::AboveBand | Comparison::BelowBand => false,
        }
    }

    /// A band comparison (a value on a bound is inside); never true for a threshold comparison.
    pub fn breaches_band(self, value: f64, band: Band) -> bool {
        match self {
            Comparison::OutsideBand => value < band.low || value > band.high,
            Comparison::AboveBand => value > band.high,
            Comparison::BelowBand => value < band.low,
            _ => false,
        }
    }
}

impl FromStr for Comparison {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            ">" => Ok(Comparison::Greater),
            ">=" => Ok(Comparison::GreaterOrEqual),
            "<" => Ok(Comparison::Less),
            "<=" => Ok(Comparison::LessOrEqual),
            "outside-band" => Ok(Comparison::OutsideBand),
            "above-band" => Ok(Comparison::AboveBand),
            "below-band" => Ok(Comparison::BelowBand),
            _ => Err(format!(
                "unknown comparison {s:?}; expected one of >, >=, <, <=, outside-band, \
                 above-band, below-band"
            )),
        }
    }
}

/// CloudWatch's `TreatMissingData`, with its meanings (see `evaluate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TreatMissingData {
    /// Missing datapoints are not considered; all missing → INSUFFICIENT_DATA.
    #[default]
    Missing,
    /// Missing datapoints count as breaching.
    Breaching,
    /// Missing datapoints count as not breaching.
    NotBreaching,
    /// Missing datapoints keep the current state.
    Ignore,
}

impl TreatMissingData {
    pub fn as_str(self) -> &'static str {
        match self {
            TreatMissingData::Missing => "missing",
            TreatMissingData::Breaching => "breaching",
            TreatMissingData::NotBreaching => "not-breaching",
            TreatMissingData::Ignore => "ignore",
        }
    }
}

impl FromStr for TreatMissingData {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "missing" => Ok(TreatMissingData::Missing),
            "breaching" => Ok(TreatMissingData::Breaching),
            "not-breaching" => Ok(TreatMissingData::NotBreaching),
            "ignore" => Ok(TreatMissingData::Ignore),
            _ => Err(format!(
                "unknown treat-missing-data {s:?}; expected one of missing, breaching, \
                 not-breaching, ignore"
            )),
        }
    }
}

/// Which applications a rule watches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppSelector {
    /// One application by name (`unknown` included).
    One(Arc<str>),
    /// `*`: every application separately, each with its own state.
    Each,
}

impl AppSelector {
    pub fn parse(text: &str) -> AppSelector {
        if text == "*" {
            AppSelector::Each
        } else {
            AppSelector::One(Arc::from(text))
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            AppSelector::One(name) => name,
            AppSelector::Each => "*",
        }
    }
}

/// A program to run, given the alarm as JSON on its standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionCommand {
    /// Run with `sh -c`.
    Shell(String),
    /// Program and arguments, run directly (no shell).
    Argv(Vec<String>),
}

/// What to do on a transition: run a command and/or append the alarm line to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmAction {
    pub command: Option<ActionCommand>,
    /// The command is killed when it runs longer.
    pub timeout: Duration,
    /// A JSON Lines file; created if absent, its directory must exist.
    pub append: Option<PathBuf>,
}

impl AlarmAction {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
}

/// A validated `[[alarm]]` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmRule {
    pub name: Arc<str>,
    pub application: AppSelector,
    pub metric: Metric,
    pub comparison: Comparison,
    /// The threshold; for a band rule, the band's width in standard deviations (as CloudWatch
    /// gives an anomaly detection alarm's threshold).
    pub threshold: f64,
    /// Band rules: the band's width and the windows it is made of; `None` for a threshold rule.
    pub band: Option<BandRule>,
    /// N: how many recent windows are looked at (≥ 1).
    pub evaluation_periods: usize,
    /// M: how many of those must breach (1 ≤ M ≤ N).
    pub datapoints_to_alarm: usize,
    pub treat_missing_data: TreatMissingData,
    /// Runs on every transition to ALARM.
    pub on_alarm: Option<AlarmAction>,
    /// Runs when the alarm recovers: enters OK after having been in ALARM.
    pub on_ok: Option<AlarmAction>,
}

impl AlarmRule {
    /// A 1-out-of-1 rule without actions that treats missing data as `missing`; adjust with
    /// [`AlarmRule::m_of_n`] and [`AlarmRule::missing_data`].
    pub fn new(
        name: &str,
        application: &str,
        metric: Metric,
        comparison: Comparison,
        threshold: f64,
    ) -> Self {
        AlarmRule {
            name: Arc::from(name),
            application: AppSelector::parse(application),
            metric,
            comparison,
            threshold,
            band: None,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            treat_missing_data: TreatMissingData::Missing,
            on_alarm: None,
            on_ok: None,
        }
    }

    /// ALARM when `m` of the last `n` datapoints breach.
    pub fn m_of_n(mut self, m: usize, n: usize) -> Self {
        self.datapoints_to_alarm = m;
        self.evaluation_periods = n;
        self
    }

    pub fn missing_data(mut self, treat: TreatMissingData) -> Self {
        self.treat_missing_data = treat;
        self
    }

    /// A band rule: `comparison` (one of the band comparisons) against `width` standard
    /// deviations over the previous `windows` windows; 1 out of 1, missing data `missing`.
    pub fn band(
        name: &str,
        application: &str,
        metric: Metric,
        comparison: Comparison,
        width: f64,
        windows: usize,
    ) -> Self {
        AlarmRule {
            band: Some(BandRule { width, windows }),
            ..AlarmRule::new(name, application, metric, comparison, width)
        }
    }

    /// Whether `value` breaches: against the threshold, or for a band rule against `band` (the
    /// band of its window). `None`: a band rule without a band yet cannot judge.
    pub fn judge(&self, value: f64, band: Option<Band>) -> Option<bool> {
        if self.band.is_some() {
            band.map(|b| self.comparison.breaches_band(value, b))
        } else {
            Some(self.comparison.breaches(value, self.threshold))
        }
    }

    /// How many recent windows an evaluation looks at: more than N, as CloudWatch retrieves
    /// more datapoints than the evaluation periods (5 for N = 3, its documented example).
    pub fn evaluation_range(&self) -> usize {
        self.evaluation_periods + 2
    }

    /// How many recent datapoints an alarm of this rule keeps: its evaluation range, and for a
    /// band rule also the windows its band is made of.
    pub fn kept_datapoints(&self) -> usize {
        let band = self.band.map_or(0, |b| b.windows + 1);
        self.evaluation_range().max(band)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Metric::ALL {
            assert_eq!(m.as_str().parse::<Metric>(), Ok(m));
        }
        for c in Comparison::ALL {
            assert_eq!(c.as_str().parse::<Comparison>(), Ok(c));
        }
        let err = "outside".parse::<Comparison>().unwrap_err();
        assert!(err.contains("outside-band"), "{err}");
        for t in ["missing", "breaching", "not-breaching", "ignore"] {
            assert_eq!(t.parse::<TreatMissingData>().unwrap().as_str(), t);
        }
        let err = "error-rate".parse::<Metric>().unwrap_err();
        assert!(err.contains("error-rate-5xx"), "{err}");
        assert!("=>".parse::<Comparison>().is_err());
        assert!("notBreaching".parse::<TreatMissingData>().is_err());
    }

    #[test]
    fn comparisons() {
        assert!(Comparison::Greater.breaches(0.06, 0.05));
        assert!(!Comparison::Greater.breaches(0.05, 0.05));
        assert!(Comparison::GreaterOrEqual.breaches(0.05, 0.05));
        assert!(Comparison::Less.breaches(1.0, 2.0));
        assert!(!Comparison::Less.breaches(2.0, 2.0));
        assert!(Comparison::LessOrEqual.breaches(2.0, 2.0));
        let band = Band {
            low: 10.0,
            high: 20.0,
        };
        for (c, below, on_low, inside, on_high, above) in [
            (Comparison::OutsideBand, true, false, false, false, true),
            (Comparison::AboveBand, false, false, false, false, true),
            (Comparison::BelowBand, true, false, false, false, false),
            (Comparison::Greater, false, false, false, false, false),
        ] {
            let judged: Vec<bool> = [9.9, 10.0, 15.0, 20.0, 20.1]
                .iter()
                .map(|&v| c.breaches_band(v, band))
                .collect();
            assert_eq!(judged, [below, on_low, inside, on_high, above], "{c:?}");
        }
        assert!(!Comparison::OutsideBand.breaches(1e9, 0.0));
    }

    #[test]
    fn a_band_rule_cannot_judge_without_a_band() {
        let rule = AlarmRule::band("b", "api", Metric::Requests, Comparison::AboveBand, 2.0, 12);
        let band = Band {
            low: 10.0,
            high: 20.0,
        };
        assert_eq!(rule.judge(25.0, None), None);
        assert_eq!(rule.judge(25.0, Some(band)), Some(true));
        assert_eq!(rule.judge(5.0, Some(band)), Some(false));
        assert_eq!(rule.threshold, 2.0);
        assert_eq!(rule.kept_datapoints(), 13);
        let threshold = AlarmRule::new("t", "api", Metric::Requests, Comparison::Greater, 1.0);
        assert_eq!(threshold.judge(2.0, Some(band)), Some(true));
        assert_eq!(threshold.kept_datapoints(), 3);
    }
}
