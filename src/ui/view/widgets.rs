//! Building blocks shared by the views: framed panels, charts, latency bars, scrolled tables.

use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, BorderType, Chart as ChartWidget, Dataset, GraphType, Paragraph,
};
use ratatui::Frame;

use crate::ui::app::model::{safe, Chart, Histogram, Tone};

use super::Theme;

/// A bordered panel with a title; the focused one stands out.
pub fn panel<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border(focused))
        .title(title)
}

/// Where the rows of a [`super::columns::fitted_table`] drawn in `area` land: inside the border, below the
/// header (for mouse clicks).
pub fn table_rows(area: Rect) -> Rect {
    Rect::new(
        area.x + 1,
        area.y + 2,
        area.width.saturating_sub(2),
        area.height.saturating_sub(3),
    )
}

/// `key value   key value …`: keys dim, values accented.
pub fn key_values<'a>(pairs: &'a [(String, String)], theme: &Theme) -> Line<'a> {
    key_value_lines(pairs, usize::MAX, theme)
        .pop()
        .unwrap_or_default()
}

/// Like [`key_values`], packed into lines of at most `width` columns: a pair never splits, so no
/// number is cut however narrow the panel.
pub fn key_value_lines<'a>(
    pairs: &'a [(String, String)],
    width: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut lines: Vec<Line<'a>> = Vec::new();
    let mut used = 0usize;
    for (k, v) in pairs {
        let pair = k.chars().count() + 1 + v.chars().count();
        let line = match lines.last_mut() {
            Some(line) if used + 3 + pair <= width => {
                line.spans.push(Span::raw("   "));
                used += 3 + pair;
                line
            }
            _ => {
                used = pair;
                lines.push(Line::default());
                lines.last_mut().expect("a line was just pushed")
            }
        };
        line.spans
            .push(Span::styled(format!("{k} "), theme.tone(Tone::Dim)));
        line.spans
            .push(Span::styled(v.as_str(), theme.tone(Tone::Accent)));
    }
    lines
}

/// A list title with the filter in effect, if any.
pub fn list_title(title: &str, filter: &str) -> String {
    if filter.is_empty() {
        format!(" {title} ")
    } else {
        format!(" {title} · filter “{}” ", safe(filter))
    }
}

/// A centred message inside a panel (empty states), wrapped when the panel is narrow.
pub fn message(frame: &mut Frame, area: Rect, text: &str, theme: &Theme) {
    if area.height == 0 || area.width < 3 {
        return;
    }
    let width = area.width - 2;
    let lines = (text.chars().count() as u16).div_ceil(width).max(1);
    let y = area.y + area.height.saturating_sub(lines) / 2;
    let style = theme.tone(crate::ui::app::model::Tone::Dim);
    frame.render_widget(
        Paragraph::new(Span::styled(text.to_string(), style))
            .alignment(Alignment::Center)
            .wrap(ratatui::widgets::Wrap { trim: true }),
        Rect::new(area.x + 1, y, width, area.height - (y - area.y)),
    );
}

pub fn draw_chart(frame: &mut Frame, area: Rect, chart: &Chart, focused: bool, theme: &Theme) {
    // The legend sits in the bottom border, so the plot keeps all its room.
    let mut legend = vec![Span::raw(" ")];
    for s in chart.series.iter().filter(|s| !s.name.is_empty()) {
        legend.push(Span::styled(
            format!("■ {} ", s.name),
            theme.series(s.colour),
        ));
    }
    let block =
        panel(format!(" {} ", chart.title), focused, theme).title_bottom(Line::from(legend));
    if chart.series.is_empty() || chart.series.iter().all(|s| s.points.is_empty()) {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        message(frame, inner, "no data", theme);
        return;
    }
    let datasets = chart
        .series
        .iter()
        .map(|s| {
            Dataset::default()
                .name(s.name.as_str())
                .marker(if s.scatter {
                    ratatui::symbols::Marker::Dot
                } else {
                    theme.marker(s.colour)
                })
                .graph_type(if s.scatter {
                    GraphType::Scatter
                } else {
                    GraphType::Line
                })
                .style(theme.series(s.colour))
                .data(&s.points)
        })
        .collect();
    let dim = theme.border(false);
    let widget = ChartWidget::new(datasets)
        .block(block)
        .legend_position(None)
        .x_axis(
            Axis::default()
                .bounds(chart.x_bounds)
                .style(dim)
                .labels(x_labels(&chart.x_labels, area.width)),
        )
        .y_axis(
            Axis::default().bounds(chart.y_bounds).style(dim).labels(
                chart
                    .y_labels
                    .iter()
                    .map(|l| Span::raw(l.as_str()))
                    .collect::<Vec<_>>(),
            ),
        );
    frame.render_widget(widget, area);
}

/// The x axis labels that fit a chart `width` cells wide: all of them, or the first and the last
/// when the middle one would run into them (dated labels in a narrow chart).
fn x_labels(labels: &[String], width: u16) -> Vec<Span<'_>> {
    let needed: usize = labels.iter().map(|l| l.chars().count() + 2).sum();
    // Border, y labels and the axis line take about 12 cells.
    let room = (width as usize).saturating_sub(12);
    let shown: Vec<&String> = if labels.len() > 2 && needed > room {
        vec![&labels[0], &labels[labels.len() - 1]]
    } else {
        labels.iter().collect()
    };
    shown.into_iter().map(|l| Span::raw(l.as_str())).collect()
}

/// Horizontal latency bars, one line per bucket (`≤20ms ████▌   256`), percentiles in the title.
pub fn draw_histogram(
    frame: &mut Frame,
    area: Rect,
    histogram: Option<&Histogram>,
    focused: bool,
    theme: &Theme,
) {
    let Some(h) = histogram else {
        let block = panel(" Latency ", focused, theme);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        message(
            frame,
            inner,
            "no latency in these logs (needs %D or %T)",
            theme,
        );
        return;
    };
    // More buckets than rows: neighbouring buckets share a row (each row `≤` the slowest bound
    // of its group, with their total), so no bucket that holds requests is ever hidden.
    let rows = area.height.saturating_sub(2).max(1) as usize;
    let per_row = h.bars.len().div_ceil(rows).max(1);
    let shown: Vec<(&str, u64)> = h
        .bars
        .chunks(per_row)
        .map(|group| {
            let label = group.last().map_or("", |(l, _)| l.as_str());
            (label, group.iter().map(|(_, n)| n).sum())
        })
        .collect();
    let title = if per_row > 1 {
        // "Latency · p50 …" → "Latency (2 buckets a row) · p50 …"
        h.title
            .replacen(" · ", &format!(" ({per_row} buckets a row) · "), 1)
    } else {
        h.title.clone()
    };
    let room = area.width.saturating_sub(4) as usize;
    let title = format!(" {} ", super::columns::ellipsize(&title, room));
    let block = panel(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let label_width = shown
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let count_width = shown
        .iter()
        .map(|(_, n)| crate::ui::app::format::count(*n).len())
        .max()
        .unwrap_or(0);
    let bar_width = (inner.width as usize).saturating_sub(label_width + count_width + 2);
    let max = shown.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let lines: Vec<Line> = shown
        .iter()
        .map(|&(label, n)| {
            Line::from(vec![
                Span::styled(
                    format!("{label:>label_width$} "),
                    theme.tone(crate::ui::app::model::Tone::Dim),
                ),
                Span::styled(bar(n, max, bar_width), theme.bar()),
                Span::raw(format!(" {}", crate::ui::app::format::count(n))),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A bar of `width` cells for `n / max`, with eighth blocks for the last cell.
fn bar(n: u64, max: u64, width: usize) -> String {
    const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (n as u128 * width as u128 * 8 / max as u128) as usize;
    let mut out = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        out.push(EIGHTHS[eighths % 8]);
    }
    if n > 0 && out.is_empty() {
        out.push('▏');
    }
    let pad = width.saturating_sub(out.chars().count());
    out.extend(std::iter::repeat_n(' ', pad));
    out
}
