//! Subscribing: [`Aeron::add_subscription`], polling, reassembly of fragmented messages,
//! images and multi-destination subscriptions.
//!
//! # Polling without allocating
//!
//! The generated [`AeronSubscription::poll_once`] (and `controlled_poll_once`,
//! `block_poll_once`, and the same on [`AeronImage`]) takes a closure for the duration of
//! one call: the closure stays on the caller's stack, C receives its address, and a panic
//! in it is kept on that stack and resumed once C returns. Nothing is allocated, which the
//! tests check with a counting allocator.
//!
//! # Messages longer than the MTU
//!
//! A message longer than one MTU arrives as several fragments. To receive it whole, poll
//! through an assembler:
//!
//! - [`AeronFragmentClosureAssembler`] (and [`AeronControlledFragmentClosureAssembler`]):
//!   created once, then each `poll` takes a closure, with no allocation per poll;
//! - the generated [`AeronFragmentAssembler::new`] over a [`Handler`],
//!   polled with [`AeronSubscription::poll_assembled`].
//!
//! # Images
//!
//! [`AeronSubscription::images`], [`image_at_index`](AeronSubscription::image_at_index) and
//! [`image_by_session_id`](AeronSubscription::image_by_session_id) return images that C
//! keeps alive (retained) until the returned [`AeronImage`] and its clones drop. Such an
//! image keeps its subscription's C memory alive: closing the subscription is logical and
//! the image stays usable until it drops. Closing the client closes both; the image then
//! reports [`AeronErrorType::ResourceClosed`].

use std::cell::Cell;
use std::ffi::{c_int, c_void, CStr};
use std::ptr::{null_mut, NonNull};
use std::time::{Duration, Instant};

use rusteron_sys::{
    aeron_controlled_fragment_assembler_create, aeron_controlled_fragment_assembler_delete,
    aeron_controlled_fragment_assembler_delete_session_buffer, aeron_controlled_fragment_assembler_handler,
    aeron_controlled_fragment_handler_action_t, aeron_fragment_assembler_create, aeron_fragment_assembler_delete,
    aeron_fragment_assembler_delete_session_buffer, aeron_fragment_assembler_handler, aeron_header_t,
    aeron_image_controlled_poll, aeron_image_is_closed, aeron_image_poll, aeron_image_release, aeron_image_t,
    aeron_subscription_controlled_poll, aeron_subscription_image_at_index, aeron_subscription_image_by_session_id,
    aeron_subscription_is_closed, aeron_subscription_poll,
};

use crate::error::{check, AeronCError, AeronErrorType};
use crate::handler::Handler;
use crate::panic::{call_and_resume, ClosureCall};
use crate::publication::{await_added, DATA_HEADER_LENGTH};
use crate::resource::ManagedCResource;
use crate::{
    aeron_fragment_handler_callback_for_once_closure, Aeron, AeronAsyncDestination, AeronAvailableImageCallback,
    AeronControlledFragmentAssembler, AeronFragmentAssembler, AeronHeader, AeronImage, AeronSubscription,
    AeronUnavailableImageCallback,
};

/// What a controlled fragment handler tells the poll to do next (`AERON_ACTION_ABORT`,
/// `_BREAK`, `_COMMIT`, `_CONTINUE`).
pub type ControlledPollAction = aeron_controlled_fragment_handler_action_t;

impl Aeron {
    /// Adds a subscription and waits up to `timeout` for the driver. The image handlers run
    /// on the client conductor thread when a publisher's image joins or leaves; they are
    /// kept alive by the client (releasing them afterwards is safe). On timeout the pending
    /// add is cancelled and the error is [`AeronErrorType::TimedOut`].
    pub fn add_subscription<A, U>(
        &self,
        channel: &CStr,
        stream_id: i32,
        on_available_image: Option<&Handler<A>>,
        on_unavailable_image: Option<&Handler<U>>,
        timeout: Duration,
    ) -> Result<AeronSubscription, AeronCError>
    where
        A: AeronAvailableImageCallback + Send + 'static,
        U: AeronUnavailableImageCallback + Send + 'static,
    {
        let pending = self.async_add_subscription(channel, stream_id, on_available_image, on_unavailable_image)?;
        await_added(
            &pending,
            timeout,
            |p, t| p.poll_blocking(t),
            |p| self.async_add_subscription_cancel(p),
        )
    }
}

/// Destructor of a retained image: drops this crate's reference.
unsafe fn release_retained_image(image: *mut c_void) -> i32 {
    // SAFETY: `image` was retained by image_at_index/image_by_session_id and is released once
    // (ManagedCResource runs cleanup at most once, and never after the client closed).
    unsafe { aeron_image_release(image as *mut aeron_image_t) }
}

/// Polls an async destination command until it completes.
fn await_destination(
    pending: &AeronAsyncDestination,
    timeout: Duration,
    poll: fn(&AeronAsyncDestination) -> Result<i32, AeronCError>,
) -> Result<(), AeronCError> {
    let deadline = Instant::now() + timeout;
    loop {
        if poll(pending)? > 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let message = format!("destination command not answered within {timeout:?}");
            return Err(AeronCError::with_message(AeronErrorType::TimedOut, message));
        }
        std::thread::sleep(Duration::from_micros(100));
    }
}

impl AeronSubscription {
    /// True once the subscription was closed (by C, by `close()`, or with its client).
    #[inline]
    pub fn is_closed(&self) -> bool {
        match self.checked_ptr() {
            // SAFETY: ptr is open.
            Ok(ptr) => unsafe { aeron_subscription_is_closed(ptr) },
            Err(_) => true,
        }
    }

    /// Polls fragments through `assembler`, whose handler receives whole messages.
    /// Returns the number of fragments read; a panic in the handler resumes here.
    #[inline]
    pub fn poll_assembled(
        &self,
        assembler: &AeronFragmentAssembler,
        fragment_limit: usize,
    ) -> Result<i32, AeronCError> {
        let ptr = self.checked_ptr()?;
        let clientd = assembler.checked_ptr()? as *mut c_void;
        // SAFETY: both are open; aeron_fragment_assembler_handler expects the assembler as
        // clientd, and the assembler's delegate handler is kept alive by the assembler.
        let result = call_and_resume(|| unsafe {
            aeron_subscription_poll(ptr, Some(aeron_fragment_assembler_handler), clientd, fragment_limit)
        });
        check(result)
    }

    /// Controlled poll through `assembler`, whose handler receives whole messages and
    /// returns the action. Returns the number of fragments read.
    #[inline]
    pub fn controlled_poll_assembled(
        &self,
        assembler: &AeronControlledFragmentAssembler,
        fragment_limit: usize,
    ) -> Result<i32, AeronCError> {
        let ptr = self.checked_ptr()?;
        let clientd = assembler.checked_ptr()? as *mut c_void;
        let handler = Some(aeron_controlled_fragment_assembler_handler as ControlledFn);
        // SAFETY: as for poll_assembled, with the controlled assembler.
        let result =
            call_and_resume(|| unsafe { aeron_subscription_controlled_poll(ptr, handler, clientd, fragment_limit) });
        check(result)
    }

    fn retained(&self, image: *mut aeron_image_t) -> Option<AeronImage> {
        if image.is_null() {
            return None;
        }
        // SAFETY: C retained `image` for this caller; the guard releases it exactly once,
        // and its parent (this subscription, then the client) keeps it from outliving C.
        let guard = unsafe {
            ManagedCResource::new(
                image.cast(),
                "aeron_image_t",
                Some(release_retained_image),
                self.owner().cloned(),
            )
        };
        // SAFETY: the image stays valid while the guard holds the reference.
        Some(unsafe { AeronImage::from_raw_in(image, Some(guard)) })
    }

    /// The image at `index` in the subscription's current image list, retained until the
    /// returned wrapper (and its clones) drop.
    pub fn image_at_index(&self, index: usize) -> Option<AeronImage> {
        let ptr = self.checked_ptr().ok()?;
        // SAFETY: ptr is open; C returns NULL or an image it retained for us.
        self.retained(unsafe { aeron_subscription_image_at_index(ptr, index) })
    }

    /// The image of the publisher with `session_id`, retained like
    /// [`image_at_index`](Self::image_at_index).
    pub fn image_by_session_id(&self, session_id: i32) -> Option<AeronImage> {
        let ptr = self.checked_ptr().ok()?;
        // SAFETY: ptr is open; C returns NULL or an image it retained for us.
        self.retained(unsafe { aeron_subscription_image_by_session_id(ptr, session_id) })
    }

    /// All images of the subscription, each retained (see the module docs). If images come
    /// or go during the call, the list may miss one of them.
    pub fn images(&self) -> Result<Vec<AeronImage>, AeronCError> {
        let count = usize::try_from(self.image_count()?).unwrap_or(0);
        let mut images = Vec::with_capacity(count);
        while let Some(image) = self.image_at_index(images.len()) {
            images.push(image);
        }
        Ok(images)
    }

    /// Adds a destination to a multi-destination subscription (channel with
    /// `control-mode=manual`) and waits for the driver.
    pub fn add_destination(&self, aeron: &Aeron, destination: &CStr, timeout: Duration) -> Result<(), AeronCError> {
        let pending = AeronAsyncDestination::subscription_async_add_destination(aeron, self, destination)?;
        await_destination(
            &pending,
            timeout,
            AeronAsyncDestination::subscription_async_destination_poll,
        )
    }

    /// Removes a destination added with [`add_destination`](Self::add_destination) and
    /// waits for the driver.
    pub fn remove_destination(&self, aeron: &Aeron, destination: &CStr, timeout: Duration) -> Result<(), AeronCError> {
        let pending = AeronAsyncDestination::subscription_async_remove_destination(aeron, self, destination)?;
        await_destination(
            &pending,
            timeout,
            AeronAsyncDestination::subscription_async_destination_poll,
        )
    }
}

impl AeronImage {
    /// True once the image is closed (by C, or with its subscription or client).
    #[inline]
    pub fn is_closed(&self) -> bool {
        match self.checked_ptr() {
            // SAFETY: ptr is open.
            Ok(ptr) => unsafe { aeron_image_is_closed(ptr) },
            Err(_) => true,
        }
    }
}

type FragmentFn = unsafe extern "C" fn(*mut c_void, *const u8, usize, *mut aeron_header_t);
type ControlledFn = unsafe extern "C" fn(
    *mut c_void,
    *const u8,
    usize,
    *mut aeron_header_t,
) -> aeron_controlled_fragment_handler_action_t;

/// Where an assembler's C delegate finds the closure of the poll in progress.
struct Delegate<T> {
    clientd: Cell<*mut c_void>,
    handler: Cell<Option<T>>,
}

unsafe extern "C" fn forward_fragment(
    clientd: *mut c_void,
    buffer: *const u8,
    length: usize,
    header: *mut aeron_header_t,
) {
    // SAFETY: clientd is the assembler's Delegate (freed only after the C assembler).
    let delegate = unsafe { &*(clientd as *const Delegate<FragmentFn>) };
    if let Some(handler) = delegate.handler.get() {
        // SAFETY: handler and clientd were set together by the poll in progress.
        unsafe { handler(delegate.clientd.get(), buffer, length, header) }
    }
}

unsafe extern "C" fn forward_controlled(
    clientd: *mut c_void,
    buffer: *const u8,
    length: usize,
    header: *mut aeron_header_t,
) -> aeron_controlled_fragment_handler_action_t {
    // SAFETY: as in forward_fragment.
    let delegate = unsafe { &*(clientd as *const Delegate<ControlledFn>) };
    match delegate.handler.get() {
        // SAFETY: handler and clientd were set together by the poll in progress.
        Some(handler) => unsafe { handler(delegate.clientd.get(), buffer, length, header) },
        None => ControlledPollAction::AERON_ACTION_ABORT,
    }
}

/// Offset of the flags byte in the data frame header (after `frame_length: i32` and
/// `version: i8`).
const FLAGS_OFFSET: usize = 5;
/// `BEGIN | END`: the frame carries a whole message.
const UNFRAGMENTED: u8 = 0x80 | 0x40;

/// True when the fragment a poll handed to its handler is a whole message. `buffer` is the
/// payload C's term reader passes, which sits in the log right after its data frame header
/// (the `header->frame` the C assemblers read the same flags from).
///
/// # Safety
/// `buffer` is the payload pointer of a fragment handler called by an image or
/// subscription poll (never a reassembled message).
#[inline(always)]
unsafe fn is_unfragmented(buffer: *const u8) -> bool {
    // SAFETY: see the contract: the DATA_HEADER_LENGTH bytes before `buffer` are its frame
    // header, in the mapped log.
    let flags = unsafe { *buffer.sub(DATA_HEADER_LENGTH - FLAGS_OFFSET) };
    flags & UNFRAGMENTED == UNFRAGMENTED
}

/// What a closure assembler's poll hands C as `clientd`: the closure of this poll and the
/// C assembler that takes the fragments of longer messages.
struct AssemblerPoll<'a, F> {
    call: ClosureCall<'a, F>,
    assembler: *mut c_void,
}

/// Handler of a closure assembler's poll: a whole message goes straight to the closure, a
/// fragment to the C assembler, which calls the closure (through the delegate) once the
/// message is complete. Same routing as the C assembler's own handler, one call less.
unsafe extern "C" fn assemble_fragment<F: FnMut(&[u8], AeronHeader)>(
    clientd: *mut c_void,
    buffer: *const u8,
    length: usize,
    header: *mut aeron_header_t,
) {
    let poll = clientd as *mut AssemblerPoll<'_, F>;
    // SAFETY: clientd is the AssemblerPoll on the stack of the poll in progress (same
    // thread), and C calls this handler from aeron_subscription_poll/aeron_image_poll.
    unsafe {
        if is_unfragmented(buffer) {
            aeron_fragment_handler_callback_for_once_closure::<F>(
                std::ptr::addr_of_mut!((*poll).call).cast(),
                buffer,
                length,
                header,
            )
        } else {
            aeron_fragment_assembler_handler((*poll).assembler, buffer, length, header)
        }
    }
}

/// [`assemble_fragment`] for the controlled assembler.
unsafe extern "C" fn assemble_controlled<F: FnMut(&[u8], AeronHeader) -> ControlledPollAction>(
    clientd: *mut c_void,
    buffer: *const u8,
    length: usize,
    header: *mut aeron_header_t,
) -> aeron_controlled_fragment_handler_action_t {
    let poll = clientd as *mut AssemblerPoll<'_, F>;
    // SAFETY: as in assemble_fragment, with the controlled polls.
    unsafe {
        if is_unfragmented(buffer) {
            controlled_closure::<F>(std::ptr::addr_of_mut!((*poll).call).cast(), buffer, length, header)
        } else {
            aeron_controlled_fragment_assembler_handler((*poll).assembler, buffer, length, header)
        }
    }
}

/// Closure trampoline of the controlled assembler: a panic aborts (the fragment stays
/// unconsumed) and is resumed after C returns.
unsafe extern "C" fn controlled_closure<F: FnMut(&[u8], AeronHeader) -> ControlledPollAction>(
    clientd: *mut c_void,
    buffer: *const u8,
    length: usize,
    header: *mut aeron_header_t,
) -> aeron_controlled_fragment_handler_action_t {
    // SAFETY: clientd is the ClosureCall on the stack of the poll in progress (same thread).
    let call = unsafe { &mut *(clientd as *mut ClosureCall<'_, F>) };
    call.invoke(ControlledPollAction::AERON_ACTION_ABORT, |f| {
        let bytes: &[u8] = if buffer.is_null() {
            &[]
        } else {
            // SAFETY: C passes `length` readable bytes valid for the callback.
            unsafe { std::slice::from_raw_parts(buffer, length) }
        };
        // SAFETY: the header is valid for the callback.
        f(bytes, unsafe { AeronHeader::from_raw_borrowed(header) })
    })
}

macro_rules! closure_assembler {
    ($(#[$doc:meta])* $name:ident, $c_ty:ty, $fn_ty:ty, $forward:ident, $create:ident, $delete:ident,
     $delete_session:ident, $assemble:ident, $sub_poll:ident, $image_poll:ident,
     $bound:path, $trampoline:ident) => {
        $(#[$doc])*
        pub struct $name {
            assembler: NonNull<$c_ty>,
            delegate: NonNull<Delegate<$fn_ty>>,
        }

        impl $name {
            /// Creates the assembler (its reassembly buffers grow with the largest message).
            pub fn new() -> Result<Self, AeronCError> {
                let delegate = Box::into_raw(Box::new(Delegate::<$fn_ty> {
                    clientd: Cell::new(null_mut()),
                    handler: Cell::new(None),
                }));
                let mut out = null_mut();
                // SAFETY: `delegate` is a live heap address kept until after the C delete.
                let rc = unsafe { $create(&mut out, Some($forward), delegate.cast()) };
                match (check(rc), NonNull::new(out)) {
                    (Ok(_), Some(assembler)) => {
                        // SAFETY: Box::into_raw never returns null.
                        let delegate = unsafe { NonNull::new_unchecked(delegate) };
                        Ok($name { assembler, delegate })
                    }
                    (result, _) => {
                        // SAFETY: C did not keep `delegate`; nothing else refers to it.
                        drop(unsafe { Box::from_raw(delegate) });
                        Err(result.err().unwrap_or_else(|| AeronCError::from_code(-1)))
                    }
                }
            }

            /// Polls `subscription`, calling `handler` once per whole message. Returns the
            /// number of fragments read; a panic in `handler` resumes here. No allocation
            /// once the reassembly buffer is large enough.
            #[inline]
            pub fn poll<F: $bound>(
                &mut self,
                subscription: &AeronSubscription,
                handler: F,
                fragment_limit: usize,
            ) -> Result<i32, AeronCError> {
                let sub = subscription.checked_ptr()?;
                // SAFETY: sub is open; clientd is the AssemblerPoll $assemble expects.
                self.run(handler, |clientd| unsafe { $sub_poll(sub, Some($assemble::<F>), clientd, fragment_limit) })
            }

            /// Like [`poll`](Self::poll), on one image.
            #[inline]
            pub fn poll_image<F: $bound>(
                &mut self,
                image: &AeronImage,
                handler: F,
                fragment_limit: usize,
            ) -> Result<i32, AeronCError> {
                let image = image.checked_ptr()?;
                // SAFETY: image is open; clientd is the AssemblerPoll $assemble expects.
                self.run(handler, |clientd| unsafe { $image_poll(image, Some($assemble::<F>), clientd, fragment_limit) })
            }

            /// Frees the reassembly buffer of `session_id` (e.g. after its image left).
            pub fn delete_session_buffer(&mut self, session_id: i32) -> bool {
                // SAFETY: the assembler is live and used by one thread (`&mut self`).
                unsafe { $delete_session(self.assembler.as_ptr(), session_id) }
            }

            /// Runs `poll` with an [`AssemblerPoll`] as clientd: whole messages reach the
            /// closure directly, fragments through the C assembler and its delegate.
            #[inline]
            fn run<F: $bound>(&mut self, mut handler: F, poll: impl FnOnce(*mut c_void) -> c_int) -> Result<i32, AeronCError> {
                let mut state = AssemblerPoll {
                    call: ClosureCall::new(&mut handler),
                    assembler: self.assembler.as_ptr().cast(),
                };
                let state_ptr = &mut state as *mut AssemblerPoll<'_, F>;
                // SAFETY: the delegate lives as long as self; `&mut self` excludes other polls.
                let delegate = unsafe { self.delegate.as_ref() };
                // SAFETY: state_ptr is valid; the call inside it is what the delegate forwards to.
                delegate.clientd.set(unsafe { std::ptr::addr_of_mut!((*state_ptr).call) }.cast());
                delegate.handler.set(Some($trampoline::<F> as $fn_ty));
                let result = poll(state_ptr.cast());
                delegate.handler.set(None);
                delegate.clientd.set(null_mut());
                state.call.finish();
                check(result)
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                // SAFETY: created in `new`, deleted once; the delegate is freed after C no
                // longer refers to it.
                unsafe {
                    if $delete(self.assembler.as_ptr()) < 0 {
                        log::warn!("{}: delete failed: {}", stringify!($name), AeronCError::from_last_error());
                    }
                    drop(Box::from_raw(self.delegate.as_ptr()));
                }
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).field("assembler", &self.assembler).finish()
            }
        }

        // SAFETY: the C assembler is plain memory owned by this value alone (not Clone);
        // C's contract is one polling thread at a time, which moving preserves, and `&mut self`
        // on every method excludes concurrent use. The delegate holds pointers only during a poll.
        unsafe impl Send for $name {}
    };
}

closure_assembler!(
    /// Reassembles fragmented messages for a closure given to each poll. Created once and
    /// reused: no allocation per poll. Owned by one poller at a time (`Send`, not `Clone`).
    AeronFragmentClosureAssembler,
    rusteron_sys::aeron_fragment_assembler_t,
    FragmentFn,
    forward_fragment,
    aeron_fragment_assembler_create,
    aeron_fragment_assembler_delete,
    aeron_fragment_assembler_delete_session_buffer,
    assemble_fragment,
    aeron_subscription_poll,
    aeron_image_poll,
    FnMut(&[u8], AeronHeader),
    aeron_fragment_handler_callback_for_once_closure
);

closure_assembler!(
    /// Like [`AeronFragmentClosureAssembler`] for controlled polls: the closure returns a
    /// [`ControlledPollAction`] per whole message (a panic counts as `ABORT`).
    AeronControlledFragmentClosureAssembler,
    rusteron_sys::aeron_controlled_fragment_assembler_t,
    ControlledFn,
    forward_controlled,
    aeron_controlled_fragment_assembler_create,
    aeron_controlled_fragment_assembler_delete,
    aeron_controlled_fragment_assembler_delete_session_buffer,
    assemble_controlled,
    aeron_subscription_controlled_poll,
    aeron_image_controlled_poll,
    FnMut(&[u8], AeronHeader) -> ControlledPollAction,
    controlled_closure
);
