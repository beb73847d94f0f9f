//! CloudWatch-style threshold and anomaly band alarms evaluated on each final window (M out of N
//! datapoints, missing-data treatment). Pure: windows in, transitions out.
//!
//! - [`rule`]: what a rule is ([`AlarmRule`], built from `[[alarm]]` in the config file);
//! - [`band`]: the anomaly band a band rule judges each datapoint against;
//! - [`evaluate`]: one evaluation with CloudWatch's semantics, tested against its documentation;
//! - [`engine`]: [`AlarmEngine`], one state per rule and application, fed final windows in order.

pub mod band;
pub mod columns;
pub mod engine;
pub mod evaluate;
pub mod rule;

use std::sync::Arc;

pub use band::{Band, BandRule};
pub use columns::AlarmHistory;
pub use engine::AlarmEngine;
pub use rule::{
    ActionCommand, AlarmAction, AlarmRule, AppSelector, Comparison, Metric, TreatMissingData,
};

/// An alarm is one rule applied to one application: `(rule name, application)`.
pub type AlarmKey = (Arc<str>, Arc<str>);

/// Alarm state, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

impl AlarmState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// A state change of one alarm (one rule, one application).
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmTransition {
    pub alarm: Arc<str>,
    pub application: Arc<str>,
    pub state: AlarmState,
    pub previous: AlarmState,
    /// Start of the window whose evaluation caused the change (UTC epoch seconds).
    pub window_start: i64,
    /// The metric value in that window, `None` when the window had no datapoint.
    pub value: Option<f64>,
    /// The rule's threshold (a band rule's: its width in standard deviations).
    pub threshold: f64,
    /// Band rules: the band of that window, `None` while there is too little history for one
    /// (and always for threshold rules).
    pub band: Option<Band>,
}

/// What every alarm of one rule shares: named once per rule and shared by its statuses (at
/// 200,000 alarms, ~80 bytes a status copied into each of two views).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSummary {
    /// The rule's name (the alarm's name).
    pub name: Arc<str>,
    pub metric: Arc<str>,
    /// `>`, `>=`, `<`, `<=`, `outside-band`, `above-band` or `below-band`.
    pub comparison: &'static str,
    /// The threshold; a band rule's band width in standard deviations.
    pub threshold: f64,
    /// Band rules: the band's width and how many windows make it; `None` for threshold rules.
    pub band: Option<BandRule>,
    /// N, the rule's evaluation periods: how many datapoints [`AlarmStatus::datapoints`] gives.
    pub evaluation_periods: usize,
}

/// The current state of one alarm, for the TUI.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmStatus {
    pub rule: Arc<RuleSummary>,
    pub application: Arc<str>,
    pub state: AlarmState,
    /// Window start at which the current state was entered (`None`: since start-up).
    pub since: Option<i64>,
    /// Last evaluated value.
    pub value: Option<f64>,
    /// Every datapoint the alarm keeps, oldest first, each with how it was judged: the
    /// evaluation range (N + 2), and for a band rule at least its band windows + 1, each with
    /// its own band (what the alarm view draws). Shared with the engine, not copied.
    pub history: AlarmHistory,
}

impl AlarmStatus {
    /// The last N datapoints, oldest first: `(window start, value)`, `None` = missing. Windows
    /// from before the alarm existed are shown as missing, so there are always N once anything
    /// was evaluated; `width_secs` is the width of the windows evaluated.
    pub fn datapoints(&self, width_secs: i64) -> Vec<(i64, Option<f64>)> {
        let n = self.rule.evaluation_periods;
        let history = self.history.to_vec();
        let Some(first) = history.first().map(|d| d.start) else {
            return Vec::new();
        };
        let have = history.len().min(n);
        let pad = n - have;
        (1..=pad)
            .rev()
            .map(|i| (first - i as i64 * width_secs, None))
            .chain(
                history[history.len() - have..]
                    .iter()
                    .map(|d| (d.start, d.value)),
            )
            .collect()
    }
}

/// One window's datapoint of one alarm, as it was judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Datapoint {
    /// Window start, UTC epoch seconds.
    pub start: i64,
    /// `None`: the window had no datapoint (missing data).
    pub value: Option<f64>,
    /// Band rules: the band made of the windows before this one (`None` with too little
    /// history, and for threshold rules).
    pub band: Option<Band>,
    /// Whether the value breached; `None` when missing, or for a band rule without a band.
    pub breaching: Option<bool>,
}

/// Everything the TUI needs about alarms, shared in each snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlarmsView {
    /// Every alarm (rule × application), ALARM first.
    pub statuses: Vec<AlarmStatus>,
    /// Recent transitions, newest first, bounded.
    pub recent: Vec<AlarmTransition>,
    /// Width of the windows evaluated (seconds); 0 without alarms.
    pub width_secs: i64,
}
