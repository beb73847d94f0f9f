//! Logs (tracing) go to a file under the user's state or cache directory, never to the terminal:
//! the TUI owns the screen and headless mode owns standard output. The file is capped: past
//! [`LOG_FILE_BYTES`] it is rotated to `kinetop.log.1` (and `.1` to `.2`), so at most
//! [`LOG_FILES`] files of about that size are kept, however long kinetop runs and whatever
//! its input.

use std::path::{Path, PathBuf};

use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The size at which the log file is rotated.
pub const LOG_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Files kept: `kinetop.log` and its rotated predecessors `kinetop.log.1`, `kinetop.log.2`.
pub const LOG_FILES: usize = 3;
/// The log file's name in [`log_dir`].
pub const LOG_FILE_NAME: &str = "kinetop.log";

/// Where the log file lives: `$XDG_STATE_HOME/kinetop/kinetop.log` (or the cache dir where the
/// platform has no state dir). `KINETOP_LOG_DIR` overrides it (tests use a temporary folder).
pub fn log_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KINETOP_LOG_DIR") {
        return Some(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("", "", "kinetop")?;
    Some(
        dirs.state_dir()
            .map(|d| d.to_path_buf())
            .unwrap_or_else(|| dirs.cache_dir().to_path_buf()),
    )
}

/// The capped, rotated log file in `dir`: rotated once a write takes it past `max_bytes` (a
/// line is never split between two files), `files` files kept in all.
pub fn capped_log_file(dir: &Path, max_bytes: usize, files: usize) -> FileRotate<AppendCount> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).create(true).append(true);
    #[cfg(unix)]
    {
        // Logs name streams, endpoints and hosts: for the user's eyes only.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    FileRotate::new(
        dir.join(LOG_FILE_NAME),
        AppendCount::new(files.saturating_sub(1).max(1)),
        ContentLimit::BytesSurpassed(max_bytes.max(1)),
        Compression::None,
        Some(options),
    )
}

/// Log lines queued for the writer thread at most (more are dropped, counted by the appender).
const LOG_QUEUE_LINES: usize = 4_096;

/// Starts logging to the file; the level comes from `KINETOP_LOG` (default `info`). Keep the
/// guard alive until exit so buffered lines are written. Logging is best effort: a directory that
/// cannot be created means no log file, never a failure to start.
pub fn init() -> Option<WorkerGuard> {
    let dir = log_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let file = capped_log_file(&dir, LOG_FILE_BYTES, LOG_FILES);
    // The default queue (128,000 lines) is allocated whole up front: 4 MB, a tenth of the
    // heap of a whole headless run. kinetop logs a few lines a second at most.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(file);
    let filter = EnvFilter::try_from_env("KINETOP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_log_is_rotated_at_its_cap_and_old_files_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = capped_log_file(dir.path(), 1000, 3);
        let line = format!("{}\n", "x".repeat(99));
        for _ in 0..1000 {
            log.write_all(line.as_bytes()).unwrap();
        }
        log.flush().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["kinetop.log", "kinetop.log.1", "kinetop.log.2"]);
        for name in &names {
            let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
            // Rotated once a line takes it past the cap: never more than one line over.
            assert!(
                text.len() <= 1000 + line.len(),
                "{name}: {} bytes",
                text.len()
            );
            assert!(text.lines().all(|l| l.len() == 99), "{name}: whole lines");
        }
    }
}
