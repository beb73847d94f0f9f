//! The inputs view model: every part of the source (a Kinesis shard, a file) with its state,
//! lag, records and its own problem, for when the status bar says "+2 more shards with problems".

use super::widgets::safe;
use super::Tone;
use crate::pipeline::snapshot::{PartStatus, SourceStatus};
use crate::ui::app::format;

/// Lag above this is shown as a warning, as in the status bar.
const LAG_WARNING_MS: u64 = 60_000;

#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    /// part, state, lag, records, problem.
    pub cells: [String; 5],
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

pub fn sources_view(source: &SourceStatus) -> SourcesView {
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
    let mut rows: Vec<SourceRow> = source.details.iter().map(row).collect();
    // Trouble first, then by name (shard ids sort in creation order).
    rows.sort_by_key(|r| r.tone != Tone::Bad);
    SourcesView {
        summary,
        problem: source.problem.as_deref().map(safe),
        rows,
    }
}

fn row(part: &PartStatus) -> SourceRow {
    let lagging = part.lag_ms.is_some_and(|lag| lag > LAG_WARNING_MS);
    let tone = if part.problem.is_some() {
        Tone::Bad
    } else if lagging {
        Tone::Warn
    } else if part.state == "finished" {
        Tone::Dim
    } else {
        Tone::Normal
    };
    SourceRow {
        cells: [
            safe(&part.name),
            safe(&part.state),
            part.lag_ms
                .map(format::lag_ms)
                .unwrap_or_else(|| "–".into()),
            format::grouped(part.records),
            part.problem.as_deref().map(safe).unwrap_or_default(),
        ],
        tone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &str, state: &str, lag: Option<u64>, problem: Option<&str>) -> PartStatus {
        PartStatus {
            name: name.into(),
            state: state.into(),
            lag_ms: lag,
            records: 1_234,
            problem: problem.map(str::to_string),
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
                part("shardId-0", "caught up", Some(0), None),
                part("shardId-1", "finished", None, None),
                part(
                    "shardId-2",
                    "backing off",
                    Some(90_000),
                    Some("throttled\x1b[2J"),
                ),
                part("shardId-3", "polling", Some(120_000), None),
            ],
        };
        let view = sources_view(&source);
        let names: Vec<&str> = view.rows.iter().map(|r| r.cells[0].as_str()).collect();
        assert_eq!(names, ["shardId-2", "shardId-0", "shardId-1", "shardId-3"]);
        let tones: Vec<Tone> = view.rows.iter().map(|r| r.tone).collect();
        assert_eq!(tones, [Tone::Bad, Tone::Normal, Tone::Dim, Tone::Warn]);
        assert!(
            !view.rows[0].cells[4].contains('\x1b'),
            "{:?}",
            view.rows[0]
        );
        assert_eq!(view.rows[2].cells[2], "–");
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
