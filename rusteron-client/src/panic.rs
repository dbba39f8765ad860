//! Panics in callbacks never unwind into C.
//!
//! Every `extern "C"` trampoline catches. A panic in a callback that runs inside a Rust
//! call (a poll, a foreach) is stashed and resumed on the same thread once C has returned
//! (the model of git2). A panic where no Rust caller waits (the client conductor thread)
//! is logged and the callback returns a neutral value, so the client keeps working.

use std::any::Any;
use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::handler::Handler;

thread_local! {
    /// The first panic caught during a [`call_and_resume`] on this thread, as the raw
    /// pointer of its `Box`: a type without a destructor, so accessing it needs no check of
    /// the thread-local's registration state (this is on the path of every such call).
    static STASHED: Cell<Option<NonNull<dyn Any + Send>>> = const { Cell::new(None) };
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Runs a callback body from a trampoline. On panic: stashes it for
/// [`call_and_resume`] when one is active on this thread, else logs it; returns `fallback`.
#[inline]
pub fn catch_in_callback<R>(fallback: R, body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            if DEPTH.with(Cell::get) > 0 {
                // Keep the first panic; later ones in the same call are dropped.
                if STASHED.with(Cell::get).is_none() {
                    STASHED.with(|s| s.set(Some(NonNull::from(Box::leak(payload)))));
                }
            } else {
                log::error!(
                    "panic in an Aeron callback on a C thread (ignored, the callback returned a neutral value): {}",
                    describe(&*payload)
                );
            }
            fallback
        }
    }
}

/// Calls into C; a panic caught in a callback during the call is resumed after it returns.
#[inline]
pub fn call_and_resume<R>(call: impl FnOnce() -> R) -> R {
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = call();
    DEPTH.with(|d| d.set(d.get() - 1));
    // Read first: no store on the path without a panic.
    if STASHED.with(Cell::get).is_some() {
        resume_stashed();
    }
    result
}

#[cold]
#[inline(never)]
fn resume_stashed() -> ! {
    let payload = STASHED.with(Cell::take).expect("a stashed panic");
    // SAFETY: the pointer comes from Box::leak in catch_in_callback and was taken out of the
    // stash just now, so this is its only owner.
    resume_unwind(unsafe { Box::from_raw(payload.as_ptr()) })
}

/// State of a closure passed for the duration of one C call (`poll_once` & co): the panic
/// is kept on the caller's stack, no thread-local involved.
pub struct ClosureCall<'a, F> {
    /// The user's closure.
    pub f: &'a mut F,
    /// The first panic raised by `f`, resumed after C returns.
    pub panic: Option<Box<dyn Any + Send>>,
}

impl<'a, F> ClosureCall<'a, F> {
    /// Wraps a closure for one call.
    #[inline(always)]
    pub fn new(f: &'a mut F) -> Self {
        ClosureCall { f, panic: None }
    }

    /// Runs the closure from a trampoline; after a panic, later invocations are skipped.
    #[inline(always)]
    pub fn invoke<R>(&mut self, fallback: R, body: impl FnOnce(&mut F) -> R) -> R {
        if self.panic.is_some() {
            return fallback;
        }
        let f = &mut *self.f;
        match catch_unwind(AssertUnwindSafe(|| body(f))) {
            Ok(value) => value,
            Err(payload) => {
                self.panic = Some(payload);
                fallback
            }
        }
    }

    /// Resumes a panic raised during the call.
    #[inline(always)]
    pub fn finish(self) {
        if let Some(payload) = self.panic {
            resume_unwind(payload);
        }
    }
}

/// A [`Handler`] lent to C for the duration of one call whose callbacks run only during
/// that call, on the calling thread (the generated polls): C's `clientd` is the address of
/// this value on the caller's stack, so a panic is kept here, with no thread-local involved.
/// As with [`catch_in_callback`], the handler keeps being called after a panic (its first
/// panic is kept, later ones are dropped), and [`finish`](Self::finish) resumes it.
pub struct HandlerCall<H> {
    handler: *mut H,
    panic: Option<Box<dyn Any + Send>>,
}

impl<H> HandlerCall<H> {
    /// Lends `handler` (or nothing) for one call. The caller must refuse a released
    /// handler before handing this value to C.
    #[inline(always)]
    pub fn new(handler: Option<&Handler<H>>) -> Self {
        HandlerCall {
            handler: handler.map_or(std::ptr::null_mut(), |h| h.as_raw().cast()),
            panic: None,
        }
    }

    /// Runs the handler from a trampoline, catching a panic; returns `fallback` after one.
    ///
    /// # Safety
    /// `self` was built from a live, unreleased handler that nothing else uses while this
    /// runs (C calls it from the thread that made the call, one callback at a time).
    #[inline(always)]
    pub unsafe fn invoke<R>(&mut self, fallback: R, body: impl FnOnce(&mut H) -> R) -> R {
        // SAFETY: see the contract above.
        let handler = unsafe { &mut *self.handler };
        match catch_unwind(AssertUnwindSafe(|| body(handler))) {
            Ok(value) => value,
            Err(payload) => {
                // Keep the first panic; later ones in the same call are dropped.
                if self.panic.is_none() {
                    self.panic = Some(payload);
                }
                fallback
            }
        }
    }

    /// Resumes a panic raised by the handler during the call.
    #[inline(always)]
    pub fn finish(self) {
        if let Some(payload) = self.panic {
            resume_unwind(payload);
        }
    }
}

fn describe(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "<non-string panic payload>"
    }
}
