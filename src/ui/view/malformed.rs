//! Malformed lines: counters and the recent samples (already escaped), the selected one in full.

use ratatui::layout::{Constraint, Layout, Rect};

use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::ui::app::model::{MalformedView, Tone};
use crate::ui::app::state::UiState;

use super::columns::{fitted_table, Col, FittedList};
use super::widgets::{key_values, message, panel, table_rows};
use super::Theme;

/// The reason is whole; the origin gives way from the left (its line number stays), the line from
/// the right (the selected one is in full below).
const COLS: [Col; 3] = [
    Col::path("origin", 16),
    Col::text("reason", 0),
    Col::name("line", 10),
];

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
        let row_style = |_: usize| Style::new();
        fitted_table(
            frame,
            block,
            list,
            FittedList {
                cols: &COLS,
                titles: Vec::new(),
                len: m.rows.len(),
                selected: Some(selected),
                row_style: &row_style,
            },
            theme,
            |i| {
                let r = &m.rows[i];
                vec![
                    (r.origin.clone(), Style::new()),
                    (r.reason.clone(), theme.tone(Tone::Warn)),
                    (r.text.clone(), Style::new()),
                ]
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
