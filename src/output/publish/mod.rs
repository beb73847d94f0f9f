//! `--publish`: a relay's output. For each final (window, application) one aggregate record,
//! and about every 5 s a heartbeat (see `core::merge::record` for the format), to a Kinesis
//! stream (`kinesis:STREAM`), a JSON Lines file (`file:PATH`) or standard output (`-`).
//!
//! [`RelaySink`] is a pipeline [`Sink`]: the engine hands it the mergeable state of every final
//! window of the primary width, and its progress (counters, watermark, what is final). Records
//! go through a [`RecordTransport`]: lines written in order, or a Kinesis publisher task.
//!
//! Sequence numbers: `seq` starts at the relay's start time in milliseconds × 1000 and counts
//! up, so a relay restarted later publishes above every number it used before and a viewer keeps
//! the newer copy of a window it republishes.

mod kinesis;
mod lines;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

pub use self::kinesis::{KinesisTransport, PutApi, SdkPut};
pub use self::lines::LinesTransport;
use crate::core::merge::record::{
    encode_aggregate, encode_heartbeat, Heartbeat, RelayCounters, RelayStamp,
};
use crate::core::merge::AppPartial;
use crate::output::lines::SummaryLine;
use crate::pipeline::sink::{Progress, Sink};
use crate::pipeline::snapshot::{Counters, SourceStatus};
use crate::source::kinesis::shard_group::ShardGroup;

/// How often a relay says it is alive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
/// Heartbeats go to this many evenly spaced hash keys in turn, so that every shard of the
/// aggregate stream carries heartbeats (see [`heartbeat_hash_key`]).
const HEARTBEAT_KEYS: u128 = 16;

/// Where `--publish` sends records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishTarget {
    Kinesis(String),
    File(PathBuf),
    Stdout,
}

impl FromStr for PublishTarget {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "-" {
            return Ok(PublishTarget::Stdout);
        }
        let nonempty = |rest: &str, what: &str| {
            if rest.is_empty() {
                Err(format!("`{text}` names no {what}"))
            } else {
                Ok(rest.to_string())
            }
        };
        if let Some(stream) = text.strip_prefix("kinesis:") {
            return nonempty(stream, "stream").map(PublishTarget::Kinesis);
        }
        if let Some(path) = text.strip_prefix("file:") {
            return nonempty(path, "file").map(|p| PublishTarget::File(PathBuf::from(p)));
        }
        Err(format!(
            "`{text}` is not kinesis:STREAM, file:PATH or - (standard output)"
        ))
    }
}

impl fmt::Display for PublishTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishTarget::Kinesis(s) => write!(f, "kinesis:{s}"),
            PublishTarget::File(p) => write!(f, "file:{}", p.display()),
            PublishTarget::Stdout => f.write_str("-"),
        }
    }
}

/// One record to send.
#[derive(Debug, Clone)]
pub struct OutRecord {
    pub partition_key: String,
    /// Overrides the partition key's hash (heartbeats spread over the stream's shards).
    pub explicit_hash_key: Option<u128>,
    pub data: Vec<u8>,
}

/// How records leave the relay.
pub trait RecordTransport: Send {
    /// Queues or writes one record. May wait while the transport is far behind (pacing).
    fn put(&mut self, record: OutRecord) -> io::Result<()>;
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Sends everything queued (waiting at most `limit`), then stops.
    fn finish(&mut self, _limit: Duration) -> io::Result<()> {
        self.flush()
    }
    /// The state to show (status bar, inputs view, standard error headless).
    fn status(&self) -> Option<SourceStatus> {
        None
    }
}

/// How long the end of a run waits for queued records to be published.
const FINISH_LIMIT: Duration = Duration::from_secs(60);

/// The relay's output: aggregate records and heartbeats; see the module docs.
pub struct RelaySink {
    group: ShardGroup,
    next_seq: u64,
    width_s: i64,
    lateness_s: i64,
    transport: Box<dyn RecordTransport>,
    last_beat: Option<Instant>,
    beats: u128,
    /// Records that could not be encoded (logged; never expected).
    unencodable: u64,
}

impl RelaySink {
    pub fn new(
        group: ShardGroup,
        width_s: i64,
        lateness_s: i64,
        start_ms: i64,
        transport: Box<dyn RecordTransport>,
    ) -> Self {
        RelaySink {
            group,
            next_seq: u64::try_from(start_ms).unwrap_or(0).saturating_mul(1000),
            width_s,
            lateness_s,
            transport,
            last_beat: None,
            beats: 0,
            unencodable: 0,
        }
    }

    fn stamp(&mut self) -> RelayStamp {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        RelayStamp {
            group: self.group.index,
            groups: self.group.count,
            seq,
        }
    }

    fn heartbeat(&mut self, progress: &Progress<'_>) -> io::Result<()> {
        let c = progress.counters;
        let beat = Heartbeat {
            relay: self.stamp(),
            time: crate::clock::now_secs(),
            width_s: self.width_s,
            lateness_s: self.lateness_s,
            final_until: progress.final_until,
            watermark: progress.watermark,
            lag_ms: progress.source.lag_ms,
            shards: owned_shards(progress.source),
            counters: relay_counters(c),
        };
        self.last_beat = Some(Instant::now());
        match encode_heartbeat(&beat) {
            Ok(data) => {
                let key = heartbeat_hash_key(self.beats);
                self.beats += 1;
                self.transport.put(OutRecord {
                    partition_key: format!("heartbeat-{}", self.group.index),
                    explicit_hash_key: Some(key),
                    data,
                })?;
                self.transport.flush()
            }
            Err(e) => {
                self.unencodable += 1;
                tracing::error!(error = %e, "cannot encode a heartbeat");
                Ok(())
            }
        }
    }
}

/// The `n`th heartbeat's hash key: the middle of the `n mod 16`th sixteenth of the key space.
/// A viewer applies a heartbeat only once every shard it reads has reached the heartbeat's
/// arrival time; heartbeats landing on every shard in turn keep that moving.
pub fn heartbeat_hash_key(n: u128) -> u128 {
    let slice = u128::MAX / HEARTBEAT_KEYS;
    (n % HEARTBEAT_KEYS) * slice + slice / 2
}

/// The raw stream's shards this relay reads now (its parts not finished).
fn owned_shards(source: &SourceStatus) -> Vec<String> {
    source
        .details
        .iter()
        .filter(|p| !p.state.is_done())
        .map(|p| p.name.clone())
        .take(crate::core::merge::record::MAX_SHARDS)
        .collect()
}

impl Sink for RelaySink {
    fn wants_partials(&self) -> bool {
        true
    }

    fn final_partials(&mut self, partials: &[AppPartial]) -> io::Result<()> {
        for partial in partials {
            let stamp = self.stamp();
            match encode_aggregate(stamp, partial) {
                Ok(data) => self.transport.put(OutRecord {
                    partition_key: partition_key(&partial.application),
                    explicit_hash_key: None,
                    data,
                })?,
                Err(e) => {
                    self.unencodable += 1;
                    tracing::error!(application = %partial.application.escape_debug(), error = %e, "cannot encode an aggregate record");
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.transport.flush()
    }

    fn progress(&mut self, progress: &Progress<'_>) -> io::Result<()> {
        let due = self
            .last_beat
            .is_none_or(|t| t.elapsed() >= HEARTBEAT_EVERY);
        if due || progress.finished {
            self.heartbeat(progress)?;
        }
        Ok(())
    }

    fn summary(&mut self, _line: &SummaryLine<'_>) -> io::Result<()> {
        self.transport.finish(FINISH_LIMIT)
    }

    fn status(&self) -> Option<SourceStatus> {
        self.transport.status()
    }
}

/// Kinesis partition keys are 1 to 256 Unicode characters.
fn partition_key(application: &str) -> String {
    let key: String = application.chars().take(256).collect();
    if key.is_empty() {
        "-".to_string()
    } else {
        key
    }
}

/// The run's counters as a heartbeat carries them.
fn relay_counters(c: &Counters) -> RelayCounters {
    RelayCounters {
        lines: c.lines,
        parsed: c.parsed,
        malformed: c.malformed,
        late: c.late,
        future: c.future,
        trailing: c.trailing,
        bad_records: c.bad_records,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_refuse_by_name() {
        assert_eq!(
            "kinesis:aggs".parse(),
            Ok(PublishTarget::Kinesis("aggs".into()))
        );
        assert_eq!(
            "file:/tmp/a.jsonl".parse(),
            Ok(PublishTarget::File("/tmp/a.jsonl".into()))
        );
        assert_eq!("-".parse(), Ok(PublishTarget::Stdout));
        for bad in ["kinesis:", "file:", "s3://x", ""] {
            assert!(bad.parse::<PublishTarget>().is_err(), "{bad}");
        }
    }

    #[test]
    fn heartbeat_keys_cover_the_hash_space_in_turn() {
        let keys: Vec<u128> = (0..16).map(heartbeat_hash_key).collect();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(
                crate::source::kinesis::shard_group::ShardGroup::of_hash(*k, 16),
                i as u32
            );
        }
        assert_eq!(heartbeat_hash_key(16), keys[0]);
    }

    #[test]
    fn partition_keys_are_never_empty_nor_too_long() {
        assert_eq!(partition_key(""), "-");
        assert_eq!(partition_key(&"é".repeat(300)).chars().count(), 256);
    }
}
