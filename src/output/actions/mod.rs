//! Alarm actions: run a command with the alarm as JSON on stdin, or append to a JSON Lines file.
//!
//! [`ActionRunner::on_transition`] never blocks its caller (the engine loop): it only queues.
//! Each alarm (rule × application) has its own bounded queue of commands, run in order (an
//! alarm's `on-ok` never overtakes its `on-alarm`) by its own task, so a slow command delays
//! only its own alarm's later commands. Appends go through one ordered writer of their own and
//! never wait for a command. At most [`ActionOptions::concurrency`] commands run at once. A job
//! that finds its queue full is dropped and counted (`actions_dropped` in the summary and the
//! alarm view), as is one still waiting when the run ends. A command runs in its own process
//! group, killed when it exceeds its timeout, and at exit (see [`ActionsExit`]). Failures are
//! logged (tracing) and counted, never fatal.

mod command;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use self::command::ProcessGroups;
use self::command::{run_command, CommandEnd};
use super::lines::{rfc3339, AlarmLine};
use crate::core::alarms::{ActionCommand, AlarmKey, AlarmRule, AlarmState, AlarmTransition};

/// Limits of the background work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionOptions {
    /// Commands waiting per alarm; beyond this that alarm's new ones are dropped (and counted).
    pub queue: usize,
    /// Commands running at once, over all alarms.
    pub concurrency: usize,
    /// Appends waiting (one ordered writer for all alarms); beyond this new ones are dropped.
    pub append_queue: usize,
}

impl Default for ActionOptions {
    fn default() -> Self {
        ActionOptions {
            queue: 16,
            concurrency: 32,
            append_queue: 1024,
        }
    }
}

/// How long one append may take (a file on a hung network file system, a FIFO without a
/// reader) before it counts as failed and the next one is written.
const APPEND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an alarm's idle task waits for more before it ends (a new one starts on demand).
const LANE_IDLE: Duration = Duration::from_secs(60);
/// At exit: how long appends still waiting may take to be written.
pub const APPENDS_AT_EXIT: Duration = Duration::from_millis(500);

/// What happened to actions so far. Each part of an action (a command, an append) is a job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ActionStats {
    /// Jobs accepted for running.
    pub queued: u64,
    /// Jobs not run: their queue was full, or they were still waiting when the run ended.
    pub dropped: u64,
    /// Commands that exited with status 0, and lines appended.
    pub succeeded: u64,
    /// Commands that could not start or exited otherwise, and appends that failed.
    pub failed: u64,
    /// Commands killed for running longer than their timeout.
    pub timed_out: u64,
}

/// The live, shared form of [`ActionStats`], updated by every lane without a lock.
#[derive(Debug, Default)]
struct SharedActionCounts {
    queued: AtomicU64,
    dropped: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    timed_out: AtomicU64,
    /// Accepted and not yet started: dropped if the run ends first.
    waiting: AtomicU64,
    /// Appends accepted and not yet written (or failed).
    appends_waiting: AtomicU64,
}

impl SharedActionCounts {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn sub(counter: &AtomicU64) {
        counter.fetch_sub(1, Ordering::Relaxed);
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

/// A command to run for one transition.
struct CommandJob {
    key: AlarmKey,
    command: ActionCommand,
    timeout: Duration,
    /// The alarm as one JSON line, newline included.
    line: Arc<str>,
    env: Arc<[(&'static str, String)]>,
}

/// A line to append for one transition.
struct AppendJob {
    key: AlarmKey,
    path: PathBuf,
    line: Arc<str>,
}

/// What everything shares: counters, the limit on commands, the process groups.
#[derive(Clone)]
struct Shared {
    counters: Arc<SharedActionCounts>,
    permits: Arc<Semaphore>,
    groups: ProcessGroups,
}

/// One alarm's queue of commands.
struct Lane {
    jobs: mpsc::Sender<CommandJob>,
    /// Whether a drop of this alarm was logged already (one warning per alarm, not per drop).
    warned: bool,
}

/// Runs the `on-alarm` / `on-ok` actions of alarm rules on transitions.
pub struct ActionRunner {
    rules: HashMap<Arc<str>, Arc<AlarmRule>>,
    /// Alarms that have been in ALARM since they were last OK: their next OK is a recovery.
    alarmed: HashSet<AlarmKey>,
    options: ActionOptions,
    lanes: HashMap<AlarmKey, Lane>,
    appends: Option<mpsc::Sender<AppendJob>>,
    /// The alarms' tasks and the append writer.
    tasks: JoinSet<()>,
    shared: Shared,
    /// The runtime the tasks run on, for spawning from the engine's thread.
    runtime: Option<tokio::runtime::Handle>,
    /// Cancelled when the run is stopped by a signal: commands are not waited for at the end.
    stopping: CancellationToken,
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
        let shared = Shared {
            counters: Arc::new(SharedActionCounts::default()),
            permits: Arc::new(Semaphore::new(options.concurrency.max(1))),
            groups: ProcessGroups::default(),
        };
        let mut tasks = JoinSet::new();
        let (appends, runtime) = if rules.is_empty() {
            (None, None)
        } else {
            let (tx, rx) = mpsc::channel(options.append_queue.max(1));
            tasks.spawn(write_appends(rx, shared.counters.clone()));
            (Some(tx), Some(tokio::runtime::Handle::current()))
        };
        ActionRunner {
            rules,
            alarmed: HashSet::new(),
            options,
            lanes: HashMap::new(),
            appends,
            tasks,
            shared,
            runtime,
            stopping: CancellationToken::new(),
        }
    }

    /// Whether any rule has an action.
    pub fn has_actions(&self) -> bool {
        !self.rules.is_empty()
    }

    /// When `stop` is cancelled (a signal), [`ActionRunner::finish`] does not wait for
    /// commands: they are killed, and only appends get [`APPENDS_AT_EXIT`].
    pub fn stop_quickly_on(&mut self, stop: CancellationToken) {
        self.stopping = stop;
    }

    /// What [`ActionsExit`] needs, to end the actions from outside the engine.
    pub fn exit_handle(&self) -> ActionsExit {
        ActionsExit {
            groups: self.shared.groups.clone(),
            counters: self.shared.counters.clone(),
            done: false,
        }
    }

    /// Queues the actions the transition calls for, if any: `on-alarm` on every transition to
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
        let Some(action) = action.cloned() else {
            return;
        };
        let mut line =
            serde_json::to_string(&AlarmLine::with_rule(transition, rule)).unwrap_or_default();
        line.push('\n');
        let line: Arc<str> = Arc::from(line);
        if let Some(path) = action.append {
            self.queue_append(AppendJob {
                key: key.clone(),
                path,
                line: line.clone(),
            });
        }
        if let Some(command) = action.command {
            self.queue_command(CommandJob {
                key,
                command,
                timeout: action.timeout,
                line,
                env: environment(transition).into(),
            });
        }
    }

    fn queue_append(&mut self, job: AppendJob) {
        let Some(appends) = &self.appends else { return };
        let counters = &self.shared.counters;
        let key = job.key.clone();
        match appends.try_send(job) {
            Ok(()) => {
                SharedActionCounts::add(&counters.queued);
                SharedActionCounts::add(&counters.waiting);
                SharedActionCounts::add(&counters.appends_waiting);
            }
            Err(_) => {
                SharedActionCounts::add(&counters.dropped);
                tracing::warn!(alarm = %key.0, application = %key.1, "alarm append dropped: too many waiting");
            }
        }
    }

    fn queue_command(&mut self, job: CommandJob) {
        let Some(runtime) = self.runtime.clone() else {
            return;
        };
        let key = job.key.clone();
        let counters = self.shared.counters.clone();
        let lane = self.lanes.entry(key.clone()).or_insert_with(|| Lane {
            jobs: closed_sender(),
            warned: false,
        });
        let job = match lane.jobs.try_send(job) {
            Ok(()) => {
                SharedActionCounts::add(&counters.queued);
                SharedActionCounts::add(&counters.waiting);
                return;
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                SharedActionCounts::add(&counters.dropped);
                if !lane.warned {
                    lane.warned = true;
                    tracing::warn!(
                        alarm = %key.0,
                        application = %key.1,
                        "alarm command dropped: its alarm has {} waiting (further drops are counted, not logged)",
                        self.options.queue
                    );
                }
                return;
            }
            // Its task ended after being idle (or never started): start one.
            Err(mpsc::error::TrySendError::Closed(job)) => job,
        };
        let (tx, rx) = mpsc::channel(self.options.queue.max(1));
        let _ = tx.try_send(job);
        SharedActionCounts::add(&counters.queued);
        SharedActionCounts::add(&counters.waiting);
        lane.jobs = tx;
        let _context = runtime.enter();
        self.tasks.spawn(run_lane(rx, self.shared.clone()));
        // Ended lanes leave their results behind: collect them now and then.
        while self.tasks.try_join_next().is_some() {}
    }

    pub fn stats(&self) -> ActionStats {
        self.shared.counters.snapshot()
    }

    /// Stops taking jobs, then waits for the queued and running ones: appends for up to
    /// `grace` (at most [`APPENDS_AT_EXIT`] once the run was stopped by a signal), commands
    /// for up to `grace` (not at all once stopped by a signal). Commands still running then
    /// are killed with their process groups; jobs that never started count as dropped.
    pub async fn finish(mut self, grace: Duration) -> ActionStats {
        self.appends = None;
        self.lanes.clear();
        let stopped = self.stopping.is_cancelled();
        let counters = self.shared.counters.clone();
        let start = Instant::now();
        let appends_deadline = start
            + if stopped {
                APPENDS_AT_EXIT.min(grace)
            } else {
                grace
            };
        let commands_deadline = if stopped { start } else { start + grace };
        while !self.tasks.is_empty() {
            let now = Instant::now();
            let appends_over =
                counters.appends_waiting.load(Ordering::Relaxed) == 0 || now >= appends_deadline;
            if now >= commands_deadline && appends_over {
                break;
            }
            tokio::select! {
                _ = self.tasks.join_next() => {}
                _ = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
        }
        self.tasks.abort_all();
        let killed = self.shared.groups.kill_all();
        if killed > 0 {
            tracing::warn!(
                killed,
                "alarm commands still running at exit: killed with what they started"
            );
        }
        let never_ran = counters.waiting.swap(0, Ordering::Relaxed);
        if never_ran > 0 {
            counters.dropped.fetch_add(never_ran, Ordering::Relaxed);
            tracing::warn!(never_ran, "alarm actions still waiting at exit: dropped");
        }
        self.stats()
    }

    /// [`ActionRunner::finish`] for a plain thread (such as the pipeline's engine thread); it
    /// must not be called from within the runtime's async code.
    pub fn finish_blocking(self, grace: Duration) -> ActionStats {
        match self.runtime.clone() {
            Some(runtime) => runtime.block_on(self.finish(grace)),
            None => self.stats(),
        }
    }
}

/// Ends the actions from outside the engine, whatever state it is in (the TUI quits, the
/// process unwinds): waits a moment for appends still waiting, then kills every action's
/// process group. Also on drop.
pub struct ActionsExit {
    groups: ProcessGroups,
    counters: Arc<SharedActionCounts>,
    done: bool,
}

impl ActionsExit {
    /// Call while the runtime still runs (so the appends can be written).
    pub fn now(&mut self, appends_wait: Duration) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let deadline = Instant::now() + appends_wait;
        while self.counters.appends_waiting.load(Ordering::Relaxed) > 0 && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        let killed = self.groups.kill_all();
        if killed > 0 {
            tracing::warn!(
                killed,
                "alarm commands still running at exit: killed with what they started"
            );
        }
    }
}

impl Drop for ActionsExit {
    fn drop(&mut self) {
        self.now(Duration::ZERO);
    }
}

/// A sender whose receiver is gone: the first job for an alarm starts its task.
fn closed_sender() -> mpsc::Sender<CommandJob> {
    mpsc::channel(1).0
}

/// One alarm's task: its commands in order, each once a slot among all alarms is free. Ends
/// after [`LANE_IDLE`] without work.
async fn run_lane(mut jobs: mpsc::Receiver<CommandJob>, shared: Shared) {
    loop {
        let job = match tokio::time::timeout(LANE_IDLE, jobs.recv()).await {
            Ok(Some(job)) => job,
            // The runner finished (sender dropped): nothing more will come.
            Ok(None) => return,
            Err(_) => {
                // Idle: close, then run what slipped in meanwhile, and end.
                jobs.close();
                while let Ok(job) = jobs.try_recv() {
                    run_one(job, &shared).await;
                }
                return;
            }
        };
        run_one(job, &shared).await;
    }
}

async fn run_one(job: CommandJob, shared: &Shared) {
    let Ok(_permit) = shared.permits.acquire().await else {
        return;
    };
    let counters = &shared.counters;
    SharedActionCounts::sub(&counters.waiting);
    let (alarm, application) = (&job.key.0, &job.key.1);
    match run_command(
        &job.command,
        &job.line,
        &job.env,
        job.timeout,
        &shared.groups,
    )
    .await
    {
        CommandEnd::Succeeded => {
            SharedActionCounts::add(&counters.succeeded);
            tracing::debug!(%alarm, %application, "alarm action done");
        }
        CommandEnd::Failed(why) => {
            SharedActionCounts::add(&counters.failed);
            tracing::warn!(%alarm, %application, "alarm action: {why}");
        }
        CommandEnd::TimedOut => {
            SharedActionCounts::add(&counters.timed_out);
            tracing::warn!(
                %alarm,
                %application,
                "alarm action {:?} killed after {:?}",
                job.command,
                job.timeout
            );
        }
    }
}

/// The append writer: lines in the order they came, each within [`APPEND_TIMEOUT`].
async fn write_appends(mut jobs: mpsc::Receiver<AppendJob>, counters: Arc<SharedActionCounts>) {
    while let Some(job) = jobs.recv().await {
        SharedActionCounts::sub(&counters.waiting);
        let result = tokio::time::timeout(APPEND_TIMEOUT, append(&job)).await;
        let error = match result {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("no progress within {APPEND_TIMEOUT:?}")),
        };
        match error {
            None => SharedActionCounts::add(&counters.succeeded),
            Some(e) => {
                SharedActionCounts::add(&counters.failed);
                tracing::warn!(
                    alarm = %job.key.0,
                    application = %job.key.1,
                    path = %job.path.display(),
                    "alarm action: cannot append: {e}"
                );
            }
        }
        SharedActionCounts::sub(&counters.appends_waiting);
    }
}

async fn append(job: &AppendJob) -> std::io::Result<()> {
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&job.path)
        .await?;
    // One write of the whole line: appends of concurrent writers do not interleave.
    file.write_all(job.line.as_bytes()).await?;
    file.flush().await
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
