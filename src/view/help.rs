//! `?`: every key, from the keymap's own table.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::app::keymap::HELP;
use crate::app::model::Tone;

use super::widgets::panel;
use super::Theme;

pub fn draw(frame: &mut Frame, body: Rect, theme: &Theme) {
    let width = body.width.min(86);
    let height = body.height.min(HELP.len() as u16 + 5);
    let area = Rect::new(body.x + (body.width - width) / 2, body.y, width, height);
    let block = panel(" Keys · Esc or ? closes ", true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = HELP.iter().map(|(keys, what)| {
        Row::new(vec![
            Cell::from(Span::styled(*keys, theme.key())),
            Cell::from(*what),
        ])
    });
    let [table, foot] =
        ratatui::layout::Layout::vertical([Constraint::Min(1), Constraint::Length(2)]).areas(inner);
    frame.render_widget(
        Table::new(rows, [Constraint::Length(16), Constraint::Min(20)]),
        table,
    );
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(""),
            Line::from(Span::styled(
                "Text from logs and metadata is shown with control characters escaped.",
                theme.tone(Tone::Dim),
            )),
        ]),
        foot,
    );
}
