//! Headless output: JSON Lines on standard output (a contract; see README "Output").
