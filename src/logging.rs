//! Logs (tracing) go to a file under the user's state or cache directory, never to the terminal:
//! the TUI owns the screen and headless mode owns standard output.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

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

/// Starts logging to the file; the level comes from `KINETOP_LOG` (default `info`). Keep the
/// guard alive until exit so buffered lines are written. Logging is best effort: a directory that
/// cannot be created means no log file, never a failure to start.
pub fn init() -> Option<WorkerGuard> {
    let dir = log_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, "kinetop.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("KINETOP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
