//! The built-in demo: realistic traffic from several applications.
