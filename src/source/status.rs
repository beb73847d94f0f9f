//! What a source says about itself: its state, lag, rate and problem, per part (a shard, a
//! file), for the status bar, the inputs view (`i`) and the headless fault log.

/// The state of the source, for the status bar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceStatus {
    /// `demo`, file names, `kinesis:stream`.
    pub name: String,
    /// Open shards (Kinesis) or files.
    pub parts: usize,
    /// How far behind the source's newest data we are, in milliseconds, where known.
    pub lag_ms: Option<u64>,
    /// Records or lines per second recently received.
    pub records_per_sec: f64,
    /// The last problem (throttling, network, …) still in effect, shown in the status bar.
    pub problem: Option<String>,
    /// Per part (shard / file) details for a drill-down.
    pub details: Vec<PartStatus>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartStatus {
    pub name: String,
    pub state: PartState,
    pub lag_ms: Option<u64>,
    pub records: u64,
    /// This part's problem in effect, or one that cleared since the previous status: the
    /// source's line names only the first of several.
    pub problem: Option<String>,
    /// Since when the part is in `state` (UTC epoch milliseconds), where known: the inputs view
    /// says how long it has been waiting or connecting.
    pub state_since_ms: Option<i64>,
    /// Files: bytes read so far (over every file a rotation brought).
    pub bytes_read: Option<u64>,
    /// Files: bytes between the read position and the file's end at the last look.
    pub bytes_behind: Option<u64>,
}

/// Where one part of a source (a Kinesis shard, a file) is. Shards and files share one set of
/// states so the views can ask the same questions of both (is it done, is it waiting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PartState {
    /// Created; its first read has not answered yet.
    #[default]
    Starting,
    /// Shard: polling with GetRecords.
    Polling,
    /// Shard: reading through an enhanced fan-out subscription.
    FanOut,
    /// Reading what is there (behind the end, or a finite input not yet ended).
    Reading,
    /// Shard: at the tip, the last read was empty with nothing behind.
    CaughtUp,
    /// Shard: a transient error (throttling, network); retried after a delay.
    BackingOff,
    /// Shard: closed by a reshard and read to its end.
    Finished,
    /// Shard: the stream was deleted while it was read.
    StreamDeleted,
    /// Shard: its position fell out of the stream's retention.
    PastRetention,
    /// Shard: closed before the start position, nothing to read.
    SkippedClosed,
    /// File: a FIFO that no writer has opened yet: opening it waits for one.
    WaitingForWriter,
    /// File: at the end of a followed file, watching it grow.
    Following,
    /// File: a followed path that does not exist (yet) or cannot be read: retried every poll.
    Waiting,
    /// File: the followed file was just rotated (renamed away or truncated); the new one is next.
    Rotated,
    /// File: a finite input read to its end.
    Ended,
}

impl PartState {
    /// The words the inputs view and the status bar show.
    pub fn as_str(self) -> &'static str {
        match self {
            PartState::Starting => "starting",
            PartState::Polling => "polling",
            PartState::FanOut => "fan-out",
            PartState::Reading => "reading",
            PartState::CaughtUp => "caught up",
            PartState::BackingOff => "backing off",
            PartState::Finished => "finished",
            PartState::StreamDeleted => "stream deleted",
            PartState::PastRetention => "gone (past retention)",
            PartState::SkippedClosed => "skipped (closed)",
            PartState::WaitingForWriter => "waiting for a writer",
            PartState::Following => "following",
            PartState::Waiting => "waiting",
            PartState::Rotated => "rotated",
            PartState::Ended => "ended",
        }
    }

    /// Read to its end: nothing more will come from this part.
    pub fn is_done(self) -> bool {
        matches!(
            self,
            PartState::Finished | PartState::Ended | PartState::SkippedClosed
        )
    }

    /// Blocked on something outside kinetop (a writer, a path, a first answer): the status bar
    /// says so with how long it has lasted.
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            PartState::Starting | PartState::WaitingForWriter | PartState::Waiting
        )
    }
}

impl std::fmt::Display for PartState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
