//! Start-up: turns settings into the pipeline's parts (metadata table, sources). Every problem
//! here is a `StartError`: one line on standard error, exit code 2.

use tokio::sync::watch;

use crate::config::{ConfigFile, Settings};
use crate::enrich::{MetadataTable, SharedTable};
use crate::pipeline::{now_ms, StartError, StartParts};
use crate::snapshot::MetadataStatus;
use std::time::Duration;

use crate::source::demo::{DemoConfig, DemoSource, DEMO_METADATA, DEMO_METADATA_ORIGIN};
use crate::source::file::FileSource;
use crate::source::Source;

/// Loads the metadata and opens the sources.
pub async fn prepare(settings: &Settings, _config: &ConfigFile) -> Result<StartParts, StartError> {
    let (table, metadata) = load_metadata(settings).await?;
    let (sources, source_name) = open_sources(settings)?;
    Ok(StartParts {
        sources,
        source_name,
        table,
        metadata,
    })
}

async fn load_metadata(
    settings: &Settings,
) -> Result<(SharedTable, watch::Receiver<MetadataStatus>), StartError> {
    let demo = settings.files.is_empty() && settings.kinesis.is_none();
    let origin = match &settings.metadata {
        None if demo => Some(DEMO_METADATA_ORIGIN.to_string()),
        other => other.clone(),
    };
    let table = match &settings.metadata {
        // The demo's callers come with their own metadata, so its default run shows applications.
        None if demo => MetadataTable::from_csv(DEMO_METADATA.as_bytes(), DEMO_METADATA_ORIGIN)
            .map_err(|e| StartError(e.to_string()))?,
        None => MetadataTable::empty(),
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| StartError(format!("{path}: {e}")))?;
            MetadataTable::from_csv(&bytes, path).map_err(|e| StartError(e.to_string()))?
        }
    };
    let shared = SharedTable::new(table);
    let status = MetadataStatus {
        origin,
        table: shared.current(),
        loaded_at: Some(now_ms() / 1000),
        changed_at: None,
        error: None,
    };
    let (tx, rx) = watch::channel(status);
    std::mem::forget(tx);
    Ok((shared, rx))
}

/// How much past traffic the demo generates at start, so charts are populated at once.
fn demo_backfill(settings: &Settings) -> Duration {
    (settings.window * 12).min(Duration::from_secs(3600))
}

fn open_sources(settings: &Settings) -> Result<(Vec<Box<dyn Source>>, String), StartError> {
    if settings.files.is_empty() {
        let demo = DemoSource::new(DemoConfig::default(), demo_backfill(settings));
        return Ok((vec![Box::new(demo)], "demo".to_string()));
    }
    let mut sources: Vec<Box<dyn Source>> = Vec::new();
    let mut names = Vec::new();
    for path in &settings.files {
        let source =
            FileSource::open(path, settings.follow).map_err(|e| StartError(e.to_string()))?;
        names.push(source.describe());
        sources.push(Box::new(source));
    }
    Ok((sources, names.join(", ")))
}
