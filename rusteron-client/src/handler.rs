//! Callback objects handed to C: [`Handler`] and [`Handlers`].
//!
//! `Handlers::leak(x)` moves `x` to the heap and gives a [`Handler`] whose address C can
//! keep as its `clientd`. Each resource that registers the handler with C takes a share of
//! it, so `handler.release()` only drops the caller's share: the memory lives until the
//! last registering resource is closed. Releasing early is therefore safe, and forgetting
//! to release is a bounded leak, never a dangling pointer.

use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::fmt;
use std::sync::Arc;

use crate::error::{AeronCError, AeronErrorType};
use crate::resource::Dependency;

struct Slot<T>(UnsafeCell<T>);

// SAFETY: C calls a handler from one thread at a time (the thread that polls, or the
// client conductor thread); the slot only moves between threads when `T: Send`.
unsafe impl<T: Send> Send for Slot<T> {}
// SAFETY: see above; the slot is never accessed through `&Slot` from two threads at once
// by this crate, and `T: Send` is required to share it.
unsafe impl<T: Send> Sync for Slot<T> {}

/// A callback object at a stable heap address, shareable with C. See the module docs.
pub struct Handler<T> {
    slot: Option<Arc<Slot<T>>>,
    raw: *mut T,
}

impl<T> Handler<T> {
    /// Moves `value` to the heap.
    pub fn leak(value: T) -> Self {
        let slot = Arc::new(Slot(UnsafeCell::new(value)));
        let raw = slot.0.get();
        Handler { slot: Some(slot), raw }
    }

    /// Drops the caller's share. C registrations keep their own share, so this is safe at
    /// any time; afterwards the handler cannot be registered again.
    pub fn release(&mut self) {
        self.slot = None;
    }

    /// True once [`release`](Self::release) was called.
    pub fn is_released(&self) -> bool {
        self.slot.is_none()
    }

    /// The `clientd` pointer C receives.
    pub fn as_raw(&self) -> *mut c_void {
        self.raw as *mut c_void
    }

    /// Access to the value from Rust.
    ///
    /// # Safety
    /// C must not be running the callback at the same time (e.g. on the conductor thread).
    pub unsafe fn get_mut(&mut self) -> Option<&mut T> {
        self.slot.as_ref().map(|_| &mut *self.raw)
    }
}

impl<T: Send + 'static> Handler<T> {
    /// The `clientd` pointer plus a share that keeps the value alive, for a resource that
    /// registers this handler with C. Fails if the handler was released.
    pub fn registration(&self) -> Result<(*mut c_void, Dependency), AeronCError> {
        match &self.slot {
            Some(slot) => Ok((self.as_raw(), Box::new(Arc::clone(slot)))),
            None => Err(AeronCError::with_message(
                AeronErrorType::InvalidArgument,
                "handler was released before it was registered",
            )),
        }
    }
}

/// The error of a call given a released handler (`InvalidArgument`). Out of line and cold,
/// so that the generated polls stay small enough to inline.
#[doc(hidden)]
#[cold]
#[inline(never)]
pub fn released_handler_error() -> AeronCError {
    AeronCError::with_message(AeronErrorType::InvalidArgument, "handler was released")
}

impl<T> fmt::Debug for Handler<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handler")
            .field("type", &std::any::type_name::<T>())
            .field("released", &self.is_released())
            .finish()
    }
}

/// Factory for [`Handler`]s and the typed "no handler" values
/// (`Handlers::no_error_handler_handler()` ...), which are generated per callback type.
pub struct Handlers;

impl Handlers {
    /// Moves `value` to the heap for C; see [`Handler`].
    pub fn leak<T>(value: T) -> Handler<T> {
        Handler::leak(value)
    }

    /// Drops the caller's share of `handler` (same as `handler.release()`).
    pub fn release<T>(handler: &mut Handler<T>) {
        handler.release()
    }
}
