//! Build-time code generation for the rusteron workspace: pure functions, text in, text out.
//!
//! - [`wrappers`]: bindgen output → safe Rust wrappers (used by the build scripts of
//!   rusteron-client, rusteron-media-driver and rusteron-archive).
//! - [`sbe`]: the Aeron archive's SBE schema (XML) → C codec headers in the SBE C
//!   generator's naming (so the archive C client compiles without Java) and Rust codecs.

pub mod sbe;
pub mod wrappers;
