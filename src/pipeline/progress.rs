//! What start-up is waiting for (loading metadata from S3, connecting to a stream), so the TUI
//! can say it, with how long, instead of a blank screen while an endpoint does not answer.

use tokio::sync::watch;

use super::now_ms;

/// One step of start-up, in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartStep {
    /// `loading metadata from s3://ops/hosts.csv`.
    pub what: String,
    /// When the step began (UTC epoch milliseconds, wall clock).
    pub since_ms: i64,
}

/// The sending side, handed to start-up; cheap to clone.
#[derive(Debug, Clone)]
pub struct StartProgress {
    tx: watch::Sender<Option<StartStep>>,
}

impl StartProgress {
    /// A new progress and the receiver a screen watches.
    pub fn new() -> (StartProgress, watch::Receiver<Option<StartStep>>) {
        let (tx, rx) = watch::channel(None);
        (StartProgress { tx }, rx)
    }

    /// Progress nobody watches (headless).
    pub fn unwatched() -> StartProgress {
        StartProgress::new().0
    }

    /// Start-up now waits for `what`.
    pub fn step(&self, what: impl Into<String>) {
        self.tx.send_replace(Some(StartStep {
            what: what.into(),
            since_ms: now_ms(),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_reaches_the_watcher_with_its_start() {
        let (progress, rx) = StartProgress::new();
        assert_eq!(*rx.borrow(), None);
        let before = now_ms();
        progress.step("connecting to Kinesis stream web-logs");
        let step = rx.borrow().clone().unwrap();
        assert_eq!(step.what, "connecting to Kinesis stream web-logs");
        assert!(step.since_ms >= before);
        StartProgress::unwatched().step("nobody listens: no panic");
    }
}
