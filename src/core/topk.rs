//! Bounded top-k counting (space-saving).
