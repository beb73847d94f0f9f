//! A fault-injecting layer in front of any [`KinesisApi`]: no emulator throttles or lets an
//! iterator expire quickly, so tests put this in front of the real SDK client and ask for
//! ProvisionedThroughputExceeded, ExpiredIterator or network errors on chosen calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use futures::FutureExt;

use super::api::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Call {
    DescribeStream,
    ListShards,
    GetShardIterator,
    GetRecords,
    DescribeConsumer,
    RegisterConsumer,
    SubscribeToShard,
}

/// What to answer instead of calling the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// ProvisionedThroughputExceededException.
    Throttle,
    /// ExpiredIteratorException.
    ExpireIterator,
    /// A connection failure.
    Network,
}

impl Fault {
    fn error(&self) -> ApiError {
        match self {
            Fault::Throttle => ApiError::Throttled(
                "ProvisionedThroughputExceededException: Rate exceeded for shard (injected)".into(),
            ),
            Fault::ExpireIterator => ApiError::ExpiredIterator(
                "ExpiredIteratorException: Iterator expired (injected)".into(),
            ),
            Fault::Network => ApiError::Network("connection refused (injected)".into()),
        }
    }
}

#[derive(Debug, Clone)]
struct Rule {
    call: Call,
    /// 1-based number of the first call of that kind to fail, and how many in a row.
    from: u64,
    times: u64,
    fault: Fault,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    counts: HashMap<Call, u64>,
    injected: HashMap<Call, u64>,
    /// Every GetShardIterator request: (shard, position), to check how iterators were renewed.
    iterator_requests: Vec<(String, Position)>,
}

/// Wraps an API; clone the `Arc` to keep a handle for injecting and inspecting.
pub struct FaultyKinesis {
    inner: Arc<dyn KinesisApi>,
    state: Mutex<State>,
}

impl FaultyKinesis {
    pub fn new(inner: Arc<dyn KinesisApi>) -> Arc<Self> {
        Arc::new(FaultyKinesis {
            inner,
            state: Mutex::new(State::default()),
        })
    }

    /// Calls number `from`, `from + 1`, … `from + times - 1` of kind `call` (counted from the
    /// start) fail with `fault`.
    pub fn inject(&self, call: Call, from: u64, times: u64, fault: Fault) {
        self.lock().rules.push(Rule {
            call,
            from,
            times,
            fault,
        });
    }

    /// The next `times` calls of kind `call` fail with `fault`.
    pub fn inject_next(&self, call: Call, times: u64, fault: Fault) {
        let mut s = self.lock();
        let from = s.counts.get(&call).copied().unwrap_or(0) + 1;
        s.rules.push(Rule {
            call,
            from,
            times,
            fault,
        });
    }

    /// Calls made of this kind, including failed ones.
    pub fn calls(&self, call: Call) -> u64 {
        self.lock().counts.get(&call).copied().unwrap_or(0)
    }

    /// Faults answered so far for this kind of call.
    pub fn injected(&self, call: Call) -> u64 {
        self.lock().injected.get(&call).copied().unwrap_or(0)
    }

    pub fn iterator_requests(&self) -> Vec<(String, Position)> {
        self.lock().iterator_requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts the call; `Some(error)` if a rule says it fails.
    fn check(&self, call: Call) -> Option<ApiError> {
        let mut s = self.lock();
        let n = {
            let c = s.counts.entry(call).or_insert(0);
            *c += 1;
            *c
        };
        let fault = s
            .rules
            .iter()
            .find(|r| r.call == call && n >= r.from && n < r.from + r.times)
            .map(|r| r.fault.clone())?;
        *s.injected.entry(call).or_insert(0) += 1;
        Some(fault.error())
    }
}

impl KinesisApi for FaultyKinesis {
    fn endpoint(&self) -> &str {
        self.inner.endpoint()
    }

    fn describe_stream(&self, stream: &StreamId) -> BoxFuture<'_, ApiResult<StreamInfo>> {
        match self.check(Call::DescribeStream) {
            Some(e) => futures::future::ready(Err(e)).boxed(),
            None => self.inner.describe_stream(stream),
        }
    }

    fn list_shards(&self, stream: &StreamId) -> BoxFuture<'_, ApiResult<Vec<ShardInfo>>> {
        match self.check(Call::ListShards) {
            Some(e) => futures::future::ready(Err(e)).boxed(),
            None => self.inner.list_shards(stream),
        }
    }

    fn get_shard_iterator(
        &self,
        stream: &StreamId,
        shard_id: &str,
        position: &Position,
    ) -> BoxFuture<'_, ApiResult<String>> {
        self.lock()
            .iterator_requests
            .push((shard_id.to_string(), position.clone()));
        match self.check(Call::GetShardIterator) {
            Some(e) => futures::future::ready(Err(e)).boxed(),
            None => self.inner.get_shard_iterator(stream, shard_id, position),
        }
    }

    fn get_records(
        &self,
        stream: &StreamId,
        iterator: &str,
        limit: i32,
    ) -> BoxFuture<'_, ApiResult<RecordsPage>> {
        match self.check(Call::GetRecords) {
            Some(e) => futures::future::ready(Err(e)).boxed(),
            None => self.inner.get_records(stream, iterator, limit),
        }
    }

    fn describe_consumer(
        &self,
        stream_arn: &str,
        name: &str,
    ) -> BoxFuture<'_, ApiResult<Option<ConsumerInfo>>> {
        match self.check(Call::DescribeConsumer) {
            Some(e) => futures::future::ready(Err(e)).boxed(),
            None => self.inner.describe_consumer(stream_arn, name),
        }
    }

    fn register_consumer(
        &self,
        stream_arn: &str,
        name: &str,
    ) -> BoxFuture<'_, ApiResult<ConsumerInfo>> {
        match self.check(Call::RegisterConsumer) {
            Some(e) => futures::future::ready(Err(e)).boxed(),
            None => self.inner.register_consumer(stream_arn, name),
        }
    }

    fn subscribe_to_shard(
        &self,
        consumer_arn: &str,
        shard_id: &str,
        position: &Position,
    ) -> BoxFuture<'_, ApiResult<Box<dyn Subscription>>> {
        match self.check(Call::SubscribeToShard) {
            Some(e) => futures::future::ready(Err(e)).boxed(),
            None => self
                .inner
                .subscribe_to_shard(consumer_arn, shard_id, position),
        }
    }
}
