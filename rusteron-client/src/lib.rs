//! Safe Rust API over the Aeron 1.54 C client.

pub mod cnc;
pub mod constants;
mod context;
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

pub use cnc::{DriverStats, ErrorLogEntry, LossReportEntry};
pub use constants::*;
pub use counters::{CounterInfo, COUNTER_MAX_KEY_LENGTH, COUNTER_MAX_LABEL_LENGTH, SYSTEM_COUNTER_TYPE_ID};
pub use error::{AeronCError, AeronErrorType};
pub use handler::{Handler, Handlers};
pub use publication::{
    aligned_frame_length, BufferClaim, CHANNEL_STATUS_NO_ID_ALLOCATED, DATA_HEADER_LENGTH, FRAME_ALIGNMENT,
    MAX_OFFERV_BUFFERS, RESERVED_VALUE_OFFSET,
};
pub use resource::ManagedCResource;
pub use strings::IntoCString;
pub use subscription::{AeronControlledFragmentClosureAssembler, AeronFragmentClosureAssembler, ControlledPollAction};
pub use uri::ChannelUri;

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
