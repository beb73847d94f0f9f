//! The alarm panel of the overview and the alarm view (`a`).

use crate::core::alarms::AlarmState;
use crate::pipeline::snapshot::Snapshot;
use crate::ui::app::format;
use crate::ui::app::state::{AlarmKey, UiState};

use super::widgets::{matches_filter, safe};
use super::Tone;

/// Recent transitions in the alarm panel.
const RECENT_TRANSITIONS: usize = 20;

#[derive(Debug, Clone, PartialEq)]
pub struct AlarmLine {
    pub key: AlarmKey,
    pub text: String,
    pub state: AlarmState,
    pub acked: bool,
}

/// Active alarms (selectable, ALARM first) then recent transitions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlarmPanel {
    pub title: String,
    pub active: Vec<AlarmLine>,
    pub recent: Vec<AlarmLine>,
    pub empty: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlarmRow {
    pub key: AlarmKey,
    pub state: AlarmState,
    pub acked: bool,
    /// alarm, application, condition, state, since, value, datapoints.
    pub cells: [String; 7],
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlarmTable {
    pub rows: Vec<AlarmRow>,
    pub empty: Option<String>,
    /// What became of alarm actions (done, failed, dropped…), when rules have actions: one line
    /// below the table, in trouble's tone when any were dropped or failed.
    pub actions: Option<(String, Tone)>,
}

fn alarm_text(
    name: &str,
    app: &str,
    value: Option<f64>,
    comparison: &str,
    threshold: f64,
) -> String {
    format!(
        "{}  {}  {} {} {}",
        safe(name),
        safe(app),
        value.map(format::metric).unwrap_or_else(|| "–".into()),
        comparison,
        format::metric(threshold)
    )
}

pub fn alarm_panel(snapshot: &Snapshot, ui: &UiState) -> AlarmPanel {
    let view = &snapshot.alarms;
    let firing: Vec<_> = view
        .statuses
        .iter()
        .filter(|s| s.state == AlarmState::Alarm)
        .collect();
    let active = firing
        .iter()
        .map(|s| {
            let key = (s.alarm.clone(), s.application.clone());
            let since = s
                .since
                .map(|t| format!("  since {}", format::clock_short(t)))
                .unwrap_or_default();
            AlarmLine {
                text: format!(
                    "{}{since}",
                    alarm_text(&s.alarm, &s.application, s.value, s.comparison, s.threshold)
                ),
                acked: ui.acknowledged.contains(&key),
                key,
                state: s.state,
            }
        })
        .collect();
    let recent = view
        .recent
        .iter()
        .take(RECENT_TRANSITIONS)
        .map(|t| AlarmLine {
            key: (t.alarm.clone(), t.application.clone()),
            text: format!(
                "{} {} {} {}→{} {}",
                format::clock_short(t.window_start),
                safe(&t.alarm),
                safe(&t.application),
                short_state(t.previous),
                short_state(t.state),
                t.value.map(format::metric).unwrap_or_else(|| "–".into())
            ),
            state: t.state,
            acked: false,
        })
        .collect();
    let empty = if view.statuses.is_empty() {
        Some(
            "No alarm rules. Add [[alarm]] rules to the config file (see assets/config.toml)."
                .into(),
        )
    } else if firing.is_empty() && view.recent.is_empty() {
        Some(format!("All {} alarms OK.", view.statuses.len()))
    } else {
        None
    };
    AlarmPanel {
        title: format!(
            "Alarms · {} firing of {}",
            firing.len(),
            view.statuses.len()
        ),
        active,
        recent,
        empty,
    }
}

fn short_state(state: AlarmState) -> &'static str {
    match state {
        AlarmState::Ok => "OK",
        AlarmState::Alarm => "ALARM",
        AlarmState::InsufficientData => "INSUF",
    }
}

pub fn alarm_table(snapshot: &Snapshot, ui: &UiState, filter: &str) -> AlarmTable {
    let statuses = &snapshot.alarms.statuses;
    let rows: Vec<AlarmRow> = statuses
        .iter()
        .filter(|s| matches_filter(&s.alarm, filter) || matches_filter(&s.application, filter))
        .map(|s| {
            let key = (s.alarm.clone(), s.application.clone());
            let points: Vec<String> = s
                .datapoints
                .iter()
                .map(|(_, v)| v.map(format::metric).unwrap_or_else(|| "·".into()))
                .collect();
            AlarmRow {
                acked: ui.acknowledged.contains(&key),
                state: s.state,
                cells: [
                    safe(&s.alarm),
                    safe(&s.application),
                    format!(
                        "{} {} {}",
                        safe(&s.metric),
                        s.comparison,
                        format::metric(s.threshold)
                    ),
                    s.state.as_str().to_string(),
                    s.since.map(format::clock).unwrap_or_else(|| "start".into()),
                    s.value.map(format::metric).unwrap_or_else(|| "–".into()),
                    points.join(" "),
                ],
                key,
            }
        })
        .collect();
    let empty = if statuses.is_empty() {
        Some(
            "No alarm rules. Add [[alarm]] rules to the config file (see assets/config.toml)."
                .into(),
        )
    } else if rows.is_empty() {
        Some(format!("No alarm matches “{}”.", safe(filter)))
    } else {
        None
    };
    let actions = snapshot.actions.map(|a| {
        let tone = if a.dropped > 0 || a.failed > 0 || a.timed_out > 0 {
            Tone::Bad
        } else {
            Tone::Dim
        };
        let text = format!(
            "actions: {} done · {} failed · {} timed out · {} dropped",
            format::grouped(a.succeeded),
            format::grouped(a.failed),
            format::grouped(a.timed_out),
            format::grouped(a.dropped),
        );
        (text, tone)
    });
    AlarmTable {
        rows,
        empty,
        actions,
    }
}
