//! Plumbing shared by the examples, not part of the rusteron API: command-line flags,
//! connecting a client, waiting with a deadline, retrying offers and a checksum.
//!
//! Each example includes this file with `#[path = "common/mod.rs"] mod common;`, so the
//! example files stay runnable on their own and `tests/examples.rs` can include them too.

use std::path::Path;
use std::time::{Duration, Instant};

use rusteron_client::{Aeron, AeronCError, AeronContext, AeronErrorType, Handlers, IntoCString};

mod cli;
pub use cli::*;

/// Connects a client to the media driver in `dir` (the C client's default, which honours
/// the `AERON_DIR` environment variable, when `None`) and starts its conductor thread.
pub fn connect(dir: Option<&Path>) -> Result<Aeron> {
    let ctx = AeronContext::new()?;
    if let Some(dir) = dir {
        let dir = dir
            .to_str()
            .ok_or_else(|| fail(format!("aeron dir is not UTF-8: {dir:?}")))?;
        ctx.set_dir(&dir.into_c_string()?)?;
    }
    set_error_handler(&ctx)?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

/// Reports the client's asynchronous errors (such as losing the media driver) on stderr.
/// Without a handler the C client prints the error and exits the process; with this one
/// the client's resources report the error on their next use instead.
pub fn set_error_handler(ctx: &AeronContext) -> Result<()> {
    let handler = Handlers::leak(|code: i32, message: &str| eprintln!("aeron client error {code}: {message}"));
    ctx.set_error_handler(Some(&handler))?;
    Ok(())
}

/// Waits (sleeping 1 ms between checks) until `condition` holds, or fails after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while !condition() {
        if Instant::now() >= deadline {
            return Err(fail(format!("timed out after {timeout:?} waiting for {what}")));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// Calls `offer` (an `offer`/`offerv` of either publication type) until it succeeds,
/// retrying back pressure, admin actions and "not connected" until `deadline`.
/// `on_retry` runs between attempts (spin, yield, or poll a subscription).
pub fn offer_until(
    deadline: Instant,
    mut offer: impl FnMut() -> std::result::Result<i64, AeronCError>,
    mut on_retry: impl FnMut(),
) -> Result<i64> {
    loop {
        match offer() {
            Ok(position) => return Ok(position),
            Err(e) if retryable(&e) && Instant::now() < deadline => on_retry(),
            Err(e) => return Err(e.into()),
        }
    }
}

/// True for offer results that only mean "try again later".
pub fn retryable(e: &AeronCError) -> bool {
    e.is_back_pressured() || e.kind() == AeronErrorType::NullOrNotConnected
}

/// 64-bit FNV-1a of `bytes`: a small, dependency-free checksum for verifying transfers.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
