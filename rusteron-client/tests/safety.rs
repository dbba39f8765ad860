//! Protections that keep misuse from reaching freed C memory, each checked so that the test
//! fails (or crashes) if the protection broke: drop orders, explicit close of the client,
//! released handlers, and panics in callbacks on the polling and the conductor threads.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rusteron_client::subscription::{AeronFragmentClosureAssembler, ControlledPollAction};
use rusteron_client::*;
use rusteron_media_driver::launch_for_tests;
use rusteron_media_driver::testing::{client, wait_until, TIMEOUT};

const STREAM: i32 = 4001;

fn subscribe(aeron: &Aeron) -> Result<AeronSubscription, AeronCError> {
    let (available, unavailable) = (
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
    );
    aeron.add_subscription(c"aeron:ipc", STREAM, available, unavailable, TIMEOUT)
}

fn add_counter(aeron: &Aeron) -> Result<AeronCounter, AeronCError> {
    let label = "safety counter";
    let mut pending = std::ptr::null_mut();
    // SAFETY: the client is open (checked_ptr); key and label are valid for the call and C
    // copies them.
    let rc = unsafe {
        bindings::aeron_async_add_counter(
            &mut pending,
            aeron.checked_ptr()?,
            1001,
            std::ptr::null(),
            0,
            label.as_ptr().cast(),
            label.len(),
        )
    };
    if rc < 0 {
        return Err(AeronCError::from_last_error());
    }
    // SAFETY: C returned a live async handle of this client; C frees it when a poll completes.
    unsafe { AeronAsyncAddCounter::from_raw_owned(pending, aeron.owner().cloned()) }.poll_blocking(TIMEOUT)
}

/// Offers `message` and polls it back on `subscription`.
fn round_trip(publication: &AeronPublication, subscription: &AeronSubscription, message: &[u8]) {
    wait_until("connection", || publication.is_connected());
    wait_until("offer", || {
        publication
            .offer(message, Handlers::no_reserved_value_supplier_handler())
            .is_ok()
    });
    let mut received = Vec::new();
    wait_until(&format!("message {:?}", String::from_utf8_lossy(message)), || {
        subscription
            .poll_once(|b: &[u8], _: AeronHeader| received.push(b.to_vec()), 10)
            .expect("poll");
        received.iter().any(|r| r == message)
    });
}

fn panic_text(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<&str>() {
        Ok(s) => s.to_string(),
        Err(payload) => payload.downcast::<String>().map(|s| *s).unwrap_or_default(),
    }
}

#[test]
fn children_keep_working_whatever_the_drop_order() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    // 0 client, 1 publication, 2 subscription, 3 counter
    for order in [[0, 1, 2, 3], [0, 3, 2, 1], [2, 0, 3, 1], [3, 1, 0, 2], [1, 2, 3, 0]] {
        let aeron = client(&driver)?;
        let mut client = Some(aeron.clone());
        let mut publication = Some(aeron.add_publication(c"aeron:ipc", STREAM, TIMEOUT)?);
        let mut subscription = Some(subscribe(&aeron)?);
        let mut counter = Some(add_counter(&aeron)?);
        let counter_id = counter
            .as_ref()
            .map(|c| c.constants().map(|k| k.counter_id()))
            .transpose()?;
        drop(aeron);
        for (step, &which) in order.iter().enumerate() {
            match which {
                0 => drop(client.take()),
                1 => drop(publication.take()),
                2 => drop(subscription.take()),
                _ => drop(counter.take()),
            }
            // Whatever is left still works on a live C client.
            if let (Some(p), Some(s)) = (&publication, &subscription) {
                round_trip(p, s, format!("order {order:?} step {step}").as_bytes());
            }
            if let Some(c) = &counter {
                assert_eq!(c.constants()?.counter_id(), counter_id.unwrap());
                assert!(!c.is_closed());
            }
        }
    }
    // And the driver still serves a new client.
    let aeron = client(&driver)?;
    round_trip(
        &aeron.add_publication(c"aeron:ipc", STREAM, TIMEOUT)?,
        &subscribe(&aeron)?,
        b"fresh",
    );
    Ok(())
}

#[test]
fn closing_the_client_closes_children_once() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let publication = aeron.add_publication(c"aeron:ipc", STREAM, TIMEOUT)?;
    let exclusive = aeron.add_exclusive_publication(c"aeron:ipc", STREAM, TIMEOUT)?;
    let subscription = subscribe(&aeron)?;
    let counter = add_counter(&aeron)?;
    round_trip(&publication, &subscription, b"before close");
    let image = subscription.image_at_index(0).expect("an image");
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let mut claim = publication.try_claim(8)?;
    claim.data().copy_from_slice(b"claimed!");

    aeron.close()?;

    let closed = AeronErrorType::ResourceClosed;
    let none = Handlers::no_reserved_value_supplier_handler();
    // The claim must not write into the unmapped log.
    assert!(claim.data().is_empty());
    assert_eq!(claim.commit().unwrap_err().kind(), closed);
    assert_eq!(publication.offer(b"x", none).unwrap_err().kind(), closed);
    assert_eq!(exclusive.offer(b"x", none).unwrap_err().kind(), closed);
    assert_eq!(publication.try_claim(1).unwrap_err().kind(), closed);
    assert_eq!(
        subscription
            .poll_once(|_: &[u8], _: AeronHeader| {}, 10)
            .unwrap_err()
            .kind(),
        closed
    );
    assert_eq!(
        assembler
            .poll(&subscription, |_: &[u8], _: AeronHeader| {}, 10)
            .unwrap_err()
            .kind(),
        closed
    );
    assert_eq!(
        image.poll_once(|_: &[u8], _: AeronHeader| {}, 10).unwrap_err().kind(),
        closed
    );
    assert_eq!(counter.constants().unwrap_err().kind(), closed);
    assert_eq!(
        aeron.add_publication(c"aeron:ipc", STREAM, TIMEOUT).unwrap_err().kind(),
        closed
    );
    assert!(publication.is_closed() && exclusive.is_closed() && subscription.is_closed() && image.is_closed());
    // Closing again, or closing the children, does not reach C a second time.
    assert_eq!(aeron.close()?, 0);
    assert_eq!(publication.close()?, 0);
    assert_eq!(subscription.close()?, 0);
    drop((image, subscription, exclusive, publication, counter, aeron));

    // A double free would have aborted the process; the driver serves a new client (on
    // another stream: the abandoned claim blocks STREAM's shared IPC log until the driver's
    // unblock timeout).
    let aeron = client(&driver)?;
    let subscription = aeron.add_subscription(
        c"aeron:ipc",
        STREAM + 1,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        TIMEOUT,
    )?;
    round_trip(
        &aeron.add_publication(c"aeron:ipc", STREAM + 1, TIMEOUT)?,
        &subscription,
        b"after",
    );
    Ok(())
}

#[test]
fn released_handlers_stay_alive_while_c_holds_them() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let images = Arc::new(AtomicUsize::new(0));
    let seen = images.clone();
    let mut on_available = Handlers::leak(move |_: AeronSubscription, _: AeronImage| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let subscription = aeron.add_subscription(
        c"aeron:ipc",
        STREAM,
        Some(&on_available),
        Handlers::no_unavailable_image_handler(),
        TIMEOUT,
    )?;
    on_available.release();
    assert!(on_available.is_released());
    // The image appears after the release: the handler must still be there to run.
    let publication = aeron.add_publication(c"aeron:ipc", STREAM, TIMEOUT)?;
    wait_until("the released image handler", || images.load(Ordering::SeqCst) == 1);

    let received: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let sink = received.clone();
    let mut delegate = Handlers::leak(move |b: &[u8], _: AeronHeader| sink.lock().unwrap().push(b.to_vec()));
    let assembler = AeronFragmentAssembler::new(Some(&delegate))?;
    delegate.release();
    assert_eq!(
        subscription.poll(Some(&delegate), 10).unwrap_err().kind(),
        AeronErrorType::InvalidArgument
    );
    wait_until("offer", || {
        publication
            .offer(
                b"to a released delegate",
                Handlers::no_reserved_value_supplier_handler(),
            )
            .is_ok()
    });
    wait_until("the released delegate", || {
        subscription.poll_assembled(&assembler, 10).expect("poll");
        !received.lock().unwrap().is_empty()
    });
    assert_eq!(*received.lock().unwrap(), vec![b"to a released delegate".to_vec()]);
    Ok(())
}

#[test]
fn panics_in_poll_callbacks_resume_on_the_polling_thread() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let subscription = subscribe(&aeron)?;
    let publication = aeron.add_publication(c"aeron:ipc", STREAM, TIMEOUT)?;
    let none = Handlers::no_reserved_value_supplier_handler();
    wait_until("connection", || publication.is_connected());
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let mut handler = Handlers::leak(|b: &[u8], _: AeronHeader| panic!("handler saw {}", b.len()));
    for (name, message) in [("closure", b"boom 1"), ("handler", b"boom 2"), ("assembler", b"boom 3")] {
        wait_until("offer", || publication.offer(message, none).is_ok());
        let start = Instant::now();
        let payload = loop {
            let poll = catch_unwind(AssertUnwindSafe(|| match name {
                "closure" => subscription.poll_once(|b: &[u8], _: AeronHeader| panic!("closure saw {}", b.len()), 1),
                "handler" => subscription.poll(Some(&handler), 1),
                _ => assembler.poll(
                    &subscription,
                    |b: &[u8], _: AeronHeader| panic!("assembler saw {}", b.len()),
                    1,
                ),
            }));
            match poll {
                Err(payload) => break payload,
                Ok(read) => assert_eq!(read?, 0, "{name}: a fragment was read without calling the handler"),
            }
            assert!(start.elapsed() < TIMEOUT, "{name}: the message never arrived");
        };
        assert_eq!(panic_text(payload), format!("{name} saw 6"));
        // The subscription keeps working after the panic.
        round_trip(&publication, &subscription, format!("after {name}").as_bytes());
    }
    // A panicking reserved value supplier resumes in offer.
    let supplier = Handlers::leak(|_: *mut u8, _: usize| -> i64 { panic!("supplier") });
    let payload = catch_unwind(AssertUnwindSafe(|| publication.offer(b"x", Some(&supplier)))).unwrap_err();
    assert_eq!(panic_text(payload), "supplier");
    round_trip(&publication, &subscription, b"after supplier");
    handler.release();
    Ok(())
}

#[test]
fn a_panicking_handler_lent_to_a_poll_resumes_once_c_returns() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let subscription = subscribe(&aeron)?;
    let publication = aeron.add_publication(c"aeron:ipc", STREAM, TIMEOUT)?;
    let none = Handlers::no_reserved_value_supplier_handler();
    wait_until("connection", || publication.is_connected());
    for m in [b"one", b"two"] {
        wait_until("offer", || publication.offer(m, none).is_ok());
    }
    // A fragment handler that panics keeps receiving the rest of the poll; the first panic
    // resumes after C returns, on this thread.
    let seen: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let sink = seen.clone();
    let mut handler = Handlers::leak(move |b: &[u8], _: AeronHeader| {
        sink.lock().unwrap().push(b.to_vec());
        panic!("handler saw {}", String::from_utf8_lossy(b));
    });
    let start = Instant::now();
    let payload = loop {
        match catch_unwind(AssertUnwindSafe(|| subscription.poll(Some(&handler), 10))) {
            Err(payload) => break payload,
            Ok(read) => assert_eq!(read?, 0, "a fragment was read without a panic"),
        }
        assert!(start.elapsed() < TIMEOUT, "the messages never arrived");
    };
    assert_eq!(panic_text(payload), "handler saw one");
    assert_eq!(*seen.lock().unwrap(), vec![b"one".to_vec(), b"two".to_vec()]);

    // A controlled handler that panics aborts the poll: the fragment stays for the next one.
    let image = subscription.image_at_index(0).expect("an image");
    wait_until("offer", || publication.offer(b"three", none).is_ok());
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let sink = seen.clone();
    let mut controlled = Handlers::leak(move |b: &[u8], _: AeronHeader| {
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("controlled handler");
        }
        sink.lock().unwrap().push(b.to_vec());
        ControlledPollAction::AERON_ACTION_CONTINUE
    });
    let position = image.position();
    let payload = loop {
        match catch_unwind(AssertUnwindSafe(|| image.controlled_poll(Some(&controlled), 10))) {
            Err(payload) => break payload,
            Ok(read) => assert_eq!(read?, 0, "a fragment was read without a panic"),
        }
        assert!(start.elapsed() < TIMEOUT, "the message never arrived");
    };
    assert_eq!(panic_text(payload), "controlled handler");
    assert_eq!(image.position(), position, "the aborted fragment was consumed");
    assert_eq!(image.controlled_poll(Some(&controlled), 10)?, 1);
    assert_eq!(seen.lock().unwrap().last().map(Vec::as_slice), Some(&b"three"[..]));
    handler.release();
    controlled.release();
    Ok(())
}

#[test]
fn panics_in_conductor_callbacks_are_contained() -> Result<(), AeronCError> {
    // Image handlers run on the client conductor thread.
    let driver = launch_for_tests()?;
    let aeron = client(&driver)?;
    let calls = Arc::new(AtomicUsize::new(0));
    let (on_available, on_unavailable) = (calls.clone(), calls.clone());
    let on_available = Handlers::leak(move |_: AeronSubscription, _: AeronImage| {
        on_available.fetch_add(1, Ordering::SeqCst);
        panic!("available image handler");
    });
    let on_unavailable = Handlers::leak(move |_: AeronSubscription, _: AeronImage| {
        on_unavailable.fetch_add(1, Ordering::SeqCst);
        panic!("unavailable image handler");
    });
    let subscription = aeron.add_subscription(
        c"aeron:ipc",
        STREAM,
        Some(&on_available),
        Some(&on_unavailable),
        TIMEOUT,
    )?;
    let publication = aeron.add_publication(c"aeron:ipc", STREAM, TIMEOUT)?;
    wait_until("the available image handler", || calls.load(Ordering::SeqCst) == 1);
    round_trip(&publication, &subscription, b"after an image handler panic");
    // Releasing the publication (close() is logical until the last handle drops).
    drop(publication);
    wait_until("the unavailable image handler", || calls.load(Ordering::SeqCst) == 2);
    round_trip(
        &aeron.add_publication(c"aeron:ipc", STREAM, TIMEOUT)?,
        &subscription,
        b"still working",
    );

    // The error handler runs on the conductor thread too: stop the driver under a client.
    let doomed_driver = launch_for_tests()?;
    let errors = Arc::new(AtomicI32::new(0));
    let seen = errors.clone();
    let on_error = Handlers::leak(move |code: i32, _message: &str| {
        seen.store(code, Ordering::SeqCst);
        panic!("error handler");
    });
    let ctx = AeronContext::new()?;
    ctx.set_dir(&doomed_driver.dir_c_string())?;
    ctx.set_error_handler(Some(&on_error))?;
    let doomed = Aeron::new(&ctx)?;
    doomed.start()?;
    let orphan = doomed.add_publication(c"aeron:ipc", STREAM, TIMEOUT)?;
    doomed_driver.stop();
    wait_until("the error handler", || errors.load(Ordering::SeqCst) != 0);
    let code = errors.load(Ordering::SeqCst);
    assert_eq!(
        AeronErrorType::from_code(code),
        AeronErrorType::ClientErrorDriverTimeout,
        "code {code}"
    );
    // C marked the orphan closed; using it is an error, not a crash.
    wait_until("the orphan to close", || orphan.is_closed());
    let none = Handlers::no_reserved_value_supplier_handler();
    assert_eq!(
        orphan.offer(b"x", none).unwrap_err().kind(),
        AeronErrorType::PublicationClosed
    );
    drop((orphan, doomed));
    // The process and the first client keep working.
    round_trip(
        &aeron.add_publication(c"aeron:ipc", STREAM, TIMEOUT)?,
        &subscription,
        b"after the error handler",
    );
    Ok(())
}
