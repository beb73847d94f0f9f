//! The alarm states the screen shows: those of now, or, in time travel, those of the window on
//! screen, rebuilt from the kept transitions (the state after the last transition at or before
//! that window; else the state before the first one after it), with that window's own value.

use std::collections::HashMap;

use crate::core::alarms::engine::RECENT_TRANSITIONS;
use crate::core::alarms::{AlarmKey, AlarmState, AlarmStatus, AlarmTransition, Metric};
use crate::pipeline::snapshot::Snapshot;
use crate::ui::app::format;

/// One alarm as the screen shows it.
#[derive(Debug, Clone)]
pub struct ShownAlarm<'a> {
    pub status: &'a AlarmStatus,
    pub state: AlarmState,
    /// Window start at which `state` was entered (`None`: since start-up, or not known).
    pub since: Option<i64>,
    pub value: Option<f64>,
}

/// Every alarm as of the window on screen.
#[derive(Debug, Clone, Default)]
pub struct ShownAlarms<'a> {
    pub alarms: Vec<ShownAlarm<'a>>,
    /// The window shown when it is a past one: its start.
    pub past: Option<i64>,
    /// Why past states may be wrong, when they may.
    pub caveat: Option<String>,
}

impl ShownAlarm<'_> {
    /// The alarm's key (rule, application): made when asked, not for each of 200,000 alarms
    /// per snapshot.
    pub fn key(&self) -> AlarmKey {
        (
            self.status.rule.name.clone(),
            self.status.application.clone(),
        )
    }

    /// Whether this is the alarm of `key`, without making this one's key.
    pub fn has_key(&self, key: &AlarmKey) -> bool {
        *self.status.rule.name == *key.0 && *self.status.application == *key.1
    }
}

impl ShownAlarms<'_> {
    pub fn firing(&self) -> impl Iterator<Item = &ShownAlarm<'_>> {
        self.alarms.iter().filter(|a| a.state == AlarmState::Alarm)
    }

    pub fn count(&self, state: AlarmState) -> usize {
        self.alarms.iter().filter(|a| a.state == state).count()
    }

    /// The transitions to list: those up to the window shown.
    pub fn transitions<'s>(
        &self,
        snapshot: &'s Snapshot,
    ) -> impl Iterator<Item = &'s AlarmTransition> + 's {
        let until = self.past.unwrap_or(i64::MAX);
        snapshot
            .alarms
            .recent
            .iter()
            .filter(move |t| t.window_start <= until)
    }
}

/// The alarms as of the window at `index` (`past`: time travel shows an older window than the
/// newest).
pub fn shown_alarms(snapshot: &Snapshot, index: Option<usize>, past: bool) -> ShownAlarms<'_> {
    let view = &snapshot.alarms;
    let window = index.and_then(|i| snapshot.windows.get(i));
    let (Some(window), true) = (window, past) else {
        return ShownAlarms {
            alarms: view
                .statuses
                .iter()
                .map(|s| ShownAlarm {
                    status: s,
                    state: s.state,
                    since: s.since,
                    value: s.value,
                })
                .collect(),
            past: None,
            caveat: None,
        };
    };
    let start = window.start;
    let mut by_key: HashMap<(&str, &str), Vec<&AlarmTransition>> = HashMap::new();
    // Newest first, as kept.
    for t in &view.recent {
        by_key
            .entry((&t.alarm, &t.application))
            .or_default()
            .push(t);
    }
    let oldest_kept = view.recent.last().map(|t| t.window_start);
    let caveat = (view.recent.len() >= RECENT_TRANSITIONS
        && oldest_kept.is_some_and(|o| start < o))
    .then(|| {
        format!(
            "alarm states before {} are not kept: shown as now",
            format::clock_short(oldest_kept.unwrap_or(start))
        )
    });
    // The window's own datapoint, when the alarms evaluate windows of this width.
    let same_width = view.width_secs == snapshot.width_secs;
    let alarms = view
        .statuses
        .iter()
        .map(|s| {
            let kept = by_key
                .get(&(&*s.rule.name, &*s.application))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let (state, since) = match kept.iter().find(|t| t.window_start <= start) {
                Some(t) => (t.state, Some(t.window_start)),
                None => match kept.last() {
                    // The oldest kept transition after the window: the state before it.
                    Some(t) => (t.previous, None),
                    None => (s.state, s.since.filter(|&since| since <= start)),
                },
            };
            let value = if same_width {
                let metric = s.rule.metric.parse::<Metric>().ok();
                window
                    .app(&s.application)
                    .zip(metric)
                    .and_then(|(app, m)| m.value(app, snapshot.width_secs))
            } else {
                None
            };
            ShownAlarm {
                status: s,
                state,
                since,
                value,
            }
        })
        .collect();
    ShownAlarms {
        alarms,
        past: Some(start),
        caveat,
    }
}
