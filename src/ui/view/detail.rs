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

use crate::ui::app::model::{AppDetail, HostDetail, LatencyView, Mark, Tone};
use crate::ui::app::state::UiState;

use super::widgets::{
    draw_chart, draw_histogram, list_title, message, panel, scrolled_table, table_rows, List,
};
use super::Theme;

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

fn codes_table(
    frame: &mut Frame,
    area: Rect,
    codes: &[(String, String, String, Tone)],
    theme: &Theme,
) {
    let block = panel(" Status codes ", false, theme);
    if codes.is_empty() {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        message(frame, inner, "no requests", theme);
        return;
    }
    let rows = codes.iter().map(|(code, n, share, tone)| {
        Row::new(vec![
            Cell::from(Span::styled(code.as_str(), theme.tone(*tone))),
            Cell::from(Line::from(n.as_str()).alignment(Alignment::Right)),
            Cell::from(Line::from(share.as_str()).alignment(Alignment::Right)),
        ])
    });
    let widths = [
        Constraint::Length(5),
        Constraint::Length(9),
        Constraint::Length(6),
    ];
    frame.render_widget(Table::new(rows, widths).block(block), area);
}

fn paths_table(frame: &mut Frame, area: Rect, paths: &[(String, String)], theme: &Theme) {
    let block = panel(" Top paths ", false, theme);
    if paths.is_empty() {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        message(frame, inner, "no paths", theme);
        return;
    }
    let rows = paths.iter().map(|(n, path)| {
        Row::new(vec![
            Cell::from(Line::from(n.as_str()).alignment(Alignment::Right)),
            Cell::from(path.as_str()),
        ])
    });
    let widths = [Constraint::Length(6), Constraint::Min(10)];
    frame.render_widget(Table::new(rows, widths).block(block), area);
}

pub fn draw_app(frame: &mut Frame, body: Rect, a: &AppDetail, ui: &UiState, theme: &Theme) {
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

    let block = panel(list_title(&a.callers_title, &f.filter), true, theme);
    if a.callers.is_empty() {
        let inner = block.inner(areas.callers);
        frame.render_widget(block, areas.callers);
        message(frame, inner, "no callers", theme);
    } else {
        // Narrow: bytes and p50 give way, so names and the error rates stay readable.
        let columns: &[usize] = if areas.callers.width < 70 {
            &[0, 1, 3, 4, 6]
        } else {
            &[0, 1, 2, 3, 4, 5, 6]
        };
        let all_widths = [
            Constraint::Min(15),
            Constraint::Length(6),
            Constraint::Length(9),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(6),
            Constraint::Length(6),
        ];
        let widths: Vec<Constraint> = columns.iter().map(|&c| all_widths[c]).collect();
        let align = |c: usize| {
            if c == 0 {
                Alignment::Left
            } else {
                Alignment::Right
            }
        };
        let headers = columns
            .iter()
            .map(|&c| Line::from(a.headers[c].clone()).alignment(align(c)))
            .collect();
        let row_style = if a.unknown {
            theme.unknown()
        } else {
            Style::new()
        };
        let list = List {
            headers,
            widths: &widths,
            len: a.callers.len(),
            selected: Some(f.selected),
        };
        scrolled_table(frame, block, areas.callers, list, theme, |i| {
            let cells = a.callers[i].cells();
            Row::new(
                columns
                    .iter()
                    .map(|&c| Cell::from(Line::from(cells[c].clone()).alignment(align(c)))),
            )
            .style(row_style)
        });
    }
    codes_table(frame, areas.codes, &a.status_codes, theme);
    paths_table(frame, areas.paths, &a.paths, theme);
    draw_histogram(frame, areas.latency, a.latency.as_ref(), theme);
    draw_chart(frame, areas.chart, &a.chart, theme);
}

pub fn draw_host(frame: &mut Frame, body: Rect, h: &HostDetail, _ui: &UiState, theme: &Theme) {
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
    codes_table(frame, codes, &h.status_codes, theme);
    paths_table(frame, paths, &h.paths, theme);
    draw_histogram(frame, latency, h.latency.as_ref(), theme);
    draw_chart(frame, chart, &h.chart, theme);
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
    draw_histogram(frame, bars, Some(h), theme);
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
