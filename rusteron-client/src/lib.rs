//! Safe Rust API over the Aeron 1.54 C client: publications, subscriptions, counters and
//! handlers, generated from the C headers by `rusteron-code-gen` and given meaning by
//! hand-written modules.
//!
//! # General patterns
//!
//! - **Cloneable handles**: every `AeronXxx` type shares one reference-counted owner of its
//!   C object; the C destructor runs once, when the last clone drops. A child keeps its
//!   parent alive, so any drop order is safe. `close()` is logical: later calls through any
//!   clone return [`AeronErrorType::ResourceClosed`] and C releases the object at the last
//!   drop, so closing while another thread is inside a call is safe.
//! - **`new()`** calls the C `*_init` / `*_create`; methods are the C functions minus their
//!   type prefix, taking `&self`.
//! - **Results**: C `int` status results become `Result<i32, AeronCError>`; out-parameters
//!   become return values; `&CStr` in, `&str` out.
//! - **Handlers**: callbacks given to C are [`Handler`]s made by [`Handlers::leak`]; the
//!   resource that registers one also keeps it alive, so `release()` is always safe.
//!   `Handlers::no_xxx_handler()` gives a correctly typed `None`. For calls that run a
//!   callback only while they execute (`poll`), the `*_once` variants take a closure on the
//!   stack and allocate nothing.
//! - **Panics** never unwind into C: a panic in a `poll` callback resumes on the polling
//!   thread after C returns; one on the client conductor thread is logged.
//!
//! # Handlers and callbacks
//!
//! Implementing a trait is the most efficient way:
//!
//! ```rust,no_run
//! use rusteron_client::*;
//!
//! pub struct MyErrorHandler;
//!
//! impl AeronErrorHandlerCallback for MyErrorHandler {
//!     fn handle_aeron_error_handler(&mut self, code: i32, msg: &str) {
//!         eprintln!("Aeron error ({}): {}", code, msg);
//!     }
//! }
//!
//! # fn main() -> Result<(), AeronCError> {
//! let ctx = AeronContext::new()?;
//! let mut handler = Handlers::leak(MyErrorHandler);
//! ctx.set_error_handler(Some(&handler))?;
//! // The context keeps its own share: releasing ours now is safe.
//! handler.release();
//! # Ok(())
//! # }
//! ```
//!
//! Closures implement the callback traits too:
//!
//! ```rust,no_run
//! # use rusteron_client::*;
//! # fn demo(subscription: &AeronSubscription) -> Result<(), AeronCError> {
//! let mut bytes = 0;
//! subscription.poll_once(|msg: &[u8], _header: AeronHeader| bytes += msg.len(), 10)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! `static` (default), `dynamic`, `precompile` choose how Aeron is linked (see
//! `rusteron-sys`); `backtrace` logs a backtrace with each [`AeronCError`] read from C;
//! `extra-logging` logs every C resource's creation and close.

#[cfg(feature = "tokio")]
pub mod asynchronous;
pub mod broker;
pub mod cnc;
pub mod constants;
mod context;
pub mod counters;
pub mod error;
pub mod handler;
pub mod owned;
pub mod panic;
pub mod publication;
pub mod pubsub;
pub mod resource;
mod send_sync;
pub mod strings;
pub mod subscription;
pub mod topic;
pub mod uri;

pub use cnc::{DriverStats, ErrorLogEntry, LossReportEntry};
pub use constants::*;
pub use counters::{CounterInfo, COUNTER_MAX_KEY_LENGTH, COUNTER_MAX_LABEL_LENGTH, SYSTEM_COUNTER_TYPE_ID};
pub use error::{AeronCError, AeronErrorType};
pub use handler::{Handler, Handlers};
pub use owned::{IntoOwnedError, OwnedExclusivePublication, OwnedSubscription, PublicationInfo};
pub use publication::{
    aligned_frame_length, BufferClaim, CHANNEL_STATUS_NO_ID_ALLOCATED, DATA_HEADER_LENGTH, FRAME_ALIGNMENT,
    MAX_OFFERV_BUFFERS, RESERVED_VALUE_OFFSET,
};
pub use pubsub::{
    ClientBuilder, Frame, IntoChannel, OfferStatus, PubSubConfig, Publisher, StreamConfig, StreamConfigBuilder,
    Subscriber,
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
