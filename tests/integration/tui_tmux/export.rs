//! `e` in the real binary (issue 14): the rows on screen go to a CSV file in the config's
//! `export-dir`, and the status bar says where.

use super::harness::{tmux_or_skip, Session, WAIT};

#[test]
fn e_writes_the_rows_on_screen_to_csv_and_says_where() {
    if !tmux_or_skip() {
        return;
    }
    let session = Session::start(160, 48);
    let exports = tempfile::tempdir().unwrap();
    let config = session.state_dir().join("config.toml");
    std::fs::write(
        &config,
        format!("export-dir = \"{}\"\n", exports.path().display()),
    )
    .unwrap();
    session.launch("", &format!("--config {}", config.display()));
    session.wait_for("the overview", WAIT, |s| {
        s.contains("payments") && s.contains("● LIVE")
    });

    session.send(&["e"]);
    let screen = session.wait_for("where the export went", WAIT, |s| s.contains("CSV → "));
    let files: Vec<_> = std::fs::read_dir(exports.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("kinetop-overview-") && name.ends_with(".csv"),
        "{name}"
    );
    assert!(screen.contains("kinetop-overview-"), "{screen}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let mut lines = text.lines();
    assert!(
        lines.next().unwrap().starts_with("application,requests,"),
        "{text}"
    );
    assert!(text.contains("\npayments,"), "{text}");

    // The recent requests of the selected application, escaped lines and all.
    session.send(&["r"]);
    session.wait_for("recent requests", WAIT, |s| s.contains("HTTP/1.1"));
    session.send(&["e"]);
    session.wait_for("the second export", WAIT, |s| {
        s.contains("kinetop-requests-")
    });
    let requests = std::fs::read_dir(exports.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("kinetop-requests-"))
        .expect("a requests CSV");
    let text = std::fs::read_to_string(requests).unwrap();
    assert!(
        text.starts_with("time,application,caller,status,bytes,latency_us,line\n"),
        "{text}"
    );
    assert!(text.contains("HTTP/1.1"), "{text}");

    session.send(&["q"]);
    let (after, _) = session.after_exit(WAIT);
    assert!(after.contains("EXIT=0"), "{after}");
}
