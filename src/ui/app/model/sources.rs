//! The inputs view model: every part of the source (a Kinesis shard, a file) with its state and
//! for how long, its lag (time behind a stream's tip, bytes behind a file's end), what it has
//! read and its own problem, for when the status bar says "+2 more shards with problems".

use super::widgets::safe;
use super::Tone;
use crate::pipeline::snapshot::{PartStatus, SourceStatus};
use crate::ui::app::format;

/// Lag above this is shown as a warning, as in the status bar.
const LAG_WARNING_MS: u64 = 60_000;

#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    /// input, state, for (how long in that state), behind, read (bytes), records (shards) or
    /// lines (files), problem.
    pub cells: [String; 7],
    pub tone: Tone,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourcesView {
    pub summary: Vec<(String, String)>,
    /// The source's own line (the status bar's).
    pub problem: Option<String>,
    /// Parts with a problem first.
    pub rows: Vec<SourceRow>,
}

/// Longest input name shown: paths are shortened from the left, the file name stays.
const MAX_NAME: usize = 48;

pub fn sources_view(source: &SourceStatus, now_ms: i64) -> SourcesView {
    let mut summary = vec![
        ("source".to_string(), safe(&source.name)),
        ("open parts".to_string(), source.parts.to_string()),
        (
            "records/s".to_string(),
            format::rate(source.records_per_sec),
        ),
    ];
    if let Some(lag) = source.lag_ms {
        summary.push(("lag".into(), format::lag_ms(lag)));
    }
    let mut rows: Vec<SourceRow> = source.details.iter().map(|p| row(p, now_ms)).collect();
    // Trouble first, then by name (shard ids sort in creation order).
    rows.sort_by_key(|r| r.tone != Tone::Bad);
    SourcesView {
        summary,
        problem: source.problem.as_deref().map(safe),
        rows,
    }
}

fn row(part: &PartStatus, now_ms: i64) -> SourceRow {
    let lagging = part.lag_ms.is_some_and(|lag| lag > LAG_WARNING_MS);
    let done = part.state.is_done();
    let tone = if part.problem.is_some() {
        Tone::Bad
    } else if lagging {
        Tone::Warn
    } else if done {
        Tone::Dim
    } else {
        Tone::Normal
    };
    let behind = match (part.lag_ms, part.bytes_behind) {
        (Some(lag), _) => format::lag_ms(lag),
        (None, Some(bytes)) => format::bytes(bytes),
        (None, None) => "–".into(),
    };
    SourceRow {
        cells: [
            shorten_left(&safe(&part.name), MAX_NAME),
            part.state.as_str().to_string(),
            part.state_since_ms
                .map(|since| format::age((now_ms - since).max(0) / 1000))
                .unwrap_or_else(|| "–".into()),
            behind,
            part.bytes_read
                .map(format::bytes)
                .unwrap_or_else(|| "–".into()),
            format::grouped(part.records),
            part.problem.as_deref().map(safe).unwrap_or_default(),
        ],
        tone,
    }
}

/// `text` in at most `max` characters, shortened from the left (`…/apache2/access.log`).
pub fn shorten_left(text: &str, max: usize) -> String {
    let len = text.chars().count();
    if len <= max {
        return text.to_string();
    }
    let mut out = String::from("…");
    out.extend(text.chars().skip(len - max.saturating_sub(1)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::status::PartState;

    fn part(name: &str, state: PartState, lag: Option<u64>, problem: Option<&str>) -> PartStatus {
        PartStatus {
            name: name.into(),
            state,
            lag_ms: lag,
            records: 1_234,
            problem: problem.map(str::to_string),
            ..PartStatus::default()
        }
    }

    #[test]
    fn parts_in_trouble_come_first_and_untrusted_text_is_escaped() {
        let source = SourceStatus {
            name: "kinesis:web-logs".into(),
            parts: 3,
            lag_ms: Some(90_000),
            records_per_sec: 1_500.0,
            problem: Some("throttled on shardId-2 (+1 more shards with problems)".into()),
            details: vec![
                part("shardId-0", PartState::CaughtUp, Some(0), None),
                part("shardId-1", PartState::Finished, None, None),
                part(
                    "shardId-2",
                    PartState::BackingOff,
                    Some(90_000),
                    Some("throttled\x1b[2J"),
                ),
                part("shardId-3", PartState::Polling, Some(120_000), None),
            ],
        };
        let view = sources_view(&source, 0);
        let names: Vec<&str> = view.rows.iter().map(|r| r.cells[0].as_str()).collect();
        assert_eq!(names, ["shardId-2", "shardId-0", "shardId-1", "shardId-3"]);
        let tones: Vec<Tone> = view.rows.iter().map(|r| r.tone).collect();
        assert_eq!(tones, [Tone::Bad, Tone::Normal, Tone::Dim, Tone::Warn]);
        assert!(
            !view.rows[0].cells[6].contains('\x1b'),
            "{:?}",
            view.rows[0]
        );
        assert_eq!(view.rows[2].cells[3], "–");
        assert!(view
            .summary
            .contains(&("open parts".to_string(), "3".to_string())));
        assert!(view
            .problem
            .as_deref()
            .unwrap()
            .starts_with("throttled on shardId-2"));
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;
    use crate::source::status::PartState;

    #[test]
    fn a_file_shows_bytes_read_lines_and_bytes_behind_its_end() {
        let source = SourceStatus {
            name: "/var/log/apache2/a-rather-long-directory-name/for-this/access.log".into(),
            parts: 1,
            details: vec![PartStatus {
                name: "/var/log/apache2/a-rather-long-directory-name/for-this/access.log".into(),
                state: PartState::Reading,
                records: 120_000,
                state_since_ms: Some(10_000),
                bytes_read: Some(30 * 1024 * 1024),
                bytes_behind: Some(5 * 1024 * 1024),
                ..PartStatus::default()
            }],
            ..SourceStatus::default()
        };
        let view = sources_view(&source, 75_000);
        let cells = &view.rows[0].cells;
        assert!(cells[0].starts_with('…') && cells[0].ends_with("for-this/access.log"));
        assert_eq!(cells[0].chars().count(), MAX_NAME);
        assert_eq!(
            &cells[1..6],
            ["reading", "65s", "5.0 MiB", "30.0 MiB", "120,000"]
        );
    }
}
