//! UI state: selection, drill-down stack, filters, sort, time travel. Pure; no terminal.
//!
//! [`App`] takes snapshots, keys, mouse events and resizes, updates the [`UiState`] and rebuilds the
//! [`ViewModel`] the views draw from. The event loop in `crate::ui::terminal` only moves events in and frames out.

pub mod export;
pub mod fixtures;
pub mod format;
pub mod keymap;
pub mod model;
pub mod state;

use std::collections::HashSet;
use std::sync::Arc;

use crossterm::event::KeyEvent;

use crate::core::alarms::AlarmState;
use crate::pipeline::progress::StartStep;
use crate::pipeline::snapshot::Snapshot;

use keymap::{Action, FilterKey};
use model::{Body, ModelCache, ViewModel};
use state::{AlarmKey, ItemKey, Notice, Panel, UiState, View};

use crate::output::csv_export::ExportTable;
use std::path::PathBuf;

/// How long a notice (an export's result) stays in the status bar.
const NOTICE_MS: i64 = 15_000;

/// What the event loop must do after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    pub redraw: bool,
    pub quit: bool,
    /// Ask the engine for windows of this width.
    pub set_width: Option<i64>,
    /// A new alarm fired: ring the bell (once).
    pub bell: bool,
    /// Ctrl-Z: give the terminal back and stop until `fg`.
    pub suspend: bool,
    /// `e`: write [`App::take_export`] to a CSV file, then tell [`App::on_exported`].
    pub export: bool,
}

impl Outcome {
    fn redraw() -> Self {
        Outcome {
            redraw: true,
            ..Outcome::default()
        }
    }
}

/// The whole UI: state, the snapshot on screen and the view model derived from both.
#[derive(Debug)]
pub struct App {
    pub ui: UiState,
    /// The newest snapshot from the engine.
    latest: Option<Arc<Snapshot>>,
    /// The snapshot on screen (older than `latest` while paused).
    shown: Option<Arc<Snapshot>>,
    pub model: ViewModel,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Wall clock, UTC epoch milliseconds (ages in the status bar).
    pub now_ms: i64,
    /// The widths `w` cycles through.
    widths: Vec<i64>,
    /// Alarms in ALARM in the latest snapshot, to ring the bell once per new one.
    firing: HashSet<AlarmKey>,
    /// The rows `e` asked to export, until the event loop takes them.
    export: Option<ExportTable>,
    /// What one view model keeps for the next.
    cache: ModelCache,
}

impl App {
    pub fn new(widths: Vec<i64>, size: (u16, u16), now_ms: i64) -> Self {
        let ui = UiState::default();
        let model = ViewModel::build(None, &ui, now_ms, size.0);
        App {
            ui,
            latest: None,
            shown: None,
            model,
            size,
            now_ms,
            widths,
            firing: HashSet::new(),
            export: None,
            cache: ModelCache::default(),
        }
    }

    /// The widths `w` cycles through, once the pipeline runs.
    pub fn set_widths(&mut self, widths: Vec<i64>) {
        self.widths = widths;
    }

    /// Start-up waits for something new (before the first snapshot).
    pub fn on_start_step(&mut self, step: StartStep) -> Outcome {
        self.ui.starting = Some(step);
        self.rebuild();
        Outcome::redraw()
    }

    /// The `seq` of the newest snapshot taken in.
    pub fn latest_seq(&self) -> Option<u64> {
        self.latest.as_ref().map(|s| s.seq)
    }

    /// The snapshot on screen.
    pub fn shown(&self) -> Option<&Arc<Snapshot>> {
        self.shown.as_ref()
    }

    pub fn on_snapshot(&mut self, snapshot: Arc<Snapshot>) -> Outcome {
        let firing: HashSet<AlarmKey> = snapshot
            .alarms
            .statuses
            .iter()
            .filter(|s| s.state == AlarmState::Alarm)
            .map(|s| (s.rule.name.clone(), s.application.clone()))
            .collect();
        let bell = firing.iter().any(|k| !self.firing.contains(k));
        // An acknowledgement lasts until the alarm clears.
        self.ui.acknowledged.retain(|k| firing.contains(k));
        self.firing = firing;
        let given_up_before = self.latest.as_ref().map_or(0, |s| s.widths_given_up.len());
        if snapshot.widths_given_up.len() > given_up_before {
            if let Some(text) = model::widths_given_up_short(&snapshot) {
                self.ui.notice = Some(Notice {
                    text,
                    bad: true,
                    until_ms: self.now_ms + NOTICE_MS,
                });
            }
        }
        if !snapshot.widths.is_empty() {
            self.widths.clone_from(&snapshot.widths);
        }
        let changed_width = self.latest.as_ref().map(|s| s.width_secs) != Some(snapshot.width_secs);
        self.latest = Some(snapshot.clone());
        if changed_width && !self.ui.paused {
            self.ui.travel = None;
        }
        if !self.ui.paused {
            self.shown = Some(snapshot);
        }
        self.rebuild();
        Outcome {
            bell,
            ..Outcome::redraw()
        }
    }

    /// The clock moved: only the status bar (ages) changes, the lists are not rebuilt.
    pub fn on_tick(&mut self, now_ms: i64) -> Outcome {
        self.now_ms = now_ms;
        if self.ui.top().view == View::Sources {
            // How long each input has been in its state grows by the second.
            self.rebuild();
            return Outcome::redraw();
        }
        self.model
            .refresh_status(self.shown.as_deref(), &self.ui, now_ms, self.size.0);
        Outcome::redraw()
    }

    pub fn on_resize(&mut self, columns: u16, rows: u16) -> Outcome {
        self.size = (columns, rows);
        self.rebuild();
        Outcome::redraw()
    }

    /// Rebuilds the view model; each selection follows its item (an application, caller or
    /// alarm) wherever it moved, or stays at its place (its neighbour) if the item is gone.
    pub fn rebuild(&mut self) {
        self.model = ViewModel::build_with(
            self.shown.as_ref(),
            &self.ui,
            self.now_ms,
            self.size.0,
            &mut self.cache,
        );
        let len = self.list_len();
        let top = self
            .ui
            .stack
            .last_mut()
            .expect("the view stack always holds the overview");
        if let Some(at) = top
            .selected_key
            .as_ref()
            .and_then(|k| self.model.list_position(k))
        {
            top.selected = at;
        }
        top.selected = top.selected.min(len.saturating_sub(1));
        top.selected_key = self.model.list_key(top.selected);
        let active = self.model.active_alarms();
        if let Some(at) = top
            .alarm_key
            .as_ref()
            .and_then(|k| active.iter().position(|a| a.key == *k))
        {
            top.alarm_selected = at;
        }
        top.alarm_selected = top.alarm_selected.min(active.len().saturating_sub(1));
        top.alarm_key = active.get(top.alarm_selected).map(|a| a.key.clone());
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Outcome {
        if self.ui.filtering {
            return match keymap::filter_key(key) {
                Some(k) => self.filter_key(k),
                None => Outcome::default(),
            };
        }
        match keymap::action(key) {
            Some(action) => self.act(action),
            None => Outcome::default(),
        }
    }

    fn filter_key(&mut self, key: FilterKey) -> Outcome {
        let top = self.ui.top_mut();
        match key {
            FilterKey::Char(c) => {
                top.filter.push(c);
                top.select(0);
            }
            FilterKey::Backspace => {
                top.filter.pop();
                top.select(0);
            }
            FilterKey::Accept => self.ui.filtering = false,
            FilterKey::Cancel => {
                top.filter.clear();
                top.select(0);
                self.ui.filtering = false;
            }
            FilterKey::Move(action) => return self.act(action),
            FilterKey::Quit => {
                return Outcome {
                    quit: true,
                    ..Outcome::default()
                }
            }
        }
        self.rebuild();
        Outcome::redraw()
    }

    /// Performs one action.
    pub fn act(&mut self, action: Action) -> Outcome {
        let mut outcome = Outcome::redraw();
        let page = (self.size.1 as usize).saturating_sub(14).max(1);
        match action {
            Action::Quit => {
                return Outcome {
                    quit: true,
                    ..Outcome::default()
                }
            }
            Action::Suspend => {
                return Outcome {
                    suspend: true,
                    ..Outcome::default()
                }
            }
            Action::Help => self.toggle(View::Help),
            Action::Malformed => self.toggle(View::Malformed),
            Action::Sources => self.toggle(View::Sources),
            Action::Alarms => self.toggle(View::Alarms),
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(page as isize)),
            Action::PageDown => self.move_by(page as isize),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::Enter => self.enter(),
            Action::Back => {
                let top = self.ui.top_mut();
                if top.zoomed {
                    top.zoomed = false;
                } else if top.filter.is_empty() {
                    self.ui.pop();
                } else {
                    top.filter.clear();
                    top.select(0);
                }
            }
            Action::NextPanel => self.next_panel(1),
            Action::PrevPanel => self.next_panel(-1),
            Action::Filter => {
                let top = self.ui.top();
                if matches!(top.view, View::Overview | View::App { .. } | View::Alarms) {
                    self.ui.filtering = true;
                    self.ui.top_mut().panel = Panel::Table;
                }
            }
            Action::SortNext | Action::SortReverse => {
                if let Some(kind) = self.ui.top().view.table() {
                    let sort = self.ui.sort_mut(kind);
                    *sort = if action == Action::SortNext {
                        sort.next(kind)
                    } else {
                        state::Sort {
                            reversed: !sort.reversed,
                            ..*sort
                        }
                    };
                }
            }
            Action::Pause => {
                self.ui.paused = !self.ui.paused;
                if !self.ui.paused {
                    self.shown = self.latest.clone();
                }
            }
            Action::CycleWidth => {
                let current = self.latest.as_ref().map(|s| s.width_secs);
                if let Some(next) = next_width(&self.widths, current) {
                    outcome.set_width = Some(next);
                }
            }
            Action::Earlier => self.travel(-1),
            Action::Later => self.travel(1),
            Action::Oldest => self.travel(isize::MIN / 2),
            Action::Newest => self.ui.travel = None,
            Action::Live => self.ui.travel = None,
            Action::Acknowledge => self.acknowledge(),
            Action::Export => {
                match export::export_table(self.shown.as_deref(), &self.ui, &self.model) {
                    Some(table) => {
                        self.export = Some(table);
                        outcome.export = true;
                    }
                    None => {
                        self.ui.notice = Some(Notice {
                            text: "nothing to export here: e writes the overview, callers, \
                                   paths, alarms or requests"
                                .into(),
                            bad: true,
                            until_ms: self.now_ms + NOTICE_MS,
                        })
                    }
                }
            }
            Action::Recent => {
                if let Some((app, host)) = self.selected_app_or_caller() {
                    self.ui.push(View::Recent { app, host });
                }
            }
            Action::Latency => {
                let view = match (&self.ui.top().view, &self.model.body) {
                    (View::App { app }, _) => Some(View::Latency {
                        app: app.clone(),
                        host: None,
                    }),
                    (View::Host { app, host }, _) => Some(View::Latency {
                        app: app.clone(),
                        host: Some(host.clone()),
                    }),
                    (View::Overview, Body::Overview(o)) => {
                        o.rows
                            .name(self.ui.top().selected)
                            .map(|name| View::Latency {
                                app: name.clone(),
                                host: None,
                            })
                    }
                    _ => None,
                };
                if let Some(view) = view {
                    self.ui.push(view);
                }
            }
        }
        self.rebuild();
        outcome
    }

    /// The rows `e` asked for, to write.
    pub fn take_export(&mut self) -> Option<ExportTable> {
        self.export.take()
    }

    /// What became of an export: the status bar says where the file is, or why there is none.
    pub fn on_exported(&mut self, rows: usize, result: Result<PathBuf, String>) -> Outcome {
        self.ui.notice = Some(match result {
            // The path first: a narrow status bar cuts the end.
            Ok(path) => Notice {
                text: format!(
                    "CSV → {} · {} row{}",
                    model::safe(&path.display().to_string()),
                    format::grouped(rows as u64),
                    if rows == 1 { "" } else { "s" },
                ),
                bad: false,
                until_ms: self.now_ms + NOTICE_MS,
            },
            Err(e) => Notice {
                text: format!("export failed: {}", model::safe(&e)),
                bad: true,
                until_ms: self.now_ms + NOTICE_MS,
            },
        });
        self.model
            .refresh_status(self.shown.as_deref(), &self.ui, self.now_ms, self.size.0);
        Outcome::redraw()
    }

    /// The application (and caller) `r` is about: the view's own, or the overview's selected row.
    fn selected_app_or_caller(&self) -> Option<(Arc<str>, Option<Arc<str>>)> {
        match (&self.ui.top().view, &self.model.body) {
            (View::App { app }, _) => Some((app.clone(), None)),
            (View::Host { app, host }, _)
            | (
                View::Latency {
                    app,
                    host: Some(host),
                },
                _,
            ) => Some((app.clone(), Some(host.clone()))),
            (View::Latency { app, host: None }, _) => Some((app.clone(), None)),
            (View::Overview, Body::Overview(o)) if self.ui.top().panel == Panel::Table => o
                .rows
                .name(self.ui.top().selected)
                .map(|name| (name.clone(), None)),
            _ => None,
        }
    }

    fn toggle(&mut self, view: View) {
        if self.ui.top().view == view {
            self.ui.pop();
        } else {
            self.ui.push(view);
        }
    }

    /// Positions the selection (or, in the help, the scroll) can take.
    fn list_len(&self) -> usize {
        if self.ui.top().view == View::Help {
            // The help scrolls by its first row; the last position shows its last row.
            let head = match &self.model.body {
                model::Body::Help(history) => keymap::help_head_lines(history, self.size.0),
                _ => 1,
            };
            let (rows, shown) = keymap::help_layout(self.size.1.saturating_sub(1 + head));
            return rows.len() - shown + 1;
        }
        self.model.list_len()
    }

    fn move_by(&mut self, delta: isize) {
        let panel = self.ui.top().panel;
        let len = match panel {
            p if p.scrolls() => self.model.panel_len(panel),
            Panel::Alarms => self.model.active_alarms().len(),
            _ => self.list_len(),
        };
        let top = self.ui.top_mut();
        let index = match panel {
            p if p.scrolls() => top.cursors.get(&panel).copied().unwrap_or(0),
            Panel::Alarms => top.alarm_selected,
            _ => top.selected,
        };
        let last = len.saturating_sub(1) as isize;
        let index = (index as isize).saturating_add(delta).clamp(0, last.max(0)) as usize;
        match panel {
            Panel::Codes | Panel::Paths | Panel::Agents | Panel::Referers => {
                top.cursors.insert(panel, index);
            }
            Panel::Alarms => {
                top.alarm_selected = index;
                top.alarm_key = None;
            }
            // The chart and the latency bars have no rows to move through.
            Panel::Chart | Panel::Latency => {}
            Panel::Table => top.select(index),
        }
    }

    /// Moves the focus `step` panels on (wrapping); a full-screen panel gives way to the next.
    fn next_panel(&mut self, step: isize) {
        let top = self.ui.top_mut();
        let panels = top.view.panels();
        let at = panels.iter().position(|p| *p == top.panel).unwrap_or(0) as isize;
        let next = (at + step).rem_euclid(panels.len() as isize) as usize;
        top.panel = panels[next];
        top.zoomed = top.zoomed && top.panel.zooms();
    }

    fn enter(&mut self) {
        let top = self.ui.top_mut();
        if top.panel.zooms() {
            top.zoomed = !top.zoomed;
            return;
        }
        let top = self.ui.top();
        let next = match (&top.view, &self.model.body) {
            (View::Overview, Body::Overview(o)) if top.panel == Panel::Alarms => {
                o.alarms.active.get(top.alarm_selected).map(|a| View::App {
                    app: a.key.1.clone(),
                })
            }
            (View::Overview, Body::Overview(o)) => {
                let Some(row) = o.rows.get(top.selected) else {
                    return;
                };
                // Found by a caller (`/10.2.3.4`): open the application on that caller.
                let caller = row.caller_match.as_ref().map(|m| m.host.clone());
                self.ui.push(View::App {
                    app: row.name.clone(),
                });
                if let Some(host) = caller {
                    self.ui.top_mut().selected_key = Some(ItemKey::Name(host));
                }
                return;
            }
            (View::App { app }, Body::App(a)) => a.callers.get(top.selected).map(|c| View::Host {
                app: app.clone(),
                host: c.host.clone(),
            }),
            (View::Alarms, Body::Alarms(a)) => a.rows.get(top.selected).map(|r| View::App {
                app: r.key.1.clone(),
            }),
            _ => None,
        };
        if let Some(view) = next {
            self.ui.push(view);
        }
    }

    /// Moves the window on screen by `step` windows over the kept history; past the newest = live.
    fn travel(&mut self, step: isize) {
        let Some(snapshot) = self.shown.as_ref() else {
            return;
        };
        let Some(current) = model::picked_window(snapshot, self.ui.travel) else {
            return;
        };
        let last = snapshot.windows.len() - 1;
        let target = (current as isize + step).clamp(0, last as isize) as usize;
        self.ui.travel = if target == last && step > 0 {
            None
        } else {
            Some(snapshot.windows[target].start)
        };
    }

    fn acknowledge(&mut self) {
        let top = self.ui.top();
        let key = match (&top.view, &self.model.body) {
            (View::Overview, Body::Overview(o)) => o
                .alarms
                .active
                .get(top.alarm_selected)
                .map(|a| (a.key.clone(), a.state)),
            (View::Alarms, Body::Alarms(a)) => {
                a.rows.get(top.selected).map(|r| (r.key.clone(), r.state))
            }
            _ => None,
        };
        if let Some((key, AlarmState::Alarm)) = key {
            if !self.ui.acknowledged.remove(&key) {
                self.ui.acknowledged.insert(key);
            }
        }
    }

    /// A click on what the view's hit-test found under the pointer (`None`: nothing clickable).
    pub fn on_click(&mut self, target: Option<ClickTarget>) -> Outcome {
        match target {
            Some(ClickTarget::Row(index)) => {
                let top = self.ui.top_mut();
                top.panel = Panel::Table;
                top.select(index);
            }
            Some(ClickTarget::AlarmLine(index)) => {
                let top = self.ui.top_mut();
                top.panel = Panel::Alarms;
                top.alarm_selected = index;
                top.alarm_key = None;
            }
            None => return Outcome::default(),
        }
        self.rebuild();
        Outcome::redraw()
    }
}

/// What a mouse click landed on, as the view's hit-test (which knows the layout) reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickTarget {
    /// A row of the view's main list.
    Row(usize),
    /// An active alarm in the overview's alarm panel.
    AlarmLine(usize),
}

/// The width after `current` in `widths` (wrapping); the first one when `current` is not listed.
pub fn next_width(widths: &[i64], current: Option<i64>) -> Option<i64> {
    let first = *widths.first()?;
    let Some(current) = current else {
        return Some(first);
    };
    Some(
        widths
            .iter()
            .copied()
            .find(|&w| w > current)
            .unwrap_or(first),
    )
}

#[cfg(test)]
mod tests;
