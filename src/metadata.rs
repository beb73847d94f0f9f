//! Loading the host-metadata file (local path or `s3://`), and keeping it fresh in the background.
