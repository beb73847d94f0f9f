//! Wiring: sources → decode → parse → enrich → aggregators and alarms → snapshots / JSON Lines.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use crate::snapshot::Snapshot;

/// Requests from the UI to the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineCommand {
    /// Show windows of this width (seconds) from now on; one of the kept widths.
    SetWidth(i64),
    /// Publish a snapshot now (e.g. after a resize).
    Refresh,
}

/// What the UI holds of a running pipeline.
pub struct PipelineHandle {
    /// The latest snapshot; changes at most ~10 times a second.
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub commands: mpsc::UnboundedSender<EngineCommand>,
    /// The widths the `w` key cycles through, in seconds.
    pub widths: Vec<i64>,
}
