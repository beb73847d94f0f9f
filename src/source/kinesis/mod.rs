//! Amazon Kinesis Data Streams consumer (polling GetRecords or enhanced fan-out).
//!
//! One coordinator task owns the shard lineage ([`shards::Lineage`]) and starts one reader task
//! per shard as soon as its parents are fully read; readers hand records straight to the
//! pipeline and report their state in a shared cell the coordinator turns into the status.
//!
//! - `api`: the calls, as a trait with SDK-free types; `sdk`: over the AWS SDK;
//!   `faults`: a fault-injecting wrapper for tests.
//! - `poll` / `fanout`: the two ways of reading a shard; `backoff`, `reader`: what they share.

pub mod api;
pub use crate::aws::backoff;
pub mod fanout;
pub mod faults;
pub mod poll;
pub mod reader;
pub mod sdk;
pub mod shard_group;
pub mod shards;
mod start_from;
pub mod status;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::future::BoxFuture;
use futures::FutureExt;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use self::api::{ApiError, KinesisApi, Position, ShardInfo, StreamId};
use self::backoff::Backoff;
pub use self::reader::Tuning;
use self::reader::{ReadEnd, ReaderContext, ReaderMsg};
use self::shards::{Lineage, ShardPhase};
pub use self::start_from::{parse_from, StartFrom};
use self::status::{new_cell, ShardCell};
use super::{Source, SourceEvent, SourceSender};
use crate::aws::retry::Retries;
use crate::aws::AwsOptions;
use crate::source::status::PartState;

/// How long to wait for a newly registered fan-out consumer to become ACTIVE.
const CONSUMER_ACTIVE_TIMEOUT: Duration = Duration::from_secs(60);

/// What to read and how.
#[derive(Debug, Clone)]
pub struct KinesisOptions {
    /// Stream name or ARN.
    pub stream: String,
    /// Where every shard open at start begins.
    pub from: Position,
    /// Enhanced fan-out consumer name; `None`: polling.
    pub consumer: Option<String>,
    /// Send `Finished` once every shard is at its tip.
    pub until_caught_up: bool,
    /// Read only the shards of this relay group (`--shard-group`); `None`: all.
    pub shard_group: Option<shard_group::ShardGroup>,
    pub tuning: Tuning,
}

enum ApiHandle {
    Ready(Arc<dyn KinesisApi>),
    /// Built in `run`: loading the AWS config is async.
    FromAws(AwsOptions),
}

/// A stream that cannot be read at start: a start-up error (exit 2), not something to retry.
#[derive(Debug, thiserror::Error)]
pub enum StreamCheckError {
    #[error("Kinesis stream {stream}: not found ({detail})")]
    NotFound { stream: String, detail: String },
    #[error("Kinesis stream {stream}: {source}")]
    Unreadable {
        stream: String,
        #[source]
        source: ApiError,
    },
}

/// Reads a Kinesis data stream; see the module docs.
pub struct KinesisSource {
    api: ApiHandle,
    options: KinesisOptions,
    /// The check at start failed in a way worth retrying: the source reports it and retries
    /// as soon as it runs, instead of waiting for a second failure to say anything.
    first_failure: Option<ApiError>,
}

impl KinesisSource {
    /// With a given API (the SDK client, possibly wrapped in a fault layer).
    pub fn new(api: Arc<dyn KinesisApi>, options: KinesisOptions) -> Self {
        KinesisSource {
            api: ApiHandle::Ready(api),
            options,
            first_failure: None,
        }
    }

    /// Reads with an SDK client for `aws`, created when the source starts.
    pub fn with_aws(aws: AwsOptions, options: KinesisOptions) -> Self {
        KinesisSource {
            api: ApiHandle::FromAws(aws),
            options,
            first_failure: None,
        }
    }

    /// Like [`KinesisSource::with_aws`], and checks the stream now, so that a stream that does
    /// not exist or may not be read is a start-up error. An unreachable endpoint is not: the
    /// source retries it, showing why, until it answers.
    pub async fn connect(
        aws: &AwsOptions,
        options: KinesisOptions,
    ) -> Result<Self, StreamCheckError> {
        let api: Arc<dyn KinesisApi> = Arc::new(sdk::SdkKinesis::new(
            crate::aws::kinesis_client(aws).await,
            aws.endpoint_url.as_deref(),
        ));
        let mut source = KinesisSource::new(api.clone(), options);
        source.check(&*api).await?;
        Ok(source)
    }

    /// With a given API: fails if the stream is missing or unreadable (see [`Self::connect`]).
    /// A failure worth retrying is kept, for the source to report and retry when it runs.
    pub async fn check(&mut self, api: &dyn KinesisApi) -> Result<(), StreamCheckError> {
        let stream = StreamId::parse(&self.options.stream);
        match api.describe_stream(&stream).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_transient() => {
                tracing::warn!(error = %e, "Kinesis not reachable at start; retrying in the source");
                self.first_failure = Some(e);
                Ok(())
            }
            Err(ApiError::NotFound(detail)) => Err(StreamCheckError::NotFound {
                stream: stream.name().to_string(),
                detail,
            }),
            Err(source) => Err(StreamCheckError::Unreadable {
                stream: stream.name().to_string(),
                source,
            }),
        }
    }

    pub fn options(&self) -> &KinesisOptions {
        &self.options
    }
}

impl Source for KinesisSource {
    fn describe(&self) -> String {
        format!("kinesis:{}", StreamId::parse(&self.options.stream).name())
    }

    fn run(
        self: Box<Self>,
        out: SourceSender,
        cancel: CancellationToken,
    ) -> BoxFuture<'static, anyhow::Result<()>> {
        async move {
            let api: Arc<dyn KinesisApi> = match self.api {
                ApiHandle::Ready(api) => api,
                ApiHandle::FromAws(opts) => Arc::new(sdk::SdkKinesis::new(
                    crate::aws::kinesis_client(&opts).await,
                    opts.endpoint_url.as_deref(),
                )),
            };
            let mut coordinator = Coordinator::new(api, self.options, out, cancel);
            coordinator.first_failure = self.first_failure;
            coordinator.run().await
        }
        .boxed()
    }
}

struct Coordinator {
    ctx: ReaderContext,
    options: KinesisOptions,
    display: String,
    cells: BTreeMap<String, ShardCell>,
    /// Fired when a listing shows a shard closed (see `fanout::subscribe_shard`).
    closed: BTreeMap<String, CancellationToken>,
    /// A source-wide note kept in the status (fan-out fallback, listing trouble).
    note: Option<String>,
    last_total: u64,
    last_status_at: Instant,
    /// See [`KinesisSource::first_failure`].
    first_failure: Option<ApiError>,
}

impl Coordinator {
    fn new(
        api: Arc<dyn KinesisApi>,
        options: KinesisOptions,
        out: SourceSender,
        cancel: CancellationToken,
    ) -> Self {
        let stream = StreamId::parse(&options.stream);
        let display = stream.name().to_string();
        Coordinator {
            ctx: ReaderContext {
                api,
                stream,
                out,
                cancel,
                tuning: options.tuning.clone(),
            },
            options,
            display,
            cells: BTreeMap::new(),
            closed: BTreeMap::new(),
            note: None,
            last_total: 0,
            last_status_at: Instant::now(),
            first_failure: None,
        }
    }

    async fn run(mut self) -> anyhow::Result<()> {
        let Some(info) = self
            .retry_startup("DescribeStreamSummary", |api, s| api.describe_stream(s))
            .await?
        else {
            return Ok(());
        };
        tracing::info!(stream = %info.name, arn = %info.arn, status = %info.status, "Kinesis stream found");
        let consumer_arn = match self.options.consumer.clone() {
            None => None,
            Some(name) => {
                match fanout::ensure_consumer(
                    &*self.ctx.api,
                    &info.arn,
                    &name,
                    CONSUMER_ACTIVE_TIMEOUT,
                )
                .await
                {
                    Ok(c) => Some(c.arn),
                    Err(e) => {
                        self.note_fallback(&name, &e.to_string());
                        None
                    }
                }
            }
        };
        let Some(listing) = self
            .retry_startup("ListShards", |api, s| api.list_shards(s))
            .await?
        else {
            return Ok(());
        };
        let mut lineage =
            Lineage::new(self.options.from.clone(), listing).with_group(self.options.shard_group);
        let (tx, mut rx) = mpsc::unbounded_channel::<ReaderMsg>();
        let readers_cancel = self.ctx.cancel.child_token();
        let mut readers = JoinSet::new();
        let mut reader_ctx = self.ctx.clone();
        reader_ctx.cancel = readers_cancel.clone();
        let mut start_ready =
            |lineage: &mut Lineage,
             cells: &mut BTreeMap<String, ShardCell>,
             closed: &mut BTreeMap<String, CancellationToken>| {
                for (shard, position) in lineage.take_ready() {
                    let cell = new_cell();
                    cells.insert(shard.id.clone(), cell.clone());
                    let closed_token = CancellationToken::new();
                    if shard.closed {
                        closed_token.cancel();
                    }
                    closed.insert(shard.id.clone(), closed_token.clone());
                    tracing::info!(shard = %shard.id, ?position, "reading shard");
                    readers.spawn(read_shard(
                        reader_ctx.clone(),
                        shard,
                        position,
                        consumer_arn.clone(),
                        cell,
                        closed_token,
                        tx.clone(),
                    ));
                }
            };
        // Shards skipped at start (closed before a `latest` start) show as finished.
        for (id, phase) in lineage.ids() {
            if phase == ShardPhase::Finished {
                let cell = new_cell();
                status::update(&cell, |r| {
                    r.finished = true;
                    r.set_state(PartState::SkippedClosed);
                });
                self.cells.insert(id.to_string(), cell);
            }
        }
        start_ready(&mut lineage, &mut self.cells, &mut self.closed);

        let mut check = tokio::time::interval(
            Duration::from_millis(100).min(self.options.tuning.status_interval),
        );
        let mut relist = tokio::time::interval(self.options.tuning.relist_interval);
        relist.reset();
        let mut last_status = Instant::now() - self.options.tuning.status_interval;
        // Logged once, the first time: the run has read what was there when it started.
        let mut reached_tip = false;
        let result = loop {
            tokio::select! {
                _ = self.ctx.cancel.cancelled() => break Ok(()),
                Some(msg) = rx.recv() => match msg {
                    ReaderMsg::FellBack { shard, reason } => {
                        let name = self.options.consumer.clone().unwrap_or_default();
                        tracing::warn!(%shard, %reason, "enhanced fan-out failed; polling");
                        self.note_fallback(&name, &reason);
                    }
                    ReaderMsg::Ended { shard, end } => match end {
                        ReadEnd::Finished(children) => {
                            tracing::info!(%shard, children = children.len(), "shard finished");
                            lineage.finish(&shard);
                            if children.is_empty() || lineage.add(children) > 0 {
                                // Not every service names the children: list again to be sure.
                                self.relist(&mut lineage).await;
                            }
                            start_ready(&mut lineage, &mut self.cells, &mut self.closed);
                        }
                        ReadEnd::Fatal(reason) => break Err(anyhow::anyhow!("Kinesis stream {}: {reason}", self.display)),
                        ReadEnd::StreamDeleted(detail) => {
                            tracing::error!(stream = %self.display, %detail, "stream deleted");
                            self.publish_status().await;
                            break Err(anyhow::anyhow!(
                                "stream {} was deleted: reading stopped after {} records ({detail})",
                                self.display,
                                self.last_total
                            ));
                        }
                        ReadEnd::Cancelled | ReadEnd::FallBack { .. } | ReadEnd::DrainClosed(_) => {}
                    },
                },
                _ = relist.tick() => {
                    self.relist(&mut lineage).await;
                    start_ready(&mut lineage, &mut self.cells, &mut self.closed);
                }
                _ = check.tick() => {
                    let caught_up = self.all_caught_up(&lineage);
                    if caught_up && !reached_tip {
                        reached_tip = true;
                        let records: u64 = self.cells.values().map(|c| status::read(c).records).sum();
                        tracing::info!(records, "every shard is at its tip");
                    }
                    if last_status.elapsed() >= self.options.tuning.status_interval {
                        last_status = Instant::now();
                        let idle = self.publish_status().await && caught_up;
                        if idle && !self.send(SourceEvent::Watermark(crate::clock::now_ms() / 1000)).await {
                            break Ok(());
                        }
                    }
                    if self.options.until_caught_up && caught_up {
                        // Every shard answered since: nothing is in effect any more.
                        for cell in self.cells.values() {
                            status::update(cell, |r| r.unreported_problems.clear());
                        }
                        self.publish_status().await;
                        self.send(SourceEvent::Finished).await;
                        break Ok(());
                    }
                }
            }
        };
        readers_cancel.cancel();
        readers.shutdown().await;
        result
    }

    /// Every started shard is at its tip (or finished and its children known), none waiting.
    fn all_caught_up(&self, lineage: &Lineage) -> bool {
        lineage.pending() == 0
            && lineage.ids().all(|(id, phase)| match phase {
                ShardPhase::Finished => true,
                ShardPhase::Pending => false,
                ShardPhase::Reading => self.cells.get(id).is_some_and(|c| {
                    let r = status::read(c);
                    // Finished but not yet handled here: its children may be unknown still.
                    r.caught_up && !r.finished
                }),
            })
    }

    async fn relist(&mut self, lineage: &mut Lineage) {
        match self.ctx.api.list_shards(&self.ctx.stream).await {
            Ok(shards) => {
                let added = lineage.add(shards);
                if added > 0 {
                    tracing::info!(added, "new shards listed");
                }
                for id in lineage.closed_while_reading() {
                    if let Some(token) = self.closed.get(&id) {
                        token.cancel();
                    }
                }
            }
            // The readers go on; the next listing may succeed.
            Err(e) => tracing::warn!(error = %e, "ListShards failed"),
        }
    }

    fn note_fallback(&mut self, consumer: &str, reason: &str) {
        self.note = Some(format!(
            "enhanced fan-out as consumer {consumer} unavailable ({reason}); polling GetRecords instead"
        ));
    }

    /// Sends the status; returns whether no record arrived since the last one.
    async fn publish_status(&mut self) -> bool {
        let reports: BTreeMap<String, status::ShardReport> = self
            .cells
            .iter()
            .map(|(id, c)| (id.clone(), status::take_for_status(c)))
            .collect();
        let total: u64 = reports.values().map(|r| r.records).sum();
        let elapsed = self.last_status_at.elapsed().as_secs_f64().max(0.001);
        let rate = (total - self.last_total) as f64 / elapsed;
        let idle = total == self.last_total;
        self.last_total = total;
        self.last_status_at = Instant::now();
        let status = status::summarize(&self.display, &reports, rate, self.note.as_deref());
        self.send(SourceEvent::Status(status)).await;
        idle
    }

    async fn send(&self, event: SourceEvent) -> bool {
        tokio::select! {
            _ = self.ctx.cancel.cancelled() => false,
            sent = self.ctx.out.send(event) => sent.is_ok(),
        }
    }

    /// Retries a startup call while it fails transiently (the endpoint may come up later),
    /// showing why; fails at once on errors retrying cannot fix. `Ok(None)`: cancelled.
    async fn retry_startup<T, F>(&mut self, call: &str, f: F) -> anyhow::Result<Option<T>>
    where
        F: for<'a> Fn(&'a dyn KinesisApi, &'a StreamId) -> BoxFuture<'a, Result<T, ApiError>>,
    {
        let mut retries = Retries::new(Backoff::for_kinesis());
        let mut earlier = self.first_failure.take();
        loop {
            let result = match earlier.take() {
                Some(failure) => Err(failure),
                None => f(&*self.ctx.api, &self.ctx.stream).await,
            };
            match result {
                Ok(v) => return Ok(Some(v)),
                Err(e) if e.is_transient() => {
                    let delay = retries.failed();
                    tracing::warn!(call, error = %e, "retrying");
                    let what = format!("kinesis: {}", reader::what_failed(None, call, &e));
                    let problem = retries.text(&what, delay, Instant::now());
                    let status = crate::pipeline::snapshot::SourceStatus {
                        name: format!("kinesis:{}", self.display),
                        problem: Some(problem),
                        ..Default::default()
                    };
                    self.send(SourceEvent::Status(status)).await;
                    if !self.ctx.sleep(delay).await {
                        return Ok(None);
                    }
                }
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("Kinesis stream {}: {call}", self.display))
                }
            }
        }
    }
}

/// One shard's reader task: fan-out if a consumer is in use (falling back to polling), else polling.
async fn read_shard(
    ctx: ReaderContext,
    shard: ShardInfo,
    position: Position,
    consumer_arn: Option<String>,
    cell: ShardCell,
    closed: CancellationToken,
    tx: mpsc::UnboundedSender<ReaderMsg>,
) {
    let id = shard.id;
    let end = match consumer_arn {
        Some(arn) => match fanout::subscribe_shard(&ctx, &id, &cell, &arn, position, &closed).await
        {
            ReadEnd::FallBack { position, reason } => {
                let _ = tx.send(ReaderMsg::FellBack {
                    shard: id.clone(),
                    reason,
                });
                poll::poll_shard(&ctx, &id, &cell, position).await
            }
            ReadEnd::DrainClosed(position) => {
                tracing::info!(shard = %id, "shard closed: reading the rest by polling");
                poll::poll_shard(&ctx, &id, &cell, position).await
            }
            end => end,
        },
        None => poll::poll_shard(&ctx, &id, &cell, position).await,
    };
    let _ = tx.send(ReaderMsg::Ended { shard: id, end });
}
