//! Start-up: turns settings into the pipeline's parts (metadata table, sources). Every problem
//! here is a `StartError`: one line on standard error, exit code 2.

use tokio::sync::watch;

use crate::config::{self, ConfigFile, Settings};
use crate::core::alarms::{AlarmEngine, AlarmRule};
use crate::enrich::metadata::MetadataStatus;
use crate::enrich::{MetadataTable, SharedTable};
use crate::output::actions::ActionRunner;
use crate::pipeline::progress::StartProgress;
use crate::pipeline::{StartError, StartParts};
use std::time::{Duration, Instant};

use crate::aws::backoff::Backoff;
use crate::output::fault_log::FaultLog;

use crate::enrich::metadata::s3::S3MetadataFetcher;
use crate::enrich::metadata::{self, MetadataLocation};
use crate::source::demo::{DemoConfig, DemoSource, DEMO_METADATA, DEMO_METADATA_ORIGIN};
use crate::source::file::FileSource;
use crate::source::kinesis::{KinesisOptions, KinesisSource, Tuning};
use crate::source::Source;
use tokio_util::sync::CancellationToken;

/// Loads the metadata and opens the sources; says on `progress` what it waits for.
pub async fn prepare(
    settings: &Settings,
    config: &ConfigFile,
    progress: &StartProgress,
) -> Result<StartParts, StartError> {
    let alarms = alarm_rules(settings, config)?;
    let (table, metadata) = load_metadata(settings, progress).await?;
    let origins = settings
        .files
        .iter()
        .map(|p| FileSource::origin_of(p))
        .collect();
    let (sources, source_name) = open_sources(settings, progress).await?;
    let alarms = (!alarms.is_empty()).then(|| {
        let actions = ActionRunner::new(&alarms);
        let actions = actions.has_actions().then_some(actions);
        (
            AlarmEngine::new(alarms, settings.window.as_secs() as i64),
            actions,
        )
    });
    Ok(StartParts {
        sources,
        alarms,
        source_name,
        origins,
        table,
        metadata,
    })
}

/// The alarm rules to evaluate. A config file's rules when one is in use. Without one, the
/// shipped defaults (`assets/config.toml`) in the TUI and for the demo; a headless run over files
/// or a stream has no alarms unless a config asks for them, so scripted output stays as asked.
fn alarm_rules(settings: &Settings, config: &ConfigFile) -> Result<Vec<AlarmRule>, StartError> {
    if settings.config_path.is_none() && settings.headless && !settings.is_demo() {
        return Ok(Vec::new());
    }
    Ok(config::effective_alarm_rules(
        settings.config_path.as_deref(),
        config,
    )?)
}

async fn load_metadata(
    settings: &Settings,
    progress: &StartProgress,
) -> Result<(SharedTable, watch::Receiver<MetadataStatus>), StartError> {
    if let Some(location) = &settings.metadata {
        progress.step(format!("loading metadata from {location}"));
        return load_refreshed_metadata(settings, location, progress).await;
    }
    // The demo's callers come with their own metadata, so its default run shows applications.
    let (table, origin) = if settings.is_demo() {
        let table = MetadataTable::from_csv(DEMO_METADATA.as_bytes(), DEMO_METADATA_ORIGIN)?;
        (table, Some(DEMO_METADATA_ORIGIN.to_string()))
    } else {
        (MetadataTable::empty(), None)
    };
    let shared = SharedTable::new(table);
    let status = MetadataStatus {
        origin,
        table: shared.current(),
        loaded_at: Some(crate::clock::now_secs()),
        changed_at: None,
        error: None,
    };
    // Nothing reloads a built-in or absent table: the receiver keeps this value for good.
    let (_tx, rx) = watch::channel(status);
    Ok((shared, rx))
}

/// `--metadata PATH` or `s3://BUCKET/KEY`: loaded now (an error is fatal), then re-checked every
/// `--metadata-refresh` in the background (a local file also as soon as it changes).
async fn load_refreshed_metadata(
    settings: &Settings,
    location: &MetadataLocation,
    progress: &StartProgress,
) -> Result<(SharedTable, watch::Receiver<MetadataStatus>), StartError> {
    let s3 = match location {
        MetadataLocation::S3(_) => {
            let client = crate::aws::s3_client(&settings.aws).await;
            let endpoint = settings.aws.s3_endpoint_url.as_deref();
            S3MetadataFetcher::for_location_at(location, &client, endpoint)
        }
        MetadataLocation::Local(_) => None,
    };
    let fetcher = metadata::fetcher_for(location, s3)?;
    let clock = metadata::system_clock();
    // S3 not answering at start is retried (with backoff) until it answers or the run is stopped,
    // and said: on the start-up screen in the TUI, on standard error headless. A missing object
    // is an error now.
    let origin = fetcher.origin();
    let mut said = FaultLog::to_stderr();
    let loaded = metadata::load_retrying(
        &*fetcher,
        &clock,
        Backoff::new(Duration::from_secs(1), Duration::from_secs(30)),
        u32::MAX,
        &mut |problem| {
            if progress.is_watched() {
                progress.problem(problem);
            } else {
                said.observe_metadata(&origin, problem, Instant::now());
            }
        },
    )
    .await;
    if !progress.is_watched() {
        said.flush(Instant::now());
    }
    let loaded = loaded?;
    let shared = SharedTable::new(MetadataTable::empty());
    // Runs for the life of the process.
    let (status, _task) = metadata::spawn_refresh(
        fetcher,
        loaded,
        shared.clone(),
        settings.metadata_refresh,
        clock,
        CancellationToken::new(),
    );
    Ok((shared, status))
}

/// How much past traffic the demo generates at start, so charts are populated at once.
fn demo_backfill(settings: &Settings) -> Duration {
    (settings.window * 12).min(Duration::from_secs(3600))
}

async fn open_sources(
    settings: &Settings,
    progress: &StartProgress,
) -> Result<(Vec<Box<dyn Source>>, String), StartError> {
    if settings.is_demo() {
        let demo = DemoSource::new(DemoConfig::default(), demo_backfill(settings));
        return Ok((vec![Box::new(demo)], "demo".to_string()));
    }
    let mut sources: Vec<Box<dyn Source>> = Vec::new();
    let mut names = Vec::new();
    if let Some(stream) = &settings.kinesis {
        let at = settings
            .aws
            .endpoint_url
            .as_deref()
            .map(|url| format!(" at {url}"))
            .unwrap_or_default();
        progress.step(format!("connecting to Kinesis stream {stream}{at}"));
        let options = KinesisOptions {
            stream: stream.clone(),
            from: settings
                .from
                .position(settings.window, crate::clock::now_ms()),
            consumer: settings.consumer.clone(),
            until_caught_up: settings.until_caught_up,
            tuning: Tuning {
                subscription_silence: settings.aws.timeouts.subscription_silence(),
                ..Tuning::default()
            },
        };
        let source = KinesisSource::connect(&settings.aws, options).await?;
        names.push(source.describe());
        sources.push(Box::new(source));
    }
    for path in &settings.files {
        let source = FileSource::open(path, settings.follow)?;
        names.push(source.describe());
        sources.push(Box::new(source));
    }
    Ok((sources, names.join(", ")))
}
