//! The real binary as a running process: its standard output and error read as they come (with
//! when each line came), signals, and a bounded wait for its end. A run that outlives its bound
//! is killed, so a regression fails the test instead of hanging the suite.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Lines read from a pipe, with the time each arrived.
type Lines = Arc<Mutex<Vec<(Instant, String)>>>;

pub struct Kinetop {
    child: Child,
    started: Instant,
    stdout: Lines,
    stderr: Lines,
    readers: Vec<JoinHandle<()>>,
    /// HOME and the log directory: nothing of the user's own setup is read.
    pub home: tempfile::TempDir,
}

/// How a run ended.
#[derive(Debug)]
pub struct Ended {
    pub status: ExitStatus,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
    /// From the signal (or the start) to the exit.
    pub took: Duration,
}

impl Ended {
    /// The JSON lines of standard output.
    pub fn json(&self) -> Vec<serde_json::Value> {
        self.stdout
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
            .collect()
    }

    /// The last line, which must be the summary.
    pub fn summary(&self) -> serde_json::Value {
        let last = self.json().pop().expect("some output");
        assert_eq!(last["type"], "summary", "{last}");
        last
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.join("\n")
    }
}

impl Kinetop {
    /// Starts kinetop with `args`, the emulators' credentials and a fresh HOME.
    pub fn start(args: &[&str]) -> Kinetop {
        Self::start_with(args, &[])
    }

    pub fn start_with(args: &[&str], env: &[(&str, &str)]) -> Kinetop {
        let home = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinetop"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("KINETOP_LOG_DIR", home.path().join("log"))
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", home.path().join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kinetop");
        let stdout = Lines::default();
        let stderr = Lines::default();
        let readers = vec![
            read_lines(child.stdout.take().unwrap(), stdout.clone()),
            read_lines(child.stderr.take().unwrap(), stderr.clone()),
        ];
        Kinetop {
            child,
            started: Instant::now(),
            stdout,
            stderr,
            readers,
            home,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn log_file(&self) -> PathBuf {
        self.home.path().join("log/kinetop.log")
    }

    /// Waits until the log file has a line containing `text`.
    pub fn wait_for_log(&self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let log = std::fs::read_to_string(self.log_file()).unwrap_or_default();
            if log.contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {text:?} after {timeout:?}: {log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The standard error lines so far, with how long after the start each came.
    pub fn stderr_so_far(&self) -> Vec<(Duration, String)> {
        let lines = self.stderr.lock().unwrap();
        lines
            .iter()
            .map(|(t, l)| (t.duration_since(self.started), l.clone()))
            .collect()
    }

    /// Waits until a standard error line satisfies `check`; returns it and when it came.
    pub fn wait_for_stderr(
        &self,
        timeout: Duration,
        check: impl Fn(&str) -> bool,
    ) -> (Duration, String) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self.stderr_so_far().into_iter().find(|(_, l)| check(l)) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no such line on stderr after {timeout:?}: {:?}",
                self.stderr_so_far()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` and waits (at most `bound`, then kills) for the end.
    pub fn signal_and_wait(self, signal: i32, bound: Duration) -> Ended {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid()),
            nix::sys::signal::Signal::try_from(signal).ok(),
        );
        self.wait_from(Instant::now(), bound)
    }

    /// Waits (at most `bound`, then kills) for the end.
    pub fn wait(self, bound: Duration) -> Ended {
        let since = self.started;
        self.wait_from(since, bound)
    }

    fn wait_from(mut self, since: Instant, bound: Duration) -> Ended {
        let deadline = since + bound;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let status = self.child.wait().unwrap();
                let stderr = self.stderr.lock().unwrap().clone();
                panic!(
                    "kinetop still running after {bound:?} (killed: {status}); stderr: {stderr:?}"
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let took = since.elapsed();
        // The pipes close with the process, unless something it started still holds them.
        let readers_done = Instant::now() + Duration::from_secs(2);
        while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < readers_done {
            std::thread::sleep(Duration::from_millis(5));
        }
        let take = |lines: &Lines| {
            lines
                .lock()
                .unwrap()
                .iter()
                .map(|(_, l)| l.clone())
                .collect()
        };
        Ended {
            status,
            stdout: take(&self.stdout),
            stderr: take(&self.stderr),
            took,
        }
    }
}

impl Drop for Kinetop {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read_lines(pipe: impl Read + Send + 'static, into: Lines) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            into.lock().unwrap().push((Instant::now(), line));
        }
    })
}

/// Makes a FIFO at `path`.
pub fn mkfifo(path: &Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600))
        .unwrap_or_else(|e| panic!("mkfifo {}: {e}", path.display()));
}
