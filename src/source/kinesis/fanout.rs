//! Enhanced fan-out: registering the consumer and reading a shard through SubscribeToShard.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::api::{ApiError, ConsumerInfo, KinesisApi, Position};
use super::backoff::Backoff;
use super::poll::retry_after;
use super::reader::{note_records, pinned_latest, seq_after, ReadEnd, ReaderContext};
use super::status::{mark_finished, update, ShardCell};
use crate::aws::retry::Retries;
use crate::source::status::PartState;

/// Finds the consumer, registering it if absent, and waits until it is ACTIVE.
pub async fn ensure_consumer(
    api: &dyn KinesisApi,
    stream_arn: &str,
    name: &str,
    timeout: Duration,
) -> Result<ConsumerInfo, ApiError> {
    let deadline = Instant::now() + timeout;
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
    let mut registered = false;
    loop {
        match api.describe_consumer(stream_arn, name).await {
            Ok(Some(c)) if c.status == "ACTIVE" => return Ok(c),
            Ok(Some(_)) => {}
            Ok(None) if !registered => {
                match api.register_consumer(stream_arn, name).await {
                    Ok(_) => {}
                    // Someone else registered it meanwhile.
                    Err(ApiError::InUse(_)) => {}
                    Err(e) if e.is_transient() => {}
                    Err(e) => return Err(e),
                }
                registered = true;
            }
            Ok(None) => {}
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(e),
        }
        if Instant::now() >= deadline {
            return Err(ApiError::Other(format!(
                "consumer {name} not ACTIVE after {timeout:?}"
            )));
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

/// Reads `shard` through subscriptions renewed from the continuation sequence number, until the
/// shard ends. Falls back to the caller (polling) when the consumer cannot be used.
pub async fn subscribe_shard(
    ctx: &ReaderContext,
    shard: &str,
    cell: &ShardCell,
    consumer_arn: &str,
    start: Position,
    closed: &CancellationToken,
) -> ReadEnd {
    let origin: Arc<str> = Arc::from(shard);
    let mut position = start;
    let mut last_sequence: Option<String> = None;
    let mut retries = Retries::new(Backoff::for_kinesis());
    let mut quiet_in_use_until: Option<Instant> = None;
    update(cell, |r| r.set_state(PartState::FanOut));
    loop {
        if ctx.cancel.is_cancelled() {
            return ReadEnd::Cancelled;
        }
        let opened_ms = crate::clock::now_ms();
        let mut subscription = match ctx
            .api
            .subscribe_to_shard(consumer_arn, shard, &position)
            .await
        {
            Ok(s) => {
                retries.succeeded(std::time::Instant::now());
                position = pinned_latest(position, opened_ms);
                s
            }
            Err(
                ApiError::Unsupported(reason)
                | ApiError::NotFound(reason)
                | ApiError::Fatal(reason),
            ) => {
                return ReadEnd::FallBack { position, reason };
            }
            // Right after a renewal the service may still count the previous subscription as
            // active (for about 5 s): expected, so wait quietly for a while before showing it.
            Err(ApiError::InUse(reason))
                if quiet_in_use_until.is_some_and(|t| Instant::now() < t) =>
            {
                tracing::debug!(shard, %reason, "previous subscription still active; waiting");
                if !ctx.sleep(Duration::from_millis(500)).await {
                    return ReadEnd::Cancelled;
                }
                continue;
            }
            Err(err) => {
                match retry_after(ctx, shard, cell, "SubscribeToShard", err, &mut retries).await {
                    Some(end) => return end,
                    None => continue,
                }
            }
        };
        let renew_at = Instant::now() + ctx.tuning.subscription_renewal;
        loop {
            let event = tokio::select! {
                _ = ctx.cancel.cancelled() => return ReadEnd::Cancelled,
                // Not every service ends the subscription of a shard that was closed meanwhile:
                // the rest of a closed shard is read by polling, which ends it for sure.
                _ = closed.cancelled() => return ReadEnd::DrainClosed(position),
                _ = tokio::time::sleep_until(renew_at) => {
                    quiet_in_use_until = Some(Instant::now() + Duration::from_secs(10));
                    break;
                }
                event = tokio::time::timeout(ctx.tuning.subscription_silence, subscription.next_event()) => {
                    event.unwrap_or_else(|_| Err(ApiError::Network(format!(
                        "no answer from {}: no event on the subscription for {}",
                        ctx.api.endpoint(),
                        crate::aws::retry::wait(ctx.tuning.subscription_silence)
                    ))))
                }
            };
            match event {
                Ok(Some(mut event)) => {
                    retries.succeeded(std::time::Instant::now());
                    quiet_in_use_until = None;
                    // A renewed subscription must not hand over a record twice.
                    if let Some(last) = &last_sequence {
                        event
                            .records
                            .retain(|r| seq_after(&r.sequence_number, last));
                    }
                    note_records(
                        cell,
                        &event.records,
                        event.millis_behind_latest,
                        PartState::FanOut,
                    );
                    if let Some(last) = event.records.last() {
                        last_sequence = Some(last.sequence_number.clone());
                    }
                    if !event.records.is_empty() {
                        update(cell, |r| r.caught_up = false);
                        if !ctx.send_records(&origin, event.records).await {
                            return ReadEnd::Cancelled;
                        }
                    }
                    match event.continuation_sequence_number {
                        Some(c) => position = Position::AfterSequence(c),
                        None => {
                            mark_finished(cell);
                            return ReadEnd::Finished(event.child_shards);
                        }
                    }
                }
                // The subscription ran its course (5 minutes): renew it.
                Ok(None) => {
                    quiet_in_use_until = Some(Instant::now() + Duration::from_secs(10));
                    break;
                }
                // The service may also refuse a renewed subscription on the event stream.
                Err(ApiError::InUse(reason))
                    if quiet_in_use_until.is_some_and(|t| Instant::now() < t) =>
                {
                    tracing::debug!(shard, %reason, "previous subscription still active; waiting");
                    if !ctx.sleep(Duration::from_millis(500)).await {
                        return ReadEnd::Cancelled;
                    }
                    break;
                }
                Err(err) => {
                    if let Some(end) =
                        retry_after(ctx, shard, cell, "SubscribeToShard", err, &mut retries).await
                    {
                        return end;
                    }
                    break;
                }
            }
        }
    }
}
