//! Reading one shard with GetRecords: adaptive pacing, backoff, iterator renewal.

use std::sync::Arc;
use std::time::Instant;

use super::api::{ApiError, Position};
use super::backoff::Backoff;
use super::reader::{note_records, pinned_latest, what_failed, ReadEnd, ReaderContext};
use super::status::{mark_finished, set_problem, update, ShardCell};
use crate::aws::retry::Retries;
use crate::source::status::PartState;

/// Reads `shard` from `start` until it is closed and drained, or cancelled.
pub async fn poll_shard(
    ctx: &ReaderContext,
    shard: &str,
    cell: &ShardCell,
    mut start: Position,
) -> ReadEnd {
    let origin: Arc<str> = Arc::from(shard);
    // The last record handed over: an expired iterator is renewed right after it.
    let mut last_sequence: Option<String> = None;
    let mut iterator: Option<String> = None;
    let mut retries = Retries::new(Backoff::for_kinesis());
    let mut renewals_in_a_row = 0u32;
    update(cell, |r| r.set_state(PartState::Polling));
    loop {
        if ctx.cancel.is_cancelled() {
            return ReadEnd::Cancelled;
        }
        let current = match iterator.take() {
            Some(it) => it,
            None => {
                let position = match &last_sequence {
                    Some(seq) => Position::AfterSequence(seq.clone()),
                    None => start.clone(),
                };
                let opened_ms = crate::clock::now_ms();
                match ctx
                    .api
                    .get_shard_iterator(&ctx.stream, shard, &position)
                    .await
                {
                    Ok(it) => {
                        retries.succeeded(Instant::now());
                        start = pinned_latest(start, opened_ms);
                        it
                    }
                    Err(err) => {
                        match retry_after(ctx, shard, cell, "GetShardIterator", err, &mut retries)
                            .await
                        {
                            Some(end) => return end,
                            None => continue,
                        }
                    }
                }
            }
        };
        let called_at = Instant::now();
        match ctx
            .api
            .get_records(&ctx.stream, &current, ctx.tuning.limit)
            .await
        {
            Ok(page) => {
                retries.succeeded(Instant::now());
                renewals_in_a_row = 0;
                let count = page.records.len();
                let bytes: usize = page.records.iter().map(|r| r.data.len()).sum();
                note_records(
                    cell,
                    &page.records,
                    page.millis_behind_latest,
                    PartState::Polling,
                );
                if let Some(last) = page.records.last() {
                    last_sequence = Some(last.sequence_number.clone());
                }
                // Count first, then send: `caught_up` must not be seen before the data is sent.
                if count > 0 {
                    update(cell, |r| r.caught_up = false);
                    if !ctx.send_records(&origin, page.records).await {
                        return ReadEnd::Cancelled;
                    }
                }
                match page.next_iterator {
                    None => {
                        mark_finished(cell);
                        return ReadEnd::Finished(page.child_shards);
                    }
                    Some(next) => iterator = Some(next),
                }
                let wait = ctx
                    .tuning
                    .pace(count, bytes, page.millis_behind_latest)
                    .saturating_sub(called_at.elapsed());
                if !ctx.sleep(wait).await {
                    return ReadEnd::Cancelled;
                }
            }
            Err(ApiError::ExpiredIterator(reason)) => {
                // Renew at once from the last record handed over (or the start): no gap, no
                // duplicate. Several in a row means something else is wrong: slow down.
                tracing::info!(shard, %reason, ?last_sequence, "shard iterator expired; renewing");
                renewals_in_a_row += 1;
                if renewals_in_a_row > 2 {
                    let delay = retries.failed();
                    let what = format!("iterators keep expiring on {shard}");
                    let text = retries.text(&what, delay, Instant::now());
                    update(cell, |r| set_problem(r, text));
                    if !ctx.sleep(delay).await {
                        return ReadEnd::Cancelled;
                    }
                }
            }
            Err(err) => {
                // The iterator stays valid for 5 minutes: retry it; if it expires meanwhile, the
                // branch above renews it.
                iterator = Some(current);
                if let Some(end) =
                    retry_after(ctx, shard, cell, "GetRecords", err, &mut retries).await
                {
                    return end;
                }
            }
        }
    }
}

/// Shows the problem and waits out the backoff. `Some(end)`: give up (fatal or cancelled).
pub async fn retry_after(
    ctx: &ReaderContext,
    shard: &str,
    cell: &ShardCell,
    call: &str,
    err: ApiError,
    retries: &mut Retries,
) -> Option<ReadEnd> {
    if let ApiError::Fatal(_) | ApiError::Unsupported(_) | ApiError::NoCredentials(_) = &err {
        let text = what_failed(Some(shard), call, &err);
        update(cell, |r| set_problem(r, text.clone()));
        return Some(ReadEnd::Fatal(text));
    }
    if let ApiError::NotFound(detail) = &err {
        if let Some(end) = shard_not_found(ctx, shard, cell, detail).await {
            return Some(end);
        }
    }
    let delay = retries.failed();
    let text = retries.text(&what_failed(Some(shard), call, &err), delay, Instant::now());
    tracing::warn!(shard, call, error = %err, ?delay, "retrying");
    update(cell, |r| {
        set_problem(r, text);
        r.caught_up = false;
        r.set_state(PartState::BackingOff);
    });
    if ctx.sleep(delay).await {
        None
    } else {
        Some(ReadEnd::Cancelled)
    }
}

/// A call on `shard` found nothing: is the stream gone (deleted, being deleted), or only the
/// shard (past the retention period)? `None`: the stream could not be asked; retry as usual.
async fn shard_not_found(
    ctx: &ReaderContext,
    shard: &str,
    cell: &ShardCell,
    detail: &str,
) -> Option<ReadEnd> {
    let deleted = match ctx.api.describe_stream(&ctx.stream).await {
        Err(ApiError::NotFound(_)) => true,
        Ok(info) if info.status == "DELETING" => true,
        Ok(_) => false,
        Err(_) => return None,
    };
    if deleted {
        update(cell, |r| {
            set_problem(r, "the stream was deleted".to_string());
            r.set_state(PartState::StreamDeleted);
        });
        return Some(ReadEnd::StreamDeleted(detail.to_string()));
    }
    // The stream is there, the shard is not (trimmed after the retention period): nothing
    // more to read from it.
    tracing::warn!(shard, %detail, "shard no longer exists; done with it");
    update(cell, |r| {
        r.finished = true;
        r.caught_up = true;
        r.lag_ms = None;
        r.set_state(PartState::PastRetention);
    });
    Some(ReadEnd::Finished(Vec::new()))
}
