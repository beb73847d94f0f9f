//! Where the engine's results go: JSON Lines on standard output (headless), snapshots for the
//! TUI, and later publishers. The engine hands every sink the same events, in order.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

use super::snapshot::{Counters, Snapshot, SourceStatus};
use crate::core::alarms::AlarmTransition;
use crate::core::merge::AppPartial;
use crate::core::WindowSummary;
use crate::output::jsonl::JsonLinesWriter;
use crate::output::lines::{AlarmLine, SummaryLine};

/// A consumer of the engine's results. Every method has a default that ignores the event, so a
/// sink implements only what it uses. An I/O error ends the run (a closed standard output ends
/// it quietly, see [`crate::output::jsonl::is_broken_pipe`]).
pub trait Sink: Send {
    /// A window became final (windows come in order).
    fn window(&mut self, _window: &WindowSummary) -> io::Result<()> {
        Ok(())
    }

    /// Whether this sink takes the mergeable state of final windows ([`Sink::final_partials`]):
    /// the engine then keeps it for the primary width (a relay publishing aggregates).
    fn wants_partials(&self) -> bool {
        false
    }

    /// The mergeable state of every application of a window that became final (primary width,
    /// windows in order, right after [`Sink::window`] for the same window).
    fn final_partials(&mut self, _partials: &[AppPartial]) -> io::Result<()> {
        Ok(())
    }

    /// Where the run stands; called often (about every 100 ms), and once more at the end with
    /// `finished` before [`Sink::summary`].
    fn progress(&mut self, _progress: &Progress<'_>) -> io::Result<()> {
        Ok(())
    }

    /// This sink's own state for the status bar and the inputs view (a publisher's), if any.
    fn status(&self) -> Option<SourceStatus> {
        None
    }

    /// An alarm changed state, after the lines of the window that caused it.
    fn alarm(&mut self, _transition: &AlarmTransition) -> io::Result<()> {
        Ok(())
    }

    /// The windows and alarms of one step were all given.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// The input ended and everything was flushed: the last line.
    fn summary(&mut self, _line: &SummaryLine<'_>) -> io::Result<()> {
        Ok(())
    }

    /// Whether this sink shows live state: the engine then builds [`Snapshot`]s for it and keeps
    /// them coming after the input ended, until the sink is closed.
    fn is_live(&self) -> bool {
        false
    }

    fn snapshot(&mut self, _snapshot: Arc<Snapshot>) {}

    /// Whether the reader took in the last snapshot: until it has, making another only holds
    /// one more copy in memory (with 100,000 applications a snapshot's open windows are ~80 MB)
    /// for a screen that cannot show it yet.
    fn ready_for_snapshot(&self) -> bool {
        true
    }

    /// Whether whoever reads this sink has gone (the TUI quit).
    fn is_closed(&self) -> bool {
        false
    }
}

/// Where a run stands, for sinks that report it on (a relay's heartbeat).
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub counters: &'a Counters,
    /// The event time windows are closed by.
    pub watermark: Option<i64>,
    /// Every window ending at or before this is final and was handed to the sinks.
    pub final_until: Option<i64>,
    /// The sources' merged state (shards read, lag).
    pub source: &'a SourceStatus,
    /// The input ended and everything was flushed.
    pub finished: bool,
}

/// Headless: JSON Lines (see `output::lines`).
pub struct JsonLinesSink<W: Write + Send> {
    writer: JsonLinesWriter<W>,
}

impl<W: Write + Send> JsonLinesSink<W> {
    pub fn new(out: W) -> Self {
        JsonLinesSink {
            writer: JsonLinesWriter::new(out),
        }
    }
}

impl<W: Write + Send> Sink for JsonLinesSink<W> {
    fn window(&mut self, window: &WindowSummary) -> io::Result<()> {
        self.writer.write_window(window)
    }

    fn alarm(&mut self, transition: &AlarmTransition) -> io::Result<()> {
        self.writer.write(&AlarmLine::new(transition))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    fn summary(&mut self, line: &SummaryLine<'_>) -> io::Result<()> {
        self.writer.write(line)?;
        self.writer.flush()
    }
}

/// The TUI: the latest snapshot, published on a watch channel.
pub struct SnapshotSink {
    tx: watch::Sender<Arc<Snapshot>>,
    /// The `seq` of the last snapshot the TUI took in (it stores it).
    taken: Arc<AtomicU64>,
    /// The `seq` of the last snapshot sent.
    sent: u64,
}

impl SnapshotSink {
    pub fn new(tx: watch::Sender<Arc<Snapshot>>, taken: Arc<AtomicU64>) -> Self {
        SnapshotSink { tx, taken, sent: 0 }
    }
}

impl Sink for SnapshotSink {
    fn is_live(&self) -> bool {
        true
    }

    fn snapshot(&mut self, snapshot: Arc<Snapshot>) {
        self.sent = snapshot.seq;
        // Nobody listening means the UI is gone; `is_closed` reports it.
        let _ = self.tx.send(snapshot);
    }

    fn ready_for_snapshot(&self) -> bool {
        self.taken.load(Ordering::Relaxed) >= self.sent
    }

    fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}
