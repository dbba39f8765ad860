//! Publishing: [`offer`](AeronPublication::offer), vectored
//! [`offerv`](AeronPublication::offerv), zero-copy [`try_claim`](AeronPublication::try_claim)
//! and [`Aeron::add_publication`].
//!
//! The same API exists on [`AeronPublication`] (many threads may offer at once) and
//! [`AeronExclusivePublication`] (one thread at a time).
//!
//! Hot paths allocate nothing: a negative C result becomes an [`AeronCError`] through
//! [`AeronCError::from_publication_result`] (no message, no heap), `offerv` gathers its
//! buffers in an `aeron_iovec_t` array on the stack, and a [`BufferClaim`] is a plain value
//! holding the claimed frame.
//!
//! ```no_run
//! # use rusteron_client::*;
//! # fn demo(publication: &AeronPublication) -> Result<(), AeronCError> {
//! match publication.offer(b"hello", Handlers::no_reserved_value_supplier_handler()) {
//!     Ok(position) => println!("published up to {position}"),
//!     Err(e) if e.is_back_pressured() => { /* retry later */ }
//!     Err(e) => return Err(e),
//! }
//! let mut claim = publication.try_claim(5)?;
//! claim.data().copy_from_slice(b"world");
//! claim.commit()?;
//! # Ok(()) }
//! ```

use std::ffi::{c_void, CStr};
use std::sync::Arc;
use std::time::Duration;

use rusteron_sys::{
    aeron_buffer_claim_abort, aeron_buffer_claim_commit, aeron_buffer_claim_t,
    aeron_exclusive_publication_append_padding, aeron_exclusive_publication_channel_status,
    aeron_exclusive_publication_is_closed, aeron_exclusive_publication_offer, aeron_exclusive_publication_offerv,
    aeron_exclusive_publication_position, aeron_exclusive_publication_position_limit,
    aeron_exclusive_publication_try_claim, aeron_iovec_t, aeron_publication_channel_status,
    aeron_publication_is_closed, aeron_publication_offer, aeron_publication_offerv, aeron_publication_position,
    aeron_publication_position_limit, aeron_publication_try_claim, aeron_reserved_value_supplier_t,
    AERON_PUBLICATION_CLOSED,
};

use crate::error::{AeronCError, AeronErrorType};
use crate::handler::Handler;
use crate::panic::{call_and_resume, ClosureCall};
use crate::resource::ManagedCResource;
use crate::{
    aeron_reserved_value_supplier_callback, Aeron, AeronExclusivePublication, AeronPublication,
    AeronReservedValueSupplierCallback,
};

/// Most buffers [`offerv`](AeronPublication::offerv) gathers (on the stack) in one message.
pub const MAX_OFFERV_BUFFERS: usize = 16;
/// Length of the data frame header in front of every message fragment.
pub const DATA_HEADER_LENGTH: usize = 32;
/// Frames start at multiples of this many bytes in the log.
pub const FRAME_ALIGNMENT: usize = 32;
/// Offset of the 8-byte little-endian reserved value in the data frame header.
pub const RESERVED_VALUE_OFFSET: usize = 24;
/// `channel_status()` of a closed publication (C's "no counter allocated").
pub const CHANNEL_STATUS_NO_ID_ALLOCATED: i64 = -1;

/// How far the position advances for an unfragmented message of `length` bytes: the
/// header plus the payload, rounded up to [`FRAME_ALIGNMENT`].
#[inline]
pub const fn aligned_frame_length(length: usize) -> usize {
    (length + DATA_HEADER_LENGTH + FRAME_ALIGNMENT - 1) & !(FRAME_ALIGNMENT - 1)
}

#[inline]
fn position_result(result: i64) -> Result<i64, AeronCError> {
    if result < 0 {
        Err(AeronCError::from_publication_result(result))
    } else {
        Ok(result)
    }
}

#[inline]
fn supplier_parts<H: AeronReservedValueSupplierCallback>(
    supplier: Option<&Handler<H>>,
) -> Result<(aeron_reserved_value_supplier_t, *mut c_void), AeronCError> {
    match supplier {
        None => Ok((None, std::ptr::null_mut())),
        Some(h) if h.is_released() => Err(released()),
        Some(h) => Ok((Some(aeron_reserved_value_supplier_callback::<H>), h.as_raw())),
    }
}

#[cold]
fn released() -> AeronCError {
    AeronCError::with_message(AeronErrorType::InvalidArgument, "reserved value supplier was released")
}

#[cold]
fn too_many_buffers(count: usize) -> AeronCError {
    AeronCError::with_message(
        AeronErrorType::InvalidArgument,
        format!("offerv takes at most {MAX_OFFERV_BUFFERS} buffers, got {count}"),
    )
}

/// Trampoline for [`offer_once`](AeronPublication::offer_once): the frame is read-only.
unsafe extern "C" fn reserved_value_closure<F: FnMut(&[u8]) -> i64>(
    clientd: *mut c_void,
    frame: *mut u8,
    frame_length: usize,
) -> i64 {
    // SAFETY: clientd is the ClosureCall<F> on the stack of `offer_once`, alive for the whole
    // C call; C passes the frame it is writing (frame_length bytes) on this same thread.
    let call = unsafe { &mut *(clientd as *mut ClosureCall<'_, F>) };
    call.invoke(0, |f| {
        let bytes: &[u8] = if frame.is_null() {
            &[]
        } else {
            // SAFETY: see above; the frame is not written concurrently during the callback.
            unsafe { std::slice::from_raw_parts(frame, frame_length) }
        };
        f(bytes)
    })
}

/// A claimed range of a publication's log, to be filled in place and then committed
/// (from [`try_claim`](AeronPublication::try_claim)).
///
/// Dropping the claim without [`commit`](Self::commit) aborts it: the range becomes padding
/// that subscribers skip. Commit or abort promptly: the driver unblocks a claim held longer
/// than its publication unblock timeout.
#[must_use = "dropping a claim aborts it"]
pub struct BufferClaim<'a> {
    claim: aeron_buffer_claim_t,
    position: i64,
    owner: Option<&'a Arc<ManagedCResource>>,
    finished: bool,
}

impl BufferClaim<'_> {
    /// The position the publication reaches once this claim is committed.
    #[inline]
    pub fn position(&self) -> i64 {
        self.position
    }

    /// The claimed payload length.
    #[inline]
    pub fn len(&self) -> usize {
        self.claim.length
    }

    /// True for a zero-length claim.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.claim.length == 0
    }

    /// The payload to write the message into.
    #[inline]
    pub fn data(&mut self) -> &mut [u8] {
        if self.claim.data.is_null() || self.is_closed() {
            return &mut [];
        }
        // SAFETY: C reserved `length` bytes at `data` for this claim only, and the log stays
        // mapped while the publication is open (checked above; see `commit` for closing).
        unsafe { std::slice::from_raw_parts_mut(self.claim.data, self.claim.length) }
    }

    /// Sets the reserved value carried in the frame header (read by subscribers through
    /// the header values).
    pub fn set_reserved_value(&mut self, value: i64) {
        if self.claim.frame_header.is_null() || self.is_closed() {
            return;
        }
        let bytes = value.to_le_bytes();
        // SAFETY: frame_header points at the claimed frame's DATA_HEADER_LENGTH header bytes,
        // written only by this claim until commit; the field is 8 bytes at offset 24.
        unsafe {
            let field = self.claim.frame_header.add(RESERVED_VALUE_OFFSET);
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), field, bytes.len());
        }
    }

    /// Publishes the claimed message.
    #[inline]
    pub fn commit(mut self) -> Result<(), AeronCError> {
        self.finish(true)
    }

    /// Gives the range up: it becomes padding that subscribers skip.
    #[inline]
    pub fn abort(mut self) -> Result<(), AeronCError> {
        self.finish(false)
    }

    #[inline]
    fn is_closed(&self) -> bool {
        self.owner.is_some_and(|o| o.is_closed())
    }

    #[inline]
    fn finish(&mut self, commit: bool) -> Result<(), AeronCError> {
        if std::mem::replace(&mut self.finished, true) {
            return Ok(());
        }
        if self.is_closed() {
            // The log may be unmapped: touch nothing.
            return Err(AeronCError::resource_closed("publication of this claim"));
        }
        // SAFETY: the claim was filled by a successful try_claim and is finished once.
        let rc = unsafe {
            if commit {
                aeron_buffer_claim_commit(&mut self.claim)
            } else {
                aeron_buffer_claim_abort(&mut self.claim)
            }
        };
        crate::error::check(rc).map(|_| ())
    }
}

impl Drop for BufferClaim<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.finish(false) {
            log::debug!("aborting a dropped buffer claim: {e}");
        }
    }
}

impl std::fmt::Debug for BufferClaim<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufferClaim")
            .field("position", &self.position)
            .field("length", &self.claim.length)
            .field("finished", &self.finished)
            .finish()
    }
}

macro_rules! publication_api {
    ($ty:ident, $offer:ident, $offerv:ident, $try_claim:ident, $is_closed:ident, $position:ident,
     $position_limit:ident, $channel_status:ident) => {
        impl $ty {
            /// Publishes `buffer` as one message (fragmented if longer than the MTU payload).
            ///
            /// Returns the new stream position. Errors, without allocating:
            /// [`PublicationBackPressured`](AeronErrorType::PublicationBackPressured) /
            /// [`PublicationAdminAction`](AeronErrorType::PublicationAdminAction) (retry),
            /// [`NullOrNotConnected`](AeronErrorType::NullOrNotConnected) (no subscriber),
            /// [`PublicationClosed`](AeronErrorType::PublicationClosed),
            /// [`PublicationMaxPositionExceeded`](AeronErrorType::PublicationMaxPositionExceeded),
            /// [`PublicationError`](AeronErrorType::PublicationError) (e.g. longer than the
            /// maximum message length), and
            /// [`ResourceClosed`](AeronErrorType::ResourceClosed) once this wrapper or its
            /// client was closed. A panic in `reserved_value_supplier` resumes here.
            #[inline]
            pub fn offer<H: AeronReservedValueSupplierCallback>(
                &self,
                buffer: &[u8],
                reserved_value_supplier: Option<&Handler<H>>,
            ) -> Result<i64, AeronCError> {
                let ptr = self.checked_ptr()?;
                let (supplier, clientd) = supplier_parts(reserved_value_supplier)?;
                let result = if supplier.is_none() {
                    // No Rust callback can run: skip the panic bookkeeping on the hot path.
                    // SAFETY: ptr is open; buffer is valid for its length during the call.
                    unsafe { $offer(ptr, buffer.as_ptr(), buffer.len(), None, std::ptr::null_mut()) }
                } else {
                    // SAFETY: ptr is open; buffer is valid for its length during the call; the
                    // supplier trampoline matches clientd's type `H`.
                    call_and_resume(|| unsafe { $offer(ptr, buffer.as_ptr(), buffer.len(), supplier, clientd) })
                };
                position_result(result)
            }

            /// [`offer`](Self::offer) with a closure computing the frame's reserved value
            /// from the frame being written (header and payload, read-only). Allocates nothing.
            #[inline]
            pub fn offer_once<F: FnMut(&[u8]) -> i64>(
                &self,
                buffer: &[u8],
                mut reserved_value_supplier: F,
            ) -> Result<i64, AeronCError> {
                let ptr = self.checked_ptr()?;
                let mut call = ClosureCall::new(&mut reserved_value_supplier);
                let clientd = &mut call as *mut ClosureCall<'_, F> as *mut c_void;
                // SAFETY: ptr is open; `call` outlives the C call and matches the trampoline.
                let result = unsafe {
                    $offer(
                        ptr,
                        buffer.as_ptr(),
                        buffer.len(),
                        Some(reserved_value_closure::<F>),
                        clientd,
                    )
                };
                call.finish();
                position_result(result)
            }

            /// Publishes the concatenation of `buffers` as one message, gathered without
            /// copying into an intermediate buffer and without allocating. At most
            /// [`MAX_OFFERV_BUFFERS`] buffers
            /// ([`InvalidArgument`](AeronErrorType::InvalidArgument) otherwise). Results as
            /// for [`offer`](Self::offer).
            #[inline]
            pub fn offerv<H: AeronReservedValueSupplierCallback>(
                &self,
                buffers: &[&[u8]],
                reserved_value_supplier: Option<&Handler<H>>,
            ) -> Result<i64, AeronCError> {
                if buffers.len() > MAX_OFFERV_BUFFERS {
                    return Err(too_many_buffers(buffers.len()));
                }
                let ptr = self.checked_ptr()?;
                let (supplier, clientd) = supplier_parts(reserved_value_supplier)?;
                let empty = aeron_iovec_t {
                    iov_base: std::ptr::null_mut(),
                    iov_len: 0,
                };
                let mut iov = [empty; MAX_OFFERV_BUFFERS];
                for (slot, buffer) in iov.iter_mut().zip(buffers) {
                    // C only reads through iov_base (it is `uint8_t *` for historic reasons).
                    *slot = aeron_iovec_t {
                        iov_base: buffer.as_ptr() as *mut u8,
                        iov_len: buffer.len(),
                    };
                }
                // SAFETY: ptr is open; the first buffers.len() iovecs point at live slices.
                let result =
                    call_and_resume(|| unsafe { $offerv(ptr, iov.as_mut_ptr(), buffers.len(), supplier, clientd) });
                position_result(result)
            }

            /// Claims `length` bytes of the log to write one message in place; see
            /// [`BufferClaim`]. `length` must not exceed the maximum payload length (one MTU
            /// minus the header): [`PublicationError`](AeronErrorType::PublicationError)
            /// otherwise. Other errors as for [`offer`](Self::offer). Allocates nothing.
            #[inline]
            pub fn try_claim(&self, length: usize) -> Result<BufferClaim<'_>, AeronCError> {
                let ptr = self.checked_ptr()?;
                let mut claim = aeron_buffer_claim_t {
                    frame_header: std::ptr::null_mut(),
                    data: std::ptr::null_mut(),
                    length: 0,
                };
                // SAFETY: ptr is open; claim is a valid out-parameter.
                let result = unsafe { $try_claim(ptr, length, &mut claim) };
                let position = position_result(result)?;
                Ok(BufferClaim {
                    claim,
                    position,
                    owner: self.owner(),
                    finished: false,
                })
            }

            /// Claims `length` bytes, lets `fill` write the message in place, and commits:
            /// the zero-copy path of [`try_claim`](Self::try_claim) without a
            /// [`BufferClaim`] value in between. Returns the new position. If `fill` panics
            /// the claim is aborted and the panic resumes. Allocates nothing.
            #[inline]
            pub fn try_claim_with(&self, length: usize, fill: impl FnOnce(&mut [u8])) -> Result<i64, AeronCError> {
                let ptr = self.checked_ptr()?;
                let mut claim = aeron_buffer_claim_t {
                    frame_header: std::ptr::null_mut(),
                    data: std::ptr::null_mut(),
                    length: 0,
                };
                // SAFETY: ptr is open; claim is a valid out-parameter.
                let position = position_result(unsafe { $try_claim(ptr, length, &mut claim) })?;
                /// Aborts the claim unless disarmed (runs if `fill` panics).
                struct AbortOnUnwind(*mut aeron_buffer_claim_t);
                impl Drop for AbortOnUnwind {
                    fn drop(&mut self) {
                        // SAFETY: the claim is live and not yet committed.
                        unsafe { aeron_buffer_claim_abort(self.0) };
                    }
                }
                let guard = AbortOnUnwind(&mut claim);
                if !claim.data.is_null() {
                    // SAFETY: C reserved `length` bytes at `data` for this claim only, and the
                    // log stays mapped: `&self` keeps the publication's handle alive.
                    fill(unsafe { std::slice::from_raw_parts_mut(claim.data, claim.length) });
                }
                std::mem::forget(guard);
                // SAFETY: the claim was filled by a successful try_claim and is finished once.
                crate::error::check(unsafe { aeron_buffer_claim_commit(&mut claim) })?;
                Ok(position)
            }

            /// True once the publication was closed (by C, by `close()`, or with its client).
            #[inline]
            pub fn is_closed(&self) -> bool {
                match self.checked_ptr() {
                    // SAFETY: ptr is open.
                    Ok(ptr) => unsafe { $is_closed(ptr) },
                    Err(_) => true,
                }
            }

            /// The current position of the stream, or a negative publication code
            /// (`AERON_PUBLICATION_CLOSED` once closed).
            #[inline]
            pub fn position(&self) -> i64 {
                match self.checked_ptr() {
                    // SAFETY: ptr is open.
                    Ok(ptr) => unsafe { $position(ptr) },
                    Err(_) => AERON_PUBLICATION_CLOSED as i64,
                }
            }

            /// The position beyond which offers are back pressured, or a negative
            /// publication code (`AERON_PUBLICATION_CLOSED` once closed).
            #[inline]
            pub fn position_limit(&self) -> i64 {
                match self.checked_ptr() {
                    // SAFETY: ptr is open.
                    Ok(ptr) => unsafe { $position_limit(ptr) },
                    Err(_) => AERON_PUBLICATION_CLOSED as i64,
                }
            }

            /// Status of the channel: 1 active, -1 errored, and
            /// [`CHANNEL_STATUS_NO_ID_ALLOCATED`] once closed.
            #[inline]
            pub fn channel_status(&self) -> i64 {
                match self.checked_ptr() {
                    // SAFETY: ptr is open.
                    Ok(ptr) => unsafe { $channel_status(ptr) },
                    Err(_) => CHANNEL_STATUS_NO_ID_ALLOCATED,
                }
            }
        }
    };
}

publication_api!(
    AeronPublication,
    aeron_publication_offer,
    aeron_publication_offerv,
    aeron_publication_try_claim,
    aeron_publication_is_closed,
    aeron_publication_position,
    aeron_publication_position_limit,
    aeron_publication_channel_status
);

publication_api!(
    AeronExclusivePublication,
    aeron_exclusive_publication_offer,
    aeron_exclusive_publication_offerv,
    aeron_exclusive_publication_try_claim,
    aeron_exclusive_publication_is_closed,
    aeron_exclusive_publication_position,
    aeron_exclusive_publication_position_limit,
    aeron_exclusive_publication_channel_status
);

impl AeronExclusivePublication {
    /// Appends a padding frame of `length` bytes (rounded up to a frame) that subscribers
    /// skip; returns the new position. Errors as for [`offer`](Self::offer).
    pub fn append_padding(&self, length: usize) -> Result<i64, AeronCError> {
        let ptr = self.checked_ptr()?;
        // SAFETY: ptr is open.
        position_result(unsafe { aeron_exclusive_publication_append_padding(ptr, length) })
    }

    /// Revokes the publication: closes this handle (every clone then fails with
    /// `ResourceClosed`) and, when the C publication is released at the last handle, the
    /// driver revokes it — subscribers' images end at once instead of draining what is
    /// left, and report [`AeronImage::is_publication_revoked`](crate::AeronImage::is_publication_revoked).
    pub fn revoke(&self) -> Result<(), AeronCError> {
        let ptr = self.checked_ptr()?;
        // SAFETY: ptr is open; this only sets a flag the close reads.
        unsafe { rusteron_sys::aeron_exclusive_publication_revoke_on_close(ptr) };
        self.close().map(|_| ())
    }
}

/// Polls an async add until it completes; on timeout cancels it so the driver removes a
/// late result, and reports [`AeronErrorType::TimedOut`].
pub(crate) fn await_added<T, P>(
    pending: &P,
    timeout: Duration,
    poll_blocking: impl FnOnce(&P, Duration) -> Result<T, AeronCError>,
    cancel: impl FnOnce(&P) -> Result<i32, AeronCError>,
) -> Result<T, AeronCError> {
    match poll_blocking(pending, timeout) {
        Err(e) if e.kind() == AeronErrorType::TimedOut => {
            if let Err(cancel_error) = cancel(pending) {
                log::warn!("cancelling a timed-out add failed: {cancel_error}");
            }
            Err(e)
        }
        result => result,
    }
}

impl Aeron {
    /// Adds a publication (many threads may offer on it) and waits up to `timeout` for the
    /// driver. On timeout the pending add is cancelled and the error is
    /// [`AeronErrorType::TimedOut`]; a bad channel gives the driver's error.
    pub fn add_publication(
        &self,
        channel: &CStr,
        stream_id: i32,
        timeout: Duration,
    ) -> Result<AeronPublication, AeronCError> {
        let pending = self.async_add_publication(channel, stream_id)?;
        await_added(
            &pending,
            timeout,
            |p, t| p.poll_blocking(t),
            |p| self.async_add_publication_cancel(p),
        )
    }

    /// Adds an exclusive publication (one publishing thread, lower overhead) and waits up to
    /// `timeout` for the driver; see [`add_publication`](Self::add_publication).
    pub fn add_exclusive_publication(
        &self,
        channel: &CStr,
        stream_id: i32,
        timeout: Duration,
    ) -> Result<AeronExclusivePublication, AeronCError> {
        let pending = self.async_add_exclusive_publication(channel, stream_id)?;
        await_added(
            &pending,
            timeout,
            |p, t| p.poll_blocking(t),
            |p| self.async_add_exclusive_publication_cancel(p),
        )
    }
}
