//! Files and standard input, optionally followed like `tail -F`.
