//! Logs (tracing) go to a file under the user's state or cache directory, never to the terminal.
