//! Alarm actions: run a command with the alarm as JSON on stdin, or append to a JSON Lines file.
//!
//! [`ActionRunner::on_transition`] never blocks its caller (the engine loop): it only queues a
//! job. A background task appends lines in order and starts commands, at most
//! [`ActionOptions::concurrency`] at a time and in order for each alarm (an alarm's `on-ok`
//! never overtakes its `on-alarm`). A command runs in its own process group, which is killed
//! when it exceeds its timeout. Failures are logged (tracing) and counted, never fatal.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use super::lines::{rfc3339, AlarmLine};
use crate::core::alarms::{
    ActionCommand, AlarmAction, AlarmKey, AlarmRule, AlarmState, AlarmTransition,
};

/// How much of a failed command's standard error is kept for the log.
const STDERR_KEPT: usize = 2048;

/// Limits of the background work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionOptions {
    /// Jobs waiting to run; beyond this new ones are dropped (and counted).
    pub queue: usize,
    /// Commands running at once.
    pub concurrency: usize,
}

impl Default for ActionOptions {
    fn default() -> Self {
        ActionOptions {
            queue: 256,
            concurrency: 4,
        }
    }
}

/// What happened to actions so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ActionStats {
    /// Jobs accepted for running.
    pub queued: u64,
    /// Jobs not run because the queue was full.
    pub dropped: u64,
    /// Commands that exited with status 0, and lines appended.
    pub succeeded: u64,
    /// Commands that could not start or exited otherwise, and appends that failed.
    pub failed: u64,
    /// Commands killed for running longer than their timeout.
    pub timed_out: u64,
}

#[derive(Debug, Default)]
struct Counters {
    queued: AtomicU64,
    dropped: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    timed_out: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> ActionStats {
        ActionStats {
            queued: self.queued.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            succeeded: self.succeeded.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            timed_out: self.timed_out.load(Ordering::Relaxed),
        }
    }
}

/// One action to perform for one transition.
struct Job {
    key: AlarmKey,
    /// The alarm as one JSON line, newline included.
    line: String,
    env: Vec<(&'static str, String)>,
    action: AlarmAction,
}

/// Runs the `on-alarm` / `on-ok` actions of alarm rules on transitions.
pub struct ActionRunner {
    rules: HashMap<Arc<str>, Arc<AlarmRule>>,
    /// Alarms that have been in ALARM since they were last OK: their next OK is a recovery.
    alarmed: HashSet<AlarmKey>,
    queue: Option<mpsc::Sender<Job>>,
    counters: Arc<Counters>,
    worker: Option<JoinHandle<()>>,
    /// The runtime the worker runs on, for [`ActionRunner::finish_blocking`].
    runtime: Option<tokio::runtime::Handle>,
}

impl ActionRunner {
    /// A runner for these rules with default limits. Must be called within a tokio runtime (it
    /// starts the background task); rules without actions cost nothing.
    pub fn new(rules: &[AlarmRule]) -> Self {
        Self::with_options(rules, ActionOptions::default())
    }

    pub fn with_options(rules: &[AlarmRule], options: ActionOptions) -> Self {
        let rules: HashMap<_, _> = rules
            .iter()
            .filter(|r| r.on_alarm.is_some() || r.on_ok.is_some())
            .map(|r| (r.name.clone(), Arc::new(r.clone())))
            .collect();
        let counters = Arc::new(Counters::default());
        let (queue, worker) = if rules.is_empty() {
            (None, None)
        } else {
            let (tx, rx) = mpsc::channel(options.queue.max(1));
            let worker = tokio::spawn(work(rx, options.concurrency.max(1), counters.clone()));
            (Some(tx), Some(worker))
        };
        ActionRunner {
            rules,
            alarmed: HashSet::new(),
            queue,
            counters,
            runtime: worker.as_ref().map(|_| tokio::runtime::Handle::current()),
            worker,
        }
    }

    /// Whether any rule has an action.
    pub fn has_actions(&self) -> bool {
        !self.rules.is_empty()
    }

    /// Queues the action the transition calls for, if any: `on-alarm` on every transition to
    /// ALARM, `on-ok` when the alarm recovers (OK after having been in ALARM, possibly through
    /// INSUFFICIENT_DATA; not the first OK after start-up). Never blocks.
    pub fn on_transition(&mut self, transition: &AlarmTransition) {
        let Some(rule) = self.rules.get(&transition.alarm) else {
            return;
        };
        let key = (transition.alarm.clone(), transition.application.clone());
        let action = match transition.state {
            AlarmState::Alarm => {
                self.alarmed.insert(key.clone());
                rule.on_alarm.as_ref()
            }
            AlarmState::Ok if self.alarmed.remove(&key) => rule.on_ok.as_ref(),
            AlarmState::Ok | AlarmState::InsufficientData => None,
        };
        let (Some(action), Some(queue)) = (action, &self.queue) else {
            return;
        };
        let mut line =
            serde_json::to_string(&AlarmLine::with_rule(transition, rule)).unwrap_or_default();
        line.push('\n');
        let job = Job {
            key,
            line,
            env: environment(transition),
            action: action.clone(),
        };
        match queue.try_send(job) {
            Ok(()) => Counters::add(&self.counters.queued),
            Err(_) => {
                Counters::add(&self.counters.dropped);
                tracing::warn!(
                    alarm = %transition.alarm,
                    application = %transition.application,
                    "alarm action dropped: too many actions waiting"
                );
            }
        }
    }

    pub fn stats(&self) -> ActionStats {
        self.counters.snapshot()
    }

    /// Stops taking jobs and waits up to `grace` for the queued and running ones (end of a
    /// headless run). Commands still running then are killed with the runtime.
    pub async fn finish(mut self, grace: Duration) -> ActionStats {
        self.queue = None;
        if let Some(worker) = self.worker.take() {
            let abort = worker.abort_handle();
            if tokio::time::timeout(grace, worker).await.is_err() {
                tracing::warn!("alarm actions still running at exit");
                abort.abort();
            }
        }
        self.stats()
    }
}

impl ActionRunner {
    /// [`ActionRunner::finish`] for a plain thread (such as the pipeline's engine thread); it
    /// must not be called from within the runtime's async code.
    pub fn finish_blocking(self, grace: Duration) -> ActionStats {
        match self.runtime.clone() {
            Some(runtime) => runtime.block_on(self.finish(grace)),
            None => self.stats(),
        }
    }
}

/// Variables a command can use instead of parsing its standard input.
fn environment(t: &AlarmTransition) -> Vec<(&'static str, String)> {
    vec![
        ("KINETOP_ALARM", t.alarm.to_string()),
        ("KINETOP_APPLICATION", t.application.to_string()),
        ("KINETOP_STATE", t.state.as_str().to_string()),
        ("KINETOP_PREVIOUS", t.previous.as_str().to_string()),
        (
            "KINETOP_VALUE",
            t.value.map(|v| v.to_string()).unwrap_or_default(),
        ),
        ("KINETOP_THRESHOLD", t.threshold.to_string()),
        ("KINETOP_WINDOW_START", rfc3339(t.window_start)),
    ]
}

/// The background task: appends in arrival order, commands chained per alarm.
async fn work(mut jobs: mpsc::Receiver<Job>, concurrency: usize, counters: Arc<Counters>) {
    let permits = Arc::new(Semaphore::new(concurrency));
    // The newest command of each alarm; the next one of that alarm waits for it.
    let mut last: HashMap<AlarmKey, JoinHandle<()>> = HashMap::new();
    while let Some(job) = jobs.recv().await {
        if let Some(path) = &job.action.append {
            append(path, &job, &counters).await;
        }
        if job.action.command.is_some() {
            // Taking the permit here (not in the task) keeps the queue the only buffer: when
            // every slot is busy, jobs wait in the bounded channel and new ones are dropped.
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            last.retain(|_, h| !h.is_finished());
            let before = last.remove(&job.key);
            let key = job.key.clone();
            let task = tokio::spawn(run(job, before, permit, counters.clone()));
            last.insert(key, task);
        }
    }
    for (_, task) in last {
        let _ = task.await;
    }
}

async fn append(path: &std::path::Path, job: &Job, counters: &Counters) {
    let result = async {
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await?;
        // One write of the whole line: appends of concurrent writers do not interleave.
        file.write_all(job.line.as_bytes()).await?;
        file.flush().await
    }
    .await;
    match result {
        Ok(()) => Counters::add(&counters.succeeded),
        Err(e) => {
            Counters::add(&counters.failed);
            tracing::warn!(
                alarm = %job.key.0,
                application = %job.key.1,
                path = %path.display(),
                "alarm action: cannot append: {e}"
            );
        }
    }
}

async fn run(
    job: Job,
    before: Option<JoinHandle<()>>,
    _permit: OwnedSemaphorePermit,
    counters: Arc<Counters>,
) {
    if let Some(before) = before {
        let _ = before.await;
    }
    let Some(command) = &job.action.command else {
        return;
    };
    let (alarm, application) = (&job.key.0, &job.key.1);
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
    cmd.envs(job.env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        // Its own process group, so that a timeout kills whatever it started too.
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            Counters::add(&counters.failed);
            tracing::warn!(%alarm, %application, "alarm action: cannot run {command:?}: {e}");
            return;
        }
    };
    let pid = child.id();
    let stdin = child.stdin.take();
    let stderr = child.stderr.take().map(|err| tokio::spawn(read_some(err)));
    let outcome = tokio::time::timeout(job.action.timeout, async {
        if let Some(mut stdin) = stdin {
            // A command that does not read its input is fine (broken pipe ignored).
            let _ = stdin.write_all(job.line.as_bytes()).await;
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
    match outcome {
        Ok(Ok(status)) if status.success() => {
            Counters::add(&counters.succeeded);
            tracing::debug!(%alarm, %application, "alarm action done");
        }
        Ok(Ok(status)) => {
            Counters::add(&counters.failed);
            let stderr = stderr_text().await;
            tracing::warn!(%alarm, %application, %stderr, "alarm action {command:?} failed: {status}");
        }
        Ok(Err(e)) => {
            Counters::add(&counters.failed);
            tracing::warn!(%alarm, %application, "alarm action {command:?}: {e}");
        }
        Err(_) => {
            Counters::add(&counters.timed_out);
            kill_group(pid);
            let _ = child.kill().await;
            tracing::warn!(
                %alarm,
                %application,
                "alarm action {command:?} killed after {:?}",
                job.action.timeout
            );
        }
    }
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

/// SIGKILL to the whole process group of a command started with `process_group(0)`.
fn kill_group(pid: Option<u32>) {
    if let Some(pgid) = pid.and_then(|p| i32::try_from(p).ok()).filter(|&p| p > 1) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is involved.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}
