//! Why kinetop could not start: one line on standard error, exit code 2.

use crate::config::{ConfigError, SettingsError};
use crate::enrich::MetadataError;
use crate::source::file::FileOpenError;

/// A problem that stops kinetop before it starts (or ends it): each names what it concerns, the
/// file and line, the flag, or the stream.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error(transparent)]
    File(#[from] FileOpenError),
    /// The stream cannot be read (missing, access denied, …).
    #[error(transparent)]
    Kinesis(#[from] crate::source::kinesis::StreamCheckError),
    /// The machine refused a thread, the runtime, or standard output.
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl StartError {
    pub fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> StartError {
        move |source| StartError::Io { what, source }
    }
}
