//! Issue 9, item 3: SIGTERM and SIGHUP (an SSH connection dropping) restore the terminal
//! (alternate screen off, mouse reporting off, cursor shown, cooked mode) and end kinetop with
//! 128 + the signal's number; Ctrl-Z suspends with the terminal restored, and `fg` resumes with a
//! full redraw.

use super::harness::{assert_restored, tmux_or_skip, Session, WAIT};

fn running_demo(session: &Session) {
    session.launch("", "");
    session.wait_for("the overview", WAIT, |s| {
        s.contains("Applications") && s.contains("● LIVE")
    });
    assert_eq!(
        session.modes(),
        (true, true, false),
        "(alternate screen, mouse reporting, cursor visible) while running"
    );
}

fn ends_on(signal: &str, status: u8) {
    if !tmux_or_skip() {
        return;
    }
    let session = Session::start(100, 30);
    running_demo(&session);
    session.signal(signal);
    let (after, modes) = session.after_exit(WAIT);
    assert!(
        after.contains(&format!("EXIT={status}")),
        "exit status after SIG{signal}:\n{after}"
    );
    assert!(!after.contains("Applications"), "{after}");
    assert_restored(&session, &after, &modes);
    assert!(
        session.log().contains(&format!("SIG{signal}")),
        "the log says why kinetop ended:\n{}",
        session.log()
    );
}

#[test]
fn sigterm_restores_the_terminal_and_exits() {
    ends_on("TERM", 143);
}

#[test]
fn sighup_restores_the_terminal_and_exits() {
    ends_on("HUP", 129);
}

#[test]
fn ctrl_z_suspends_with_the_terminal_restored_and_fg_redraws_it_all() {
    if !tmux_or_skip() {
        return;
    }
    let session = Session::start(100, 30);
    running_demo(&session);
    session.send(&["C-z"]);
    let stopped = session.wait_for("the shell with kinetop stopped", WAIT, |s| {
        s.contains("Stopped") && s.trim_end().ends_with("tmux-test$")
    });
    assert_eq!(
        session.modes(),
        (false, false, true),
        "suspended: main screen, no mouse reporting, cursor shown:\n{stopped}"
    );
    // The shell has the terminal in cooked mode, echoing.
    session.send(&[
        "clear; stty -a | grep -ow -- '-\\?icanon\\|-\\?echo' | tr '\\n' ' '; echo",
        "Enter",
    ]);
    let modes = session.wait_for("the terminal's modes", WAIT, |s| s.contains("icanon echo"));
    assert!(!modes.contains("-icanon"), "{modes}");
    // Something the shell printed is on screen; `fg` must draw over all of it. (The shell drops
    // the rest of a command line whose job stopped, so this one prints the exit status.)
    session.send(&[
        "clear; echo LEFTOVER-FROM-THE-SHELL; fg; echo \"EXIT\"\"=$?\"; stty -a | grep -ow -- '-\\?icanon\\|-\\?echo'",
        "Enter",
    ]);
    let back = session.wait_for("kinetop again", WAIT, |s| {
        s.contains("Applications") && s.contains("● LIVE") && !s.contains("LEFTOVER")
    });
    assert!(back.contains("kinetop │ demo"), "{back}");
    assert_eq!(session.modes(), (true, true, false), "{back}");
    session.send(&["q"]);
    let (after, modes) = session.after_exit(WAIT);
    assert!(after.contains("EXIT=0"), "{after}");
    assert_restored(&session, &after, &modes);
}
