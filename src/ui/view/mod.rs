//! Drawing: everything comes from the view model ([`crate::ui::app::model`]) and the UI state; nothing
//! is computed here beyond layout and formatting the rows that are on screen.
//!
//! ```text
//! ┌ status bar: source · ev/s · parsed/malformed · late · lag · metadata · width · LIVE · span ┐
//! │ body: overview | application | caller | latency | malformed | alarms | help               │
//! └ key hints (or the filter prompt)                                                           ┘
//! ```

pub mod alarms;
pub mod columns;
pub mod detail;
pub mod help;
pub mod malformed;
pub mod overview;
pub mod recent;
pub mod sources;
pub mod status;
pub mod theme;
pub mod widgets;

use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::ui::app::model::{Body, Tone};
use crate::ui::app::{App, ClickTarget};

pub use theme::Theme;

/// Smallest usable terminal.
pub const MIN_COLUMNS: u16 = 60;
pub const MIN_ROWS: u16 = 16;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_COLUMNS || area.height < MIN_ROWS {
        let text = vec![
            Line::from("Terminal too small"),
            Line::from(format!(
                "{}×{} — kinetop needs at least {MIN_COLUMNS}×{MIN_ROWS}.",
                area.width, area.height
            )),
            Line::from("Enlarge the window, or press q to quit."),
        ];
        let y = area.height.saturating_sub(3) / 2;
        let box_area = Rect::new(
            area.x,
            area.y + y,
            area.width,
            area.height.saturating_sub(y),
        );
        frame.render_widget(
            Paragraph::new(text)
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            box_area,
        );
        return;
    }
    let [status_area, body, hints_area] = screen(area);
    status::draw_status(frame, status_area, &app.model.status, theme);
    status::draw_hints(frame, hints_area, app, theme);
    let ui = &app.ui;
    match &app.model.body {
        Body::Waiting => {
            let y = body.y + body.height / 2;
            frame.render_widget(
                Paragraph::new("Waiting for the first data…").alignment(Alignment::Center),
                Rect::new(body.x, y, body.width, 1),
            );
        }
        Body::Starting { what, waited } => {
            let y = body.y + body.height.saturating_sub(2) / 2;
            frame.render_widget(
                Paragraph::new(vec![
                    Line::from(format!("Starting: {what} ({waited})")),
                    Line::from(Span::styled(
                        "q quits; the log file says more",
                        theme.tone(Tone::Dim),
                    )),
                ])
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
                Rect::new(body.x, y, body.width, body.height - (y - body.y)),
            );
        }
        Body::Overview(o) => overview::draw(frame, body, o, ui, theme),
        Body::App(a) => detail::draw_app(frame, body, a, ui, theme),
        Body::Host(h) => detail::draw_host(frame, body, h, ui, theme),
        Body::Latency(l) => detail::draw_latency(frame, body, l, theme),
        Body::Malformed(m) => malformed::draw(frame, body, m, ui, theme),
        Body::Sources(s) => sources::draw(frame, body, s, ui, theme),
        Body::Alarms(a) => alarms::draw_view(frame, body, a, ui, theme),
        Body::Recent(r) => recent::draw(frame, body, r, ui, theme),
        Body::Help(history) => help::draw(frame, body, history, ui.top().selected, theme),
    }
}

/// Status bar, body, key hints.
pub fn screen(area: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// First row on screen so that `selected` is visible in `rows` rows.
pub fn scroll_offset(selected: usize, rows: usize) -> usize {
    selected.saturating_sub(rows.saturating_sub(1))
}

/// Maps a click to a row, using the same layout as [`draw`].
pub fn hit_test(app: &App, column: u16, row: u16) -> Option<ClickTarget> {
    let (w, h) = app.size;
    if w < MIN_COLUMNS || h < MIN_ROWS {
        return None;
    }
    let [_, body, _] = screen(Rect::new(0, 0, w, h));
    let inside =
        |r: Rect| column >= r.x && column < r.x + r.width && row >= r.y && row < r.y + r.height;
    let selected = app.ui.top().selected;
    let (list, len) = match &app.model.body {
        Body::Overview(o) => {
            let areas = overview::areas(body, o.rows.len().max(1));
            if inside(areas.alarm_lines) {
                let index = (row - areas.alarm_lines.y) as usize;
                return (index < o.alarms.active.len()).then_some(ClickTarget::AlarmLine(index));
            }
            (areas.rows, o.rows.len())
        }
        Body::App(a) => (
            detail::app_areas(body, app.ui.top().panel).rows,
            a.callers.len(),
        ),
        Body::Alarms(a) => (alarms::rows_area(body, a), a.rows.len()),
        Body::Malformed(m) => (malformed::rows_area(body, m), m.rows.len()),
        Body::Sources(s) => (sources::rows_area(body), s.rows.len()),
        Body::Recent(r) => (recent::rows_area(body), r.rows.len()),
        _ => return None,
    };
    if !inside(list) {
        return None;
    }
    let index = scroll_offset(selected, list.height as usize) + (row - list.y) as usize;
    (index < len).then_some(ClickTarget::Row(index))
}
