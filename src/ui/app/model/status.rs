//! The status bar (top) and the key hints (bottom), as `view/status.rs` draws them.

use crate::pipeline::snapshot::{Snapshot, SourceStatus};
use crate::ui::app::format;
use crate::ui::app::keymap::{self, filter_hint, Action, FilterKey};
use crate::ui::app::state::{Panel, UiState, View};

use super::{safe, Segment, Tone};

/// Start-up that takes longer than this is shown as a warning.
const SLOW_START_SECS: i64 = 5;

/// The status bar before the first snapshot: what start-up waits for, and for how long.
pub fn waiting(ui: &UiState, now_ms: i64) -> Vec<Segment> {
    let wait = match &ui.starting {
        Some(step) => {
            let secs = (now_ms - step.since_ms) / 1000;
            Segment {
                text: match &step.problem {
                    Some(problem) => format!(
                        "⧗ {} · {} · {}",
                        safe(&step.what),
                        format::age(secs),
                        safe(problem)
                    ),
                    None => format!("⧗ {} · {}", safe(&step.what), format::age(secs)),
                },
                tone: if secs >= SLOW_START_SECS {
                    Tone::Warn
                } else {
                    Tone::Normal
                },
            }
        }
        None => Segment {
            text: "waiting for the first data…".into(),
            tone: Tone::Dim,
        },
    };
    vec![
        Segment {
            text: "kinetop".into(),
            tone: Tone::Accent,
        },
        wait,
    ]
}

pub fn status(
    snapshot: &Snapshot,
    ui: &UiState,
    index: Option<usize>,
    now_ms: i64,
    columns: u16,
) -> Vec<Segment> {
    // (priority: lower survives a narrow terminal, segment)
    let mut parts: Vec<(u8, Segment)> = Vec::new();
    let mut push = |priority, text: String, tone| parts.push((priority, Segment { text, tone }));
    push(0, "kinetop".into(), Tone::Accent);
    let source = &snapshot.source;
    let mut name = safe(&source.name);
    if source.parts > 1 {
        name.push_str(&format!(" ×{}", source.parts));
    }
    push(1, name, Tone::Normal);
    // What the mode mark says while data may not be flowing: `LIVE` would claim the screen is
    // current when an input is failing or has not started.
    let mut trouble = None;
    if let Some(problem) = &source.problem {
        push(0, format!("⚠ {}", safe(problem)), Tone::Bad);
        trouble = Some(("◌ DEGRADED", Tone::Bad));
    } else if let Some(wait) = waiting_part(source, now_ms) {
        push(0, wait.text, wait.tone);
        trouble = Some(("◌ WAITING", Tone::Warn));
    }
    // A finished input has no rate now; the last one measured would be a frozen lie.
    if !snapshot.finished {
        push(
            2,
            format!("{} ev/s", format::rate(snapshot.events_per_sec)),
            Tone::Normal,
        );
    }
    let c = &snapshot.counters;
    push(
        3,
        format!("{} parsed", format::grouped(c.parsed)),
        Tone::Normal,
    );
    push(
        2,
        format!("{} malformed", format::grouped(c.malformed)),
        if c.malformed > 0 {
            Tone::Warn
        } else {
            Tone::Dim
        },
    );
    if c.late > 0 {
        push(5, format!("{} late", format::grouped(c.late)), Tone::Warn);
    }
    if let Some(lag) = source.lag_ms {
        let tone = if lag > 60_000 {
            Tone::Warn
        } else {
            Tone::Normal
        };
        push(4, format!("lag {}", format::lag_ms(lag)), tone);
    }
    let meta = &snapshot.metadata;
    match (&meta.origin, &meta.error) {
        (_, Some(error)) => push(1, format!("metadata ⚠ {}", safe(error)), Tone::Bad),
        (Some(origin), None) => {
            // The file name says which table; the full path is in the config the operator wrote.
            let name = origin.rsplit('/').next().unwrap_or(origin);
            let age = meta
                .loaded_at
                .map(|t| format!(" {} old", format::age(now_ms / 1000 - t)))
                .unwrap_or_default();
            push(3, format!("{}{age}", safe(name)), Tone::Normal);
        }
        (None, None) => push(4, "no metadata".into(), Tone::Dim),
    }
    let (mode, tone) = match (ui.paused, ui.travel, index) {
        (true, _, _) => ("⏸ PAUSED".to_string(), Tone::Warn),
        (false, Some(_), Some(i)) => (
            format!("◀ PAST {}/{}", i + 1, snapshot.windows.len()),
            Tone::Warn,
        ),
        _ if snapshot.finished => ("■ ENDED".to_string(), Tone::Accent),
        _ => match trouble {
            Some((mark, tone)) => (mark.to_string(), tone),
            None => ("● LIVE".to_string(), Tone::Good),
        },
    };
    push(0, mode, tone);
    if let Some(notice) = ui.notice.as_ref().filter(|n| now_ms < n.until_ms) {
        let tone = if notice.bad { Tone::Bad } else { Tone::Good };
        push(0, notice.text.clone(), tone);
    }
    if let Some(i) = index {
        let w = &snapshot.windows[i];
        let width = format::width(snapshot.width_secs);
        // The date when the data kept spans more than one day; the zone always.
        let multi_day = multi_day(snapshot);
        let zone = format::zone_name(w.start);
        let text = if columns >= 150 {
            format!("{width} window {}", format::span(w.start, w.end))
        } else if columns >= 100 {
            let day = if multi_day {
                format!("{} ", format::date(w.start))
            } else {
                String::new()
            };
            format!(
                "{width} {day}{}–{} {zone}",
                format::clock(w.start),
                format::clock(w.end)
            )
        } else if snapshot.width_secs % 60 != 0 {
            // 10-second windows: without seconds both bounds would read `02:03`.
            format!(
                "{width} {}–{} {zone}",
                format::stamp_secs(w.start, multi_day),
                format::clock(w.end)
            )
        } else {
            format!(
                "{width} {}–{} {zone}",
                format::stamp(w.start, multi_day),
                format::clock_short(w.end)
            )
        };
        push(1, text, Tone::Accent);
    }
    fit(parts, columns as usize)
}

/// Whether the windows kept span more than one day: times then carry their date.
pub fn multi_day(snapshot: &Snapshot) -> bool {
    match (snapshot.windows.first(), snapshot.windows.last()) {
        (Some(first), Some(last)) => format::spans_days(first.start, last.end - 1),
        _ => false,
    }
}

/// An input that waits (a FIFO for a writer, a stream being connected to), said with how long:
/// `⧗ pipe.log waiting for a writer · 12s`.
fn waiting_part(source: &SourceStatus, now_ms: i64) -> Option<Segment> {
    let part = source.details.iter().find(|p| p.state.is_waiting())?;
    let name = part.name.rsplit('/').next().unwrap_or(&part.name);
    let secs = part
        .state_since_ms
        .map(|since| (now_ms - since).max(0) / 1000);
    let age = secs
        .map(|s| format!(" · {}", format::age(s)))
        .unwrap_or_default();
    Some(Segment {
        text: format!("⧗ {} {}{age}", safe(name), part.state),
        tone: if secs.unwrap_or(0) >= SLOW_START_SECS {
            Tone::Warn
        } else {
            Tone::Normal
        },
    })
}

/// Drops the least important segments until the line fits (`" │ "` between segments).
fn fit(mut parts: Vec<(u8, Segment)>, columns: usize) -> Vec<Segment> {
    let width = |parts: &[(u8, Segment)]| -> usize {
        parts
            .iter()
            .map(|(_, s)| s.text.chars().count() + 3)
            .sum::<usize>()
    };
    while width(&parts) > columns + 1 && parts.len() > 1 {
        // Only the essentials left: shorten the longest (a problem's text) rather than lose
        // the LIVE/PAUSED mark or the problem altogether.
        if parts.iter().all(|(p, _)| *p == 0) {
            let excess = width(&parts) - (columns + 1);
            if let Some((_, longest)) = parts.iter_mut().max_by_key(|(_, s)| s.text.chars().count())
            {
                let len = longest.text.chars().count();
                if len > excess + 8 {
                    let kept: String = longest.text.chars().take(len - excess - 1).collect();
                    longest.text = kept + "…";
                    continue;
                }
            }
        }
        let worst = parts
            .iter()
            .enumerate()
            .max_by_key(|(i, (p, _))| (*p, *i))
            .map(|(i, _)| i)
            .unwrap_or(0);
        parts.remove(worst);
    }
    parts.into_iter().map(|(_, s)| s).collect()
}

/// The hints of the view, fitted to the width: the last three (pause, help, quit) always stay.
pub fn hints(ui: &UiState, columns: u16) -> Vec<(&'static str, &'static str)> {
    let mut hints = all_hints(ui);
    let width = |h: &[(&str, &str)]| {
        h.iter()
            .map(|(k, w)| k.chars().count() + w.chars().count() + 3)
            .sum::<usize>()
    };
    let prompt = if ui.filtering {
        ui.top().filter.chars().count() + 14
    } else {
        0
    };
    while width(&hints) + prompt > columns as usize && hints.len() > 3 {
        hints.remove(hints.len() - 4);
    }
    hints
}

fn all_hints(ui: &UiState) -> Vec<(&'static str, &'static str)> {
    if ui.filtering {
        return vec![
            (filter_hint(FilterKey::Accept), "keep filter"),
            (filter_hint(FilterKey::Cancel), "clear"),
            (filter_hint(FilterKey::Move(Action::Up)), "move"),
        ];
    }
    let top = ui.top();
    // (the action whose keys the hint shows, what they do in this view)
    let side_panel = top.panel.zooms() && top.view.panels().contains(&top.panel);
    let mut hints: Vec<(Action, &'static str)> = match &top.view {
        _ if side_panel && top.zoomed => vec![
            (Action::Back, "back"),
            (Action::NextPanel, "next panel"),
            (Action::Earlier, "time"),
        ],
        _ if side_panel => {
            let mut h = vec![
                (Action::Enter, "full screen"),
                (Action::NextPanel, "next panel"),
                (Action::Earlier, "time"),
            ];
            if top.panel.scrolls() {
                h.insert(0, (Action::Up, "scroll"));
            }
            if top.view != View::Overview {
                h.push((Action::Back, "back"));
            }
            h
        }
        View::Overview if top.panel == Panel::Alarms => vec![
            (Action::Up, "alarm"),
            (Action::Acknowledge, "acknowledge"),
            (Action::Enter, "application"),
            (Action::NextPanel, "next panel"),
        ],
        View::Overview => vec![
            (Action::Up, "move"),
            (Action::Enter, "details"),
            (Action::Filter, "filter"),
            (Action::SortNext, "sort"),
            (Action::Earlier, "time"),
            (Action::NextPanel, "panels"),
            (Action::CycleWidth, "width"),
        ],
        // Narrow terminals drop hints from the end: `back` stays.
        View::App { .. } => vec![
            (Action::Up, "caller"),
            (Action::Enter, "caller detail"),
            (Action::Back, "back"),
            (Action::Latency, "latency"),
            (Action::Recent, "requests"),
            (Action::Filter, "filter"),
            (Action::SortNext, "sort"),
            (Action::Earlier, "time"),
            (Action::NextPanel, "panels"),
        ],
        View::Host { .. } => vec![
            (Action::Latency, "latency"),
            (Action::Recent, "requests"),
            (Action::Earlier, "time"),
            (Action::Back, "back"),
        ],
        View::Latency { .. } => vec![(Action::Earlier, "time"), (Action::Back, "back")],
        View::Recent { .. } => vec![(Action::Up, "scroll"), (Action::Back, "back")],
        View::Malformed => vec![(Action::Up, "scroll"), (Action::Back, "back")],
        View::Sources => vec![(Action::Up, "move"), (Action::Back, "back")],
        View::Alarms => vec![
            (Action::Up, "move"),
            (Action::Acknowledge, "acknowledge"),
            (Action::Enter, "application"),
            (Action::Filter, "filter"),
            (Action::Back, "back"),
        ],
        View::Help => vec![(Action::Up, "scroll"), (Action::Back, "close")],
    };
    if ui.travel.is_some() {
        hints.insert(0, (Action::Live, "live"));
        hints.insert(1, (Action::Oldest, "oldest/newest"));
    }
    hints.push((Action::Pause, if ui.paused { "resume" } else { "pause" }));
    hints.push((Action::Help, "help"));
    hints.push((Action::Quit, "quit"));
    hints
        .into_iter()
        .map(|(action, what)| (keymap::hint(action), what))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::status::{PartState, PartStatus};
    use crate::ui::app::fixtures;

    fn mode(snapshot: &Snapshot) -> String {
        let ui = UiState::default();
        let index = snapshot.windows.len().checked_sub(1);
        let status = status(snapshot, &ui, index, fixtures::NOW_MS, 200);
        status
            .into_iter()
            .map(|s| s.text)
            .find(|t| t.starts_with('●') || t.starts_with('◌') || t.starts_with('■'))
            .unwrap_or_default()
    }

    #[test]
    fn narrow_status_keeps_the_seconds_of_windows_shorter_than_a_minute() {
        let mut snapshot = fixtures::snapshot();
        let ui = UiState::default();
        let index = snapshot.windows.len() - 1;
        let text = |s: &Snapshot| -> String {
            status(s, &ui, Some(index), fixtures::NOW_MS, 80)
                .into_iter()
                .map(|seg| seg.text)
                .collect::<Vec<_>>()
                .join(" | ")
        };
        let w = &snapshot.windows[index];
        let minutes = format!(
            "{}–{}",
            format::clock_short(w.start),
            format::clock_short(w.end)
        );
        assert!(text(&snapshot).contains(&minutes), "{}", text(&snapshot));
        snapshot.width_secs = 10;
        let w = &snapshot.windows[index];
        let seconds = format!("{}–{}", format::clock(w.start), format::clock(w.end));
        assert!(text(&snapshot).contains(&seconds), "{}", text(&snapshot));
    }

    #[test]
    fn live_is_not_claimed_while_an_input_is_in_trouble() {
        let mut snapshot = fixtures::snapshot();
        snapshot.finished = false;
        snapshot.source.problem = None;
        snapshot.source.details.clear();
        assert_eq!(mode(&snapshot), "● LIVE");
        snapshot.source.details.push(PartStatus {
            name: "/tmp/pipe.log".into(),
            state: PartState::WaitingForWriter,
            state_since_ms: Some(fixtures::NOW_MS - 12_000),
            ..PartStatus::default()
        });
        assert_eq!(mode(&snapshot), "◌ WAITING");
        snapshot.source.problem = Some("kinesis: no answer from http://127.0.0.1:1".into());
        assert_eq!(mode(&snapshot), "◌ DEGRADED");
        snapshot.finished = true;
        assert_eq!(
            mode(&snapshot),
            "■ ENDED",
            "an ended input has nothing more to say"
        );
    }
}
