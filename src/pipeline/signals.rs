//! Ending a headless run from outside: SIGINT and SIGTERM cancel it, and the pipeline then
//! writes the windows read so far and the summary (see [`super::Running::join`]). Both are
//! handled even if the shell started kinetop with SIGINT ignored (a background job): an
//! operator who sends it means it. SIGHUP is left alone, so `nohup` keeps working.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

/// The stop signals, once registered; which one came, if any.
#[derive(Debug, Clone, Default)]
pub struct StopSignals {
    received: Arc<AtomicI32>,
}

impl StopSignals {
    /// Registers SIGINT and SIGTERM now (before anything can block) and cancels `cancel` when
    /// either arrives. Must be called within the runtime's context.
    pub fn cancel_on_stop(cancel: CancellationToken) -> std::io::Result<StopSignals> {
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        tracing::info!("SIGINT and SIGTERM stop the run; what was read is written first");
        let signals = StopSignals::default();
        let received = signals.received.clone();
        tokio::spawn(async move {
            let (number, name) = tokio::select! {
                _ = interrupt.recv() => (libc::SIGINT, "SIGINT"),
                _ = terminate.recv() => (libc::SIGTERM, "SIGTERM"),
            };
            tracing::info!(signal = name, "stopping: writing what was read so far");
            received.store(number, Ordering::SeqCst);
            cancel.cancel();
        });
        Ok(signals)
    }

    /// The signal that stopped the run, if one did.
    pub fn received(&self) -> Option<i32> {
        Some(self.received.load(Ordering::SeqCst)).filter(|&n| n != 0)
    }

    /// The shell's exit status for a process ended by that signal (128 + its number).
    pub fn exit_status(&self) -> Option<u8> {
        self.received().and_then(|n| u8::try_from(128 + n).ok())
    }
}
