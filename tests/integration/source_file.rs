//! The file source on real files: chunking, line numbers, rotation, bounded lines, errors.

use kinetop::source::status::PartState;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use kinetop::source::file::{FileOptions, FileSource};
use kinetop::source::{Payload, Source, SourceEvent};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Every wait in these tests is bounded by this.
const PATIENCE: Duration = Duration::from_secs(20);

fn quick(chunk_size: usize) -> FileOptions {
    FileOptions {
        chunk_size,
        max_line: 1024 * 1024,
        poll_interval: Duration::from_millis(20),
    }
}

struct Running {
    events: mpsc::Receiver<SourceEvent>,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

fn start(source: FileSource) -> Running {
    let (tx, events) = mpsc::channel(8);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(Box::new(source).run(tx, cancel.clone()));
    Running {
        events,
        cancel,
        task,
    }
}

impl Running {
    async fn next(&mut self) -> SourceEvent {
        tokio::time::timeout(PATIENCE, self.events.recv())
            .await
            .expect("an event in time")
            .expect("the source is still running")
    }

    /// Collects batches (as `(first_line, text)`) until `done` says so; statuses are returned too.
    async fn collect_until(
        &mut self,
        batches: &mut Vec<(u64, String)>,
        statuses: &mut Vec<Option<String>>,
        done: impl Fn(&[(u64, String)]) -> bool,
    ) {
        while !done(batches) {
            match self.next().await {
                SourceEvent::Batch(batch) => {
                    let Payload::Lines(bytes) = batch.payload else {
                        panic!("lines expected")
                    };
                    batches.push((batch.first_line, String::from_utf8(bytes).unwrap()));
                }
                SourceEvent::Status(status) => statuses.push(status.problem),
                SourceEvent::Finished => panic!("a followed file never finishes"),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    async fn stop(self) {
        self.cancel.cancel();
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("stops when cancelled")
            .unwrap()
            .unwrap();
    }
}

/// Reads a finite file to its end: the batches. `Finished` comes last, right after a status
/// that says the input ended with every line counted and nothing left behind.
async fn read_all(source: FileSource) -> Vec<(u64, Vec<u8>)> {
    let mut running = start(source);
    let mut batches = Vec::new();
    let mut last_status = None;
    loop {
        match running.next().await {
            SourceEvent::Batch(batch) => {
                assert!(
                    batch.origin.ends_with(".log"),
                    "origin is the path: {}",
                    batch.origin
                );
                let Payload::Lines(bytes) = batch.payload else {
                    panic!("lines expected")
                };
                batches.push((batch.first_line, bytes));
                last_status = None;
            }
            SourceEvent::Status(status) => last_status = Some(status),
            SourceEvent::Finished => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    tokio::time::timeout(PATIENCE, running.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let status = last_status.expect("a status after the last batch");
    let part = &status.details[0];
    let lines: u64 = batches
        .iter()
        .map(|(_, b)| b.split(|&c| c == b'\n').filter(|l| !l.is_empty()).count() as u64)
        .sum();
    assert_eq!(
        (
            part.state.as_str(),
            part.records,
            part.bytes_behind,
            status.parts
        ),
        ("ended", lines, Some(0), 0),
        "{status:?}"
    );
    batches
}

fn count_lines(batches: &[(u64, String)]) -> usize {
    batches.iter().map(|(_, text)| text.lines().count()).sum()
}

fn append(path: &Path, from: usize, to: usize) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let text: String = (from..to).map(|i| format!("line {i}\n")).collect();
    file.write_all(text.as_bytes()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_keep_lines_whole_and_numbered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let mut content = Vec::new();
    for i in 1..=5_000 {
        // Lengths vary so lines straddle every chunk boundary somewhere.
        writeln!(content, "{i} {}", "x".repeat(i % 97)).unwrap();
    }
    fs::write(&path, &content).unwrap();
    let source = FileSource::open(&path, false)
        .unwrap()
        .with_options(quick(4096));
    assert_eq!(source.describe(), "access.log");
    let batches = read_all(source).await;
    assert!(batches.len() > 20, "{} batches", batches.len());
    let mut expected_line = 1;
    let mut joined = Vec::new();
    for (first_line, bytes) in &batches {
        assert_eq!(*first_line, expected_line);
        assert_eq!(bytes.last(), Some(&b'\n'));
        let text = std::str::from_utf8(bytes).unwrap();
        let first_number: u64 = text.split(' ').next().unwrap().parse().unwrap();
        assert_eq!(
            first_number, *first_line,
            "the line number is the line's own"
        );
        expected_line += text.lines().count() as u64;
        joined.extend_from_slice(bytes);
    }
    assert_eq!(joined, content);
    assert_eq!(expected_line, 5_001);
}

#[tokio::test]
async fn last_line_without_newline_and_crlf_are_delivered_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crlf.log");
    fs::write(&path, b"first\r\nsecond\r\nlast without newline").unwrap();
    let batches = read_all(
        FileSource::open(&path, false)
            .unwrap()
            .with_options(quick(8)),
    )
    .await;
    let joined: Vec<u8> = batches.iter().flat_map(|(_, b)| b.clone()).collect();
    assert_eq!(joined, b"first\r\nsecond\r\nlast without newline");
    let last = batches.last().unwrap();
    assert_eq!(
        (last.0, last.1.as_slice()),
        (3, &b"last without newline"[..])
    );

    fs::write(&path, b"").unwrap();
    assert!(read_all(FileSource::open(&path, false).unwrap())
        .await
        .is_empty());
}

#[tokio::test]
async fn a_gigantic_line_comes_in_pieces_so_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.log");
    let mut content = b"before\n".to_vec();
    content.extend(std::iter::repeat_n(b'A', 5 * 1024 * 1024 + 10));
    content.extend_from_slice(b"\nafter\n");
    fs::write(&path, &content).unwrap();
    let options = FileOptions {
        chunk_size: 64 * 1024,
        max_line: 256 * 1024,
        poll_interval: Duration::from_millis(20),
    };
    let batches = read_all(
        FileSource::open(&path, false)
            .unwrap()
            .with_options(options),
    )
    .await;
    for (_, bytes) in &batches {
        assert!(
            bytes.len() <= 256 * 1024 + 64 * 1024 + 1,
            "batch of {} bytes",
            bytes.len()
        );
    }
    // Each batch's lines, numbered as the parse stage numbers them.
    let mut lines: Vec<(u64, usize, u8)> = Vec::new();
    for (first, bytes) in &batches {
        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        for (i, line) in body.split(|b| *b == b'\n').enumerate() {
            lines.push((
                first + i as u64,
                line.len(),
                line.first().copied().unwrap_or(0),
            ));
        }
    }
    let mut expected = vec![(1, 6, b'b')];
    // Twenty pieces of the maximum, then the last 10 bytes: all of them line 2.
    expected.extend(std::iter::repeat_n((2, 256 * 1024, b'A'), 20));
    expected.push((2, 10, b'A'));
    expected.push((3, 5, b'a'));
    assert_eq!(lines, expected);
}

#[test]
fn unreadable_files_are_errors_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such.log");
    let error = FileSource::open(&missing, false)
        .err()
        .expect("missing file is an error");
    let message = error.to_string();
    assert!(
        message.contains(&missing.display().to_string()),
        "{message}"
    );
    assert!(message.contains("No such file"), "{message}");
    assert_eq!(error.error.kind(), std::io::ErrorKind::NotFound);

    let error = FileSource::open(dir.path(), false)
        .err()
        .expect("a directory is an error");
    assert!(error
        .to_string()
        .contains(&dir.path().display().to_string()));
    assert!(
        FileSource::open(dir.path(), true).is_err(),
        "following a directory too"
    );

    // Following, a file that is not there yet is waited for.
    assert!(FileSource::open(&missing, true).is_ok());
    assert_eq!(FileSource::open("-", false).unwrap().describe(), "stdin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_waits_for_a_missing_file_then_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.log");
    let mut running = start(
        FileSource::open(&path, true)
            .unwrap()
            .with_options(quick(1024)),
    );
    let mut batches = Vec::new();
    let mut statuses = Vec::new();
    let SourceEvent::Status(status) = running.next().await else {
        panic!("a status first")
    };
    let problem = status.problem.expect("a problem while waiting");
    assert!(
        problem.contains("waiting for") && problem.contains("later.log"),
        "{problem}"
    );
    append(&path, 1, 11);
    running
        .collect_until(&mut batches, &mut statuses, |b| count_lines(b) == 10)
        .await;
    assert!(
        !statuses.is_empty() && statuses.iter().all(Option::is_none),
        "the problem is cleared once the file is there: {statuses:?}"
    );
    assert_eq!(batches[0].0, 1);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_reads_appends_across_rename_and_copytruncate_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    append(&path, 1, 101);
    let mut running = start(
        FileSource::open(&path, true)
            .unwrap()
            .with_options(quick(512)),
    );
    let mut batches = Vec::new();
    let mut statuses = Vec::new();
    running
        .collect_until(&mut batches, &mut statuses, |b| count_lines(b) == 100)
        .await;

    // The file grows.
    append(&path, 101, 201);
    running
        .collect_until(&mut batches, &mut statuses, |b| count_lines(b) == 200)
        .await;

    // Rotation by rename: the writer finishes a few lines in the old file, then a new file starts.
    fs::rename(&path, dir.path().join("access.log.1")).unwrap();
    append(&dir.path().join("access.log.1"), 201, 211);
    tokio::time::sleep(Duration::from_millis(60)).await;
    append(&path, 211, 301);
    running
        .collect_until(&mut batches, &mut statuses, |b| count_lines(b) == 300)
        .await;

    // Copytruncate: copied away, emptied in place, written again from the start.
    fs::copy(&path, dir.path().join("access.log.2")).unwrap();
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&path, 301, 321);
    running
        .collect_until(&mut batches, &mut statuses, |b| count_lines(b) == 320)
        .await;

    // A little longer: nothing is delivered twice.
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok(event) = running.events.try_recv() {
        if let SourceEvent::Batch(batch) = event {
            panic!("unexpected extra batch from line {}", batch.first_line);
        }
    }
    let lines: Vec<String> = batches
        .iter()
        .flat_map(|(_, t)| t.lines().map(String::from))
        .collect();
    let expected: Vec<String> = (1..321).map(|i| format!("line {i}")).collect();
    assert_eq!(lines, expected);
    // Line numbers start again at 1 in each new file.
    let new_file = batches
        .iter()
        .find(|(_, t)| t.starts_with("line 211\n"))
        .expect("batch at 211");
    assert_eq!(new_file.0, 1);
    let truncated = batches
        .iter()
        .find(|(_, t)| t.starts_with("line 301\n"))
        .expect("batch at 301");
    assert_eq!(truncated.0, 1);
    running.stop().await;
}

/// A FIFO with no writer: opening it does not wait (start-up and the screen never hang on it),
/// the input says it waits for a writer, and once one writes, the lines come and the input ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_without_a_writer_waits_without_blocking_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pipe.log");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let opened = tokio::time::timeout(Duration::from_secs(1), async {
        FileSource::open(&path, false)
    })
    .await
    .expect("opening a FIFO at start-up returns at once")
    .unwrap();
    let mut running = start(opened);
    let SourceEvent::Status(status) = running.next().await else {
        panic!("a status first")
    };
    assert_eq!(
        status.details[0].state,
        PartState::WaitingForWriter,
        "{status:?}"
    );
    assert!(status.details[0].state_since_ms.is_some());
    // A writer comes, writes two lines and goes: the input reads them and ends.
    let writer_path = path.clone();
    let writer = std::thread::spawn(move || {
        let mut fifo = OpenOptions::new().write(true).open(writer_path).unwrap();
        fifo.write_all(b"one\ntwo\n").unwrap();
    });
    let mut lines = Vec::new();
    let mut last_state = PartState::Starting;
    loop {
        match running.next().await {
            SourceEvent::Batch(batch) => {
                let Payload::Lines(bytes) = batch.payload else {
                    panic!("lines expected")
                };
                lines.extend(String::from_utf8(bytes).unwrap().lines().map(String::from));
            }
            SourceEvent::Status(status) => last_state = status.details[0].state,
            SourceEvent::Finished => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    writer.join().unwrap();
    assert_eq!(lines, ["one", "two"]);
    assert_eq!(last_state, PartState::Ended);
}
