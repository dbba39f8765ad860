//! Connecting to an archive that does not exist: typed timeouts within the configured
//! message timeout, no hang, and a context that stays usable for another attempt.
//!
//! Also drives the connect far enough to exercise the callbacks it runs (idle strategy,
//! delegating invoker, credentials), using an IPC subscription as a stand-in for the
//! archive's control request endpoint.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{client, driver_and_client, point_at_no_archive, TIMEOUT};
use rusteron_archive::*;
use rusteron_media_driver::launch_for_tests;

const MESSAGE_TIMEOUT: Duration = Duration::from_millis(500);

fn assert_timed_out(error: &AeronCError, started: Instant, at_least: Duration) {
    let elapsed = started.elapsed();
    assert_eq!(error.kind(), AeronErrorType::TimedOut, "{error}");
    assert!(error.is_archive_timeout(), "{error}");
    assert!(
        elapsed >= at_least.mul_f64(0.8),
        "gave up after {elapsed:?}, before the timeout {at_least:?}"
    );
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

#[test]
fn blocking_connect_to_no_archive_times_out_with_a_typed_error() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let ctx = AeronArchiveContext::new_with_aeron(&aeron)?;
    point_at_no_archive(&ctx, MESSAGE_TIMEOUT)?;

    let started = Instant::now();
    let error = AeronArchive::connect(&ctx).expect_err("no archive listens");
    assert_timed_out(&error, started, MESSAGE_TIMEOUT);
    assert!(
        error.message().is_some_and(|m| m.contains("connect timeout")),
        "{error}"
    );

    // The context is intact: a second attempt behaves the same, the client is untouched.
    let started = Instant::now();
    let error = AeronArchive::connect(&ctx).expect_err("still no archive");
    assert_timed_out(&error, started, MESSAGE_TIMEOUT);
    assert!(!aeron.is_closed());
    Ok(())
}

#[test]
fn async_connect_ends_with_the_context_timeout() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let ctx = AeronArchiveContext::new_with_aeron(&aeron)?;
    point_at_no_archive(&ctx, MESSAGE_TIMEOUT)?;

    let started = Instant::now();
    let connecting = AeronArchiveAsyncConnect::new(&ctx)?;
    assert!(connecting.poll()?.is_none(), "nothing can answer yet");
    let error = connecting.poll_blocking(TIMEOUT).expect_err("no archive listens");
    assert_timed_out(&error, started, MESSAGE_TIMEOUT);

    // C freed the attempt: the handle refuses further use instead of touching it.
    let closed = connecting.poll().expect_err("the attempt is over");
    assert_eq!(closed.kind(), AeronErrorType::ResourceClosed);
    connecting.cancel()?;
    Ok(())
}

#[test]
fn poll_blocking_timeout_cancels_the_attempt() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let ctx = AeronArchiveContext::new_with_aeron(&aeron)?;
    point_at_no_archive(&ctx, Duration::from_secs(30))?;

    let connecting = AeronArchiveAsyncConnect::new(&ctx)?;
    let started = Instant::now();
    let error = connecting
        .poll_blocking(Duration::from_millis(200))
        .expect_err("no archive listens");
    assert_timed_out(&error, started, Duration::from_millis(200));
    assert_eq!(
        connecting.poll().expect_err("cancelled").kind(),
        AeronErrorType::ResourceClosed
    );

    // An explicit cancel of a pending attempt, then a fresh attempt on the same context.
    let second = AeronArchiveAsyncConnect::new(&ctx)?;
    assert!(second.poll()?.is_none());
    second.cancel()?;
    second.cancel()?;
    assert_eq!(
        second.poll().expect_err("cancelled").kind(),
        AeronErrorType::ResourceClosed
    );
    Ok(())
}

#[test]
fn a_context_without_a_client_gets_one_that_outlives_failed_connects() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let ctx = AeronArchiveContext::new()?;
    ctx.set_aeron_directory_name(&driver.dir_c_string())?;
    ctx.set_client_name(c"archive-connect-test")?;
    point_at_no_archive(&ctx, Duration::from_millis(300))?;
    assert!(ctx.get_aeron().is_none());

    let error = AeronArchive::connect(&ctx).expect_err("no archive listens");
    assert_eq!(error.kind(), AeronErrorType::TimedOut, "{error}");
    let created = ctx.get_aeron().expect("connect gave the context a client");
    // In C the failed connect would have closed the client it created; here the context
    // owns a Rust client, still open, and reused by the next attempts.
    assert!(!created.is_closed());
    let error = AeronArchive::connect(&ctx).expect_err("still no archive");
    assert_eq!(error.kind(), AeronErrorType::TimedOut, "{error}");
    let error = AeronArchiveAsyncConnect::new(&ctx)?
        .poll_blocking(TIMEOUT)
        .expect_err("still no archive");
    assert_eq!(error.kind(), AeronErrorType::TimedOut, "{error}");
    assert_eq!(ctx.get_aeron().map(|a| a.get_inner()), Some(created.get_inner()));
    assert!(!created.is_closed());
    Ok(())
}

#[test]
fn missing_control_channels_are_reported_without_creating_a_client() -> Result<(), AeronCError> {
    let ctx = AeronArchiveContext::new()?;
    // No media driver is needed: C rejects the context before it needs a client.
    let error = AeronArchive::connect(&ctx).expect_err("no channels");
    assert!(
        error
            .message()
            .is_some_and(|m| m.contains("control request channel is required")),
        "{error}"
    );
    assert!(ctx.get_aeron().is_none());
    let error = AeronArchiveAsyncConnect::new(&ctx).expect_err("no channels");
    assert!(
        error
            .message()
            .is_some_and(|m| m.contains("control request channel is required")),
        "{error}"
    );
    Ok(())
}

#[test]
fn connect_runs_the_idle_strategy_and_delegating_invoker_of_the_context() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let ctx = AeronArchiveContext::new_with_aeron(&aeron)?;
    point_at_no_archive(&ctx, Duration::from_millis(300))?;
    let idles = Arc::new(AtomicUsize::new(0));
    let invokes = Arc::new(AtomicUsize::new(0));
    let mut idle = Handlers::leak({
        let idles = Arc::clone(&idles);
        move |_work_count: i32| {
            idles.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_micros(100));
        }
    });
    let mut invoker = Handlers::leak({
        let invokes = Arc::clone(&invokes);
        move || {
            invokes.fetch_add(1, Ordering::Relaxed);
        }
    });
    ctx.set_idle_strategy(Some(&idle))?;
    ctx.set_delegating_invoker(Some(&invoker))?;
    // The context holds its own share: releasing ours early is safe.
    idle.release();
    invoker.release();

    let error = AeronArchive::connect(&ctx).expect_err("no archive listens");
    assert_eq!(error.kind(), AeronErrorType::TimedOut, "{error}");
    assert!(
        idles.load(Ordering::Relaxed) > 10,
        "idle strategy ran {} times",
        idles.load(Ordering::Relaxed)
    );
    assert!(
        invokes.load(Ordering::Relaxed) > 10,
        "invoker ran {} times",
        invokes.load(Ordering::Relaxed)
    );

    // After a connect concluded the context, replacing and resetting the idle strategy is
    // still safe (C never owns the strategy, so closing the context frees nothing of ours).
    let counted = idles.load(Ordering::Relaxed);
    ctx.set_idle_strategy(Some(&Handlers::leak(BackoffIdleStrategy::default())))?;
    ctx.set_idle_strategy(Handlers::no_idle_strategy_func_handler())?;
    let error = AeronArchive::connect(&ctx).expect_err("no archive listens");
    assert_eq!(error.kind(), AeronErrorType::TimedOut, "{error}");
    assert_eq!(
        idles.load(Ordering::Relaxed),
        counted,
        "the replaced strategy is no longer called"
    );
    drop(ctx);
    Ok(())
}

#[test]
fn connect_request_carries_the_supplied_credentials() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    // Stand-in for the archive's control request endpoint: it receives the connect
    // request but never answers.
    let fake_archive = aeron
        .async_add_subscription(
            c"aeron:ipc",
            7010,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
        )?
        .poll_blocking(TIMEOUT)?;
    let ctx = AeronArchiveContext::new_with_aeron(&aeron)?;
    ctx.set_control_request_channel(c"aeron:ipc")?;
    ctx.set_control_request_stream_id(7010)?;
    ctx.set_control_response_channel(c"aeron:ipc")?;
    ctx.set_control_response_stream_id(7020)?;
    ctx.set_message_timeout_ns(2_000_000_000)?;
    let mut supplier = Handlers::leak(StaticCredentials::new("user:secret-42"));
    ctx.set_credentials_supplier(Some(&supplier))?;
    supplier.release();

    let connecting = AeronArchiveAsyncConnect::new(&ctx)?;
    let deadline = Instant::now() + TIMEOUT;
    let mut request = Vec::new();
    while request.is_empty() {
        assert!(connecting.poll()?.is_none(), "nothing answers, so it cannot connect");
        fake_archive.poll_once(|msg: &[u8], _header: AeronHeader| request = msg.to_vec(), 10)?;
        assert!(Instant::now() < deadline, "no connect request arrived");
        std::thread::sleep(Duration::from_millis(1));
    }
    let contains = |needle: &[u8]| request.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"user:secret-42"), "credentials missing from {request:?}");
    assert!(contains(b"aeron:ipc"), "response channel missing from {request:?}");

    let started = Instant::now();
    let error = connecting
        .poll_blocking(TIMEOUT)
        .expect_err("the stand-in never answers");
    assert_eq!(error.kind(), AeronErrorType::TimedOut, "{error}");
    assert!(started.elapsed() < Duration::from_secs(3));
    Ok(())
}

#[test]
fn idle_strategy_set_after_a_connect_with_the_default_is_never_freed_by_c() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let ctx = AeronArchiveContext::new_with_aeron(&aeron)?;
    point_at_no_archive(&ctx, Duration::from_millis(200))?;
    // The first connect runs with the default strategy (C would load and own its own here).
    let error = AeronArchive::connect(&ctx).expect_err("no archive listens");
    assert_eq!(error.kind(), AeronErrorType::TimedOut, "{error}");
    // A Rust strategy set afterwards is used by the next connect...
    let idles = Arc::new(AtomicUsize::new(0));
    let counting = Handlers::leak({
        let idles = Arc::clone(&idles);
        move |_work_count: i32| {
            idles.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_micros(100));
        }
    });
    ctx.set_idle_strategy(Some(&counting))?;
    let error = AeronArchive::connect(&ctx).expect_err("no archive listens");
    assert_eq!(error.kind(), AeronErrorType::TimedOut, "{error}");
    assert!(idles.load(Ordering::Relaxed) > 0);
    // ...and closing the context leaves its memory to Rust (C would `aeron_free` it if it
    // believed it owned the strategy state).
    drop(ctx);
    drop(counting);
    Ok(())
}
