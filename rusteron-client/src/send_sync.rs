//! `Send` and `Sync` for the wrapper types, each justified by the C client's threading
//! contract (aeronc.h and the C sources it documents).
//!
//! Every generated wrapper is `Clone`, and clones share one C handle. Sending a clone to
//! another thread therefore lets two threads use the same C object at once, so a wrapper
//! may be `Send` only when the C object tolerates concurrent use, which is the condition
//! for `Sync` as well (as `Arc<T>: Send` needs `T: Sync`). Hence:
//!
//! - `Send + Sync`: [`Aeron`], [`AeronPublication`], [`AeronCounter`],
//!   [`AeronCountersReader`]: their C functions are safe to call concurrently.
//! - neither: [`AeronExclusivePublication`](crate::AeronExclusivePublication),
//!   [`AeronSubscription`](crate::AeronSubscription), [`AeronImage`](crate::AeronImage), the
//!   fragment assemblers (single user in C), contexts and plain struct copies (setters
//!   write through `&self`), async handles (a completed poll frees the C handle, so two
//!   pollers could free it twice), and borrowed callback arguments ([`AeronHeader`](crate::AeronHeader), ...),
//!   which are valid only during the callback. Create these on the thread that uses them
//!   (the client is `Send + Sync`, so each thread can add its own).
//! - `Send` only: hand-written single-owner types that are not `Clone`, such as
//!   [`AeronFragmentClosureAssembler`](crate::subscription::AeronFragmentClosureAssembler).
//!
//! ```
//! fn send_sync<T: Send + Sync>() {}
//! send_sync::<rusteron_client::Aeron>();
//! send_sync::<rusteron_client::AeronPublication>();
//! send_sync::<rusteron_client::AeronCounter>();
//! send_sync::<rusteron_client::AeronCountersReader>();
//! fn send<T: Send>() {}
//! send::<rusteron_client::subscription::AeronFragmentClosureAssembler>();
//! ```
//!
//! An exclusive publication is not `Sync` (C: one publishing thread):
//!
//! ```compile_fail,E0277
//! fn sync<T: Sync>() {}
//! sync::<rusteron_client::AeronExclusivePublication>();
//! ```
//!
//! and not `Send`, since its clones share the C handle:
//!
//! ```compile_fail,E0277
//! fn send<T: Send>() {}
//! send::<rusteron_client::AeronExclusivePublication>();
//! ```
//!
//! A subscription is not `Send` (C: "Subscriptions are not threadsafe and should not be
//! shared between subscribers"):
//!
//! ```compile_fail,E0277
//! fn send<T: Send>() {}
//! send::<rusteron_client::AeronSubscription>();
//! ```
//!
//! A borrowed fragment header cannot leave the polling thread:
//!
//! ```compile_fail,E0277
//! fn send<T: Send>() {}
//! send::<rusteron_client::AeronHeader<'static>>();
//! ```
//!
//! nor the callback it was lent to (C's header lives on the stack of its poll), neither from
//! a closure:
//!
//! ```compile_fail,E0521
//! # use rusteron_client::*;
//! # fn f(subscription: &AeronSubscription) -> Result<(), AeronCError> {
//! let mut kept = None;
//! subscription.poll_once(|_msg: &[u8], header: AeronHeader| kept = Some(header), 10)?;
//! # Ok(()) }
//! ```
//!
//! nor from a handler (what a header says can be kept: `header.position()`,
//! `header.values()` are plain values):
//!
//! ```compile_fail
//! # use rusteron_client::*;
//! struct Keep(Option<AeronHeader<'static>>);
//! impl AeronFragmentHandlerCallback for Keep {
//!     fn handle_aeron_fragment_handler(&mut self, _msg: &[u8], header: AeronHeader<'_>) {
//!         self.0 = Some(header);
//!     }
//! }
//! ```
//!
//! ```
//! # use rusteron_client::*;
//! # fn f(subscription: &AeronSubscription) -> Result<(), AeronCError> {
//! let mut positions = Vec::new();
//! subscription.poll_once(|_msg: &[u8], header: AeronHeader| positions.push(header.position()), 10)?;
//! # Ok(()) }
//! ```

use crate::{Aeron, AeronCounter, AeronCountersReader, AeronPublication};

// SAFETY: aeron_t is made for sharing: every add/remove/close request from application
// threads goes to the client conductor through its many-producer command queue
// (aeron_client_conductor_command_offer), the conductor runs on its own thread, and the
// getters read fields fixed at start or atomics. Explicit `close()` is once-only
// (ManagedCResource) and children report ResourceClosed afterwards.
unsafe impl Send for Aeron {}
// SAFETY: see `Send` above: all `&self` methods are safe to call concurrently.
unsafe impl Sync for Aeron {}

// SAFETY: aeron_publication_t is the concurrent publication: offer/offerv/try_claim claim
// space with an atomic fetch-add on the term tail, and position/limit/status read
// counters with acquire loads, so any number of threads may publish at once (in contrast
// to aeron_exclusive_publication_t). The log buffer lives as long as the publication.
unsafe impl Send for AeronPublication {}
// SAFETY: see `Send` above.
unsafe impl Sync for AeronPublication {}

// SAFETY: an aeron_counter_t is an address in the shared counters file plus constants; its
// value is read and written with atomic operations (the file is shared with the driver and
// other processes by design), and close goes through the conductor's command queue.
unsafe impl Send for AeronCounter {}
// SAFETY: see `Send` above.
unsafe impl Sync for AeronCounter {}

// SAFETY: aeron_counters_reader_t only reads the counters files mapped for the life of
// the client: values with acquire loads, metadata written by the driver before a counter
// becomes allocated. It has no mutable state of its own, so concurrent readers are safe.
unsafe impl Send for AeronCountersReader {}
// SAFETY: see `Send` above.
unsafe impl Sync for AeronCountersReader {}
