//! HdrHistogram wrapper for latencies and sizes.
