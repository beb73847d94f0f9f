//! Unit tests of the UI state machine: keys in, state and view model out.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixtures;
use super::model::Body;
use super::state::{Column, Panel, View};
use super::*;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn app() -> App {
    let mut app = App::new(vec![10, 60, 300, 900, 3600], (120, 36), fixtures::NOW_MS);
    let outcome = app.on_snapshot(Arc::new(fixtures::snapshot()));
    assert!(outcome.bell, "two alarms are firing in the first snapshot");
    app
}

fn overview(app: &App) -> &model::Overview {
    match &app.model.body {
        Body::Overview(o) => o,
        other => panic!("not the overview: {other:?}"),
    }
}

#[test]
fn drill_down_and_back() {
    let mut app = app();
    // Sorted by requests, descending: search is the busiest.
    assert_eq!(&**overview(&app).rows.name(0).unwrap(), "search");
    app.on_key(key(KeyCode::Down));
    let second = overview(&app).rows.name(1).unwrap().clone();
    app.on_key(key(KeyCode::Enter));
    assert_eq!(
        app.ui.top().view,
        View::App {
            app: second.clone()
        }
    );
    let Body::App(detail) = &app.model.body else {
        panic!()
    };
    let host = detail.callers[0].host.clone();
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.ui.top().view, View::Host { app: second, host });
    app.on_key(key(KeyCode::Esc));
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.ui.top().view, View::Overview);
    assert_eq!(
        app.ui.top().selected,
        1,
        "the selection survives the drill-down"
    );
    assert!(
        app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
            .quit
    );
    assert!(app.on_key(key(KeyCode::Char('q'))).quit);
}

#[test]
fn filter_prompt_filters_as_you_type() {
    let mut app = app();
    app.on_key(key(KeyCode::Char('/')));
    assert!(app.ui.filtering);
    for c in "CHE".chars() {
        app.on_key(key(KeyCode::Char(c)));
    }
    let names: Vec<_> = overview(&app)
        .rows
        .iter()
        .map(|r| r.name.to_string())
        .collect();
    assert_eq!(names, ["checkout"]);
    // `q` is text in the prompt, not quit.
    assert!(!app.on_key(key(KeyCode::Char('q'))).quit);
    assert!(overview(&app).rows.is_empty());
    app.on_key(key(KeyCode::Backspace));
    app.on_key(key(KeyCode::Enter));
    assert!(!app.ui.filtering);
    assert_eq!(overview(&app).rows.len(), 1, "Enter keeps the filter");
    app.on_key(key(KeyCode::Char('/')));
    app.on_key(key(KeyCode::Esc));
    assert_eq!(overview(&app).rows.len(), 5, "Esc clears it");
}

#[test]
fn sort_cycles_and_reverses() {
    let mut app = app();
    app.on_key(key(KeyCode::Char('s')));
    assert_eq!(app.ui.app_sort.column, Column::Rate);
    app.on_key(key(KeyCode::Char('s')));
    app.on_key(key(KeyCode::Char('s')));
    app.on_key(key(KeyCode::Char('s')));
    assert_eq!(app.ui.app_sort.column, Column::Err5xx);
    assert_eq!(&**overview(&app).rows.name(0).unwrap(), "checkout");
    app.on_key(key(KeyCode::Char('S')));
    assert_ne!(&**overview(&app).rows.name(0).unwrap(), "checkout");
}

#[test]
fn time_travel_and_back_to_live() {
    let mut app = app();
    let last = fixtures::START + (fixtures::WINDOWS as i64 - 1) * fixtures::WIDTH;
    app.on_key(key(KeyCode::Left));
    assert_eq!(app.ui.travel, Some(last - fixtures::WIDTH));
    for _ in 0..100 {
        app.on_key(key(KeyCode::Left));
    }
    assert_eq!(
        app.ui.travel,
        Some(fixtures::START),
        "stops at the oldest window"
    );
    app.on_key(key(KeyCode::Right));
    assert_eq!(app.ui.travel, Some(fixtures::START + fixtures::WIDTH));
    app.on_key(key(KeyCode::End));
    assert_eq!(app.ui.travel, None);
    app.on_key(key(KeyCode::Left));
    app.on_key(key(KeyCode::Right));
    assert_eq!(app.ui.travel, None, "moving past the newest window is live");
    app.on_key(key(KeyCode::Left));
    app.on_key(key(KeyCode::Char('l')));
    assert_eq!(app.ui.travel, None);
}

#[test]
fn pause_keeps_the_displayed_snapshot() {
    let mut app = app();
    app.on_key(key(KeyCode::Char('p')));
    let mut newer = fixtures::snapshot();
    newer.seq = 43;
    app.on_snapshot(Arc::new(newer));
    assert_eq!(app.shown().unwrap().seq, 42);
    app.on_key(key(KeyCode::Char('p')));
    assert_eq!(app.shown().unwrap().seq, 43);
}

#[test]
fn width_cycles_through_the_engine_widths() {
    let mut app = app();
    assert_eq!(app.on_key(key(KeyCode::Char('w'))).set_width, Some(900));
    assert_eq!(next_width(&[10, 60, 300], Some(300)), Some(10));
    assert_eq!(next_width(&[], Some(300)), None);
}

#[test]
fn widths_given_up_at_scale_leave_w_and_are_said() {
    let mut app = app();
    let mut snapshot = fixtures::snapshot();
    snapshot.seq += 1;
    snapshot.widths = vec![10, 300];
    snapshot.widths_given_up = vec![60, 900, 3600];
    app.on_snapshot(Arc::new(snapshot));
    // From 5m, w goes round the widths still kept: 10s, then back to 5m.
    assert_eq!(app.on_key(key(KeyCode::Char('w'))).set_width, Some(10));
    let notice = app.ui.notice.as_ref().expect("a notice says it");
    assert!(notice.bad);
    assert_eq!(notice.text, "1m 15m 1h given up: too many applications (?)");
    let help = model::history_reach(app.shown().unwrap());
    assert!(
        help.contains("Widths given up at this scale: 1m, 15m, 1h")
            && help.contains("w offers 10s, 5m"),
        "{help}"
    );
}

#[test]
fn acknowledge_dims_until_the_alarm_clears() {
    let mut app = app();
    app.on_key(key(KeyCode::Tab));
    assert_eq!(app.ui.top().panel, Panel::Alarms);
    app.on_key(key(KeyCode::Char('A')));
    let first = overview(&app).alarms.active[0].clone();
    assert!(first.acked);
    // The same alarms again: no new bell, the acknowledgement stays.
    assert!(!app.on_snapshot(Arc::new(fixtures::snapshot())).bell);
    assert!(overview(&app).alarms.active[0].acked);
    // It clears: the acknowledgement is forgotten; firing again rings again.
    app.on_snapshot(Arc::new(fixtures::snapshot_without_alarms()));
    assert!(app.ui.acknowledged.is_empty());
    assert!(app.on_snapshot(Arc::new(fixtures::snapshot())).bell);
}

#[test]
fn selection_stays_inside_the_list() {
    let mut app = app();
    for _ in 0..50 {
        app.on_key(key(KeyCode::Down));
    }
    assert_eq!(app.ui.top().selected, overview(&app).rows.len() - 1);
    app.on_key(key(KeyCode::Home));
    assert_eq!(app.ui.top().selected, 0);
}

#[test]
fn a_window_merged_from_relays_says_how_many_cover_it() {
    let mut snapshot = fixtures::snapshot();
    let last = snapshot.windows.len() - 1;
    let mut window = (*snapshot.windows[last]).clone();
    window.relays = Some(crate::core::RelayCoverage {
        relays: 2,
        expected: 3,
    });
    snapshot.windows[last] = std::sync::Arc::new(window);
    let ui = crate::ui::app::state::UiState::default();
    let view = crate::ui::app::model::overview::overview(
        &std::sync::Arc::new(snapshot),
        &ui,
        last,
        "",
        &mut Default::default(),
    );
    assert!(view.title.ends_with(" · 2/3 relays"), "{}", view.title);
}
