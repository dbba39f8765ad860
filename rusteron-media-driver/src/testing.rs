//! Helpers for integration tests against an embedded media driver: a connected client per
//! test, bounded waits, and retries that only absorb back pressure.
//!
//! ```no_run
//! use rusteron_media_driver::testing::{self, TIMEOUT};
//! use rusteron_media_driver::*;
//!
//! let (driver, aeron) = testing::driver_and_client()?;
//! let publication = aeron.add_publication(c"aeron:ipc", 7, TIMEOUT)?;
//! let subscription = testing::subscribe(&aeron, c"aeron:ipc", 7)?;
//! testing::wait_until("connected", || publication.is_connected());
//! testing::offer(&publication, b"hello")?;
//! # drop(driver);
//! # Ok::<(), AeronCError>(())
//! ```

use std::ffi::CStr;
use std::time::{Duration, Instant};

use rusteron_client::{Aeron, AeronCError, AeronContext, AeronPublication, AeronSubscription, Handlers};

use crate::{launch_for_tests, EmbeddedDriver};

/// How long the helpers wait before failing the test.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Idle sleep of the clients made here: the client conductor answers an add within about
/// this long instead of Aeron's default 16 ms, which keeps test suites fast.
pub const CLIENT_IDLE_SLEEP: Duration = Duration::from_millis(1);

/// A started client connected to `driver` (conductor idle sleep [`CLIENT_IDLE_SLEEP`]).
pub fn client(driver: &EmbeddedDriver) -> Result<Aeron, AeronCError> {
    let ctx = AeronContext::new()?;
    ctx.set_dir(&driver.dir_c_string())?;
    ctx.set_idle_sleep_duration_ns(CLIENT_IDLE_SLEEP.as_nanos() as u64)?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

/// A fresh embedded driver (own directory) and a client connected to it. Drop the client
/// before the driver (declare `let (driver, aeron) = ...`: locals drop in reverse order).
pub fn driver_and_client() -> Result<(EmbeddedDriver, Aeron), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    Ok((driver, aeron))
}

/// A subscription without image handlers, within [`TIMEOUT`].
pub fn subscribe(aeron: &Aeron, channel: &CStr, stream_id: i32) -> Result<AeronSubscription, AeronCError> {
    aeron.add_subscription(
        channel,
        stream_id,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        TIMEOUT,
    )
}

/// Waits (sleeping 1 ms between checks) until `condition` holds; panics after [`TIMEOUT`].
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < TIMEOUT,
            "timed out after {TIMEOUT:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `step` (e.g. one poll, then "done?") until it returns true; panics on an error or
/// after [`TIMEOUT`].
pub fn poll_until(what: &str, mut step: impl FnMut() -> Result<bool, AeronCError>) {
    let start = Instant::now();
    while !step().unwrap_or_else(|e| panic!("polling for {what}: {e}")) {
        assert!(
            start.elapsed() < TIMEOUT,
            "timed out after {TIMEOUT:?} polling for {what}"
        );
    }
}

/// Retries `offer` while it is back pressured (or an admin action is in progress), for up
/// to [`TIMEOUT`]; returns the position or the first other error.
pub fn retry(mut offer: impl FnMut() -> Result<i64, AeronCError>) -> Result<i64, AeronCError> {
    let start = Instant::now();
    loop {
        match offer() {
            Err(e) if e.is_back_pressured() && start.elapsed() < TIMEOUT => std::thread::yield_now(),
            other => return other,
        }
    }
}

/// Offers `message`, retrying back pressure; returns the new position.
pub fn offer(publication: &AeronPublication, message: &[u8]) -> Result<i64, AeronCError> {
    retry(|| publication.offer(message, Handlers::no_reserved_value_supplier_handler()))
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
pub fn free_udp_port() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind an ephemeral UDP port");
    socket.local_addr().expect("local address").port()
}
