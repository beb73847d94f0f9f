//! The status bar (top) and the key hints or filter prompt (bottom).

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::ui::app::model::{safe, Segment};
use crate::ui::app::App;

use super::Theme;

pub fn draw_status(frame: &mut Frame, area: Rect, segments: &[Segment], theme: &Theme) {
    let mut spans = Vec::with_capacity(segments.len() * 2);
    for (i, s) in segments.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", theme.border(false)));
        }
        spans.push(Span::styled(s.text.as_str(), theme.tone(s.tone)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn draw_hints(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = Vec::new();
    if app.ui.filtering {
        spans.push(Span::styled("/", theme.key()));
        spans.push(Span::raw(" filter: "));
        spans.push(Span::styled(
            safe(&app.ui.top().filter),
            theme.header().remove_modifier(Modifier::UNDERLINED),
        ));
        spans.push(Span::styled("▏", theme.key()));
        spans.push(Span::raw("   "));
    }
    for (i, (key, what)) in app.model.hints.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(*key, theme.key()));
        spans.push(Span::styled(
            format!(" {what}"),
            theme.tone(crate::ui::app::model::Tone::Dim),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
