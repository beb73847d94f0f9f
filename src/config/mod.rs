//! Configuration: the TOML file as written (`file`), its `[[alarm]]` rules (`alarms`), and both
//! merged with the command line into typed [`Settings`] (`settings`).

mod alarms;
pub mod duration;
mod file;
mod settings;
pub mod when;

pub use alarms::{
    default_alarm_rules, effective_alarm_rules, ActionConfig, AlarmRuleConfig, CommandConfig,
    MAX_EVALUATION_PERIODS,
};
pub use file::{
    default_config_path, line_of, load, parse, ConfigError, ConfigFile, EXAMPLE_CONFIG,
};
pub use settings::{Settings, SettingsError};

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::cli::Cli;
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
    fn aws_timeouts_default_and_come_from_the_file() {
        let cli = Cli::try_parse_from(["kinetop"]).unwrap();
        let s = Settings::resolve(&cli, &ConfigFile::default(), None).unwrap();
        assert_eq!(s.aws.timeouts.connect, Duration::from_secs(3));
        assert_eq!(s.aws.timeouts.operation, Duration::from_secs(10));
        assert_eq!(
            s.aws.timeouts.subscription_silence(),
            Duration::from_secs(30)
        );
        let path = Path::new("k.toml");
        let text = "aws-connect-timeout = \"500ms\"\naws-operation-timeout = \"1m\"\n";
        let s = Settings::resolve(&cli, &parse(text, path).unwrap(), Some(path)).unwrap();
        assert_eq!(s.aws.timeouts.connect, Duration::from_millis(500));
        assert_eq!(s.aws.timeouts.operation, Duration::from_secs(60));
        for (text, line) in [
            ("aws-connect-timeout = \"0s\"\n", 1),
            ("\naws-operation-timeout = \"soon\"\n", 2),
        ] {
            let err = Settings::resolve(&cli, &parse(text, path).unwrap(), Some(path))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&format!("k.toml:{line}: aws-")), "{err}");
        }
    }

    #[test]
    fn export_dir_must_be_a_directory_and_a_bad_one_names_its_line() {
        let cli = Cli::try_parse_from(["kinetop"]).unwrap();
        let path = Path::new("k.toml");
        let dir = std::env::temp_dir();
        let text = format!("export-dir = {:?}\n", dir.display().to_string());
        let s = Settings::resolve(&cli, &parse(&text, path).unwrap(), Some(path)).unwrap();
        assert_eq!(s.export_dir, Some(dir.clone()));
        let missing = dir.join("kinetop-no-such-dir-for-exports");
        let text = format!("\nexport-dir = {:?}\n", missing.display().to_string());
        let err = Settings::resolve(&cli, &parse(&text, path).unwrap(), Some(path))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("k.toml:2: export-dir: "), "{err}");
        assert!(err.ends_with("is not a directory"), "{err}");
    }

    #[test]
    fn bad_duration_in_file_is_an_error() {
        let cli = Cli::try_parse_from(["kinetop"]).unwrap();
        let file = parse("lateness = \"soon\"\n", Path::new("k.toml")).unwrap();
        let err = Settings::resolve(&cli, &file, Some(Path::new("k.toml"))).unwrap_err();
        assert!(err.to_string().contains("lateness"), "{err}");
    }

    #[test]
    fn a_bad_value_names_its_flag_or_its_line_in_the_file() {
        let path = Path::new("/etc/k.toml");
        let file = parse("# formats\n\nformat = \"%h %Q\"\n", path).unwrap();
        let from_file = Settings::resolve(
            &Cli::try_parse_from(["kinetop"]).unwrap(),
            &file,
            Some(path),
        )
        .unwrap_err()
        .to_string();
        assert!(
            from_file.starts_with("/etc/k.toml:3: format: "),
            "{from_file}"
        );
        let cli = Cli::try_parse_from(["kinetop", "--format", "%h %Q"]).unwrap();
        let from_flag = Settings::resolve(&cli, &file, Some(path))
            .unwrap_err()
            .to_string();
        assert!(
            from_flag.starts_with("--format: bad log format"),
            "{from_flag}"
        );
        let cli = Cli::try_parse_from(["kinetop", "--from", "yesterday"]).unwrap();
        let from = Settings::resolve(&cli, &ConfigFile::default(), None)
            .unwrap_err()
            .to_string();
        assert!(from.starts_with("--from: "), "{from}");
    }

    #[test]
    fn since_and_until_are_resolved_once_and_the_stream_starts_at_since() {
        use crate::source::kinesis::StartFrom;
        let resolve = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).unwrap();
            Settings::resolve(&cli, &ConfigFile::default(), None)
        };
        let before = crate::clock::now_ms();
        let s = resolve(&["kinetop", "--since", "-2h", "--until", "1h ago"]).unwrap();
        let after = crate::clock::now_ms();
        let since = s.range.since_ms.unwrap();
        assert!((before - 7_200_000..=after - 7_200_000).contains(&since));
        assert_eq!(s.range.until_ms, Some(since + 3_600_000));
        assert_eq!(
            s.from,
            StartFrom::Time(since),
            "--since is where the stream starts"
        );

        let s = resolve(&["kinetop", "--since", "-2h", "--from", "latest"]).unwrap();
        assert_eq!(s.from, StartFrom::Latest, "--from wins");
        let s = resolve(&["kinetop", "--from", "-1h"]).unwrap();
        assert!(matches!(s.from, StartFrom::Time(ms) if ms <= crate::clock::now_ms() - 3_600_000));
        assert!(s.range.is_unbounded());
        let s = resolve(&["kinetop", "--since", "2999-01-01"]).unwrap();
        assert!(
            matches!(s.from, StartFrom::Time(ms) if ms <= crate::clock::now_ms()),
            "a future --since starts the stream at now"
        );

        let err = resolve(&["kinetop", "--since", "-1h", "--until", "-2h"])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--until: ") && err.contains("not after --since"),
            "{err}"
        );
        let err = resolve(&["kinetop", "--from", "+1h"])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--from: "), "{err}");
    }

    #[test]
    fn publish_and_shard_group_are_checked_by_flag() {
        let resolve = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).unwrap();
            Settings::resolve(&cli, &ConfigFile::default(), None)
        };
        let s = resolve(&[
            "kinetop",
            "--kinesis",
            "raw",
            "--shard-group",
            "1/3",
            "--publish",
            "kinesis:aggs",
            "--headless",
        ])
        .unwrap();
        assert_eq!(s.shard_group.map(|g| (g.index, g.count)), Some((1, 3)));
        assert_eq!(
            s.publish,
            Some(crate::output::publish::PublishTarget::Kinesis(
                "aggs".into()
            ))
        );
        for (args, flag) in [
            (&["kinetop", "--shard-group", "0/2"][..], "--shard-group: "),
            (
                &["kinetop", "--kinesis", "raw", "--shard-group", "2/2"],
                "--shard-group: ",
            ),
            (&["kinetop", "--publish", "-"], "--publish: "),
            (
                &["kinetop", "--publish", "s3://x", "--headless"],
                "--publish: ",
            ),
        ] {
            let err = resolve(args).unwrap_err().to_string();
            assert!(err.starts_with(flag), "{args:?}: {err}");
        }
    }
}
