//! kinetop: command line → config → pipeline → TUI or headless.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use kinetop::cli::Cli;
use kinetop::config::{self, ConfigFile, Settings};
use kinetop::pipeline::progress::StartProgress;
use kinetop::pipeline::signals::StopSignals;
use kinetop::pipeline::{self, EngineEnd, StartError};
use kinetop::ui::terminal::{Startup, TuiEnd, TuiOptions};
use tokio_util::sync::CancellationToken;

/// mimalloc: the windows make and drop millions of small tables and summaries (100,000
/// applications), where glibc's malloc spent ~40% of the time and fragmented the heap.
/// `--features system-allocator` builds without it, for heap profilers (heaptrack) that see
/// only the C library's malloc.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    no_transparent_huge_pages();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return command_line_error(e),
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kinetop: {e}");
            ExitCode::from(2)
        }
    }
}

/// Transparent huge pages off for this process. mimalloc is built not to ask for them (`no_thp`),
/// but a host whose THP setting is `always` gives them anyway, and a 2 MiB page touched for a few
/// small tables counts whole in the resident size (the wide log: 108-133 MiB peak with them,
/// 58-80 MiB without, no slower). Best effort: a kernel without the flag changes nothing.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_thp_disable(true);
}

fn run(cli: Cli) -> Result<ExitCode, StartError> {
    let (config_path, config_file) = config::load(&cli)?;
    let settings = Settings::resolve(&cli, &config_file, config_path.as_deref())?;
    let _log_guard = kinetop::logging::init();
    tracing::info!(?settings, "starting");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("kinetop-io")
        .build()
        .map_err(StartError::io("cannot start the runtime"))?;
    if !settings.headless {
        return run_tui(runtime, settings, config_file);
    }
    // Headless, SIGINT and SIGTERM stop the run from now on, start-up included (the TUI
    // handles its own signals once the terminal is set up).
    let stop = CancellationToken::new();
    let signals = {
        let _context = runtime.enter();
        StopSignals::cancel_on_stop(stop.clone())
            .map_err(StartError::io("cannot handle signals"))?
    };
    let (progress, progress_rx) = StartProgress::headless();
    let parts = runtime.block_on(async {
        tokio::select! {
            parts = kinetop::pipeline::startup::prepare(&settings, &config_file, &progress) => Some(parts),
            _ = stop.cancelled() => None,
            _ = kinetop::pipeline::progress::say_slow_steps(progress_rx) => None,
        }
    });
    let Some(parts) = parts else {
        eprintln!("kinetop: stopped by a signal before the input was opened");
        runtime.shutdown_background();
        return Ok(ExitCode::from(signals.exit_status().unwrap_or(1)));
    };
    let parts = parts?;
    let stdout: Box<dyn std::io::Write + Send> = Box::new(std::io::stdout());
    let running = pipeline::start(&settings, parts, runtime.handle(), Some(stdout))?;
    let cancel = running.cancel.clone();
    runtime.spawn(async move {
        stop.cancelled().await;
        cancel.cancel();
    });
    let failures = running.source_failures();
    let end = running.join();
    runtime.shutdown_background();
    match end {
        Ok(EngineEnd::Finished(_)) | Ok(EngineEnd::OutputClosed) => {
            // What was read is written; a source that failed for good (said on standard
            // error by the run's fault log) still fails the run.
            Ok(if failures.take().is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Err(e) => Err(StartError::io("writing output")(e)),
    }
}

/// The TUI takes the terminal before start-up waits on anything (S3, a stream, a FIFO), so the
/// screen says what it waits for and `q` works from the first second.
fn run_tui(
    runtime: tokio::runtime::Runtime,
    settings: Settings,
    config_file: ConfigFile,
) -> Result<ExitCode, StartError> {
    let (progress, progress_rx) = StartProgress::new();
    let options = TuiOptions {
        bell: settings.bell,
        local_time: settings.local_time,
        export_dir: settings.export_dir.clone(),
    };
    let task = runtime.spawn(async move {
        let parts = kinetop::pipeline::startup::prepare(&settings, &config_file, &progress).await?;
        pipeline::start(&settings, parts, &tokio::runtime::Handle::current(), None)
    });
    let startup = Startup {
        task,
        progress: progress_rx,
    };
    let result = runtime.block_on(kinetop::ui::terminal::run(startup, options));
    // Whatever start-up or a source still waits on (a FIFO's open, a hung endpoint) is not
    // waited for.
    runtime.shutdown_background();
    match result {
        Ok(TuiEnd::Quit) => Ok(ExitCode::SUCCESS),
        Ok(TuiEnd::Signal(signal)) => Ok(ExitCode::from(signal.exit_status())),
        Ok(TuiEnd::StartFailed(e)) => Err(e),
        Err(e) => {
            eprintln!("kinetop: {e:#}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `--help` and `--version` print as clap prints them. Anything else is one line naming the flag
/// and what is wrong with it, then exit code 2 (clap's own message adds a usage block).
fn command_line_error(e: clap::Error) -> ExitCode {
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    eprintln!(
        "kinetop: {}",
        first.strip_prefix("error: ").unwrap_or(first)
    );
    ExitCode::from(2)
}
