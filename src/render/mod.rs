//! Readers of a trace that turn it into text: the public JSON-lines format,
//! the plain-text lanes chart, and the Trace Event Format for Perfetto.

pub mod chrome;
pub mod jsonl;
pub mod text;
