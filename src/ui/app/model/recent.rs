//! The recent requests view's model (`r`): an application's (or one caller's) most recent raw
//! requests, newest first, sanitized. They come from the engine's rings, not from a window, so
//! they are always the newest: live while following, frozen while paused.

use crate::output::sanitize::for_display;
use crate::pipeline::recent::{RecentRequest, LINE_BYTES, PER_APP};
use crate::pipeline::snapshot::Snapshot;
use crate::ui::app::format;

use super::safe;

/// Column titles of the recent requests table.
pub const RECENT_COLUMNS: [&str; 5] = ["time", "caller", "status", "latency", "request"];

/// One request, its cells ready to draw (already safe to show).
#[derive(Debug, Clone, PartialEq)]
pub struct RecentRow {
    pub time: String,
    pub caller: String,
    pub status: String,
    /// Whether the status is a server error (drawn as bad).
    pub server_error: bool,
    pub latency: String,
    pub line: String,
}

impl RecentRow {
    /// Cells in [`RECENT_COLUMNS`] order.
    pub fn cells(&self) -> [String; 5] {
        [
            self.time.clone(),
            self.caller.clone(),
            self.status.clone(),
            self.latency.clone(),
            request_part(&self.line).to_string(),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecentView {
    pub title: String,
    /// Newest first.
    pub rows: Vec<RecentRow>,
    /// Why the list is empty, when it is.
    pub empty: Option<String>,
}

fn row(r: &RecentRequest) -> RecentRow {
    RecentRow {
        time: format::clock(r.time),
        caller: safe(&r.client),
        status: if r.status == 0 {
            "–".into()
        } else {
            r.status.to_string()
        },
        server_error: r.status >= 500,
        latency: r
            .latency_us
            .map(format::latency_us)
            .unwrap_or_else(|| "–".into()),
        // Escaped, never raw: a log line may carry terminal escape sequences.
        line: for_display(&r.line, LINE_BYTES + 1).into_owned(),
    }
}

/// The request column: the line from its quoted request on (`"GET /a HTTP/1.1" 200 …`); the
/// caller and time before it have their own columns, and the whole line is shown below.
pub fn request_part(line: &str) -> &str {
    line.find('"').map_or(line, |at| &line[at..])
}

pub fn recent_view(snapshot: &Snapshot, app: &str, host: Option<&str>) -> RecentView {
    let ring = snapshot.recent.get(app);
    let rows: Vec<RecentRow> = ring
        .map(|ring| {
            ring.newest_first()
                .filter(|r| host.is_none_or(|h| &*r.client == h))
                .map(row)
                .collect()
        })
        .unwrap_or_default();
    let live = if snapshot.finished {
        "input ended"
    } else {
        "live"
    };
    let title = match host {
        None => format!(
            "Recent requests of {} · last {PER_APP}, newest first · {live}",
            safe(app)
        ),
        Some(h) => format!(
            "Recent requests of {} → {} · {} of its last {PER_APP} · {live}",
            safe(h),
            safe(app),
            rows.len()
        ),
    };
    let empty = rows.is_empty().then(|| match (ring, host) {
        (None, _) => "No request of this application was seen since kinetop started.".to_string(),
        (Some(_), Some(_)) => {
            format!("None of the application's last {PER_APP} requests came from this caller.")
        }
        (Some(_), None) => "No request yet.".to_string(),
    });
    RecentView { title, rows, empty }
}
