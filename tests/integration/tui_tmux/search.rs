//! Caller search and recent requests in the real binary (issue 14). On the demo, `/` with an address prefix keeps
//! the application that caller belongs to, says which caller matched, and Enter opens the
//! application with that caller selected (Enter again: that caller's detail).

use super::harness::{tmux_or_skip, Session, WAIT};

#[test]
fn slash_finds_the_application_of_a_caller_and_enter_opens_it_on_that_caller() {
    if !tmux_or_skip() {
        return;
    }
    let session = Session::start(120, 36);
    session.launch("", "");
    session.wait_for("the overview with applications", WAIT, |s| {
        s.contains("payments") && s.contains("● LIVE")
    });

    // 10.20.31.9 is payments' least busy caller: only the address finds it.
    session.send(&["-l", "/10.20.31."]);
    let found = session.wait_for("payments found by its caller", WAIT, |s| {
        s.contains("payments · caller 10.20.31.9")
    });
    assert!(!found.contains("checkout ·"), "{found}");
    assert!(
        !found.lines().any(|l| l.contains("│  checkout ")),
        "only the caller's application stays:\n{found}"
    );

    session.send(&["Enter"]);
    session.wait_for("the kept filter", WAIT, |s| {
        s.contains("filter “10.20.31.”")
    });
    session.send(&["Enter"]);
    session.wait_for("payments' callers", WAIT, |s| s.contains("Callers · top"));
    session.send(&["Enter"]);
    session.wait_for("the matching caller's detail", WAIT, |s| {
        s.contains("10.20.31.9 · caller of payments")
    });

    session.send(&["q"]);
    let (after, _) = session.after_exit(WAIT);
    assert!(after.contains("EXIT=0"), "{after}");
}

/// `r` in the real binary: the demo's recent requests of the selected application, newest
/// first, moving while following; Esc goes back.
#[test]
fn r_shows_the_recent_raw_requests_of_an_application_live() {
    if !tmux_or_skip() {
        return;
    }
    let session = Session::start(160, 48);
    session.demo_filtered_to("payments");
    session.send(&["r"]);
    let first = session.wait_for("payments' recent requests", WAIT, |s| {
        s.contains("Recent requests of payments") && s.contains("HTTP/1.1")
    });
    let newest = |screen: &str| -> String {
        screen
            .lines()
            .find(|l| l.contains("HTTP/1.1"))
            .unwrap_or_default()
            .to_string()
    };
    // Every listed request is one of payments' callers (10.20.30.x, 10.20.31.x).
    for line in first.lines().filter(|l| l.contains("HTTP/1.1")).take(20) {
        assert!(line.contains("10.20.3"), "{line}\n{first}");
    }
    let top = newest(&first);
    session.wait_for("a newer request on top", WAIT, |s| newest(s) != top);

    session.send(&["Escape"]);
    session.wait_for("the overview again", WAIT, |s| {
        !s.contains("Recent requests")
    });
    session.send(&["q"]);
    let (after, _) = session.after_exit(WAIT);
    assert!(after.contains("EXIT=0"), "{after}");
}
