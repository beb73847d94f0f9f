//! Drives the real binary in a real terminal: a detached tmux session of fixed size runs
//! `kinetop` on the demo; keys go in with `send-keys`, the screen comes out with `capture-pane`.
//! Start → overview, Enter → application detail, `?` → help, Esc → back, `q` → quit with exit
//! status 0 and a usable shell (canonical mode and echo back on). And a panic mid-run (a debug
//! build's test hook) restores the terminal just the same, with the panic message readable.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const COLUMNS: u16 = 120;
const ROWS: u16 = 36;

struct Session {
    name: String,
}

impl Session {
    fn start() -> Session {
        static SESSIONS: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "kinetop-test-{}-{}",
            std::process::id(),
            SESSIONS.fetch_add(1, Ordering::Relaxed)
        );
        let ok = tmux(&[
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            &COLUMNS.to_string(),
            "-y",
            &ROWS.to_string(),
            "env PS1='tmux-test$ ' bash --norc --noprofile",
        ])
        .status
        .success();
        assert!(ok, "tmux new-session failed");
        // Terminal size must not follow a client (there is none): keep it fixed.
        tmux(&["set-option", "-t", &name, "window-size", "manual"]);
        Session { name }
    }

    fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend_from_slice(keys);
        assert!(tmux(&args).status.success(), "send-keys {keys:?}");
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", &self.name]).stdout)
            .into_owned()
    }

    /// Waits until the screen satisfies `check`; fails with the last screen after `timeout`.
    fn wait_for(&self, what: &str, timeout: Duration, check: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = tmux(&["kill-session", "-t", &self.name]);
    }
}

fn tmux(args: &[&str]) -> Output {
    Command::new("tmux")
        .args(["-L", "kinetop-tests"])
        .args(args)
        .output()
        .expect("tmux runs")
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether the real-terminal tests can run. Without tmux they are skipped and say so, except
/// under `CI=true`: there a missing tmux fails them, since a check that did not run did not pass.
fn tmux_or_skip() -> bool {
    if tmux_available() {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    assert!(
        !ci,
        "tmux is not installed: under CI=true the real-terminal tests must run (tests/run installs it)"
    );
    eprintln!("SKIPPED: tmux is not installed, the real-terminal test cannot run");
    false
}

#[test]
fn real_binary_in_tmux_start_drill_down_help_back_quit() {
    if !tmux_or_skip() {
        return;
    }
    let wait = Duration::from_secs(30);
    let session = Session::start();
    session.wait_for("the shell prompt", wait, |s| s.contains("tmux-test$"));
    let state = tempfile::tempdir().unwrap();
    launch(&session, "", state.path());

    let overview = session.wait_for("the overview with applications", wait, |s| {
        s.contains("Applications") && s.contains("● LIVE") && s.contains("unknown")
    });
    assert!(overview.contains("kinetop │ demo"), "{overview}");
    assert!(overview.contains("? help"), "key hints: {overview}");

    session.send(&["Enter"]);
    let detail = session.wait_for("the application detail", wait, |s| {
        s.contains("contacts:") && s.contains("Status codes") && s.contains("Top paths")
    });
    assert!(detail.contains("Esc back"), "{detail}");

    session.send(&["?"]);
    session.wait_for("the help", wait, |s| {
        s.contains("Keys · Esc or ? closes") && s.contains("time travel")
    });

    session.send(&["Escape"]);
    session.wait_for("the detail again", wait, |s| {
        !s.contains("Keys · Esc") && s.contains("contacts:")
    });

    session.send(&["q"]);
    let (after, modes) = after_exit(&session, wait);
    assert!(
        after.contains("EXIT=0"),
        "kinetop exited with an error:\n{after}"
    );
    assert!(
        !after.contains("Applications"),
        "the alternate screen was left:\n{after}"
    );
    assert!(
        modes.contains(&"icanon".to_string()) && modes.contains(&"echo".to_string()),
        "terminal not restored: {modes:?}\n{after}"
    );
}

#[test]
fn a_panic_restores_the_terminal_and_leaves_its_message_readable() {
    if !tmux_or_skip() {
        return;
    }
    let wait = Duration::from_secs(30);
    let session = Session::start();
    session.wait_for("the shell prompt", wait, |s| s.contains("tmux-test$"));
    let state = tempfile::tempdir().unwrap();
    // A few frames of the overview, then a panic in the middle of the UI loop.
    launch(
        &session,
        "RUST_BACKTRACE=0 KINETOP_DEBUG_PANIC_AFTER_FRAMES=5",
        state.path(),
    );
    let (after, modes) = after_exit(&session, wait);
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
    assert!(
        modes.contains(&"icanon".to_string()) && modes.contains(&"echo".to_string()),
        "terminal not restored: {modes:?}\n{after}"
    );
    let log = std::fs::read_to_string(state.path().join("kinetop/kinetop.log")).unwrap_or_default();
    assert!(
        log.contains("panicking as asked"),
        "the panic is logged too:\n{log}"
    );
}

/// Runs kinetop on the demo in the session's shell, `env` (assignments) before it; logs go to a
/// scratch state dir, never to the terminal. After it exits the shell prints `EXIT=<status>` and
/// the terminal's canonical-mode and echo flags.
fn launch(session: &Session, env: &str, state: &Path) {
    let binary = env!("CARGO_BIN_EXE_kinetop");
    let command = format!(
        "{env} XDG_STATE_HOME={} XDG_CACHE_HOME={} {binary} --no-bell; echo \"EXIT\"\"=$?\"; stty -a | grep -ow -- '-\\?icanon\\|-\\?echo'",
        state.display(),
        state.display()
    );
    session.send(&[&command, "Enter"]);
}

/// Waits for kinetop's exit and the shell prompt; returns the screen and the terminal flags
/// printed after the exit status.
fn after_exit(session: &Session, wait: Duration) -> (String, Vec<String>) {
    let after = session.wait_for("the shell after kinetop", wait, |s| {
        s.contains("EXIT=") && s.trim_end().ends_with("tmux-test$")
    });
    let modes = after
        .lines()
        .skip_while(|l| !l.contains("EXIT="))
        .skip(1)
        .take_while(|l| !l.contains("tmux-test$"))
        .map(str::to_string)
        .collect();
    (after, modes)
}
