//! Drill-down views: an application (contacts, callers, status codes, paths, latency, chart), one
//! caller of it, and the full-screen latency histogram.
//!
//! ```text
//! ╭ checkout ─ summary · contacts · attributes ─────────────────────────────────╮
//! ╭ Callers ───────────────────────────────╮╭ Status codes ─────────────────────╮
//! │                                         │╰───────────────────────────────────╯
//! │                                         │╭ Top paths ────────────────────────╮
//! ╰─────────────────────────────────────────╯╰───────────────────────────────────╯
//! ╭ Latency ───────────────────────────────╮╭ checkout per window ──────────────╮
//! ```

use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::ui::app::model::{AppDetail, Chart, Histogram, HostDetail, LatencyView, Mark, Tone};
use crate::ui::app::state::{Panel, UiState};

use super::columns::{fitted_table, Col, FittedList};
use super::widgets::{draw_chart, draw_histogram, list_title, message, panel, table_rows};
use super::Theme;

/// Caller columns ([`crate::ui::app::model::CALLER_COLUMNS`]): when narrow, bytes and p50 give
/// way first, so names and the error rates stay readable.
const CALLER_COLS: [Col; 7] = [
    Col::name("caller", 15),
    Col::number("req", 0),
    Col::number("bytes", 5),
    Col::number("4xx", 3),
    Col::number("5xx", 0),
    Col::number("p50", 4),
    Col::number("p99", 1),
];

pub struct AppAreas {
    pub info: Rect,
    pub callers: Rect,
    /// The callers' data rows (inside the border, below the header).
    pub rows: Rect,
    pub codes: Rect,
    pub paths: Rect,
    pub latency: Rect,
    pub chart: Rect,
}

fn lower_height(body: Rect) -> u16 {
    match body.height {
        0..=20 => 6,
        21..=30 => 8,
        _ => body.height / 3,
    }
}

pub fn app_areas(body: Rect) -> AppAreas {
    let [info, middle, lower] = Layout::vertical([
        Constraint::Length(5),
        Constraint::Min(5),
        Constraint::Length(lower_height(body)),
    ])
    .areas(body);
    let [callers, side] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(middle);
    let [codes, paths] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(side);
    let [latency, chart] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(lower);
    AppAreas {
        info,
        callers,
        rows: table_rows(callers),
        codes,
        paths,
        latency,
        chart,
    }
}

fn info<'a>(summary: &'a str, extra: Vec<Line<'a>>, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![Line::from(Span::styled(summary, theme.tone(Tone::Accent)))];
    lines.extend(extra);
    lines
}

/// Status codes: code, count, share; scrolls (and highlights its row) when focused.
const CODE_COLS: [Col; 3] = [
    Col::text("code", 0),
    Col::number("requests", 0),
    Col::number("share", 0),
];

fn codes_table(
    frame: &mut Frame,
    area: Rect,
    codes: &[(String, String, String, Tone)],
    focus: Option<usize>,
    theme: &Theme,
) {
    let block = panel(" Status codes ", focus.is_some(), theme);
    if codes.is_empty() {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        message(frame, inner, "no requests", theme);
        return;
    }
    let list = FittedList {
        cols: &CODE_COLS,
        titles: Vec::new(),
        len: codes.len(),
        selected: focus.map(|c| c.min(codes.len() - 1)),
        row_style: &|_| Style::new(),
    };
    fitted_table(frame, block, area, list, theme, |i| {
        let (code, n, share, tone) = &codes[i];
        vec![
            (code.clone(), theme.tone(*tone)),
            (n.clone(), Style::new()),
            (share.clone(), Style::new()),
        ]
    });
}

/// Top paths: count (`≤n` when the count is an upper bound), path.
const PATH_COLS: [Col; 2] = [Col::number("requests", 0), Col::name("path", 10)];

fn paths_table(
    frame: &mut Frame,
    area: Rect,
    paths: &[(String, String)],
    title: &str,
    focus: Option<usize>,
    theme: &Theme,
) {
    let block = panel(format!(" {title} "), focus.is_some(), theme);
    if paths.is_empty() {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        message(frame, inner, "no paths", theme);
        return;
    }
    let list = FittedList {
        cols: &PATH_COLS,
        titles: Vec::new(),
        len: paths.len(),
        selected: focus.map(|c| c.min(paths.len() - 1)),
        row_style: &|_| Style::new(),
    };
    fitted_table(frame, block, area, list, theme, |i| {
        let (n, path) = &paths[i];
        vec![(n.clone(), Style::new()), (path.clone(), Style::new())]
    });
}

/// The side panels of a detail view, each drawn focused or not, or alone full screen.
struct Sides<'a> {
    codes: &'a [(String, String, String, Tone)],
    paths: &'a [(String, String)],
    paths_title: &'a str,
    latency: Option<&'a Histogram>,
    chart: &'a Chart,
}

impl Sides<'_> {
    fn draw(&self, frame: &mut Frame, panel: Panel, area: Rect, ui: &UiState, theme: &Theme) {
        let f = ui.top();
        let focused = f.panel == panel;
        let cursor = focused.then(|| f.cursors.get(&panel).copied().unwrap_or(0));
        match panel {
            Panel::Codes => codes_table(frame, area, self.codes, cursor, theme),
            Panel::Paths => paths_table(frame, area, self.paths, self.paths_title, cursor, theme),
            Panel::Latency => draw_histogram(frame, area, self.latency, focused, theme),
            Panel::Chart => draw_chart(frame, area, self.chart, focused, theme),
            Panel::Table | Panel::Alarms => {}
        }
    }

    /// The focused panel alone in the whole body, when zoomed. Returns whether it drew.
    fn zoomed(&self, frame: &mut Frame, body: Rect, ui: &UiState, theme: &Theme) -> bool {
        let f = ui.top();
        if !(f.zoomed && f.panel.zooms()) {
            return false;
        }
        self.draw(frame, f.panel, body, ui, theme);
        true
    }
}

pub fn draw_app(frame: &mut Frame, body: Rect, a: &AppDetail, ui: &UiState, theme: &Theme) {
    let sides = Sides {
        codes: &a.status_codes,
        paths: &a.paths,
        paths_title: &a.paths_title,
        latency: a.latency.as_ref(),
        chart: &a.chart,
    };
    if sides.zoomed(frame, body, ui, theme) {
        return;
    }
    let areas = app_areas(body);
    let f = ui.top();
    let mut title = vec![Span::styled(format!(" {} ", a.title), theme.header())];
    match a.alarm {
        Mark::Alarm => title.push(Span::styled("● ALARM ", theme.alarm())),
        Mark::Acked => title.push(Span::styled("○ ALARM (ack) ", theme.acked())),
        Mark::None => {}
    }
    if a.unknown {
        title.push(Span::styled(
            "callers that matched no metadata row ",
            theme.unknown(),
        ));
    }
    let contacts = if a.contacts.is_empty() {
        Span::styled(
            if a.unknown {
                "who are they? see the raw addresses below"
            } else {
                "no contact in the metadata"
            },
            theme.tone(Tone::Dim),
        )
    } else {
        Span::raw(a.contacts.join(" · "))
    };
    let mut extra = vec![Line::from(vec![
        Span::styled("contacts: ", theme.tone(Tone::Dim)),
        contacts,
    ])];
    if !a.attributes.is_empty() {
        extra.push(Line::from(Span::styled(
            a.attributes.join(" · "),
            theme.tone(Tone::Dim),
        )));
    }
    frame.render_widget(
        Paragraph::new(info(&a.summary, extra, theme))
            .block(panel(Line::from(title), false, theme))
            .wrap(Wrap { trim: true }),
        areas.info,
    );

    let block = panel(
        list_title(&a.callers_title, &f.filter),
        f.panel == Panel::Table,
        theme,
    );
    if a.callers.is_empty() {
        let inner = block.inner(areas.callers);
        frame.render_widget(block, areas.callers);
        message(frame, inner, "no callers", theme);
    } else {
        let row_style = |_: usize| {
            if a.unknown {
                theme.unknown()
            } else {
                Style::new()
            }
        };
        let list = FittedList {
            cols: &CALLER_COLS,
            titles: a.headers.clone(),
            len: a.callers.len(),
            selected: Some(f.selected),
            row_style: &row_style,
        };
        fitted_table(frame, block, areas.callers, list, theme, |i| {
            a.callers[i]
                .cells()
                .into_iter()
                .map(|t| (t, Style::new()))
                .collect()
        });
    }
    sides.draw(frame, Panel::Codes, areas.codes, ui, theme);
    sides.draw(frame, Panel::Paths, areas.paths, ui, theme);
    sides.draw(frame, Panel::Latency, areas.latency, ui, theme);
    sides.draw(frame, Panel::Chart, areas.chart, ui, theme);
}

pub fn draw_host(frame: &mut Frame, body: Rect, h: &HostDetail, ui: &UiState, theme: &Theme) {
    let sides = Sides {
        codes: &h.status_codes,
        paths: &h.paths,
        paths_title: &h.paths_title,
        latency: h.latency.as_ref(),
        chart: &h.chart,
    };
    if sides.zoomed(frame, body, ui, theme) {
        return;
    }
    let [info_area, middle, lower] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(4),
        Constraint::Length(lower_height(body)),
    ])
    .areas(body);
    let [codes, paths] =
        Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)]).areas(middle);
    let [latency, chart] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(lower);
    frame.render_widget(
        Paragraph::new(info(&h.summary, vec![], theme)).block(panel(
            Span::styled(format!(" {} ", h.title), theme.header()),
            false,
            theme,
        )),
        info_area,
    );
    sides.draw(frame, Panel::Codes, codes, ui, theme);
    sides.draw(frame, Panel::Paths, paths, ui, theme);
    sides.draw(frame, Panel::Latency, latency, ui, theme);
    sides.draw(frame, Panel::Chart, chart, ui, theme);
}

pub fn draw_latency(frame: &mut Frame, body: Rect, l: &LatencyView, theme: &Theme) {
    let Some(h) = &l.histogram else {
        let block = panel(format!(" {} ", l.title), true, theme);
        let inner = block.inner(body);
        frame.render_widget(block, body);
        message(
            frame,
            inner,
            "no latency in this window (the log format needs %D or %T)",
            theme,
        );
        return;
    };
    let [bars, stats] =
        Layout::horizontal([Constraint::Min(30), Constraint::Length(24)]).areas(body);
    draw_histogram(frame, bars, Some(h), true, theme);
    let rows = h.stats.iter().map(|(k, v)| {
        Row::new(vec![
            Cell::from(Span::styled(k.as_str(), theme.tone(Tone::Dim))),
            Cell::from(Line::from(v.as_str()).alignment(Alignment::Right)),
        ])
    });
    frame.render_widget(
        Table::new(rows, [Constraint::Length(9), Constraint::Min(8)]).block(panel(
            " Percentiles ",
            false,
            theme,
        )),
        stats,
    );
}
