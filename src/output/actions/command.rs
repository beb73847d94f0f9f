//! Running one alarm command: the alarm JSON on its standard input, its own process group (so
//! that a timeout, and kinetop's exit, end whatever it started), its standard error kept for the
//! log. [`ProcessGroups`] remembers every group that may still have members.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::core::alarms::ActionCommand;

/// How much of a failed command's standard error is kept for the log.
const STDERR_KEPT: usize = 2048;

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandEnd {
    Succeeded,
    /// Could not start, or exited otherwise (the reason, with its standard error).
    Failed(String),
    /// Killed, with its process group, for running past its timeout.
    TimedOut,
}

/// The process groups of commands started so far that may still have a member: the running
/// commands, and those whose leader exited while something it started in the background
/// lives on. At exit every one is killed, so no grandchild outlives kinetop.
#[derive(Debug, Clone, Default)]
pub struct ProcessGroups(Arc<Mutex<HashSet<i32>>>);

impl ProcessGroups {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<i32>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn add(&self, pgid: i32) {
        let mut groups = self.lock();
        // Forget groups that emptied since: their id may be given to another process later.
        groups.retain(|&g| group_alive(g));
        groups.insert(pgid);
    }

    /// After the leader exited: kept only while the group has members.
    fn settle(&self, pgid: i32) {
        if !group_alive(pgid) {
            self.lock().remove(&pgid);
        }
    }

    /// SIGKILL to every group still alive. Returns how many were.
    pub fn kill_all(&self) -> usize {
        let groups: Vec<i32> = self.lock().drain().collect();
        groups
            .into_iter()
            .filter(|&g| group_alive(g))
            .inspect(|&g| kill_group(g))
            .count()
    }

    /// Groups that may still have members (for tests and the log).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Runs `command` with `input` on its standard input and `env` added, for at most `timeout`.
pub async fn run_command(
    command: &ActionCommand,
    input: &str,
    env: &[(&'static str, String)],
    timeout: Duration,
    groups: &ProcessGroups,
) -> CommandEnd {
    let mut cmd = match command {
        ActionCommand::Shell(text) => {
            let mut cmd = tokio::process::Command::new("sh");
            cmd.arg("-c").arg(text);
            cmd
        }
        ActionCommand::Argv(argv) => {
            let mut cmd = tokio::process::Command::new(&argv[0]);
            cmd.args(&argv[1..]);
            cmd
        }
    };
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        // Its own process group, so that a timeout kills whatever it started too.
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return CommandEnd::Failed(format!("cannot run {command:?}: {e}")),
    };
    let pgid = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .filter(|&p| p > 1);
    if let Some(pgid) = pgid {
        groups.add(pgid);
    }
    let stdin = child.stdin.take();
    let stderr = child.stderr.take().map(|err| tokio::spawn(read_some(err)));
    let outcome = tokio::time::timeout(timeout, async {
        if let Some(mut stdin) = stdin {
            // A command that does not read its input is fine (broken pipe ignored).
            let _ = stdin.write_all(input.as_bytes()).await;
        }
        child.wait().await
    })
    .await;
    let stderr_text = || async {
        match stderr {
            // Whatever it wrote by now; a background grandchild may hold the pipe open.
            Some(task) => match tokio::time::timeout(Duration::from_millis(200), task).await {
                Ok(Ok(text)) => text,
                _ => String::new(),
            },
            None => String::new(),
        }
    };
    let end = match outcome {
        Ok(Ok(status)) if status.success() => CommandEnd::Succeeded,
        Ok(Ok(status)) => {
            let stderr = stderr_text().await;
            CommandEnd::Failed(format!("{command:?} failed: {status}; stderr: {stderr}"))
        }
        Ok(Err(e)) => CommandEnd::Failed(format!("{command:?}: {e}")),
        Err(_) => {
            if let Some(pgid) = pgid {
                kill_group(pgid);
            }
            let _ = child.kill().await;
            CommandEnd::TimedOut
        }
    };
    if let Some(pgid) = pgid {
        groups.settle(pgid);
    }
    end
}

/// The first [`STDERR_KEPT`] bytes, lossily as text; the rest is read and discarded so that the
/// command never blocks on a full pipe.
async fn read_some(mut stderr: tokio::process::ChildStderr) -> String {
    let mut kept = Vec::new();
    let _ = (&mut stderr)
        .take(STDERR_KEPT as u64)
        .read_to_end(&mut kept)
        .await;
    let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
    crate::output::sanitize::bytes_for_display(&kept, STDERR_KEPT)
}

/// Whether any process is in the group (no signal sent: killpg(2) with signal 0 only checks).
fn group_alive(pgid: i32) -> bool {
    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), None).is_ok()
}

/// SIGKILL to the whole process group of a command started with `process_group(0)`.
fn kill_group(pgid: i32) {
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pgid),
        nix::sys::signal::Signal::SIGKILL,
    );
}
