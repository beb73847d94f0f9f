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
    std::thread::sleep(Duration::from_secs(1));
    let early = peak_rss_kib(run.pid());
    std::thread::sleep(Duration::from_secs(2));
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
    // Memory stays flat: the peak after 3 s is the peak after 1 s (within a few pieces), far
    // below what reading ~GBs of input into one line would take.
    assert!(
        late < early + 16 * 1024,
        "peak RSS grew from {early} KiB to {late} KiB"
    );
    assert!(late < 256 * 1024, "peak RSS {late} KiB");
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
