//! `/` on the overview finds callers as well as applications (issue 14): the real `App` over the
//! fixture snapshot, drawn on `TestBackend`.

use crossterm::event::KeyCode;
use insta::assert_snapshot;

use super::tui_views::{big, small};

/// The first line of the screen holding `needle`.
fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle}:\n{text}"))
}

/// The rows of the overview's table: the lines after its header, up to the first blank one.
fn table_rows(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| !l.contains("application"))
        .skip(1)
        .take_while(|l| {
            !l.trim_matches(|c: char| c == '│' || c.is_whitespace())
                .is_empty()
        })
        .collect()
}

#[test]
fn a_caller_prefix_keeps_the_applications_it_calls_with_a_hint() {
    let mut s = big();
    s.keys("/10.0.2.2");
    let typing = s.text();
    // Only the application called from 10.0.2.2x stays, naming the busiest match and the others.
    assert!(
        line_with(&typing, "caller 10.0.2.2").contains("+1"),
        "{typing}"
    );
    assert_eq!(table_rows(&typing).len(), 1, "{typing}");
    s.key(KeyCode::Enter);
    assert_snapshot!("caller_search_kept_120x36", s.render());

    // An address prefix matches from the start: `0.2.` is nobody's prefix.
    let mut s = big();
    s.keys("/0.2.");
    assert!(
        s.text()
            .contains("No application or caller matches “0.2.”."),
        "{}",
        s.text()
    );

    // An IPv6 prefix finds the unknown caller; the name still matches as before.
    let mut s = small();
    s.keys("/2001:db8:").key(KeyCode::Enter);
    assert_snapshot!("caller_search_ipv6_80x24", s.render());
    let text = s.text();
    assert!(
        text.contains("unknown · caller 2001:db8::bad:cafe"),
        "{text}"
    );
}

#[test]
fn enter_opens_the_application_on_the_matching_caller() {
    let mut s = big();
    s.keys("/10.0.1.13").key(KeyCode::Enter).key(KeyCode::Enter);
    let detail = s.text();
    assert!(detail.contains("Callers · top 3 of 3"), "{detail}");
    // 10.0.1.13 is checkout's second caller, yet it is the one selected: Enter opens it.
    s.key(KeyCode::Enter);
    let caller = s.text();
    assert!(
        caller.contains("10.0.1.13 · caller of checkout"),
        "{caller}"
    );
    // Back to the application: the filter of the overview is still there underneath.
    s.key(KeyCode::Esc).key(KeyCode::Esc);
    let overview = s.text();
    assert!(
        overview.contains("checkout · caller 10.0.1.13"),
        "{overview}"
    );
    assert!(overview.contains("filter “10.0.1.13”"), "{overview}");
}
