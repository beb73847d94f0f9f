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
        StartProgress::headless().0
    }

    /// Headless progress: problems go to standard error as they happen, and the receiver lets
    /// [`say_slow_steps`] say a step that waits without any answer yet.
    pub fn headless() -> (StartProgress, watch::Receiver<Option<StartStep>>) {
        let (mut progress, rx) = StartProgress::new();
        progress.watched = false;
        (progress, rx)
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

/// After how long a start-up step with no answer at all is said (headless): a retry says its
/// own problem, but the first try of an endpoint that never answers lasts a whole operation
/// timeout (10 s by default), too long to leave standard error silent.
pub const SLOW_STEP: std::time::Duration = std::time::Duration::from_secs(3);

/// The line to say for a step still waiting at `now_ms` without a problem reported, once it has
/// lasted [`SLOW_STEP`].
pub fn slow_step_notice(step: &StartStep, now_ms: i64) -> Option<String> {
    let waited = now_ms.saturating_sub(step.since_ms);
    (step.problem.is_none() && waited >= SLOW_STEP.as_millis() as i64).then(|| {
        format!(
            "kinetop: {}: no answer yet after {} s; still trying",
            step.what,
            waited / 1000
        )
    })
}

/// Headless: says on standard error each start-up step that waits [`SLOW_STEP`] without any
/// answer, once per step. Runs until start-up ends (the caller drops it).
pub async fn say_slow_steps(mut rx: watch::Receiver<Option<StartStep>>) {
    let mut said: Option<(String, i64)> = None;
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
    loop {
        tick.tick().await;
        let step = rx.borrow_and_update().clone();
        let Some(step) = step else { continue };
        let key = (step.what.clone(), step.since_ms);
        if said.as_ref() == Some(&key) {
            continue;
        }
        if let Some(line) = slow_step_notice(&step, now_ms()) {
            eprintln!("{line}");
            said = Some(key);
        }
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

    #[test]
    fn a_step_without_an_answer_is_said_after_a_while() {
        let step = StartStep {
            what: "loading metadata from s3://ops/hosts.csv".into(),
            since_ms: 10_000,
            problem: None,
        };
        assert_eq!(slow_step_notice(&step, 12_999), None, "not yet");
        assert_eq!(
            slow_step_notice(&step, 13_000).as_deref(),
            Some("kinetop: loading metadata from s3://ops/hosts.csv: no answer yet after 3 s; still trying")
        );
        let retried = StartStep {
            problem: Some("s3: no answer: retrying in 1 s".into()),
            ..step
        };
        assert_eq!(
            slow_step_notice(&retried, 20_000),
            None,
            "a problem says itself"
        );
    }
}
