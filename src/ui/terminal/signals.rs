//! The signals that end the TUI: SIGTERM (a service manager, `kill`), SIGHUP (the SSH connection
//! dropped, the terminal window closed) and SIGINT from outside (in raw mode Ctrl-C is a key).
//! Each ends the event loop normally, so the terminal guard restores the terminal; the exit
//! status is then 128 + the signal's number, as a shell reports a process killed by it.

use std::io;

use tokio::signal::unix::{signal, Signal, SignalKind};

/// A signal that asked kinetop to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndSignal {
    pub name: &'static str,
    pub number: i32,
}

impl EndSignal {
    /// The exit status after it: 128 + its number.
    pub fn exit_status(self) -> u8 {
        (128 + self.number).clamp(0, 255) as u8
    }
}

/// The handlers, installed before the terminal is taken so that a signal at any moment after
/// that ends the loop instead of killing the process with the terminal in raw mode.
pub struct EndSignals {
    terminate: Signal,
    hangup: Signal,
    interrupt: Signal,
}

impl EndSignals {
    pub fn install() -> io::Result<EndSignals> {
        Ok(EndSignals {
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// The next signal that asks kinetop to end.
    pub async fn recv(&mut self) -> EndSignal {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        tokio::select! {
            _ = self.terminate.recv() => EndSignal { name: "SIGTERM", number: SIGTERM },
            _ = self.hangup.recv() => EndSignal { name: "SIGHUP", number: SIGHUP },
            _ = self.interrupt.recv() => EndSignal { name: "SIGINT", number: SIGINT },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_is_128_plus_the_signal() {
        let term = EndSignal {
            name: "SIGTERM",
            number: signal_hook::consts::SIGTERM,
        };
        assert_eq!(term.exit_status(), 143);
        let hup = EndSignal {
            name: "SIGHUP",
            number: signal_hook::consts::SIGHUP,
        };
        assert_eq!(hup.exit_status(), 129);
    }
}
