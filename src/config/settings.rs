//! The command line merged with the config file and defaults into typed [`Settings`], checked
//! once at start. Precedence: command line > config file > built-in defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::duration::{self, DurationSetting};
use super::file::{ConfigError, ConfigFile};
use super::when::TimeRange;
use crate::aws::{check_endpoint_url, AwsOptions, AwsTimeouts};
use crate::cli::Cli;
use crate::enrich::metadata::MetadataLocation;
use crate::output::publish::PublishTarget;
use crate::parse::LogFormat;
use crate::source::kinesis::shard_group::ShardGroup;
use crate::source::kinesis::StartFrom;

/// Everything the pipeline needs, resolved from the command line, the config file and defaults.
/// Values are parsed here, once: a format is compiled, a location and a start position typed.
#[derive(Debug, Clone)]
pub struct Settings {
    pub files: Vec<PathBuf>,
    pub follow: bool,
    /// The log format; `None`: detected from the first lines.
    pub format: Option<LogFormat>,
    pub metadata: Option<MetadataLocation>,
    pub metadata_refresh: Duration,
    pub window: Duration,
    pub lateness: Duration,
    /// How far ahead of the wall clock an event may be before it is refused as `future`.
    pub max_skew: Duration,
    pub history: usize,
    /// Bytes for older windows kept compact, shared by every kept width (TUI only).
    pub history_budget: usize,
    pub top_k: usize,
    pub headless: bool,
    pub bell: bool,
    /// The TUI shows local time (`--local-time`) instead of UTC.
    pub local_time: bool,
    /// Stream name or ARN.
    pub kinesis: Option<String>,
    pub aws: AwsOptions,
    /// Where the stream's shards open at start begin (`--from`; default `--since`, else the
    /// start of the current window).
    pub from: StartFrom,
    /// `--since` / `--until`, resolved against the clock at start: lines outside are skipped.
    pub range: TimeRange,
    pub consumer: Option<String>,
    pub until_caught_up: bool,
    /// `--publish`: where a relay publishes aggregate records.
    pub publish: Option<PublishTarget>,
    /// `--shard-group I/N`: which of the stream's shards this process reads.
    pub shard_group: Option<ShardGroup>,
    /// The config file in use, if any.
    pub config_path: Option<PathBuf>,
    /// Where the TUI's `e` writes CSV files (`export-dir`); `None`: the current directory.
    pub export_dir: Option<PathBuf>,
}

/// A setting that cannot be used: names the flag, or the config file and line it came from.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{flag}: {reason}")]
    Flag { flag: &'static str, reason: String },
    #[error(transparent)]
    File(#[from] ConfigError),
}

/// Where a value came from, for messages.
#[derive(Clone, Copy)]
enum Origin<'a> {
    Flag(&'static str),
    File {
        path: &'a Path,
        file: &'a ConfigFile,
        key: &'static str,
    },
}

impl Origin<'_> {
    fn error(self, reason: impl std::fmt::Display) -> SettingsError {
        match self {
            Origin::Flag(flag) => SettingsError::Flag {
                flag,
                reason: reason.to_string(),
            },
            Origin::File { path, file, key } => {
                ConfigError::new(path, file.line_of_key(key), format!("{key}: {reason}")).into()
            }
        }
    }
}

impl Settings {
    /// Whether the source is the built-in demo (no file and no stream named).
    pub fn is_demo(&self) -> bool {
        self.files.is_empty() && self.kinesis.is_none()
    }

    pub fn resolve(
        cli: &Cli,
        file: &ConfigFile,
        path: Option<&Path>,
    ) -> Result<Self, SettingsError> {
        let cfg_path = path.unwrap_or(Path::new("config.toml"));
        let in_file = |key: &'static str| Origin::File {
            path: cfg_path,
            file,
            key,
        };
        // The command line's durations were checked by clap (see `cli`); the file's are here.
        let dur = |setting: DurationSetting,
                   cli: Option<Duration>,
                   text: &Option<String>,
                   default: u64|
         -> Result<Duration, SettingsError> {
            match (cli, text) {
                (Some(d), _) => Ok(d),
                (None, Some(text)) => setting
                    .parse(text)
                    .map_err(|e| in_file(setting.name).error(e)),
                (None, None) => Ok(Duration::from_secs(default)),
            }
        };
        let window = dur(duration::WINDOW, cli.window, &file.window, 300)?;
        let format = match (&cli.format, &file.format) {
            (Some(text), _) => Some((text, Origin::Flag("--format"))),
            (None, Some(text)) => Some((text, in_file("format"))),
            (None, None) => None,
        }
        .map(|(text, origin)| LogFormat::new(text).map_err(|e| origin.error(e)))
        .transpose()?;
        let metadata = match (&cli.metadata, &file.metadata) {
            (Some(text), _) => Some((text, Origin::Flag("--metadata"))),
            (None, Some(text)) => Some((text, in_file("metadata"))),
            (None, None) => None,
        }
        .map(|(text, origin)| MetadataLocation::parse(text).map_err(|e| origin.error(e)))
        .transpose()?;
        // Relative times name one instant for the whole run: now, at start.
        let now_ms = crate::clock::now_ms();
        let range = TimeRange::new(
            cli.since.map(|w| w.resolve(now_ms)),
            cli.until.map(|w| w.resolve(now_ms)),
        )
        .map_err(|e| Origin::Flag("--until").error(e))?;
        let from = match (&cli.from, range.since_ms) {
            (Some(text), _) => {
                let from = StartFrom::parse_at(text, now_ms)
                    .map_err(|e| Origin::Flag("--from").error(e))?;
                from.check_not_future(now_ms)
                    .map_err(|e| Origin::Flag("--from").error(e))?;
                from
            }
            // Reading a stream from --since shows everything asked for; a --since in the future
            // starts at now (nothing later has arrived yet).
            (None, Some(since)) => StartFrom::Time(since.min(now_ms)),
            (None, None) => StartFrom::default(),
        };
        let or_file = |cli: &Option<String>, file: &Option<String>| cli.clone().or(file.clone());
        let endpoint = |flag: &'static str, key: &'static str, cli: &Option<String>, file_value| {
            let (url, origin) = match (cli, file_value) {
                (Some(url), _) => (url, Origin::Flag(flag)),
                (None, Some(url)) => (url, in_file(key)),
                (None, None) => return Ok(None),
            };
            check_endpoint_url(url).map_err(|e| origin.error(e))?;
            Ok::<_, SettingsError>(Some(url.clone()))
        };
        let endpoint_url = endpoint(
            "--endpoint-url",
            "endpoint-url",
            &cli.endpoint_url,
            file.endpoint_url.as_ref(),
        )?;
        let s3_endpoint_url = endpoint(
            "--s3-endpoint-url",
            "s3-endpoint-url",
            &cli.s3_endpoint_url,
            file.s3_endpoint_url.as_ref(),
        )?;
        let file_only = |setting: DurationSetting, text: &Option<String>, default: Duration| {
            text.as_ref().map_or(Ok(default), |text| {
                setting
                    .parse(text)
                    .map_err(|e| in_file(setting.name).error(e))
            })
        };
        let timeouts = AwsTimeouts {
            connect: file_only(
                duration::AWS_CONNECT_TIMEOUT,
                &file.aws_connect_timeout,
                AwsTimeouts::DEFAULT_CONNECT,
            )?,
            operation: file_only(
                duration::AWS_OPERATION_TIMEOUT,
                &file.aws_operation_timeout,
                AwsTimeouts::DEFAULT_OPERATION,
            )?,
        };
        let publish = cli
            .publish
            .as_deref()
            .map(|text| {
                let target: PublishTarget = text
                    .parse()
                    .map_err(|e| Origin::Flag("--publish").error(e))?;
                if target == PublishTarget::Stdout && !cli.headless {
                    return Err(Origin::Flag("--publish").error(
                        "`-` writes records to standard output, which the TUI uses: add --headless",
                    ));
                }
                Ok(target)
            })
            .transpose()?;
        let shard_group = cli
            .shard_group
            .as_deref()
            .map(|text| {
                let group: ShardGroup = text
                    .parse()
                    .map_err(|e| Origin::Flag("--shard-group").error(e))?;
                if cli.kinesis.is_none() {
                    return Err(Origin::Flag("--shard-group")
                        .error("groups a Kinesis stream's shards: add --kinesis STREAM"));
                }
                Ok(group)
            })
            .transpose()?;
        // Checked now: an export that fails mid-incident for a typo is too late to learn of it.
        let export_dir = file
            .export_dir
            .as_ref()
            .map(|dir| {
                let dir = PathBuf::from(dir);
                if dir.is_dir() {
                    Ok(dir)
                } else {
                    Err(in_file("export-dir")
                        .error(format!("{} is not a directory", dir.display())))
                }
            })
            .transpose()?;
        Ok(Settings {
            export_dir,
            files: cli.files.clone(),
            follow: cli.follow,
            format,
            metadata,
            metadata_refresh: dur(
                duration::METADATA_REFRESH,
                cli.metadata_refresh,
                &file.metadata_refresh,
                60,
            )?,
            window,
            lateness: dur(duration::LATENESS, cli.lateness, &file.lateness, 60)?,
            max_skew: dur(duration::MAX_SKEW, cli.max_skew, &file.max_skew, 300)?,
            history: file.history.unwrap_or(48).clamp(2, 10_000),
            history_budget: file.history_budget_mib.unwrap_or(256).min(64 * 1024) << 20,
            top_k: file.top_k.unwrap_or(20).clamp(1, 1000),
            headless: cli.headless,
            bell: !(cli.no_bell || file.no_bell.unwrap_or(false)),
            local_time: cli.local_time || file.local_time.unwrap_or(false),
            kinesis: cli.kinesis.clone(),
            aws: AwsOptions {
                region: or_file(&cli.region, &file.region),
                profile: or_file(&cli.profile, &file.profile),
                endpoint_url,
                s3_endpoint_url,
                timeouts,
            },
            from,
            range,
            consumer: cli.consumer.clone(),
            until_caught_up: cli.until_caught_up,
            publish,
            shard_group,
            config_path: path.map(Path::to_path_buf),
        })
    }
}
