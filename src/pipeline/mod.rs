//! Wiring: sources → decode → parse → enrich → aggregators and alarms → snapshots / JSON Lines.
//!
//! Threads: sources run as tokio tasks (file reads on their own threads); stage 1 (decode, parse,
//! enrich) and stage 2 (windows, alarms, output) each own a thread, so a busy input keeps both cores
//! working while the order of lines is kept exactly.

mod engine;
mod parse_stage;
pub mod progress;
pub mod snapshot;
pub mod startup;

pub use engine::{merge_statuses, now_ms, EngineEnd};
pub use parse_stage::{LineParser, ParsedBatch};

use std::io::Write;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::core::alarms::AlarmEngine;
use crate::core::WindowConfig;
use crate::enrich::SharedTable;
use crate::output::actions::ActionRunner;
use crate::output::jsonl::JsonLinesWriter;
use crate::parse::LogFormat;
use crate::pipeline::snapshot::{MetadataStatus, Snapshot, SourceStatus};
use crate::source::{Source, SourceEvent};
use engine::{Engine, Outputs, StageMsg};

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
    pub commands: mpsc::UnboundedSender<EngineCommand>,
    /// The widths the `w` key cycles through, in seconds.
    pub widths: Vec<i64>,
}

/// The widths the TUI keeps windows for (the `w` key cycles through them).
pub const TUI_WIDTHS: [i64; 5] = [10, 60, 300, 900, 3600];

/// A problem that stops kinetop before it starts: bad format, unreadable file, bad metadata…
/// Shown as one line on standard error; exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

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
}

/// A running pipeline.
pub struct Running {
    pub cancel: CancellationToken,
    engine: JoinHandle<std::io::Result<EngineEnd>>,
    stage1: JoinHandle<()>,
    pub handle: Option<PipelineHandle>,
}

impl Running {
    /// Waits for the engine to end (headless: end of input or cancellation).
    pub fn join(self) -> std::io::Result<EngineEnd> {
        let end = self
            .engine
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("engine thread panicked")));
        let _ = self.stage1.join();
        end
    }
}

/// Compiles `--format`, if given.
pub fn compile_format(settings: &Settings) -> Result<Option<LogFormat>, StartError> {
    settings
        .format
        .as_deref()
        .map(LogFormat::new)
        .transpose()
        .map_err(|e| StartError(format!("--format: {e}")))
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
    let format = compile_format(settings)?;
    let (widths, primary) = kept_widths(settings);
    let base = WindowConfig {
        width_secs: primary,
        lateness_secs: settings.lateness.as_secs() as i64,
        history: settings.history,
        top_k: settings.top_k,
        external_watermark: true,
        ..WindowConfig::default()
    };
    let cancel = CancellationToken::new();
    let (source_tx, mut source_rx) = mpsc::channel::<SourceEvent>(SOURCE_QUEUE);
    let (stage_tx, stage_rx) = crossbeam_channel::bounded::<StageMsg>(STAGE_QUEUE);

    let StartParts {
        sources,
        alarms,
        source_name,
        origins,
        table,
        metadata,
    } = parts;
    let initial_metadata = metadata.borrow().clone();
    let source_count = sources.len();
    for source in sources {
        let tx = source_tx.clone();
        let cancel = cancel.clone();
        runtime.spawn(async move {
            let name = source.describe();
            let status_tx = tx.clone();
            if let Err(e) = source.run(tx, cancel).await {
                tracing::error!(source = %name, "source failed: {e:#}");
                let status = SourceStatus {
                    name: name.clone(),
                    problem: Some(format!("{name}: {e:#}")),
                    ..SourceStatus::default()
                };
                let _ = status_tx.send(SourceEvent::Status(status)).await;
                let _ = status_tx.send(SourceEvent::Finished).await;
            }
        });
    }
    drop(source_tx);

    let mut parser = LineParser::new(format.clone(), table);
    let stage1 = std::thread::Builder::new()
        .name("kinetop-parse".into())
        .spawn(move || {
            let mut finished = 0;
            while let Some(event) = source_rx.blocking_recv() {
                let msg = match event {
                    SourceEvent::Batch(batch) => StageMsg::Batch(parser.parse_batch(&batch)),
                    SourceEvent::Watermark(t) => StageMsg::Watermark(t),
                    SourceEvent::Status(s) => StageMsg::Status(s),
                    SourceEvent::Finished => {
                        finished += 1;
                        if finished < source_count {
                            continue;
                        }
                        break;
                    }
                };
                if stage_tx.send(msg).is_err() {
                    return;
                }
            }
            let _ = stage_tx.send(StageMsg::AllFinished);
        })
        .map_err(|e| StartError(format!("cannot start a thread: {e}")))?;

    let mut engine = Engine::new(&base, &widths, primary, source_name.clone());
    engine.set_format_spec(format.as_ref().map(|f| f.spec().to_string()));
    engine.expect_origins(&origins);
    if let Some((alarms, actions)) = alarms {
        engine.set_alarms(alarms, actions);
    }
    let (handle, outputs) = if settings.headless {
        let json = stdout.map(JsonLinesWriter::new);
        let outputs = Outputs {
            json,
            snapshots: None,
            commands: None,
            metadata: metadata.clone(),
        };
        (None, outputs)
    } else {
        let (snap_tx, snap_rx) = watch::channel(Arc::new(empty_snapshot(
            &source_name,
            initial_metadata,
            primary,
        )));
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let handle = PipelineHandle {
            snapshots: snap_rx,
            commands: cmd_tx,
            widths: widths.clone(),
        };
        let outputs = Outputs {
            json: None,
            snapshots: Some(snap_tx),
            commands: Some(cmd_rx),
            metadata: metadata.clone(),
        };
        (Some(handle), outputs)
    };
    let engine = std::thread::Builder::new()
        .name("kinetop-windows".into())
        .spawn(move || engine.run(stage_rx, outputs))
        .map_err(|e| StartError(format!("cannot start a thread: {e}")))?;
    Ok(Running {
        cancel,
        engine,
        stage1,
        handle,
    })
}

fn empty_snapshot(source_name: &str, metadata: MetadataStatus, width: i64) -> Snapshot {
    Snapshot {
        seq: 0,
        taken_at_ms: now_ms(),
        width_secs: width,
        windows: Vec::new(),
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
        finished: false,
    }
}
