//! The command line (a contract: flag names are relied on by scripts and checks).

use std::path::PathBuf;

use clap::Parser;

/// Live terminal monitor for web traffic: who is calling your Apache servers, per source application.
#[derive(Debug, Clone, Parser, PartialEq)]
#[command(name = "kinetop", version, about, long_about = None)]
pub struct Cli {
    /// Read a log file (repeatable); `-` is standard input. Without any source: the built-in demo.
    #[arg(long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,

    /// Keep reading files as they grow, across rotation (rename and copytruncate), like `tail -F`.
    #[arg(long)]
    pub follow: bool,

    /// `common`, `combined`, `combined_D`, or an Apache LogFormat string. Default: detected from the
    /// first lines among the presets.
    #[arg(long, value_name = "FMT")]
    pub format: Option<String>,

    /// Host-metadata CSV (host, application, contact, …): a local path or s3://BUCKET/KEY.
    #[arg(long, value_name = "PATH")]
    pub metadata: Option<String>,

    /// How often to check the metadata for changes (1s to 1d; default 60s).
    #[arg(long, value_name = "DURATION", value_parser = |t: &str| duration::METADATA_REFRESH.parse(t))]
    pub metadata_refresh: Option<Duration>,

    /// Tumbling window width: 10s, 1m, 5m, 15m, 1h … (1s to 7d, whole seconds; default 5m).
    #[arg(long, value_name = "DURATION", value_parser = |t: &str| duration::WINDOW.parse(t))]
    pub window: Option<Duration>,

    /// How long after a window's end events may still arrive (0 to 7d; default 60s).
    #[arg(long, value_name = "DURATION", value_parser = |t: &str| duration::LATENESS.parse(t))]
    pub lateness: Option<Duration>,

    /// How far ahead of the wall clock an event's time may be; later ones are refused and
    /// counted as `future` (0 to 7d; default 5m).
    #[arg(long, value_name = "DURATION", value_parser = |t: &str| duration::MAX_SKEW.parse(t))]
    pub max_skew: Option<Duration>,

    /// No TUI: write JSON Lines (windows, alarms, a final summary) to standard output.
    #[arg(long)]
    pub headless: bool,

    /// TOML config file. Default: config.toml in the user's config directory, if present.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Read a Kinesis data stream (name or ARN).
    #[arg(long, value_name = "STREAM")]
    pub kinesis: Option<String>,

    /// AWS region (as the AWS CLI).
    #[arg(long, value_name = "R")]
    pub region: Option<String>,

    /// AWS profile (as the AWS CLI).
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,

    /// Kinesis endpoint, for emulators and VPC endpoints.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// S3 endpoint for an s3:// metadata file.
    #[arg(long = "s3-endpoint-url", value_name = "URL")]
    pub s3_endpoint_url: Option<String>,

    /// Where to start reading the stream: latest | trim-horizon | window | a time, RFC 3339 or
    /// relative to now such as -2h (default: --since if given, else the start of the current
    /// window).
    #[arg(long = "from", value_name = "POS", allow_hyphen_values = true)]
    pub from: Option<String>,

    /// Skip (and count) lines dated before this time: RFC 3339, a UTC date and time
    /// (2024-05-01 10:00), or relative to now (-2h, 90m ago). Files and streams.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true, value_parser = when)]
    pub since: Option<When>,

    /// Skip (and count) lines dated at or after this time (same forms as --since).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true, value_parser = when)]
    pub until: Option<When>,

    /// Use enhanced fan-out as this registered consumer (registered if absent).
    #[arg(long, value_name = "NAME")]
    pub consumer: Option<String>,

    /// (headless) Stop once every open shard is at its tip, flush all windows, print the summary.
    #[arg(long)]
    pub until_caught_up: bool,

    /// Do not ring the terminal bell when an alarm fires.
    #[arg(long)]
    pub no_bell: bool,

    /// Relay: publish aggregate records (one per final window and application, plus a heartbeat
    /// about every 5 s) to `kinesis:STREAM`, `file:PATH` (JSON Lines) or `-` (standard output).
    #[arg(long, value_name = "TARGET")]
    pub publish: Option<String>,

    /// Read only the stream's shards in relay group I of N (0 <= I < N <= 1024); see README
    /// "Scaling past one process" for the rule.
    #[arg(long = "shard-group", value_name = "I/N")]
    pub shard_group: Option<String>,

    /// Show times in the system's time zone (TZ, /etc/localtime) instead of UTC; the zone's name
    /// is on screen either way.
    #[arg(long)]
    pub local_time: bool,
}

pub use std::time::Duration;

use crate::config::duration;
use crate::config::when::When;

fn when(text: &str) -> Result<When, String> {
    text.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_out_of_range_are_refused_by_name() {
        for args in [
            ["kinetop", "--window", "18446744073709551615s1s"],
            ["kinetop", "--window", "0s"],
            ["kinetop", "--lateness", "9223372036854775808s"],
            ["kinetop", "--metadata-refresh", "9223372036854775808s"],
            ["kinetop", "--max-skew", "8d"],
        ] {
            let err = Cli::try_parse_from(args).unwrap_err().to_string();
            assert!(err.contains(args[1]), "{err}");
        }
        let cli = Cli::try_parse_from(["kinetop", "--max-skew", "10m"]).unwrap();
        assert_eq!(cli.max_skew, Some(Duration::from_secs(600)));
    }

    #[test]
    fn flags_parse() {
        let cli = Cli::try_parse_from([
            "kinetop",
            "--file",
            "a.log",
            "--file",
            "-",
            "--follow",
            "--window",
            "1m",
            "--headless",
        ])
        .unwrap();
        assert_eq!(cli.files.len(), 2);
        assert!(cli.follow && cli.headless);
        assert_eq!(cli.window, Some(Duration::from_secs(60)));
        assert!(Cli::try_parse_from(["kinetop", "--window", "soon"]).is_err());
    }

    #[test]
    fn times_may_start_with_a_minus() {
        let cli = Cli::try_parse_from([
            "kinetop", "--since", "-2h", "--until", "-30m", "--from", "-3h",
        ])
        .unwrap();
        assert_eq!(cli.since, Some(When::Ago(Duration::from_secs(7200))));
        assert_eq!(cli.until, Some(When::Ago(Duration::from_secs(1800))));
        assert_eq!(cli.from.as_deref(), Some("-3h"));
        let err = Cli::try_parse_from(["kinetop", "--since", "yesterday"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--since") && err.contains("RFC 3339"), "{err}");
    }
}
