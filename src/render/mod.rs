//! Readers of a trace that turn it into text: the public JSON-lines format,
//! the plain-text lanes chart, the Trace Event Format for Perfetto, and a
//! picture in SVG.

pub mod chrome;
pub mod jsonl;
pub mod svg;
pub mod text;
