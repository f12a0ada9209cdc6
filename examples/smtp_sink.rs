//! Placeholder replaced by the smtp-proto work.
fn main() {}
