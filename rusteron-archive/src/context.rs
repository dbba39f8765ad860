//! The hand-written part of [`AeronArchiveContext`]: construction, the idle strategy and
//! the Aeron client a connection uses.
//!
//! Two C behaviours shape it:
//!
//! - `aeron_archive_context_conclude` (run by every connect) loads a C idle strategy when
//!   none is set and marks the context as owning it; `aeron_archive_context_close` then
//!   `aeron_free`s whatever state is set at that time. A Rust handler set after a connect
//!   would be freed by C. So every context gets a Rust [`BackoffIdleStrategy`] from the
//!   start (and back when the strategy is reset to `None`): C never owns one.
//! - When the context has no client, conclude creates one that the connection's copy of
//!   the context owns and closes with the archive, leaving the original context pointing
//!   at a closed client. The connect functions of this crate therefore give such a context
//!   a Rust-owned [`Aeron`] first, kept alive by the context.

use std::ffi::c_void;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::time::Duration;

use rusteron_client::{Aeron, AeronCError, AeronContext, AeronErrorType, Handler, IntoCString};
use rusteron_sys::archive::{
    aeron_archive_context_get_aeron, aeron_archive_context_init, aeron_archive_context_set_idle_strategy,
    aeron_archive_context_t,
};

use crate::{aeron_idle_strategy_func_callback, AeronArchiveContext, AeronIdleStrategyFuncCallback};

impl AeronArchiveContext {
    /// Creates a context with the C defaults (and the `AERON_ARCHIVE_*` environment
    /// variables), plus a Rust [`BackoffIdleStrategy`] as idle strategy.
    ///
    /// Set at least the control request and response channels before connecting.
    pub fn new() -> Result<AeronArchiveContext, AeronCError> {
        let mut out: *mut aeron_archive_context_t = std::ptr::null_mut();
        // SAFETY: `out` is a valid out-parameter; C allocates the context.
        let rc = unsafe { aeron_archive_context_init(&mut out) };
        if rc < 0 {
            return Err(AeronCError::from_last_error());
        }
        if out.is_null() {
            return Err(AeronCError::with_message(
                AeronErrorType::NullOrNotConnected,
                "aeron_archive_context_init returned no context",
            ));
        }
        // SAFETY: a context C just created, released once by the wrapper with
        // aeron_archive_context_close.
        let context = unsafe { AeronArchiveContext::from_raw_owned(out, None) };
        context.set_default_idle_strategy()?;
        Ok(context)
    }

    /// Creates a context (see [`new`](Self::new)) that uses `aeron` to talk to the media
    /// driver. The context keeps `aeron` alive; the archive never closes it.
    pub fn new_with_aeron(aeron: &Aeron) -> Result<AeronArchiveContext, AeronCError> {
        let context = Self::new()?;
        context.set_aeron(aeron)?;
        Ok(context)
    }

    /// Sets the idle strategy the archive client runs between polls while it waits for
    /// responses. `None` restores the default [`BackoffIdleStrategy`]. The context keeps
    /// the handler alive.
    ///
    /// Archives already connected from this context keep the strategy they started with.
    pub fn set_idle_strategy<H: AeronIdleStrategyFuncCallback + Send + 'static>(
        &self,
        idle_strategy: Option<&Handler<H>>,
    ) -> Result<i32, AeronCError> {
        let Some(handler) = idle_strategy else {
            return self.set_default_idle_strategy();
        };
        let ptr = self.checked_ptr()?;
        let (clientd, dependency) = handler.registration()?;
        // SAFETY: ptr is a live context; clientd stays valid while the context lives (the
        // dependency is kept by it), and archives connected from it keep it alive too.
        let rc = unsafe {
            aeron_archive_context_set_idle_strategy(ptr, Some(aeron_idle_strategy_func_callback::<H>), clientd)
        };
        rusteron_client::error::check(rc)?;
        self.keep_alive(dependency);
        Ok(rc)
    }

    fn set_default_idle_strategy(&self) -> Result<i32, AeronCError> {
        let ptr = self.checked_ptr()?;
        let handler = Handler::leak(BackoffIdleStrategy::default());
        let (clientd, dependency) = handler.registration()?;
        // SAFETY: as in set_idle_strategy; backoff_idle only takes a shared reference to
        // the strategy, whose state is atomic, so archives sharing it stay sound.
        let rc = unsafe { aeron_archive_context_set_idle_strategy(ptr, Some(backoff_idle), clientd) };
        rusteron_client::error::check(rc)?;
        self.keep_alive(dependency);
        Ok(rc)
    }

    /// Gives the context a Rust-owned client when it has none, so that C never creates
    /// (and later closes) one behind the context's back. Skipped when a control channel
    /// is missing: C then fails with its own message before touching the client.
    pub(crate) fn ensure_client(&self) -> Result<(), AeronCError> {
        let ptr = self.checked_ptr()?;
        // SAFETY: ptr is a live context; the getter only reads a field.
        if !unsafe { aeron_archive_context_get_aeron(ptr) }.is_null() {
            return Ok(());
        }
        if self.get_control_request_channel().is_empty() || self.get_control_response_channel().is_empty() {
            return Ok(());
        }
        let client_context = AeronContext::new()?;
        client_context.set_dir(&self.get_aeron_directory_name().into_c_string()?)?;
        let name = match self.get_client_name() {
            "" => "archive-client",
            name => name,
        };
        client_context.set_client_name(&name.into_c_string()?)?;
        let aeron = Aeron::new(&client_context)?;
        aeron.start()?;
        self.set_aeron(&aeron)?;
        Ok(())
    }
}

const NOT_IDLE: u8 = 0;
const SPINNING: u8 = 1;
const YIELDING: u8 = 2;
const PARKING: u8 = 3;

/// The archive client's default idle strategy, with the parameters of Aeron's C
/// "backoff" strategy: up to 10 busy spins, then up to 20 yields, then sleeps that double
/// from 1 µs up to 1 ms; any work resets it.
///
/// Its state is atomic, so one instance may serve several archive connections.
#[derive(Debug)]
pub struct BackoffIdleStrategy {
    max_spins: u32,
    max_yields: u32,
    min_park_ns: u64,
    max_park_ns: u64,
    state: AtomicU8,
    spins: AtomicU32,
    yields: AtomicU32,
    park_ns: AtomicU64,
}

impl Default for BackoffIdleStrategy {
    fn default() -> Self {
        Self::new(10, 20, Duration::from_micros(1), Duration::from_millis(1))
    }
}

impl BackoffIdleStrategy {
    /// A strategy that spins `max_spins` times, yields `max_yields` times, then sleeps
    /// from `min_park` doubling up to `max_park`.
    pub fn new(max_spins: u32, max_yields: u32, min_park: Duration, max_park: Duration) -> Self {
        let min_park_ns = u64::try_from(min_park.as_nanos()).unwrap_or(u64::MAX).max(1);
        let max_park_ns = u64::try_from(max_park.as_nanos()).unwrap_or(u64::MAX).max(min_park_ns);
        BackoffIdleStrategy {
            max_spins,
            max_yields,
            min_park_ns,
            max_park_ns,
            state: AtomicU8::new(NOT_IDLE),
            spins: AtomicU32::new(0),
            yields: AtomicU32::new(0),
            park_ns: AtomicU64::new(min_park_ns),
        }
    }

    /// One idle step after a duty cycle that did `work_count` units of work.
    pub fn idle(&self, work_count: i32) {
        if work_count > 0 {
            self.spins.store(0, Ordering::Relaxed);
            self.yields.store(0, Ordering::Relaxed);
            self.park_ns.store(self.min_park_ns, Ordering::Relaxed);
            self.state.store(NOT_IDLE, Ordering::Relaxed);
            return;
        }
        match self.state.load(Ordering::Relaxed) {
            NOT_IDLE => {
                self.state.store(SPINNING, Ordering::Relaxed);
                self.spins.fetch_add(1, Ordering::Relaxed);
            }
            SPINNING => {
                std::hint::spin_loop();
                if self.spins.fetch_add(1, Ordering::Relaxed) + 1 > self.max_spins {
                    self.state.store(YIELDING, Ordering::Relaxed);
                    self.yields.store(0, Ordering::Relaxed);
                }
            }
            YIELDING => {
                if self.yields.fetch_add(1, Ordering::Relaxed) + 1 > self.max_yields {
                    self.state.store(PARKING, Ordering::Relaxed);
                    self.park_ns.store(self.min_park_ns, Ordering::Relaxed);
                } else {
                    std::thread::yield_now();
                }
            }
            _ => {
                let park = self.park_ns.load(Ordering::Relaxed);
                std::thread::sleep(Duration::from_nanos(park));
                self.park_ns
                    .store(park.saturating_mul(2).min(self.max_park_ns), Ordering::Relaxed);
            }
        }
    }

    /// How long the next idle step sleeps once parking (for tests and diagnostics).
    pub fn current_park(&self) -> Option<Duration> {
        (self.state.load(Ordering::Relaxed) == PARKING)
            .then(|| Duration::from_nanos(self.park_ns.load(Ordering::Relaxed)))
    }
}

impl AeronIdleStrategyFuncCallback for BackoffIdleStrategy {
    fn handle_aeron_idle_strategy_func(&mut self, work_count: std::os::raw::c_int) {
        self.idle(work_count)
    }
}

/// Idle function of the default strategy: a shared reference only, so archives that
/// share the context's strategy never alias a `&mut`.
unsafe extern "C" fn backoff_idle(state: *mut c_void, work_count: std::os::raw::c_int) {
    rusteron_client::panic::catch_in_callback((), || {
        // SAFETY: `state` is the BackoffIdleStrategy registered by set_default_idle_strategy,
        // kept alive by the context (and by every archive through its parent chain).
        let strategy = unsafe { &*(state as *const BackoffIdleStrategy) };
        strategy.idle(work_count)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_spins_then_yields_then_parks_doubling_to_the_maximum() {
        let idle = BackoffIdleStrategy::new(2, 2, Duration::from_nanos(100), Duration::from_nanos(400));
        // NOT_IDLE -> SPINNING (1), spins 2, 3 -> YIELDING
        for _ in 0..3 {
            idle.idle(0);
            assert_eq!(idle.current_park(), None);
        }
        // yields 1, 2, then 3 > max -> PARKING
        for _ in 0..3 {
            idle.idle(0);
        }
        assert_eq!(idle.current_park(), Some(Duration::from_nanos(100)));
        idle.idle(0);
        assert_eq!(idle.current_park(), Some(Duration::from_nanos(200)));
        idle.idle(0);
        idle.idle(0);
        assert_eq!(idle.current_park(), Some(Duration::from_nanos(400)));
        idle.idle(0);
        assert_eq!(
            idle.current_park(),
            Some(Duration::from_nanos(400)),
            "capped at max_park"
        );
        idle.idle(1);
        assert_eq!(idle.current_park(), None, "work resets the strategy");
    }
}
