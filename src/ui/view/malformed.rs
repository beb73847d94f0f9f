//! Malformed lines: counters and the recent samples (already escaped), the selected one in full.

use ratatui::layout::{Constraint, Layout, Rect};

use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::ui::app::model::{MalformedView, Tone};
use crate::ui::app::state::UiState;

use super::columns::{fitted_table, Col, FittedList};
use super::widgets::{key_value_lines, message, panel, table_rows};
use super::Theme;

/// The reason is whole; the origin gives way from the left (its line number stays), the line from
/// the right (the selected one is in full below).
const COLS: [Col; 3] = [
    Col::path("origin", 16),
    Col::text("reason", 0),
    Col::name("line", 10),
];

/// `summary_lines`: how many lines the counters take at this width (see [`summary_lines`]).
fn split(body: Rect, summary_lines: u16) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(summary_lines.clamp(1, 4) + 2),
        Constraint::Min(4),
        Constraint::Length(6),
    ])
    .areas(body)
}

/// The counters packed at the panel's inner width.
fn summary_lines<'a>(m: &'a MalformedView, body: Rect, theme: &Theme) -> Vec<Line<'a>> {
    key_value_lines(&m.summary, usize::from(body.width.saturating_sub(2)), theme)
}

/// The sample rows (for mouse clicks).
pub fn rows_area(body: Rect, m: &MalformedView) -> Rect {
    let lines = summary_lines(m, body, &Theme { colour: false }).len() as u16;
    let [_, list, _] = split(body, lines);
    table_rows(list)
}

pub fn draw(frame: &mut Frame, body: Rect, m: &MalformedView, ui: &UiState, theme: &Theme) {
    let lines = summary_lines(m, body, theme);
    let [summary, list, full] = split(body, lines.len() as u16);
    frame.render_widget(
        Paragraph::new(lines).block(panel(" Malformed lines ", false, theme)),
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
