//! Publications against a real embedded media driver: bytes, positions, error kinds, claims,
//! reserved values, and no heap allocation on offer / offerv / try_claim / poll.

use std::time::{Duration, Instant};

use rusteron_client::publication::{aligned_frame_length, BufferClaim, MAX_OFFERV_BUFFERS};
use rusteron_client::*;
use rusteron_media_driver::testing::{driver_and_client, retry, subscribe, wait_until, TIMEOUT};

#[global_allocator]
static GLOBAL: rusteron_test_support::CountingAllocator = rusteron_test_support::CountingAllocator;
use rusteron_test_support::allocations;

/// Polls until `count` messages arrived; returns (payload, reserved value) pairs.
fn receive(subscription: &AeronSubscription, count: usize) -> Result<Vec<(Vec<u8>, i64)>, AeronCError> {
    let mut received = Vec::new();
    let start = Instant::now();
    while received.len() < count {
        subscription.poll_once(
            |buffer: &[u8], header: AeronHeader| {
                let reserved = header.values().map(|v| v.frame().reserved_value).unwrap_or(i64::MIN);
                received.push((buffer.to_vec(), reserved));
            },
            16,
        )?;
        assert!(
            start.elapsed() < TIMEOUT,
            "only {} of {count} messages arrived",
            received.len()
        );
    }
    Ok(received)
}

fn payloads(received: Vec<(Vec<u8>, i64)>) -> Vec<Vec<u8>> {
    received.into_iter().map(|(p, _)| p).collect()
}

/// Offers messages of edge-case lengths and checks positions and the bytes received.
fn check_positions(
    subscription: &AeronSubscription,
    position: impl Fn() -> i64,
    offer: impl Fn(&[u8]) -> Result<i64, AeronCError>,
) -> Result<(), AeronCError> {
    let lengths = [0usize, 1, 31, 32, 33, 100, 1000, 1376];
    let messages: Vec<Vec<u8>> = lengths
        .iter()
        .map(|&n| (0..n).map(|i| (i * 7 + n) as u8).collect())
        .collect();
    for message in &messages {
        let before = position();
        let after = retry(|| offer(message))?;
        assert_eq!(
            after - before,
            aligned_frame_length(message.len()) as i64,
            "len {}",
            message.len()
        );
        assert_eq!(position(), after);
    }
    assert_eq!(payloads(receive(subscription, messages.len())?), messages);
    Ok(())
}

#[test]
fn offer_advances_position_by_aligned_frames_and_delivers_bytes() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let subscription = subscribe(&aeron, c"aeron:ipc", 2001)?;
    let publication = aeron.add_publication(c"aeron:ipc", 2001, TIMEOUT)?;
    wait_until("connection", || publication.is_connected());
    assert_eq!(publication.position(), 0);
    // IPC has no channel endpoint, hence no status counter.
    assert_eq!(publication.channel_status(), -1);
    assert!(publication.position_limit() > 0);
    let constants = publication.constants()?;
    assert_eq!(constants.stream_id(), 2001);
    assert_eq!(constants.session_id(), publication.session_id());
    assert_eq!(constants.max_payload_length(), 1408 - 32);
    assert_eq!(constants.max_message_length(), (1 << 20) / 8);
    check_positions(
        &subscription,
        || publication.position(),
        |m| publication.offer(m, Handlers::no_reserved_value_supplier_handler()),
    )?;

    let exclusive = aeron.add_exclusive_publication(c"aeron:ipc", 2001, TIMEOUT)?;
    wait_until("exclusive connection", || exclusive.is_connected());
    assert_ne!(exclusive.constants()?.session_id(), publication.session_id());
    check_positions(
        &subscription,
        || exclusive.position(),
        |m| exclusive.offer(m, Handlers::no_reserved_value_supplier_handler()),
    )
}

#[test]
fn offer_errors_are_typed() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let publication = aeron.add_publication(c"aeron:ipc", 2002, TIMEOUT)?;
    let none = Handlers::no_reserved_value_supplier_handler();
    // Nobody subscribed yet.
    let e = publication.offer(b"x", none).unwrap_err();
    assert_eq!(e.kind(), AeronErrorType::NullOrNotConnected);
    assert!(!publication.is_connected());

    let subscription = subscribe(&aeron, c"aeron:ipc", 2002)?;
    wait_until("connection", || publication.is_connected());
    let max = publication.constants()?.max_message_length();
    let too_long = vec![0u8; max + 1];
    assert_eq!(
        publication.offer(&too_long, none).unwrap_err().kind(),
        AeronErrorType::PublicationError
    );
    assert_eq!(
        publication.try_claim(1409).unwrap_err().kind(),
        AeronErrorType::PublicationError
    );
    let many = [&b"x"[..]; MAX_OFFERV_BUFFERS + 1];
    assert_eq!(
        publication.offerv(&many, none).unwrap_err().kind(),
        AeronErrorType::InvalidArgument
    );
    let mut released = Handlers::leak(|_: *mut u8, _: usize| 0i64);
    released.release();
    assert_eq!(
        publication.offer(b"x", Some(&released)).unwrap_err().kind(),
        AeronErrorType::InvalidArgument
    );
    // A message of exactly the maximum length still goes through, reassembled or not.
    retry(|| publication.offer(&too_long[..max], none))?;
    drop(subscription);

    publication.close()?;
    assert!(publication.is_closed());
    assert_eq!(
        publication.offer(b"x", none).unwrap_err().kind(),
        AeronErrorType::ResourceClosed
    );
    assert_eq!(
        publication.offerv(&[b"x"], none).unwrap_err().kind(),
        AeronErrorType::ResourceClosed
    );
    assert_eq!(
        publication.try_claim(1).unwrap_err().kind(),
        AeronErrorType::ResourceClosed
    );
    assert_eq!(publication.position(), bindings::AERON_PUBLICATION_CLOSED as i64);
    assert_eq!(publication.position_limit(), bindings::AERON_PUBLICATION_CLOSED as i64);
    assert_eq!(publication.channel_status(), -1);
    assert!(!publication.is_connected());
    Ok(())
}

#[test]
fn add_publication_reports_driver_errors_and_timeouts() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let e = aeron
        .add_publication(c"aeron:udp?endpoint=localhost:0|bogus-param=", 1, TIMEOUT)
        .unwrap_err();
    assert_eq!(e.kind(), AeronErrorType::InvalidChannel, "{e}");
    assert!(
        e.message().is_some_and(|m| m.contains("empty value not allowed")),
        "{e}"
    );
    // A zero timeout cannot be met: the pending add is cancelled, and the client still works.
    let e = aeron
        .add_exclusive_publication(c"aeron:ipc", 2003, Duration::ZERO)
        .unwrap_err();
    assert_eq!(e.kind(), AeronErrorType::TimedOut);
    let publication = aeron.add_exclusive_publication(c"aeron:ipc", 2003, TIMEOUT)?;
    assert_eq!(publication.constants()?.stream_id(), 2003);
    Ok(())
}

#[test]
fn offerv_gathers_buffers_into_one_message() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let subscription = subscribe(&aeron, c"aeron:ipc", 2004)?;
    let publication = aeron.add_publication(c"aeron:ipc", 2004, TIMEOUT)?;
    let exclusive = aeron.add_exclusive_publication(c"aeron:ipc", 2004, TIMEOUT)?;
    wait_until("connection", || publication.is_connected() && exclusive.is_connected());
    let none = Handlers::no_reserved_value_supplier_handler();
    let p = retry(|| publication.offerv(&[b"ab", b"", b"cdef"], none))?;
    assert_eq!(p, aligned_frame_length(6) as i64);
    let parts: Vec<&[u8]> = (0..MAX_OFFERV_BUFFERS).map(|_| &b"0123456789"[..]).collect();
    let p = retry(|| exclusive.offerv(&parts, none))?;
    assert_eq!(p, aligned_frame_length(10 * MAX_OFFERV_BUFFERS) as i64);
    let mut got = payloads(receive(&subscription, 2)?);
    got.sort();
    assert_eq!(got, vec![b"0123456789".repeat(MAX_OFFERV_BUFFERS), b"abcdef".to_vec()]);
    Ok(())
}

/// Commit delivers; abort and drop do not (but still advance the position as padding).
fn check_claims<'a>(
    subscription: &AeronSubscription,
    claim: impl Fn(usize) -> Result<BufferClaim<'a>, AeronCError>,
) -> Result<(), AeronCError> {
    let mut first = retry_claim(&claim, 5)?;
    assert_eq!(first.len(), 5);
    first.data().copy_from_slice(b"hello");
    first.set_reserved_value(0x1234_5678_9abc);
    let committed_at = first.position();
    first.commit()?;
    let mut aborted = retry_claim(&claim, 7)?;
    aborted.data().copy_from_slice(b"aborted");
    assert_eq!(aborted.position(), committed_at + aligned_frame_length(7) as i64);
    aborted.abort()?;
    let mut dropped = retry_claim(&claim, 7)?;
    dropped.data().copy_from_slice(b"dropped");
    drop(dropped);
    let empty = retry_claim(&claim, 0)?;
    assert!(empty.is_empty());
    empty.commit()?;
    let received = receive(subscription, 2)?;
    assert_eq!(received, vec![(b"hello".to_vec(), 0x1234_5678_9abc), (Vec::new(), 0)]);
    // Nothing else (the aborted and dropped claims became padding).
    let mut extra = 0;
    subscription.poll_once(|_: &[u8], _: AeronHeader| extra += 1, 16)?;
    assert_eq!(extra, 0);
    Ok(())
}

fn retry_claim<'a>(
    claim: &impl Fn(usize) -> Result<BufferClaim<'a>, AeronCError>,
    length: usize,
) -> Result<BufferClaim<'a>, AeronCError> {
    let start = Instant::now();
    loop {
        match claim(length) {
            Err(e) if e.is_back_pressured() && start.elapsed() < TIMEOUT => std::thread::yield_now(),
            other => return other,
        }
    }
}

#[test]
fn try_claim_commit_delivers_abort_and_drop_do_not() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let subscription = subscribe(&aeron, c"aeron:ipc", 2005)?;
    let publication = aeron.add_publication(c"aeron:ipc", 2005, TIMEOUT)?;
    wait_until("connection", || publication.is_connected());
    check_claims(&subscription, |n| publication.try_claim(n))?;
    drop(publication);
    let exclusive = aeron.add_exclusive_publication(c"aeron:ipc", 2005, TIMEOUT)?;
    wait_until("exclusive connection", || exclusive.is_connected());
    check_claims(&subscription, |n| exclusive.try_claim(n))?;
    // Padding advances an exclusive publication's position like a frame of that length.
    let before = exclusive.position();
    assert_eq!(
        exclusive.append_padding(100)?,
        before + aligned_frame_length(100) as i64
    );
    Ok(())
}

#[test]
fn try_claim_with_commits_in_place_and_aborts_on_panic() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let subscription = subscribe(&aeron, c"aeron:ipc", 2006)?;
    let publication = aeron.add_exclusive_publication(c"aeron:ipc", 2006, TIMEOUT)?;
    wait_until("connection", || publication.is_connected());
    let first = retry(|| publication.try_claim_with(5, |buf| buf.copy_from_slice(b"hello")))?;
    assert_eq!(first, aligned_frame_length(5) as i64);
    // A panicking fill aborts the claim (padding) and resumes here.
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = publication.try_claim_with(4, |_| panic!("fill"));
    }));
    assert!(panicked.is_err());
    let last = retry(|| publication.try_claim_with(3, |buf| buf.copy_from_slice(b"end")))?;
    assert_eq!(last, first + (aligned_frame_length(4) + aligned_frame_length(3)) as i64);
    assert_eq!(
        payloads(receive(&subscription, 2)?),
        vec![b"hello".to_vec(), b"end".to_vec()]
    );
    Ok(())
}

#[test]
fn reserved_value_suppliers_see_the_frame() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let subscription = subscribe(&aeron, c"aeron:ipc", 2006)?;
    let publication = aeron.add_publication(c"aeron:ipc", 2006, TIMEOUT)?;
    wait_until("connection", || publication.is_connected());
    let supplier = Handlers::leak(|_frame: *mut u8, frame_length: usize| frame_length as i64 * 1000);
    retry(|| publication.offer(b"abc", Some(&supplier)))?;
    retry(|| publication.offer_once(b"hello", |frame: &[u8]| frame.len() as i64 + frame[32] as i64))?;
    let received = receive(&subscription, 2)?;
    assert_eq!(received[0], (b"abc".to_vec(), 35_000));
    assert_eq!(received[1], (b"hello".to_vec(), 37 + b'h' as i64));
    Ok(())
}

#[test]
fn hot_paths_do_not_allocate() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let subscription = subscribe(&aeron, c"aeron:ipc", 2007)?;
    let publication = aeron.add_publication(c"aeron:ipc", 2007, TIMEOUT)?;
    let exclusive = aeron.add_exclusive_publication(c"aeron:ipc", 2007, TIMEOUT)?;
    wait_until("connection", || publication.is_connected() && exclusive.is_connected());
    let probe = allocations();
    drop(std::hint::black_box(Box::new(1u8)));
    assert_eq!(allocations() - probe, 1, "the counting allocator counts");
    let none = Handlers::no_reserved_value_supplier_handler();
    let message = [7u8; 64];
    let (mut sent, mut received_bytes, mut fragments) = (0usize, 0usize, 0usize);
    for round in 0..2 {
        let before = allocations();
        for _ in 0..50 {
            for result in [
                publication.offer(&message, none),
                exclusive.offer(&message, none),
                publication.offerv(&[&message[..32], &message[32..]], none),
                exclusive.offer_once(&message, |frame: &[u8]| frame.len() as i64),
            ] {
                if result.is_ok() {
                    sent += 1;
                }
            }
            if let Ok(mut claim) = publication.try_claim(message.len()) {
                claim.data().copy_from_slice(&message);
                if claim.commit().is_ok() {
                    sent += 1;
                }
            }
            subscription.poll_once(
                |buffer: &[u8], _: AeronHeader| {
                    received_bytes += buffer.len();
                    fragments += 1;
                },
                100,
            )?;
        }
        // Round 0 warms up; round 1 must not allocate at all.
        if round == 1 {
            assert_eq!(allocations() - before, 0, "offer/offerv/try_claim/poll allocated");
        }
    }
    assert!(sent > 0 && fragments > 0, "sent {sent}, received {fragments}");
    assert_eq!(received_bytes, fragments * message.len());
    Ok(())
}

#[test]
fn revoke_closes_the_handle_and_revokes_the_publication_for_subscribers() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let subscription = subscribe(&aeron, c"aeron:ipc", 2010)?;
    let publication = aeron.add_exclusive_publication(c"aeron:ipc", 2010, TIMEOUT)?;
    wait_until("connection", || publication.is_connected());
    let none = Handlers::no_reserved_value_supplier_handler();
    retry(|| publication.offer(b"before revoke", none))?;
    wait_until("the image", || subscription.image_count().unwrap_or(0) == 1);
    let image = subscription.images()?.remove(0);
    assert!(!image.is_publication_revoked());

    let clone = publication.clone();
    publication.revoke()?;
    assert!(clone.is_closed(), "every clone is closed");
    assert_eq!(
        clone.offer(b"x", none).unwrap_err().kind(),
        AeronErrorType::ResourceClosed
    );
    assert_eq!(clone.revoke().unwrap_err().kind(), AeronErrorType::ResourceClosed);
    drop(publication);
    drop(clone);
    // The C publication is released (and revoked) with the last handle: the image says so.
    wait_until("the revocation", || image.is_publication_revoked());
    wait_until("the image to go", || subscription.image_count().unwrap_or(1) == 0);
    Ok(())
}
