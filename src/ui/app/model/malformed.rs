//! The malformed view's model: line counters and the recent samples, newest first.

use crate::output::sanitize::for_display;
use crate::pipeline::snapshot::Snapshot;
use crate::ui::app::format;

use super::sources::shorten_left;
use super::widgets::{safe, MAX_TEXT};

#[derive(Debug, Clone, PartialEq)]
pub struct MalformedRow {
    pub origin: String,
    pub reason: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MalformedView {
    pub summary: Vec<(String, String)>,
    /// Newest first.
    pub rows: Vec<MalformedRow>,
}

pub fn malformed(snapshot: &Snapshot) -> MalformedView {
    let c = &snapshot.counters;
    let share = if c.lines == 0 {
        0.0
    } else {
        c.malformed as f64 / c.lines as f64
    };
    let mut summary = vec![
        ("lines".into(), format::grouped(c.lines)),
        ("parsed".into(), format::grouped(c.parsed)),
        (
            "malformed".into(),
            format!(
                "{} ({})",
                format::grouped(c.malformed),
                format::percent(share)
            ),
        ),
        ("bad records".into(), format::grouped(c.bad_records)),
        ("late".into(), format::grouped(c.late)),
    ];
    // Counters that are usually 0 appear once they are not, so a line that went nowhere is always
    // accounted for on this screen (the summary line headless has them all).
    for (name, n) in [
        ("future", c.future),
        ("trailing", c.trailing),
        ("closed early", c.closed_early),
        ("before --since", c.before_since),
        ("after --until", c.after_until),
    ] {
        if n > 0 {
            summary.push((name.into(), format::grouped(n)));
        }
    }
    MalformedView {
        summary,
        // Samples are already escaped by the pipeline; escaping again is harmless and keeps the
        // guarantee local.
        rows: snapshot
            .malformed
            .iter()
            .rev()
            .map(|m| MalformedRow {
                // The line number at the end says where; a long path gives way from the left.
                origin: shorten_left(&safe(&m.origin), MAX_TEXT),
                reason: safe(&m.reason),
                text: for_display(&m.text, 4 * MAX_TEXT).into_owned(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::app::fixtures;

    #[test]
    fn rare_counters_appear_once_they_are_not_zero() {
        let mut snapshot = fixtures::snapshot();
        let names = |s: &Snapshot| -> Vec<String> {
            malformed(s).summary.into_iter().map(|(k, _)| k).collect()
        };
        assert!(!names(&snapshot).contains(&"future".to_string()));
        snapshot.counters.future = 1;
        snapshot.counters.trailing = 1_234;
        let view = malformed(&snapshot);
        assert!(view.summary.contains(&("future".into(), "1".into())));
        assert!(view.summary.contains(&("trailing".into(), "1,234".into())));
    }
}
