//! The alarm engine: one state per rule and application, evaluated on each final window in
//! order. Windows in which nothing happened are never reported by the aggregator, so the engine
//! fills such gaps itself: every skipped window is a window without datapoints for every alarm.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use super::columns::{AlarmHistory, RuleColumns};
use super::evaluate::{evaluate, WindowVerdict};
use super::{
    AlarmRule, AlarmState, AlarmStatus, AlarmTransition, AlarmsView, AppSelector, Datapoint,
    RuleSummary,
};
use crate::core::app_names::{precedes, same_name};
use crate::core::{AppWindow, WindowSummary};

/// How many transitions [`AlarmsView::recent`] keeps: enough for the TUI to tell the state of
/// every alarm in a past window (time travel) over a long history; ~100 bytes each.
pub const RECENT_TRANSITIONS: usize = 2_000;

/// One alarm: a rule applied to one application.
#[derive(Debug, Clone)]
struct Track {
    state: AlarmState,
    since: Option<i64>,
    /// Its row in the rule's columns: the datapoints kept ([`AlarmRule::kept_datapoints`]),
    /// each judged when it came; windows from before the alarm existed are not there.
    row: usize,
}

impl Track {
    fn new(row: usize) -> Self {
        Track {
            state: AlarmState::InsufficientData,
            since: None,
            row,
        }
    }
}

#[derive(Debug, Clone)]
struct RuleAlarms {
    rule: Arc<AlarmRule>,
    /// What the views' statuses say of the rule, made once.
    summary: Arc<RuleSummary>,
    /// By application; one entry for a single-application rule, one per application seen for `*`.
    alarms: BTreeMap<Arc<str>, Track>,
    /// Every alarm's datapoints, shared with the views (copied on write while one holds them).
    columns: Arc<RuleColumns>,
}

/// Evaluates every rule on each final window. Pure and deterministic: the same windows give the
/// same transitions, in the same order (window by window; within one, rule order, then
/// application name).
#[derive(Debug, Clone)]
pub struct AlarmEngine {
    width_secs: i64,
    rules: Vec<RuleAlarms>,
    /// Start of the newest window evaluated.
    last_start: Option<i64>,
    /// Newest last.
    recent: VecDeque<AlarmTransition>,
    generation: u64,
}

impl AlarmEngine {
    /// `width_secs`: the width of the windows that will be evaluated (> 0).
    pub fn new(rules: Vec<AlarmRule>, width_secs: i64) -> Self {
        let rules = rules
            .into_iter()
            .map(|rule| {
                let mut alarms = BTreeMap::new();
                let mut columns = RuleColumns::new(rule.kept_datapoints(), rule.band.is_some());
                if let AppSelector::One(app) = &rule.application {
                    alarms.insert(app.clone(), Track::new(columns.add_row()));
                }
                RuleAlarms {
                    summary: Arc::new(RuleSummary {
                        name: rule.name.clone(),
                        metric: Arc::from(rule.metric.as_str()),
                        comparison: rule.comparison.as_str(),
                        threshold: rule.threshold,
                        band: rule.band,
                        evaluation_periods: rule.evaluation_periods,
                    }),
                    rule: Arc::new(rule),
                    alarms,
                    columns: Arc::new(columns),
                }
            })
            .collect();
        AlarmEngine {
            width_secs: width_secs.max(1),
            rules,
            last_start: None,
            recent: VecDeque::new(),
            generation: 0,
        }
    }

    pub fn width_secs(&self) -> i64 {
        self.width_secs
    }

    pub fn rules(&self) -> impl Iterator<Item = &AlarmRule> {
        self.rules.iter().map(|r| r.rule.as_ref())
    }

    /// The rule of an alarm by its (unique) name.
    pub fn rule(&self, name: &str) -> Option<&AlarmRule> {
        self.rules().find(|r| r.name.as_ref() == name)
    }

    /// Start of the newest window evaluated.
    pub fn last_window_start(&self) -> Option<i64> {
        self.last_start
    }

    /// Changes with every evaluation that changed anything: a cheap "is the view stale?" test.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The state of one alarm, if it exists (a `*` rule's alarm exists once its application has
    /// appeared).
    pub fn state(&self, rule: &str, application: &str) -> Option<AlarmState> {
        self.rules
            .iter()
            .find(|r| r.rule.name.as_ref() == rule)
            .and_then(|r| r.alarms.get(application))
            .map(|t| t.state)
    }

    /// Evaluates the next final window, after evaluating every window skipped since the last one
    /// as a window without datapoints. Windows not newer than the last one are ignored.
    /// Returns the transitions it caused, oldest first.
    pub fn evaluate(&mut self, window: &WindowSummary) -> Vec<AlarmTransition> {
        let mut out = Vec::new();
        if let Some(last) = self.last_start {
            if window.start <= last {
                return out;
            }
            let skipped = ((window.start - last) / self.width_secs - 1).max(0);
            // After a whole evaluation range of empty windows every state is settled (all missing
            // gives the same answer again), so a long gap costs at most that many evaluations.
            // A band rule's band is made of more windows: those are emptied too.
            let settle = self
                .rules
                .iter()
                .map(|r| r.rule.kept_datapoints())
                .max()
                .unwrap_or(0) as i64;
            for i in 1..=skipped.min(settle) {
                self.step(last + i * self.width_secs, None, &mut out);
            }
            if skipped > settle {
                for i in (skipped - settle + 1).max(settle + 1)..=skipped {
                    self.record_only(last + i * self.width_secs);
                }
            }
        }
        self.step(window.start, Some(window), &mut out);
        self.last_start = Some(window.start);
        for t in &out {
            if self.recent.len() == RECENT_TRANSITIONS {
                self.recent.pop_front();
            }
            self.recent.push_back(t.clone());
        }
        self.generation += 1;
        out
    }

    /// Evaluates every alarm on the window starting at `start` (`None`: a skipped window).
    fn step(&mut self, start: i64, window: Option<&WindowSummary>, out: &mut Vec<AlarmTransition>) {
        let width = self.width_secs;
        let mut range = Vec::new();
        for rules in &mut self.rules {
            let rule = &rules.rule;
            let columns = Arc::make_mut(&mut rules.columns);
            let apps: &[AppWindow] = window.map_or(&[], |w| &w.apps);
            if let AppSelector::Each = &rule.application {
                // Both in name order: the applications new to the rule found in one walk.
                let mut known = rules.alarms.keys().peekable();
                let new: Vec<Arc<str>> = apps
                    .iter()
                    .filter(|app| {
                        let name = &app.application;
                        while known.next_if(|k| precedes(k, name)).is_some() {}
                        known.next_if(|k| same_name(k, name)).is_none()
                    })
                    .map(|app| app.application.clone())
                    .collect();
                for name in new {
                    rules.alarms.insert(name, Track::new(columns.add_row()));
                }
            }
            columns.advance(start);
            let span = rule.evaluation_range();
            // The alarms and the window's applications are both in name order: each alarm's
            // application is found by walking the window alongside, not by a binary search of
            // string comparisons per alarm (at 200,000 alarms, most of an evaluation).
            let mut walk = apps.iter().peekable();
            for (application, track) in &mut rules.alarms {
                while walk
                    .next_if(|a| precedes(&a.application, application))
                    .is_some()
                {}
                let value = walk
                    .next_if(|a| same_name(&a.application, application))
                    .and_then(|app| rule.metric.value(app, width));
                let point = judged(rule, columns, track.row, start, value);
                columns.set(track.row, &point);
                // The newest `span` datapoints, newest first, then the windows before the alarm
                // existed as unknown; turned oldest first.
                range.clear();
                range.extend(columns.row(track.row).rev().take(span).map(|d| {
                    match (d.value, d.breaching) {
                        (None, _) => WindowVerdict::Missing,
                        (Some(_), Some(true)) => WindowVerdict::Breaching,
                        (Some(_), Some(false)) => WindowVerdict::NotBreaching,
                        // A band rule whose band has too little history yet: no opinion.
                        (Some(_), None) => WindowVerdict::Unknown,
                    }
                }));
                range.resize(span, WindowVerdict::Unknown);
                range.reverse();
                let state = evaluate(
                    &range,
                    rule.evaluation_periods,
                    rule.datapoints_to_alarm,
                    rule.treat_missing_data,
                    track.state,
                );
                if state != track.state {
                    out.push(AlarmTransition {
                        alarm: rule.name.clone(),
                        application: application.clone(),
                        state,
                        previous: track.state,
                        window_start: start,
                        value,
                        threshold: rule.threshold,
                        band: point.band,
                    });
                    track.state = state;
                    track.since = Some(start);
                }
            }
        }
    }

    /// Records a skipped window without evaluating (states are settled).
    fn record_only(&mut self, start: i64) {
        for rules in &mut self.rules {
            let rule = &rules.rule;
            let columns = Arc::make_mut(&mut rules.columns);
            columns.advance(start);
            for track in rules.alarms.values() {
                let point = judged(rule, columns, track.row, start, None);
                columns.set(track.row, &point);
            }
        }
    }

    /// Every alarm's state (ALARM first, then by name and application) and the recent
    /// transitions (newest first).
    pub fn view(&self) -> AlarmsView {
        // Made in order rather than sorted: rules by name, each rule's alarms by application
        // (its map's order), then ALARM moved first by a stable sort on the state alone.
        // Sorting 200,000 statuses by name and application compared two strings per step.
        let mut rules: Vec<&RuleAlarms> = self.rules.iter().collect();
        rules.sort_by(|a, b| a.rule.name.cmp(&b.rule.name));
        // Rule names are unique (the configuration says so); rules sharing one would interleave
        // their alarms by application, which only a full sort gives.
        let unique = rules.windows(2).all(|w| w[0].rule.name != w[1].rule.name);
        // Sized once: grown by doubling, 200,000 statuses briefly needed half as much again.
        let count = rules.iter().map(|r| r.alarms.len()).sum();
        let mut statuses: Vec<AlarmStatus> = Vec::with_capacity(count);
        statuses.extend(rules.iter().flat_map(|rules| {
            rules
                .alarms
                .iter()
                .map(move |(application, track)| AlarmStatus {
                    rule: Arc::clone(&rules.summary),
                    application: application.clone(),
                    state: track.state,
                    since: track.since,
                    value: rules
                        .columns
                        .row(track.row)
                        .next_back()
                        .and_then(|d| d.value),
                    history: AlarmHistory::Row {
                        columns: Arc::clone(&rules.columns),
                        row: track.row,
                    },
                })
        }));
        let not_alarm = |s: &AlarmStatus| s.state != AlarmState::Alarm;
        if unique {
            statuses.sort_by_key(not_alarm);
        } else {
            statuses.sort_by(|a, b| {
                not_alarm(a)
                    .cmp(&not_alarm(b))
                    .then_with(|| a.rule.name.cmp(&b.rule.name))
                    .then_with(|| a.application.cmp(&b.application))
            });
        }
        AlarmsView {
            statuses,
            recent: self.recent.iter().rev().cloned().collect(),
            width_secs: self.width_secs,
        }
    }
}

/// The datapoint of the window starting at `start` for the alarm in `row`, judged: a band
/// rule's band is made of the datapoints kept before it (the columns have just advanced to
/// `start`: the row's newest slot is this window's, not yet set).
fn judged(
    rule: &AlarmRule,
    columns: &RuleColumns,
    row: usize,
    start: i64,
    value: Option<f64>,
) -> Datapoint {
    let band = rule.band.and_then(|b| {
        b.band(
            columns
                .earlier(row)
                .rev()
                .take(b.windows)
                .filter_map(|d| d.value),
        )
    });
    Datapoint {
        start,
        value,
        band,
        breaching: value.and_then(|v| rule.judge(v, band)),
    }
}

#[cfg(test)]
mod tests;
