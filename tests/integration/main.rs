//! Every integration test in one binary. Each test binary links the whole AWS SDK, the TUI and
//! the engine; nineteen separate binaries filled the CI machine's disk and spent most of the run
//! linking. Each module below is one concern; `support` is the shared emulator harness.
#![allow(clippy::unwrap_used)] // test and bench code: a panic is how a failure is reported

mod support;

mod aggregate_interop;
mod alarms_actions;
mod alarms_config;
mod alarms_demo;
mod alarms_headless;
mod decode_props;
mod decode_roundtrip;
mod event_time;
mod faults_kinesis;
mod faults_network;
mod faults_signals;
mod faults_startup;
mod headless_apache_logs;
mod headless_messy_lines;
mod kinesis_binary;
mod kinesis_encodings;
mod kinesis_polling;
mod kinesis_reshard;
mod metadata_lpm_props;
mod metadata_refresh;
mod parse_apache_logs;
mod parse_roundtrip;
mod relay_equivalence;
mod s3_metadata;
mod source_file;
mod time_range;
mod tui_alarm_band;
mod tui_recent;
mod tui_search;
mod tui_tmux;
mod tui_views;
