//! Replay against the embedded Rust archive: whole recordings, from a position with a
//! length, bounded by a counter, following a live recording, stop replay, invalid requests.

mod e2e_support;

use e2e_support::*;
use rusteron_archive::*;

const LOCAL: SourceLocation = SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL;

/// Records `count` messages of `length(i)` bytes on `stream_id`; returns the recording id,
/// the messages and the position after each.
fn record(
    h: &Harness,
    stream_id: i32,
    count: usize,
    length: impl Fn(usize) -> usize,
    stop: bool,
) -> (i64, Vec<(Vec<u8>, i64)>, AeronPublication) {
    let sub = h
        .archive
        .start_recording(c"aeron:ipc", stream_id, LOCAL, false)
        .unwrap();
    let publication = publication(&h.aeron, c"aeron:ipc?term-length=64k", stream_id);
    let sent: Vec<(Vec<u8>, i64)> = (0..count)
        .map(|i| {
            let m = message(i, length(i));
            let p = offer(&publication, &m);
            (m, p)
        })
        .collect();
    let recording_id = h.signals.await_signal(&h.archive, START, None).recording_id;
    let end = sent.last().map_or(0, |s| s.1);
    wait_until("recorded", || {
        h.archive.get_recording_position(recording_id).unwrap() == end
    });
    if stop {
        h.archive.stop_recording_subscription(sub).unwrap();
        h.signals.await_signal(&h.archive, STOP, Some(recording_id));
    }
    (recording_id, sent, publication)
}

fn params(position: i64, length: i64) -> AeronArchiveReplayParams {
    let params = AeronArchiveReplayParams::new().unwrap();
    params.set_position(position);
    params.set_length(length);
    params
}

#[test]
fn replays_a_whole_recording_with_identical_bytes_and_positions() {
    let h = Harness::start();
    // Spans several 64 KiB terms, with fragmented messages (> MTU) too.
    let (recording_id, sent, _p) = record(&h, 5001, 300, |i| if i % 50 == 7 { 5000 } else { 32 + i % 900 }, true);
    let replay = h
        .archive
        .replay(
            recording_id,
            c"aeron:ipc",
            6001,
            &params(AERON_NULL_POSITION, ARCHIVE_REPLAY_ALL_AND_STOP),
        )
        .unwrap();
    let received = receive(&replay, sent.len());
    assert_eq!(received, sent, "bytes and positions of the replay equal the recording");
    // The replay ends: the image reaches end of stream at the stop position.
    wait_until("end of stream", || {
        replay.images().unwrap().first().is_some_and(|i| i.is_end_of_stream())
    });
    assert_eq!(replay.images().unwrap()[0].position(), sent.last().unwrap().1);
    wait_until("no replay", || h.archiving.archive().replay_sessions() == 0);
}

#[test]
fn replays_from_a_position_with_a_length() {
    let h = Harness::start();
    let (recording_id, sent, _p) = record(&h, 5002, 100, |i| 32 + (i * 13) % 200, true);
    // From the end of message 39 for the length of messages 40..=69.
    let from = sent[39].1;
    let length = sent[69].1 - from;
    let replay_session_id = h
        .archive
        .start_replay(recording_id, c"aeron:ipc", 6002, &params(from, length))
        .unwrap();
    let channel = std::ffi::CString::new(format!("aeron:ipc?session-id={}", replay_session_id as i32)).unwrap();
    let subscription = h
        .aeron
        .add_subscription(
            &channel,
            6002,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
            TIMEOUT,
        )
        .unwrap();
    let received = receive(&subscription, 30);
    assert_eq!(received, sent[40..70].to_vec());
    // Nothing beyond the length.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let mut extra = 0;
    subscription
        .poll_once(|_m: &[u8], _h: AeronHeader| extra += 1, 10)
        .unwrap();
    assert_eq!(extra, 0);

    // Invalid positions: unaligned, before the start, at or past the stop.
    let err = h
        .archive
        .start_replay(recording_id, c"aeron:ipc", 6002, &params(from + 8, 64))
        .unwrap_err();
    assert!(err.message().unwrap_or("").contains("FRAME_ALIGNMENT"), "{err:?}");
    let stop = sent.last().unwrap().1;
    let err = h
        .archive
        .start_replay(recording_id, c"aeron:ipc", 6002, &params(stop, 64))
        .unwrap_err();
    assert!(err.message().unwrap_or("").contains("errorCode=16"), "{err:?}");
    // Aligned but inside a message: not a frame of the recording.
    let inside = (sent[10].1 + 32 + 31) & !31;
    if inside < sent[11].1 {
        let err = h
            .archive
            .start_replay(recording_id, c"aeron:ipc", 6002, &params(inside, 64))
            .unwrap_err();
        assert!(
            err.message().unwrap_or("").contains("does not point to a valid frame"),
            "{err:?}"
        );
    }
    let err = h
        .archive
        .start_replay(recording_id + 10, c"aeron:ipc", 6002, &params(0, 64))
        .unwrap_err();
    assert!(err.message().unwrap_or("").contains("unknown recording id"), "{err:?}");
}

#[test]
fn follows_a_live_recording_and_stops_on_request() {
    let h = Harness::start();
    let (recording_id, mut sent, publication) = record(&h, 5003, 20, |_| 32, false);
    let replay_session_id = h
        .archive
        .start_replay(
            recording_id,
            c"aeron:ipc",
            6003,
            &params(0, ARCHIVE_REPLAY_ALL_AND_FOLLOW),
        )
        .unwrap();
    let channel = std::ffi::CString::new(format!("aeron:ipc?session-id={}", replay_session_id as i32)).unwrap();
    let subscription = h
        .aeron
        .add_subscription(
            &channel,
            6003,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
            TIMEOUT,
        )
        .unwrap();
    for i in 20..60 {
        let m = message(i, 1024);
        let p = offer(&publication, &m);
        sent.push((m, p));
    }
    let received = receive(&subscription, sent.len());
    assert_eq!(received, sent, "the replay follows the live recording");
    assert_eq!(h.archiving.archive().replay_sessions(), 1);

    h.archive.stop_replay(replay_session_id).unwrap();
    wait_until("replay stopped", || h.archiving.archive().replay_sessions() == 0);
    wait_until("replay image gone", || subscription.image_count().unwrap() == 0);

    // stop_all_replays for a recording.
    let replay = h
        .archive
        .replay(
            recording_id,
            c"aeron:ipc",
            6004,
            &params(0, ARCHIVE_REPLAY_ALL_AND_FOLLOW),
        )
        .unwrap();
    receive(&replay, sent.len());
    h.archive.stop_all_replays(recording_id).unwrap();
    wait_until("replays stopped", || h.archiving.archive().replay_sessions() == 0);
}

#[test]
fn a_bounded_replay_stops_at_its_counter() {
    let h = Harness::start();
    let (recording_id, sent, _p) = record(&h, 5004, 50, |_| 96, true);
    let limit = h.aeron.add_counter(9001, &[], "replay limit", TIMEOUT).unwrap();
    limit.set(sent[9].1).unwrap();
    let p = params(0, ARCHIVE_REPLAY_ALL_AND_FOLLOW);
    p.set_bounding_limit_counter_id(limit.counter_id().unwrap());
    let replay = h.archive.replay(recording_id, c"aeron:ipc", 6005, &p).unwrap();
    assert_eq!(receive(&replay, 10), sent[..10].to_vec());
    std::thread::sleep(std::time::Duration::from_millis(50));
    let mut extra = 0;
    replay.poll_once(|_m: &[u8], _h: AeronHeader| extra += 1, 10).unwrap();
    assert_eq!(extra, 0, "nothing past the counter");
    // Moving the counter lets the replay go on.
    limit.set(sent[29].1).unwrap();
    assert_eq!(receive(&replay, 20), sent[10..30].to_vec());
}

#[test]
fn replays_over_a_response_channel_with_a_replay_token() {
    use rusteron_archive::server::ArchivingMediaDriver;

    // The client asks for a replay token, opens a request publication to the archive's
    // UDP control channel and sends the replay with the token on it; the archive answers
    // with a replay publication connected to the client's response subscription.
    let control_port = free_port();
    let control = format!("aeron:udp?endpoint=localhost:{control_port}");
    let archiving = ArchivingMediaDriver::launch_for_tests_with(|o| o.control_channel = Some(control.clone())).unwrap();
    let aeron = client(&archiving);
    let signals = Signals::default();
    let ctx = context(&aeron, Some(&signals)).unwrap();
    ctx.set_control_request_channel(&std::ffi::CString::new(control.clone()).unwrap())
        .unwrap();
    ctx.set_control_response_channel(c"aeron:udp?endpoint=localhost:0")
        .unwrap();
    let h = Harness {
        archive: AeronArchive::connect(&ctx).expect("connect over UDP"),
        signals,
        aeron,
        archiving,
    };
    let (recording_id, sent, _p) = record(&h, 5101, 200, |i| 40 + i % 1500, true);

    let response_channel = format!("aeron:udp?control-mode=response|control=localhost:{}", free_port());
    let response_channel = std::ffi::CString::new(response_channel).unwrap();
    let replay = h
        .archive
        .replay(
            recording_id,
            &response_channel,
            6101,
            &params(AERON_NULL_POSITION, ARCHIVE_REPLAY_ALL_AND_STOP),
        )
        .expect("replay over a response channel");
    assert_eq!(receive(&replay, sent.len()), sent);

    // A second replay gets a fresh token; each is used once.
    let replay = h
        .archive
        .replay(
            recording_id,
            &response_channel,
            6102,
            &params(sent[99].1, sent[199].1 - sent[99].1),
        )
        .expect("second replay over a response channel");
    assert_eq!(receive(&replay, 100), sent[100..].to_vec());

    // An unknown recording is refused when the token is asked for.
    let err = h
        .archive
        .replay(999, &response_channel, 6103, &params(0, 1024))
        .unwrap_err();
    assert_eq!(
        err.archive_error_code(),
        Some(ArchiveErrorCode::UnknownRecording),
        "{err:?}"
    );
}
