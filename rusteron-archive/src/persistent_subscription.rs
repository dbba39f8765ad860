//! The hand-written part of the persistent subscription (a subscription that replays a
//! recording and then follows the live stream, switching back to replay when it falls
//! behind).
//!
//! - `aeron_archive_persistent_subscription_create` takes ownership of the context on
//!   success and closes it with the subscription; the context wrapper would close it a
//!   second time. [`AeronArchivePersistentSubscription::new`] gives ownership straight
//!   back (`..._get_and_own_persistent_subscription_context`), so the context wrapper,
//!   which outlives the subscription as its parent, closes it exactly once.
//! - The listener is a struct of C function pointers; [`PersistentSubscriptionListener`]
//!   and [`AeronArchivePersistentSubscriptionContext::set_listener_handler`] fill it safely.
//! - The state, join-difference, live-left and live-joined counters are allocated by C
//!   when the subscription is created (read them with the context's `get_*_counter`). The
//!   C setters are not exposed: the context closes a counter given to it, which the
//!   counter's own wrapper would close again.

use std::ffi::{c_char, c_int, c_void};

use rusteron_client::{AeronCError, AeronErrorType, Handler};
use rusteron_sys::archive::{
    aeron_archive_persistent_subscription_context_set_listener, aeron_archive_persistent_subscription_create,
    aeron_archive_persistent_subscription_failure_reason,
    aeron_archive_persistent_subscription_get_and_own_persistent_subscription_context,
    aeron_archive_persistent_subscription_listener_t, aeron_archive_persistent_subscription_t,
};

use crate::{AeronArchivePersistentSubscription, AeronArchivePersistentSubscriptionContext};

/// Start position of a persistent subscription: replay the recording from its start.
pub const AERON_ARCHIVE_PERSISTENT_SUBSCRIPTION_FROM_START: i64 = -1;
/// Start position of a persistent subscription: join the live stream directly.
pub const AERON_ARCHIVE_PERSISTENT_SUBSCRIPTION_FROM_LIVE: i64 = -2;

/// Events of a persistent subscription, delivered on the thread that polls it.
pub trait PersistentSubscriptionListener {
    /// The subscription now reads the live stream.
    fn on_live_joined(&mut self) {}
    /// The subscription left the live stream (it fell behind and replays again).
    fn on_live_left(&mut self) {}
    /// The subscription hit an error (`errcode` as `aeron_errcode()`).
    fn on_error(&mut self, errcode: i32, message: &str) {
        let _ = (errcode, message);
    }
}

impl AeronArchivePersistentSubscriptionContext {
    /// Sets the listener of subscriptions created from this context. The context keeps
    /// the handler alive.
    pub fn set_listener_handler<L: PersistentSubscriptionListener + Send + 'static>(
        &self,
        listener: &Handler<L>,
    ) -> Result<i32, AeronCError> {
        let ptr = self.checked_ptr()?;
        let (clientd, dependency) = listener.registration()?;
        let raw = aeron_archive_persistent_subscription_listener_t {
            on_live_joined: Some(live_joined_callback::<L>),
            on_live_left: Some(live_left_callback::<L>),
            on_error: Some(error_callback::<L>),
            clientd,
        };
        // SAFETY: ptr is a live context; C copies the struct; clientd is an `L` the context
        // keeps alive (and subscriptions created from it keep the context alive).
        let rc = unsafe { aeron_archive_persistent_subscription_context_set_listener(ptr, &raw) };
        rusteron_client::error::check(rc)?;
        self.keep_alive(dependency);
        Ok(rc)
    }
}

impl AeronArchivePersistentSubscription {
    /// Creates a persistent subscription configured by `context` (which must have an
    /// archive context, a recording id, live and replay channels and stream ids).
    ///
    /// The context stays owned by its wrapper and outlives the subscription. Give the
    /// context a client (`set_aeron`): otherwise C creates one that the context owns, and
    /// sets it on the archive context as well, which then must not connect after this
    /// context is closed.
    pub fn new(
        context: &AeronArchivePersistentSubscriptionContext,
    ) -> Result<AeronArchivePersistentSubscription, AeronCError> {
        let context_ptr = context.checked_ptr()?;
        let mut out: *mut aeron_archive_persistent_subscription_t = std::ptr::null_mut();
        // SAFETY: context_ptr is a live context; out is an out-param.
        let rc = unsafe { aeron_archive_persistent_subscription_create(&mut out, context_ptr) };
        if rc < 0 {
            return Err(AeronCError::from_last_error());
        }
        if out.is_null() {
            return Err(AeronCError::with_message(
                AeronErrorType::NullOrNotConnected,
                "aeron_archive_persistent_subscription_create returned no subscription",
            ));
        }
        // SAFETY: out is the live subscription just created; this only clears its
        // owns_context flag so that closing it leaves the context to its wrapper.
        unsafe { aeron_archive_persistent_subscription_get_and_own_persistent_subscription_context(out) };
        // SAFETY: a subscription this wrapper closes once, before its parent context.
        Ok(unsafe { AeronArchivePersistentSubscription::from_raw_owned(out, context.owner().cloned()) })
    }

    /// Why the subscription failed: `(errcode, message)`, `None` while it has not failed.
    pub fn failure(&self) -> Option<(i32, String)> {
        let ptr = self.checked_ptr().ok()?;
        let mut errcode: c_int = 0;
        let mut message: *const c_char = std::ptr::null();
        // SAFETY: ptr is live; both out-params are valid; the message belongs to the
        // subscription and is copied before any other call.
        let failed = unsafe { aeron_archive_persistent_subscription_failure_reason(ptr, &mut errcode, &mut message) };
        // SAFETY: message is NULL or a C string owned by the subscription.
        failed.then(|| {
            (
                errcode,
                unsafe { rusteron_client::strings::c_str_to_str(message) }.to_owned(),
            )
        })
    }
}

/// # Safety
/// `clientd` must be the `L` registered by `set_listener_handler`.
unsafe extern "C" fn live_joined_callback<L: PersistentSubscriptionListener>(clientd: *mut c_void) {
    rusteron_client::panic::catch_in_callback((), || {
        // SAFETY: the caller's contract; C calls the listener from the polling thread.
        unsafe { &mut *(clientd as *mut L) }.on_live_joined()
    })
}

/// # Safety
/// As for [`live_joined_callback`].
unsafe extern "C" fn live_left_callback<L: PersistentSubscriptionListener>(clientd: *mut c_void) {
    rusteron_client::panic::catch_in_callback((), || {
        // SAFETY: as in live_joined_callback.
        unsafe { &mut *(clientd as *mut L) }.on_live_left()
    })
}

/// # Safety
/// As for [`live_joined_callback`]; `message` NULL or a C string valid during the call.
unsafe extern "C" fn error_callback<L: PersistentSubscriptionListener>(
    clientd: *mut c_void,
    errcode: c_int,
    message: *const c_char,
) {
    rusteron_client::panic::catch_in_callback((), || {
        // SAFETY: the caller's contract.
        let message = unsafe { rusteron_client::strings::c_str_to_str(message) };
        // SAFETY: as in live_joined_callback.
        unsafe { &mut *(clientd as *mut L) }.on_error(errcode, message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder {
        events: Vec<String>,
    }

    impl PersistentSubscriptionListener for Recorder {
        fn on_live_joined(&mut self) {
            self.events.push("joined".into());
        }
        fn on_live_left(&mut self) {
            self.events.push("left".into());
        }
        fn on_error(&mut self, errcode: i32, message: &str) {
            self.events.push(format!("error {errcode}: {message}"));
        }
    }

    #[test]
    fn listener_callbacks_reach_the_handler() {
        let mut handler = Handler::leak(Recorder::default());
        let clientd = handler.as_raw();
        // SAFETY: clientd is a live Recorder; the message is a C string.
        unsafe {
            live_joined_callback::<Recorder>(clientd);
            live_left_callback::<Recorder>(clientd);
            error_callback::<Recorder>(clientd, -7, c"replay failed".as_ptr());
            error_callback::<Recorder>(clientd, 1, std::ptr::null());
            assert_eq!(
                handler.get_mut().map(|r| r.events.clone()),
                Some(vec![
                    "joined".into(),
                    "left".into(),
                    "error -7: replay failed".into(),
                    "error 1: ".into()
                ])
            );
        }
        handler.release();
    }

    #[test]
    fn context_listener_and_settings_round_trip() -> Result<(), AeronCError> {
        let context = AeronArchivePersistentSubscriptionContext::new()?;
        let handler = Handler::leak(Recorder::default());
        assert_eq!(context.set_listener_handler(&handler)?, 0);
        context.set_recording_id(42)?;
        context.set_live_channel(c"aeron:udp?endpoint=localhost:20121")?;
        context.set_live_stream_id(1001)?;
        context.set_replay_channel(c"aeron:udp?endpoint=localhost:0")?;
        context.set_replay_stream_id(1002)?;
        context.set_start_position(AERON_ARCHIVE_PERSISTENT_SUBSCRIPTION_FROM_START)?;
        assert_eq!(context.get_recording_id(), 42);
        assert_eq!(context.get_live_channel(), "aeron:udp?endpoint=localhost:20121");
        assert_eq!(context.get_live_stream_id(), 1001);
        assert_eq!(context.get_replay_channel(), "aeron:udp?endpoint=localhost:0");
        assert_eq!(context.get_replay_stream_id(), 1002);
        assert_eq!(
            context.get_start_position(),
            AERON_ARCHIVE_PERSISTENT_SUBSCRIPTION_FROM_START
        );
        Ok(())
    }

    #[test]
    fn create_without_an_archive_context_is_a_typed_error() -> Result<(), AeronCError> {
        let context = AeronArchivePersistentSubscriptionContext::new()?;
        let error = AeronArchivePersistentSubscription::new(&context).expect_err("no archive context");
        assert!(
            error
                .message()
                .is_some_and(|m| m.contains("archive_context must be set")),
            "{error}"
        );
        Ok(())
    }
}
