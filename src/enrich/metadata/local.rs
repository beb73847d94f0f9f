//! The metadata file on the local file system: versions from mtime, length and content hash,
//! and change hints from a directory watch.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use tokio::sync::mpsc;

use super::{content_digest, hex, ChangeHints, FetchError, Fetched, MetadataFetcher};

/// Metadata files larger than this are refused rather than read into memory.
pub const MAX_METADATA_BYTES: u64 = 64 << 20;

/// Why the local metadata file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalFileError {
    /// Kept as kind and text so the error stays comparable and cheap to clone (it is shown in
    /// the status until the next good reload).
    #[error("{text}")]
    Io {
        kind: std::io::ErrorKind,
        text: String,
    },
    #[error("not a regular file")]
    NotAFile,
    #[error("file is {len} bytes, more than the {MAX_METADATA_BYTES} allowed")]
    TooLarge { len: u64 },
}

impl From<std::io::Error> for LocalFileError {
    fn from(e: std::io::Error) -> Self {
        LocalFileError::Io {
            kind: e.kind(),
            text: e.to_string(),
        }
    }
}

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

    async fn fetch_local(&self, previous_version: Option<&str>) -> Result<Fetched, FetchError> {
        Ok(self.read_local(previous_version).await?)
    }

    async fn read_local(&self, previous_version: Option<&str>) -> Result<Fetched, LocalFileError> {
        let stat = tokio::fs::metadata(&self.path).await?;
        if !stat.is_file() {
            return Err(LocalFileError::NotAFile);
        }
        if stat.len() > MAX_METADATA_BYTES {
            return Err(LocalFileError::TooLarge { len: stat.len() });
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
        let bytes = tokio::fs::read(&self.path).await?;
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
    ) -> BoxFuture<'a, Result<Fetched, FetchError>> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
}
