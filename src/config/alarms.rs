//! `[[alarm]]` rules as written in the config file, and their validation into [`AlarmRule`]s
//! (errors name the file, the rule and its line).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::duration::ACTION_TIMEOUT;
use super::file::{line_of, parse, ConfigError, ConfigFile, EXAMPLE_CONFIG};
use crate::core::alarms::{
    ActionCommand, AlarmAction, AlarmRule, AppSelector, BandRule, Comparison, Metric,
    TreatMissingData,
};

/// One `[[alarm]]` rule as written. Values are checked by [`parse`](super::parse) (so that errors name the
/// rule and its line) rather than by serde; see `assets/config.toml` for every key.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AlarmRuleConfig {
    pub name: Spanned<String>,
    /// One application, `unknown`, or `*` for each application separately.
    pub application: Spanned<String>,
    pub metric: Spanned<String>,
    pub comparison: Spanned<String>,
    /// Required for `>`, `>=`, `<`, `<=`; refused for the band comparisons.
    #[serde(default)]
    pub threshold: Option<Spanned<f64>>,
    /// Band comparisons only: the band's half-width in standard deviations (default 2).
    #[serde(default)]
    pub band: Option<Spanned<f64>>,
    /// Band comparisons only: how many windows before each one make its band (default 12).
    #[serde(default)]
    pub band_windows: Option<Spanned<i64>>,
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
pub(super) fn validate_alarms(
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
        let (threshold, band) = if comparison.is_band() {
            let band =
                validate_band(rule, comparison).map_err(|(span, reason)| err(span, reason))?;
            (band.width, Some(band))
        } else {
            let Some(threshold) = &rule.threshold else {
                return Err(err(
                    rule.comparison.span(),
                    format!(
                        "comparison {:?} needs a threshold (or use outside-band, above-band or \
                         below-band)",
                        comparison.as_str()
                    ),
                ));
            };
            for (key, span) in [
                ("band", rule.band.as_ref().map(Spanned::span)),
                (
                    "band-windows",
                    rule.band_windows.as_ref().map(Spanned::span),
                ),
            ] {
                if let Some(span) = span {
                    return Err(err(
                        span,
                        format!(
                            "{key} is for the band comparisons (outside-band, above-band, \
                             below-band), not {:?}",
                            comparison.as_str()
                        ),
                    ));
                }
            }
            let value = *threshold.get_ref();
            if !value.is_finite() {
                return Err(err(
                    threshold.span(),
                    format!("threshold must be a finite number, not {value}"),
                ));
            }
            (value, None)
        };
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
            band,
            evaluation_periods: n as usize,
            datapoints_to_alarm: m as usize,
            treat_missing_data,
            on_alarm: action("on-alarm", &rule.on_alarm)?,
            on_ok: action("on-ok", &rule.on_ok)?,
        });
    }
    Ok(out)
}

/// A band rule's `band` and `band-windows` (with their defaults); no `threshold`.
fn validate_band(
    rule: &AlarmRuleConfig,
    comparison: Comparison,
) -> Result<BandRule, (std::ops::Range<usize>, String)> {
    if let Some(threshold) = &rule.threshold {
        return Err((
            threshold.span(),
            format!(
                "comparison {:?} takes no threshold: its band is `band` standard deviations \
                 around the last `band-windows` windows",
                comparison.as_str()
            ),
        ));
    }
    let width = match &rule.band {
        None => BandRule::DEFAULT_WIDTH,
        Some(band) => {
            let width = *band.get_ref();
            if !(width > 0.0 && width <= BandRule::MAX_WIDTH) {
                return Err((
                    band.span(),
                    format!(
                        "band must be a number of standard deviations above 0 and at most {}, \
                         not {width}",
                        BandRule::MAX_WIDTH
                    ),
                ));
            }
            width
        }
    };
    let windows = match &rule.band_windows {
        None => BandRule::DEFAULT_WINDOWS,
        Some(windows) => {
            let n = *windows.get_ref();
            let min = BandRule::MIN_WINDOWS as i64;
            if !(min..=MAX_EVALUATION_PERIODS).contains(&n) {
                return Err((
                    windows.span(),
                    format!(
                        "band-windows must be between {min} and {MAX_EVALUATION_PERIODS}, not {n}"
                    ),
                ));
            }
            n as usize
        }
    };
    Ok(BandRule { width, windows })
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
        Some(text) => ACTION_TIMEOUT
            .parse(text)
            .map_err(|e| format!("timeout: {e}"))?,
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
