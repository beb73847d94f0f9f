//! `?`: every key, from the keymap's own table, and how far back history reaches. When the
//! terminal is too short for all of it (the blank separators go first), ↑ ↓ scroll it, so every
//! key can be read at the smallest size kinetop runs at.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::ui::app::keymap;
use crate::ui::app::model::Tone;

use super::widgets::panel;
use super::Theme;

pub fn draw(frame: &mut Frame, body: Rect, history: &str, scroll: usize, theme: &Theme) {
    let width = body.width.min(keymap::HELP_WIDTH);
    // The history line wraps (widths given up at scale make it long), taken from the keys' rows.
    let head_lines = keymap::help_head_lines(history, body.width);
    let extra = head_lines - 1;
    let (help, shown) = keymap::help_layout(body.height.saturating_sub(extra));
    let height = body.height.min(help.len() as u16 + 4 + extra);
    let area = Rect::new(body.x + (body.width - width) / 2, body.y, width, height);
    let first = scroll.min(help.len() - shown);
    let mut block = panel(" Keys · Esc or ? closes ", true, theme);
    if shown < help.len() {
        block = block.title_bottom(
            Line::from(Span::styled(
                format!(
                    " ↑↓ scroll · {}–{}/{} ",
                    first + 1,
                    first + shown,
                    help.len()
                ),
                theme.border(false),
            ))
            .right_aligned(),
        );
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [head, table, foot] = Layout::vertical([
        Constraint::Length(head_lines),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Span::styled(history, theme.tone(Tone::Dim))).wrap(Wrap { trim: true }),
        head,
    );
    let rows = help.iter().skip(first).take(shown).map(|(keys, what)| {
        Row::new(vec![
            Cell::from(Span::styled(*keys, theme.key())),
            Cell::from(*what),
        ])
    });
    frame.render_widget(
        Table::new(rows, [Constraint::Length(17), Constraint::Min(20)]),
        table,
    );
    frame.render_widget(
        Paragraph::new(Span::styled(
            "Text from logs and metadata is shown with control characters escaped.",
            theme.tone(Tone::Dim),
        )),
        foot,
    );
}
