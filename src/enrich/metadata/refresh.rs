//! Re-checking the metadata in the background: swap in valid new tables, keep the last good
//! one on failure, publish the status.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::MetadataStatus;
use super::{
    content_digest, loaded_status, ChangeHints, Clock, Fetched, LoadedMetadata, MetadataFetcher,
};
use crate::aws::backoff::Backoff;
use crate::aws::retry::Retries;
use crate::enrich::{MetadataTable, SharedTable};

/// What one check did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// Nothing new (not modified, or a new version with the same content).
    Unchanged,
    /// A new table is in use.
    Changed,
    /// The check failed or the new content is invalid; the last good table stays in use.
    Failed(String),
}

/// Re-checks the metadata and swaps in new tables. Use [`spawn_refresh`] to run it on a timer,
/// or [`MetadataRefresher::refresh_once`] to drive it step by step.
pub struct MetadataRefresher {
    fetcher: Arc<dyn MetadataFetcher>,
    shared: SharedTable,
    clock: Clock,
    version: Option<String>,
    /// Whether `version` is content that failed to parse (its error stays while it is current).
    version_is_invalid: bool,
    digest: [u8; 16],
    status: watch::Sender<MetadataStatus>,
    /// Failures worth retrying in a row (S3 not answering): the next check comes after a
    /// backoff instead of a whole period.
    retries: Retries,
    /// When the next check is due, if sooner than the period.
    retry_in: Option<Duration>,
}

/// Checks after a failure worth retrying: 1 s, 2 s, … up to a minute (never later than the
/// period).
fn refresh_backoff() -> Backoff {
    Backoff::new(Duration::from_secs(1), Duration::from_secs(60))
}

impl MetadataRefresher {
    /// Installs `loaded` in `shared` and publishes its status.
    pub fn new(
        fetcher: Arc<dyn MetadataFetcher>,
        loaded: LoadedMetadata,
        shared: SharedTable,
        clock: Clock,
    ) -> (Self, watch::Receiver<MetadataStatus>) {
        shared.replace_arc(loaded.table.clone());
        let (status, receiver) = watch::channel(loaded_status(&loaded));
        let refresher = MetadataRefresher {
            fetcher,
            shared,
            clock,
            version: Some(loaded.version),
            version_is_invalid: false,
            digest: loaded.digest,
            status,
            retries: Retries::new(refresh_backoff()),
            retry_in: None,
        };
        (refresher, receiver)
    }

    /// The status as last published.
    pub fn status(&self) -> MetadataStatus {
        self.status.borrow().clone()
    }

    /// Checks once: fetch, and on new valid content swap the table in.
    pub async fn refresh_once(&mut self) -> RefreshOutcome {
        let origin = self.fetcher.origin();
        let fetched = self.fetcher.fetch(self.version.as_deref()).await;
        self.retry_in = None;
        match &fetched {
            Err(e) if e.is_transient() => {}
            _ => self.retries.succeeded(Instant::now()),
        }
        let outcome = match fetched {
            Err(e) if e.is_transient() => self.transient_failure(&e.reason()),
            Err(e) => RefreshOutcome::Failed(format!("{origin}: {}", e.reason())),
            Ok(Fetched::NotModified) if self.version_is_invalid => {
                // Still the invalid content: the error stands, nothing new to report.
                return RefreshOutcome::Unchanged;
            }
            Ok(Fetched::NotModified) => RefreshOutcome::Unchanged,
            Ok(Fetched::Content { bytes, version }) => {
                let digest = content_digest(&bytes);
                if digest == self.digest {
                    self.version = Some(version);
                    self.version_is_invalid = false;
                    RefreshOutcome::Unchanged
                } else {
                    match MetadataTable::from_csv(&bytes, &origin) {
                        Ok(table) => {
                            let table = Arc::new(table);
                            self.shared.replace_arc(table.clone());
                            self.version = Some(version);
                            self.version_is_invalid = false;
                            self.digest = digest;
                            let now = (self.clock)();
                            self.status.send_modify(|status| {
                                status.table = table;
                                status.loaded_at = Some(now);
                                status.changed_at = Some(now);
                                status.error = None;
                            });
                            tracing::info!(%origin, "metadata reloaded");
                            return RefreshOutcome::Changed;
                        }
                        Err(error) => {
                            // Remember the bad version so it is not re-parsed every period.
                            self.version = Some(version);
                            self.version_is_invalid = true;
                            RefreshOutcome::Failed(error.to_string())
                        }
                    }
                }
            }
        };
        match &outcome {
            RefreshOutcome::Failed(error) => {
                tracing::warn!(%error, "metadata refresh failed; keeping the last good table");
                self.status.send_if_modified(|status| {
                    let changed = status.error.as_deref() != Some(error.as_str());
                    status.error = Some(error.clone());
                    changed
                });
            }
            _ => {
                self.status
                    .send_if_modified(|status| status.error.take().is_some());
            }
        }
        outcome
    }

    /// A failure worth retrying: the next check after a backoff, said with the retry details.
    fn transient_failure(&mut self, reason: &str) -> RefreshOutcome {
        let delay = self.retries.failed();
        self.retry_in = Some(delay);
        let what = format!("{}: {reason}", self.fetcher.origin());
        RefreshOutcome::Failed(self.retries.text(&what, delay, Instant::now()))
    }

    /// Checks every `period` (sooner after a failure worth retrying, with backoff), and soon
    /// after the fetcher hints at a change, until cancelled. A check that takes longer than the
    /// period (or 30 s) counts as failed. `hints` come from
    /// [`MetadataFetcher::change_hints`], set up by the caller before the task starts so that
    /// no change made after [`spawn_refresh`] returns can be missed.
    pub async fn run(
        mut self,
        period: Duration,
        mut hints: Option<ChangeHints>,
        cancel: CancellationToken,
    ) {
        let period = period.max(Duration::from_millis(10));
        let limit = period.max(Duration::from_secs(30));
        loop {
            let wait = self.retry_in.map_or(period, |d| d.min(period));
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
                hint = next_hint(&mut hints) => {
                    if hint.is_none() {
                        hints = None;
                        continue;
                    }
                    // Let a writer finish (several events come per save), then check once.
                    tokio::time::sleep(HINT_SETTLE).await;
                    if let Some(hints) = &mut hints {
                        while hints.receiver.try_recv().is_ok() {}
                    }
                }
            }
            let check = tokio::time::timeout(limit, self.refresh_once());
            tokio::select! {
                _ = cancel.cancelled() => return,
                result = check => {
                    if result.is_err() {
                        let RefreshOutcome::Failed(error) = self.transient_failure(&format!(
                            "no answer within {} s",
                            limit.as_secs()
                        )) else {
                            unreachable!("a transient failure is a failure")
                        };
                        self.status.send_modify(|status| status.error = Some(error));
                    }
                }
            }
        }
    }
}

/// How long after a change hint the file is read: saves come as several events.
const HINT_SETTLE: Duration = Duration::from_millis(100);

async fn next_hint(hints: &mut Option<ChangeHints>) -> Option<()> {
    match hints {
        Some(hints) => hints.receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// Installs `loaded` in `shared`, then re-checks every `period` in a background task until
/// `cancel`. The receiver always holds the current [`MetadataStatus`].
pub fn spawn_refresh(
    fetcher: Arc<dyn MetadataFetcher>,
    loaded: LoadedMetadata,
    shared: SharedTable,
    period: Duration,
    clock: Clock,
    cancel: CancellationToken,
) -> (watch::Receiver<MetadataStatus>, JoinHandle<()>) {
    // The watcher exists before this returns: a change made right after is seen.
    let hints = fetcher.change_hints();
    let (refresher, status) = MetadataRefresher::new(fetcher, loaded, shared, clock);
    let task = tokio::spawn(refresher.run(period, hints, cancel));
    (status, task)
}
