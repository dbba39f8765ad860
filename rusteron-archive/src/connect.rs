//! Connecting to an archive: blocking ([`AeronArchive::connect`]) or step by step
//! ([`AeronArchiveAsyncConnect`]).
//!
//! C semantics (`aeron_archive_async_connect.c`): `aeron_archive_async_connect` concludes
//! the context (creating a client if it has none), copies it, and starts adding the
//! control publication and subscription. `aeron_archive_async_connect_poll` returns 0
//! while in progress and frees the pending connect itself when it returns 1 (the archive
//! is ready) or -1 (an error, or the context's message timeout passed: "connect
//! timeout"). The wrappers here mark the handle finished after any non-zero result, so it
//! is never freed twice, and report a connect timeout as [`AeronErrorType::TimedOut`].
//!
//! The archive keeps its context (the parent) alive, and so the client, the idle strategy
//! and every handler set on the context.

use std::ffi::c_int;
use std::time::{Duration, Instant};

use rusteron_client::{AeronCError, AeronErrorType};
use rusteron_sys::archive::{
    aeron_archive_async_connect, aeron_archive_async_connect_poll, aeron_archive_async_connect_t,
    aeron_archive_connect, aeron_archive_t,
};

use crate::archive_errors::last_archive_error;
use crate::{AeronArchive, AeronArchiveAsyncConnect, AeronArchiveContext, BackoffIdleStrategy};

extern "C" {
    /// Frees a pending connect: cancels the pending adds, closes the control publication
    /// and subscription and the context copy. Defined in `aeron_archive_async_connect.c`
    /// (declared in its internal header, so absent from the generated bindings).
    fn aeron_archive_async_connect_delete(async_: *mut aeron_archive_async_connect_t) -> c_int;
}

impl AeronArchive {
    /// Connects to the archive `ctx` describes, blocking until it answers or the context's
    /// message timeout (`set_message_timeout_ns`, 10 s by default) passes.
    ///
    /// If `ctx` has no client yet, one is created for it first (see
    /// [`AeronArchiveContext::new_with_aeron`] to share yours).
    ///
    /// Errors: [`AeronErrorType::TimedOut`] when the archive did not answer in time (no
    /// archive listening on the control request channel, for example); the archive's
    /// rejection otherwise (see [`ArchiveErrorExt`](crate::ArchiveErrorExt)).
    pub fn connect(ctx: &AeronArchiveContext) -> Result<AeronArchive, AeronCError> {
        ctx.ensure_client()?;
        let ctx_ptr = ctx.checked_ptr()?;
        let parent = ctx.owner().cloned();
        // Wrapping inside call_and_resume: if a callback (idle strategy, credentials,
        // invoker) panicked, the archive is dropped (closed) while the panic resumes.
        rusteron_client::panic::call_and_resume(|| {
            let mut out: *mut aeron_archive_t = std::ptr::null_mut();
            // SAFETY: ctx_ptr is a live context with a live client; out is an out-param.
            let rc = unsafe { aeron_archive_connect(&mut out, ctx_ptr) };
            if rc < 0 {
                return Err(last_archive_error());
            }
            if out.is_null() {
                return Err(AeronCError::with_message(
                    AeronErrorType::NullOrNotConnected,
                    "aeron_archive_connect returned no archive",
                ));
            }
            // SAFETY: a connected archive that this wrapper closes once; it uses the
            // context's callbacks, so the context is its parent.
            Ok(unsafe { AeronArchive::from_raw_owned(out, parent) })
        })
    }
}

impl AeronArchiveAsyncConnect {
    /// Starts connecting to the archive `ctx` describes; complete it with
    /// [`poll`](Self::poll) or [`poll_blocking`](Self::poll_blocking).
    ///
    /// If `ctx` has no client yet, one is created for it first. The attempt fails with
    /// [`AeronErrorType::TimedOut`] once the context's message timeout has passed.
    pub fn new(ctx: &AeronArchiveContext) -> Result<AeronArchiveAsyncConnect, AeronCError> {
        ctx.ensure_client()?;
        let ctx_ptr = ctx.checked_ptr()?;
        let parent = ctx.owner().cloned();
        rusteron_client::panic::call_and_resume(|| {
            let mut out: *mut aeron_archive_async_connect_t = std::ptr::null_mut();
            // SAFETY: ctx_ptr is a live context with a live client; out is an out-param.
            let rc = unsafe { aeron_archive_async_connect(&mut out, ctx_ptr) };
            if rc < 0 {
                return Err(last_archive_error());
            }
            if out.is_null() {
                return Err(AeronCError::with_message(
                    AeronErrorType::NullOrNotConnected,
                    "aeron_archive_async_connect returned no handle",
                ));
            }
            // SAFETY: a pending connect; C frees it when a poll completes (the wrapper is
            // then marked done) or `cancel` frees it. The context is its parent.
            Ok(unsafe { AeronArchiveAsyncConnect::from_raw_owned(out, parent) })
        })
    }

    /// Advances the connect: `Ok(None)` while in progress, `Ok(Some(archive))` once
    /// connected. After a result or an error the attempt is over (C freed it) and later
    /// polls fail with [`AeronErrorType::ResourceClosed`].
    pub fn poll(&self) -> Result<Option<AeronArchive>, AeronCError> {
        let ptr = self.checked_ptr()?;
        let parent = self.owner().and_then(|o| o.parent().cloned());
        rusteron_client::panic::call_and_resume(|| {
            let mut out: *mut aeron_archive_t = std::ptr::null_mut();
            // SAFETY: ptr is a pending connect (not yet completed: completion marks the
            // wrapper done and checked_ptr then fails).
            let rc = unsafe { aeron_archive_async_connect_poll(&mut out, ptr) };
            if rc == 0 {
                return Ok(None);
            }
            let error = (rc < 0).then(last_archive_error);
            // C has freed the pending connect for any non-zero result.
            if let Some(owner) = self.owner() {
                owner.mark_done();
            }
            if let Some(error) = error {
                return Err(error);
            }
            if out.is_null() {
                return Err(AeronCError::with_message(
                    AeronErrorType::NullOrNotConnected,
                    "aeron_archive_async_connect_poll completed without an archive",
                ));
            }
            // SAFETY: a connected archive that this wrapper closes once; its context
            // (this connect's parent) stays alive as its parent.
            Ok(Some(unsafe { AeronArchive::from_raw_owned(out, parent) }))
        })
    }

    /// Polls until connected, an error, or `timeout`. On timeout the attempt is cancelled
    /// (see [`cancel`](Self::cancel)) and [`AeronErrorType::TimedOut`] returned; the
    /// context's own message timeout also ends the attempt with `TimedOut`.
    ///
    /// The client must run its own conductor thread (the default); with a client in
    /// agent-invoker mode use [`AeronArchive::connect`], which drives it.
    pub fn poll_blocking(&self, timeout: Duration) -> Result<AeronArchive, AeronCError> {
        let deadline = Instant::now() + timeout;
        let idle = BackoffIdleStrategy::default();
        loop {
            if let Some(archive) = self.poll()? {
                return Ok(archive);
            }
            if Instant::now() >= deadline {
                self.cancel()?;
                return Err(AeronCError::with_message(
                    AeronErrorType::TimedOut,
                    format!("the archive did not answer within {timeout:?}"),
                ));
            }
            idle.idle(0);
        }
    }

    /// Abandons the connect and frees its C resources now (the control publication and
    /// subscription, the context copy). Does nothing once the attempt is over.
    pub fn cancel(&self) -> Result<(), AeronCError> {
        let Some(owner) = self.owner() else {
            return Err(AeronCError::with_message(
                AeronErrorType::InvalidArgument,
                "a borrowed aeron_archive_async_connect_t cannot be cancelled here",
            ));
        };
        if owner.is_closed() {
            return Ok(());
        }
        owner.mark_done();
        // SAFETY: the connect is pending (completion would have marked it done) and now
        // marked done, so no wrapper touches it again. Its client is alive: the context
        // (this connect's parent) keeps it.
        unsafe { aeron_archive_async_connect_delete(self.get_inner()) };
        Ok(())
    }
}
