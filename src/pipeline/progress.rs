//! What start-up is waiting for (loading metadata from S3, connecting to a stream), so the TUI
//! can say it, with how long, instead of a blank screen while an endpoint does not answer.

use tokio::sync::watch;

use crate::clock::now_ms;

/// One step of start-up, in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartStep {
    /// `loading metadata from s3://ops/hosts.csv`.
    pub what: String,
    /// When the step began (UTC epoch milliseconds, wall clock).
    pub since_ms: i64,
    /// Why it is taking long, while it is retried (`s3: no answer from …: retrying in 4 s`).
    pub problem: Option<String>,
}

/// The sending side, handed to start-up; cheap to clone.
#[derive(Debug, Clone)]
pub struct StartProgress {
    tx: watch::Sender<Option<StartStep>>,
    /// Whether a screen shows it (else problems go to standard error).
    watched: bool,
}

impl StartProgress {
    /// A new progress and the receiver a screen watches.
    pub fn new() -> (StartProgress, watch::Receiver<Option<StartStep>>) {
        let (tx, rx) = watch::channel(None);
        (StartProgress { tx, watched: true }, rx)
    }

    /// Progress nobody watches (headless).
    pub fn unwatched() -> StartProgress {
        StartProgress {
            watched: false,
            ..StartProgress::new().0
        }
    }

    /// Whether a screen shows this progress (headless, problems go to standard error instead).
    pub fn is_watched(&self) -> bool {
        self.watched
    }

    /// The current step's problem, or that it cleared.
    pub fn problem(&self, problem: Option<&str>) {
        self.tx.send_if_modified(|step| match step {
            Some(step) if step.problem.as_deref() != problem => {
                step.problem = problem.map(str::to_owned);
                true
            }
            _ => false,
        });
    }

    /// Start-up now waits for `what`.
    pub fn step(&self, what: impl Into<String>) {
        self.tx.send_replace(Some(StartStep {
            what: what.into(),
            since_ms: now_ms(),
            problem: None,
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
        progress.problem(Some(
            "kinesis: no answer from http://127.0.0.1:9: retrying in 4 s",
        ));
        assert!(rx.borrow().as_ref().unwrap().problem.is_some());
        progress.problem(None);
        assert_eq!(rx.borrow().as_ref().unwrap().problem, None);
        StartProgress::unwatched().step("nobody listens: no panic");
    }
}
