//! The alarm panel of the overview and the alarm view (`a`), as of the window on screen, values
//! in each metric's unit, states said plainly.

use std::collections::HashMap;
use std::sync::Arc;

use crate::core::alarms::{AlarmState, AlarmStatus, AlarmTransition};
use crate::pipeline::snapshot::Snapshot;
use crate::ui::app::format;
use crate::ui::app::state::{AlarmKey, UiState};

use super::alarm_chart::alarm_chart;
use super::alarm_states::{shown_alarms, ShownAlarm, ShownAlarms};
use super::status::multi_day;
use super::widgets::{matches_filter, safe, Chart};
use super::{Mark, Tone};

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
    /// The title for a narrow panel (`INSUF` for INSUFFICIENT_DATA).
    pub short_title: String,
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
    /// The selected alarm's recent values with its band or threshold.
    pub chart: Option<Chart>,
}

/// Whether the window at `index` is a past one (time travel), not the newest.
pub fn is_past(snapshot: &Snapshot, ui: &UiState, index: Option<usize>) -> bool {
    ui.travel.is_some() && index.is_some_and(|i| i + 1 < snapshot.windows.len())
}

/// The alarm mark of each application with an alarm in ALARM, as of the window on screen.
pub fn alarm_marks(
    snapshot: &Snapshot,
    ui: &UiState,
    index: Option<usize>,
) -> HashMap<Arc<str>, Mark> {
    let shown = shown_alarms(snapshot, index, is_past(snapshot, ui, index));
    let mut marks: HashMap<Arc<str>, Mark> = HashMap::new();
    for a in shown.firing() {
        let mark = marks
            .entry(a.status.application.clone())
            .or_insert(Mark::Acked);
        if !ui.acknowledged.contains(&a.key()) {
            *mark = Mark::Alarm;
        }
    }
    marks
}

/// `32% > 10%  5xx-errors  payments`: value and threshold in the metric's unit, first, so a
/// narrow panel shortens the names, never the numbers.
fn alarm_text(a: &ShownAlarm) -> String {
    let s = a.status;
    let (value, threshold) = match a.value {
        // A band rule's threshold is the band's width in standard deviations, not a value.
        Some(v) if s.rule.band.is_some() => {
            (format::metric_value(&s.rule.metric, v), band_width(s))
        }
        Some(v) => format::metric_pair(&s.rule.metric, v, s.rule.threshold),
        None => ("–".into(), threshold_text(s)),
    };
    format!(
        "{value} {} {threshold}  {}  {}",
        s.rule.comparison,
        safe(&s.rule.name),
        safe(&s.application),
    )
}

/// A rule's threshold as the condition reads it: in the metric's unit, or a band's `2σ`.
fn threshold_text(s: &AlarmStatus) -> String {
    if s.rule.band.is_some() {
        band_width(s)
    } else {
        format::metric_value(&s.rule.metric, s.rule.threshold)
    }
}

fn band_width(s: &AlarmStatus) -> String {
    format!("{}σ", format::metric(s.rule.threshold))
}

/// The counts of each state, said plainly: `2 ALARM · 10 OK · 3 INSUFFICIENT_DATA`.
fn state_counts(shown: &ShownAlarms) -> String {
    [
        AlarmState::Alarm,
        AlarmState::Ok,
        AlarmState::InsufficientData,
    ]
    .into_iter()
    .filter_map(|state| {
        let n = shown.count(state);
        (n > 0).then(|| format!("{n} {}", state.as_str()))
    })
    .collect::<Vec<_>>()
    .join(" · ")
}

const NO_RULES: &str =
    "No alarm rules. Add [[alarm]] rules to the config file (see assets/config.toml).";

pub fn alarm_panel(snapshot: &Snapshot, ui: &UiState, index: Option<usize>) -> AlarmPanel {
    let shown = shown_alarms(snapshot, index, is_past(snapshot, ui, index));
    // One entry per rule: statuses of a rule are listed together (within each state), so only
    // a change of rule is looked up, not each of 200,000 alarms.
    let mut metric_of: HashMap<&str, &str> = HashMap::new();
    let mut last: Option<&Arc<str>> = None;
    for s in &snapshot.alarms.statuses {
        if !last.is_some_and(|l| Arc::ptr_eq(l, &s.rule.name)) {
            metric_of.insert(&s.rule.name, &s.rule.metric);
            last = Some(&s.rule.name);
        }
    }
    let dated = multi_day(snapshot);
    let active = shown
        .firing()
        .map(|a| {
            let since = a
                .since
                .map(|t| format!("  since {}", format::stamp(t, dated)))
                .unwrap_or_default();
            let key = a.key();
            AlarmLine {
                text: format!("{}{since}", alarm_text(a)),
                acked: ui.acknowledged.contains(&key),
                key,
                state: a.state,
            }
        })
        .collect();
    let recent = recent_lines(shown.transitions(snapshot), &metric_of, dated);
    let total = shown.alarms.len();
    let firing = shown.count(AlarmState::Alarm);
    let insufficient = shown.count(AlarmState::InsufficientData);
    let empty = if total == 0 {
        Some(NO_RULES.into())
    } else if firing == 0 && insufficient == 0 && recent.is_empty() {
        Some(format!("All {total} alarms OK."))
    } else if firing == 0 && insufficient > 0 && recent.is_empty() {
        Some(format!(
            "No alarm firing; {insufficient} of {total} have too little data to decide \
             (INSUFFICIENT_DATA)."
        ))
    } else {
        None
    };
    let at = shown
        .past
        .map(|past| format!(" as of {}", format::stamp(past, multi_day(snapshot))))
        .unwrap_or_default();
    let mut title = format!("Alarms{at} · {}", state_counts(&shown));
    let short_title = title.replace("INSUFFICIENT_DATA", "INSUF");
    if let Some(caveat) = &shown.caveat {
        title.push_str(&format!(" · {caveat}"));
    }
    AlarmPanel {
        title,
        short_title,
        active,
        recent,
        empty,
    }
}

/// The recent transitions, newest first, at most [`RECENT_TRANSITIONS`] lines. An alarm that
/// flips between OK and INSUFFICIENT_DATA on sparse data is one folded line (`OK⇄INSUF ×6`), so
/// it cannot push the transitions that matter out of sight.
fn recent_lines<'a>(
    transitions: impl Iterator<Item = &'a AlarmTransition>,
    metric_of: &HashMap<&str, &str>,
    dated: bool,
) -> Vec<AlarmLine> {
    struct Entry<'a> {
        newest: &'a AlarmTransition,
        oldest_start: i64,
        flips: usize,
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut open_fold: HashMap<(&str, &str), usize> = HashMap::new();
    for t in transitions {
        let key = (&*t.alarm, &*t.application);
        let flip = matches!(
            (t.previous, t.state),
            (AlarmState::Ok, AlarmState::InsufficientData)
                | (AlarmState::InsufficientData, AlarmState::Ok)
        );
        if !flip {
            open_fold.remove(&key);
        } else if let Some(&i) = open_fold.get(&key) {
            entries[i].flips += 1;
            entries[i].oldest_start = t.window_start;
            continue;
        } else {
            open_fold.insert(key, entries.len());
        }
        if entries.len() == RECENT_TRANSITIONS {
            break;
        }
        entries.push(Entry {
            newest: t,
            oldest_start: t.window_start,
            flips: 1,
        });
    }
    entries
        .into_iter()
        .map(|e| {
            let t = e.newest;
            let metric = metric_of.get(&*t.alarm).copied().unwrap_or("");
            let text = if e.flips > 1 {
                format!(
                    "{}–{} OK⇄INSUF ×{} {} {} (sparse data)",
                    format::stamp(e.oldest_start, dated),
                    format::stamp(t.window_start, dated),
                    e.flips,
                    safe(&t.alarm),
                    safe(&t.application),
                )
            } else {
                format!(
                    "{} {}→{} {} {} {}",
                    format::stamp(t.window_start, dated),
                    short_state(t.previous),
                    short_state(t.state),
                    t.value
                        .map(|v| format::metric_value(metric, v))
                        .unwrap_or_else(|| "–".into()),
                    safe(&t.alarm),
                    safe(&t.application),
                )
            };
            AlarmLine {
                key: (t.alarm.clone(), t.application.clone()),
                text,
                state: t.state,
                acked: false,
            }
        })
        .collect()
}

fn short_state(state: AlarmState) -> &'static str {
    match state {
        AlarmState::Ok => "OK",
        AlarmState::Alarm => "ALARM",
        AlarmState::InsufficientData => "INSUF",
    }
}

pub fn alarm_table(
    snapshot: &Snapshot,
    ui: &UiState,
    index: Option<usize>,
    filter: &str,
) -> AlarmTable {
    let shown = shown_alarms(snapshot, index, is_past(snapshot, ui, index));
    let dated = multi_day(snapshot);
    let rows: Vec<AlarmRow> = shown
        .alarms
        .iter()
        .filter(|a| {
            matches_filter(&a.status.rule.name, filter)
                || matches_filter(&a.status.application, filter)
        })
        .map(|a| {
            let s = a.status;
            let points: Vec<String> = s
                .datapoints(snapshot.alarms.width_secs)
                .iter()
                .filter(|(start, _)| shown.past.is_none_or(|past| *start <= past))
                .map(|(_, v)| {
                    v.map(|v| format::metric_value(&s.rule.metric, v))
                        .unwrap_or_else(|| "·".into())
                })
                .collect();
            let key = a.key();
            AlarmRow {
                acked: ui.acknowledged.contains(&key),
                state: a.state,
                cells: [
                    safe(&s.rule.name),
                    safe(&s.application),
                    format!(
                        "{} {} {}",
                        safe(&s.rule.metric),
                        s.rule.comparison,
                        threshold_text(s)
                    ),
                    a.state.as_str().to_string(),
                    a.since
                        .map(|t| {
                            if dated {
                                format!("{} {}", format::date(t), format::clock(t))
                            } else {
                                format::clock(t)
                            }
                        })
                        .unwrap_or_else(|| "start".into()),
                    a.value
                        .map(|v| format::metric_value(&s.rule.metric, v))
                        .unwrap_or_else(|| "–".into()),
                    points.join(" "),
                ],
                key,
            }
        })
        .collect();
    let empty = if shown.alarms.is_empty() {
        Some(NO_RULES.into())
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
    let chart = rows.get(ui.top().selected).and_then(|row| {
        let selected = shown.alarms.iter().find(|a| a.has_key(&row.key))?;
        alarm_chart(selected.status, shown.past)
    });
    AlarmTable {
        rows,
        empty,
        actions,
        chart,
    }
}
