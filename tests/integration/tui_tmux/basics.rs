//! Drives the real binary in a real terminal: a detached tmux session of fixed size runs
//! `kinetop` on the demo; keys go in with `send-keys`, the screen comes out with `capture-pane`.
//! Start → overview, Enter → application detail, `?` → help, Esc → back, `q` → quit with exit
//! status 0 and a usable shell (canonical mode and echo back on). And a panic mid-run (a debug
//! build's test hook) restores the terminal just the same, with the panic message readable.

use super::harness::{assert_restored, tmux_or_skip, Session, WAIT};

const COLUMNS: u16 = 120;
const ROWS: u16 = 36;

#[test]
fn real_binary_in_tmux_start_drill_down_help_back_quit() {
    if !tmux_or_skip() {
        return;
    }
    let wait = WAIT;
    let session = Session::start(COLUMNS, ROWS);
    session.launch("", "");

    let overview = session.wait_for("the overview with applications", wait, |s| {
        s.contains("Applications") && s.contains("● LIVE") && s.contains("unknown")
    });
    assert!(overview.contains("kinetop │ demo"), "{overview}");
    assert!(overview.contains("? help"), "key hints: {overview}");

    session.send(&["Enter"]);
    // The whole frame, hints line included: under load tmux can be captured mid-redraw, with the
    // top already the detail and the bottom still the overview.
    session.wait_for("the application detail", wait, |s| {
        s.contains("contacts:")
            && s.contains("Status codes")
            && s.contains("Top paths")
            && s.contains("Esc back")
    });

    session.send(&["?"]);
    session.wait_for("the help", wait, |s| {
        s.contains("Keys · Esc or ? closes") && s.contains("time travel")
    });

    session.send(&["Escape"]);
    session.wait_for("the detail again", wait, |s| {
        !s.contains("Keys · Esc") && s.contains("contacts:")
    });

    session.send(&["q"]);
    let (after, modes) = session.after_exit(wait);
    assert!(
        after.contains("EXIT=0"),
        "kinetop exited with an error:\n{after}"
    );
    assert!(
        !after.contains("Applications"),
        "the alternate screen was left:\n{after}"
    );
    assert_restored(&session, &after, &modes);
}

#[test]
fn a_panic_restores_the_terminal_and_leaves_its_message_readable() {
    if !tmux_or_skip() {
        return;
    }
    let wait = WAIT;
    let session = Session::start(COLUMNS, ROWS);
    // A few frames of the overview, then a panic in the middle of the UI loop.
    session.launch("RUST_BACKTRACE=0 KINETOP_DEBUG_PANIC_AFTER_FRAMES=5", "");
    let (after, modes) = session.after_exit(wait);
    assert!(
        after.contains("EXIT=101"),
        "exit status of a panic:\n{after}"
    );
    assert!(
        after.contains("panicking as asked"),
        "the panic message is on the restored screen:\n{after}"
    );
    assert!(
        !after.contains("Applications"),
        "the alternate screen was left:\n{after}"
    );
    assert_restored(&session, &after, &modes);
    let log = session.log();
    assert!(
        log.contains("panicking as asked"),
        "the panic is logged too:\n{log}"
    );
}
