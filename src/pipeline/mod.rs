//! Wiring: sources → decode → parse → enrich → aggregators and alarms → snapshots / JSON Lines.
//!
//! Threads: sources run as tokio tasks (file reads on their own threads); stage 1 (decode, parse,
//! enrich) runs on a parse worker per core (see `parse_workers`: batches are numbered and put back
//! in order) and stage 2 (windows, alarms, output) owns a thread, so a busy input keeps every core
//! working while the order of lines is kept exactly.

mod engine;
mod error;
mod parse_stage;
mod parse_workers;
pub mod progress;
pub mod recent;
pub mod signals;
pub mod sink;
pub mod snapshot;
pub mod startup;

pub use engine::EngineEnd;
pub use error::StartError;
pub use parse_stage::{LineParser, ParsedBatch};

use std::io::Write;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::core::alarms::AlarmEngine;
use crate::core::WindowConfig;
use crate::enrich::SharedTable;
use crate::output::actions::{ActionRunner, ActionsExit, APPENDS_AT_EXIT};
use crate::output::fault_log::FaultLog;
use crate::output::publish::{PublishTarget, RecordTransport, RelaySink};
use crate::pipeline::snapshot::{MetadataStatus, Snapshot, SourceStatus};
use crate::source::kinesis::shard_group::ShardGroup;
use crate::source::{Source, SourceEvent};
use engine::{Engine, EngineInputs, StageMsg};
use sink::{JsonLinesSink, SnapshotSink};

/// Source events (a file chunk of 512 KiB, a GetRecords page of up to 10 MB) waiting for the
/// parse stage. Reading is much faster than parsing, so a short queue keeps both cores busy;
/// each slot is memory an ops host pays for.
const SOURCE_QUEUE: usize = 8;
/// Parsed batches waiting for the windows stage.
const STAGE_QUEUE: usize = 4;

/// Requests from the UI to the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineCommand {
    /// Show windows of this width (seconds) from now on; one of the kept widths.
    SetWidth(i64),
    /// Publish a snapshot now (e.g. after a resize).
    Refresh,
}

/// What the UI holds of a running pipeline.
pub struct PipelineHandle {
    /// The latest snapshot; changes at most ~10 times a second.
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    /// The TUI stores here the `seq` of each snapshot it took in; the engine makes the next one
    /// only then (see [`sink::Sink::ready_for_snapshot`]).
    pub taken: Arc<AtomicU64>,
    pub commands: mpsc::UnboundedSender<EngineCommand>,
    /// The widths the `w` key cycles through, in seconds.
    pub widths: Vec<i64>,
}

/// The widths the TUI keeps windows for (the `w` key cycles through them).
pub const TUI_WIDTHS: [i64; 5] = [10, 60, 300, 900, 3600];

/// Everything `start` needs besides the settings.
pub struct StartParts {
    pub sources: Vec<Box<dyn Source>>,
    /// Alarm rules to evaluate on the primary width, and the runner of their actions.
    pub alarms: Option<(AlarmEngine, Option<ActionRunner>)>,
    pub source_name: String,
    /// The origins (`RawBatch::origin`) known before reading: windows wait for each of them.
    pub origins: Vec<Arc<str>>,
    pub table: SharedTable,
    pub metadata: watch::Receiver<MetadataStatus>,
    /// `--publish`: where a relay's aggregate records go.
    pub publisher: Option<Box<dyn RecordTransport>>,
}

/// A running pipeline.
pub struct Running {
    pub cancel: CancellationToken,
    engine: JoinHandle<std::io::Result<EngineEnd>>,
    stage1: JoinHandle<()>,
    pub handle: Option<PipelineHandle>,
    failures: SourceFailures,
    /// Kills what alarm actions left running, at the latest when this is dropped.
    actions_exit: Option<ActionsExit>,
}

/// Sources that stopped for good (a stream deleted mid-run): their messages, in order.
#[derive(Debug, Clone, Default)]
pub struct SourceFailures(Arc<Mutex<Vec<String>>>);

impl SourceFailures {
    fn push(&self, message: String) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message);
    }

    /// The failures so far (and forgets them).
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// How long [`Running::join`] waits for the parse stage once the windows are written: it
/// may be held by a source blocked in a read that nothing can interrupt (a FIFO, a hung
/// network file system); the process ends without it.
const STAGE1_EXIT_WAIT: Duration = Duration::from_millis(200);

impl Running {
    /// Waits for the engine to end (headless: end of input or cancellation).
    pub fn join(self) -> std::io::Result<EngineEnd> {
        let end = self
            .engine
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("engine thread panicked")));
        let deadline = Instant::now() + STAGE1_EXIT_WAIT;
        while !self.stage1.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if self.stage1.is_finished() {
            let _ = self.stage1.join();
        }
        end
    }

    /// Ends alarm actions now (the TUI quits): appends still waiting get a moment, then every
    /// command's process group is killed. Call before the runtime shuts down.
    pub fn stop_actions(&mut self) {
        if let Some(exit) = self.actions_exit.as_mut() {
            exit.now(APPENDS_AT_EXIT);
        }
    }

    /// Where sources that fail for good are recorded (read it after [`Running::join`]).
    pub fn source_failures(&self) -> SourceFailures {
        self.failures.clone()
    }
}

/// The window widths to keep: the configured one, plus the cycle set in the TUI.
pub fn kept_widths(settings: &Settings) -> (Vec<i64>, i64) {
    let primary = settings.window.as_secs() as i64;
    let mut widths = if settings.headless {
        vec![primary]
    } else {
        TUI_WIDTHS.to_vec()
    };
    if !widths.contains(&primary) {
        widths.push(primary);
        widths.sort_unstable();
    }
    (widths, primary)
}

/// Starts the stages on their threads and the sources on the runtime.
pub fn start(
    settings: &Settings,
    parts: StartParts,
    runtime: &tokio::runtime::Handle,
    stdout: Option<Box<dyn Write + Send>>,
) -> Result<Running, StartError> {
    let format = settings.format.clone();
    let (widths, primary) = kept_widths(settings);
    let base = WindowConfig {
        width_secs: primary,
        lateness_secs: settings.lateness.as_secs() as i64,
        // Headless output needs no history: final windows are written and dropped.
        history: if settings.headless {
            0
        } else {
            settings.history
        },
        history_bytes: if settings.headless {
            0
        } else {
            settings.history_budget / widths.len().max(1)
        },
        top_k: settings.top_k,
        external_watermark: true,
        ..WindowConfig::default()
    };
    let cancel = CancellationToken::new();
    // The sources stop on `cancel`, and also when the engine has seen all it asked for (`--until`
    // passed): then the input ends as a file does, and alarm actions still get their time.
    let input_done = cancel.child_token();
    let (source_tx, source_rx) = mpsc::channel::<SourceEvent>(SOURCE_QUEUE);
    let (stage_tx, stage_rx) = crossbeam_channel::bounded::<StageMsg>(STAGE_QUEUE);

    let StartParts {
        sources,
        alarms,
        source_name,
        origins,
        table,
        metadata,
        publisher,
    } = parts;
    let initial_metadata = metadata.borrow().clone();
    let source_count = sources.len();
    let failures = SourceFailures::default();
    for source in sources {
        let tx = source_tx.clone();
        let cancel = input_done.clone();
        let failures = failures.clone();
        runtime.spawn(async move {
            let name = source.describe();
            let status_tx = tx.clone();
            if let Err(e) = source.run(tx, cancel).await {
                tracing::error!(source = %name, "source failed: {e:#}");
                let problem = format!("{name}: {e:#}");
                failures.push(problem.clone());
                let status = SourceStatus {
                    name: name.clone(),
                    problem: Some(problem),
                    ..SourceStatus::default()
                };
                let _ = status_tx.send(SourceEvent::Status(status)).await;
                let _ = status_tx.send(SourceEvent::Finished).await;
            }
        });
    }
    drop(source_tx);

    let parser = LineParser::new(format.clone(), table)
        .with_max_skew(i64::try_from(settings.max_skew.as_secs()).unwrap_or(i64::MAX))
        .with_raw_lines(!settings.headless)
        .with_agents(!settings.headless);
    let mut input = StageInput {
        rx: source_rx,
        cancel: input_done.clone(),
        runtime: runtime.clone(),
        drain_left: SOURCE_QUEUE + 1,
    };
    let stage1 = parse_workers::start(
        parser,
        move || input.next(),
        source_count,
        stage_tx,
        parse_workers::worker_count(),
    )
    .map_err(StartError::io("cannot start a thread"))?;

    let (commands, handle) = if settings.headless {
        (None, None)
    } else {
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        (Some(cmd_rx), Some(cmd_tx))
    };
    let inputs = EngineInputs {
        commands,
        metadata: metadata.clone(),
    };
    let mut engine = Engine::new(&base, &widths, primary, source_name.clone(), inputs);
    engine.set_format_spec(format.as_ref().map(|f| f.spec().to_string()));
    engine.wait_for_origins(&origins);
    engine.follow_silence(settings.follow);
    engine.set_range(settings.range);
    if let (Some(until_ms), true) = (settings.range.until_ms, reads_without_end(settings)) {
        engine.stop_after(until_ms, input_done);
    }
    let mut actions_exit = None;
    if let Some((alarms, mut actions)) = alarms {
        if let Some(actions) = actions.as_mut() {
            actions.stop_quickly_on(cancel.clone());
            actions_exit = Some(actions.exit_handle());
        }
        engine.set_alarms(alarms, actions);
    }
    if let Some(transport) = publisher {
        let group = settings.shard_group.unwrap_or(ShardGroup::ALL);
        engine.add_sink(Box::new(RelaySink::new(
            group,
            primary,
            base.lateness_secs,
            crate::clock::now_ms(),
            transport,
        )));
    }
    let handle = match handle {
        None => {
            let mut faults = FaultLog::to_stderr();
            faults.watch_metadata(metadata.clone());
            engine.set_fault_log(faults);
            // `--publish -` takes standard output for its records.
            if let Some(stdout) = stdout.filter(|_| settings.publish != Some(PublishTarget::Stdout))
            {
                engine.add_sink(Box::new(JsonLinesSink::new(stdout)));
            }
            None
        }
        Some(commands) => {
            let (snap_tx, snap_rx) = watch::channel(Arc::new(empty_snapshot(
                &source_name,
                initial_metadata,
                primary,
            )));
            let taken = Arc::new(AtomicU64::new(0));
            engine.add_sink(Box::new(SnapshotSink::new(snap_tx, Arc::clone(&taken))));
            Some(PipelineHandle {
                snapshots: snap_rx,
                taken,
                commands,
                widths: widths.clone(),
            })
        }
    };
    let engine = std::thread::Builder::new()
        .name("kinetop-windows".into())
        .spawn(move || engine.run(stage_rx))
        .map_err(StartError::io("cannot start a thread"))?;
    Ok(Running {
        cancel,
        engine,
        stage1,
        handle,
        failures,
        actions_exit,
    })
}

/// Whether the input may never end by itself: followed files, standard input, a stream.
fn reads_without_end(settings: &Settings) -> bool {
    settings.follow
        || settings.kinesis.is_some()
        || settings.files.iter().any(|f| f.as_os_str() == "-")
}

/// What the parse stage reads: the sources' events until they all finish or the run is
/// cancelled. Cancelled, what was already read is handed on, then the stage ends at once, even
/// while a source is blocked in a read that nothing interrupts (a FIFO without a writer).
struct StageInput {
    rx: mpsc::Receiver<SourceEvent>,
    cancel: CancellationToken,
    runtime: tokio::runtime::Handle,
    /// Events still taken after cancellation: the queue's worth, so a fast source that has not
    /// seen the cancellation yet cannot keep the stage going.
    drain_left: usize,
}

impl StageInput {
    fn next(&mut self) -> Option<SourceEvent> {
        if !self.cancel.is_cancelled() {
            let (rx, cancel) = (&mut self.rx, &self.cancel);
            let event = self.runtime.block_on(async {
                tokio::select! {
                    biased;
                    _ = cancel.cancelled() => None,
                    event = rx.recv() => Some(event),
                }
            });
            if let Some(event) = event {
                return event;
            }
        }
        self.drain_left = self.drain_left.checked_sub(1)?;
        self.rx.try_recv().ok()
    }
}

fn empty_snapshot(source_name: &str, metadata: MetadataStatus, width: i64) -> Snapshot {
    Snapshot {
        seq: 0,
        taken_at_ms: crate::clock::now_ms(),
        width_secs: width,
        widths: Vec::new(),
        widths_given_up: Vec::new(),
        windows: Vec::new(),
        detail_from: None,
        history_dropped: 0,
        watermark: None,
        counters: Default::default(),
        events_per_sec: 0.0,
        malformed: Vec::new(),
        source: SourceStatus {
            name: source_name.to_string(),
            ..SourceStatus::default()
        },
        metadata,
        alarms: Default::default(),
        actions: None,
        finished: false,
        recent: Default::default(),
    }
}
