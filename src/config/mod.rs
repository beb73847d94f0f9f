//! The TOML config file (kebab-case, unknown keys rejected) merged with the command line.
//! Precedence: command line > config file > built-in defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::cli::{parse_duration, Cli};
use crate::core::alarms::{
    ActionCommand, AlarmAction, AlarmRule, AppSelector, Comparison, Metric, TreatMissingData,
};

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
    /// Alarm rules, `[[alarm]]` tables; validated by [`parse`], turned into rules by
    /// [`ConfigFile::alarm_rules`].
    #[serde(default)]
    pub alarm: Vec<AlarmRuleConfig>,
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

/// Parses config text; errors carry the 1-based line of the problem. Alarm rules are validated
/// here too, so a config that parses has valid rules.
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    let file = toml::from_str::<ConfigFile>(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        ConfigError::new(path, line, e.message().to_string())
    })?;
    validate_alarms(&file.alarm, path, Some(text))?;
    Ok(file)
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// One `[[alarm]]` rule as written. Values are checked by [`parse`] (so that errors name the
/// rule and its line) rather than by serde; see `assets/config.toml` for every key.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AlarmRuleConfig {
    pub name: Spanned<String>,
    /// One application, `unknown`, or `*` for each application separately.
    pub application: Spanned<String>,
    pub metric: Spanned<String>,
    pub comparison: Spanned<String>,
    pub threshold: Spanned<f64>,
    pub evaluation_periods: Spanned<i64>,
    /// Default: `evaluation-periods`.
    #[serde(default)]
    pub datapoints_to_alarm: Option<Spanned<i64>>,
    /// Default: `missing`.
    #[serde(default)]
    pub treat_missing_data: Option<Spanned<String>>,
    #[serde(default)]
    pub on_alarm: Option<Spanned<ActionConfig>>,
    #[serde(default)]
    pub on_ok: Option<Spanned<ActionConfig>>,
}

/// `on-alarm` / `on-ok`: `{ command = [...] | "shell text", timeout = "10s", append = "path" }`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ActionConfig {
    #[serde(default)]
    pub command: Option<CommandConfig>,
    #[serde(default)]
    pub timeout: Option<String>,
    #[serde(default)]
    pub append: Option<PathBuf>,
}

/// A command: a string is run with `sh -c`, an array is a program and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandConfig(pub ActionCommand);

impl<'de> Deserialize<'de> for CommandConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = CommandConfig;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string (run with sh -c) or an array of strings (program, arguments)")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CommandConfig(ActionCommand::Shell(v.to_owned())))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut argv = Vec::new();
                while let Some(arg) = seq.next_element::<String>()? {
                    argv.push(arg);
                }
                Ok(CommandConfig(ActionCommand::Argv(argv)))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The most evaluation periods a rule may look at (memory per alarm grows with it).
pub const MAX_EVALUATION_PERIODS: i64 = 1000;

impl ConfigFile {
    /// The validated alarm rules, in file order. `path` names the file in errors (which
    /// [`parse`] has already ruled out for a file it returned).
    pub fn alarm_rules(&self, path: &Path) -> Result<Vec<AlarmRule>, ConfigError> {
        validate_alarms(&self.alarm, path, None)
    }
}

/// The example config shipped in `assets/config.toml`, with the default alarm rules.
pub const EXAMPLE_CONFIG: &str = include_str!("../../assets/config.toml");

/// The alarm rules of the shipped example config (used when no config file is in use).
pub fn default_alarm_rules() -> Vec<AlarmRule> {
    let path = Path::new("assets/config.toml");
    parse(EXAMPLE_CONFIG, path)
        .and_then(|file| file.alarm_rules(path))
        .expect("the shipped assets/config.toml is valid (tested)")
}

/// The rules to run: the config file's `[[alarm]]` rules when a config file is in use (none if
/// it has none), the shipped defaults without one.
pub fn effective_alarm_rules(
    config_path: Option<&Path>,
    file: &ConfigFile,
) -> Result<Vec<AlarmRule>, ConfigError> {
    match config_path {
        Some(path) => file.alarm_rules(path),
        None => Ok(default_alarm_rules()),
    }
}

/// Checks every rule and turns it into an [`AlarmRule`]. With the text, errors carry the line.
fn validate_alarms(
    rules: &[AlarmRuleConfig],
    path: &Path,
    text: Option<&str>,
) -> Result<Vec<AlarmRule>, ConfigError> {
    let line = |span: std::ops::Range<usize>| text.map(|t| line_of(t, span.start));
    let mut seen: std::collections::HashMap<&str, (usize, Option<usize>)> = Default::default();
    let mut out = Vec::with_capacity(rules.len());
    for (i, rule) in rules.iter().enumerate() {
        let index = i + 1;
        let name = rule.name.get_ref().as_str();
        let err = |span: std::ops::Range<usize>, reason: String| {
            ConfigError::new(
                path,
                line(span),
                format!("[[alarm]] #{index} {name:?}: {reason}"),
            )
        };
        if name.trim().is_empty() {
            return Err(err(rule.name.span(), "name is empty".into()));
        }
        if name.chars().any(char::is_control) {
            return Err(err(
                rule.name.span(),
                "name contains control characters".into(),
            ));
        }
        if let Some((first, first_line)) = seen.insert(name, (index, line(rule.name.span()))) {
            let at = first_line
                .map(|l| format!(" (line {l})"))
                .unwrap_or_default();
            return Err(err(
                rule.name.span(),
                format!("duplicate name: [[alarm]] #{first}{at} has it too"),
            ));
        }
        let application = rule.application.get_ref();
        if application.trim().is_empty() || application.chars().any(char::is_control) {
            return Err(err(
                rule.application.span(),
                "application must be an application name, \"unknown\" or \"*\"".into(),
            ));
        }
        let metric: Metric = rule
            .metric
            .get_ref()
            .parse()
            .map_err(|e| err(rule.metric.span(), e))?;
        let comparison: Comparison = rule
            .comparison
            .get_ref()
            .parse()
            .map_err(|e| err(rule.comparison.span(), e))?;
        let threshold = *rule.threshold.get_ref();
        if !threshold.is_finite() {
            return Err(err(
                rule.threshold.span(),
                format!("threshold must be a finite number, not {threshold}"),
            ));
        }
        let n = *rule.evaluation_periods.get_ref();
        if !(1..=MAX_EVALUATION_PERIODS).contains(&n) {
            return Err(err(
                rule.evaluation_periods.span(),
                format!(
                    "evaluation-periods must be between 1 and {MAX_EVALUATION_PERIODS}, not {n}"
                ),
            ));
        }
        let m = match &rule.datapoints_to_alarm {
            None => n,
            Some(m) => {
                let v = *m.get_ref();
                if v < 1 {
                    return Err(err(
                        m.span(),
                        format!("datapoints-to-alarm must be at least 1, not {v}"),
                    ));
                }
                if v > n {
                    return Err(err(
                        m.span(),
                        format!(
                            "datapoints-to-alarm ({v}) is larger than evaluation-periods ({n})"
                        ),
                    ));
                }
                v
            }
        };
        let treat_missing_data = match &rule.treat_missing_data {
            None => TreatMissingData::default(),
            Some(t) => t.get_ref().parse().map_err(|e| err(t.span(), e))?,
        };
        let action = |key: &str,
                      action: &Option<Spanned<ActionConfig>>|
         -> Result<Option<AlarmAction>, ConfigError> {
            let Some(action) = action else {
                return Ok(None);
            };
            let span = action.span();
            validate_action(action.get_ref())
                .map(Some)
                .map_err(|e| err(span, format!("{key}: {e}")))
        };
        out.push(AlarmRule {
            name: std::sync::Arc::from(name),
            application: AppSelector::parse(application),
            metric,
            comparison,
            threshold,
            evaluation_periods: n as usize,
            datapoints_to_alarm: m as usize,
            treat_missing_data,
            on_alarm: action("on-alarm", &rule.on_alarm)?,
            on_ok: action("on-ok", &rule.on_ok)?,
        });
    }
    Ok(out)
}

fn validate_action(action: &ActionConfig) -> Result<AlarmAction, String> {
    if action.command.is_none() && action.append.is_none() {
        return Err("an action needs a command and/or an append file".into());
    }
    let command = match &action.command {
        None => None,
        Some(CommandConfig(ActionCommand::Shell(text))) if text.trim().is_empty() => {
            return Err("command is empty".into())
        }
        Some(CommandConfig(ActionCommand::Argv(argv)))
            if argv.first().is_none_or(|p| p.is_empty()) =>
        {
            return Err("command needs a program as its first element".into())
        }
        Some(CommandConfig(command)) => Some(command.clone()),
    };
    let timeout = match &action.timeout {
        None => AlarmAction::DEFAULT_TIMEOUT,
        Some(_) if command.is_none() => return Err("timeout is only for a command".into()),
        Some(text) => match parse_duration(text) {
            Ok(d) if d.is_zero() => return Err("timeout must be more than 0".into()),
            Ok(d) => d,
            Err(e) => return Err(format!("timeout: {e}")),
        },
    };
    if action
        .append
        .as_ref()
        .is_some_and(|p| p.as_os_str().is_empty())
    {
        return Err("append path is empty".into());
    }
    Ok(AlarmAction {
        command,
        timeout,
        append: action.append.clone(),
    })
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
    /// Whether the source is the built-in demo (no file and no stream named).
    pub fn is_demo(&self) -> bool {
        self.files.is_empty() && self.kinesis.is_none()
    }

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
