//! kinetop: command line → config → pipeline → TUI or headless.

use std::process::ExitCode;

use clap::Parser;

use kinetop::cli::Cli;
use kinetop::config::{self, Settings};
use kinetop::pipeline::progress::StartProgress;
use kinetop::pipeline::{self, EngineEnd, StartError};
use kinetop::ui::terminal::{Startup, TuiEnd, TuiOptions};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kinetop: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, StartError> {
    let local_time = cli.local_time;
    let (config_path, config_file) = config::load(&cli).map_err(|e| StartError(e.to_string()))?;
    let settings = Settings::resolve(&cli, &config_file, config_path.as_deref())
        .map_err(|e| StartError(e.to_string()))?;
    let _log_guard = kinetop::logging::init();
    tracing::info!(?settings, "starting");
    pipeline::compile_format(&settings)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("kinetop-io")
        .build()
        .map_err(|e| StartError(format!("cannot start the runtime: {e}")))?;
    if settings.headless {
        let parts = runtime.block_on(kinetop::pipeline::startup::prepare(
            &settings,
            &config_file,
            &StartProgress::unwatched(),
        ))?;
        let stdout: Box<dyn std::io::Write + Send> = Box::new(std::io::stdout());
        let running = pipeline::start(&settings, parts, runtime.handle(), Some(stdout))?;
        let cancel = running.cancel.clone();
        runtime.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
        });
        let end = running.join();
        runtime.shutdown_background();
        return match end {
            Ok(EngineEnd::Finished(_)) | Ok(EngineEnd::OutputClosed) => Ok(ExitCode::SUCCESS),
            Err(e) => Err(StartError(format!("writing output: {e}"))),
        };
    }

    // The TUI takes the terminal before start-up waits on anything (S3, a stream, a FIFO), so
    // the screen says what it waits for and `q` works from the first second.
    let (progress, progress_rx) = StartProgress::new();
    let task = {
        let settings = settings.clone();
        runtime.spawn(async move {
            let parts =
                kinetop::pipeline::startup::prepare(&settings, &config_file, &progress).await?;
            pipeline::start(&settings, parts, &tokio::runtime::Handle::current(), None)
        })
    };
    let startup = Startup {
        task,
        progress: progress_rx,
    };
    let options = TuiOptions {
        bell: settings.bell,
        local_time,
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
