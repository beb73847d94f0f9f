//! Drawing: everything comes from the snapshot and the UI state; nothing is computed here.
