//! A media driver that dies under its clients (`kill -9` of an `aeronmd` child process):
//! the client's error handler reports a driver timeout within the driver timeout, every
//! later call returns (a typed error or nothing) without hanging or crashing, and a driver
//! restarted on the same directory serves a new client end to end.

use std::os::raw::c_int;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusteron_media_driver::*;
use rusteron_test_support::*;

/// The client's driver timeout.
const DRIVER_TIMEOUT: Duration = Duration::from_millis(1000);
/// How late after the driver timeout the client may notice: it checks liveness once per
/// keepalive interval (500 ms), plus scheduling slack on a loaded two-core machine (and
/// under valgrind).
const DETECTION_SLACK: Duration = Duration::from_millis(500 + 3000);
/// No single client call may take longer than this once the driver is gone.
const CALL_BOUND: Duration = Duration::from_millis(500);

/// Errors the client reported: (code, message, when).
type ErrorLog = Arc<Mutex<Vec<(c_int, String, Instant)>>>;

/// A client of `dir` with the short driver timeout and an error handler recording into the
/// returned log (called on the client conductor thread).
fn client(dir: &std::path::Path) -> Result<(Aeron, ErrorLog), AeronCError> {
    let ctx = AeronContext::new()?;
    ctx.set_dir(&dir.to_string_lossy().into_owned().into_c_string()?)?;
    ctx.set_driver_timeout_ms(DRIVER_TIMEOUT.as_millis() as u64)?;
    let errors: ErrorLog = Arc::default();
    let seen = Arc::clone(&errors);
    let handler = Handlers::leak(move |code: c_int, message: &str| {
        seen.lock()
            .expect("error log")
            .push((code, message.to_owned(), Instant::now()));
    });
    ctx.set_error_handler(Some(&handler))?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok((aeron, errors))
}

/// Waits for the first reported error and checks it is the driver timeout; returns how
/// long after `killed` it came.
fn assert_driver_timeout_reported(errors: &ErrorLog, killed: Instant) -> Duration {
    let bound = DRIVER_TIMEOUT + DETECTION_SLACK;
    wait_until("the client reports the dead driver", bound, || {
        !errors.lock().expect("error log").is_empty()
    });
    let (code, message, at) = errors.lock().expect("error log")[0].clone();
    // The C client passes its fatal error code positive (AERON_CLIENT_ERROR_DRIVER_TIMEOUT,
    // 1000) to the error handler, where its functions return it negated; both map to the kind.
    assert_eq!(
        code as u32,
        bindings::AERON_CLIENT_ERROR_DRIVER_TIMEOUT,
        "message: {message}"
    );
    assert_eq!(
        AeronErrorType::from_code(code),
        AeronErrorType::ClientErrorDriverTimeout
    );
    assert!(message.contains("MediaDriver keepalive"), "message: {message}");
    let after = at.duration_since(killed);
    assert!(
        after >= DRIVER_TIMEOUT.saturating_sub(Duration::from_millis(600)),
        "too early: {after:?}, {message}"
    );
    after
}

/// Runs `f`, failing the test if the call took longer than [`CALL_BOUND`].
fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = f();
    let took = start.elapsed();
    assert!(took < CALL_BOUND, "{what} took {took:?} with the driver gone");
    value
}

#[test]
fn killing_the_driver_under_traffic_is_reported_as_driver_timeout_and_nothing_hangs() -> Result<(), AeronCError> {
    let started = Instant::now();
    let mut driver = Aeronmd::spawn("death", None, &[]);
    let (aeron, errors) = client(driver.dir())?;
    let publication = publication(&aeron, "aeron:ipc?term-length=65536", 3001);
    let mut receivers = vec![Receiver::subscribe("ipc", &aeron, "aeron:ipc", 3001, 0)];
    wait_until("the publication is connected", OP_TIMEOUT, || {
        publication.is_connected()
    });
    let before = send_and_verify(&publication, &mut receivers, 0, 1_000, OP_TIMEOUT);

    // Traffic keeps flowing while the driver is killed and after.
    let status = driver.kill_hard();
    assert!(!status.success(), "SIGKILL is no clean exit: {status}");
    let killed = Instant::now();
    let mut next = before.messages;
    let (mut accepted, mut refused) = (0u64, Vec::new());
    let mut calls = 0u64;
    while errors.lock().expect("error log").is_empty() && killed.elapsed() < DRIVER_TIMEOUT + DETECTION_SLACK {
        let outcome = bounded("offer", || {
            offer_outcome(publication.offer(&message(next), Handlers::no_reserved_value_supplier_handler()))
        });
        match outcome {
            // IPC appends to the mapped log: it may go on until the client notices.
            Ok(_) => {
                accepted += 1;
                next += 1;
            }
            Err(kind) => refused.push(kind),
        }
        bounded("poll", || poll_all(&mut receivers));
        receivers[0].verifier.assert_ok("ipc subscriber");
        calls += 2;
        std::thread::sleep(Duration::from_micros(200));
    }
    let detected_after = assert_driver_timeout_reported(&errors, killed);
    for kind in &refused {
        let expected = kind.is_back_pressure()
            || matches!(
                kind,
                AeronErrorType::NullOrNotConnected | AeronErrorType::PublicationClosed
            );
        assert!(expected, "offer refused with {kind:?} while the driver was dying");
    }

    // From now on the client is closed: offers are refused with a typed error, polls
    // return, adding anything fails; none of it blocks.
    assert!(
        bounded("is_closed", || aeron.is_closed()),
        "the client must be closed after a driver timeout"
    );
    for i in 0..1_000u64 {
        let outcome = bounded("offer", || {
            offer_outcome(publication.offer(&message(next + i), Handlers::no_reserved_value_supplier_handler()))
        });
        assert_eq!(
            outcome,
            Err(AeronErrorType::PublicationClosed),
            "offer {i} after the driver timeout"
        );
        let read = bounded("poll", || {
            receivers[0].subscription.poll_once(|_: &[u8], _: AeronHeader| {}, 16)
        });
        assert!(
            matches!(read, Ok(0) | Err(_)),
            "poll after the driver timeout: {read:?}"
        );
    }
    let added = bounded("add publication", || {
        aeron
            .async_add_publication(c"aeron:ipc", 3002)
            .and_then(|p| p.poll_blocking(OP_TIMEOUT))
    });
    let error = added.expect_err("adding a publication to a client whose driver died must fail");
    assert_eq!(error.kind(), AeronErrorType::ClientErrorIllegalState, "{error}");
    assert!(error.message().unwrap_or("").contains("driver timeout"), "{error}");
    assert_eq!(
        errors.lock().expect("error log").len(),
        1,
        "one fatal error: {:?}",
        errors.lock()
    );

    drop(receivers);
    drop(publication);
    bounded("closing the client", || drop(aeron));
    eprintln!(
        "driver killed under traffic: {} messages before; {accepted} offers accepted and {} refused ({:?}) in {calls} \
         calls until the client noticed {detected_after:?} after the kill (driver timeout {DRIVER_TIMEOUT:?}); \
         then 1000 offers closed, adds fail with {:?}; test {:?}",
        before.messages,
        refused.len(),
        refused.first(),
        error.kind(),
        started.elapsed()
    );
    Ok(())
}

/// The C client never completes an add that was pending when its driver died (once the
/// client is closed its conductor no longer times registrations out), so the caller's own
/// timeout is what ends the wait: it must, promptly, and the client must say it is closed.
#[test]
fn an_add_pending_when_the_driver_dies_ends_within_the_callers_timeout() -> Result<(), AeronCError> {
    let mut driver = Aeronmd::spawn("death-add", None, &[]);
    let (aeron, errors) = client(driver.dir())?;
    driver.kill_hard();
    let killed = Instant::now();
    let poll_timeout = DRIVER_TIMEOUT + DETECTION_SLACK;
    let result = aeron
        .async_add_subscription(
            c"aeron:ipc",
            3003,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
        )
        .and_then(|pending| pending.poll_blocking(poll_timeout));
    let ended_after = killed.elapsed();
    let error = result.expect_err("an add the driver never answers must fail");
    assert!(
        ended_after < poll_timeout + CALL_BOUND,
        "the add ended only after {ended_after:?}: {error}"
    );
    let detected_after = assert_driver_timeout_reported(&errors, killed);
    assert!(aeron.is_closed(), "the client must be closed after a driver timeout");
    eprintln!(
        "pending add ended {ended_after:?} after the kill with {:?} ({error}); timeout reported after {detected_after:?}",
        error.kind()
    );
    Ok(())
}

#[test]
fn a_driver_restarted_on_the_same_directory_serves_a_new_client() -> Result<(), AeronCError> {
    let started = Instant::now();
    let mut first = Aeronmd::spawn("restart", None, &[]);
    let dir = first.dir().to_path_buf();
    let (old, old_errors) = client(&dir)?;
    let old_publication = publication(&old, "aeron:ipc", 3004);
    let mut old_receivers = vec![Receiver::subscribe("old", &old, "aeron:ipc", 3004, 0)];
    wait_until("the old publication is connected", OP_TIMEOUT, || {
        old_publication.is_connected()
    });
    send_and_verify(&old_publication, &mut old_receivers, 0, 100, OP_TIMEOUT);

    first.kill_hard();
    let killed = Instant::now();
    assert!(
        dir.join("cnc.dat").exists(),
        "a killed driver leaves its CnC file behind"
    );
    assert_driver_timeout_reported(&old_errors, killed);

    // The new driver replaces the dead one's files (--dir-delete-on-start).
    let second = Aeronmd::spawn_in(&dir, "restart-2", None, &[]);
    let restarted_after = killed.elapsed();
    let cnc = Cnc::open(&dir, OP_TIMEOUT).expect("new cnc");
    assert_eq!(cnc.pid(), i64::from(second.pid()), "the CnC file is the new driver's");
    drop(cnc);

    let (new, new_errors) = client(second.dir())?;
    let publication = publication(&new, "aeron:ipc?term-length=65536", 3004);
    let mut receivers = vec![Receiver::subscribe("new", &new, "aeron:ipc", 3004, 0)];
    wait_until("the new publication is connected", OP_TIMEOUT, || {
        publication.is_connected()
    });
    let transfer = send_and_verify(&publication, &mut receivers, 0, 10_000, OP_TIMEOUT);
    assert_quiet(&mut receivers, Duration::from_millis(50));
    assert_eq!(receivers[0].verifier.received, 10_000);
    assert!(
        new_errors.lock().expect("error log").is_empty(),
        "new client errors: {:?}",
        new_errors.lock()
    );

    // The old client stays dead: it does not attach to the new driver.
    assert!(old.is_closed());
    let outcome = offer_outcome(old_publication.offer(b"stale", Handlers::no_reserved_value_supplier_handler()));
    assert_eq!(outcome, Err(AeronErrorType::PublicationClosed));
    assert_eq!(old_errors.lock().expect("error log").len(), 1);
    drop(old_receivers);
    drop(old_publication);
    bounded("closing the old client", || drop(old));
    eprintln!(
        "restart: new driver ready {restarted_after:?} after the kill; new client moved {} messages in {:?}; test {:?}",
        transfer.messages,
        transfer.elapsed,
        started.elapsed()
    );
    Ok(())
}
