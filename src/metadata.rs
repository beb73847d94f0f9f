//! Loading the host-metadata file (local path or `s3://`), and keeping it fresh in the background.
//!
//! Where the file lives is a [`MetadataLocation`]; how it is read is a [`MetadataFetcher`]
//! (a local file here; S3 with a conditional GET plugs in through the same trait). [`load`] reads
//! it once at start (an error there is fatal for the caller); [`spawn_refresh`] re-checks it every
//! period, swaps a changed and valid table into the [`SharedTable`], keeps the last good table
//! when a check fails, and publishes a [`MetadataStatus`] for the status bar.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use md5::{Digest, Md5};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::enrich::{MetadataError, MetadataTable, SharedTable};
use crate::snapshot::MetadataStatus;

/// Where the metadata CSV lives, from `--metadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataLocation {
    Local(PathBuf),
    S3 { bucket: String, key: String },
}

impl MetadataLocation {
    /// `s3://BUCKET/KEY` or a local path.
    pub fn parse(location: &str) -> Result<Self, MetadataError> {
        let Some(rest) = location.strip_prefix("s3://") else {
            if location.trim().is_empty() {
                return Err(MetadataError::new(location, 0, "empty metadata location"));
            }
            return Ok(MetadataLocation::Local(PathBuf::from(location)));
        };
        match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() && !key.ends_with('/') => {
                Ok(MetadataLocation::S3 {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                })
            }
            _ => Err(MetadataError::new(
                location,
                0,
                "an S3 metadata location is s3://BUCKET/KEY (the key names an object, not a prefix)",
            )),
        }
    }

    /// How the location is named in messages: the path, or `s3://bucket/key`.
    pub fn origin(&self) -> String {
        self.to_string()
    }
}

impl FromStr for MetadataLocation {
    type Err = MetadataError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MetadataLocation::parse(s)
    }
}

impl fmt::Display for MetadataLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetadataLocation::Local(path) => write!(f, "{}", path.display()),
            MetadataLocation::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

/// The result of one check of the metadata file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// Same version as `previous_version` (e.g. an S3 `304 Not Modified`).
    NotModified,
    /// The file's content and an opaque version (an S3 ETag; mtime, length and hash locally).
    Content { bytes: Vec<u8>, version: String },
}

/// Reads the metadata file; implemented for local files here and for S3 elsewhere.
pub trait MetadataFetcher: Send + Sync + 'static {
    /// The path or `s3://` URL, for messages.
    fn origin(&self) -> String;

    /// Fetches the file, or says it has not changed since `previous_version` (the version of the
    /// last `Content` this fetcher returned). Errors are short human-readable reasons.
    fn fetch<'a>(
        &'a self,
        previous_version: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched, String>>;

    /// Hints that the file may have changed (file-system events), to check sooner than the next
    /// period. `None` (the default): the period alone decides.
    fn change_hints(&self) -> Option<ChangeHints> {
        None
    }
}

/// A channel of "may have changed" hints, with whatever keeps it alive (e.g. a file watcher).
pub struct ChangeHints {
    pub receiver: mpsc::Receiver<()>,
    pub guard: Box<dyn Send>,
}

impl fmt::Debug for ChangeHints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeHints").finish_non_exhaustive()
    }
}

/// Metadata files larger than this are refused rather than read into memory.
pub const MAX_METADATA_BYTES: u64 = 64 << 20;

/// A metadata file on the local file system.
#[derive(Debug, Clone)]
pub struct LocalFileFetcher {
    path: PathBuf,
}

impl LocalFileFetcher {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LocalFileFetcher { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn fetch_local(&self, previous_version: Option<&str>) -> Result<Fetched, String> {
        let stat = tokio::fs::metadata(&self.path)
            .await
            .map_err(|e| e.to_string())?;
        if !stat.is_file() {
            return Err("not a regular file".to_owned());
        }
        if stat.len() > MAX_METADATA_BYTES {
            return Err(format!(
                "file is {} bytes, more than the {} allowed",
                stat.len(),
                MAX_METADATA_BYTES
            ));
        }
        let mtime_ns = stat
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let previous = previous_version.and_then(LocalVersion::parse);
        // Skip reading when size and mtime are unchanged, unless the mtime is so recent that a
        // same-length edit within the file system's timestamp granularity could hide behind it.
        if let Some(previous) = &previous {
            let settled = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .is_ok_and(|now| now.as_nanos() > mtime_ns + 2_000_000_000);
            if settled && previous.mtime_ns == mtime_ns && previous.len == stat.len() {
                return Ok(Fetched::NotModified);
            }
        }
        let bytes = tokio::fs::read(&self.path)
            .await
            .map_err(|e| e.to_string())?;
        let version = format!(
            "{mtime_ns}:{}:{}",
            bytes.len(),
            hex(&content_digest(&bytes))
        );
        if previous_version == Some(version.as_str()) {
            return Ok(Fetched::NotModified);
        }
        // A touched file (same content, new mtime) is returned with its new version: the
        // refresher compares content digests and does not count it as a change.
        Ok(Fetched::Content { bytes, version })
    }
}

/// The `mtime_ns:len` part of a local version `mtime_ns:len:md5hex`.
struct LocalVersion {
    mtime_ns: u128,
    len: u64,
}

impl LocalVersion {
    fn parse(version: &str) -> Option<Self> {
        let mut parts = version.splitn(3, ':');
        Some(LocalVersion {
            mtime_ns: parts.next()?.parse().ok()?,
            len: parts.next()?.parse().ok()?,
        })
    }
}

impl MetadataFetcher for LocalFileFetcher {
    fn origin(&self) -> String {
        self.path.display().to_string()
    }

    fn fetch<'a>(
        &'a self,
        previous_version: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched, String>> {
        Box::pin(self.fetch_local(previous_version))
    }

    /// Watches the file's directory (not the file: editors and deploy tools replace it by a
    /// rename) and hints on any change to an entry of that name.
    fn change_hints(&self) -> Option<ChangeHints> {
        use notify::{EventKind, RecursiveMode, Watcher};
        let name = self.path.file_name()?.to_owned();
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let (sender, receiver) = mpsc::channel(1);
        let handler = move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            // Our own reads show up as access events.
            if matches!(event.kind, EventKind::Access(_)) {
                return;
            }
            if event
                .paths
                .iter()
                .any(|p| p.file_name() == Some(name.as_os_str()))
            {
                // A full channel already holds a pending hint.
                let _ = sender.try_send(());
            }
        };
        let mut watcher = match notify::recommended_watcher(handler) {
            Ok(watcher) => watcher,
            Err(error) => {
                tracing::warn!(%error, "cannot watch the metadata file; checking every period only");
                return None;
            }
        };
        if let Err(error) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
            tracing::warn!(%error, dir = %dir.display(), "cannot watch the metadata directory");
            return None;
        }
        Some(ChangeHints {
            receiver,
            guard: Box::new(watcher),
        })
    }
}

/// The fetcher for a location. An `s3://` location needs the S3 fetcher, built by the caller
/// (it owns the SDK client); without one it is an error.
pub fn fetcher_for(
    location: &MetadataLocation,
    s3: Option<Arc<dyn MetadataFetcher>>,
) -> Result<Arc<dyn MetadataFetcher>, MetadataError> {
    match (location, s3) {
        (MetadataLocation::Local(path), _) => Ok(Arc::new(LocalFileFetcher::new(path))),
        (MetadataLocation::S3 { .. }, Some(fetcher)) => Ok(fetcher),
        (MetadataLocation::S3 { .. }, None) => Err(MetadataError::new(
            &location.origin(),
            0,
            "no S3 client configured for an s3:// metadata location",
        )),
    }
}

/// Wall-clock time as UTC epoch seconds; passed in so tests can control it.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system's wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

/// A table read at start.
#[derive(Debug, Clone)]
pub struct LoadedMetadata {
    pub origin: String,
    pub table: Arc<MetadataTable>,
    /// The fetcher's version of the content (ETag, or mtime/length/hash).
    pub version: String,
    /// MD5 of the content: a new version with the same content is not a change.
    pub digest: [u8; 16],
    /// UTC epoch seconds.
    pub loaded_at: i64,
}

/// Reads and parses the metadata once. An error names the file (and line, for a bad row).
pub async fn load(
    fetcher: &dyn MetadataFetcher,
    clock: &Clock,
) -> Result<LoadedMetadata, MetadataError> {
    let origin = fetcher.origin();
    let (bytes, version) = match fetcher.fetch(None).await {
        Ok(Fetched::Content { bytes, version }) => (bytes, version),
        Ok(Fetched::NotModified) => {
            return Err(MetadataError::new(
                &origin,
                0,
                "the first fetch answered `not modified`",
            ))
        }
        Err(reason) => return Err(MetadataError::new(&origin, 0, reason)),
    };
    let table = MetadataTable::from_csv(&bytes, &origin)?;
    Ok(LoadedMetadata {
        origin,
        table: Arc::new(table),
        version,
        digest: content_digest(&bytes),
        loaded_at: clock(),
    })
}

/// A local file loaded at start (see [`load`]).
pub async fn load_local(path: impl Into<PathBuf>) -> Result<LoadedMetadata, MetadataError> {
    load(&LocalFileFetcher::new(path), &system_clock()).await
}

/// The status without `--metadata`: every caller is `unknown`.
pub fn no_metadata_status() -> MetadataStatus {
    MetadataStatus {
        origin: None,
        table: Arc::new(MetadataTable::empty()),
        loaded_at: None,
        changed_at: None,
        error: None,
    }
}

/// The status right after [`load`]: `changed_at` is the load time (the table has been in
/// effect since then).
pub fn loaded_status(loaded: &LoadedMetadata) -> MetadataStatus {
    MetadataStatus {
        origin: Some(loaded.origin.clone()),
        table: loaded.table.clone(),
        loaded_at: Some(loaded.loaded_at),
        changed_at: Some(loaded.loaded_at),
        error: None,
    }
}

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
        let outcome = match fetched {
            Err(reason) => RefreshOutcome::Failed(format!("{origin}: {reason}")),
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

    /// Checks every `period`, and soon after the fetcher hints at a change, until cancelled. A
    /// check that takes longer than the period (or 30 s) counts as failed.
    pub async fn run(mut self, period: Duration, cancel: CancellationToken) {
        let period = period.max(Duration::from_millis(10));
        let limit = period.max(Duration::from_secs(30));
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut hints = self.fetcher.change_hints();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = ticks.tick() => {}
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
                        let error = format!("{}: no answer within {} s", self.fetcher.origin(), limit.as_secs());
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
    let (refresher, status) = MetadataRefresher::new(fetcher, loaded, shared, clock);
    let task = tokio::spawn(refresher.run(period, cancel));
    (status, task)
}

fn content_digest(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(32), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_local_paths_and_s3_urls() {
        assert_eq!(
            MetadataLocation::parse("hosts.csv").unwrap(),
            MetadataLocation::Local(PathBuf::from("hosts.csv"))
        );
        let s3 = MetadataLocation::parse("s3://ops-bucket/meta/hosts.csv").unwrap();
        assert_eq!(
            s3,
            MetadataLocation::S3 {
                bucket: "ops-bucket".into(),
                key: "meta/hosts.csv".into()
            }
        );
        assert_eq!(s3.origin(), "s3://ops-bucket/meta/hosts.csv");
        for bad in [
            "s3://",
            "s3://bucket",
            "s3://bucket/",
            "s3:///key",
            "s3://b/dir/",
            "",
        ] {
            let e = MetadataLocation::parse(bad).unwrap_err();
            assert_eq!(e.line, 0, "{bad}");
        }
        let e = MetadataLocation::parse("s3://bucket").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("s3://bucket: an S3 metadata location"),
            "{e}"
        );
    }

    #[test]
    fn an_s3_location_needs_an_s3_fetcher() {
        let location = MetadataLocation::parse("s3://b/k.csv").unwrap();
        let e = fetcher_for(&location, None).err().unwrap();
        assert_eq!(e.origin, "s3://b/k.csv");
        let local = fetcher_for(&MetadataLocation::Local("x.csv".into()), None).unwrap();
        assert_eq!(local.origin(), "x.csv");
    }

    #[tokio::test]
    async fn local_fetcher_reports_not_modified_for_the_same_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts.csv");
        std::fs::write(&path, "host,application\n10.0.0.1,a\n").unwrap();
        let fetcher = LocalFileFetcher::new(&path);
        let Fetched::Content { bytes, version } = fetcher.fetch(None).await.unwrap() else {
            panic!("first fetch has content");
        };
        assert_eq!(bytes, b"host,application\n10.0.0.1,a\n");
        assert_eq!(
            fetcher.fetch(Some(&version)).await.unwrap(),
            Fetched::NotModified
        );
        // Rewritten with the same bytes: the same content under a new version (new mtime).
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&path, "host,application\n10.0.0.1,a\n").unwrap();
        match fetcher.fetch(Some(&version)).await.unwrap() {
            Fetched::Content { bytes: again, .. } => assert_eq!(again, bytes),
            Fetched::NotModified => {} // a file system with coarse timestamps
        }
        // Same length, different content.
        std::fs::write(&path, "host,application\n10.0.0.2,a\n").unwrap();
        let Fetched::Content { version: v2, .. } = fetcher.fetch(Some(&version)).await.unwrap()
        else {
            panic!("changed content is fetched");
        };
        assert_ne!(v2, version);
        // An unparsable previous version just means "fetch".
        assert!(matches!(
            fetcher.fetch(Some("etag-from-elsewhere")).await.unwrap(),
            Fetched::Content { .. }
        ));
        std::fs::remove_file(&path).unwrap();
        assert!(fetcher.fetch(Some(&v2)).await.is_err());
    }

    #[tokio::test]
    async fn load_names_the_file_on_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.csv");
        let e = load_local(&missing).await.unwrap_err();
        assert_eq!(e.origin, missing.display().to_string());
        assert_eq!(e.line, 0);
        assert!(!e.to_string().contains(":0:"), "{e}");

        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "host,application\n10.0.0.0/99,a\n").unwrap();
        let e = load_local(&bad).await.unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.to_string().starts_with(&format!("{}:2: ", bad.display())),
            "{e}"
        );

        let e = load_local(dir.path()).await.unwrap_err();
        assert!(e.reason.contains("not a regular file"), "{e}");
    }
}
