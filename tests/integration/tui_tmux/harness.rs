//! A detached tmux session of fixed size running an interactive shell: keys go in with
//! `send-keys`, the screen comes out with `capture-pane`, the terminal's modes (alternate screen,
//! mouse reporting, cursor) with `display -p`. kinetop is started from the shell, so job control
//! (Ctrl-Z, `fg`) works as for a person, and the shell prints the exit status and the terminal's
//! canonical-mode and echo flags after it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The longest any wait in these tests may take: a hang detector, not a speed check.
pub const WAIT: Duration = Duration::from_secs(30);

pub struct Session {
    name: String,
    /// kinetop's state dir (logs) and the pid file of the last launch.
    pub scratch: tempfile::TempDir,
}

impl Session {
    /// A session of `columns` × `rows` at its shell prompt.
    pub fn start(columns: u16, rows: u16) -> Session {
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
            &columns.to_string(),
            "-y",
            &rows.to_string(),
            "env PS1='tmux-test$ ' bash --norc --noprofile",
        ])
        .status
        .success();
        assert!(ok, "tmux new-session failed");
        // Terminal size must not follow a client (there is none): keep it fixed.
        tmux(&["set-option", "-t", &name, "window-size", "manual"]);
        let session = Session {
            name,
            scratch: tempfile::tempdir().expect("a scratch dir"),
        };
        session.wait_for("the shell prompt", WAIT, |s| s.contains("tmux-test$"));
        session
    }

    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend_from_slice(keys);
        assert!(tmux(&args).status.success(), "send-keys {keys:?}");
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", &self.name]).stdout)
            .into_owned()
    }

    /// The pane's modes: `(alternate screen on, mouse reporting on, cursor visible)`.
    pub fn modes(&self) -> (bool, bool, bool) {
        let out = tmux(&[
            "display-message",
            "-p",
            "-t",
            &self.name,
            "#{alternate_on} #{mouse_any_flag} #{cursor_flag}",
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        let flags: Vec<bool> = text.split_whitespace().map(|f| f == "1").collect();
        assert_eq!(flags.len(), 3, "tmux display-message: {text:?}");
        (flags[0], flags[1], flags[2])
    }

    /// Waits until the screen satisfies `check`; fails with the last screen after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, check: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            // A capture can catch the terminal mid-redraw (the top already the new frame, the
            // bottom still the old one): the screen returned is one that still passes a moment
            // later, so assertions on the rest of it see a whole frame.
            if check(&screen) {
                std::thread::sleep(Duration::from_millis(150));
                let settled = self.screen();
                if check(&settled) {
                    return settled;
                }
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn pid_file(&self) -> PathBuf {
        self.scratch.path().join("kinetop.pid")
    }

    /// Runs kinetop with `args` from the session's shell, `env` (assignments) before it; logs
    /// go to the scratch state dir, never to the terminal. Its pid is written first (for
    /// signals). After it exits the shell prints `EXIT=<status>` and the terminal's
    /// canonical-mode and echo flags.
    pub fn launch(&self, env: &str, args: &str) {
        let binary = env!("CARGO_BIN_EXE_kinetop");
        let state = self.scratch.path().display();
        let command = format!(
            "clear; {env} XDG_STATE_HOME={state} XDG_CACHE_HOME={state} sh -c 'echo $$ > {pid}; exec \"$0\" \"$@\"' {binary} --no-bell {args}; echo \"EXIT\"\"=$?\"; stty -a | grep -ow -- '-\\?icanon\\|-\\?echo'",
            pid = self.pid_file().display(),
        );
        self.send(&[&command, "Enter"]);
    }

    /// Runs kinetop on its demo and filters the overview down to `app` (its row selected).
    pub fn demo_filtered_to(&self, app: &str) {
        self.launch("", "");
        self.wait_for("the overview", WAIT, |s| {
            s.contains(app) && s.contains("● LIVE")
        });
        self.send(&["-l", &format!("/{app}")]);
        self.send(&["Enter"]);
        let filtered = format!("filter “{app}”");
        self.wait_for(&format!("{app} alone"), WAIT, |s| s.contains(&filtered));
    }

    /// The pid of the running kinetop (written by [`Session::launch`]).
    pub fn pid(&self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(pid) = std::fs::read_to_string(self.pid_file())
                .ok()
                .and_then(|t| t.trim().parse().ok())
            {
                return pid;
            }
            assert!(start.elapsed() < WAIT, "no pid file");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `signal` (`TERM`, `HUP`…) to the running kinetop.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal}");
    }

    /// Waits for kinetop's exit and the shell prompt; returns the screen and the terminal flags
    /// printed after the exit status.
    pub fn after_exit(&self, wait: Duration) -> (String, Vec<String>) {
        let after = self.wait_for("the shell after kinetop", wait, |s| {
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

    /// The log kinetop wrote.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.scratch.path().join("kinetop/kinetop.log")).unwrap_or_default()
    }

    pub fn state_dir(&self) -> &Path {
        self.scratch.path()
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
pub fn tmux_or_skip() -> bool {
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

/// Asserts the terminal is the shell's again: main screen, no mouse reporting, cursor shown,
/// canonical mode and echo on.
pub fn assert_restored(session: &Session, after: &str, modes: &[String]) {
    assert_eq!(
        session.modes(),
        (false, false, true),
        "(alternate screen, mouse reporting, cursor visible) after exit:\n{after}"
    );
    assert!(
        modes.contains(&"icanon".to_string()) && modes.contains(&"echo".to_string()),
        "terminal not restored: {modes:?}\n{after}"
    );
}
