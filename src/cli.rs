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

    /// How often to check the metadata for changes.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub metadata_refresh: Option<Duration>,

    /// Tumbling window width: 10s, 1m, 5m, 15m, 1h … (default 5m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub window: Option<Duration>,

    /// How long after a window's end events may still arrive (default 60s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lateness: Option<Duration>,

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

    /// Where to start reading the stream: latest | trim-horizon | an RFC 3339 time | window
    /// (default: the start of the current window).
    #[arg(long = "from", value_name = "POS")]
    pub from: Option<String>,

    /// Use enhanced fan-out as this registered consumer (registered if absent).
    #[arg(long, value_name = "NAME")]
    pub consumer: Option<String>,

    /// (headless) Stop once every open shard is at its tip, flush all windows, print the summary.
    #[arg(long)]
    pub until_caught_up: bool,

    /// Do not ring the terminal bell when an alarm fires.
    #[arg(long)]
    pub no_bell: bool,

    /// Show times in the system's time zone (TZ, /etc/localtime) instead of UTC; the zone's name
    /// is on screen either way.
    #[arg(long)]
    pub local_time: bool,
}

pub use std::time::Duration;

/// Parses `500ms`, `10s`, `1m`, `5m`, `1h`, `1h30m`, `2d` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "bad duration {text:?}: expected a number before {rest:?}"
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("bad duration {text:?}: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(n),
            "s" | "sec" | "secs" => Duration::from_secs(n),
            "m" | "min" | "mins" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            "d" => Duration::from_secs(n * 86_400),
            "" => {
                return Err(format!(
                    "bad duration {text:?}: missing unit (ms, s, m, h, d)"
                ))
            }
            other => return Err(format!("bad duration {text:?}: unknown unit {other:?}")),
        };
        total += part;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("5").is_ok());
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
}
