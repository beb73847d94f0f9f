//! Issue 9, item 2: nothing waits on a source. With a FIFO that has no writer, or an S3 or
//! Kinesis endpoint that accepts TCP and never answers, the screen draws at once and says what it
//! waits for and for how long, and `q` quits at once. (The bounds below catch a hang; they are
//! generous for a debug build on a busy machine, not a speed check.)

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use super::harness::{assert_restored, tmux_or_skip, Session, WAIT};

/// A screen or a quit that takes longer than this is a hang.
const PROMPTLY: Duration = Duration::from_secs(5);

/// Credentials and region for the SDK, no instance metadata lookups: the endpoint is the test's.
const AWS_ENV: &str = "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true";

/// A server on 127.0.0.1 that accepts every connection and never answers; runs until the test
/// process ends.
fn silent_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            // Read what comes so the client's request is "sent"; never write a byte.
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(Duration::from_millis(10)));
            let _ = stream.read(&mut [0; 4096]);
            held.push(stream);
        }
    });
    format!("http://{address}")
}

fn quits_promptly(session: &Session) {
    session.send(&["q"]);
    let (after, modes) = session.after_exit(PROMPTLY);
    assert!(after.contains("EXIT=0"), "{after}");
    assert_restored(session, &after, &modes);
}

#[test]
fn a_fifo_without_a_writer_shows_the_screen_and_quits() {
    if !tmux_or_skip() {
        return;
    }
    let session = Session::start(100, 30);
    let fifo = session.state_dir().join("pipe.log");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    session.launch("", &format!("--file {}", fifo.display()));
    let screen = session.wait_for("the overview, waiting", PROMPTLY, |s| {
        s.contains("Applications") && s.contains("waiting for a writer")
    });
    // Not LIVE: nothing can flow until a writer comes.
    assert!(screen.contains("◌ WAITING") && !screen.contains("LIVE"), "{screen}");
    // How long it has been waiting grows by the second.
    session.wait_for("the wait to grow", WAIT, |s| {
        s.contains("waiting for a writer · 2s") || s.contains("waiting for a writer · 3s")
    });
    quits_promptly(&session);
}

#[test]
fn a_kinesis_endpoint_that_never_answers_shows_the_wait_and_quits() {
    if !tmux_or_skip() {
        return;
    }
    let endpoint = silent_endpoint();
    let session = Session::start(100, 30);
    session.launch(
        AWS_ENV,
        &format!("--kinesis web-logs --endpoint-url {endpoint}"),
    );
    let screen = session.wait_for("the start-up screen", PROMPTLY, |s| {
        s.contains("connecting to Kinesis stream web-logs") && s.contains(&endpoint)
    });
    assert!(screen.contains("q quits"), "{screen}");
    session.wait_for("the wait to grow", WAIT, |s| {
        s.contains("(2s)") || s.contains("(3s)")
    });
    quits_promptly(&session);
}

#[test]
fn an_s3_metadata_endpoint_that_never_answers_shows_the_wait_and_ctrl_c_quits() {
    if !tmux_or_skip() {
        return;
    }
    let endpoint = silent_endpoint();
    let session = Session::start(100, 30);
    session.launch(
        AWS_ENV,
        &format!("--metadata s3://ops/hosts.csv --s3-endpoint-url {endpoint}"),
    );
    session.wait_for("the start-up screen", PROMPTLY, |s| {
        s.contains("loading metadata from s3://ops/hosts.csv")
    });
    session.send(&["C-c"]);
    let (after, modes) = session.after_exit(PROMPTLY);
    assert!(after.contains("EXIT=0"), "{after}");
    assert_restored(&session, &after, &modes);
}

/// Start-up now runs with the terminal taken: a start-up error still gives the terminal back
/// first, then says what went wrong on standard error with exit status 2.
#[test]
fn a_start_up_error_restores_the_terminal_then_exits_2_with_the_message() {
    if !tmux_or_skip() {
        return;
    }
    let session = Session::start(100, 30);
    let missing = session.state_dir().join("no-such-metadata.csv");
    session.launch("", &format!("--metadata {}", missing.display()));
    let (after, modes) = session.after_exit(PROMPTLY);
    assert!(after.contains("EXIT=2"), "{after}");
    assert!(
        after.contains("kinetop:") && after.contains("no-such-metadata.csv"),
        "the message names the file:\n{after}"
    );
    assert_restored(&session, &after, &modes);
}
