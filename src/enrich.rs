//! Enrichment: client host → source application, from the host-metadata CSV.
//!
//! The table is immutable once built; a reload builds a new one and swaps an `Arc`
//! (see [`SharedTable`]), so lookups never take a lock per line.

use std::sync::Arc;

/// The application of callers that match no metadata row.
pub const UNKNOWN: &str = "unknown";

/// Index of an application in [`MetadataTable::applications`]; `AppId(0)` is always `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(pub u32);

impl AppId {
    pub const UNKNOWN: AppId = AppId(0);
}

/// What the metadata says about one application: every distinct contact among its rows and the
/// extra columns (`name → distinct values`, in file order).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Application {
    pub name: Arc<str>,
    pub contacts: Vec<String>,
    pub attributes: Vec<(String, Vec<String>)>,
    /// How many metadata rows name this application.
    pub rows: usize,
}

/// A metadata file that cannot be used: names the origin (path or `s3://` URL) and the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}: {reason}")]
pub struct MetadataError {
    pub origin: String,
    /// 1-based line number in the file (0 when the problem is not on one line, e.g. an empty file).
    pub line: usize,
    pub reason: String,
}

/// Host → application lookup: longest-prefix match over IPv4/IPv6 addresses and CIDR blocks, exact
/// case-insensitive match over hostnames.
#[derive(Debug, Clone)]
pub struct MetadataTable {
    _todo: (),
}

impl MetadataTable {
    /// A table with no rows: every caller is `unknown`.
    pub fn empty() -> Self {
        todo!()
    }

    /// Parses a CSV (header row with at least `host` and `application`; `contact` and any extra
    /// columns optional; `#` lines and blank lines ignored; RFC 4180 quoting). `origin` is used in
    /// errors.
    pub fn from_csv(bytes: &[u8], origin: &str) -> Result<Self, MetadataError> {
        let _ = (bytes, origin);
        todo!()
    }

    /// The application of a client host (`%h`: an IP address or a hostname).
    pub fn lookup(&self, client: &str) -> AppId {
        let _ = client;
        todo!()
    }

    /// All applications; index 0 is `unknown`.
    pub fn applications(&self) -> &[Application] {
        todo!()
    }

    pub fn application(&self, id: AppId) -> &Application {
        &self.applications()[id.0 as usize]
    }

    /// Number of metadata rows (not counting comments and blank lines).
    pub fn rows(&self) -> usize {
        todo!()
    }
}

/// The current table, swapped atomically on reload; readers take a cheap `Arc` clone per batch.
#[derive(Debug, Clone)]
pub struct SharedTable {
    inner: Arc<std::sync::RwLock<Arc<MetadataTable>>>,
}

impl SharedTable {
    pub fn new(table: MetadataTable) -> Self {
        SharedTable {
            inner: Arc::new(std::sync::RwLock::new(Arc::new(table))),
        }
    }

    /// The table to use for the next batch of lines.
    pub fn current(&self) -> Arc<MetadataTable> {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Installs a new table; lines enriched after this use it.
    pub fn replace(&self, table: MetadataTable) {
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(table);
    }
}
