//! The TOML config file (kebab-case, unknown keys rejected) merged with the command line.
//! Precedence: command line > config file > built-in defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::{parse_duration, Cli};

/// The config file as written. Every field is optional; see `assets/config.toml` for an example.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ConfigFile {
    pub format: Option<String>,
    pub metadata: Option<String>,
    pub metadata_refresh: Option<String>,
    pub window: Option<String>,
    pub lateness: Option<String>,
    /// Final windows kept for history (time travel, sparklines).
    pub history: Option<usize>,
    /// Top paths and callers kept per application and window.
    pub top_k: Option<usize>,
    pub no_bell: Option<bool>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub s3_endpoint_url: Option<String>,
}

/// A config problem: names the file and, where there is one, the line.
#[derive(Debug, thiserror::Error)]
#[error("{path}{}: {reason}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub path: String,
    pub line: Option<usize>,
    pub reason: String,
}

impl ConfigError {
    pub fn new(path: &Path, line: Option<usize>, reason: impl Into<String>) -> Self {
        ConfigError {
            path: path.display().to_string(),
            line,
            reason: reason.into(),
        }
    }
}

/// The user's default config file (`config.toml` in the platform config dir).
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "kinetop").map(|d| d.config_dir().join("config.toml"))
}

/// Reads the config file named on the command line (must exist) or the default one (if present).
pub fn load(cli: &Cli) -> Result<(Option<PathBuf>, ConfigFile), ConfigError> {
    let (path, required) = match &cli.config {
        Some(p) => (p.clone(), true),
        None => match default_config_path() {
            Some(p) => (p, false),
            None => return Ok((None, ConfigFile::default())),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text, &path).map(|c| (Some(path), c)),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            Ok((None, ConfigFile::default()))
        }
        Err(e) => Err(ConfigError::new(&path, None, format!("cannot read: {e}"))),
    }
}

/// Parses config text; errors carry the 1-based line of the problem.
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    toml::from_str::<ConfigFile>(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        ConfigError::new(path, line, e.message().to_string())
    })
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Everything the pipeline needs, resolved from the command line, the config file and defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub files: Vec<PathBuf>,
    pub follow: bool,
    pub format: Option<String>,
    pub metadata: Option<String>,
    pub metadata_refresh: Duration,
    pub window: Duration,
    pub lateness: Duration,
    pub history: usize,
    pub top_k: usize,
    pub headless: bool,
    pub bell: bool,
    pub kinesis: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub s3_endpoint_url: Option<String>,
    pub from: Option<String>,
    pub consumer: Option<String>,
    pub until_caught_up: bool,
    /// The config file in use, if any.
    pub config_path: Option<PathBuf>,
}

impl Settings {
    pub fn resolve(cli: &Cli, file: &ConfigFile, path: Option<&Path>) -> Result<Self, ConfigError> {
        let cfg_path = path.unwrap_or(Path::new("config.toml"));
        let dur = |name: &str, cli: Option<Duration>, file: &Option<String>, default: u64| match (
            cli, file,
        ) {
            (Some(d), _) => Ok(d),
            (None, Some(text)) => parse_duration(text)
                .map_err(|e| ConfigError::new(cfg_path, None, format!("{name}: {e}"))),
            (None, None) => Ok(Duration::from_secs(default)),
        };
        let window = dur("window", cli.window, &file.window, 300)?;
        if window.as_secs() == 0 || window.subsec_nanos() != 0 {
            return Err(ConfigError::new(
                cfg_path,
                None,
                format!("window must be a whole number of seconds > 0, not {window:?}"),
            ));
        }
        Ok(Settings {
            files: cli.files.clone(),
            follow: cli.follow,
            format: cli.format.clone().or_else(|| file.format.clone()),
            metadata: cli.metadata.clone().or_else(|| file.metadata.clone()),
            metadata_refresh: dur(
                "metadata-refresh",
                cli.metadata_refresh,
                &file.metadata_refresh,
                60,
            )?,
            window,
            lateness: dur("lateness", cli.lateness, &file.lateness, 60)?,
            history: file.history.unwrap_or(48).clamp(2, 10_000),
            top_k: file.top_k.unwrap_or(20).clamp(1, 1000),
            headless: cli.headless,
            bell: !(cli.no_bell || file.no_bell.unwrap_or(false)),
            kinesis: cli.kinesis.clone(),
            region: cli.region.clone().or_else(|| file.region.clone()),
            profile: cli.profile.clone().or_else(|| file.profile.clone()),
            endpoint_url: cli
                .endpoint_url
                .clone()
                .or_else(|| file.endpoint_url.clone()),
            s3_endpoint_url: cli
                .s3_endpoint_url
                .clone()
                .or_else(|| file.s3_endpoint_url.clone()),
            from: cli.from.clone(),
            consumer: cli.consumer.clone(),
            until_caught_up: cli.until_caught_up,
            config_path: path.map(Path::to_path_buf),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn unknown_key_names_the_line() {
        let err = parse(
            "window = \"1m\"\n\nwindw = \"5m\"\n",
            Path::new("/etc/k.toml"),
        )
        .unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.to_string().starts_with("/etc/k.toml:3: "), "{err}");
    }

    #[test]
    fn command_line_wins_over_file() {
        let cli = Cli::try_parse_from(["kinetop", "--window", "1m"]).unwrap();
        let file = parse("window = \"15m\"\nlateness = \"2m\"\n", Path::new("k.toml")).unwrap();
        let s = Settings::resolve(&cli, &file, None).unwrap();
        assert_eq!(s.window, Duration::from_secs(60));
        assert_eq!(s.lateness, Duration::from_secs(120));
    }

    #[test]
    fn bad_duration_in_file_is_an_error() {
        let cli = Cli::try_parse_from(["kinetop"]).unwrap();
        let file = parse("lateness = \"soon\"\n", Path::new("k.toml")).unwrap();
        let err = Settings::resolve(&cli, &file, Some(Path::new("k.toml"))).unwrap_err();
        assert!(err.to_string().contains("lateness"), "{err}");
    }
}
