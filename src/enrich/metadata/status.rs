//! What the metadata table in use is and how fresh: for the status bar and the detail views.

use std::sync::Arc;

use crate::enrich::MetadataTable;

/// The metadata table in use and its freshness, for the status bar and detail views.
#[derive(Debug, Clone)]
pub struct MetadataStatus {
    /// Path or `s3://` URL; `None` without `--metadata`.
    pub origin: Option<String>,
    pub table: Arc<MetadataTable>,
    /// When the table in use was loaded (UTC epoch seconds, wall clock).
    pub loaded_at: Option<i64>,
    /// When the table last changed (a reload found different content).
    pub changed_at: Option<i64>,
    /// The last failed reload, still in effect (the last good table stays in use).
    pub error: Option<String>,
}
