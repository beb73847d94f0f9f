//! What every shard reader shares: the API, the output channel, pacing, and error handling.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::api::{ApiError, KinesisApi, Position, Record, ShardInfo, StreamId};
use super::status::{update, ShardCell};
use crate::source::status::PartState;
use crate::source::{Payload, RawBatch, SourceEvent, SourceSender, StreamRecord};

/// Timings and limits of the consumer; tests shorten them.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Records per GetRecords call (the service maximum is 10,000).
    pub limit: i32,
    /// Between calls while behind: 5 calls/s/shard is the service limit.
    pub busy_interval: Duration,
    /// Between calls at the tip with traffic.
    pub tip_interval: Duration,
    /// Between calls on an idle shard.
    pub idle_interval: Duration,
    /// Read bandwidth allowed per shard (the service gives 2 MB/s/shard to all consumers).
    pub bytes_per_sec: f64,
    /// How often to list shards again, to find children no `ChildShards` announced.
    pub relist_interval: Duration,
    /// Enhanced fan-out subscriptions end after 5 minutes; renew a little before.
    pub subscription_renewal: Duration,
    /// An open subscription without any event for this long is taken for dead and renewed
    /// (see [`crate::aws::AwsTimeouts::subscription_silence`]).
    pub subscription_silence: Duration,
    /// How often the status is published.
    pub status_interval: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            limit: 10_000,
            busy_interval: Duration::from_millis(200),
            tip_interval: Duration::from_millis(500),
            idle_interval: Duration::from_secs(1),
            bytes_per_sec: 2.0 * 1024.0 * 1024.0,
            relist_interval: Duration::from_secs(10),
            subscription_renewal: Duration::from_secs(290),
            subscription_silence: crate::aws::AwsTimeouts::default().subscription_silence(),
            status_interval: Duration::from_secs(1),
        }
    }
}

impl Tuning {
    /// How long to wait after a GetRecords call before the next one.
    pub fn pace(&self, records: usize, bytes: usize, millis_behind: Option<i64>) -> Duration {
        let behind = millis_behind.is_some_and(|b| b > 0);
        let base = if records as i64 >= self.limit as i64 || behind {
            self.busy_interval
        } else if records > 0 {
            self.tip_interval
        } else {
            self.idle_interval
        };
        let for_bandwidth = Duration::from_secs_f64(bytes as f64 / self.bytes_per_sec);
        base.max(for_bandwidth)
    }
}

/// How a shard reader ended.
#[derive(Debug)]
pub enum ReadEnd {
    /// Closed and fully read; its children if the service named them.
    Finished(Vec<ShardInfo>),
    Cancelled,
    /// Enhanced fan-out cannot be used for this shard: continue by polling from here.
    FallBack {
        position: super::api::Position,
        reason: String,
    },
    /// The shard was closed while read through a subscription that did not end: read the rest
    /// from here by polling.
    DrainClosed(super::api::Position),
    /// Retrying cannot help (access denied, invalid argument).
    Fatal(String),
    /// The stream itself is gone (deleted, or being deleted): nothing more will come.
    StreamDeleted(String),
}

/// Messages from readers to the coordinator.
#[derive(Debug)]
pub enum ReaderMsg {
    /// Enhanced fan-out failed for this shard; it goes on polling.
    FellBack {
        shard: String,
        reason: String,
    },
    Ended {
        shard: String,
        end: ReadEnd,
    },
}

#[derive(Clone)]
pub struct ReaderContext {
    pub api: Arc<dyn KinesisApi>,
    pub stream: StreamId,
    pub out: SourceSender,
    pub cancel: CancellationToken,
    pub tuning: Tuning,
}

impl ReaderContext {
    /// Hands records to the pipeline. `false`: cancelled or the pipeline is gone.
    pub async fn send_records(&self, origin: &Arc<str>, records: Vec<Record>) -> bool {
        let batch = RawBatch {
            origin: origin.clone(),
            first_line: 0,
            received_ms: crate::clock::now_ms(),
            payload: Payload::Records(
                records
                    .into_iter()
                    .map(|r| StreamRecord {
                        data: r.data,
                        sequence_number: r.sequence_number,
                        arrival_ms: r.arrival_ms,
                    })
                    .collect(),
            ),
        };
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => false,
            sent = self.out.send(SourceEvent::Batch(batch)) => sent.is_ok(),
        }
    }

    /// Sleeps unless cancelled first. `false`: cancelled.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            _ = tokio::time::sleep(d) => true,
        }
    }
}

/// How far before the moment a shard was first opened at LATEST a renewal reads from (see
/// [`pinned_latest`]): covers a local clock a little ahead of the service's.
const LATEST_CLOCK_MARGIN_MS: i64 = 1_000;

/// Where to reopen a shard first opened at LATEST, at `opened_ms`, if it must be reopened before
/// any record came (an expired iterator, a lost subscription): from that moment, not from a new
/// LATEST, which would skip what arrived in between. Any other position is kept.
pub fn pinned_latest(position: Position, opened_ms: i64) -> Position {
    match position {
        Position::Latest => Position::AtTimestamp(opened_ms - LATEST_CLOCK_MARGIN_MS),
        other => other,
    }
}

/// What is wrong, for a failed call (on a shard, if any): the state part of a problem text
/// (see [`crate::aws::retry`]). A network failure names the endpoint, not the shard: every shard
/// has it alike.
pub fn what_failed(shard: Option<&str>, call: &str, err: &ApiError) -> String {
    let on = |text: String| match shard {
        Some(shard) => format!("{call} on {shard}: {text}"),
        None => format!("{call}: {text}"),
    };
    match err {
        ApiError::Network(what) => what.clone(),
        ApiError::Throttled(_) => match shard {
            Some(shard) => format!("throttled on {shard}"),
            None => format!("{call} throttled"),
        },
        other => on(other.to_string()),
    }
}

/// Records what a successful read returned.
pub fn note_records(
    cell: &ShardCell,
    records: &[Record],
    millis_behind: Option<i64>,
    state: PartState,
) {
    let newest = records.iter().filter_map(|r| r.arrival_ms).max();
    let caught_up = records.is_empty() && millis_behind.is_none_or(|b| b <= 0);
    update(cell, |r| {
        r.records += records.len() as u64;
        if newest.is_some() {
            r.newest_arrival_ms = newest;
        }
        r.lag_ms = millis_behind.map(|b| b.max(0) as u64);
        r.caught_up = caught_up;
        r.problem = None;
        r.set_state(if caught_up {
            PartState::CaughtUp
        } else {
            state
        });
    });
}

/// Sequence numbers are decimal strings of up to 128 bits: compare them as numbers.
pub fn seq_after(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacing_follows_the_service_limits() {
        let t = Tuning::default();
        assert_eq!(t.pace(10_000, 1000, Some(0)), Duration::from_millis(200));
        assert_eq!(t.pace(10, 1000, Some(5000)), Duration::from_millis(200));
        assert_eq!(t.pace(10, 1000, Some(0)), Duration::from_millis(500));
        assert_eq!(t.pace(0, 0, Some(0)), Duration::from_secs(1));
        // 10 MB in one call: wait 5 s to stay under 2 MB/s.
        assert_eq!(
            t.pace(500, 10 * 1024 * 1024, Some(0)),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn latest_is_pinned_to_the_moment_the_shard_was_opened() {
        assert_eq!(
            pinned_latest(Position::Latest, 1_700_000_000_000),
            Position::AtTimestamp(1_699_999_999_000)
        );
        for kept in [
            Position::TrimHorizon,
            Position::AtTimestamp(5),
            Position::AfterSequence("42".into()),
        ] {
            assert_eq!(pinned_latest(kept.clone(), 1_700_000_000_000), kept);
        }
    }

    #[test]
    fn sequence_numbers_compare_numerically() {
        assert!(seq_after(
            "49590338271490256608559692538361571095921575989136588802",
            "9"
        ));
        assert!(seq_after("11", "9"));
        assert!(!seq_after("9", "9"));
    }

    #[test]
    fn what_failed_names_the_shard_or_the_endpoint() {
        let shard = Some("shardId-000000000001");
        assert_eq!(
            what_failed(shard, "GetRecords", &ApiError::Throttled("x".into())),
            "throttled on shardId-000000000001"
        );
        assert_eq!(
            what_failed(
                shard,
                "GetRecords",
                &ApiError::Network("no answer from http://127.0.0.1:4567".into())
            ),
            "no answer from http://127.0.0.1:4567"
        );
        assert_eq!(
            what_failed(
                None,
                "ListShards",
                &ApiError::Other("server error 503".into())
            ),
            "ListShards: server error 503"
        );
        assert_eq!(
            what_failed(shard, "GetShardIterator", &ApiError::InUse("busy".into())),
            "GetShardIterator on shardId-000000000001: resource in use: busy"
        );
    }
}
