//! Safe Rust API over the Aeron 1.54 C archive client.
//!
//! Record streams into an Aeron Archive, find recordings, and replay them, from Rust, with
//! the same handles, handlers and errors as [`rusteron_client`] (re-exported here:
//! `rusteron_archive::Aeron` *is* `rusteron_client::Aeron`, so one client serves
//! publications, subscriptions and any number of archive connections).
//!
//! The archive C client is compiled from Aeron's sources by `rusteron-sys` (feature
//! `archive`), with its SBE codecs generated in Rust from the archive's schema: the build
//! needs a C compiler and nothing else (no Java, Gradle or CMake). See the README for the
//! typical workflow as a complete example.
//!
//! # Connecting
//!
//! An [`AeronArchiveContext`] says where the archive listens and how to talk to it; the
//! control request channel and the control response channel are required:
//!
//! ```no_run
//! use std::time::Duration;
//! use rusteron_archive::*;
//!
//! # fn main() -> Result<(), AeronCError> {
//! # let aeron_ctx = AeronContext::new()?;
//! # let aeron = Aeron::new(&aeron_ctx)?;
//! # aeron.start()?;
//! let ctx = AeronArchiveContext::new_with_aeron(&aeron)?; // share your client
//! ctx.set_control_request_channel(c"aeron:udp?endpoint=localhost:8010")?;
//! ctx.set_control_response_channel(c"aeron:udp?endpoint=localhost:0")?;
//! ctx.set_message_timeout_ns(5_000_000_000)?;
//!
//! // Blocking, up to the message timeout:
//! let archive = AeronArchive::connect(&ctx)?;
//! // Or step by step (poll() returns Ok(None) until connected):
//! let archive2 = AeronArchiveAsyncConnect::new(&ctx)?.poll_blocking(Duration::from_secs(5))?;
//! # Ok(()) }
//! ```
//!
//! Both fail with [`AeronErrorType::TimedOut`] when no archive answers in time. A context
//! without a client gets one (owned by the context) on its first connect. The archive keeps
//! its context, the client and every handler set on the context alive.
//!
//! # Configuring the context
//!
//! Generated setters and getters cover channels, stream ids (defaults in
//! [`AERON_ARCHIVE_CONTROL_STREAM_ID_DEFAULT`] & co), `message_timeout_ns`,
//! `message_retry_attempts`, control term length, MTU, sparse terms and client name.
//! Callbacks take a [`Handler`] (see "Handlers" below):
//!
//! | setter | callback |
//! |---|---|
//! | `set_error_handler` | [`AeronErrorHandlerCallback`]: errors the archive reports asynchronously |
//! | `set_recording_signal_consumer` | [`AeronArchiveRecordingSignalConsumerFuncCallback`]: recording signals (convert with [`RecordingSignal::from`]) |
//! | `set_delegating_invoker` | [`AeronArchiveDelegatingInvokerFuncCallback`]: run while waiting for responses |
//! | [`set_idle_strategy`](AeronArchiveContext::set_idle_strategy) | [`AeronIdleStrategyFuncCallback`] (default [`BackoffIdleStrategy`]) |
//! | [`set_credentials_supplier`](AeronArchiveContext::set_credentials_supplier) | [`CredentialsSupplier`] (e.g. [`StaticCredentials`]) |
//!
//! # Recording, listing, replaying
//!
//! All on [`AeronArchive`], generated from `aeron_archive.h` (one method per C function,
//! errors as [`AeronCError`], out-parameters as return values):
//!
//! - recording: `start_recording` (with a [`SourceLocation`]), `add_recorded_publication`,
//!   `add_recorded_exclusive_publication`, `extend_recording`, `stop_recording_subscription`,
//!   `stop_recording_channel_and_stream`, `stop_recording_publication`, the `try_stop_*`
//!   variants (`Ok(false)` when nothing was recording);
//! - positions: `get_recording_position`, `get_start_position`, `get_stop_position`,
//!   `get_max_recorded_position`, and [`RecordingPos`] to follow a recording through the
//!   client's counters without asking the archive;
//! - finding recordings: [`list_recording_descriptors`](AeronArchive::list_recording_descriptors),
//!   [`list_recording_descriptors_for_uri`](AeronArchive::list_recording_descriptors_for_uri),
//!   [`list_recording_descriptor`](AeronArchive::list_recording_descriptor),
//!   [`list_recording_subscription_descriptors`](AeronArchive::list_recording_subscription_descriptors)
//!   return owned [`RecordingDescriptor`]s / [`RecordingSubscriptionDescriptor`]s; the
//!   generated `list_recordings(.., handler)` / `list_recordings_once(.., closure)` family
//!   calls back per descriptor instead; `find_last_matching_recording`;
//! - replaying: `replay` (returns the subscription to poll) or `start_replay` (returns the
//!   replay session id; its low 32 bits are the image's session id), both with
//!   [`AeronArchiveReplayParams`] (`new()` then `set_position`, `set_length`
//!   ([`ARCHIVE_REPLAY_ALL_AND_FOLLOW`], [`ARCHIVE_REPLAY_ALL_AND_STOP`]),
//!   `set_bounding_limit_counter_id`, ...), `stop_replay`, `stop_all_replays`;
//!   [`AeronArchiveReplayMerge`] replays then merges into the live stream;
//! - maintenance: `truncate_recording`, `purge_recording`, `detach_segments`,
//!   `delete_detached_segments`, `purge_segments`, `attach_segments`, `migrate_segments`,
//!   `update_channel`, `segment_file_base_position`;
//! - replication between archives: `replicate` with [`AeronArchiveReplicationParams`]
//!   (`new()`, numeric setters, and the string setters
//!   [`set_replication_channel`](AeronArchiveReplicationParams::set_replication_channel),
//!   [`set_live_destination`](AeronArchiveReplicationParams::set_live_destination),
//!   [`set_src_response_channel`](AeronArchiveReplicationParams::set_src_response_channel)),
//!   `stop_replication`, `try_stop_replication`;
//! - signals and errors: `poll_for_recording_signals`, `check_for_error_response`,
//!   `poll_for_error_response`.
//!
//! [`AeronArchivePersistentSubscription`] (new in Aeron 1.54) replays a recording and then
//! follows the live stream; configure it with an [`AeronArchivePersistentSubscriptionContext`]
//! and a [`PersistentSubscriptionListener`].
//!
//! Archive failures carry the archive's error code: see [`ArchiveErrorExt`].
//!
//! # Handlers
//!
//! Callbacks C keeps (error handler, signal consumer...) are [`Handler`]s: move the value to
//! the heap with `Handlers::leak(value)`, pass `Some(&handler)`, and `release()` your share
//! when you no longer need it (the context keeps its own share while C may call it). A
//! closure of the right signature is a handler too. `None` needs a type: use the typed
//! "no handler" helpers (`Handlers::no_error_handler_handler()`, and the archive's own on
//! the [`ArchiveHandlers`] trait, e.g. `Handlers::no_archive_recording_signal_consumer_func_handler()`).
//!
//! ```no_run
//! use rusteron_archive::*;
//!
//! struct Signals(Vec<RecordingSignal>);
//!
//! impl AeronArchiveRecordingSignalConsumerFuncCallback for Signals {
//!     fn handle_aeron_archive_recording_signal_consumer_func(&mut self, signal: AeronArchiveRecordingSignal) {
//!         self.0.push(RecordingSignal::from(&signal)); // copy: the argument is borrowed
//!     }
//! }
//!
//! # fn main() -> Result<(), AeronCError> {
//! let ctx = AeronArchiveContext::new()?;
//! let mut signals = Handlers::leak(Signals(Vec::new()));
//! ctx.set_recording_signal_consumer(Some(&signals))?;
//! ctx.set_error_handler(Some(&Handlers::leak(|code: i32, message: &str| eprintln!("archive error {code}: {message}"))))?;
//! ctx.set_delegating_invoker(Handlers::no_archive_delegating_invoker_func_handler())?;
//! signals.release(); // the context still holds it
//! # Ok(()) }
//! ```
//!
//! Arguments passed to callbacks (descriptors, signals, fragments) are borrowed for the
//! duration of the call: copy what you keep ([`RecordingDescriptor::from`], `to_vec()`).
//! Calls that only call back during the call take a closure directly (`*_once` methods,
//! `subscription.poll_once(|msg, header| ..., limit)`).

mod generated {
    #![allow(clippy::all, missing_docs, rustdoc::all)]
    include!(concat!(env!("OUT_DIR"), "/aeron_archive.rs"));
}
pub use generated::*;
pub use rusteron_client::*;

mod archive_constants;
mod archive_errors;
mod connect;
mod context;
mod credentials;
mod descriptors;
mod params;
mod persistent_subscription;
mod recording_pos;
mod replay_merge;
#[cfg(feature = "server")]
pub mod server;

pub use archive_constants::*;
pub use archive_errors::{ArchiveErrorCode, ArchiveErrorExt};
pub use context::BackoffIdleStrategy;
pub use credentials::{CredentialsSupplier, StaticCredentials};
pub use descriptors::{RecordingDescriptor, RecordingSignal, RecordingSignalCode, RecordingSubscriptionDescriptor};
pub use persistent_subscription::{
    PersistentSubscriptionListener, AERON_ARCHIVE_PERSISTENT_SUBSCRIPTION_FROM_LIVE,
    AERON_ARCHIVE_PERSISTENT_SUBSCRIPTION_FROM_START,
};
pub use recording_pos::{RecordingPos, RECORDING_POSITION_TYPE_ID};
pub use replay_merge::{epoch_clock_ms, REPLAY_MERGE_PROGRESS_TIMEOUT_DEFAULT_MS};

/// The README's examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
