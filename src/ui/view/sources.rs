//! The inputs view: the source's summary and problem, then one row per shard or file.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::ui::app::model::{SourcesView, Tone};
use crate::ui::app::state::UiState;

use super::columns::{fitted_table, Col, FittedList};
use super::widgets::{key_values, message, panel, table_rows};
use super::Theme;

/// input, state, for, behind, read, records/lines, problem: when narrow, what was read goes
/// first, then how long; the problem is shortened last, with `…`.
const COLS: [Col; 7] = [
    Col::path("input", 16),
    Col::text("state", 0),
    Col::number("for", 3),
    Col::number("behind", 2),
    Col::number("read", 4),
    Col::number("records/lines", 1),
    Col::name("problem", 12),
];

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
    let block = panel(
        " Shards and files · behind: time (streams) or bytes (files) ",
        true,
        theme,
    );
    if s.rows.is_empty() {
        let inner = block.inner(list);
        frame.render_widget(block, list);
        message(frame, inner, "This source has no separate parts.", theme);
        return;
    }
    let row_style = |i: usize| theme.tone(s.rows[i].tone);
    fitted_table(
        frame,
        block,
        list,
        FittedList {
            cols: &COLS,
            titles: Vec::new(),
            len: s.rows.len(),
            selected: Some(ui.top().selected),
            row_style: &row_style,
        },
        theme,
        |i| {
            s.rows[i]
                .cells
                .iter()
                .map(|c| (c.clone(), Style::new()))
                .collect()
        },
    );
}
