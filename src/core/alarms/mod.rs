//! CloudWatch-style threshold alarms evaluated on each final window (M out of N datapoints,
//! missing-data treatment). Pure: windows in, transitions out.
//!
//! - [`rule`]: what a rule is ([`AlarmRule`], built from `[[alarm]]` in the config file);
//! - [`evaluate`]: one evaluation with CloudWatch's semantics, tested against its documentation;
//! - [`engine`]: [`AlarmEngine`], one state per rule and application, fed final windows in order.

pub mod engine;
pub mod evaluate;
pub mod rule;

use std::sync::Arc;

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
    pub threshold: f64,
}

/// The current state of one alarm, for the TUI.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmStatus {
    pub alarm: Arc<str>,
    pub application: Arc<str>,
    pub metric: Arc<str>,
    /// `>`, `>=`, `<` or `<=`.
    pub comparison: &'static str,
    pub threshold: f64,
    pub state: AlarmState,
    /// Window start at which the current state was entered (`None`: since start-up).
    pub since: Option<i64>,
    /// Last evaluated value.
    pub value: Option<f64>,
    /// The last N datapoints, oldest first: `(window start, value)`; `None` = missing.
    pub datapoints: Vec<(i64, Option<f64>)>,
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

impl AlarmTransition {
    /// The headless output line (a contract; field order as documented, extra fields may follow):
    /// `{"type":"alarm","alarm":"checkout-5xx","application":"checkout","state":"ALARM",
    /// "previous":"OK","window_start":"2017-01-20T10:15:00Z","value":0.12,"threshold":0.05}`.
    /// `value` is null when the window had no datapoint.
    pub fn to_json(&self) -> serde_json::Value {
        let mut line = serde_json::Map::new();
        line.insert("type".into(), "alarm".into());
        line.insert("alarm".into(), self.alarm.as_ref().into());
        line.insert("application".into(), self.application.as_ref().into());
        line.insert("state".into(), self.state.as_str().into());
        line.insert("previous".into(), self.previous.as_str().into());
        line.insert("window_start".into(), rfc3339(self.window_start).into());
        line.insert(
            "value".into(),
            self.value.map_or(serde_json::Value::Null, json_number),
        );
        line.insert("threshold".into(), json_number(self.threshold));
        serde_json::Value::Object(line)
    }

    /// [`AlarmTransition::to_json`] plus what the rule says: `metric`, `comparison`,
    /// `evaluation_periods`, `datapoints_to_alarm` (what an action's script wants to know).
    pub fn to_json_with_rule(&self, rule: &AlarmRule) -> serde_json::Value {
        let mut line = self.to_json();
        if let serde_json::Value::Object(map) = &mut line {
            map.insert("metric".into(), rule.metric.as_str().into());
            map.insert("comparison".into(), rule.comparison.as_str().into());
            map.insert("evaluation_periods".into(), rule.evaluation_periods.into());
            map.insert(
                "datapoints_to_alarm".into(),
                rule.datapoints_to_alarm.into(),
            );
        }
        line
    }
}

/// RFC 3339 in UTC with `Z`; the bare number for a time outside what RFC 3339 can write.
pub(crate) fn rfc3339(epoch_secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch_secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| epoch_secs.to_string())
}

/// Whole numbers (counts, microseconds, thresholds such as `1000000`) as JSON integers, the rest
/// as floats; non-finite as null.
fn json_number(v: f64) -> serde_json::Value {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
        serde_json::Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transition(value: Option<f64>) -> AlarmTransition {
        AlarmTransition {
            alarm: Arc::from("checkout-5xx"),
            application: Arc::from("checkout"),
            state: AlarmState::Alarm,
            previous: AlarmState::Ok,
            window_start: 1_484_907_300,
            value,
            threshold: 0.05,
        }
    }

    #[test]
    fn alarm_line_is_exactly_the_contract() {
        assert_eq!(
            serde_json::to_string(&transition(Some(0.12)).to_json()).unwrap(),
            r#"{"type":"alarm","alarm":"checkout-5xx","application":"checkout","state":"ALARM","previous":"OK","window_start":"2017-01-20T10:15:00Z","value":0.12,"threshold":0.05}"#
        );
    }

    #[test]
    fn missing_value_is_null_and_whole_numbers_are_integers() {
        let line = transition(None).to_json();
        assert_eq!(line["value"], serde_json::Value::Null);
        let mut t = transition(Some(1_250_000.0));
        t.threshold = 1_000_000.0;
        t.state = AlarmState::InsufficientData;
        let text = serde_json::to_string(&t.to_json()).unwrap();
        assert!(text.contains(r#""state":"INSUFFICIENT_DATA""#), "{text}");
        assert!(
            text.ends_with(r#""value":1250000,"threshold":1000000}"#),
            "{text}"
        );
    }

    #[test]
    fn with_rule_adds_fields_after_the_contract() {
        let rule = AlarmRule::new(
            "checkout-5xx",
            "checkout",
            Metric::ErrorRate5xx,
            Comparison::Greater,
            0.05,
        )
        .m_of_n(2, 3);
        let text = serde_json::to_string(&transition(Some(0.12)).to_json_with_rule(&rule)).unwrap();
        assert!(
            text.ends_with(r#""threshold":0.05,"metric":"error-rate-5xx","comparison":">","evaluation_periods":3,"datapoints_to_alarm":2}"#),
            "{text}"
        );
    }
}
