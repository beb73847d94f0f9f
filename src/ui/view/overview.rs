//! The overview: one row per source application, a chart of the busiest ones, the alarm panel.
//!
//! ```text
//! ╭ Applications ──────────────────────────────────────────────────────────────╮
//! │   application  req  req/s  bytes  4xx  5xx  p50  p99  callers  history      │
//! │ ● checkout     …                                                            │
//! ╰─────────────────────────────────────────────────────────────────────────────╯
//! ╭ Requests per window ─────────────────╮╭ Alarms ─────────────────────────────╮
//! ╰──────────────────────────────────────╯╰─────────────────────────────────────╯
//! ```

use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row};
use ratatui::Frame;

use crate::ui::app::model::{AppRow, Mark, Overview};
use crate::ui::app::state::{Panel, UiState};

use super::widgets::{draw_chart, list_title, message, panel, scrolled_table, List};
use super::Theme;

pub struct Areas {
    pub table: Rect,
    /// The table's data rows (inside the border, below the header).
    pub rows: Rect,
    pub chart: Rect,
    pub alarms: Rect,
    /// The alarm panel's lines (inside its border).
    pub alarm_lines: Rect,
}

/// The table takes what its rows need; the chart and alarm panel get the rest (within bounds).
pub fn areas(body: Rect, rows: usize) -> Areas {
    let least = match body.height {
        0..=17 => 6,
        18..=25 => 8,
        26..=40 => 12,
        _ => body.height / 3,
    };
    let wanted = (rows as u16).saturating_add(3).max(6);
    let bottom = body
        .height
        .saturating_sub(wanted)
        .clamp(least, (body.height * 3 / 5).max(least));
    let [table, lower] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(bottom)]).areas(body);
    let chart_share = if body.width >= 140 { 55 } else { 50 };
    let [chart, alarms] = Layout::horizontal([
        Constraint::Percentage(chart_share),
        Constraint::Percentage(100 - chart_share),
    ])
    .areas(lower);
    let inner = |r: Rect| {
        Rect::new(
            r.x + 1,
            r.y + 1,
            r.width.saturating_sub(2),
            r.height.saturating_sub(2),
        )
    };
    let t = inner(table);
    Areas {
        table,
        rows: Rect::new(t.x, t.y + 1, t.width, t.height.saturating_sub(1)),
        chart,
        alarms,
        alarm_lines: inner(alarms),
    }
}

const WIDTHS: [Constraint; 11] = [
    Constraint::Length(1),
    Constraint::Min(12),
    Constraint::Length(6),
    Constraint::Length(6),
    Constraint::Length(9),
    Constraint::Length(5),
    Constraint::Length(5),
    Constraint::Length(6),
    Constraint::Length(6),
    Constraint::Length(8),
    Constraint::Length(12),
];

/// Narrow terminals drop bytes and the callers column; the rest stays.
const NARROW: [usize; 9] = [0, 1, 2, 3, 5, 6, 7, 8, 10];

pub fn draw(frame: &mut Frame, body: Rect, o: &Overview, ui: &UiState, theme: &Theme) {
    let a = areas(body, o.rows.len().max(1));
    let frame_state = ui.top();
    let table_focus = frame_state.panel == Panel::Table;
    let block = panel(
        list_title(&o.title, &frame_state.filter),
        table_focus,
        theme,
    );
    if let Some(empty) = &o.empty {
        let inner = block.inner(a.table);
        frame.render_widget(block, a.table);
        message(frame, inner, empty, theme);
    } else {
        let narrow = a.table.width < 100;
        let columns: Vec<usize> = if narrow {
            NARROW.to_vec()
        } else {
            (0..11).collect()
        };
        let mut headers = vec![String::new()];
        headers.extend(o.headers.iter().cloned());
        let headers = columns
            .iter()
            .map(|&c| Line::from(headers[c].clone()).alignment(align(c)))
            .collect();
        let widths: Vec<Constraint> = columns.iter().map(|&c| WIDTHS[c]).collect();
        let selected = table_focus.then_some(frame_state.selected);
        scrolled_table(
            frame,
            block,
            a.table,
            List {
                headers,
                widths: &widths,
                len: o.rows.len(),
                selected,
            },
            theme,
            |i| row(&o.rows[i], &columns, theme),
        );
    }
    draw_chart(frame, a.chart, &o.chart, theme);
    super::alarms::draw_panel(
        frame,
        a.alarms,
        &o.alarms,
        !table_focus,
        frame_state.alarm_selected,
        theme,
    );
}

fn row<'a>(r: &AppRow, columns: &[usize], theme: &Theme) -> Row<'a> {
    let cells = r.cells();
    let (mark, mark_style) = match (r.alarm, r.unknown) {
        (Mark::Alarm, _) => ("●", theme.alarm()),
        (Mark::Acked, _) => ("○", theme.acked()),
        (Mark::None, true) => ("?", theme.unknown()),
        (Mark::None, false) => (" ", Style::new()),
    };
    let row_style = if r.unknown {
        theme.unknown()
    } else if r.requests == 0 {
        theme.tone(crate::ui::app::model::Tone::Dim)
    } else {
        Style::new()
    };
    // Colour only what deserves a look: a few 4xx are normal, 5xx less so.
    let err_style = |share: f64, warn: f64, bad: f64| {
        if share >= bad {
            theme.tone(crate::ui::app::model::Tone::Bad)
        } else if share >= warn {
            theme.tone(crate::ui::app::model::Tone::Warn)
        } else {
            Style::new()
        }
    };
    let mut all: Vec<Cell> = Vec::with_capacity(11);
    all.push(Cell::from(Span::styled(mark, mark_style)));
    for (i, text) in cells.into_iter().enumerate() {
        let style = match i {
            4 => err_style(r.err_4xx, 0.10, 0.30),
            5 => err_style(r.err_5xx, 0.01, 0.05),
            9 => theme.series(0),
            _ => Style::new(),
        };
        all.push(Cell::from(
            Line::from(Span::styled(text, style)).alignment(align(i + 1)),
        ));
    }
    let picked: Vec<Cell> = columns.iter().map(|&c| all[c].clone()).collect();
    Row::new(picked).style(row_style)
}

/// Names and sparklines left, numbers right (by column index, the mark being column 0).
fn align(column: usize) -> Alignment {
    if column <= 1 || column == 10 {
        Alignment::Left
    } else {
        Alignment::Right
    }
}
