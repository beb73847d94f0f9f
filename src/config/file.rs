//! The TOML config file as written (kebab-case, unknown keys rejected), and where it is read from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::alarms::{validate_alarms, AlarmRuleConfig};
use crate::cli::Cli;
use crate::core::alarms::AlarmRule;

/// The config file as written. Every field is optional; see `assets/config.toml` for an example.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ConfigFile {
    pub format: Option<String>,
    pub metadata: Option<String>,
    pub metadata_refresh: Option<String>,
    pub window: Option<String>,
    pub lateness: Option<String>,
    pub max_skew: Option<String>,
    /// Final windows kept in full detail for history (time travel, sparklines).
    pub history: Option<usize>,
    /// MiB for older windows, kept compact (counts, statuses, latency).
    pub history_budget_mib: Option<usize>,
    /// Top paths and callers kept per application and window.
    pub top_k: Option<usize>,
    pub no_bell: Option<bool>,
    /// Show times in the system's time zone instead of UTC.
    pub local_time: Option<bool>,
    /// Where the TUI's `e` writes CSV files (default: the current directory).
    pub export_dir: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub s3_endpoint_url: Option<String>,
    /// Connect timeout of every AWS call (a duration).
    pub aws_connect_timeout: Option<String>,
    /// Timeout of every AWS call, answer included (a duration).
    pub aws_operation_timeout: Option<String>,
    /// Alarm rules, `[[alarm]]` tables as written; [`parse`] validates them once into
    /// [`ConfigFile::alarm_rules`].
    #[serde(default)]
    pub alarm: Vec<AlarmRuleConfig>,
    /// The rules of `alarm`, validated by [`parse`].
    #[serde(skip)]
    rules: Vec<AlarmRule>,
    /// The 1-based line of each top-level key, so that a bad value found later (a duration out
    /// of range, a format that does not compile) names its line.
    #[serde(skip)]
    lines: BTreeMap<String, usize>,
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

impl ConfigFile {
    /// The validated alarm rules, in file order. A file from [`parse`] was validated there;
    /// one built otherwise is validated now, errors naming `path`.
    pub fn alarm_rules(&self, path: &Path) -> Result<Vec<AlarmRule>, ConfigError> {
        if self.rules.len() == self.alarm.len() {
            return Ok(self.rules.clone());
        }
        validate_alarms(&self.alarm, path, None)
    }

    /// The line of a top-level key, when the file was read by [`parse`].
    pub fn line_of_key(&self, key: &str) -> Option<usize> {
        self.lines.get(key).copied()
    }
}

/// The example config shipped in `assets/config.toml`, with the default alarm rules.
pub const EXAMPLE_CONFIG: &str = include_str!("../../assets/config.toml");

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

/// Parses config text; errors carry the 1-based line of the problem. Alarm rules are validated
/// here, once, so a config that parses has valid rules.
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    let mut file = toml::from_str::<ConfigFile>(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        ConfigError::new(path, line, e.message().to_string())
    })?;
    file.rules = validate_alarms(&file.alarm, path, Some(text))?;
    file.lines = key_lines(text);
    Ok(file)
}

/// The line of every top-level key whose value is a plain value (not a table).
fn key_lines(text: &str) -> BTreeMap<String, usize> {
    // The text already parsed as a `ConfigFile`, so it parses as a table of spanned values.
    let Ok(table) = toml::from_str::<BTreeMap<String, Spanned<toml::Value>>>(text) else {
        return BTreeMap::new();
    };
    table
        .into_iter()
        .map(|(key, value)| (key, line_of(text, value.span().start)))
        .collect()
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
