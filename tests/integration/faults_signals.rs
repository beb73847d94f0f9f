//! Signals always work headless: SIGINT and SIGTERM end a run within 1 s even while its source is
//! blocked (a FIFO nobody writes to, a read that never returns), and what was read is written:
//! the windows so far and the summary. Endless input without a line end shows progress.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use crate::support::binary::{mkfifo, Kinetop};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");

/// The bound the issue sets between the signal and the exit.
const STOP_WITHIN: Duration = Duration::from_secs(1);

fn sample(lines: usize) -> String {
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    text.lines().take(lines).map(|l| format!("{l}\n")).collect()
}

#[test]
fn sigint_ends_a_run_waiting_for_a_fifo_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("access.fifo");
    mkfifo(&fifo);
    let run = Kinetop::start(&["--file", fifo.to_str().unwrap(), "--headless"]);
    run.wait_for_log("FIFO: waiting for a writer", Duration::from_secs(20));
    let ended = run.signal_and_wait(libc::SIGINT, Duration::from_secs(10));
    assert!(
        ended.took < STOP_WITHIN,
        "took {:?} to stop; stderr: {}",
        ended.took,
        ended.stderr_text()
    );
    assert!(
        ended.status.success(),
        "{:?} {}",
        ended.status,
        ended.stderr_text()
    );
    let summary = ended.summary();
    assert_eq!(summary["lines"], 0);
    assert_eq!(summary["source"], "access.fifo");
}

#[test]
fn sigterm_ends_a_run_blocked_in_a_read_and_writes_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("access.fifo");
    mkfifo(&fifo);
    let run = Kinetop::start(&["--file", fifo.to_str().unwrap(), "--headless"]);
    // Opening for writing waits for kinetop to open it for reading.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    writer.write_all(sample(50).as_bytes()).unwrap();
    writer.flush().unwrap();
    // Wait until kinetop has read everything; the writer stays open and silent, so its next
    // read blocks.
    let deadline = Instant::now() + Duration::from_secs(20);
    while unread(&writer) > 0 {
        assert!(Instant::now() < deadline, "kinetop does not read the FIFO");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    let ended = run.signal_and_wait(libc::SIGTERM, Duration::from_secs(10));
    drop(writer);
    assert!(ended.took < STOP_WITHIN, "took {:?} to stop", ended.took);
    assert!(
        ended.status.success(),
        "{:?} {}",
        ended.status,
        ended.stderr_text()
    );
    let lines = ended.json();
    let requests: u64 = lines
        .iter()
        .filter(|l| l["type"] == "window")
        .map(|l| l["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(requests, 50, "the open window is written at the stop");
    let summary = ended.summary();
    assert_eq!(
        (summary["lines"].as_u64(), summary["parsed"].as_u64()),
        (Some(50), Some(50))
    );
}

/// Bytes written to a pipe and not yet read.
#[allow(unsafe_code)] // FIONREAD: an ioctl nix does not wrap
fn unread(pipe: &std::fs::File) -> i32 {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through a valid pointer; the fd is open.
    let rc = unsafe { libc::ioctl(pipe.as_raw_fd(), libc::FIONREAD, &mut n) };
    assert_eq!(rc, 0);
    n
}

#[test]
fn endless_input_without_a_line_end_shows_progress_in_flat_memory() {
    let run = Kinetop::start(&["--file", "/dev/zero", "--headless"]);
    run.wait_for_log("reading", Duration::from_secs(20));
    // Measured by input read, not by time: after 256 MiB (far more than every queue and buffer
    // of the pipeline holds) the pipeline is full, whatever the machine's load; then 512 MiB
    // more. A fixed second was too early on a loaded machine: the queues were still filling.
    let early_at = 256 << 20;
    let late_at = early_at + (512 << 20);
    assert!(
        read_at_least(run.pid(), early_at),
        "256 MiB not read in time"
    );
    let early = peak_rss_kib(run.pid());
    assert!(
        read_at_least(run.pid(), late_at),
        "768 MiB not read in time"
    );
    let late = peak_rss_kib(run.pid());
    let ended = run.signal_and_wait(libc::SIGINT, Duration::from_secs(10));
    assert!(ended.took < STOP_WITHIN, "took {:?} to stop", ended.took);
    assert!(
        ended.status.success(),
        "{:?} {}",
        ended.status,
        ended.stderr_text()
    );
    let summary = ended.summary();
    let lines = summary["lines"].as_u64().unwrap();
    // Pieces of 1 MiB, each a malformed line: hundreds a second, even in a debug build.
    assert!(lines >= 3, "{summary}");
    assert_eq!(summary["malformed"].as_u64(), Some(lines));
    assert_eq!(summary["parsed"], 0);
    // Memory stays flat: the peak after 768 MiB is the peak after 256 MiB (within a few
    // pieces), far below what reading that input into one line would take.
    assert!(
        late < early + 16 * 1024,
        "peak RSS grew from {early} KiB to {late} KiB"
    );
    assert!(late < 256 * 1024, "peak RSS {late} KiB");
}

/// Waits (at most 60 s) until process `pid` has read at least `bytes` (`rchar` of
/// /proc/PID/io); whether it did.
fn read_at_least(pid: i32, bytes: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
        let read: u64 = io
            .lines()
            .find_map(|l| l.strip_prefix("rchar:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("rchar in /proc/PID/io");
        if read >= bytes {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// VmHWM of a process, in KiB.
fn peak_rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// The issue's case through the binary: nine applications go into ALARM in one window; one's
/// command is slow (`sleep 30`, with a background child). Every append and every other command
/// is done within seconds; SIGTERM then ends the run at once, the slow command's whole process
/// group is killed, and the summary counts what was dropped (nothing).
#[test]
fn a_slow_action_holds_back_no_append_and_no_other_alarm_and_dies_with_the_run() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let apps: Vec<String> = (0..8)
        .map(|i| format!("app-{i}"))
        .chain(["slow".to_string()])
        .collect();
    let mut metadata = String::from("host,application\n");
    for (i, app) in apps.iter().enumerate() {
        writeln!(metadata, "10.0.0.{},{app}", i + 1).unwrap();
    }
    // Minute 1: half 503s for every application; then minute 5 for all, so that minute 1's
    // window is final (in time order: one line far ahead alone would not move event time).
    let mut log = String::new();
    for (minute, status) in [(1, 503), (1, 200), (5, 200)] {
        for i in 0..apps.len() {
            writeln!(
                log,
                "10.0.0.{} - - [20/Jan/2017:10:0{minute}:10 +0000] \"GET / HTTP/1.1\" {status} 1 \"-\" \"t\"",
                i + 1
            )
            .unwrap();
        }
    }
    let done = dir.path().join("done");
    std::fs::create_dir(&done).unwrap();
    let appends = dir.path().join("alarms.jsonl");
    let slow_pid = dir.path().join("slow.pid");
    let config = format!(
        r#"
lateness = "0s"
[[alarm]]
name = "5xx"
application = "*"
metric = "error-rate-5xx"
comparison = ">"
threshold = 0.1
evaluation-periods = 1
on-alarm = {{ command = "if [ \"$KINETOP_APPLICATION\" = slow ]; then sleep 30 & echo $! > '{pid}'; wait; else touch '{done}'/\"$KINETOP_APPLICATION\"; fi", timeout = "60s", append = "{appends}" }}
"#,
        pid = slow_pid.display(),
        done = done.display(),
        appends = appends.display(),
    );
    let (log_path, meta_path, cfg_path) = (
        dir.path().join("access.log"),
        dir.path().join("hosts.csv"),
        dir.path().join("kinetop.toml"),
    );
    std::fs::write(&log_path, log).unwrap();
    std::fs::write(&meta_path, metadata).unwrap();
    std::fs::write(&cfg_path, config).unwrap();
    let run = Kinetop::start(&[
        "--file",
        log_path.to_str().unwrap(),
        "--follow",
        "--metadata",
        meta_path.to_str().unwrap(),
        "--config",
        cfg_path.to_str().unwrap(),
        "--window",
        "1m",
        "--format",
        "combined",
        "--headless",
    ]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let lines = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    while lines(&appends) < 9 || std::fs::read_dir(&done).unwrap().count() < 8 || !slow_pid.exists()
    {
        assert!(
            Instant::now() < deadline,
            "appends {}, commands done {}: {:?}",
            lines(&appends),
            std::fs::read_dir(&done).unwrap().count(),
            run.stderr_so_far()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    let grandchild: i32 = std::fs::read_to_string(&slow_pid)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(alive(grandchild), "the slow command runs");

    let ended = run.signal_and_wait(libc::SIGTERM, Duration::from_secs(10));
    assert!(ended.took < STOP_WITHIN, "took {:?}", ended.took);
    assert!(
        ended.status.success(),
        "{:?} {}",
        ended.status,
        ended.stderr_text()
    );
    let summary = ended.summary();
    assert_eq!(summary["actions_dropped"], 0, "{summary}");
    let alarms = ended
        .json()
        .iter()
        .filter(|l| l["type"] == "alarm" && l["state"] == "ALARM")
        .count();
    assert_eq!(alarms, 9);
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(grandchild) && !is_zombie(grandchild) {
        assert!(
            Instant::now() < deadline,
            "the slow command's child {grandchild} outlived kinetop"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| r.trim().starts_with('Z')))
        .unwrap_or(true)
}

/// Whether a process exists (signal 0 sends nothing).
fn alive(pid: i32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}
