//! Recent raw requests (`r`): a table, newest first, and the selected request in full below.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::ui::app::model::{RecentView, Tone};
use crate::ui::app::state::UiState;

use super::columns::{fitted_table, Col, FittedList};
use super::widgets::{message, panel, table_rows};
use super::Theme;

/// The request line gives way (it is in full below); the caller goes first when narrow (the line
/// holds it too).
const COLS: [Col; 5] = [
    Col::text("time", 0),
    Col::text("caller", 2),
    Col::number("status", 0),
    Col::number("latency", 1),
    Col::name("request", 16),
];

fn split(body: Rect) -> [Rect; 2] {
    Layout::vertical([Constraint::Min(4), Constraint::Length(5)]).areas(body)
}

/// The request rows (for mouse clicks).
pub fn rows_area(body: Rect) -> Rect {
    let [list, _] = split(body);
    table_rows(list)
}

pub fn draw(frame: &mut Frame, body: Rect, r: &RecentView, ui: &UiState, theme: &Theme) {
    let [list, full] = split(body);
    let block = panel(format!(" {} ", r.title), true, theme);
    let selected = ui.top().selected;
    if let Some(empty) = &r.empty {
        let inner = block.inner(list);
        frame.render_widget(block, list);
        message(frame, inner, empty, theme);
    } else {
        let row_style = |_: usize| Style::new();
        fitted_table(
            frame,
            block,
            list,
            FittedList {
                cols: &COLS,
                titles: Vec::new(),
                len: r.rows.len(),
                selected: Some(selected),
                row_style: &row_style,
            },
            theme,
            |i| {
                let row = &r.rows[i];
                let status_style = if row.server_error {
                    theme.tone(Tone::Bad)
                } else {
                    Style::new()
                };
                row.cells()
                    .into_iter()
                    .enumerate()
                    .map(|(c, text)| (text, if c == 2 { status_style } else { Style::new() }))
                    .collect()
            },
        );
    }
    let text = r
        .rows
        .get(selected)
        .map(|row| row.line.as_str())
        .unwrap_or("");
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(panel(
            " Selected request ",
            false,
            theme,
        )),
        full,
    );
}
