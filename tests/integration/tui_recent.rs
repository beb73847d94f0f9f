//! `r`: the recent raw requests of an application or a caller (issue 14), newest first,
//! escaped, live as snapshots arrive; the real `App` over the fixture, drawn on `TestBackend`.

use std::sync::Arc;

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use kinetop::pipeline::recent::{RecentKeeper, RecentRequest};
use kinetop::ui::app::fixtures;

use super::tui_views::{big, small, Screen};

#[test]
fn r_on_an_application_lists_its_requests_newest_first_escaped() {
    let mut s = big();
    // checkout is the second row by requests.
    s.key(KeyCode::Down).keys("r");
    assert_snapshot!("recent_app_120x36", s.render());
    let text = s.text();
    assert!(text.contains("Recent requests of checkout"), "{text}");
    let first = text
        .lines()
        .find(|l| l.contains("HTTP/1.1"))
        .expect("a request row");
    // The newest (the 30th, from 10.0.1.99) comes first.
    assert!(
        first.contains("10.0.1.99") && first.contains("10:55:29"),
        "{text}"
    );
    // The hostile line is escaped, never raw.
    assert!(!s.render().contains('\u{1b}'));
    s.key(KeyCode::Up).key(KeyCode::Down).key(KeyCode::Down);
    let escaped = s.text();
    assert!(escaped.contains("\\x1b]0;pwned\\x07"), "{escaped}");

    let mut s = small();
    s.key(KeyCode::Down).keys("r");
    assert_snapshot!("recent_app_80x24", s.render());
    s.key(KeyCode::Esc);
    assert!(s.text().contains("Applications"), "Esc goes back");
}

#[test]
fn r_on_a_caller_lists_only_that_callers_requests() {
    let mut s = big();
    // checkout → its busiest caller (10.0.1.12) → r.
    s.key(KeyCode::Down)
        .key(KeyCode::Enter)
        .key(KeyCode::Enter)
        .keys("r");
    let text = s.text();
    assert!(
        text.contains("Recent requests of 10.0.1.12 → checkout · 10 of its last 200 · live"),
        "{text}"
    );
    // Table rows start with their time; the selected line in full is below them.
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("│10:5")).collect();
    assert_eq!(rows.len(), 10, "{text}");
    assert!(rows.iter().all(|l| l.contains("10.0.1.12")), "{text}");
    assert_snapshot!("recent_caller_120x36", s.render());
}

#[test]
fn the_list_follows_new_requests_and_an_unseen_application_says_so() {
    let mut s: Screen = big();
    s.key(KeyCode::Down).keys("r");
    let mut keeper = RecentKeeper::default();
    keeper.push(
        "checkout",
        RecentRequest {
            time: fixtures::START + 3_600,
            client: "10.0.1.13".into(),
            status: 503,
            bytes: 0,
            latency_us: Some(2_000_000),
            line: "10.0.1.13 - - [20/Jan/2017:11:00:00 +0000] \"POST /api/pay HTTP/1.1\" 503 0"
                .into(),
        },
    );
    let mut next = fixtures::snapshot();
    next.recent = keeper.view();
    s.app.on_snapshot(Arc::new(next));
    let text = s.text();
    assert!(text.contains("POST /api/pay"), "{text}");
    assert!(text.contains("2.00s") || text.contains("2s"), "{text}");

    // search has no ring in the fixture: the view says why it is empty.
    let mut s = big();
    s.keys("r");
    let text = s.text();
    assert!(
        text.contains("No request of this application was seen since kinetop started."),
        "{text}"
    );
}
