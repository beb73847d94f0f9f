//! What a file source says about itself, for the inputs view (`i`) and the status bar: its state,
//! since when, bytes and lines read, how far behind the file's end it is, and its problem.
//! Sent when the state or the problem changes, and at most every [`REPORT_EVERY`] while reading.

use std::time::{Duration, Instant};

use crate::source::status::{PartState, PartStatus, SourceStatus};

/// How often progress (bytes, lines, lag) is reported while nothing else changes.
pub const REPORT_EVERY: Duration = Duration::from_millis(250);

/// One file input's progress.
#[derive(Debug, Clone)]
pub struct FileReport {
    path: String,
    state: PartState,
    /// When `state` began (UTC epoch milliseconds).
    since_ms: i64,
    /// Bytes read from this input, over every file a rotation brought.
    bytes: u64,
    /// Lines delivered, likewise.
    lines: u64,
    /// Position in the current file, and its size at the last look.
    offset: u64,
    size: Option<u64>,
    problem: Option<String>,
    last_sent: Option<Instant>,
    /// Something a reader must hear at once (state, problem) since the last report.
    changed: bool,
}

impl FileReport {
    pub fn new(path: String, state: PartState, now_ms: i64) -> Self {
        FileReport {
            path,
            state,
            since_ms: now_ms,
            bytes: 0,
            lines: 0,
            offset: 0,
            size: None,
            problem: None,
            last_sent: None,
            changed: true,
        }
    }

    pub fn state(&self) -> PartState {
        self.state
    }

    pub fn set_state(&mut self, state: PartState, now_ms: i64) {
        if self.state != state {
            self.state = state;
            self.since_ms = now_ms;
            self.changed = true;
        }
    }

    pub fn set_problem(&mut self, problem: Option<String>) {
        if self.problem != problem {
            self.problem = problem;
            self.changed = true;
        }
    }

    /// `bytes` more were read from the current file, holding `lines` complete lines sent on.
    pub fn read(&mut self, bytes: u64) {
        self.bytes += bytes;
        self.offset += bytes;
    }

    pub fn sent_lines(&mut self, lines: u64) {
        self.lines += lines;
    }

    /// A new file starts at its beginning (rotation, truncation, reopening).
    pub fn new_file(&mut self) {
        self.offset = 0;
        self.size = None;
    }

    /// The current file's size, as last seen (for the lag behind its end).
    pub fn set_size(&mut self, size: Option<u64>) {
        self.size = size;
    }

    /// Whether a report is due: something changed, or progress is older than [`REPORT_EVERY`].
    pub fn due(&self, now: Instant) -> bool {
        self.changed
            || self
                .last_sent
                .is_none_or(|t| now.duration_since(t) >= REPORT_EVERY)
    }

    /// The status to send now; marks it sent.
    pub fn take_status(&mut self, now: Instant) -> SourceStatus {
        self.last_sent = Some(now);
        self.changed = false;
        self.status()
    }

    pub fn status(&self) -> SourceStatus {
        let open = self.state != PartState::Ended;
        SourceStatus {
            name: self.path.clone(),
            parts: usize::from(open),
            lag_ms: None,
            records_per_sec: 0.0,
            problem: self.problem.clone(),
            details: vec![PartStatus {
                name: self.path.clone(),
                state: self.state,
                lag_ms: None,
                records: self.lines,
                problem: self.problem.clone(),
                state_since_ms: Some(self.since_ms),
                bytes_read: Some(self.bytes),
                bytes_behind: self.size.map(|size| size.saturating_sub(self.offset)),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_reported_with_lag_behind_the_end() {
        let mut report = FileReport::new("/var/log/a.log".into(), PartState::Reading, 1_000);
        report.set_size(Some(10_000));
        report.read(4_000);
        report.sent_lines(40);
        let now = Instant::now();
        assert!(report.due(now), "the first report is due at once");
        let status = report.take_status(now);
        let part = &status.details[0];
        assert_eq!(part.state, PartState::Reading);
        assert_eq!(
            (part.bytes_read, part.bytes_behind, part.records),
            (Some(4_000), Some(6_000), 40)
        );
        assert_eq!(part.state_since_ms, Some(1_000));
        assert_eq!(status.parts, 1);
        assert!(!report.due(now), "nothing changed since");
        assert!(report.due(now + REPORT_EVERY));
        report.set_state(PartState::Ended, 2_000);
        assert!(report.due(now), "a new state is said at once");
        let status = report.take_status(now);
        assert_eq!(status.parts, 0, "an ended file is no longer open");
        assert_eq!(status.details[0].state, PartState::Ended);
        assert_eq!(status.details[0].state_since_ms, Some(2_000));
    }

    #[test]
    fn rotation_keeps_the_totals_and_restarts_the_position() {
        let mut report = FileReport::new("a.log".into(), PartState::Following, 0);
        report.read(500);
        report.new_file();
        report.set_size(Some(100));
        report.read(60);
        let part = &report.status().details[0];
        assert_eq!((part.bytes_read, part.bytes_behind), (Some(560), Some(40)));
        report.set_problem(Some("waiting for a.log".into()));
        assert_eq!(
            report.status().problem.as_deref(),
            Some("waiting for a.log")
        );
    }
}
