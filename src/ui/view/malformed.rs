//! Malformed lines: counters and the recent samples (already escaped), the selected one in full.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Wrap};
use ratatui::Frame;

use crate::ui::app::model::{MalformedView, Tone};
use crate::ui::app::state::UiState;

use super::widgets::{key_values, message, panel, scrolled_table, table_rows, List};
use super::Theme;

fn split(body: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(4),
        Constraint::Length(6),
    ])
    .areas(body)
}

/// The sample rows (for mouse clicks).
pub fn rows_area(body: Rect) -> Rect {
    let [_, list, _] = split(body);
    table_rows(list)
}

pub fn draw(frame: &mut Frame, body: Rect, m: &MalformedView, ui: &UiState, theme: &Theme) {
    let [summary, list, full] = split(body);
    frame.render_widget(
        Paragraph::new(key_values(&m.summary, theme)).block(panel(
            " Malformed lines ",
            false,
            theme,
        )),
        summary,
    );
    let block = panel(
        " Recent samples, newest first (shown escaped) ",
        true,
        theme,
    );
    let selected = ui.top().selected;
    if m.rows.is_empty() {
        let inner = block.inner(list);
        frame.render_widget(block, list);
        message(
            frame,
            inner,
            "No malformed lines. Every line parsed.",
            theme,
        );
    } else {
        let headers = ["origin", "reason", "line"]
            .into_iter()
            .map(Line::from)
            .collect();
        let widths = [
            Constraint::Length(20),
            Constraint::Length(18),
            Constraint::Min(20),
        ];
        scrolled_table(
            frame,
            block,
            list,
            List {
                headers,
                widths: &widths,
                len: m.rows.len(),
                selected: Some(selected),
            },
            theme,
            |i| {
                let r = &m.rows[i];
                Row::new(vec![
                    Cell::from(r.origin.clone()),
                    Cell::from(Span::styled(r.reason.clone(), theme.tone(Tone::Warn))),
                    Cell::from(r.text.clone()),
                ])
            },
        );
    }
    let text = m.rows.get(selected).map(|r| r.text.as_str()).unwrap_or("");
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(panel(
            " Selected sample ",
            false,
            theme,
        )),
        full,
    );
}
