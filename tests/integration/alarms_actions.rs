//! Alarm actions with real commands and files: the alarm JSON on standard input, environment
//! variables, appends, timeouts (the whole process group is killed), failures counted, on-ok only
//! on recovery, per-alarm order, and a caller that is never blocked.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kinetop::core::alarms::{
    ActionCommand, AlarmAction, AlarmRule, AlarmState, AlarmTransition, Comparison, Metric,
};
use kinetop::output::actions::{ActionOptions, ActionRunner, ActionStats};

const GRACE: Duration = Duration::from_secs(20);

fn shell(text: &str) -> AlarmAction {
    AlarmAction {
        command: Some(ActionCommand::Shell(text.to_string())),
        timeout: AlarmAction::DEFAULT_TIMEOUT,
        append: None,
    }
}

fn append(path: &Path) -> AlarmAction {
    AlarmAction {
        command: None,
        timeout: AlarmAction::DEFAULT_TIMEOUT,
        append: Some(path.to_path_buf()),
    }
}

fn rule(on_alarm: Option<AlarmAction>, on_ok: Option<AlarmAction>) -> AlarmRule {
    let mut rule = AlarmRule::new(
        "checkout-5xx",
        "*",
        Metric::ErrorRate5xx,
        Comparison::Greater,
        0.05,
    )
    .m_of_n(2, 3);
    rule.on_alarm = on_alarm;
    rule.on_ok = on_ok;
    rule
}

fn transition(app: &str, previous: AlarmState, state: AlarmState, minute: i64) -> AlarmTransition {
    AlarmTransition {
        alarm: Arc::from("checkout-5xx"),
        application: Arc::from(app),
        state,
        previous,
        window_start: 1_484_906_400 + 60 * minute,
        value: (state != AlarmState::InsufficientData).then_some(0.12),
        threshold: 0.05,
        band: None,
    }
}

fn to_alarm(app: &str) -> AlarmTransition {
    transition(app, AlarmState::Ok, AlarmState::Alarm, 15)
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn quoted(path: &Path) -> String {
    format!("'{}'", path.display())
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test]
async fn command_gets_the_alarm_json_on_stdin() {
    let dir = temp();
    let out = dir.path().join("out.json");
    let rule = rule(Some(shell(&format!("cat > {}", quoted(&out)))), None);
    let mut runner = ActionRunner::new(std::slice::from_ref(&rule));
    let t = to_alarm("checkout");
    runner.on_transition(&t);
    let stats = runner.finish(GRACE).await;
    assert_eq!(
        stats,
        ActionStats {
            queued: 1,
            succeeded: 1,
            ..Default::default()
        }
    );
    let text = read(&out);
    assert_eq!(
        text,
        format!(
            "{}\n",
            serde_json::to_string(&kinetop::output::lines::AlarmLine::with_rule(&t, &rule))
                .unwrap()
        )
    );
    assert!(
        text.starts_with(r#"{"type":"alarm","alarm":"checkout-5xx","application":"checkout","state":"ALARM","previous":"OK","window_start":"2017-01-20T10:15:00Z","value":0.12,"threshold":0.05,"metric":"error-rate-5xx""#),
        "{text}"
    );
}

#[tokio::test]
async fn argv_command_and_environment() {
    let dir = temp();
    let out = dir.path().join("env.txt");
    let script = r#"printf '%s|%s|%s|%s|%s|%s|%s' "$KINETOP_ALARM" "$KINETOP_APPLICATION" "$KINETOP_STATE" "$KINETOP_PREVIOUS" "$KINETOP_VALUE" "$KINETOP_THRESHOLD" "$KINETOP_WINDOW_START" > "$1""#;
    let action = AlarmAction {
        command: Some(ActionCommand::Argv(vec![
            "sh".into(),
            "-c".into(),
            script.into(),
            "sh".into(),
            out.display().to_string(),
        ])),
        timeout: Duration::from_secs(10),
        append: None,
    };
    let mut runner = ActionRunner::new(&[rule(Some(action), None)]);
    runner.on_transition(&to_alarm("checkout"));
    assert_eq!(runner.finish(GRACE).await.succeeded, 1);
    assert_eq!(
        read(&out),
        "checkout-5xx|checkout|ALARM|OK|0.12|0.05|2017-01-20T10:15:00Z"
    );
}

#[tokio::test]
async fn append_writes_lines_in_order_and_needs_the_directory() {
    let dir = temp();
    let file = dir.path().join("alarms.jsonl");
    let mut runner = ActionRunner::new(&[rule(Some(append(&file)), Some(append(&file)))]);
    let events = [
        transition("checkout", AlarmState::Ok, AlarmState::Alarm, 1),
        transition("search", AlarmState::Ok, AlarmState::Alarm, 1),
        transition("checkout", AlarmState::Alarm, AlarmState::Ok, 4),
        transition("search", AlarmState::Alarm, AlarmState::Ok, 5),
    ];
    for t in &events {
        runner.on_transition(t);
    }
    let stats = runner.finish(GRACE).await;
    assert_eq!((stats.queued, stats.succeeded, stats.failed), (4, 4, 0));
    let lines: Vec<serde_json::Value> = read(&file)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["application"].as_str().unwrap().to_string(),
                l["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("checkout".into(), "ALARM".into()),
            ("search".into(), "ALARM".into()),
            ("checkout".into(), "OK".into()),
            ("search".into(), "OK".into()),
        ]
    );

    // A missing directory is an error (logged and counted), not created.
    let missing: PathBuf = dir.path().join("no-such-dir").join("alarms.jsonl");
    let mut runner = ActionRunner::new(&[rule(Some(append(&missing)), None)]);
    runner.on_transition(&to_alarm("checkout"));
    let stats = runner.finish(GRACE).await;
    assert_eq!((stats.succeeded, stats.failed), (0, 1));
    assert!(!missing.parent().unwrap().exists());
}

#[tokio::test]
async fn timeout_kills_the_command_and_what_it_started() {
    let dir = temp();
    let pid_file = dir.path().join("pid");
    let mut action = shell(&format!(
        "sleep 30 & echo $! > {}; sleep 30",
        quoted(&pid_file)
    ));
    action.timeout = Duration::from_millis(300);
    let mut runner = ActionRunner::new(&[rule(Some(action), None)]);
    let started = Instant::now();
    runner.on_transition(&to_alarm("checkout"));
    let stats = runner.finish(GRACE).await;
    let took = started.elapsed();
    assert_eq!(stats.timed_out, 1, "{stats:?}");
    assert_eq!(stats.succeeded + stats.failed, 0);
    assert!(
        took < Duration::from_secs(10),
        "waited for sleep 30: {took:?}"
    );

    // The background `sleep 30` of the command's shell is gone too (or a zombie awaiting its
    // reaper), not left running.
    let pid: u32 = read(&pid_file).trim().parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit(')').next().map(|r| r.trim().to_string()));
        match state {
            None => break,
            Some(s) if s.starts_with('Z') || s.starts_with('X') => break,
            Some(s) if Instant::now() > deadline => panic!("grandchild {pid} still running: {s}"),
            Some(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

#[tokio::test]
async fn failures_are_counted_not_fatal() {
    let dir = temp();
    let ok = dir.path().join("ok");
    let rules = [rule(
        Some(AlarmAction {
            command: Some(ActionCommand::Argv(vec![
                "/nonexistent/kinetop-pager".into()
            ])),
            timeout: Duration::from_secs(5),
            append: None,
        }),
        Some(shell("echo boom >&2; exit 3")),
    )];
    let mut runner = ActionRunner::new(&rules);
    runner.on_transition(&to_alarm("checkout"));
    runner.on_transition(&transition(
        "checkout",
        AlarmState::Alarm,
        AlarmState::Ok,
        20,
    ));
    let stats = runner.finish(GRACE).await;
    assert_eq!((stats.queued, stats.failed, stats.succeeded), (2, 2, 0));

    // The runner keeps working after failures.
    let rules = [rule(Some(shell(&format!("touch {}", quoted(&ok)))), None)];
    let mut runner = ActionRunner::new(&rules);
    runner.on_transition(&to_alarm("checkout"));
    assert_eq!(runner.finish(GRACE).await.succeeded, 1);
    assert!(ok.exists());
}

#[tokio::test]
async fn on_ok_runs_only_when_the_alarm_recovers() {
    use AlarmState::{Alarm, InsufficientData as Insufficient, Ok};
    let dir = temp();
    let file = dir.path().join("ok.jsonl");
    let mut runner = ActionRunner::new(&[rule(None, Some(append(&file)))]);
    // Start-up: INSUFFICIENT_DATA → OK is not a recovery.
    runner.on_transition(&transition("checkout", Insufficient, Ok, 0));
    // ALARM → OK is.
    runner.on_transition(&transition("checkout", Ok, Alarm, 1));
    runner.on_transition(&transition("checkout", Alarm, Ok, 2));
    // ALARM → INSUFFICIENT_DATA → OK is too, once.
    runner.on_transition(&transition("checkout", Ok, Alarm, 3));
    runner.on_transition(&transition("checkout", Alarm, Insufficient, 4));
    runner.on_transition(&transition("checkout", Insufficient, Ok, 5));
    runner.on_transition(&transition("checkout", Ok, Insufficient, 6));
    runner.on_transition(&transition("checkout", Insufficient, Ok, 7));
    // Another application's alarm is separate.
    runner.on_transition(&transition("search", Insufficient, Ok, 8));
    let stats = runner.finish(GRACE).await;
    assert_eq!(stats.queued, 2);
    let minutes: Vec<String> = read(&file)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["state"], "OK");
            v["window_start"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(minutes, ["2017-01-20T10:02:00Z", "2017-01-20T10:05:00Z"]);
}

#[tokio::test]
async fn an_alarms_ok_command_waits_for_its_alarm_command() {
    let dir = temp();
    let log = dir.path().join("log");
    let rules = [rule(
        Some(shell(&format!("sleep 0.5; echo alarm >> {}", quoted(&log)))),
        Some(shell(&format!("echo ok >> {}", quoted(&log)))),
    )];
    let mut runner = ActionRunner::new(&rules);
    runner.on_transition(&to_alarm("checkout"));
    runner.on_transition(&transition(
        "checkout",
        AlarmState::Alarm,
        AlarmState::Ok,
        16,
    ));
    assert_eq!(runner.finish(GRACE).await.succeeded, 2);
    assert_eq!(read(&log), "alarm\nok\n");
}

#[tokio::test]
async fn the_caller_is_never_blocked_and_a_flooded_alarm_drops_its_own_commands() {
    let mut action = shell("sleep 5");
    action.timeout = Duration::from_millis(200);
    let options = ActionOptions {
        queue: 4,
        ..ActionOptions::default()
    };
    let mut runner = ActionRunner::with_options(&[rule(Some(action), None)], options);
    let started = Instant::now();
    for _ in 0..100 {
        runner.on_transition(&to_alarm("checkout"));
    }
    // 100 commands of 200 ms each, one alarm's in order, would take 20 s if the caller waited.
    assert!(started.elapsed() < Duration::from_secs(2));
    let stats = runner.stats();
    assert_eq!(stats.queued + stats.dropped, 100);
    // The running one and the four waiting behind it, give or take the one being taken.
    assert!((4..=6).contains(&stats.queued), "{stats:?}");
    let stats = runner.finish(GRACE).await;
    assert_eq!(stats.timed_out, stats.queued, "{stats:?}");
}

/// Whether a process still runs (a zombie awaiting its reaper counts as gone).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| r.trim().to_string()))
        .is_some_and(|s| !s.starts_with('Z') && !s.starts_with('X'))
}

async fn wait_gone(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while running(pid) {
        assert!(Instant::now() < deadline, "process {pid} still running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for_file(path: &Path, within: Duration) {
    let deadline = Instant::now() + within;
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} not written", path.display());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The issue's case: one alarm's command is slow; 8 other applications' alarms have a
/// command and an append each. None of them waits for the slow one.
#[tokio::test]
async fn a_slow_command_delays_no_other_alarm_and_no_append() {
    let dir = temp();
    let appends = dir.path().join("alarms.jsonl");
    let slow_pid = dir.path().join("slow.pid");
    let script = format!(
        "if [ \"$KINETOP_APPLICATION\" = slow ]; then sleep 30 & echo $! > {}; wait; \
         else touch {}/\"$KINETOP_APPLICATION\".done; fi",
        quoted(&slow_pid),
        quoted(dir.path())
    );
    let mut action = shell(&script);
    action.timeout = Duration::from_secs(60);
    action.append = Some(appends.clone());
    let mut runner = ActionRunner::new(&[rule(Some(action), None)]);
    let started = Instant::now();
    runner.on_transition(&to_alarm("slow"));
    wait_for_file(&slow_pid, Duration::from_secs(10)).await;
    let apps: Vec<String> = (0..8).map(|i| format!("app-{i}")).collect();
    for app in &apps {
        runner.on_transition(&to_alarm(app));
    }
    for app in &apps {
        wait_for_file(
            &dir.path().join(format!("{app}.done")),
            Duration::from_secs(10),
        )
        .await;
    }
    // Every append, the slow alarm's included, while its command still runs.
    let deadline = Instant::now() + Duration::from_secs(10);
    while read(&appends).lines().count() < 9 {
        assert!(Instant::now() < deadline, "appends: {}", read(&appends));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Eight commands and nine appends done (a command counts once its process is reaped).
    while runner.stats().succeeded < 8 + 9 {
        assert!(Instant::now() < deadline, "{:?}", runner.stats());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "nothing waited for sleep 30"
    );
    let stats = runner.stats();
    assert_eq!((stats.succeeded, stats.dropped), (8 + 9, 0), "{stats:?}");

    // At the end (a short grace) the slow command is killed with what it started.
    let grandchild: u32 = read(&slow_pid).trim().parse().unwrap();
    assert!(running(grandchild));
    let stats = runner.finish(Duration::from_millis(300)).await;
    assert_eq!(stats.timed_out, 0, "killed at exit, not for its timeout");
    wait_gone(grandchild).await;
}

#[tokio::test]
async fn at_exit_appends_are_written_commands_that_never_ran_are_dropped() {
    let dir = temp();
    let appends = dir.path().join("alarms.jsonl");
    let mut action = shell("sleep 30");
    action.timeout = Duration::from_secs(60);
    action.append = Some(appends.clone());
    let mut runner = ActionRunner::new(&[rule(Some(action), None)]);
    for _ in 0..3 {
        runner.on_transition(&to_alarm("checkout"));
    }
    let started = Instant::now();
    let stats = runner.finish(Duration::from_millis(500)).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    // Three appends written; of three commands one ran (killed) and two never started.
    assert_eq!(read(&appends).lines().count(), 3);
    assert_eq!(
        (stats.queued, stats.succeeded, stats.dropped),
        (6, 3, 2),
        "{stats:?}"
    );
}

#[tokio::test]
async fn stopped_by_a_signal_commands_are_not_waited_for_and_nothing_is_left_behind() {
    let dir = temp();
    let appends = dir.path().join("alarms.jsonl");
    let pid_file = dir.path().join("pid");
    // Exits at once, leaving a background process in its group.
    let mut action = shell(&format!("sleep 30 & echo $! > {}", quoted(&pid_file)));
    action.append = Some(appends.clone());
    let stop = tokio_util::sync::CancellationToken::new();
    let mut runner = ActionRunner::new(&[rule(Some(action), None)]);
    runner.stop_quickly_on(stop.clone());
    runner.on_transition(&to_alarm("checkout"));
    wait_for_file(&pid_file, Duration::from_secs(10)).await;
    let lingering: u32 = read(&pid_file).trim().parse().unwrap();
    runner.on_transition(&transition("search", AlarmState::Ok, AlarmState::Alarm, 16));
    stop.cancel();
    let started = Instant::now();
    let stats = runner.finish(GRACE).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(read(&appends).lines().count(), 2, "appends written at exit");
    assert!(stats.succeeded >= 3, "{stats:?}");
    // The first command's background process did not outlive the runner.
    wait_gone(lingering).await;
}

/// The TUI quits with actions running: the exit handle kills what they started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exit_handle_kills_every_action_process_group() {
    let dir = temp();
    let pid_file = dir.path().join("pid");
    let mut action = shell(&format!(
        "sleep 30 & echo $! > {}; sleep 30",
        quoted(&pid_file)
    ));
    action.timeout = Duration::from_secs(60);
    let mut runner = ActionRunner::new(&[rule(Some(action), None)]);
    let mut exit = runner.exit_handle();
    runner.on_transition(&to_alarm("checkout"));
    wait_for_file(&pid_file, Duration::from_secs(10)).await;
    let grandchild: u32 = read(&pid_file).trim().parse().unwrap();
    tokio::task::spawn_blocking(move || exit.now(Duration::from_millis(100)))
        .await
        .unwrap();
    wait_gone(grandchild).await;
    drop(runner);
}

#[tokio::test]
async fn rules_without_actions_cost_nothing() {
    let mut runner = ActionRunner::new(&[rule(None, None)]);
    assert!(!runner.has_actions());
    runner.on_transition(&to_alarm("checkout"));
    assert_eq!(runner.finish(GRACE).await, ActionStats::default());
}

/// The pipeline's engine runs on a plain thread: the runner is made on the runtime, used and
/// finished there.
#[test]
fn usable_from_a_plain_thread() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = temp();
    let file = dir.path().join("alarms.jsonl");
    let mut runner =
        runtime.block_on(async { ActionRunner::new(&[rule(Some(append(&file)), None)]) });
    let stats = std::thread::spawn(move || {
        runner.on_transition(&to_alarm("checkout"));
        runner.finish_blocking(GRACE)
    })
    .join()
    .unwrap();
    assert_eq!((stats.queued, stats.succeeded), (1, 1));
    assert_eq!(read(&file).lines().count(), 1);
}
