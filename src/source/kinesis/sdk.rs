//! [`KinesisApi`] over the AWS SDK.

use aws_sdk_kinesis::config::http::HttpResponse;
use aws_sdk_kinesis::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::{ShardIteratorType, StartingPosition, SubscribeToShardEventStream};
use aws_sdk_kinesis::Client;
use futures::future::BoxFuture;
use futures::FutureExt;

use super::api::*;

/// The real thing: AWS or an emulator behind `--endpoint-url`.
#[derive(Clone, Debug)]
pub struct SdkKinesis {
    client: Client,
    /// Where calls go, for messages (`no answer from http://…`).
    endpoint: String,
}

impl SdkKinesis {
    /// Calls through `client`, which was configured with `endpoint_url` (if any).
    pub fn new(client: Client, endpoint_url: Option<&str>) -> Self {
        let region = client.config().region().map(|r| r.to_string());
        let endpoint = crate::aws::endpoint_label("kinesis", endpoint_url, region.as_deref());
        SdkKinesis { client, endpoint }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Classifies an SDK error by the kind of transport failure or the service's error code (and
/// HTTP status); `endpoint` names where the call went.
pub(crate) fn classify<E>(err: SdkError<E, HttpResponse>, endpoint: &str) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    classify_with_status(err, endpoint, status)
}

/// [`classify`] for errors whose raw form has no HTTP status (a subscription's events).
pub(crate) fn classify_with_status<E, R>(
    err: SdkError<E, R>,
    endpoint: &str,
    status: Option<u16>,
) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    let text = DisplayErrorContext(&err).to_string();
    match crate::aws::transport_failure(&err, endpoint) {
        Some(crate::aws::TransportFailure::Transient(what)) => return ApiError::Network(what),
        Some(crate::aws::TransportFailure::NoCredentials(why)) => {
            return ApiError::NoCredentials(why)
        }
        None => {}
    }
    if let SdkError::ConstructionFailure(_) = &err {
        return ApiError::Fatal(short(&text));
    }
    let code = err.code().unwrap_or_default().to_string();
    let message = err
        .message()
        .map(str::to_string)
        .unwrap_or_else(|| short(&text));
    let detail = if code.is_empty() {
        message
    } else {
        format!("{code}: {message}")
    };
    match code.as_str() {
        "ProvisionedThroughputExceededException"
        | "LimitExceededException"
        | "KMSThrottlingException"
        | "ThrottlingException" => ApiError::Throttled(detail),
        "ExpiredIteratorException" => ApiError::ExpiredIterator(detail),
        "ResourceNotFoundException" => ApiError::NotFound(detail),
        "ResourceInUseException" => ApiError::InUse(detail),
        // An error event on a subscription's stream may come without a modeled code.
        "" if detail.contains("Another active subscription") => ApiError::InUse(detail),
        "UnknownOperationException" | "InvalidAction" | "NotImplemented" => {
            ApiError::Unsupported(detail)
        }
        "AccessDeniedException" => ApiError::Fatal(format!("access denied ({detail})")),
        "InvalidArgumentException"
        | "ValidationException"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "IncompleteSignatureException"
        | "ExpiredTokenException" => ApiError::Fatal(detail),
        // Any other 5xx is the service's trouble: retried like a network error.
        _ if status.is_some_and(|s| (500..600).contains(&s)) => ApiError::Other(format!(
            "server error {} from {endpoint} ({detail})",
            status.unwrap_or_default()
        )),
        _ => ApiError::Other(detail),
    }
}

/// SDK error texts can be long chains; the status bar wants one line.
fn short(text: &str) -> String {
    crate::aws::one_line(text, 300)
}

fn iterator_type(position: &Position) -> ShardIteratorType {
    match position {
        Position::TrimHorizon => ShardIteratorType::TrimHorizon,
        Position::Latest => ShardIteratorType::Latest,
        Position::AtTimestamp(_) => ShardIteratorType::AtTimestamp,
        Position::AtSequence(_) => ShardIteratorType::AtSequenceNumber,
        Position::AfterSequence(_) => ShardIteratorType::AfterSequenceNumber,
    }
}

fn sequence_of(position: &Position) -> Option<String> {
    match position {
        Position::AtSequence(s) | Position::AfterSequence(s) => Some(s.clone()),
        _ => None,
    }
}

fn timestamp_of(position: &Position) -> Option<DateTime> {
    match position {
        Position::AtTimestamp(ms) => Some(DateTime::from_millis(*ms)),
        _ => None,
    }
}

fn convert_record(r: &aws_sdk_kinesis::types::Record) -> Record {
    Record {
        data: r.data().as_ref().to_vec(),
        sequence_number: r.sequence_number().to_string(),
        arrival_ms: r
            .approximate_arrival_timestamp()
            .and_then(|t| t.to_millis().ok()),
    }
}

fn convert_children(children: &[aws_sdk_kinesis::types::ChildShard]) -> Vec<ShardInfo> {
    children
        .iter()
        .map(|c| ShardInfo {
            id: c.shard_id().to_string(),
            parents: c.parent_shards().to_vec(),
            closed: false,
            hash_mid: c.hash_key_range().and_then(|r| {
                super::shard_group::hash_mid(r.starting_hash_key(), r.ending_hash_key())
            }),
        })
        .collect()
}

struct SdkSubscription {
    /// Holds the event stream (its receiver type is not nameable outside the SDK).
    output: aws_sdk_kinesis::operation::subscribe_to_shard::SubscribeToShardOutput,
    endpoint: String,
}

impl Subscription for SdkSubscription {
    fn next_event(&mut self) -> BoxFuture<'_, ApiResult<Option<ShardEvent>>> {
        async move {
            loop {
                let event = self.output.event_stream.recv().await;
                match event.map_err(|e| classify_with_status(e, &self.endpoint, None))? {
                    None => return Ok(None),
                    Some(SubscribeToShardEventStream::SubscribeToShardEvent(ev)) => {
                        let continuation = Some(ev.continuation_sequence_number().to_string())
                            .filter(|s| !s.is_empty());
                        return Ok(Some(ShardEvent {
                            records: ev.records().iter().map(convert_record).collect(),
                            continuation_sequence_number: continuation,
                            millis_behind_latest: Some(ev.millis_behind_latest()),
                            child_shards: convert_children(ev.child_shards()),
                        }));
                    }
                    // A newer event type this SDK does not know: skip it.
                    Some(_) => continue,
                }
            }
        }
        .boxed()
    }
}

impl KinesisApi for SdkKinesis {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn describe_stream(&self, stream: &StreamId) -> BoxFuture<'_, ApiResult<StreamInfo>> {
        let req = match stream {
            StreamId::Name(n) => self.client.describe_stream_summary().stream_name(n),
            StreamId::Arn(a) => self.client.describe_stream_summary().stream_arn(a),
        };
        async move {
            let out = req.send().await.map_err(|e| classify(e, &self.endpoint))?;
            let d = out
                .stream_description_summary()
                .ok_or_else(|| ApiError::Other("DescribeStreamSummary: empty answer".into()))?;
            Ok(StreamInfo {
                name: d.stream_name().to_string(),
                arn: d.stream_arn().to_string(),
                status: d.stream_status().as_str().to_string(),
            })
        }
        .boxed()
    }

    fn list_shards(&self, stream: &StreamId) -> BoxFuture<'_, ApiResult<Vec<ShardInfo>>> {
        let stream = stream.clone();
        async move {
            let mut shards = Vec::new();
            let mut token: Option<String> = None;
            // Bounded: a stream has at most a few thousand shards, 1000 per page.
            for _ in 0..1000 {
                let req = self.client.list_shards();
                // With a NextToken the stream must not be named again.
                let req = match (&token, &stream) {
                    (Some(t), _) => req.next_token(t),
                    (None, StreamId::Name(n)) => req.stream_name(n),
                    (None, StreamId::Arn(a)) => req.stream_arn(a),
                };
                let out = req.send().await.map_err(|e| classify(e, &self.endpoint))?;
                for s in out.shards() {
                    let parents = [s.parent_shard_id(), s.adjacent_parent_shard_id()]
                        .into_iter()
                        .flatten()
                        .map(str::to_string)
                        .collect();
                    let closed = s
                        .sequence_number_range()
                        .and_then(|r| r.ending_sequence_number())
                        .is_some();
                    shards.push(ShardInfo {
                        id: s.shard_id().to_string(),
                        parents,
                        closed,
                        hash_mid: s.hash_key_range().and_then(|r| {
                            super::shard_group::hash_mid(r.starting_hash_key(), r.ending_hash_key())
                        }),
                    });
                }
                match out.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => return Ok(shards),
                }
            }
            Err(ApiError::Other("ListShards: too many pages".into()))
        }
        .boxed()
    }

    fn get_shard_iterator(
        &self,
        stream: &StreamId,
        shard_id: &str,
        position: &Position,
    ) -> BoxFuture<'_, ApiResult<String>> {
        let req = self
            .client
            .get_shard_iterator()
            .shard_id(shard_id)
            .shard_iterator_type(iterator_type(position))
            .set_starting_sequence_number(sequence_of(position))
            .set_timestamp(timestamp_of(position));
        let req = match stream {
            StreamId::Name(n) => req.stream_name(n),
            StreamId::Arn(a) => req.stream_arn(a),
        };
        async move {
            let out = req.send().await.map_err(|e| classify(e, &self.endpoint))?;
            out.shard_iterator().map(str::to_string).ok_or_else(|| {
                ApiError::Other("GetShardIterator: no iterator in the answer".into())
            })
        }
        .boxed()
    }

    fn get_records(
        &self,
        stream: &StreamId,
        iterator: &str,
        limit: i32,
    ) -> BoxFuture<'_, ApiResult<RecordsPage>> {
        let req = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(limit);
        // Only real AWS needs the ARN here (cross-account); emulators reject unknown fields.
        let req = match stream {
            StreamId::Arn(a) => req.stream_arn(a),
            StreamId::Name(_) => req,
        };
        async move {
            let out = req.send().await.map_err(|e| classify(e, &self.endpoint))?;
            Ok(RecordsPage {
                records: out.records().iter().map(convert_record).collect(),
                next_iterator: out
                    .next_shard_iterator()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                millis_behind_latest: out.millis_behind_latest(),
                child_shards: convert_children(out.child_shards()),
            })
        }
        .boxed()
    }

    fn describe_consumer(
        &self,
        stream_arn: &str,
        name: &str,
    ) -> BoxFuture<'_, ApiResult<Option<ConsumerInfo>>> {
        let req = self
            .client
            .describe_stream_consumer()
            .stream_arn(stream_arn)
            .consumer_name(name);
        async move {
            match req.send().await.map_err(|e| classify(e, &self.endpoint)) {
                Ok(out) => Ok(out.consumer_description().map(|c| ConsumerInfo {
                    name: c.consumer_name().to_string(),
                    arn: c.consumer_arn().to_string(),
                    status: c.consumer_status().as_str().to_string(),
                })),
                Err(ApiError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn register_consumer(
        &self,
        stream_arn: &str,
        name: &str,
    ) -> BoxFuture<'_, ApiResult<ConsumerInfo>> {
        let req = self
            .client
            .register_stream_consumer()
            .stream_arn(stream_arn)
            .consumer_name(name);
        async move {
            let out = req.send().await.map_err(|e| classify(e, &self.endpoint))?;
            let c = out
                .consumer()
                .ok_or_else(|| ApiError::Other("RegisterStreamConsumer: empty answer".into()))?;
            Ok(ConsumerInfo {
                name: c.consumer_name().to_string(),
                arn: c.consumer_arn().to_string(),
                status: c.consumer_status().as_str().to_string(),
            })
        }
        .boxed()
    }

    fn subscribe_to_shard(
        &self,
        consumer_arn: &str,
        shard_id: &str,
        position: &Position,
    ) -> BoxFuture<'_, ApiResult<Box<dyn Subscription>>> {
        let start = StartingPosition::builder()
            .r#type(iterator_type(position))
            .set_sequence_number(sequence_of(position))
            .set_timestamp(timestamp_of(position))
            .build();
        let req = self
            .client
            .subscribe_to_shard()
            .consumer_arn(consumer_arn)
            .shard_id(shard_id);
        async move {
            let start = start.map_err(|e| ApiError::Fatal(e.to_string()))?;
            let out = req
                .starting_position(start)
                .send()
                .await
                .map_err(|e| classify(e, &self.endpoint))?;
            Ok(Box::new(SdkSubscription {
                output: out,
                endpoint: self.endpoint.clone(),
            }) as Box<dyn Subscription>)
        }
        .boxed()
    }
}
