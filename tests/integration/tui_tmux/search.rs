//! Caller search in the real binary (issue 14): on the demo, `/` with an address prefix keeps
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
