//! `[[alarm]]` rules in the config file: the shipped example, defaults, and every validation
//! error (which must name the file, the rule and its line).

use std::path::{Path, PathBuf};
use std::time::Duration;

use kinetop::config::{self, ConfigError, ConfigFile};
use kinetop::core::alarms::{
    ActionCommand, AlarmRule, AppSelector, Comparison, Metric, TreatMissingData,
};

const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/config.toml");

fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
    config::parse(text, Path::new("/etc/kinetop.toml"))
}

fn rules(text: &str) -> Vec<AlarmRule> {
    parse(text)
        .and_then(|f| f.alarm_rules(Path::new("/etc/kinetop.toml")))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The error for `text`, checked to name the file and the expected line.
fn error(text: &str, line: usize) -> String {
    let err = parse(text).expect_err("should be rejected");
    let shown = err.to_string();
    assert_eq!(err.line, Some(line), "{shown}");
    assert!(
        shown.starts_with(&format!("/etc/kinetop.toml:{line}: ")),
        "{shown}"
    );
    shown
}

const RULE: &str = r#"
[[alarm]]
name = "checkout-5xx"
application = "checkout"
metric = "error-rate-5xx"
comparison = ">"
threshold = 0.05
evaluation-periods = 3
"#;

#[test]
fn shipped_example_parses_and_its_rules_are_valid() {
    let text = std::fs::read_to_string(SHIPPED).unwrap();
    assert_eq!(text, config::EXAMPLE_CONFIG);
    let file = config::parse(&text, Path::new(SHIPPED)).unwrap_or_else(|e| panic!("{e}"));
    let rules = file.alarm_rules(Path::new(SHIPPED)).unwrap();
    let names: Vec<&str> = rules.iter().map(|r| r.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "5xx-errors",
            "traffic-flood",
            "search-slow-p99",
            "unknown-callers"
        ]
    );
    assert_eq!(config::default_alarm_rules(), rules);
    // No config file: the shipped rules; a config file without rules: none.
    assert_eq!(
        config::effective_alarm_rules(None, &ConfigFile::default()).unwrap(),
        rules
    );
    let empty = parse("window = \"1m\"\n").unwrap();
    assert!(
        config::effective_alarm_rules(Some(Path::new("k.toml")), &empty)
            .unwrap()
            .is_empty()
    );

    let five_xx = &rules[0];
    assert_eq!(five_xx.application, AppSelector::Each);
    assert_eq!(five_xx.metric, Metric::ErrorRate5xx);
    assert_eq!(
        (five_xx.datapoints_to_alarm, five_xx.evaluation_periods),
        (1, 1)
    );
    assert_eq!(rules[2].threshold, 1_000_000.0);
    assert_eq!(rules[2].application, AppSelector::One("search".into()));
    assert_eq!(rules[3].application, AppSelector::One("unknown".into()));
}

/// Every option documented as a commented-out `# key = value` line (before the alarm section) is
/// a real key with a valid value: uncommenting them all still parses.
#[test]
fn shipped_example_documents_real_options() {
    let example = config::EXAMPLE_CONFIG;
    let split = example.find("# Alarms:").expect("alarm section");
    let (options, alarms) = example.split_at(split);
    let mut uncommented = 0;
    let mut text = String::new();
    for line in options.lines() {
        let body = line.strip_prefix("# ").unwrap_or("");
        let key = body.split(" = ").next().unwrap_or("");
        if body.contains(" = ")
            && !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            uncommented += 1;
            text.push_str(body);
        } else {
            text.push_str(line);
        }
        text.push('\n');
    }
    assert_eq!(uncommented, 18, "every option of ConfigFile is documented");
    text.push_str(alarms);
    let file = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(file.window.as_deref(), Some("5m"));
    assert_eq!(file.format.as_deref(), Some("combined_D"));
    assert_eq!(file.top_k, Some(20));
    assert_eq!(file.no_bell, Some(false));
    assert!(file.s3_endpoint_url.is_some() && file.endpoint_url.is_some());
    assert_eq!(file.aws_connect_timeout.as_deref(), Some("3s"));
    assert_eq!(file.aws_operation_timeout.as_deref(), Some("10s"));
    assert!(file.metadata_refresh.is_some() && file.lateness.is_some());
    assert!(file.history.is_some() && file.region.is_some() && file.profile.is_some());
}

/// The action forms shown in the example's comments are valid.
#[test]
fn documented_action_forms_parse() {
    let text = format!(
        "{RULE}on-alarm = {{ command = [\"notify-send\", \"kinetop alarm\"] }}\n\
         on-ok = {{ append = \"/var/log/kinetop/alarms.jsonl\" }}\n\
         {}on-alarm = {{ command = \"logger -t kinetop\", timeout = \"5s\" }}\n",
        RULE.replace("checkout-5xx", "second")
    );
    let parsed = rules(&text);
    let on_alarm = parsed[0].on_alarm.as_ref().unwrap();
    assert_eq!(
        on_alarm.command,
        Some(ActionCommand::Argv(vec![
            "notify-send".into(),
            "kinetop alarm".into()
        ]))
    );
    assert_eq!(on_alarm.timeout, Duration::from_secs(10), "default timeout");
    assert_eq!(on_alarm.append, None);
    let on_ok = parsed[0].on_ok.as_ref().unwrap();
    assert_eq!(on_ok.command, None);
    assert_eq!(
        on_ok.append,
        Some(PathBuf::from("/var/log/kinetop/alarms.jsonl"))
    );
    let shell = parsed[1].on_alarm.as_ref().unwrap();
    assert_eq!(
        shell.command,
        Some(ActionCommand::Shell("logger -t kinetop".into()))
    );
    assert_eq!(shell.timeout, Duration::from_secs(5));

    // The sub-table form works too, with both a command and a file.
    let text = format!(
        "{RULE}[alarm.on-alarm]\ncommand = [\"pager\"]\nappend = \"/tmp/a.jsonl\"\ntimeout = \"1m\"\n"
    );
    let action = rules(&text)[0].on_alarm.clone().unwrap();
    assert_eq!(
        action.command,
        Some(ActionCommand::Argv(vec!["pager".into()]))
    );
    assert_eq!(action.append, Some(PathBuf::from("/tmp/a.jsonl")));
    assert_eq!(action.timeout, Duration::from_secs(60));
}

#[test]
fn defaults_and_every_value() {
    let r = &rules(RULE)[0];
    assert_eq!(r.datapoints_to_alarm, 3, "M defaults to N");
    assert_eq!(r.treat_missing_data, TreatMissingData::Missing);
    assert_eq!(r.comparison, Comparison::Greater);
    assert!(r.on_alarm.is_none() && r.on_ok.is_none());

    for metric in Metric::ALL {
        let text = RULE.replace("error-rate-5xx", metric.as_str());
        assert_eq!(rules(&text)[0].metric, metric);
    }
    for (text, cmp) in [
        (">", Comparison::Greater),
        (">=", Comparison::GreaterOrEqual),
        ("<", Comparison::Less),
        ("<=", Comparison::LessOrEqual),
    ] {
        let text = RULE.replace("\">\"", &format!("{text:?}"));
        assert_eq!(rules(&text)[0].comparison, cmp);
    }
    for (text, treat) in [
        ("missing", TreatMissingData::Missing),
        ("breaching", TreatMissingData::Breaching),
        ("not-breaching", TreatMissingData::NotBreaching),
        ("ignore", TreatMissingData::Ignore),
    ] {
        let text = format!("{RULE}treat-missing-data = {text:?}\n");
        assert_eq!(rules(&text)[0].treat_missing_data, treat);
    }
    // Integer thresholds (with underscores) are numbers too; "*" and "unknown" are selectors.
    let text = RULE
        .replace("0.05", "1_000_000")
        .replace("\"checkout\"", "\"*\"");
    let r = &rules(&text)[0];
    assert_eq!(r.threshold, 1_000_000.0);
    assert_eq!(r.application, AppSelector::Each);
    let text = RULE.replace("\"checkout\"", "\"unknown\"");
    assert_eq!(
        rules(&text)[0].application,
        AppSelector::One("unknown".into())
    );
}

// Line numbers below: RULE starts with an empty line, so `[[alarm]]` is line 2, `name` 3,
// `application` 4, `metric` 5, `comparison` 6, `threshold` 7, `evaluation-periods` 8, and a key
// appended after it is line 9.

#[test]
fn unknown_metric_names_the_rule_and_line() {
    let e = error(&RULE.replace("error-rate-5xx", "error-rate"), 5);
    assert!(
        e.contains(r#"[[alarm]] #1 "checkout-5xx": unknown metric "error-rate""#),
        "{e}"
    );
    assert!(e.contains("p99-latency-us"), "lists the metrics: {e}");
}

#[test]
fn m_larger_than_n() {
    let e = error(&format!("{RULE}datapoints-to-alarm = 4\n"), 9);
    assert!(e.contains(r#"#1 "checkout-5xx""#), "{e}");
    assert!(
        e.contains("datapoints-to-alarm (4) is larger than evaluation-periods (3)"),
        "{e}"
    );
}

#[test]
fn m_or_n_zero_or_negative() {
    let e = error(&format!("{RULE}datapoints-to-alarm = 0\n"), 9);
    assert!(e.contains("datapoints-to-alarm must be at least 1"), "{e}");
    let e = error(
        &RULE.replace("evaluation-periods = 3", "evaluation-periods = 0"),
        8,
    );
    assert!(
        e.contains("evaluation-periods must be between 1 and 1000, not 0"),
        "{e}"
    );
    let e = error(
        &RULE.replace("evaluation-periods = 3", "evaluation-periods = -2"),
        8,
    );
    assert!(e.contains("not -2"), "{e}");
    let e = error(
        &RULE.replace("evaluation-periods = 3", "evaluation-periods = 100000"),
        8,
    );
    assert!(e.contains("not 100000"), "{e}");
}

#[test]
fn duplicate_names_name_both_rules() {
    let text = format!("{RULE}{RULE}");
    // The second rule's name is on line 3 + 8.
    let e = error(&text, 11);
    assert!(
        e.contains(
            r#"[[alarm]] #2 "checkout-5xx": duplicate name: [[alarm]] #1 (line 3) has it too"#
        ),
        "{e}"
    );
}

#[test]
fn empty_name() {
    let e = error(&RULE.replace("\"checkout-5xx\"", "\"  \""), 3);
    assert!(
        e.contains("[[alarm]] #1") && e.contains("name is empty"),
        "{e}"
    );
    let e = error(&RULE.replace("\"checkout-5xx\"", "\"a\\u001b[31m\""), 3);
    assert!(e.contains("control characters"), "{e}");
}

#[test]
fn non_finite_threshold() {
    for bad in ["inf", "-inf", "nan"] {
        let e = error(&RULE.replace("0.05", bad), 7);
        assert!(
            e.contains("threshold must be a finite number"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn other_bad_values_name_the_rule() {
    let second = RULE.replace("checkout-5xx", "second");
    let at = |line: usize| line + 8; // in the second rule
    let e = error(
        &format!("{RULE}{}", second.replace("\">\"", "\"=>\"")),
        at(6),
    );
    assert!(
        e.contains(r#"[[alarm]] #2 "second": unknown comparison "=>""#),
        "{e}"
    );
    let e = error(&format!("{RULE}treat-missing-data = \"notBreaching\"\n"), 9);
    assert!(
        e.contains(r#"unknown treat-missing-data "notBreaching""#),
        "{e}"
    );
    let e = error(&RULE.replace("\"checkout\"", "\"\""), 4);
    assert!(e.contains("application must be"), "{e}");
}

#[test]
fn bad_actions() {
    let cases = [
        (
            "on-alarm = {}",
            "on-alarm: an action needs a command and/or an append file",
        ),
        ("on-ok = { command = [] }", "on-ok: command needs a program"),
        ("on-ok = { command = \" \" }", "on-ok: command is empty"),
        (
            "on-alarm = { command = \"x\", timeout = \"soon\" }",
            "on-alarm: timeout: bad duration",
        ),
        (
            "on-alarm = { command = \"x\", timeout = \"0s\" }",
            "on-alarm: timeout: \"0s\" is out of range: 10ms to 1h",
        ),
        (
            "on-alarm = { append = \"/tmp/a\", timeout = \"5s\" }",
            "timeout is only for a command",
        ),
        ("on-alarm = { append = \"\" }", "append path is empty"),
    ];
    for (action, expected) in cases {
        let e = error(&format!("{RULE}{action}\n"), 9);
        assert!(e.contains(r#"[[alarm]] #1 "checkout-5xx": "#), "{e}");
        assert!(e.contains(expected), "{action}: {e}");
    }
    // Wrong types and unknown keys are rejected by the parser, with the line.
    let e = error(&format!("{RULE}on-alarm = {{ command = 5 }}\n"), 9);
    assert!(
        e.contains("a string (run with sh -c) or an array of strings"),
        "{e}"
    );
    let e = error(&format!("{RULE}on-alarm = {{ run = \"x\" }}\n"), 9);
    assert!(e.contains("unknown field `run`"), "{e}");
}

#[test]
fn unknown_and_missing_keys() {
    let e = error(&format!("{RULE}datapoints = 2\n"), 9);
    assert!(e.contains("unknown field `datapoints`"), "{e}");
    let e = error(&RULE.replace("metric = \"error-rate-5xx\"\n", ""), 2);
    assert!(e.contains("missing field `metric`"), "{e}");
}

const BAND_RULE: &str = r#"
[[alarm]]
name = "checkout-anomaly"
application = "checkout"
metric = "requests"
comparison = "outside-band"
evaluation-periods = 3
"#;

#[test]
fn band_rules_default_to_two_deviations_over_twelve_windows() {
    use kinetop::core::alarms::BandRule;
    let r = &rules(BAND_RULE)[0];
    assert_eq!(r.comparison, Comparison::OutsideBand);
    assert_eq!(
        r.band,
        Some(BandRule {
            width: 2.0,
            windows: 12
        })
    );
    assert_eq!(
        r.threshold, 2.0,
        "the alarm line's threshold is the band's width"
    );
    for (text, cmp) in [
        ("above-band", Comparison::AboveBand),
        ("below-band", Comparison::BelowBand),
    ] {
        let text = BAND_RULE.replace("outside-band", text);
        assert_eq!(rules(&text)[0].comparison, cmp);
    }
    let text =
        format!("{BAND_RULE}band = 3\nband-windows = 24\ntreat-missing-data = \"breaching\"\n");
    let r = &rules(&text)[0];
    assert_eq!(
        r.band,
        Some(BandRule {
            width: 3.0,
            windows: 24
        })
    );
    assert_eq!(r.treat_missing_data, TreatMissingData::Breaching);
    let r = &rules(&format!("{BAND_RULE}band = 1.5\n"))[0];
    assert_eq!(r.band.unwrap().width, 1.5);
}

// BAND_RULE: `[[alarm]]` line 2 … `comparison` 6, `evaluation-periods` 7, appended keys 8 on.
#[test]
fn band_keys_are_checked_where_they_are_written() {
    let e = error(&format!("{BAND_RULE}threshold = 10\n"), 8);
    assert!(
        e.contains(
            r#"[[alarm]] #1 "checkout-anomaly": comparison "outside-band" takes no threshold"#
        ),
        "{e}"
    );
    for (bad, shown) in [
        ("0", "not 0"),
        ("-1", "not -1"),
        ("101", "not 101"),
        ("nan", "not NaN"),
    ] {
        let e = error(&format!("{BAND_RULE}band = {bad}\n"), 8);
        assert!(
            e.contains("band must be a number of standard deviations"),
            "{e}"
        );
        assert!(e.contains(shown), "{bad}: {e}");
    }
    for bad in ["2", "1001", "-3"] {
        let e = error(&format!("{BAND_RULE}band-windows = {bad}\n"), 8);
        assert!(
            e.contains(&format!(
                "band-windows must be between 3 and 1000, not {bad}"
            )),
            "{e}"
        );
    }
    // A threshold rule has no band; a band rule no threshold; a threshold rule needs one.
    let e = error(&format!("{RULE}band = 2\n"), 9);
    assert!(e.contains(r#"band is for the band comparisons"#), "{e}");
    let e = error(&format!("{RULE}band-windows = 12\n"), 9);
    assert!(
        e.contains(r#"band-windows is for the band comparisons"#),
        "{e}"
    );
    let e = error(&RULE.replace("threshold = 0.05\n", ""), 6);
    assert!(e.contains(r#"comparison ">" needs a threshold"#), "{e}");
}

/// The band rule shown (commented out) in the shipped example is valid as written.
#[test]
fn documented_band_rule_parses() {
    let example = config::EXAMPLE_CONFIG;
    let start = example
        .find("# name = \"checkout-traffic-anomaly\"")
        .expect("the band example");
    let block: String = example[..start]
        .lines()
        .last()
        .into_iter()
        .chain(example[start..].lines().take_while(|l| *l != "#"))
        .map(|l| l.strip_prefix("# ").unwrap_or(l).to_string() + "\n")
        .collect();
    let r = &rules(&block)[0];
    assert_eq!(r.comparison, Comparison::OutsideBand);
    assert_eq!(r.band.map(|b| (b.width, b.windows)), Some((2.0, 12)));
    assert_eq!((r.datapoints_to_alarm, r.evaluation_periods), (2, 3));
}
