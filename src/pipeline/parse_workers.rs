//! Stage 1 on several cores, with the order of the input kept.
//!
//! Parsing is most of the work per line, and the windows stage must see events in input order
//! (lateness and event time are per event, in order: see `core::event_time`). So the stage is
//! split in three: a dispatcher numbers every source event and hands each batch of lines to one
//! of a few parse workers; the workers parse batches side by side; a sequencer puts their results
//! back in number order (a small reorder buffer) before the windows stage takes them. What that
//! stage sees is exactly what one parser would have handed it.
//!
//! Until the log format is known (detected from the first lines), batches are parsed by the
//! dispatcher itself, in order, so detection sees the same lines it always did.

use std::collections::BTreeMap;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use super::engine::StageMsg;
use super::parse_stage::LineParser;
use crate::source::{RawBatch, SourceEvent};

/// Parse workers at most: beyond a few, the windows stage (one thread) is the limit.
const MAX_WORKERS: usize = 4;
/// Events numbered but not yet handed on, per worker: enough to keep every worker busy while one
/// works on a large batch, and a bound on the reorder buffer (each event may hold a 512 KiB
/// batch).
const IN_FLIGHT_PER_WORKER: usize = 2;

/// How many parse workers this machine gets: one per core, within [`MAX_WORKERS`].
pub(super) fn worker_count() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_WORKERS)
}

/// A batch for a worker, with its number and the metadata table taken in input order.
struct Job {
    seq: u64,
    batch: RawBatch,
    table: std::sync::Arc<crate::enrich::MetadataTable>,
}

/// Starts the stage: `next_event` yields the sources' events (`None` once the run is cancelled
/// and what was read is handed on); the stage ends once `sources` sources said `Finished`. Every
/// result goes to `stage_tx` in input order, then [`StageMsg::AllFinished`]. Returns the
/// dispatcher's thread, which ends when the input does or the windows stage goes away; the
/// workers and the sequencer end with it.
pub(super) fn start(
    parser: LineParser,
    next_event: impl FnMut() -> Option<SourceEvent> + Send + 'static,
    sources: usize,
    stage_tx: Sender<StageMsg>,
    workers: usize,
) -> std::io::Result<JoinHandle<()>> {
    let workers = workers.max(1);
    let in_flight = workers * IN_FLIGHT_PER_WORKER + 2;
    let (done_tx, done_rx) = crossbeam_channel::unbounded::<(u64, StageMsg)>();
    // One permit per event between numbering and hand-on: the dispatcher takes one, the
    // sequencer gives it back. This bounds the reorder buffer whatever a worker's pace.
    let (permit_tx, permit_rx) = crossbeam_channel::bounded::<()>(in_flight);
    for _ in 0..in_flight {
        let _ = permit_tx.send(());
    }
    std::thread::Builder::new()
        .name("kinetop-order".into())
        .spawn(move || sequence(done_rx, stage_tx, permit_tx))?;
    let mut dispatcher = Dispatcher {
        parser,
        workers,
        pool: None,
        done: done_tx,
        permits: permit_rx,
        seq: 0,
    };
    std::thread::Builder::new()
        .name("kinetop-parse".into())
        .spawn(move || dispatcher.run(next_event, sources))
}

/// Numbers the events and hands each on: batches to the workers (once the format is known),
/// the rest straight to the sequencer.
struct Dispatcher {
    /// Parses while the format is still unknown, and is the model of every worker's parser.
    parser: LineParser,
    workers: usize,
    /// The workers' queue, once they are started.
    pool: Option<Sender<Job>>,
    done: Sender<(u64, StageMsg)>,
    permits: Receiver<()>,
    seq: u64,
}

impl Dispatcher {
    fn run(&mut self, mut next_event: impl FnMut() -> Option<SourceEvent>, sources: usize) {
        let mut finished = 0;
        while let Some(event) = next_event() {
            let handed_on = match event {
                SourceEvent::Batch(batch) => self.batch(batch),
                SourceEvent::Watermark(t) => self.hand_on(StageMsg::Watermark(t)),
                SourceEvent::Status(s) => self.hand_on(StageMsg::Status(s)),
                SourceEvent::Finished => {
                    finished += 1;
                    if finished < sources {
                        continue;
                    }
                    break;
                }
            };
            if !handed_on {
                return;
            }
        }
        self.hand_on(StageMsg::AllFinished);
    }

    /// False once the windows stage is gone.
    fn batch(&mut self, batch: RawBatch) -> bool {
        if self.parser.format().is_none() || self.workers == 1 {
            let parsed = self.parser.parse_batch(&batch);
            return self.hand_on(StageMsg::Batch(parsed));
        }
        let jobs = match &self.pool {
            Some(jobs) => jobs,
            None => match spawn_workers(&self.parser, self.workers, &self.done) {
                Ok(jobs) => self.pool.insert(jobs),
                Err(e) => {
                    // Parsing goes on here, on one core.
                    tracing::warn!("cannot start parse workers: {e}");
                    self.workers = 1;
                    return self.batch(batch);
                }
            },
        };
        let job = Job {
            seq: self.seq,
            table: self.parser.table(),
            batch,
        };
        self.seq += 1;
        self.permits.recv().is_ok() && jobs.send(job).is_ok()
    }

    /// Sends a result to the sequencer under the next number. False once it is gone.
    fn hand_on(&mut self, msg: StageMsg) -> bool {
        let seq = self.seq;
        self.seq += 1;
        self.permits.recv().is_ok() && self.done.send((seq, msg)).is_ok()
    }
}

/// Starts `count` workers parsing jobs from the returned queue into `done`.
fn spawn_workers(
    parser: &LineParser,
    count: usize,
    done: &Sender<(u64, StageMsg)>,
) -> std::io::Result<Sender<Job>> {
    // Unbounded: the permits already bound what is queued.
    let (jobs_tx, jobs_rx) = crossbeam_channel::unbounded::<Job>();
    for n in 0..count {
        let mut parser = parser.worker();
        let (jobs, done) = (jobs_rx.clone(), done.clone());
        std::thread::Builder::new()
            .name(format!("kinetop-parse-{n}"))
            .spawn(move || {
                for Job { seq, batch, table } in jobs {
                    let parsed = parser.parse_batch_with(&batch, table);
                    drop(batch);
                    if done.send((seq, StageMsg::Batch(parsed))).is_err() {
                        return;
                    }
                }
            })?;
    }
    Ok(jobs_tx)
}

/// Hands results on in number order; gives a permit back for each. Ends after `AllFinished`, or
/// when the windows stage or every producer is gone.
fn sequence(done: Receiver<(u64, StageMsg)>, stage_tx: Sender<StageMsg>, permits: Sender<()>) {
    let mut waiting: BTreeMap<u64, StageMsg> = BTreeMap::new();
    let mut next = 0u64;
    for (seq, msg) in done {
        waiting.insert(seq, msg);
        while let Some(msg) = waiting.remove(&next) {
            next += 1;
            let last = matches!(msg, StageMsg::AllFinished);
            if stage_tx.send(msg).is_err() || last {
                return;
            }
            let _ = permits.send(());
        }
    }
}

#[cfg(test)]
mod tests;
