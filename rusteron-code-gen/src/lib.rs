//! Build-time code generation for the rusteron workspace: pure functions, text in, text out.
//!
//! - [`sbe`]: the Aeron archive's SBE schema (XML) → C codec headers in the SBE C
//!   generator's naming (so the archive C client compiles without Java) and Rust codecs.

pub mod sbe;
