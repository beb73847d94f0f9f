//! Tables that never cut a value silently. Each column is as wide as its widest cell on screen
//! (and its title); when the row is too wide, whole columns give way by priority, and only the
//! one flexible column (a name, a path, a text) is shortened, visibly, with `…`.

use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table};
use ratatui::Frame;

use super::{scroll_offset, Theme};

/// How one column behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Col {
    pub title: &'static str,
    pub align: Alignment,
    /// 0 is never dropped; otherwise the highest number goes first when space is short.
    pub priority: u8,
    /// A column that takes what is left and is shortened with `…`; several share what is
    /// left in their order.
    pub flex: bool,
    /// A flexible column shortened from the left (`…/access.log:123`: the end says most).
    pub keep_end: bool,
    /// The narrowest a flexible column may become.
    pub min: u16,
}

impl Col {
    pub const fn name(title: &'static str, min: u16) -> Col {
        Col {
            title,
            align: Alignment::Left,
            priority: 0,
            flex: true,
            keep_end: false,
            min,
        }
    }

    /// A path or origin: flexible, shortened from the left.
    pub const fn path(title: &'static str, min: u16) -> Col {
        Col {
            keep_end: true,
            ..Col::name(title, min)
        }
    }

    pub const fn number(title: &'static str, priority: u8) -> Col {
        Col {
            title,
            align: Alignment::Right,
            priority,
            flex: false,
            keep_end: false,
            min: 0,
        }
    }

    pub const fn text(title: &'static str, priority: u8) -> Col {
        Col {
            title,
            align: Alignment::Left,
            priority,
            flex: false,
            keep_end: false,
            min: 0,
        }
    }
}

/// Text width in cells (every character kinetop shows is one cell wide).
pub fn width(text: &str) -> usize {
    text.chars().count()
}

/// `text` in at most `max` cells, ending with `…` when shortened.
pub fn ellipsize(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// `text` in at most `max` cells, shortened from the left (`…/log/access.log`): the end of a
/// path names the file.
pub fn ellipsize_left(text: &str, max: usize) -> String {
    let len = width(text);
    if len <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::from("…");
    out.extend(text.chars().skip(len - (max - 1)));
    out
}

/// The width of each column (`None`: dropped) so that the row fits `available` cells with
/// `spacing` between columns. `needed` is each column's widest cell or title.
pub fn fit(cols: &[Col], needed: &[usize], available: usize, spacing: usize) -> Vec<Option<usize>> {
    let mut shown: Vec<bool> = vec![true; cols.len()];
    loop {
        let fixed: usize = cols
            .iter()
            .zip(needed)
            .zip(&shown)
            .filter(|((c, _), &s)| s && !c.flex)
            .map(|((_, n), _)| *n)
            .sum();
        let flex_min: usize = cols
            .iter()
            .zip(&shown)
            .filter(|(c, &s)| s && c.flex)
            .map(|(c, _)| c.min as usize)
            .sum();
        let count = shown.iter().filter(|&&s| s).count();
        let total = fixed + flex_min + spacing * count.saturating_sub(1);
        let droppable = cols
            .iter()
            .enumerate()
            .filter(|(i, c)| shown[*i] && c.priority > 0)
            .max_by_key(|(i, c)| (c.priority, *i))
            .map(|(i, _)| i);
        match droppable {
            Some(i) if total > available => shown[i] = false,
            _ => {
                let mut spare = available.saturating_sub(total);
                return cols
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        shown[i].then(|| {
                            if c.flex {
                                let min = c.min as usize;
                                let extra = needed[i].saturating_sub(min).min(spare);
                                spare -= extra;
                                min + extra
                            } else {
                                needed[i]
                            }
                        })
                    })
                    .collect();
            }
        }
    }
}

/// One cell: its text and style.
pub type Cell = (String, Style);

/// The shape of a fitted, scrolled list.
pub struct FittedList<'c> {
    pub cols: &'c [Col],
    /// Titles, in `cols` order (with sort arrows), or the columns' own titles when empty.
    pub titles: Vec<String>,
    pub len: usize,
    pub selected: Option<usize>,
    /// Style of a whole row (dim, unknown…), by index.
    pub row_style: &'c dyn Fn(usize) -> Style,
}

/// A table of which only the rows on screen are built (`cells(i)` is called for those alone, so
/// 100,000 rows cost what 30 do), fitted as [`fit`] says.
pub fn fitted_table(
    frame: &mut Frame,
    block: Block,
    area: Rect,
    list: FittedList,
    theme: &Theme,
    cells: impl Fn(usize) -> Vec<Cell>,
) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let visible = inner.height.saturating_sub(1) as usize;
    let offset = scroll_offset(list.selected.unwrap_or(0), visible);
    let end = list.len.min(offset + visible);
    let rows: Vec<(usize, Vec<Cell>)> = (offset..end).map(|i| (i, cells(i))).collect();
    let titles: Vec<String> = if list.titles.is_empty() {
        list.cols.iter().map(|c| c.title.to_string()).collect()
    } else {
        list.titles
    };
    let needed: Vec<usize> = (0..list.cols.len())
        .map(|c| {
            rows.iter()
                .map(|(_, r)| r.get(c).map_or(0, |(t, _)| width(t)))
                .max()
                .unwrap_or(0)
                .max(width(&titles[c]))
        })
        .collect();
    let widths = fit(list.cols, &needed, inner.width as usize, 1);
    let shown: Vec<(usize, usize)> = widths
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.map(|w| (i, w)))
        .collect();
    let line = |text: &str, style: Style, c: usize, w: usize| {
        let col = &list.cols[c];
        let text = if col.flex && col.keep_end {
            ellipsize_left(text, w)
        } else if col.flex {
            ellipsize(text, w)
        } else {
            text.to_string()
        };
        Line::from(Span::styled(text, style)).alignment(col.align)
    };
    let header = Row::new(
        shown
            .iter()
            .map(|&(c, w)| line(&titles[c], Style::new(), c, w))
            .collect::<Vec<_>>(),
    )
    .style(theme.header());
    let body: Vec<Row> = rows
        .iter()
        .map(|(i, r)| {
            let row = Row::new(
                shown
                    .iter()
                    .map(|&(c, w)| {
                        let (text, style) = r.get(c).cloned().unwrap_or_default();
                        line(&text, style, c, w)
                    })
                    .collect::<Vec<_>>(),
            );
            if Some(*i) == list.selected {
                row.style(theme.selected())
            } else {
                row.style((list.row_style)(*i))
            }
        })
        .collect();
    let constraints: Vec<Constraint> = shown
        .iter()
        .map(|&(_, w)| Constraint::Length(w as u16))
        .collect();
    frame.render_widget(
        Table::new(body, constraints)
            .header(header)
            .column_spacing(1),
        inner,
    );
    if list.len > visible && visible > 0 {
        // A position hint instead of a scrollbar: `41–60/1,000`.
        let text = format!(
            " {}–{}/{} ",
            crate::ui::app::format::grouped(offset as u64 + 1),
            crate::ui::app::format::grouped(end as u64),
            crate::ui::app::format::grouped(list.len as u64)
        );
        let w = width(&text) as u16;
        if area.width > w + 4 {
            let at = Rect::new(area.x + area.width - w - 2, area.y + area.height - 1, w, 1);
            frame.render_widget(Paragraph::new(Span::styled(text, theme.border(false))), at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Col; 4] = [
        Col::name("name", 6),
        Col::number("req", 0),
        Col::number("bytes", 3),
        Col::number("p99", 2),
    ];

    #[test]
    fn columns_give_way_by_priority_and_numbers_keep_their_width() {
        let needed = [20, 9, 9, 6];
        // Room for everything.
        assert_eq!(
            fit(&COLS, &needed, 60, 1),
            [Some(20), Some(9), Some(9), Some(6)]
        );
        // Short: the name shrinks to what is left, down to its minimum.
        assert_eq!(
            fit(&COLS, &needed, 40, 1),
            [Some(13), Some(9), Some(9), Some(6)]
        );
        // Shorter: bytes (priority 3) goes first, whole; then p99.
        assert_eq!(
            fit(&COLS, &needed, 30, 1),
            [Some(13), Some(9), None, Some(6)]
        );
        assert_eq!(fit(&COLS, &needed, 17, 1), [Some(7), Some(9), None, None]);
        // Never below the essentials: numbers are not cut, the name keeps its minimum.
        assert_eq!(fit(&COLS, &needed, 5, 1), [Some(6), Some(9), None, None]);
    }

    #[test]
    fn flexible_columns_share_what_is_left_in_order() {
        let cols = [
            Col::path("origin", 16),
            Col::text("reason", 0),
            Col::name("line", 10),
        ];
        let needed = [71, 48, 70];
        assert_eq!(fit(&cols, &needed, 78, 1), [Some(18), Some(48), Some(10)]);
        assert_eq!(fit(&cols, &needed, 158, 1), [Some(71), Some(48), Some(37)]);
    }

    #[test]
    fn shortened_text_says_so() {
        assert_eq!(ellipsize("checkout-service", 8), "checkou…");
        assert_eq!(ellipsize("search", 8), "search");
        assert_eq!(
            ellipsize_left("/var/log/apache2/access.log", 14),
            "…e2/access.log"
        );
        assert_eq!(ellipsize_left("a.log", 14), "a.log");
    }
}
