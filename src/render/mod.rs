//! Readers of a trace that turn it into text: the public JSON-lines format
//! and the plain-text lanes chart.

pub mod jsonl;
pub mod text;
