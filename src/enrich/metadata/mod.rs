//! Loading the host-metadata file (local path or `s3://`), and keeping it fresh in the background.
//!
//! Where the file lives is a [`MetadataLocation`]; how it is read is a [`MetadataFetcher`]
//! (a local file here; S3 with a conditional GET plugs in through the same trait). [`load`] reads
//! it once at start (an error there is fatal for the caller); [`spawn_refresh`] re-checks it every
//! period, swaps a changed and valid table into the [`SharedTable`](crate::enrich::SharedTable), keeps the last good table
//! when a check fails, and publishes a [`MetadataStatus`] for the status bar.

mod local;
mod refresh;
pub mod s3;
mod status;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use md5::{Digest, Md5};
use tokio::sync::mpsc;

use crate::aws::backoff::Backoff;
use crate::aws::retry::Retries;
use crate::enrich::{MetadataError, MetadataTable};
use s3::S3Location;

pub use local::{LocalFileError, LocalFileFetcher, MAX_METADATA_BYTES};
pub use refresh::{spawn_refresh, MetadataRefresher, RefreshOutcome};
pub use status::MetadataStatus;

/// Where the metadata CSV lives, from `--metadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataLocation {
    Local(PathBuf),
    S3(S3Location),
}

impl MetadataLocation {
    /// `s3://BUCKET/KEY` or a local path.
    pub fn parse(location: &str) -> Result<Self, MetadataError> {
        match S3Location::parse(location) {
            Some(Ok(s3)) => Ok(MetadataLocation::S3(s3)),
            Some(Err(reason)) => Err(MetadataError::new(location, 0, reason)),
            None if location.trim().is_empty() => {
                Err(MetadataError::new(location, 0, "empty metadata location"))
            }
            None => Ok(MetadataLocation::Local(PathBuf::from(location))),
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
            MetadataLocation::S3(location) => write!(f, "{location}"),
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

/// Why a fetch failed. [`FetchError::reason`] is short and human-readable (without the
/// location); [`FetchError::is_transient`] says whether trying again later can work (no answer
/// from S3) or someone must act (no such file, access denied).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The local file cannot be used (missing, not a regular file, too large, unreadable).
    #[error(transparent)]
    Local(#[from] LocalFileError),
    #[error(transparent)]
    S3(#[from] s3::S3Error),
    /// No fetcher can read this location (an `s3://` location without an S3 client).
    #[error("{0}")]
    Unsupported(String),
}

impl FetchError {
    /// The reason without the location (the loader and the refresher add it).
    pub fn reason(&self) -> String {
        match self {
            FetchError::Local(e) => e.to_string(),
            FetchError::Unsupported(reason) => reason.clone(),
            FetchError::S3(e) => e.reason(),
        }
    }

    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Local(_) | FetchError::Unsupported(_) => false,
            FetchError::S3(e) => e.is_transient(),
        }
    }
}

/// Reads the metadata file; implemented for local files here and for S3 elsewhere.
pub trait MetadataFetcher: Send + Sync + 'static {
    /// The path or `s3://` URL, for messages.
    fn origin(&self) -> String;

    /// Fetches the file, or says it has not changed since `previous_version` (the version of the
    /// last `Content` this fetcher returned).
    fn fetch<'a>(
        &'a self,
        previous_version: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched, FetchError>>;

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

/// The fetcher for a location. An `s3://` location needs the S3 fetcher, built by the caller
/// (it owns the SDK client); without one it is an error.
pub fn fetcher_for(
    location: &MetadataLocation,
    s3: Option<Arc<dyn MetadataFetcher>>,
) -> Result<Arc<dyn MetadataFetcher>, MetadataError> {
    match (location, s3) {
        (MetadataLocation::Local(path), _) => Ok(Arc::new(LocalFileFetcher::new(path))),
        (MetadataLocation::S3(_), Some(fetcher)) => Ok(fetcher),
        (MetadataLocation::S3(_), None) => Err(MetadataError::new(
            &location.origin(),
            0,
            "no S3 client configured for an s3:// metadata location",
        )),
    }
}

pub use crate::clock::Clock;

/// The system's wall clock.
pub fn system_clock() -> Clock {
    crate::clock::system()
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
    load_retrying(
        fetcher,
        clock,
        Backoff::new(Duration::ZERO, Duration::ZERO),
        0,
        &mut |_| {},
    )
    .await
}

/// [`load`], with failures worth retrying (no answer from S3, a server error) retried with
/// `backoff`, at most `retries` times: before each retry `report` gets the problem text
/// (`s3://b/hosts.csv: no answer from http://…: retrying in 4 s (3rd try, no success yet)`),
/// and `None` once loaded. What retrying cannot fix fails at once.
pub async fn load_retrying(
    fetcher: &dyn MetadataFetcher,
    clock: &Clock,
    backoff: Backoff,
    retries: u32,
    report: &mut (dyn FnMut(Option<&str>) + Send),
) -> Result<LoadedMetadata, MetadataError> {
    let origin = fetcher.origin();
    let mut tries = Retries::new(backoff);
    let (bytes, version) = loop {
        match fetcher.fetch(None).await {
            Ok(Fetched::Content { bytes, version }) => break (bytes, version),
            Ok(Fetched::NotModified) => {
                return Err(MetadataError::new(
                    &origin,
                    0,
                    "the first fetch answered `not modified`",
                ))
            }
            Err(e) if e.is_transient() && tries.failures() < retries => {
                let delay = tries.failed();
                tracing::warn!(%origin, reason = %e.reason(), ?delay, "metadata not loaded; retrying");
                let what = format!("{origin}: {}", e.reason());
                report(Some(&tries.text(&what, delay, std::time::Instant::now())));
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(MetadataError::new(&origin, 0, e.reason())),
        }
    };
    if tries.failures() > 0 {
        report(None);
    }
    let table = MetadataTable::from_csv(&bytes, &origin)?;
    Ok(LoadedMetadata {
        origin,
        table: Arc::new(table),
        version,
        digest: content_digest(&bytes),
        loaded_at: clock(),
    })
}

/// `--metadata` at start: parses the location, picks its fetcher (`s3` for `s3://`, built by the
/// caller) and loads it. Keep the fetcher for [`spawn_refresh`].
pub async fn load_location(
    location: &str,
    s3: Option<Arc<dyn MetadataFetcher>>,
    clock: &Clock,
) -> Result<(Arc<dyn MetadataFetcher>, LoadedMetadata), MetadataError> {
    let location = MetadataLocation::parse(location)?;
    let fetcher = fetcher_for(&location, s3)?;
    let loaded = load(&*fetcher, clock).await?;
    Ok((fetcher, loaded))
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

pub(crate) fn content_digest(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
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
            MetadataLocation::S3(s3::S3Location {
                bucket: "ops-bucket".into(),
                key: "meta/hosts.csv".into()
            })
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
    async fn load_location_picks_the_fetcher() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts.csv");
        std::fs::write(&path, "host,application\n::1,local\n").unwrap();
        let clock: Clock = Arc::new(|| 42);
        let (fetcher, loaded) = load_location(path.to_str().unwrap(), None, &clock)
            .await
            .unwrap();
        assert_eq!(fetcher.origin(), path.display().to_string());
        assert_eq!(loaded.loaded_at, 42);
        assert_eq!(loaded.table.rows(), 1);
        let e = load_location("s3://bucket/hosts.csv", None, &clock)
            .await
            .err()
            .unwrap();
        assert!(e.reason.contains("no S3 client"), "{e}");
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
