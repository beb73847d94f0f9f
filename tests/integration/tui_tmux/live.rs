//! Issue 9, items 1, 5 and 7 through the real binary: silence moves the screen (no key pressed),
//! the selection follows its application across a re-sort, and a finished file's oldest and
//! newest windows are one key away.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use time::OffsetDateTime;

use super::harness::{tmux_or_skip, Session, WAIT};

/// A combined-format line from `host` at `t` (UTC epoch seconds).
fn line(host: &str, t: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp(t).unwrap();
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][at.month() as usize - 1];
    format!(
        "{host} - - [{:02}/{month}/{}:{:02}:{:02}:{:02} +0000] \"GET /x HTTP/1.1\" 200 512 \"-\" \"curl\"\n",
        at.day(),
        at.year(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn append(path: &Path, text: &str) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// The status bar's events/s, when shown.
fn events_per_sec(screen: &str) -> Option<String> {
    let bar = screen.lines().next()?;
    bar.split(" │ ")
        .find(|s| s.ends_with(" ev/s"))
        .map(|s| s.trim_end_matches(" ev/s").to_string())
}

#[test]
fn silence_moves_the_screen_and_missing_data_raises_its_alarm() {
    if !tmux_or_skip() {
        return;
    }
    let session = Session::start(120, 36);
    let log = session.state_dir().join("access.log");
    let config = session.state_dir().join("config.toml");
    std::fs::write(
        &config,
        "[[alarm]]\nname = \"calls-stopped\"\napplication = \"unknown\"\nmetric = \"requests\"\n\
         comparison = \"<\"\nthreshold = 1\nevaluation-periods = 1\ntreat-missing-data = \"breaching\"\n",
    )
    .unwrap();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let burst: String = (0..200)
        .map(|i| line(&format!("10.0.0.{}", i % 7), now))
        .collect();
    append(&log, &burst);
    session.launch(
        "",
        &format!(
            "--file {} --follow --format combined --window 10s --lateness 1s --config {}",
            log.display(),
            config.display()
        ),
    );
    let busy = session.wait_for("traffic", WAIT, |s| {
        s.contains("200 parsed") && events_per_sec(s).is_some_and(|r| r != "0")
    });
    assert!(busy.contains("● LIVE"), "{busy}");
    // Nothing more is written and no key is pressed: events/s falls to 0, and the alarm on the
    // missing calls fires once the empty windows close.
    let quiet = session.wait_for("events/s at 0", WAIT, |s| {
        events_per_sec(s).as_deref() == Some("0")
    });
    let first_window = quiet.lines().next().unwrap().to_string();
    // Three silent windows of 10 s decide (N + 2, as CloudWatch), after 5 s of idleness.
    let fired = session.wait_for("the missing-data alarm", 3 * WAIT, |s| {
        s.contains("calls-stopped") && s.contains("Alarms · 1 ALARM")
    });
    assert!(fired.contains("● LIVE"), "{fired}");
    // Time goes on on screen: the window of now is a later one than when it went quiet.
    session.wait_for("a later window", WAIT, |s| {
        let bar = s.lines().next().unwrap_or_default();
        bar != first_window && bar.contains("10s ")
    });
    session.send(&["q"]);
    session.after_exit(WAIT);
}

#[test]
fn the_selection_follows_its_application_when_the_order_reverses() {
    if !tmux_or_skip() {
        return;
    }
    let session = Session::start(120, 36);
    session.launch("", "");
    session.wait_for("the overview", WAIT, |s| {
        s.contains("Applications") && s.contains("unknown")
    });
    // Second row (by requests); its name is the first word of the second data row.
    session.send(&["Down"]);
    let screen = session.screen();
    let rows: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains("application"))
        .skip(1)
        .take(2)
        .collect();
    let picked = rows[1]
        .trim_start_matches('│')
        .split_whitespace()
        .find(|w| w.chars().all(|c| c.is_alphanumeric() || c == '-'))
        .expect("an application name")
        .to_string();
    // Reverse the order, and let a few snapshots re-sort it: Enter opens the same application.
    session.send(&["S"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    session.send(&["Enter"]);
    let detail = session.wait_for("the application detail", WAIT, |s| s.contains("contacts:"));
    let title = detail
        .lines()
        .find(|l| l.contains("contacts:"))
        .map(|_| detail.lines().nth(1).unwrap_or_default())
        .unwrap_or_default();
    assert!(
        title.contains(&format!(" {picked} ")),
        "opened another application than {picked}:\n{detail}"
    );
    session.send(&["q"]);
    session.after_exit(WAIT);
}

#[test]
fn oldest_and_newest_windows_of_a_finished_file_are_one_key_away() {
    if !tmux_or_skip() {
        return;
    }
    let session = Session::start(120, 36);
    let log = session.state_dir().join("day.log");
    // 30 one-minute windows from 2017-01-20 09:00 UTC, 5 requests each.
    let start = 1_484_902_800;
    let text: String = (0..30 * 5)
        .map(|i| line("10.0.0.1", start + (i / 5) * 60 + i % 5))
        .collect();
    append(&log, &text);
    session.launch(
        "",
        &format!("--file {} --format combined --window 1m", log.display()),
    );
    let ended = session.wait_for("the ended file", WAIT, |s| s.contains("■ ENDED"));
    assert!(
        !ended.contains("ev/s"),
        "no frozen rate once ended:\n{ended}"
    );
    assert!(!ended.contains("LIVE"), "{ended}");
    session.send(&["<"]);
    let oldest = session.wait_for("the oldest window", WAIT, |s| s.contains("◀ PAST 1/30"));
    assert!(oldest.contains("09:00"), "{oldest}");
    session.send(&["?"]);
    session.wait_for("the history's reach in the help", WAIT, |s| {
        s.contains("History: 30 windows of 1m kept, back to 2017-01-20 09:00 UTC")
    });
    session.send(&["Escape", ">"]);
    session.wait_for("the newest window", WAIT, |s| {
        s.contains("■ ENDED") && s.contains("09:29")
    });
    // `w` still works after the input ended.
    session.send(&["w"]);
    session.wait_for("5-minute windows", WAIT, |s| s.contains("5m 09:25"));
    session.send(&["q"]);
    session.after_exit(WAIT);
}

#[test]
fn local_time_shows_the_system_zone_by_name() {
    if !tmux_or_skip() {
        return;
    }
    let session = Session::start(120, 36);
    let log = session.state_dir().join("day.log");
    // 2017-01-20 09:00 UTC is 18:00 in Tokyo (JST, UTC+9, no daylight saving).
    let text: String = (0..10)
        .map(|i| line("10.0.0.1", 1_484_902_800 + i))
        .collect();
    append(&log, &text);
    session.launch(
        "TZ=Asia/Tokyo",
        &format!(
            "--file {} --format combined --window 1m --local-time",
            log.display()
        ),
    );
    let screen = session.wait_for("the ended file", WAIT, |s| s.contains("■ ENDED"));
    let bar = screen.lines().next().unwrap_or_default();
    assert!(bar.contains("18:00") && bar.contains("JST"), "{bar}");
    session.send(&["q"]);
    session.after_exit(WAIT);
}
