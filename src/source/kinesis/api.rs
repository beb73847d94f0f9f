//! The Kinesis calls the consumer makes, behind a small trait, with SDK-independent types.
//!
//! Why a trait: the SDK implementation (`sdk.rs`) talks to AWS or an emulator, and the fault layer
//! (`faults.rs`) wraps any implementation to inject throttling, expired iterators or network errors on
//! chosen calls, so integration tests against a real emulator exercise the paths no emulator produces.

use futures::future::BoxFuture;

/// A stream named by the user: a name, or an ARN (needed for cross-account access).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamId {
    Name(String),
    Arn(String),
}

impl StreamId {
    pub fn parse(text: &str) -> Self {
        if text.starts_with("arn:") {
            StreamId::Arn(text.to_string())
        } else {
            StreamId::Name(text.to_string())
        }
    }

    /// The stream's name (the part after `stream/` in an ARN).
    pub fn name(&self) -> &str {
        match self {
            StreamId::Name(n) => n,
            StreamId::Arn(a) => a.rsplit_once(":stream/").map_or(a.as_str(), |(_, n)| n),
        }
    }
}

/// What `DescribeStreamSummary` tells about a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    pub name: String,
    pub arn: String,
    /// `ACTIVE`, `CREATING`, `UPDATING`, `DELETING`.
    pub status: String,
}

/// A shard as listed (or announced as a child), with its lineage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardInfo {
    pub id: String,
    /// Parent and adjacent parent (a merge has two, a split one, an original shard none).
    pub parents: Vec<String>,
    /// The shard has an ending sequence number: it takes no more writes.
    pub closed: bool,
    /// The middle of its hash-key range, where the service said (`--shard-group`).
    pub hash_mid: Option<u128>,
}

/// Where a shard iterator or a subscription starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    TrimHorizon,
    Latest,
    /// UTC epoch milliseconds.
    AtTimestamp(i64),
    AtSequence(String),
    AfterSequence(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub data: Vec<u8>,
    pub sequence_number: String,
    pub arrival_ms: Option<i64>,
}

/// One `GetRecords` response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordsPage {
    pub records: Vec<Record>,
    /// `None`: the shard is closed and fully read.
    pub next_iterator: Option<String>,
    pub millis_behind_latest: Option<i64>,
    /// The children of a closed shard, when it is fully read (not every service sends them).
    pub child_shards: Vec<ShardInfo>,
}

/// One event of an enhanced fan-out subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardEvent {
    pub records: Vec<Record>,
    /// `None` (or empty): the shard is closed and fully read.
    pub continuation_sequence_number: Option<String>,
    pub millis_behind_latest: Option<i64>,
    pub child_shards: Vec<ShardInfo>,
}

/// A registered enhanced fan-out consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerInfo {
    pub name: String,
    pub arn: String,
    /// `CREATING`, `ACTIVE`, `DELETING`.
    pub status: String,
}

/// A call's failure, classified by what the consumer should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// ProvisionedThroughputExceeded, LimitExceeded, KMSThrottling: back off and retry.
    #[error("throttled ({0})")]
    Throttled(String),
    /// The shard iterator is too old: get a new one.
    #[error("expired iterator ({0})")]
    ExpiredIterator(String),
    /// No answer in time, connection refused, a broken answer: retry with backoff. The text
    /// says what happened and where (`no answer from http://127.0.0.1:4567`).
    #[error("{0}")]
    Network(String),
    /// No credentials could be found to sign with: retrying will not make them appear.
    #[error("missing AWS credentials ({0})")]
    NoCredentials(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// e.g. a subscription to the shard is still active, or the consumer is not ACTIVE yet.
    #[error("resource in use: {0}")]
    InUse(String),
    /// The service does not offer this call (an emulator without enhanced fan-out).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Access denied, invalid argument, …: retrying will not help.
    #[error("{0}")]
    Fatal(String),
    /// A server error or anything unclassified: retry with backoff.
    #[error("{0}")]
    Other(String),
}

impl ApiError {
    /// Whether retrying the same call later can succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::Throttled(_) | ApiError::Network(_) | ApiError::InUse(_) | ApiError::Other(_)
        )
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// An open enhanced fan-out subscription.
pub trait Subscription: Send {
    /// The next event; `Ok(None)` when the subscription ended (after about 5 minutes).
    fn next_event(&mut self) -> BoxFuture<'_, ApiResult<Option<ShardEvent>>>;
}

/// The Kinesis calls kinetop makes.
pub trait KinesisApi: Send + Sync + 'static {
    /// Where the calls go, for messages (`no answer from http://…`).
    fn endpoint(&self) -> &str {
        "Kinesis"
    }

    fn describe_stream(&self, stream: &StreamId) -> BoxFuture<'_, ApiResult<StreamInfo>>;
    /// Every shard of the stream still in retention (all pages).
    fn list_shards(&self, stream: &StreamId) -> BoxFuture<'_, ApiResult<Vec<ShardInfo>>>;
    fn get_shard_iterator(
        &self,
        stream: &StreamId,
        shard_id: &str,
        position: &Position,
    ) -> BoxFuture<'_, ApiResult<String>>;
    fn get_records(
        &self,
        stream: &StreamId,
        iterator: &str,
        limit: i32,
    ) -> BoxFuture<'_, ApiResult<RecordsPage>>;
    /// `Ok(None)` when no consumer of that name is registered.
    fn describe_consumer(
        &self,
        stream_arn: &str,
        name: &str,
    ) -> BoxFuture<'_, ApiResult<Option<ConsumerInfo>>>;
    fn register_consumer(
        &self,
        stream_arn: &str,
        name: &str,
    ) -> BoxFuture<'_, ApiResult<ConsumerInfo>>;
    fn subscribe_to_shard(
        &self,
        consumer_arn: &str,
        shard_id: &str,
        position: &Position,
    ) -> BoxFuture<'_, ApiResult<Box<dyn Subscription>>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_and_arns() {
        let arn = StreamId::parse("arn:aws:kinesis:us-east-1:000000000000:stream/web-logs");
        assert!(matches!(arn, StreamId::Arn(_)));
        assert_eq!(arn.name(), "web-logs");
        assert_eq!(
            StreamId::parse("web-logs"),
            StreamId::Name("web-logs".into())
        );
    }

    #[test]
    fn transient_errors() {
        assert!(ApiError::Throttled("x".into()).is_transient());
        assert!(ApiError::Network("x".into()).is_transient());
        assert!(!ApiError::Fatal("x".into()).is_transient());
        assert!(!ApiError::ExpiredIterator("x".into()).is_transient());
    }
}
