//! The inputs view: the source's summary and problem, then one row per shard or file.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Wrap};
use ratatui::Frame;

use crate::ui::app::model::{SourcesView, Tone};
use crate::ui::app::state::UiState;

use super::widgets::{key_values, message, panel, scrolled_table, table_rows, List};
use super::Theme;

fn split(body: Rect) -> [Rect; 2] {
    Layout::vertical([Constraint::Length(4), Constraint::Min(4)]).areas(body)
}

/// The part rows (for mouse clicks).
pub fn rows_area(body: Rect) -> Rect {
    let [_, list] = split(body);
    table_rows(list)
}

pub fn draw(frame: &mut Frame, body: Rect, s: &SourcesView, ui: &UiState, theme: &Theme) {
    let [summary, list] = split(body);
    let problem = match &s.problem {
        Some(p) => Line::from(Span::styled(format!("⚠ {p}"), theme.tone(Tone::Bad))),
        None => Line::from(Span::styled("no problems", theme.tone(Tone::Good))),
    };
    frame.render_widget(
        Paragraph::new(vec![key_values(&s.summary, theme), problem])
            .wrap(Wrap { trim: true })
            .block(panel(" Inputs ", false, theme)),
        summary,
    );
    let block = panel(" Shards and files ", true, theme);
    if s.rows.is_empty() {
        let inner = block.inner(list);
        frame.render_widget(block, list);
        message(frame, inner, "This source has no separate parts.", theme);
        return;
    }
    let headers = ["part", "state", "lag", "records", "problem"]
        .into_iter()
        .map(Line::from)
        .collect();
    let widths = [
        Constraint::Length(28),
        Constraint::Length(12),
        Constraint::Length(8),
        Constraint::Length(12),
        Constraint::Min(20),
    ];
    scrolled_table(
        frame,
        block,
        list,
        List {
            headers,
            widths: &widths,
            len: s.rows.len(),
            selected: Some(ui.top().selected),
        },
        theme,
        |i| {
            let r = &s.rows[i];
            let style = theme.tone(r.tone);
            Row::new(r.cells.iter().map(|c| Cell::from(c.clone()))).style(style)
        },
    );
}
