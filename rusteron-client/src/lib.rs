//! Safe Rust API over the Aeron 1.54 C client.

pub mod cnc;
pub mod constants;
pub mod counters;
pub mod error;
pub mod handler;
pub mod panic;
pub mod publication;
pub mod resource;
mod send_sync;
pub mod strings;
pub mod subscription;
pub mod uri;

pub use constants::*;
pub use error::{AeronCError, AeronErrorType};
pub use handler::{Handler, Handlers};
pub use resource::ManagedCResource;
pub use strings::IntoCString;

/// The raw C bindings (`rusteron_sys`).
pub use rusteron_sys as bindings;

mod generated {
    #![allow(clippy::all, missing_docs, rustdoc::all)]
    include!(concat!(env!("OUT_DIR"), "/aeron.rs"));
}
pub use generated::*;

/// The workspace README's snippets, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
