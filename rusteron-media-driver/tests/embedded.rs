//! The embedded driver as tests and services use it: independent drivers side by side, the
//! directory lifecycle, and what a client sees when its driver goes away.

use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use rusteron_media_driver::*;

use rusteron_media_driver::testing::TIMEOUT;

fn connect(driver: &EmbeddedDriver) -> Result<Aeron, AeronCError> {
    let ctx = AeronContext::new()?;
    ctx.set_dir(&driver.dir_c_string())?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

/// What an offer says, whether `offer` reports a refusal as a negative position or an error.
fn offer_outcome(result: Result<i64, AeronCError>) -> Result<i64, AeronErrorType> {
    match result {
        Ok(position) if position > 0 => Ok(position),
        Ok(code) => Err(AeronCError::from_publication_result(code).kind()),
        Err(e) => Err(e.kind()),
    }
}

/// Publishes `messages` on `stream_id` over IPC and returns what a subscription polled.
fn ipc_exchange(aeron: &Aeron, stream_id: i32, messages: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, AeronCError> {
    let publication = aeron
        .async_add_publication(c"aeron:ipc", stream_id)?
        .poll_blocking(TIMEOUT)?;
    let subscription = aeron
        .async_add_subscription(
            c"aeron:ipc",
            stream_id,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
        )?
        .poll_blocking(TIMEOUT)?;
    let start = Instant::now();
    while !publication.is_connected() {
        assert!(start.elapsed() < TIMEOUT, "publication never connected");
        std::thread::sleep(Duration::from_millis(1));
    }
    for m in messages {
        loop {
            match offer_outcome(publication.offer(m, Handlers::no_reserved_value_supplier_handler())) {
                Ok(_) => break,
                Err(kind) if kind.is_back_pressure() || kind == AeronErrorType::NullOrNotConnected => {}
                Err(kind) => {
                    return Err(AeronCError::with_message(kind, format!("offer failed: {kind:?}")));
                }
            }
            assert!(start.elapsed() < TIMEOUT, "offer kept failing");
            std::thread::yield_now();
        }
    }
    let mut received = Vec::new();
    while received.len() < messages.len() {
        assert!(
            start.elapsed() < TIMEOUT,
            "only {} of {} messages arrived",
            received.len(),
            messages.len()
        );
        subscription.poll_once(|buffer: &[u8], _header: AeronHeader| received.push(buffer.to_vec()), 10)?;
    }
    Ok(received)
}

#[test]
fn parallel_launches_give_independent_drivers() {
    let barrier = Arc::new(Barrier::new(2));
    let threads: Vec<_> = (0..2u8)
        .map(|t| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || -> Result<std::path::PathBuf, AeronCError> {
                let driver = launch_for_tests()?;
                let dir = driver.dir().to_owned();
                assert!(dir.join("cnc.dat").is_file(), "{} has no cnc.dat", dir.display());
                // Both drivers are up at the same time before either is used.
                barrier.wait();
                let aeron = connect(&driver)?;
                // Same stream id on both: only the driver separates the two exchanges.
                let messages: Vec<Vec<u8>> = (0..50)
                    .map(|i| format!("driver {t} message {i}").into_bytes())
                    .collect();
                let received = ipc_exchange(&aeron, 5001, &messages)?;
                assert_eq!(received, messages, "driver {t} delivered another driver's messages");
                barrier.wait();
                drop(aeron);
                drop(driver);
                Ok(dir)
            })
        })
        .collect();
    let dirs: Vec<_> = threads
        .into_iter()
        .map(|t| t.join().expect("driver thread panicked").expect("driver thread failed"))
        .collect();
    assert_ne!(dirs[0], dirs[1], "two drivers share a directory");
}

#[test]
fn dropping_the_driver_removes_its_directory() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let dir = driver.dir().to_owned();
    assert!(dir.join("cnc.dat").is_file(), "{} has no cnc.dat", dir.display());
    drop(driver);
    assert!(!dir.exists(), "{} is still there after drop", dir.display());

    let driver = launch_for_tests()?;
    let dir = driver.dir().to_owned();
    driver.stop();
    assert!(!dir.exists(), "{} is still there after stop", dir.display());
    Ok(())
}

#[test]
fn options_dir_is_used() -> Result<(), AeronCError> {
    let base = tempfile::tempdir().expect("tempdir");
    let dir = base.path().join("custom-aeron-dir");
    let driver = EmbeddedDriverOptions {
        dir: Some(dir.clone()),
        ..Default::default()
    }
    .launch()?;
    assert_eq!(driver.dir(), dir.as_path());
    assert_eq!(
        driver.dir_c_string().to_str().expect("utf-8"),
        dir.to_str().expect("utf-8")
    );
    assert!(dir.join("cnc.dat").is_file(), "no cnc.dat in {}", dir.display());

    let aeron = connect(&driver)?;
    let messages = vec![b"in a chosen directory".to_vec()];
    assert_eq!(ipc_exchange(&aeron, 5002, &messages)?, messages);
    drop(aeron);
    drop(driver);
    assert!(!dir.exists(), "{} is still there after drop", dir.display());
    Ok(())
}

#[test]
fn client_reports_driver_timeout_when_its_driver_stops() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let ctx = AeronContext::new()?;
    ctx.set_dir(&driver.dir_c_string())?;
    let driver_timeout = Duration::from_millis(1000);
    ctx.set_driver_timeout_ms(driver_timeout.as_millis() as u64)?;
    // The C client calls the error handler on its conductor thread.
    let errors: Arc<Mutex<Vec<(i32, String)>>> = Arc::default();
    let seen = Arc::clone(&errors);
    let handler = Handlers::leak(move |code: std::os::raw::c_int, message: &str| {
        seen.lock().expect("lock").push((code, message.to_owned()));
    });
    ctx.set_error_handler(Some(&handler))?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;

    let messages = vec![b"before the driver stops".to_vec()];
    let publication = aeron
        .async_add_publication(c"aeron:ipc", 5003)?
        .poll_blocking(TIMEOUT)?;
    assert_eq!(ipc_exchange(&aeron, 5004, &messages)?, messages);
    assert!(
        errors.lock().expect("lock").is_empty(),
        "errors while the driver ran: {errors:?}"
    );

    driver.stop();
    let stopped = Instant::now();
    // The client checks liveness every keepalive interval (500 ms by default) and gives up
    // on the driver after the driver timeout at the latest.
    let bound = driver_timeout + Duration::from_secs(2);
    let (code, message) = loop {
        if let Some(first) = errors.lock().expect("lock").first().cloned() {
            break first;
        }
        assert!(
            stopped.elapsed() < bound,
            "no error reported {bound:?} after the driver stopped"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let detected = stopped.elapsed();
    // The handler gets the positive AERON_CLIENT_ERROR_* code; errcode holds it negated.
    assert_eq!(
        code as u32,
        bindings::AERON_CLIENT_ERROR_DRIVER_TIMEOUT,
        "message: {message}"
    );
    assert_eq!(
        AeronErrorType::from_code(-code),
        AeronErrorType::ClientErrorDriverTimeout
    );
    assert!(!message.is_empty());

    // Afterwards the client is unusable, and says so instead of hanging.
    let attempt = Instant::now();
    let error = aeron
        .async_add_publication(c"aeron:ipc", 5005)
        .and_then(|pending| pending.poll_blocking(TIMEOUT))
        .expect_err("adding a publication without a driver must fail");
    assert_eq!(error.kind(), AeronErrorType::ClientErrorIllegalState, "{error}");
    assert!(
        attempt.elapsed() < driver_timeout,
        "the failing call took {:?}",
        attempt.elapsed()
    );
    assert_eq!(
        offer_outcome(publication.offer(b"after", Handlers::no_reserved_value_supplier_handler())),
        Err(AeronErrorType::PublicationClosed)
    );
    eprintln!("driver loss detected after {detected:?}: {message}");
    Ok(())
}
