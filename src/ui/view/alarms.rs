//! The alarm panel of the overview and the alarm view (`a`).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::core::alarms::AlarmState;
use crate::ui::app::model::{AlarmLine, AlarmPanel, AlarmTable, Tone};
use crate::ui::app::state::UiState;

use super::columns::{ellipsize, fitted_table, width as width_of, Cell, Col, FittedList};
use super::widgets::{draw_chart, list_title, message, panel, table_rows};
use super::Theme;

fn state_style(state: AlarmState, acked: bool, theme: &Theme) -> Style {
    if acked {
        return theme.acked();
    }
    match state {
        AlarmState::Alarm => theme.alarm(),
        AlarmState::Ok => theme.tone(Tone::Good),
        AlarmState::InsufficientData => theme.tone(Tone::Dim),
    }
}

fn line<'a>(
    l: &'a AlarmLine,
    selected: bool,
    active: bool,
    width: usize,
    theme: &Theme,
) -> Line<'a> {
    let (icon, style) = match (active, l.acked) {
        (true, true) => ("○ ack ", theme.acked()),
        (true, false) => ("● ", theme.alarm()),
        (false, _) => ("  ", state_style(l.state, false, theme)),
    };
    let text_style = if l.acked { theme.acked() } else { Style::new() };
    // A line too long for the panel ends in `…` rather than being cut off silently.
    let text = ellipsize(&l.text, width.saturating_sub(width_of(icon)));
    let line = Line::from(vec![
        Span::styled(icon, style),
        Span::styled(text, text_style),
    ]);
    if selected {
        line.style(theme.selected())
    } else if !active {
        line.style(state_style(l.state, false, theme))
    } else {
        line
    }
}

/// Active alarms first (selectable for `A`), then the recent transitions.
pub fn draw_panel(
    frame: &mut Frame,
    area: Rect,
    p: &AlarmPanel,
    focused: bool,
    selected: usize,
    theme: &Theme,
) {
    let room = area.width.saturating_sub(4) as usize;
    let title = if width_of(&p.title) <= room {
        &p.title
    } else {
        &p.short_title
    };
    let block = panel(format!(" {} ", ellipsize(title, room)), focused, theme);
    let inner = block.inner(area);
    let width = inner.width as usize;
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = p
        .active
        .iter()
        .enumerate()
        .map(|(i, l)| line(l, focused && i == selected, true, width, theme))
        .collect();
    if !p.recent.is_empty() {
        lines.push(Line::from(Span::styled("recent", theme.header())));
        lines.extend(p.recent.iter().map(|l| line(l, false, false, width, theme)));
    }
    if let Some(empty) = &p.empty {
        if lines.is_empty() {
            message(frame, inner, empty, theme);
            return;
        }
        lines.push(Line::from(Span::styled(
            empty.as_str(),
            theme.tone(Tone::Dim),
        )));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// alarm, application, condition, state, since, value, last datapoints: when narrow, the
/// datapoints go first, then since and the condition; a long alarm name ends in `…`.
const COLS: [Col; 7] = [
    Col::name("alarm", 10),
    Col::text("application", 0),
    Col::text("condition", 3),
    Col::text("state", 0),
    Col::text("since", 4),
    Col::number("value", 0),
    Col::text("last datapoints", 5),
];

/// The data rows of the alarm view (for mouse clicks).
pub fn rows_area(body: Rect, t: &AlarmTable) -> Rect {
    table_rows(split_chart(split_actions(body, t).0, t).0)
}

/// The table, and below it the selected alarm's chart when there is room (and a chart).
fn split_chart(body: Rect, t: &AlarmTable) -> (Rect, Option<Rect>) {
    if t.chart.is_none() || t.empty.is_some() || body.height < 18 {
        return (body, None);
    }
    let chart = (body.height * 2 / 5).max(8);
    let [table, chart] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(chart)]).areas(body);
    (table, Some(chart))
}

/// The table's panel, and below it the actions line when there is one.
fn split_actions(body: Rect, t: &AlarmTable) -> (Rect, Option<Rect>) {
    if t.actions.is_none() || body.height < 5 {
        return (body, None);
    }
    let [table, actions] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(1)]).areas(body);
    (table, Some(actions))
}

/// Every rule × application with its state and its last datapoints; below, what became of the
/// alarm actions.
pub fn draw_view(frame: &mut Frame, body: Rect, t: &AlarmTable, ui: &UiState, theme: &Theme) {
    let (body, actions_area) = split_actions(body, t);
    if let (Some(area), Some((text, tone))) = (actions_area, &t.actions) {
        let line = Line::from(Span::styled(format!(" {text}"), theme.tone(*tone)));
        frame.render_widget(Paragraph::new(line), area);
    }
    let (body, chart_area) = split_chart(body, t);
    if let (Some(area), Some(chart)) = (chart_area, &t.chart) {
        draw_chart(frame, area, chart, false, theme);
    }
    let f = ui.top();
    let block = panel(
        list_title("Alarms · every rule × application", &f.filter),
        true,
        theme,
    );
    if let Some(empty) = &t.empty {
        let inner = block.inner(body);
        frame.render_widget(block, body);
        message(frame, inner, empty, theme);
        return;
    }
    let row_style = |i: usize| {
        if t.rows[i].acked {
            theme.acked()
        } else {
            Style::new()
        }
    };
    fitted_table(
        frame,
        block,
        body,
        FittedList {
            cols: &COLS,
            titles: Vec::new(),
            len: t.rows.len(),
            selected: Some(f.selected),
            row_style: &row_style,
        },
        theme,
        |i| {
            let r = &t.rows[i];
            let mut cells: Vec<Cell> = r.cells.iter().map(|c| (c.clone(), Style::new())).collect();
            let state = if r.acked {
                format!("{} (ack)", r.cells[3])
            } else {
                r.cells[3].clone()
            };
            cells[3] = (state, state_style(r.state, r.acked, theme));
            cells
        },
    );
}
