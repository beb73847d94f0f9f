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

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::Frame;

use crate::ui::app::model::{AppRow, Mark, Overview, Tone};
use crate::ui::app::state::{Panel, UiState};

use super::columns::{fitted_table, Cell, Col, FittedList};
use super::widgets::{draw_chart, list_title, message, panel};
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

/// The mark, then [`OVERVIEW_COLUMNS`]: when narrow, bytes go first, then callers, history…
/// The Δ columns (against the previous window) give way first, the requests' last of them.
const COLS: [Col; 14] = [
    Col::text("", 0),
    Col::name("application", 12),
    Col::number("req", 0),
    Col::number("req/s", 2),
    Col::number("Δ", 4),
    Col::number("bytes", 8),
    Col::number("4xx", 3),
    Col::number("5xx", 0),
    Col::number("Δ5xx", 9),
    Col::number("p50", 4),
    Col::number("p99", 1),
    Col::number("Δp99", 10),
    Col::number("callers", 7),
    Col::text("history", 5),
];

/// The most the application column keeps for a name with its caller hint.
const MAX_HINT: usize = 40;

pub fn draw(frame: &mut Frame, body: Rect, o: &Overview, ui: &UiState, theme: &Theme) {
    let frame_state = ui.top();
    if frame_state.zoomed && frame_state.panel == Panel::Chart {
        draw_chart(frame, body, &o.chart, true, theme);
        return;
    }
    let a = areas(body, o.rows.len().max(1));
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
        let mut titles = vec![String::new()];
        titles.extend(o.headers.iter().cloned());
        let selected = table_focus.then_some(frame_state.selected);
        let row_style = |i: usize| {
            if o.rows.is_unknown(i) {
                theme.unknown()
            } else if o.rows.is_silent(i) {
                theme.tone(Tone::Dim)
            } else {
                Style::new()
            }
        };
        // A caller hint (`/10.2.`) keeps its room; bytes, callers, history give way first.
        let mut cols = COLS;
        cols[1].min = cols[1].min.max(o.hint_width.min(MAX_HINT) as u16);
        fitted_table(
            frame,
            block,
            a.table,
            FittedList {
                cols: &cols,
                titles,
                len: o.rows.len(),
                selected,
                row_style: &row_style,
            },
            theme,
            |i| o.rows.get(i).map(|r| cells(&r, theme)).unwrap_or_default(),
        );
    }
    draw_chart(
        frame,
        a.chart,
        &o.chart,
        frame_state.panel == Panel::Chart,
        theme,
    );
    super::alarms::draw_panel(
        frame,
        a.alarms,
        &o.alarms,
        frame_state.panel == Panel::Alarms,
        frame_state.alarm_selected,
        theme,
    );
}

/// The cells of one row, in [`COLS`] order.
fn cells(r: &AppRow, theme: &Theme) -> Vec<Cell> {
    let (mark, mark_style) = match (r.alarm, r.unknown) {
        (Mark::Alarm, _) => ("●", theme.alarm()),
        (Mark::Acked, _) => ("○", theme.acked()),
        (Mark::None, true) => ("?", theme.unknown()),
        (Mark::None, false) => (" ", Style::new()),
    };
    // Colour only what deserves a look: a few 4xx are normal, 5xx less so.
    let err_style = |share: f64, warn: f64, bad: f64| {
        if share >= bad {
            theme.tone(Tone::Bad)
        } else if share >= warn {
            theme.tone(Tone::Warn)
        } else {
            Style::new()
        }
    };
    let up = |up: bool| {
        if up {
            theme.tone(Tone::Warn)
        } else {
            Style::new()
        }
    };
    let mut all: Vec<Cell> = Vec::with_capacity(COLS.len());
    all.push((mark.to_string(), mark_style));
    for (i, text) in r.cells().into_iter().enumerate() {
        let style = match i {
            5 => err_style(r.err_4xx, 0.10, 0.30),
            6 => err_style(r.err_5xx, 0.01, 0.05),
            7 => up(r.changes.err_5xx_up),
            10 => up(r.changes.p99_up),
            12 => theme.series(0),
            _ => Style::new(),
        };
        all.push((text, style));
    }
    all
}
