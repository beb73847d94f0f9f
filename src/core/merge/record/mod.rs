//! The aggregate record and the relay heartbeat: the JSON objects relays publish (one per
//! Kinesis record, or one per line of a JSON Lines file) and viewers merge. The format is a
//! contract documented in the README ("Scaling past one process"), so that other producers (a
//! Flink job, say) can emit it too.
//!
//! An aggregate record is the headless `window` line of one (window, application) — same fields,
//! same meaning, except that `top_paths` and `top_callers` list the whole mergeable summary — plus
//! the mergeable state (`hosts_sketch`, `latency`, the two bounds and the callers' detail), and
//! `type`, `schema`, `relay_group`, `relay_groups` and `seq` first. It is bounded: at most
//! [`MAX_RECORD_BYTES`] whatever the input, the encoder trimming the lowest-counted callers and
//! paths (raising the bounds) until it fits.
//!
//! Decoding treats records as hostile input: anything oversized, malformed, inconsistent or of an
//! unknown `type` or `schema` is refused with an error naming the field.
//!
//! The record lives beside the state it carries rather than in `output/`: the relay's publisher
//! and the viewer's input both use it, and it is pure (bytes in, bytes out).

mod decode;
mod encode;
#[cfg(test)]
mod tests;

use super::AppPartial;

pub use decode::decode;
pub use encode::{encode_aggregate, encode_heartbeat};

/// The record format's version. A reader refuses other versions; fields may be added to a
/// version (readers ignore fields they do not know), never renamed, dropped or changed in meaning.
pub const SCHEMA: u64 = 1;
/// Largest record written or accepted, in bytes: Kinesis' record limit.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// Widest window accepted (7 days), in seconds.
pub const MAX_WIDTH_S: i64 = 7 * 86_400;
/// Most relay groups (`--shard-group I/N`: N at most this).
pub const MAX_RELAY_GROUPS: u32 = 1024;
/// Most shards one heartbeat lists, and the longest shard id (Kinesis ids are 20 characters).
pub const MAX_SHARDS: usize = 10_000;
pub const MAX_SHARD_ID_BYTES: usize = 128;

/// Who published a record: relay group `group` of `groups`, and the record's sequence number in
/// that group (greater is newer: a relay restarted later starts above every number it used before,
/// e.g. from its start time in milliseconds × 1000). A viewer keeps, per (group, window,
/// application), the record with the greatest `seq`, so a record delivered twice or republished
/// by a restarted relay replaces its copy instead of adding to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayStamp {
    pub group: u32,
    pub groups: u32,
    pub seq: u64,
}

/// One (window, application) as one relay group saw it.
#[derive(Debug, Clone)]
pub struct AggregateRecord {
    pub relay: RelayStamp,
    pub partial: AppPartial,
}

/// A relay's counters since it started, as in the headless `summary` line. Written flat into
/// the heartbeat record (after `shards`), and read back from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RelayCounters {
    pub lines: u64,
    pub parsed: u64,
    pub malformed: u64,
    pub late: u64,
    pub future: u64,
    pub trailing: u64,
    #[serde(default)]
    pub bad_records: u64,
}

impl std::ops::AddAssign for RelayCounters {
    fn add_assign(&mut self, other: RelayCounters) {
        self.lines += other.lines;
        self.parsed += other.parsed;
        self.malformed += other.malformed;
        self.late += other.late;
        self.future += other.future;
        self.trailing += other.trailing;
        self.bad_records += other.bad_records;
    }
}

/// A relay's state, published about every 5 s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    pub relay: RelayStamp,
    /// When it was made (wall clock, epoch seconds).
    pub time: i64,
    /// The relay's window width and allowed lateness, in seconds.
    pub width_s: i64,
    pub lateness_s: i64,
    /// Every window ending at or before this (epoch seconds) is final in the relay and was
    /// published before this heartbeat; `None` before the first final window.
    pub final_until: Option<i64>,
    /// Event-time watermark: the event time windows are closed by (epoch seconds).
    pub watermark: Option<i64>,
    /// How far the relay's reading is behind the tip of its shards, in milliseconds.
    pub lag_ms: Option<u64>,
    /// The raw stream's shards this relay group reads now.
    pub shards: Vec<String>,
    pub counters: RelayCounters,
}

/// A decoded record.
#[derive(Debug, Clone)]
pub enum Record {
    Aggregate(Box<AggregateRecord>),
    Heartbeat(Heartbeat),
}

/// Why a record cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("record of {0} bytes is over the {MAX_RECORD_BYTES}-byte limit")]
    TooLarge(usize),
    #[error("not a valid JSON record: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no `type` field: not an aggregate or heartbeat record")]
    NoType,
    #[error("unknown record type `{0}` (expected `aggregate` or `heartbeat`)")]
    UnknownType(String),
    #[error("{kind} record without a `schema` field")]
    NoSchema { kind: &'static str },
    #[error("{kind} record of schema {found}: this kinetop reads schema {SCHEMA}")]
    UnknownSchema { kind: &'static str, found: u64 },
    #[error("{kind} record: `{field}` {reason}")]
    Invalid {
        kind: &'static str,
        field: String,
        reason: String,
    },
    #[error("cannot write a record: {0}")]
    Unencodable(String),
}
