//! Drill-down views: an application (contacts, callers, status codes, paths, user agents,
//! referers, latency, chart), one caller of it, and the full-screen latency histogram.
//!
//! ```text
//! ╭ checkout ─ summary · contacts · attributes ─────────────────────────────────╮
//! ╭ Callers ───────────────────────────────╮╭ Status codes ─────────────────────╮
//! │                                         │╰───────────────────────────────────╯
//! │                                         │╭ Top paths ────────────────────────╮
//! ╰─────────────────────────────────────────╯╰───────────────────────────────────╯
//! ╭ Latency ───────────────────────────────╮╭ checkout per window ──────────────╮
//! ```
//!
//! The side column holds status codes and top paths, and, when the terminal is tall enough
//! ([`FOUR_SIDE_PANELS_FROM`] rows), user agents and referers below them. Shorter, user agents or
//! referers take the whole column while focused (Tab), so every panel is on screen when
//! focused, at 80×24 too, with rows to show. A caller's detail, with more room, shows its
//! referers and agents below codes and paths from [`HOST_FOUR_PANELS_FROM`] rows, else the
//! focused one alone in their place.

use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::ui::app::model::{
    AgentPanels, AppDetail, Chart, CountedList, Histogram, HostDetail, LatencyView, Mark, Tone,
};
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

/// Height of the side column from which it holds four panels rather than a pair.
pub const FOUR_SIDE_PANELS_FROM: u16 = 24;

/// Height of a caller detail's middle row from which it holds four panels rather than a pair.
pub const HOST_FOUR_PANELS_FROM: u16 = 16;

pub struct AppAreas {
    pub info: Rect,
    pub callers: Rect,
    /// The callers' data rows (inside the border, below the header).
    pub rows: Rect,
    /// The side panels on screen and where (see the module comment).
    pub sides: Vec<(Panel, Rect)>,
    pub latency: Rect,
    pub chart: Rect,
}

/// The side column's panels: `first` above `second` (codes and paths), or the focused one of
/// user agents and referers alone, or all four when `area` is tall enough.
fn side_panels(area: Rect, focus: Panel, first: Panel, second: Panel) -> Vec<(Panel, Rect)> {
    if area.height >= FOUR_SIDE_PANELS_FROM {
        let [a, b, c, d] = Layout::vertical([
            Constraint::Percentage(22),
            Constraint::Percentage(28),
            Constraint::Percentage(28),
            Constraint::Percentage(22),
        ])
        .areas(area);
        return vec![
            (first, a),
            (second, b),
            (Panel::Agents, c),
            (Panel::Referers, d),
        ];
    }
    if matches!(focus, Panel::Agents | Panel::Referers) {
        // Alone: a pair would leave each a row or two on a short terminal.
        return vec![(focus, area)];
    }
    let [a, b] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    vec![(first, a), (second, b)]
}

fn lower_height(body: Rect) -> u16 {
    match body.height {
        0..=20 => 6,
        21..=30 => 8,
        _ => body.height / 3,
    }
}

pub fn app_areas(body: Rect, focus: Panel) -> AppAreas {
    let [info, middle, lower] = Layout::vertical([
        Constraint::Length(5),
        Constraint::Min(5),
        Constraint::Length(lower_height(body)),
    ])
    .areas(body);
    let [callers, side] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(middle);
    let [latency, chart] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(lower);
    AppAreas {
        info,
        callers,
        rows: table_rows(callers),
        sides: side_panels(side, focus, Panel::Codes, Panel::Paths),
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
/// Top user agents and referers: count, value.
const AGENT_COLS: [Col; 2] = [Col::number("requests", 0), Col::name("user agent", 10)];
const REFERER_COLS: [Col; 2] = [Col::number("requests", 0), Col::name("referer", 10)];

/// A `(count, value)` list: top paths, user agents, referers.
struct CountedTable<'a> {
    cols: &'a [Col],
    rows: &'a [(String, String)],
    title: &'a str,
    /// What the panel says without rows.
    empty: &'a str,
}

fn counted_table(
    frame: &mut Frame,
    area: Rect,
    table: CountedTable<'_>,
    focus: Option<usize>,
    theme: &Theme,
) {
    let block = panel(format!(" {} ", table.title), focus.is_some(), theme);
    let rows = table.rows;
    if rows.is_empty() {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        message(frame, inner, table.empty, theme);
        return;
    }
    let list = FittedList {
        cols: table.cols,
        titles: Vec::new(),
        len: rows.len(),
        selected: focus.map(|c| c.min(rows.len() - 1)),
        row_style: &|_| Style::new(),
    };
    fitted_table(frame, block, area, list, theme, |i| {
        let (n, value) = &rows[i];
        vec![(n.clone(), Style::new()), (value.clone(), Style::new())]
    });
}

fn list_of<'a>(cols: &'a [Col], list: &'a CountedList) -> CountedTable<'a> {
    CountedTable {
        cols,
        rows: &list.rows,
        title: &list.title,
        empty: &list.empty,
    }
}

/// The side panels of a detail view, each drawn focused or not, or alone full screen.
struct Sides<'a> {
    codes: &'a [(String, String, String, Tone)],
    paths: &'a [(String, String)],
    paths_title: &'a str,
    agents: &'a AgentPanels,
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
            Panel::Paths => {
                let paths = CountedTable {
                    cols: &PATH_COLS,
                    rows: self.paths,
                    title: self.paths_title,
                    empty: "no paths",
                };
                counted_table(frame, area, paths, cursor, theme);
            }
            Panel::Agents => {
                let agents = list_of(&AGENT_COLS, &self.agents.user_agents);
                counted_table(frame, area, agents, cursor, theme);
            }
            Panel::Referers => {
                let referers = list_of(&REFERER_COLS, &self.agents.referers);
                counted_table(frame, area, referers, cursor, theme);
            }
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
        agents: &a.agents,
        latency: a.latency.as_ref(),
        chart: &a.chart,
    };
    if sides.zoomed(frame, body, ui, theme) {
        return;
    }
    let f = ui.top();
    let areas = app_areas(body, f.panel);
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
    for (side, area) in areas.sides {
        sides.draw(frame, side, area, ui, theme);
    }
    sides.draw(frame, Panel::Latency, areas.latency, ui, theme);
    sides.draw(frame, Panel::Chart, areas.chart, ui, theme);
}

pub fn draw_host(frame: &mut Frame, body: Rect, h: &HostDetail, ui: &UiState, theme: &Theme) {
    let sides = Sides {
        codes: &h.status_codes,
        paths: &h.paths,
        paths_title: &h.paths_title,
        agents: &h.agents,
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
    let [left, right] =
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
    // Codes over referers on the left, paths over user agents on the right when tall enough;
    // shorter, the pair of the focused panel (see the module comment).
    let focus = ui.top().panel;
    let agents_focused = matches!(focus, Panel::Agents | Panel::Referers);
    if middle.height >= HOST_FOUR_PANELS_FROM {
        let halves = [Constraint::Percentage(50), Constraint::Percentage(50)];
        let [codes, referers] = Layout::vertical(halves).areas(left);
        let [paths, agents] = Layout::vertical(halves).areas(right);
        sides.draw(frame, Panel::Codes, codes, ui, theme);
        sides.draw(frame, Panel::Referers, referers, ui, theme);
        sides.draw(frame, Panel::Paths, paths, ui, theme);
        sides.draw(frame, Panel::Agents, agents, ui, theme);
    } else if agents_focused {
        // Alone across the row: user agents and referers are long.
        sides.draw(frame, focus, middle, ui, theme);
    } else {
        sides.draw(frame, Panel::Codes, left, ui, theme);
        sides.draw(frame, Panel::Paths, right, ui, theme);
    }
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
