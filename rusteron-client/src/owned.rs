//! Owned, sendable handles: create a subscription or an exclusive publication on one
//! thread, use it on another.
//!
//! The generated [`AeronSubscription`] and [`AeronExclusivePublication`] are cloneable
//! handles sharing one C object, so they cannot be `Send`: a clone left behind would let
//! two threads use a single-threaded C object at once. [`AeronSubscription::into_owned`] and
//! [`AeronExclusivePublication::into_owned`] consume a handle and succeed only when it is
//! the *only* one: its reference count is 1 (no clone, no retained image, no destination
//! command holds it), no weak reference exists, and the wrapper owns the C object (it is
//! not a borrowed view of something C owns). The owned types are not `Clone` and never
//! lend out a `&AeronSubscription` / `&AeronExclusivePublication` (which could be cloned),
//! so uniqueness holds for their whole life.
//!
//! ```
//! use std::time::Duration;
//! use rusteron_client::*;
//! # fn main() -> Result<(), AeronCError> {
//! let driver = rusteron_media_driver::launch_for_tests()?;
//! let aeron = Aeron::builder().dir(driver.dir()).connect()?;
//! let subscription = aeron.add_subscription(
//!     c"aeron:ipc", 7, Handlers::no_available_image_handler(),
//!     Handlers::no_unavailable_image_handler(), Duration::from_secs(5))?;
//! let owned = subscription.into_owned().map_err(|e| e.error())?;
//! let polled = std::thread::spawn(move || owned.poll_once(|_msg: &[u8], _h: AeronHeader| {}, 10))
//!     .join()
//!     .unwrap()?;
//! assert_eq!(polled, 0);
//! # Ok(()) }
//! ```
//!
//! A clone that is still alive makes `into_owned` fail and hands the handle back:
//!
//! ```
//! # use std::time::Duration;
//! # use rusteron_client::*;
//! # fn main() -> Result<(), AeronCError> {
//! # let driver = rusteron_media_driver::launch_for_tests()?;
//! # let aeron = Aeron::builder().dir(driver.dir()).connect()?;
//! let publication = aeron.add_exclusive_publication(c"aeron:ipc", 8, Duration::from_secs(5))?;
//! let clone = publication.clone();
//! let refused = publication.into_owned().unwrap_err();
//! assert_eq!(refused.other_handles(), 1);
//! drop(clone);
//! let owned = refused.into_handle().into_owned().map_err(|e| e.error())?;
//! # drop(owned);
//! # Ok(()) }
//! ```
//!
//! The owned types are `Send` but not `Sync` (C: one thread at a time) and not `Clone`:
//!
//! ```compile_fail,E0277
//! fn sync<T: Sync>() {}
//! sync::<rusteron_client::OwnedSubscription>();
//! ```
//!
//! ```compile_fail,E0599
//! fn f(owned: rusteron_client::OwnedExclusivePublication) { let _ = owned.clone(); }
//! ```

use std::fmt;
use std::sync::Arc;

use crate::error::{AeronCError, AeronErrorType};
use crate::publication::BufferClaim;
use crate::resource::ManagedCResource;
use crate::{AeronExclusivePublication, AeronHeader, AeronSubscription, ControlledPollAction};

/// Why [`into_owned`](AeronSubscription::into_owned) refused, with the handle given back.
pub struct IntoOwnedError<T> {
    handle: T,
    other_handles: usize,
    borrowed: bool,
}

impl<T> IntoOwnedError<T> {
    /// The handle, unchanged.
    pub fn into_handle(self) -> T {
        self.handle
    }

    /// How many other handles (clones, retained images, pending commands) share the C object.
    pub fn other_handles(&self) -> usize {
        self.other_handles
    }

    /// The refusal as an [`AeronCError`] of kind
    /// [`InvalidArgument`](AeronErrorType::InvalidArgument) (the handle is dropped).
    pub fn error(self) -> AeronCError {
        AeronCError::with_message(AeronErrorType::InvalidArgument, self.message())
    }

    fn message(&self) -> String {
        if self.borrowed {
            "into_owned: the handle is a view of an object C owns, it cannot be owned".to_owned()
        } else {
            format!(
                "into_owned: {} other handle(s) (clones, images, commands) share this object; drop them first",
                self.other_handles
            )
        }
    }
}

impl<T> fmt::Debug for IntoOwnedError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoOwnedError")
            .field("other_handles", &self.other_handles)
            .field("borrowed", &self.borrowed)
            .finish()
    }
}

impl<T> fmt::Display for IntoOwnedError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl<T> std::error::Error for IntoOwnedError<T> {}

/// Checks that `owner` is the only reference to a C object this wrapper owns.
fn check_unique<T>(handle: T, owner: Option<&Arc<ManagedCResource>>) -> Result<T, IntoOwnedError<T>> {
    match owner {
        Some(owner) if owner.owns_handle() => {
            // We hold `handle` by value, so no other thread can clone this Arc between the
            // check and the move (cloning needs a reference to an existing handle).
            let others = Arc::strong_count(owner) - 1 + Arc::weak_count(owner);
            if others == 0 {
                Ok(handle)
            } else {
                Err(IntoOwnedError {
                    handle,
                    other_handles: others,
                    borrowed: false,
                })
            }
        }
        _ => Err(IntoOwnedError {
            handle,
            other_handles: 0,
            borrowed: true,
        }),
    }
}

/// The only handle to a subscription: `Send`, not `Clone`, not `Sync`. See the module docs.
pub struct OwnedSubscription {
    inner: AeronSubscription,
}

// SAFETY: aeronc.h: "Subscriptions are not threadsafe and should not be shared between
// subscribers": one thread at a time may poll, not necessarily the creating one (the C
// subscription keeps no thread-local state; the conductor thread only swaps its image list
// with release/acquire atomics). `into_owned` proved this is the only Rust handle (strong
// count 1, no weak, C object owned by it), the type is not Clone and never lends a
// `&AeronSubscription`, so moving it moves the only way to use the C object; not being
// Sync keeps `&self` calls on one thread. Moving between threads synchronises (the
// channel/spawn that moves it), so the next thread sees every write of the previous one.
unsafe impl Send for OwnedSubscription {}

impl AeronSubscription {
    /// Turns the only handle of this subscription into a [`OwnedSubscription`] that can be
    /// sent to another thread. Fails (handing the handle back) while a clone, a retained
    /// image or a destination command shares it, or when C owns the subscription.
    pub fn into_owned(self) -> Result<OwnedSubscription, IntoOwnedError<AeronSubscription>> {
        match check_unique((), self.owner()) {
            Ok(()) => Ok(OwnedSubscription { inner: self }),
            Err(e) => Err(IntoOwnedError {
                handle: self,
                other_handles: e.other_handles,
                borrowed: e.borrowed,
            }),
        }
    }
}

impl OwnedSubscription {
    /// Polls up to `fragment_limit` fragments, each given to `handler` (see
    /// [`AeronSubscription::poll_once`]). Allocates nothing.
    #[inline]
    pub fn poll_once<F: FnMut(&[u8], AeronHeader<'_>)>(
        &self,
        handler: F,
        fragment_limit: usize,
    ) -> Result<i32, AeronCError> {
        self.inner.poll_once(handler, fragment_limit)
    }

    /// Controlled poll (see [`AeronSubscription::controlled_poll_once`]).
    #[inline]
    pub fn controlled_poll_once<F: FnMut(&[u8], AeronHeader<'_>) -> ControlledPollAction>(
        &self,
        handler: F,
        fragment_limit: usize,
    ) -> Result<i32, AeronCError> {
        self.inner.controlled_poll_once(handler, fragment_limit)
    }

    /// True when at least one publisher's image is connected.
    pub fn is_connected(&self) -> bool {
        self.inner.is_connected()
    }

    /// Number of images (publishers) currently connected.
    pub fn image_count(&self) -> Result<i32, AeronCError> {
        self.inner.image_count()
    }

    /// True once closed (by C, by [`close`](Self::close), or with its client).
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Status of the channel (1 active, -1 errored).
    pub fn channel_status(&self) -> i64 {
        self.inner.channel_status()
    }

    /// Closes the subscription now (it is otherwise closed on drop).
    pub fn close(&self) -> Result<(), AeronCError> {
        self.inner.close().map(|_| ())
    }

    /// Gives the shared, cloneable (and so not `Send`) handle back.
    pub fn into_shared(self) -> AeronSubscription {
        self.inner
    }

    /// The raw C pointer (for calling `rusteron_sys` directly).
    pub fn get_inner(&self) -> *mut rusteron_sys::aeron_subscription_t {
        self.inner.get_inner()
    }

    /// The wrapped handle, for this crate's own pollers; never handed to users (a clone
    /// of it would break uniqueness).
    pub(crate) fn shared(&self) -> &AeronSubscription {
        &self.inner
    }
}

impl fmt::Debug for OwnedSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSubscription").field("inner", &self.inner).finish()
    }
}

/// The only handle to an exclusive publication: `Send`, not `Clone`, not `Sync`. See the
/// module docs.
pub struct OwnedExclusivePublication {
    inner: AeronExclusivePublication,
}

// SAFETY: aeronc.h: an exclusive publication "is not threadsafe": its term offset and
// position fields are plain (non-atomic) state of one publishing thread, which need not be
// the creating thread (no thread-local state). `into_owned` proved this is the only Rust
// handle (strong count 1, no weak, C object owned by it), the type is not Clone and never
// lends a `&AeronExclusivePublication`; a `BufferClaim` borrows it and is not Send. Not
// being Sync keeps `&self` calls on one thread; the move itself synchronises.
unsafe impl Send for OwnedExclusivePublication {}

impl AeronExclusivePublication {
    /// Turns the only handle of this exclusive publication into an
    /// [`OwnedExclusivePublication`] that can be sent to another thread. Fails (handing the
    /// handle back) while a clone or a destination command shares it.
    pub fn into_owned(self) -> Result<OwnedExclusivePublication, IntoOwnedError<AeronExclusivePublication>> {
        match check_unique((), self.owner()) {
            Ok(()) => Ok(OwnedExclusivePublication { inner: self }),
            Err(e) => Err(IntoOwnedError {
                handle: self,
                other_handles: e.other_handles,
                borrowed: e.borrowed,
            }),
        }
    }
}

impl OwnedExclusivePublication {
    /// Publishes `buffer` (see [`AeronExclusivePublication::offer`]; no supplier).
    #[inline]
    pub fn offer(&self, buffer: &[u8]) -> Result<i64, AeronCError> {
        self.inner
            .offer(buffer, crate::Handlers::no_reserved_value_supplier_handler())
    }

    /// Publishes the concatenation of `buffers` as one message (see
    /// [`AeronExclusivePublication::offerv`]).
    #[inline]
    pub fn offerv(&self, buffers: &[&[u8]]) -> Result<i64, AeronCError> {
        self.inner
            .offerv(buffers, crate::Handlers::no_reserved_value_supplier_handler())
    }

    /// Publishes `buffer` with a reserved value computed from the frame (see
    /// [`AeronExclusivePublication::offer_once`]).
    #[inline]
    pub fn offer_once<F: FnMut(&[u8]) -> i64>(
        &self,
        buffer: &[u8],
        reserved_value_supplier: F,
    ) -> Result<i64, AeronCError> {
        self.inner.offer_once(buffer, reserved_value_supplier)
    }

    /// Claims `length` bytes to write in place (see [`AeronExclusivePublication::try_claim`]).
    #[inline]
    pub fn try_claim(&self, length: usize) -> Result<BufferClaim<'_>, AeronCError> {
        self.inner.try_claim(length)
    }

    /// Claims, fills and commits (see [`AeronExclusivePublication::try_claim_with`]).
    #[inline]
    pub fn try_claim_with(&self, length: usize, fill: impl FnOnce(&mut [u8])) -> Result<i64, AeronCError> {
        self.inner.try_claim_with(length, fill)
    }

    /// True when a subscriber is connected.
    pub fn is_connected(&self) -> bool {
        self.inner.is_connected()
    }

    /// True once closed (by C, by [`close`](Self::close), or with its client).
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The current stream position (negative code once closed).
    pub fn position(&self) -> i64 {
        self.inner.position()
    }

    /// The position beyond which offers are back pressured.
    pub fn position_limit(&self) -> i64 {
        self.inner.position_limit()
    }

    /// Status of the channel (1 active, -1 errored).
    pub fn channel_status(&self) -> i64 {
        self.inner.channel_status()
    }

    /// Session id, stream id and maximum message / payload lengths.
    pub fn constants(&self) -> Result<PublicationInfo, AeronCError> {
        let ptr = self.inner.checked_ptr()?;
        // SAFETY: a plain C struct of integers and pointers, for which all-zero is valid.
        let mut raw: rusteron_sys::aeron_publication_constants_t = unsafe { std::mem::zeroed() };
        // SAFETY: ptr is open; raw is a valid out-parameter (plain values and a channel
        // pointer we do not keep).
        crate::error::check(unsafe { rusteron_sys::aeron_exclusive_publication_constants(ptr, &mut raw) })?;
        Ok(PublicationInfo {
            session_id: raw.session_id,
            stream_id: raw.stream_id,
            max_message_length: raw.max_message_length,
            max_payload_length: raw.max_payload_length,
            term_buffer_length: raw.term_buffer_length,
        })
    }

    /// Closes the publication now (it is otherwise closed on drop).
    pub fn close(&self) -> Result<(), AeronCError> {
        self.inner.close().map(|_| ())
    }

    /// Gives the shared, cloneable (and so not `Send`) handle back.
    pub fn into_shared(self) -> AeronExclusivePublication {
        self.inner
    }

    /// The raw C pointer (for calling `rusteron_sys` directly).
    pub fn get_inner(&self) -> *mut rusteron_sys::aeron_exclusive_publication_t {
        self.inner.get_inner()
    }

    /// The wrapped handle, for this crate's own publishers; never handed to users.
    #[allow(dead_code)]
    pub(crate) fn shared(&self) -> &AeronExclusivePublication {
        &self.inner
    }
}

impl fmt::Debug for OwnedExclusivePublication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedExclusivePublication")
            .field("inner", &self.inner)
            .finish()
    }
}

/// What a publication is: ids and size limits (from `aeron_exclusive_publication_constants`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicationInfo {
    /// The publication's session id (one per publisher on a stream).
    pub session_id: i32,
    /// The stream id.
    pub stream_id: i32,
    /// Longest message `offer` accepts (fragmented above the payload length).
    pub max_message_length: usize,
    /// Longest unfragmented message (one MTU minus the header).
    pub max_payload_length: usize,
    /// Length of one term of the log.
    pub term_buffer_length: usize,
}
