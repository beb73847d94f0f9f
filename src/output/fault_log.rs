//! Headless, trouble is said on standard error: one line per change of state of each source
//! (a problem appears, becomes another, clears), at most one line per source per
//! [`FaultLog::MIN_GAP`]. The same texts the TUI shows in its status bar and inputs view:
//!
//! ```text
//! kinesis: no answer from http://127.0.0.1:4567: retrying in 4 s (3rd try, last success 12 s ago)
//! kinesis:web-logs: recovered after 34 s
//! ```
//!
//! Another try of the same failure is not a change of state (see [`crate::aws::retry::state_of`]),
//! so a source retrying for an hour writes one line, not one per try. Changes that come faster
//! than the gap are folded: when the gap has passed, the state at that moment is written (if it
//! differs from the last one written), and at the end of the run the last state is always said.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::aws::retry::{age, state_of};
use crate::enrich::metadata::MetadataStatus;
use crate::source::status::SourceStatus;

/// What was said about one source, and what is true now.
#[derive(Debug, Default)]
struct Said {
    /// The state last written (`None`: fine, or nothing written yet).
    written_state: Option<String>,
    written_at: Option<Instant>,
    /// The problem in effect now, as its full text.
    current: Option<String>,
    /// Since when a problem has been in effect (for the recovery line).
    trouble_since: Option<Instant>,
}

/// Writes the lines; see the module docs.
pub struct FaultLog {
    out: Box<dyn Write + Send>,
    sources: BTreeMap<String, Said>,
    /// The metadata refresher's state (an `s3://` file that cannot be fetched, a broken edit).
    metadata: Option<watch::Receiver<MetadataStatus>>,
}

impl FaultLog {
    /// At most one line per source this often.
    pub const MIN_GAP: Duration = Duration::from_secs(10);

    pub fn new(out: Box<dyn Write + Send>) -> Self {
        FaultLog {
            out,
            sources: BTreeMap::new(),
            metadata: None,
        }
    }

    /// To standard error.
    pub fn to_stderr() -> Self {
        Self::new(Box::new(std::io::stderr()))
    }

    /// Also says the metadata refresher's failures and recoveries.
    pub fn watch_metadata(&mut self, metadata: watch::Receiver<MetadataStatus>) {
        self.metadata = Some(metadata);
    }

    /// A source's new status.
    pub fn observe(&mut self, status: &SourceStatus, now: Instant) {
        self.observe_problem(&status.name, status.problem.as_deref(), now);
    }

    /// The metadata file's state: `error` as the refresher or loader says it (starting with
    /// the path or `s3://` URL).
    pub fn observe_metadata(&mut self, origin: &str, error: Option<&str>, now: Instant) {
        let problem = error.map(|e| format!("metadata {e}"));
        self.observe_problem(&format!("metadata {origin}"), problem.as_deref(), now);
    }

    fn observe_problem(&mut self, source: &str, problem: Option<&str>, now: Instant) {
        let said = self.sources.entry(source.to_string()).or_default();
        match problem {
            // Trouble lasts, as far as the reader knows, until a recovery is written.
            Some(_) if said.trouble_since.is_none() => said.trouble_since = Some(now),
            // Cleared before a word was said about it: forgotten.
            None if said.written_state.is_none() => said.trouble_since = None,
            _ => {}
        }
        said.current = problem.map(str::to_string);
        self.write_due(source, now);
    }

    /// Writes what became due since (call it often, e.g. every 100 ms).
    pub fn tick(&mut self, now: Instant) {
        if let Some(metadata) = self.metadata.as_mut() {
            if metadata.has_changed().unwrap_or(false) {
                let status = metadata.borrow_and_update();
                let origin = status.origin.clone().unwrap_or_default();
                let error = status.error.clone();
                drop(status);
                self.observe_metadata(&origin, error.as_deref(), now);
            }
        }
        let due: Vec<String> = self
            .sources
            .iter()
            .filter(|(_, said)| said.changed())
            .map(|(name, _)| name.clone())
            .collect();
        for source in due {
            self.write_due(&source, now);
        }
    }

    /// At the end of the run: every state not yet said, whatever the gap.
    pub fn flush(&mut self, now: Instant) {
        self.tick(now);
        let names: Vec<String> = self.sources.keys().cloned().collect();
        for source in names {
            self.write(&source, now);
        }
        let _ = self.out.flush();
    }

    fn write_due(&mut self, source: &str, now: Instant) {
        let Some(said) = self.sources.get(source) else {
            return;
        };
        let gap_passed = said
            .written_at
            .is_none_or(|t| now.saturating_duration_since(t) >= Self::MIN_GAP);
        if gap_passed {
            self.write(source, now);
        }
    }

    /// Writes the current state if it is not the one last written.
    fn write(&mut self, source: &str, now: Instant) {
        let Some(said) = self.sources.get_mut(source) else {
            return;
        };
        if !said.changed() {
            return;
        }
        let line = match &said.current {
            Some(problem) => problem.clone(),
            None => {
                let lasted = said
                    .trouble_since
                    .map(|t| format!(" after {}", age(now.saturating_duration_since(t))))
                    .unwrap_or_default();
                said.trouble_since = None;
                format!("{source}: recovered{lasted}")
            }
        };
        said.written_state = said.current.as_deref().map(|p| state_of(p).to_string());
        said.written_at = Some(now);
        // Headless standard error is for people: one line, nothing that moves a terminal.
        let line = crate::output::sanitize::for_display(&line, 1000);
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
    }
}

impl Said {
    /// Whether the state now differs from the one last written.
    fn changed(&self) -> bool {
        self.current.as_deref().map(state_of) != self.written_state.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer the test can read.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn lines(&self) -> Vec<String> {
            let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
            text.lines().map(str::to_string).collect()
        }
    }

    fn status(problem: Option<&str>) -> SourceStatus {
        SourceStatus {
            name: "kinesis:web".into(),
            problem: problem.map(str::to_string),
            ..SourceStatus::default()
        }
    }

    const NO_ANSWER: &str = "kinesis: no answer from http://127.0.0.1:4567";

    fn no_answer(try_number: &str, delay: &str) -> String {
        format!("{NO_ANSWER}: retrying in {delay} ({try_number} try, no success yet)")
    }

    #[test]
    fn one_line_per_change_of_state_not_per_try() {
        let out = Shared::default();
        let mut log = FaultLog::new(Box::new(out.clone()));
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        log.observe(&status(None), at(0));
        assert!(out.lines().is_empty(), "nothing to say while all is well");
        log.observe(&status(Some(&no_answer("2nd", "200 ms"))), at(1));
        assert_eq!(out.lines(), [no_answer("2nd", "200 ms")]);
        // More tries of the same failure, over a minute: nothing more.
        for s in 2..60 {
            log.observe(&status(Some(&no_answer("9th", "10 s"))), at(s));
            log.tick(at(s));
        }
        assert_eq!(out.lines().len(), 1);
        log.observe(&status(None), at(61));
        assert_eq!(out.lines()[1], "kinesis:web: recovered after 60 s");
    }

    #[test]
    fn at_most_one_line_per_source_per_gap_and_the_last_state_at_the_end() {
        let out = Shared::default();
        let mut log = FaultLog::new(Box::new(out.clone()));
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        log.observe(&status(Some(&no_answer("2nd", "200 ms"))), at(0));
        // Recovers and fails otherwise within the gap: folded, not written yet.
        log.observe(&status(None), at(1_000));
        let refused = "kinesis: connection refused by http://127.0.0.1:4567: retrying in 1 s (2nd try, last success 1 s ago)";
        log.observe(&status(Some(refused)), at(2_000));
        log.tick(at(9_999));
        assert_eq!(out.lines().len(), 1);
        // The gap has passed: the state then is written, once.
        log.tick(at(10_000));
        log.tick(at(10_100));
        assert_eq!(
            out.lines(),
            [no_answer("2nd", "200 ms"), refused.to_string()]
        );
        // A recovery 1 s later is only said at the end of the run.
        log.observe(&status(None), at(11_000));
        log.tick(at(12_000));
        assert_eq!(out.lines().len(), 2);
        log.flush(at(12_400));
        assert_eq!(out.lines()[2], "kinesis:web: recovered after 12 s");
        // Each source has its own gap.
        let mut other = status(Some("waiting for /var/log/a.log"));
        other.name = "/var/log/a.log".into();
        log.observe(&other, at(12_600));
        assert_eq!(out.lines()[3], "waiting for /var/log/a.log");
    }

    #[test]
    fn a_blip_that_clears_within_the_gap_after_a_recovery_line_is_folded_away() {
        let out = Shared::default();
        let mut log = FaultLog::new(Box::new(out.clone()));
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        log.observe(&status(Some(&no_answer("2nd", "200 ms"))), at(0));
        log.observe(&status(None), at(20_000));
        log.observe(&status(Some(&no_answer("2nd", "200 ms"))), at(21_000));
        log.observe(&status(None), at(22_000));
        log.flush(at(40_000));
        assert_eq!(
            out.lines(),
            [
                no_answer("2nd", "200 ms"),
                "kinesis:web: recovered after 20 s".to_string()
            ]
        );
    }

    #[test]
    fn metadata_failures_are_said_too() {
        let out = Shared::default();
        let mut log = FaultLog::new(Box::new(out.clone()));
        let (tx, rx) = watch::channel(crate::enrich::metadata::no_metadata_status());
        log.watch_metadata(rx);
        let t0 = Instant::now();
        log.tick(t0);
        assert!(out.lines().is_empty());
        tx.send_modify(|s| {
            s.origin = Some("s3://b/hosts.csv".into());
            s.error = Some("s3://b/hosts.csv: access denied".into());
        });
        log.tick(t0 + Duration::from_millis(100));
        assert_eq!(out.lines(), ["metadata s3://b/hosts.csv: access denied"]);
        tx.send_modify(|s| s.error = None);
        log.flush(t0 + Duration::from_secs(30));
        assert_eq!(
            out.lines()[1],
            "metadata s3://b/hosts.csv: recovered after 30 s"
        );
    }

    #[test]
    fn escape_sequences_never_reach_the_terminal() {
        let out = Shared::default();
        let mut log = FaultLog::new(Box::new(out.clone()));
        log.observe(
            &status(Some("kinesis: bad \u{1b}[2J answer")),
            Instant::now(),
        );
        assert!(!out.lines()[0].contains('\u{1b}'), "{:?}", out.lines());
    }
}
