//! Enrichment: client host → source application, from the host-metadata CSV.
//!
//! The table is immutable once built; a reload builds a new one and swaps an `Arc`
//! (see [`SharedTable`]), so lookups never take a lock per line.

mod host_identity;
mod load;
pub mod metadata;
#[cfg(test)]
mod tests;

pub use host_identity::{canonical_host, push_canonical_host};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ip_network_table_deps_treebitmap::IpLookupTable;

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
    /// Distinct non-empty `contact` cells of the application's rows, in file order.
    pub contacts: Vec<String>,
    /// Extra columns in header order, each with its distinct non-empty values in file order.
    /// Columns for which none of the application's rows has a value are left out.
    pub attributes: Vec<(String, Vec<String>)>,
    /// How many metadata rows name this application.
    pub rows: usize,
}

/// A metadata file that cannot be used: names the origin (path or `s3://` URL) and the line.
/// Displays as `origin:line: reason`, or `origin: reason` when no line is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataError {
    pub origin: String,
    /// 1-based line number in the file (0 when the problem is not on one line, e.g. an empty file).
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for MetadataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.origin, self.reason),
            line => write!(f, "{}:{}: {}", self.origin, line, self.reason),
        }
    }
}

impl std::error::Error for MetadataError {}

impl MetadataError {
    pub fn new(origin: &str, line: usize, reason: impl Into<String>) -> Self {
        MetadataError {
            origin: origin.to_owned(),
            line,
            reason: reason.into(),
        }
    }
}

/// Longest hostname kept on the stack when a lookup has to lowercase it (DNS names are ≤ 253).
const HOSTNAME_STACK_LEN: usize = 256;

/// Host → application lookup: longest-prefix match over IPv4/IPv6 addresses and CIDR blocks, exact
/// case-insensitive match over hostnames.
///
/// Blocks live in tree bitmaps (multibit tries: a lookup visits at most a handful of nodes
/// whatever the table's size); they are immutable once built, so clones share them.
#[derive(Clone)]
pub struct MetadataTable {
    v4: Arc<IpLookupTable<Ipv4Addr, AppId>>,
    v6: Arc<IpLookupTable<Ipv6Addr, AppId>>,
    /// Lowercased, without a trailing dot.
    hostnames: ahash::HashMap<Box<str>, AppId>,
    applications: Vec<Application>,
    rows: usize,
}

impl MetadataTable {
    /// A table with no rows: every caller is `unknown`.
    pub fn empty() -> Self {
        MetadataTable {
            v4: Arc::new(IpLookupTable::new()),
            v6: Arc::new(IpLookupTable::new()),
            hostnames: Default::default(),
            applications: vec![Application {
                name: Arc::from(UNKNOWN),
                ..Application::default()
            }],
            rows: 0,
        }
    }

    /// Parses a CSV (header row with at least `host` and `application`; `contact` and any extra
    /// columns optional; `#` lines and blank lines ignored; RFC 4180 quoting). `origin` is used in
    /// errors.
    ///
    /// A `host` cell is an IPv4/IPv6 address, a CIDR block (host bits are ignored:
    /// `10.1.2.3/8` is `10.0.0.0/8`) or a hostname. An application named `unknown` (any case) is
    /// the same as matching nothing.
    pub fn from_csv(bytes: &[u8], origin: &str) -> Result<Self, MetadataError> {
        load::parse_csv(bytes, origin)
    }

    /// The application of a client host (`%h`: an IP address or a hostname).
    pub fn lookup(&self, client: &str) -> AppId {
        if self.rows == 0 {
            return AppId::UNKNOWN;
        }
        // Only something made of hex digits, dots and colons can be an address; skipping the
        // parse for hostnames keeps their lookups to a single hash probe.
        if looks_like_ip(client) {
            if let Ok(ip) = client.parse::<IpAddr>() {
                return self.lookup_ip(ip);
            }
        }
        self.lookup_hostname(client)
    }

    /// The application of a client address. An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`)
    /// matches IPv4 rows: a dual-stack server logs its IPv4 callers that way, and they are the
    /// IPv4 hosts the metadata names (the pipeline counts them as those hosts too; see
    /// [`push_canonical_host`]).
    pub fn lookup_ip(&self, ip: IpAddr) -> AppId {
        match ip {
            IpAddr::V4(v4) => self.lookup_v4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => self.lookup_v4(v4),
                None => self.lookup_v6(v6),
            },
        }
    }

    fn lookup_v4(&self, ip: Ipv4Addr) -> AppId {
        if self.v4.is_empty() {
            return AppId::UNKNOWN;
        }
        self.v4
            .longest_match(ip)
            .map_or(AppId::UNKNOWN, |(_, _, app)| *app)
    }

    fn lookup_v6(&self, ip: Ipv6Addr) -> AppId {
        if self.v6.is_empty() {
            return AppId::UNKNOWN;
        }
        self.v6
            .longest_match(ip)
            .map_or(AppId::UNKNOWN, |(_, _, app)| *app)
    }

    /// Exact, ASCII case-insensitive hostname match; a trailing dot (`host.example.`) is ignored.
    pub fn lookup_hostname(&self, name: &str) -> AppId {
        if self.hostnames.is_empty() {
            return AppId::UNKNOWN;
        }
        let name = name.strip_suffix('.').unwrap_or(name);
        let found = if !name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.hostnames.get(name)
        } else if name.len() <= HOSTNAME_STACK_LEN {
            let mut buf = [0u8; HOSTNAME_STACK_LEN];
            let lower = &mut buf[..name.len()];
            lower.copy_from_slice(name.as_bytes());
            lower.make_ascii_lowercase();
            // ASCII lowercasing keeps UTF-8 valid.
            std::str::from_utf8(lower)
                .ok()
                .and_then(|lower| self.hostnames.get(lower))
        } else {
            self.hostnames.get(name.to_ascii_lowercase().as_str())
        };
        found.copied().unwrap_or(AppId::UNKNOWN)
    }

    /// All applications; index 0 is `unknown`.
    pub fn applications(&self) -> &[Application] {
        &self.applications
    }

    pub fn application(&self, id: AppId) -> &Application {
        &self.applications()[id.0 as usize]
    }

    /// The name of an application (`unknown` for ids this table does not know, e.g. an id kept
    /// from an older table).
    pub fn name(&self, id: AppId) -> &Arc<str> {
        let app = self
            .applications
            .get(id.0 as usize)
            .unwrap_or(&self.applications[0]);
        &app.name
    }

    /// The id of an application by its exact name.
    pub fn find(&self, name: &str) -> Option<AppId> {
        if name.eq_ignore_ascii_case(UNKNOWN) {
            return Some(AppId::UNKNOWN);
        }
        self.applications
            .iter()
            .position(|app| &*app.name == name)
            .map(|i| AppId(i as u32))
    }

    /// Number of metadata rows (not counting comments and blank lines).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Whether the table has no rows (every caller is `unknown`).
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Distinct keys by kind: (IPv4 prefixes, IPv6 prefixes, hostnames).
    pub fn key_counts(&self) -> (usize, usize, usize) {
        (self.v4.len(), self.v6.len(), self.hostnames.len())
    }
}

impl std::fmt::Debug for MetadataTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataTable")
            .field("rows", &self.rows)
            .field("ipv4_blocks", &self.v4.len())
            .field("ipv6_blocks", &self.v6.len())
            .field("hostnames", &self.hostnames.len())
            .field("applications", &self.applications)
            .finish()
    }
}

impl Default for MetadataTable {
    fn default() -> Self {
        MetadataTable::empty()
    }
}

fn looks_like_ip(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 45
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
        && s.bytes().any(|b| b == b'.' || b == b':')
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
        self.replace_arc(Arc::new(table));
    }

    /// Installs a table that is already shared (e.g. also published in a status).
    pub fn replace_arc(&self, table: Arc<MetadataTable>) {
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = table;
    }
}
