//! UI state: selection, drill-down stack, filters, sort, time travel. Pure; no terminal.
