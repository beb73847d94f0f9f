//! User agents and referers in the real binary (issue 14) at 80×24: on the demo, Tab in an
//! application's detail reaches its "User agents" panel, which shows the agent the demo's
//! service sends, with its count; Enter shows it full screen, Tab moves on to the referers.

use super::harness::{tmux_or_skip, Session, WAIT};

#[test]
fn tab_in_an_application_detail_shows_its_user_agents_at_80x24() {
    if !tmux_or_skip() {
        return;
    }
    let session = Session::start(80, 24);
    session.demo_filtered_to("payments");
    session.send(&["Enter"]);
    session.wait_for("payments' detail", WAIT, |s| {
        s.contains("Callers · top") && s.contains("Top paths")
    });
    // Callers → status codes → top paths → user agents.
    session.send(&["Tab", "Tab", "Tab"]);
    let agents = session.wait_for("the user agents panel", WAIT, |s| {
        s.contains("User agents") && s.contains("payments-gateway/2.")
    });
    // At 80×24 the focused panel takes the side column alone.
    assert!(!agents.contains("Top paths"), "{agents}");
    let line = agents
        .lines()
        .find(|l| l.contains("payments-gateway/2."))
        .unwrap();
    assert!(
        line.split_whitespace()
            .any(|w| w.parse::<u64>().is_ok_and(|n| n > 0)),
        "a count beside the agent: {line}"
    );
    // Enter: full screen, the whole agent.
    session.send(&["Enter"]);
    session.wait_for("user agents full screen", WAIT, |s| {
        s.contains("payments-gateway/2.31.0 (Go-http-client/1.1)") && !s.contains("Callers · top")
    });
    // Tab: the referers; the payments gateway sends none, and `-` is counted as such.
    session.send(&["Tab"]);
    session.wait_for("the referers full screen", WAIT, |s| {
        s.contains("Referers") && s.contains("- (none sent)") && !s.contains("Callers · top")
    });
    session.send(&["Escape"]);
    session.wait_for("the detail again", WAIT, |s| {
        s.contains("Callers · top") && s.contains("Referers")
    });

    session.send(&["q"]);
    let (after, _) = session.after_exit(WAIT);
    assert!(after.contains("EXIT=0"), "{after}");
}
