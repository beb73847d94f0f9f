//! The terminal: setup and guaranteed restore, the event loop.
