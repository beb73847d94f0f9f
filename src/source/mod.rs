//! Sources of raw log data: the demo generator, files / standard input, Kinesis.
//!
//! A source runs as its own task (or thread for blocking file reads) and sends [`SourceEvent`]s
//! into the pipeline's channel. It never parses: it hands over bytes with their origin.

pub mod demo;
pub mod file;
pub mod kinesis;
pub mod status;

use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use status::SourceStatus;

/// What a batch carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Complete log lines, each ended by `\n`, `\r\n` or a lone `\r` (the last one may lack it).
    Lines(Vec<u8>),
    /// Records from a stream, each decoded on its own (plain text, agent JSON, KPL, CloudWatch
    /// Logs gzip; see `crate::decode`).
    Records(Vec<StreamRecord>),
}

/// One record read from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecord {
    pub data: Vec<u8>,
    pub sequence_number: String,
    /// Approximate arrival time at the stream (UTC epoch milliseconds), where known.
    pub arrival_ms: Option<i64>,
}

/// A batch of raw data from one origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBatch {
    /// File path, `stdin`, `demo` or the shard id: named in malformed samples.
    pub origin: Arc<str>,
    /// For `Lines` from files: the 1-based line number of the first line in the batch (0: unknown).
    pub first_line: u64,
    /// When the batch was read (UTC epoch milliseconds, wall clock). Used as the event time of
    /// lines whose format has no `%t`.
    pub received_ms: i64,
    pub payload: Payload,
}

/// What a source tells the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceEvent {
    Batch(RawBatch),
    /// The source's state changed (lag, shard count, a problem or its recovery).
    Status(SourceStatus),
    /// Event time moved forward without data (an idle live source): lets windows close.
    Watermark(i64),
    /// This source has no more data (end of a finite file, `--until-caught-up` reached).
    Finished,
}

/// The sending side of the pipeline's source channel.
pub type SourceSender = mpsc::Sender<SourceEvent>;

/// A source of raw log data. `run` returns when the source is finished, cancelled, or failed for
/// good (a failure that retrying cannot fix, such as a missing file at start).
pub trait Source: Send + 'static {
    /// Short description for the status bar (`demo`, `access.log`, `kinesis:web-logs`).
    fn describe(&self) -> String;

    fn run(
        self: Box<Self>,
        out: SourceSender,
        cancel: CancellationToken,
    ) -> BoxFuture<'static, anyhow::Result<()>>;
}
