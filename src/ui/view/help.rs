//! `?`: every key, from the keymap's own table.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::ui::app::keymap;
use crate::ui::app::model::Tone;

use super::widgets::panel;
use super::Theme;

pub fn draw(frame: &mut Frame, body: Rect, theme: &Theme) {
    let help = keymap::help_rows();
    let width = body.width.min(86);
    let height = body.height.min(help.len() as u16 + 5);
    let area = Rect::new(body.x + (body.width - width) / 2, body.y, width, height);
    let block = panel(" Keys · Esc or ? closes ", true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // A short terminal (80×24) drops the blank separators and the footer's blank line, so every
    // key still shows.
    let compact = (inner.height as usize) < help.len() + 2;
    let rows = help
        .iter()
        .filter(|(keys, _)| !compact || !keys.is_empty())
        .map(|(keys, what)| {
            Row::new(vec![
                Cell::from(Span::styled(*keys, theme.key())),
                Cell::from(*what),
            ])
        });
    let foot_height = if compact { 1 } else { 2 };
    let [table, foot] =
        ratatui::layout::Layout::vertical([Constraint::Min(1), Constraint::Length(foot_height)])
            .areas(inner);
    frame.render_widget(
        Table::new(rows, [Constraint::Length(16), Constraint::Min(20)]),
        table,
    );
    let note = Line::from(Span::styled(
        "Text from logs and metadata is shown with control characters escaped.",
        theme.tone(Tone::Dim),
    ));
    let lines = if compact {
        vec![note]
    } else {
        vec![Line::from(""), note]
    };
    frame.render_widget(Paragraph::new(lines), foot);
}
