//! Replay merge against the embedded Rust archive, through the C client's
//! `AeronArchiveReplayMerge`: a subscriber joining a live stream late first gets the
//! recorded history replayed into its multi-destination subscription, then the live stream
//! is added as a second destination, and once both line up the replay is removed and
//! stopped. The subscriber gets every message exactly once, in order, at the positions it
//! was published at.
//!
//! The setup is Aeron's own (`ReplayMergeTest`): the live publication is a dynamic
//! multi-destination-cast publication with tagged flow control, so it is paced by the
//! archive's recording (a remote destination in the flow control group) and not by the
//! late subscriber; the subscriber's subscription is `control-mode=manual`; the replay goes
//! to an ephemeral UDP port (`endpoint=localhost:0`, resolved by the merge).

mod e2e_support;

use std::ffi::CString;
use std::time::Instant;

use e2e_support::*;
use rusteron_archive::*;

const STREAM_ID: i32 = 10_033;
const GROUP_TAG: i64 = 99_901;
const TERM_LENGTH: i64 = 64 * 1024;
const MESSAGE_LENGTH: usize = 200;

/// `n` distinct free UDP ports of localhost.
fn free_ports<const N: usize>() -> [u16; N] {
    let sockets: Vec<std::net::UdpSocket> = (0..N)
        .map(|_| std::net::UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    std::array::from_fn(|i| sockets[i].local_addr().unwrap().port())
}

/// Polls the merge (which also advances it), collecting messages with their positions.
fn poll(merge: &AeronArchiveReplayMerge, received: &mut Vec<(Vec<u8>, i64)>) {
    merge
        .poll_once(
            |m: &[u8], header: AeronHeader| received.push((m.to_vec(), header.position())),
            20,
        )
        .unwrap_or_else(|e| panic!("replay merge failed: {e}"));
    assert!(!merge.has_failed(), "the replay merge failed");
}

fn c(s: String) -> CString {
    CString::new(s).unwrap()
}

#[test]
fn a_late_subscriber_gets_the_recorded_history_then_the_live_stream_each_message_once() {
    let h = Harness::start();
    let [control, recording, live] = free_ports::<3>();

    // The live stream, recorded by the archive as a tagged (flow-controlling) destination.
    let publication = publication(
        &h.aeron,
        &c(format!(
            "aeron:udp?control=localhost:{control}|control-mode=dynamic|term-length=64k|fc=tagged,g:{GROUP_TAG}/1"
        )),
        STREAM_ID,
    );
    let session_id = publication.constants().unwrap().session_id();
    h.archive
        .start_recording(
            &c(format!(
                "aeron:udp?endpoint=localhost:{recording}|control=localhost:{control}|session-id={session_id}|gtag={GROUP_TAG}"
            )),
            STREAM_ID,
            SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_REMOTE,
            true,
        )
        .unwrap();
    let archive_id = h.archiving.archive().archive_id();
    let counter_id = recording_pos_counter(&h.aeron, session_id, archive_id);
    let counters = h.aeron.counters_reader().unwrap();
    let recording_id = AeronArchive::recording_pos_get_recording_id(&counters, counter_id);
    wait_until("the archive's receiver to connect", || publication.is_connected());

    // History: three terms published before the subscriber exists.
    let per_term = (TERM_LENGTH / 256) as usize;
    let total = 6 * per_term;
    let mut sent: Vec<(Vec<u8>, i64)> = Vec::new();
    for i in 0..3 * per_term {
        let m = message(i, MESSAGE_LENGTH);
        let p = offer(&publication, &m);
        sent.push((m, p));
    }
    wait_until("the history to be recorded", || {
        counters.counter_value(counter_id).unwrap() == sent.last().unwrap().1
    });

    // The late subscriber.
    let subscription = h
        .aeron
        .add_subscription(
            &c(format!("aeron:udp?control-mode=manual|session-id={session_id}")),
            STREAM_ID,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
            TIMEOUT,
        )
        .unwrap();
    let merge = AeronArchiveReplayMerge::new(
        &subscription,
        &h.archive,
        &c(format!("aeron:udp?session-id={session_id}")),
        c"aeron:udp?endpoint=localhost:0",
        &c(format!(
            "aeron:udp?endpoint=localhost:{live}|control=localhost:{control}"
        )),
        recording_id,
        0,
        epoch_clock_ms(),
        REPLAY_MERGE_PROGRESS_TIMEOUT_DEFAULT_MS,
    )
    .unwrap();

    let mut received: Vec<(Vec<u8>, i64)> = Vec::new();

    // The live stream goes on while the subscriber catches up.
    let deadline = Instant::now() + TIMEOUT;
    for i in 3 * per_term..total {
        let m = message(i, MESSAGE_LENGTH);
        loop {
            match publication.offer(&m, Handlers::no_reserved_value_supplier_handler()) {
                Ok(p) => {
                    sent.push((m, p));
                    break;
                }
                Err(e) => assert!(Instant::now() < deadline, "offer {i} never accepted: {e}"),
            }
            poll(&merge, &mut received);
        }
        poll(&merge, &mut received);
    }
    while !merge.is_merged() {
        poll(&merge, &mut received);
        assert!(Instant::now() < deadline, "not merged: received {}", received.len());
    }
    assert!(merge.is_live_added());
    // Merged: the rest comes from the live stream alone.
    let image = merge.image().expect("the merged image");
    while received.len() < total {
        image
            .poll_once(
                |m: &[u8], header: AeronHeader| received.push((m.to_vec(), header.position())),
                20,
            )
            .unwrap();
        assert!(Instant::now() < deadline, "received {} of {total}", received.len());
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    image
        .poll_once(
            |m: &[u8], header: AeronHeader| received.push((m.to_vec(), header.position())),
            20,
        )
        .unwrap();
    assert_eq!(received.len(), total, "no message twice");
    assert!(
        received == sent,
        "every message once, in order, at its published position"
    );
    assert_eq!(image.position(), publication.position());

    // The merge stopped the replay on the archive; the recording goes on.
    wait_until("the replay to stop", || h.archiving.archive().replay_sessions() == 0);
    assert_eq!(h.archiving.archive().recording_sessions(), 1);
    let m = message(total, MESSAGE_LENGTH);
    let p = offer(&publication, &m);
    let mut more = Vec::new();
    wait_until("a live message after the merge", || {
        image
            .poll_once(
                |m: &[u8], header: AeronHeader| more.push((m.to_vec(), header.position())),
                20,
            )
            .unwrap();
        !more.is_empty()
    });
    assert_eq!(more, vec![(m, p)]);
}
