//! Subscriptions against a real embedded media driver: poll variants, reassembly of
//! messages larger than the MTU (IPC and UDP), images and their handlers, multi-destination
//! subscriptions, closed subscriptions, and no heap allocation while polling.

use std::ffi::CString;
use std::sync::{Arc, Mutex};

use rusteron_client::publication::aligned_frame_length;
use rusteron_client::subscription::{
    AeronControlledFragmentClosureAssembler, AeronFragmentClosureAssembler, ControlledPollAction,
};
use rusteron_client::*;
use rusteron_media_driver::testing::{
    driver_and_client, free_udp_port, offer, poll_until, subscribe, wait_until, TIMEOUT,
};

const CONTINUE: ControlledPollAction = ControlledPollAction::AERON_ACTION_CONTINUE;

#[global_allocator]
static GLOBAL: rusteron_test_support::CountingAllocator = rusteron_test_support::CountingAllocator;
use rusteron_test_support::allocations;

/// Deterministic bytes (xorshift) and their FNV-1a checksum.
fn pattern(length: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..length)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

type Messages = Arc<Mutex<Vec<Vec<u8>>>>;

fn count(messages: &Messages) -> usize {
    messages.lock().unwrap().len()
}

#[test]
fn controlled_poll_abort_break_and_continue() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let subscription = subscribe(&aeron, c"aeron:ipc", 3001)?;
    let publication = aeron.add_publication(c"aeron:ipc", 3001, TIMEOUT)?;
    wait_until("connection", || publication.is_connected());
    for m in [b"one", b"two", b"six"] {
        offer(&publication, m)?;
    }
    let mut seen = Vec::new();
    // ABORT leaves the fragment in place.
    let mut attempts = 0;
    while seen.is_empty() {
        let read = subscription.controlled_poll_once(
            |buffer: &[u8], _: AeronHeader| {
                seen.push(buffer.to_vec());
                ControlledPollAction::AERON_ACTION_ABORT
            },
            10,
        )?;
        assert_eq!(read, 0);
        attempts += 1;
        assert!(attempts < 1_000_000, "nothing arrived");
    }
    // BREAK consumes the current fragment and stops.
    let mut delivered = Vec::new();
    let action = ControlledPollAction::AERON_ACTION_BREAK;
    let read = subscription.controlled_poll_once(
        |b: &[u8], _: AeronHeader| {
            delivered.push(b.to_vec());
            action
        },
        10,
    )?;
    assert_eq!(read, 1);
    poll_until("the rest", || {
        subscription.controlled_poll_once(
            |b: &[u8], _: AeronHeader| {
                delivered.push(b.to_vec());
                CONTINUE
            },
            10,
        )?;
        Ok(delivered.len() == 3)
    });
    assert_eq!(seen, vec![b"one".to_vec()]);
    assert_eq!(delivered, vec![b"one".to_vec(), b"two".to_vec(), b"six".to_vec()]);
    Ok(())
}

#[test]
fn block_poll_reads_whole_frames() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let subscription = subscribe(&aeron, c"aeron:ipc", 3002)?;
    let publication = aeron.add_publication(c"aeron:ipc", 3002, TIMEOUT)?;
    wait_until("connection", || publication.is_connected());
    let last = offer(&publication, b"0123456789").and_then(|_| offer(&publication, b"abcdefghij"))?;
    assert_eq!(last, 2 * aligned_frame_length(10) as i64);
    let mut block = Vec::new();
    let mut sessions = Vec::new();
    poll_until("a block", || {
        subscription.block_poll_once(
            |buffer: &[u8], session_id: i32, _term_id: i32| {
                block.extend_from_slice(buffer);
                sessions.push(session_id);
            },
            1 << 16,
        )?;
        Ok(block.len() >= last as usize)
    });
    assert_eq!(block.len(), last as usize);
    assert_eq!(&block[32..42], b"0123456789");
    assert_eq!(&block[64 + 32..64 + 42], b"abcdefghij");
    assert!(sessions.iter().all(|&s| s == publication.session_id()));
    Ok(())
}

#[test]
fn assemblers_reassemble_a_message_many_times_the_mtu_over_ipc() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let stream = 3003;
    let raw = subscribe(&aeron, c"aeron:ipc", stream)?;
    let by_closure = subscribe(&aeron, c"aeron:ipc", stream)?;
    let by_controlled_closure = subscribe(&aeron, c"aeron:ipc", stream)?;
    let by_handler = subscribe(&aeron, c"aeron:ipc", stream)?;
    let by_controlled_handler = subscribe(&aeron, c"aeron:ipc", stream)?;
    let publication = aeron.add_publication(c"aeron:ipc", stream, TIMEOUT)?;
    wait_until("connection", || {
        publication.is_connected() && by_controlled_handler.is_connected()
    });
    let max_payload = publication.constants()?.max_payload_length();
    let message = pattern(100_000, 42);
    assert!(message.len() > 50 * max_payload);
    offer(&publication, &message)?;

    let mut fragments = Vec::new();
    poll_until("raw fragments", || {
        raw.poll_once(|b: &[u8], _: AeronHeader| fragments.push(b.len()), 100)?;
        Ok(fragments.iter().sum::<usize>() == message.len())
    });
    assert_eq!(fragments.len(), message.len().div_ceil(max_payload));
    assert!(fragments.iter().all(|&n| n <= max_payload));

    let mut whole = Vec::new();
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    poll_until("closure assembler", || {
        assembler.poll(&by_closure, |b: &[u8], _: AeronHeader| whole.push(b.to_vec()), 100)?;
        Ok(!whole.is_empty())
    });
    let mut controlled = AeronControlledFragmentClosureAssembler::new()?;
    poll_until("controlled closure assembler", || {
        controlled.poll(
            &by_controlled_closure,
            |b: &[u8], _: AeronHeader| {
                whole.push(b.to_vec());
                CONTINUE
            },
            100,
        )?;
        Ok(whole.len() == 2)
    });

    let received: Messages = Arc::default();
    let sink = received.clone();
    let handler = Handlers::leak(move |b: &[u8], _: AeronHeader| sink.lock().unwrap().push(b.to_vec()));
    let handler_assembler = AeronFragmentAssembler::new(Some(&handler))?;
    poll_until("handler assembler", || {
        by_handler.poll_assembled(&handler_assembler, 100)?;
        Ok(count(&received) == 1)
    });
    let sink = received.clone();
    let controlled_handler = Handlers::leak(move |b: &[u8], _: AeronHeader| {
        sink.lock().unwrap().push(b.to_vec());
        CONTINUE
    });
    let controlled_assembler = AeronControlledFragmentAssembler::new(Some(&controlled_handler))?;
    poll_until("controlled handler assembler", || {
        by_controlled_handler.controlled_poll_assembled(&controlled_assembler, 100)?;
        Ok(count(&received) == 2)
    });
    whole.extend(received.lock().unwrap().drain(..));
    assert_eq!(whole.len(), 4);
    for m in &whole {
        assert_eq!((m.len(), checksum(m)), (message.len(), checksum(&message)));
    }
    Ok(())
}

#[test]
fn closure_assemblers_pass_whole_messages_through_and_reassemble_long_ones_in_order() -> Result<(), AeronCError> {
    // Whole messages take the assemblers' direct route to the closure, longer ones the C
    // assembler: interleaved, on subscriptions and images, with polls that stop mid-message.
    let (_driver, aeron) = driver_and_client()?;
    let stream = 3010;
    let subscriptions = [
        subscribe(&aeron, c"aeron:ipc", stream)?,
        subscribe(&aeron, c"aeron:ipc", stream)?,
        subscribe(&aeron, c"aeron:ipc", stream)?,
        subscribe(&aeron, c"aeron:ipc", stream)?,
    ];
    let publication = aeron.add_publication(c"aeron:ipc", stream, TIMEOUT)?;
    wait_until("connection", || {
        publication.is_connected() && subscriptions.iter().all(|s| s.is_connected())
    });
    let max_payload = publication.constants()?.max_payload_length();
    let messages = [
        b"first".to_vec(),
        pattern(3 * max_payload + 17, 3),
        Vec::new(),
        pattern(max_payload, 4),
        pattern(max_payload + 1, 5),
        b"last".to_vec(),
    ];
    let mut expected = Vec::new();
    for m in &messages {
        expected.push((m.clone(), offer(&publication, m)?));
    }
    let images: Vec<AeronImage> = subscriptions[2..]
        .iter()
        .map(|s| s.image_at_index(0).expect("one image"))
        .collect();
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let mut controlled = AeronControlledFragmentClosureAssembler::new()?;
    for variant in 0..4 {
        let mut received: Vec<(Vec<u8>, i64)> = Vec::new();
        poll_until("every message", || {
            let mut push = |b: &[u8], h: AeronHeader| received.push((b.to_vec(), h.position()));
            match variant {
                0 => assembler.poll(&subscriptions[0], &mut push, 1)?,
                1 => controlled.poll(
                    &subscriptions[1],
                    |b: &[u8], h: AeronHeader| {
                        push(b, h);
                        CONTINUE
                    },
                    1,
                )?,
                2 => assembler.poll_image(&images[0], &mut push, 3)?,
                _ => controlled.poll_image(
                    &images[1],
                    |b: &[u8], h: AeronHeader| {
                        push(b, h);
                        CONTINUE
                    },
                    3,
                )?,
            };
            Ok(received.len() >= messages.len())
        });
        assert_eq!(received, expected, "variant {variant}");
    }
    Ok(())
}

#[test]
fn closure_assembler_over_udp_loopback_with_small_mtu() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let channel = CString::new(format!("aeron:udp?endpoint=localhost:{}|mtu=1408", free_udp_port())).unwrap();
    let subscription = subscribe(&aeron, &channel, 3004)?;
    let publication = aeron.add_publication(&channel, 3004, TIMEOUT)?;
    wait_until("connection", || publication.is_connected());
    assert_eq!(publication.channel_status(), 1);
    assert_eq!(subscription.channel_status(), 1);
    let messages = [pattern(5 * 1408, 7), pattern(3 * 1408 + 5, 9), pattern(10, 11)];
    for m in &messages {
        offer(&publication, m)?;
    }
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let mut received = Vec::new();
    poll_until("reassembled UDP messages", || {
        assembler.poll(&subscription, |b: &[u8], _: AeronHeader| received.push(checksum(b)), 10)?;
        Ok(received.len() == messages.len())
    });
    assert_eq!(received, messages.iter().map(|m| checksum(m)).collect::<Vec<_>>());
    publication.close()?;
    assert_eq!(publication.channel_status(), -1);
    Ok(())
}

#[test]
fn images_and_image_handlers_observe_the_publisher() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let available: Arc<Mutex<Vec<(i32, i32)>>> = Arc::default();
    let unavailable: Arc<Mutex<Vec<i32>>> = Arc::default();
    let sink = available.clone();
    let on_available = Handlers::leak(move |sub: AeronSubscription, image: AeronImage| {
        let session = image.constants().map(|c| c.session_id()).unwrap_or(0);
        let stream = sub.constants().map(|c| c.stream_id()).unwrap_or(0);
        sink.lock().unwrap().push((session, stream));
    });
    let sink = unavailable.clone();
    let on_unavailable = Handlers::leak(move |_: AeronSubscription, image: AeronImage| {
        sink.lock()
            .unwrap()
            .push(image.constants().map(|c| c.session_id()).unwrap_or(0));
    });
    let subscription =
        aeron.add_subscription(c"aeron:ipc", 3005, Some(&on_available), Some(&on_unavailable), TIMEOUT)?;
    assert!(subscription.images()?.is_empty());
    let publication = aeron.add_publication(c"aeron:ipc", 3005, TIMEOUT)?;
    let session = publication.session_id();
    wait_until("the available-image handler", || !available.lock().unwrap().is_empty());
    assert_eq!(*available.lock().unwrap(), vec![(session, 3005)]);

    let images = subscription.images()?;
    assert_eq!(images.len(), 1);
    let image = &images[0];
    assert_eq!(image.constants()?.session_id(), session);
    assert!(subscription.image_by_session_id(session).is_some());
    assert!(subscription.image_by_session_id(session.wrapping_add(1)).is_none());
    assert!(subscription.image_at_index(1).is_none());
    offer(&publication, b"via image")?;
    let mut got = Vec::new();
    poll_until("image poll", || {
        image.poll_once(|b: &[u8], _: AeronHeader| got.push(b.to_vec()), 10)?;
        Ok(!got.is_empty())
    });
    assert_eq!(got, vec![b"via image".to_vec()]);
    assert_eq!(image.position(), aligned_frame_length(9) as i64);
    assert!(!image.is_closed());

    drop(images);
    // close() is logical; dropping the last handle releases the publication in C.
    drop(publication);
    wait_until("the unavailable-image handler", || {
        !unavailable.lock().unwrap().is_empty()
    });
    assert_eq!(*unavailable.lock().unwrap(), vec![session]);
    wait_until("the image to leave", || subscription.image_count() == Ok(0));
    assert!(subscription.images()?.is_empty());
    Ok(())
}

#[test]
fn multi_destination_subscription_add_and_remove() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let subscription = subscribe(&aeron, c"aeron:udp?control-mode=manual", 3006)?;
    let mut received = Vec::new();
    for word in ["first", "second"] {
        let destination = CString::new(format!("aeron:udp?endpoint=localhost:{}", free_udp_port())).unwrap();
        subscription.add_destination(&aeron, &destination, TIMEOUT)?;
        let publication = aeron.add_publication(&destination, 3006, TIMEOUT)?;
        wait_until("connection", || publication.is_connected());
        offer(&publication, word.as_bytes())?;
        poll_until(word, || {
            subscription.poll_once(|b: &[u8], _: AeronHeader| received.push(b.to_vec()), 10)?;
            Ok(received.last().is_some_and(|r| r == word.as_bytes()))
        });
        subscription.remove_destination(&aeron, &destination, TIMEOUT)?;
    }
    assert_eq!(received, vec![b"first".to_vec(), b"second".to_vec()]);
    let e = subscription
        .add_destination(&aeron, c"aeron:udp?endpoint=", TIMEOUT)
        .unwrap_err();
    assert_eq!(e.kind(), AeronErrorType::InvalidChannel, "{e}");
    Ok(())
}

#[test]
fn closed_subscription_and_its_images_report_resource_closed() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let closed = |r: Result<i32, AeronCError>| assert_eq!(r.unwrap_err().kind(), AeronErrorType::ResourceClosed);
    let first = subscribe(&aeron, c"aeron:ipc", 3007)?;
    let second = subscribe(&aeron, c"aeron:ipc", 3007)?;
    let publication = aeron.add_publication(c"aeron:ipc", 3007, TIMEOUT)?;
    wait_until("connection", || {
        publication.is_connected() && first.is_connected() && second.is_connected()
    });
    let mut assembler = AeronFragmentClosureAssembler::new()?;

    // A retained image (or any clone of it) keeps its subscription's C memory alive: closing
    // the subscription is logical, the image stays usable until it drops.
    let image = first.image_at_index(0).expect("one image");
    let clone = image.clone();
    drop(image);
    first.close()?;
    assert!(!clone.is_closed());
    clone.poll_once(|_: &[u8], _: AeronHeader| {}, 10)?;
    drop(clone);
    assert!(first.is_closed());
    closed(first.poll_once(|_: &[u8], _: AeronHeader| {}, 10));
    closed(assembler.poll(&first, |_: &[u8], _: AeronHeader| {}, 10));
    assert_eq!(first.images().unwrap_err().kind(), AeronErrorType::ResourceClosed);
    assert!(first.image_at_index(0).is_none());
    assert!(!first.is_connected());

    // Closing the client closes everything, retained images included.
    let image = second.image_at_index(0).expect("one image");
    aeron.close()?;
    assert!(second.is_closed() && image.is_closed() && publication.is_closed());
    closed(second.poll_once(|_: &[u8], _: AeronHeader| {}, 10));
    closed(image.poll_once(|_: &[u8], _: AeronHeader| {}, 10));
    closed(assembler.poll_image(&image, |_: &[u8], _: AeronHeader| {}, 10));
    assert_eq!(second.close()?, 0, "closed with the client: no second close in C");
    Ok(())
}

#[test]
fn polling_allocates_nothing() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let subscription = subscribe(&aeron, c"aeron:ipc", 3008)?;
    let publication = aeron.add_publication(c"aeron:ipc", 3008, TIMEOUT)?;
    wait_until("connection", || publication.is_connected());
    let image = subscription.image_at_index(0).expect("one image");
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let mut controlled = AeronControlledFragmentClosureAssembler::new()?;
    let message = pattern(3000, 5); // fragmented: the assemblers reassemble it
    let (mut bytes, mut messages) = (0usize, 0usize);
    for round in 0..2 {
        let before = allocations();
        for _ in 0..20 {
            let _ = offer(&publication, &message);
            let _ = offer(&publication, b"small");
            subscription.poll_once(|b: &[u8], _: AeronHeader| bytes += b.len(), 1)?;
            image.poll_once(|b: &[u8], _: AeronHeader| bytes += b.len(), 1)?;
            subscription.controlled_poll_once(
                |b: &[u8], _: AeronHeader| {
                    bytes += b.len();
                    CONTINUE
                },
                1,
            )?;
            assembler.poll(
                &subscription,
                |b: &[u8], _: AeronHeader| {
                    bytes += b.len();
                    messages += 1
                },
                3,
            )?;
            controlled.poll(
                &subscription,
                |b: &[u8], _: AeronHeader| {
                    bytes += b.len();
                    messages += 1;
                    CONTINUE
                },
                3,
            )?;
            subscription.block_poll_once(|b: &[u8], _: i32, _: i32| bytes += b.len(), 4096)?;
        }
        if round == 1 {
            assert_eq!(allocations() - before, 0, "polling allocated");
        }
    }
    assert!(bytes > 0 && messages > 0, "nothing was polled");
    Ok(())
}
