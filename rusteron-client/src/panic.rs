//! Panics in callbacks never unwind into C.
//!
//! Every `extern "C"` trampoline catches. A panic in a callback that runs inside a Rust
//! call (a poll, a foreach) is stashed and resumed on the same thread once C has returned
//! (the model of git2). A panic where no Rust caller waits (the client conductor thread)
//! is logged and the callback returns a neutral value, so the client keeps working.

use std::any::Any;
use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

thread_local! {
    static STASHED: Cell<Option<Box<dyn Any + Send>>> = const { Cell::new(None) };
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
                STASHED.with(|s| {
                    // Keep the first panic; later ones in the same call are dropped.
                    let first = s.take();
                    s.set(Some(first.unwrap_or(payload)));
                });
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
    if let Some(payload) = STASHED.with(Cell::take) {
        resume_unwind(payload);
    }
    result
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

fn describe(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "<non-string panic payload>"
    }
}
