//! The idiomatic layer against a real embedded media driver: owned handles moved across
//! threads, refusal while clones exist, config errors, offer statuses, the receive loop
//! (bytes, positions, reassembly), scoped handles closed on panic, and no allocation in
//! the frame loop.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use rusteron_client::*;
use rusteron_media_driver::{launch_for_tests, EmbeddedDriver};

#[global_allocator]
static GLOBAL: rusteron_test_support::CountingAllocator = rusteron_test_support::CountingAllocator;
use rusteron_test_support::allocations;

use rusteron_test_support::TIMEOUT;

fn setup() -> Result<(EmbeddedDriver, Aeron), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = Aeron::builder()
        .dir(driver.dir())
        .idle_sleep(Duration::from_millis(1))
        .connect()?;
    Ok((driver, aeron))
}

fn collect(subscriber: &mut Subscriber, count: usize) -> Result<Vec<(Vec<u8>, i64)>, AeronCError> {
    let mut got = Vec::new();
    subscriber.receive(TIMEOUT, |frame| {
        got.push((frame.to_vec(), frame.position()));
        if got.len() == count {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    Ok(got)
}

#[test]
fn owned_subscription_and_publication_move_to_other_threads() -> Result<(), AeronCError> {
    let (_driver, aeron) = setup()?;
    let subscription = aeron.add_subscription(
        c"aeron:ipc",
        10,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        TIMEOUT,
    )?;
    let publication = aeron.add_exclusive_publication(c"aeron:ipc", 10, TIMEOUT)?;
    let subscription = subscription.into_owned().map_err(|e| e.error())?;
    let publication = publication.into_owned().map_err(|e| e.error())?;
    let publisher = std::thread::spawn(move || -> Result<Vec<i64>, AeronCError> {
        let deadline = Instant::now() + TIMEOUT;
        while !publication.is_connected() {
            assert!(Instant::now() < deadline, "never connected");
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut positions = Vec::new();
        for i in 0u32..100 {
            loop {
                match publication.offer(&i.to_le_bytes()) {
                    Ok(p) => {
                        positions.push(p);
                        break;
                    }
                    Err(e) if e.is_back_pressured() => std::thread::yield_now(),
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(positions)
    });
    let subscriber = std::thread::spawn(move || -> Result<Vec<(u32, i64)>, AeronCError> {
        let mut got = Vec::new();
        let deadline = Instant::now() + TIMEOUT;
        while got.len() < 100 && Instant::now() < deadline {
            subscription.poll_once(
                |msg: &[u8], header: AeronHeader| {
                    got.push((u32::from_le_bytes(msg.try_into().unwrap()), header.position()))
                },
                10,
            )?;
        }
        Ok(got)
    });
    let positions = publisher.join().unwrap()?;
    let got = subscriber.join().unwrap()?;
    assert_eq!(
        got.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        (0..100).collect::<Vec<_>>()
    );
    assert_eq!(got.iter().map(|(_, p)| *p).collect::<Vec<_>>(), positions);
    assert_eq!(positions[0], aligned_frame_length(4) as i64);
    Ok(())
}

#[test]
fn into_owned_refuses_while_a_clone_or_an_image_shares_the_handle() -> Result<(), AeronCError> {
    let (_driver, aeron) = setup()?;
    let subscription = aeron.add_subscription(
        c"aeron:ipc",
        11,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        TIMEOUT,
    )?;
    let clone = subscription.clone();
    let refused = subscription.into_owned().unwrap_err();
    assert_eq!(refused.other_handles(), 1);
    assert!(refused.to_string().contains("1 other handle"), "{refused}");
    drop(clone);
    let subscription = refused.into_handle();

    // A retained image also shares the subscription.
    let publication = aeron.add_publication(c"aeron:ipc", 11, TIMEOUT)?;
    let deadline = Instant::now() + TIMEOUT;
    while subscription.image_count()? == 0 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(1));
    }
    let image = subscription.image_at_index(0).expect("an image");
    let refused = subscription.into_owned().unwrap_err();
    assert_eq!(refused.other_handles(), 1);
    drop(image);
    let owned = refused.into_handle().into_owned().map_err(|e| e.error())?;
    assert!(owned.is_connected());
    assert_eq!(owned.into_shared().image_count()?, 1);
    drop(publication);

    let exclusive = aeron.add_exclusive_publication(c"aeron:ipc", 12, TIMEOUT)?;
    let clone = exclusive.clone();
    let error = exclusive.into_owned().unwrap_err().error();
    assert_eq!(error.kind(), AeronErrorType::InvalidArgument);
    drop(clone);
    Ok(())
}

#[test]
fn config_defaults_builder_and_nul_errors() -> Result<(), AeronCError> {
    let config = StreamConfig::default();
    assert_eq!(config.channel(), c"aeron:ipc");
    assert_eq!((config.stream_id(), config.fragment_limit()), (1001, 10));
    let built = StreamConfig::builder()
        .channel(c"aeron:udp?endpoint=localhost:40999")
        .stream_id(5)
        .timeout(Duration::from_millis(300))
        .fragment_limit(0)
        .build()?;
    assert_eq!(built.channel(), c"aeron:udp?endpoint=localhost:40999");
    assert_eq!(
        (built.stream_id(), built.timeout(), built.fragment_limit()),
        (5, Duration::from_millis(300), 1)
    );
    let error = StreamConfig::builder().channel("aeron:ipc\0x").build().unwrap_err();
    assert_eq!(error.kind(), AeronErrorType::InvalidArgument);
    assert_eq!(error.message(), Some("channel \"aeron:ipc\\0x\" has a NUL byte at 9"));
    let error = Aeron::builder().dir("/tmp/a\0b").connect().unwrap_err();
    assert_eq!(error.message(), Some("aeron dir has a NUL byte at 6"));
    Ok(())
}

#[test]
fn connect_to_a_directory_without_driver_fails_within_the_driver_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let result = Aeron::builder()
        .dir(dir.path())
        .driver_timeout(Duration::from_millis(500))
        .connect();
    assert!(result.is_err(), "connected without a driver");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn publisher_statuses_and_subscriber_loop_deliver_bytes_and_positions() -> Result<(), AeronCError> {
    let (_driver, aeron) = setup()?;
    let config = StreamConfig::ipc(20).with_timeout(TIMEOUT);
    let publisher = aeron.publisher(&config)?;
    assert_eq!(publisher.offer(b"nobody")?, OfferStatus::NotConnected);
    assert!(OfferStatus::NotConnected.is_retryable());
    let mut subscriber = aeron.subscriber(&config)?;
    publisher.wait_connected(TIMEOUT)?;
    subscriber.wait_connected(TIMEOUT)?;
    let info = publisher.info()?;
    assert_eq!(info.stream_id, 20);
    let mut positions = Vec::new();
    for m in [&b"one"[..], b"two", b"three"] {
        positions.push(publisher.offer_blocking(m, TIMEOUT)?);
    }
    assert_eq!(positions[0], aligned_frame_length(3) as i64);
    let mut sessions = Vec::new();
    let mut got = Vec::new();
    subscriber.receive(TIMEOUT, |frame| {
        sessions.push((frame.session_id(), frame.stream_id(), frame.reserved_value()));
        got.push((frame.to_vec(), frame.position()));
        if got.len() == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    assert_eq!(
        got,
        vec![
            (b"one".to_vec(), positions[0]),
            (b"two".to_vec(), positions[1]),
            (b"three".to_vec(), positions[2])
        ]
    );
    assert!(sessions.iter().all(|s| *s == (info.session_id, 20, 0)));
    // Nothing more: the bounded loop returns after its timeout with no frame.
    let started = Instant::now();
    assert_eq!(
        subscriber.receive(Duration::from_millis(50), |_| ControlFlow::Break(()))?,
        0
    );
    assert!(started.elapsed() >= Duration::from_millis(50));
    publisher.close()?;
    assert_eq!(publisher.offer(b"late")?, OfferStatus::Closed);
    Ok(())
}

#[test]
fn messages_far_above_the_mtu_arrive_whole() -> Result<(), AeronCError> {
    let (_driver, aeron) = setup()?;
    let config = StreamConfig::ipc(21);
    let mut subscriber = aeron.subscriber(&config)?;
    let publisher = aeron.publisher(&config)?;
    publisher.wait_connected(TIMEOUT)?;
    let info = publisher.info()?;
    assert!(info.max_message_length > 4 * info.max_payload_length, "{info:?}");
    let big: Vec<u8> = (0..info.max_message_length as u32).map(|i| (i * 7) as u8).collect();
    let position = publisher.offer_blocking(&big, TIMEOUT)?;
    publisher.offer_blocking(b"after", TIMEOUT)?;
    let got = collect(&mut subscriber, 2)?;
    assert_eq!(got[0].0.len(), big.len());
    assert!(got[0].0 == big, "reassembled bytes differ");
    assert_eq!(got[0].1, position);
    assert_eq!(got[1].0, b"after");
    Ok(())
}

#[test]
fn subscriber_and_publisher_are_send_and_work_on_another_thread() -> Result<(), AeronCError> {
    let (_driver, aeron) = setup()?;
    let config = StreamConfig::ipc(22);
    let mut subscriber = aeron.subscriber(&config)?;
    let publisher = aeron.publisher(&config)?;
    let sender = std::thread::spawn(move || -> Result<(), AeronCError> {
        publisher.wait_connected(TIMEOUT)?;
        for i in 0u64..1000 {
            publisher.offer_blocking(&i.to_le_bytes(), TIMEOUT)?;
        }
        Ok(())
    });
    let receiver = std::thread::spawn(move || collect(&mut subscriber, 1000));
    sender.join().unwrap()?;
    let got = receiver.join().unwrap()?;
    let values: Vec<u64> = got
        .iter()
        .map(|(b, _)| u64::from_le_bytes(b[..].try_into().unwrap()))
        .collect();
    assert_eq!(values, (0..1000).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn scoped_publisher_is_closed_on_exit_and_on_panic() -> Result<(), AeronCError> {
    let (_driver, aeron) = setup()?;
    let config = StreamConfig::ipc(23);
    let mut subscriber = aeron.subscriber(&config)?;
    let position = aeron.with_publisher(&config, |p| {
        p.wait_connected(TIMEOUT)?;
        p.offer_blocking(b"scoped", TIMEOUT)
    })??;
    assert_eq!(position, aligned_frame_length(6) as i64);
    assert_eq!(collect(&mut subscriber, 1)?[0].0, b"scoped");
    wait_for_no_image(&subscriber)?;

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = aeron.with_publisher(&config, |p| {
            p.wait_connected(TIMEOUT).unwrap();
            panic!("inside the scope");
        });
    }));
    assert!(panicked.is_err());
    // The publisher of the panicking scope was closed: its image goes away.
    wait_for_no_image(&subscriber)?;

    let closed = aeron.with_subscriber(&config, |s| {
        assert!(!s.subscription().is_closed());
        s.subscription().get_inner()
    })?;
    assert!(!closed.is_null());
    Ok(())
}

fn wait_for_no_image(subscriber: &Subscriber) -> Result<(), AeronCError> {
    let deadline = Instant::now() + TIMEOUT;
    while subscriber.subscription().image_count()? > 0 {
        assert!(Instant::now() < deadline, "image still there");
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

#[test]
fn frame_loop_and_offer_allocate_nothing() -> Result<(), AeronCError> {
    let (_driver, aeron) = setup()?;
    let config = StreamConfig::ipc(24);
    let mut subscriber = aeron.subscriber(&config)?;
    let publisher = aeron.publisher(&config)?;
    publisher.wait_connected(TIMEOUT)?;
    // Warm up (first poll sizes nothing for small messages, but be fair).
    publisher.offer_blocking(b"warm", TIMEOUT)?;
    collect(&mut subscriber, 1)?;
    let before = allocations();
    let mut sum = 0u64;
    let mut received = 0;
    for i in 0u64..500 {
        while !matches!(publisher.offer(&i.to_le_bytes())?, OfferStatus::Published(_)) {}
        let deadline = Instant::now() + TIMEOUT;
        let mut got = false;
        while !got {
            subscriber.poll(|frame| {
                sum += u64::from_le_bytes(frame.data().try_into().unwrap());
                let _ = (frame.position(), frame.session_id());
                got = true;
            })?;
            assert!(Instant::now() < deadline);
        }
        received += 1;
    }
    let made = allocations() - before;
    assert_eq!((received, sum), (500, (0..500).sum()));
    assert_eq!(made, 0, "allocations in the frame loop");
    Ok(())
}

#[test]
fn for_each_ends_with_an_error_when_the_client_is_closed() -> Result<(), AeronCError> {
    let (_driver, aeron) = setup()?;
    let mut subscriber = aeron.subscriber(&StreamConfig::ipc(25))?;
    aeron.close()?;
    let error = subscriber.for_each(|_| ControlFlow::Continue(())).unwrap_err();
    assert_eq!(error.kind(), AeronErrorType::ResourceClosed);
    Ok(())
}
