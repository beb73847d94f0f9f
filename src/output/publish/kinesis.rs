//! `--publish kinesis:STREAM`: a task that puts records with PutRecords.
//!
//! - Batches stay within the service's limits: 500 records and 5 MiB (data plus partition keys).
//! - Entries that fail (each has its own error code, e.g. ProvisionedThroughputExceeded) are put
//!   again, first, after a backoff; the rest of the batch is not repeated. A failed call is
//!   retried whole with backoff. Either is said like a source's trouble (status bar, inputs view,
//!   standard error headless).
//! - Pacing: at most 90 % of the stream's write limit (1 MiB/s and 1,000 records/s per open
//!   shard), so a window close with thousands of applications spreads over seconds instead of
//!   being throttled.
//! - A heartbeat goes in a call of its own, after every record queued before it was accepted:
//!   a viewer reading it knows the records it covers are on the stream.
//! - The engine waits (does not buffer without bound) when more than [`MAX_QUEUED_BYTES`] are
//!   queued.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use futures::future::BoxFuture;
use futures::FutureExt;
use tokio::sync::mpsc;

use super::{OutRecord, RecordTransport};
use crate::aws::backoff::Backoff;
use crate::aws::retry::Retries;
use crate::pipeline::snapshot::{PartStatus, SourceStatus};
use crate::source::kinesis::api::{ApiError, KinesisApi, StreamId};
use crate::source::kinesis::sdk::{classify, SdkKinesis};
use crate::source::status::PartState;

/// PutRecords limits.
pub const MAX_BATCH_RECORDS: usize = 500;
pub const MAX_BATCH_BYTES: usize = 5 << 20;
/// Per open shard, per second (the service's write limits).
const SHARD_BYTES_PER_SEC: f64 = 1_048_576.0;
const SHARD_RECORDS_PER_SEC: f64 = 1000.0;
/// Share of the write limit a relay uses.
const PACE: f64 = 0.9;
/// The engine waits while more than this is queued for the stream.
pub const MAX_QUEUED_BYTES: u64 = 64 << 20;

/// The calls the publisher makes.
pub trait PutApi: Send + Sync {
    /// Where calls go, for messages.
    fn endpoint(&self) -> &str;
    /// Puts `entries`; per entry, `None` when accepted, else its error code.
    fn put_records<'a>(
        &'a self,
        stream: &'a StreamId,
        entries: &'a [OutRecord],
    ) -> BoxFuture<'a, Result<Vec<Option<String>>, ApiError>>;
    /// How many shards of the stream take writes.
    fn open_shards<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<usize, ApiError>>;
}

/// [`PutApi`] over the AWS SDK.
pub struct SdkPut {
    inner: SdkKinesis,
}

impl SdkPut {
    pub fn new(client: aws_sdk_kinesis::Client, endpoint_url: Option<&str>) -> Self {
        SdkPut {
            inner: SdkKinesis::new(client, endpoint_url),
        }
    }
}

impl PutApi for SdkPut {
    fn endpoint(&self) -> &str {
        self.inner.endpoint()
    }

    fn put_records<'a>(
        &'a self,
        stream: &'a StreamId,
        entries: &'a [OutRecord],
    ) -> BoxFuture<'a, Result<Vec<Option<String>>, ApiError>> {
        async move {
            let mut req = self.inner.client().put_records();
            req = match stream {
                StreamId::Name(n) => req.stream_name(n),
                StreamId::Arn(a) => req.stream_arn(a),
            };
            for e in entries {
                let entry = PutRecordsRequestEntry::builder()
                    .data(Blob::new(e.data.clone()))
                    .partition_key(&e.partition_key)
                    .set_explicit_hash_key(e.explicit_hash_key.map(|k| k.to_string()))
                    .build()
                    .map_err(|e| ApiError::Fatal(format!("PutRecords entry: {e}")))?;
                req = req.records(entry);
            }
            let out = req
                .send()
                .await
                .map_err(|e| classify(e, self.inner.endpoint()))?;
            let results: Vec<Option<String>> = out
                .records()
                .iter()
                .map(|r| r.error_code().map(str::to_string))
                .collect();
            if results.len() != entries.len() {
                return Err(ApiError::Other(format!(
                    "PutRecords answered {} entries for {}",
                    results.len(),
                    entries.len()
                )));
            }
            Ok(results)
        }
        .boxed()
    }

    fn open_shards<'a>(&'a self, stream: &'a StreamId) -> BoxFuture<'a, Result<usize, ApiError>> {
        async move {
            let shards = self.inner.list_shards(stream).await?;
            Ok(shards.iter().filter(|s| !s.closed).count().max(1))
        }
        .boxed()
    }
}

/// What the publisher task shares with the engine's side.
#[derive(Debug, Default)]
struct PublishState {
    published: u64,
    queued: u64,
    problem: Option<String>,
    since_ms: Option<i64>,
    shards: usize,
}

/// Hands records to the publisher task; see the module docs.
pub struct KinesisTransport {
    tx: Option<mpsc::UnboundedSender<OutRecord>>,
    queued_bytes: Arc<AtomicU64>,
    state: Arc<Mutex<PublishState>>,
    done: std::sync::mpsc::Receiver<()>,
    stream: String,
}

impl KinesisTransport {
    /// Starts the publisher task on `runtime`.
    pub fn start(api: Arc<dyn PutApi>, stream: &str, runtime: &tokio::runtime::Handle) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let queued_bytes = Arc::new(AtomicU64::new(0));
        let state = Arc::new(Mutex::new(PublishState::default()));
        let (done_tx, done) = std::sync::mpsc::channel();
        let task = Publisher {
            api,
            stream: StreamId::parse(stream),
            rx,
            queued_bytes: queued_bytes.clone(),
            state: state.clone(),
            pending: VecDeque::new(),
        };
        runtime.spawn(async move {
            task.run().await;
            let _ = done_tx.send(());
        });
        KinesisTransport {
            tx: Some(tx),
            queued_bytes,
            state,
            done,
            stream: StreamId::parse(stream).name().to_string(),
        }
    }
}

fn entry_bytes(r: &OutRecord) -> usize {
    r.data.len() + r.partition_key.len()
}

impl RecordTransport for KinesisTransport {
    fn put(&mut self, record: OutRecord) -> io::Result<()> {
        // Backpressure: the engine waits for the stream rather than buffering without bound.
        while self.queued_bytes.load(Ordering::Relaxed) > MAX_QUEUED_BYTES {
            std::thread::sleep(Duration::from_millis(20));
        }
        let bytes = entry_bytes(&record) as u64;
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| io::Error::other("publisher already finished"))?;
        self.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
        lock(&self.state).queued += 1;
        tx.send(record)
            .map_err(|_| io::Error::other("the Kinesis publisher stopped"))
    }

    fn finish(&mut self, limit: Duration) -> io::Result<()> {
        self.tx = None;
        match self.done.recv_timeout(limit) {
            Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let left = lock(&self.state).queued;
                if left == 0 {
                    Ok(())
                } else {
                    Err(io::Error::other(format!(
                        "{left} records not published to {}",
                        self.stream
                    )))
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let s = lock(&self.state);
                Err(io::Error::other(format!(
                    "{} records not published to {} within {} s ({})",
                    s.queued,
                    self.stream,
                    limit.as_secs(),
                    s.problem.as_deref().unwrap_or("still publishing")
                )))
            }
        }
    }

    fn status(&self) -> Option<SourceStatus> {
        let s = lock(&self.state);
        let target = format!("kinesis:{}", self.stream);
        let state = match (&s.problem, s.queued) {
            (Some(_), _) => PartState::BackingOff,
            (None, 0) => PartState::Published,
            (None, _) => PartState::Publishing,
        };
        Some(SourceStatus {
            name: format!("publish {target}"),
            problem: s.problem.clone(),
            details: vec![PartStatus {
                name: format!(
                    "publish → {target} ({} shards, {} queued)",
                    s.shards, s.queued
                ),
                state,
                records: s.published,
                problem: s.problem.clone(),
                state_since_ms: s.since_ms,
                ..PartStatus::default()
            }],
            ..SourceStatus::default()
        })
    }
}

fn lock(state: &Mutex<PublishState>) -> std::sync::MutexGuard<'_, PublishState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

struct Publisher {
    api: Arc<dyn PutApi>,
    stream: StreamId,
    rx: mpsc::UnboundedReceiver<OutRecord>,
    queued_bytes: Arc<AtomicU64>,
    state: Arc<Mutex<PublishState>>,
    /// Records taken from the channel, not yet accepted, in order.
    pending: VecDeque<OutRecord>,
}

/// Is `r` a heartbeat (they alone carry an explicit hash key)?
fn is_heartbeat(r: &OutRecord) -> bool {
    r.explicit_hash_key.is_some()
}

impl Publisher {
    async fn run(mut self) {
        let shards = self.shard_count().await;
        lock(&self.state).shards = shards;
        let bytes_per_sec = SHARD_BYTES_PER_SEC * PACE * shards as f64;
        let records_per_sec = SHARD_RECORDS_PER_SEC * PACE * shards as f64;
        let mut pacer = Pacer::new(bytes_per_sec, records_per_sec);
        let mut retries = Retries::new(Backoff::for_kinesis());
        let mut open = true;
        loop {
            if self.pending.is_empty() {
                if !open {
                    return;
                }
                match self.rx.recv().await {
                    Some(r) => self.pending.push_back(r),
                    None => return,
                }
            }
            while let Ok(r) = self.rx.try_recv() {
                self.pending.push_back(r);
            }
            if self.rx.is_closed() && self.rx.is_empty() {
                open = false;
            }
            let batch = self.take_batch(bytes_per_sec, records_per_sec);
            let bytes: usize = batch.iter().map(entry_bytes).sum();
            pacer.wait(bytes as f64, batch.len() as f64).await;
            match self.api.put_records(&self.stream, &batch).await {
                Ok(results) => {
                    let results_len = results.len();
                    let mut failed = Vec::new();
                    let mut codes: Vec<String> = Vec::new();
                    for (record, code) in batch.into_iter().zip(results) {
                        match code {
                            None => self.accepted(&record),
                            Some(code) => {
                                if !codes.contains(&code) {
                                    codes.push(code);
                                }
                                failed.push(record);
                            }
                        }
                    }
                    let published = results_len - failed.len();
                    if published > 0 {
                        tracing::info!(records = published, "aggregate records published");
                    }
                    if failed.is_empty() {
                        retries.succeeded(Instant::now());
                        self.set_problem(None);
                        continue;
                    }
                    let what = format!(
                        "publish kinesis:{}: PutRecords: {} entries refused ({})",
                        self.stream.name(),
                        failed.len(),
                        codes.join(", ")
                    );
                    tracing::warn!(%what, "retrying refused entries");
                    self.retry_later(failed, &what, &mut retries).await;
                }
                Err(e) => {
                    let what = format!(
                        "publish kinesis:{}: {}",
                        self.stream.name(),
                        crate::source::kinesis::reader::what_failed(None, "PutRecords", &e)
                    );
                    tracing::warn!(error = %e, "PutRecords failed");
                    self.retry_later(batch, &what, &mut retries).await;
                }
            }
        }
    }

    /// Puts `records` back at the head of the queue, in order, says `what` failed (with the
    /// next try's time) and waits the retry delay.
    async fn retry_later(&mut self, records: Vec<OutRecord>, what: &str, retries: &mut Retries) {
        for record in records.into_iter().rev() {
            self.pending.push_front(record);
        }
        let delay = retries.failed();
        self.set_problem(Some(retries.text(what, delay, Instant::now())));
        tokio::time::sleep(delay).await;
    }

    async fn shard_count(&self) -> usize {
        let mut backoff = Backoff::for_kinesis();
        for _ in 0..5 {
            match self.api.open_shards(&self.stream).await {
                Ok(n) => return n,
                Err(e) => {
                    tracing::warn!(error = %e, "ListShards on the aggregate stream failed");
                    tokio::time::sleep(backoff.next_delay()).await;
                }
            }
        }
        // Pacing for one shard is slow but never throttled.
        1
    }

    /// The next call's records: a heartbeat alone (only once nothing is before it), else the
    /// records up to the next heartbeat within the call's limits and one second of pacing.
    fn take_batch(&mut self, bytes_per_sec: f64, records_per_sec: f64) -> Vec<OutRecord> {
        if self.pending.front().is_some_and(is_heartbeat) {
            return self.pending.pop_front().into_iter().collect();
        }
        let max_records = MAX_BATCH_RECORDS.min(records_per_sec.max(1.0) as usize);
        let max_bytes = MAX_BATCH_BYTES.min(bytes_per_sec.max(1.0) as usize);
        let mut batch = Vec::new();
        let mut bytes = 0;
        while let Some(next) = self.pending.front() {
            let size = entry_bytes(next);
            if is_heartbeat(next)
                || batch.len() == max_records
                || (!batch.is_empty() && bytes + size > max_bytes)
            {
                break;
            }
            bytes += size;
            batch.extend(self.pending.pop_front());
        }
        batch
    }

    fn accepted(&self, record: &OutRecord) {
        self.queued_bytes
            .fetch_sub(entry_bytes(record) as u64, Ordering::Relaxed);
        let mut s = lock(&self.state);
        s.published += 1;
        s.queued = s.queued.saturating_sub(1);
    }

    fn set_problem(&self, problem: Option<String>) {
        let mut s = lock(&self.state);
        if s.problem.is_some() != problem.is_some() {
            s.since_ms = Some(crate::clock::now_ms());
        }
        s.problem = problem;
    }
}

/// A token bucket over bytes and records, holding at most one second's worth.
struct Pacer {
    bytes_per_sec: f64,
    records_per_sec: f64,
    bytes: f64,
    records: f64,
    at: Instant,
}

impl Pacer {
    fn new(bytes_per_sec: f64, records_per_sec: f64) -> Self {
        Pacer {
            bytes_per_sec,
            records_per_sec,
            bytes: bytes_per_sec,
            records: records_per_sec,
            at: Instant::now(),
        }
    }

    /// Waits until `bytes` and `records` may be sent, and takes them.
    async fn wait(&mut self, bytes: f64, records: f64) {
        let elapsed = self.at.elapsed().as_secs_f64();
        self.at = Instant::now();
        self.bytes = (self.bytes + elapsed * self.bytes_per_sec).min(self.bytes_per_sec);
        self.records = (self.records + elapsed * self.records_per_sec).min(self.records_per_sec);
        let short = ((bytes - self.bytes) / self.bytes_per_sec)
            .max((records - self.records) / self.records_per_sec)
            .max(0.0);
        if short > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(short.min(10.0))).await;
            self.at = Instant::now();
            self.bytes += short * self.bytes_per_sec;
            self.records += short * self.records_per_sec;
        }
        self.bytes -= bytes;
        self.records -= records;
    }
}

#[cfg(test)]
mod tests;
