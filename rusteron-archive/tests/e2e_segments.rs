//! Segment maintenance against the embedded Rust archive, through the unchanged C archive
//! client: detach, attach, purge, delete detached segments, migrate segments between two
//! contiguous recordings, and update a recording's channel. What users rely on: start and
//! stop positions move as Aeron documents, segment files go or stay, replays give exactly
//! the bytes still attached, and invalid requests are refused with a message.

mod e2e_support;

use std::path::Path;

use e2e_support::*;
use rusteron_archive::*;
use rusteron_archive::server::ArchivingMediaDriver;

const SEGMENT: i64 = 64 * 1024;
/// 992-byte payloads make 1024-byte frames: 64 per segment, positions on segment bounds.
const PAYLOAD: usize = 992;
const PER_SEGMENT: usize = 64;
const LOCAL: SourceLocation = SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL;
const CHANNEL: &std::ffi::CStr = c"aeron:ipc?term-length=64k|alias=segments";

fn harness() -> Harness {
    Harness::on(
        ArchivingMediaDriver::launch_for_tests_with(|o| o.segment_file_length = SEGMENT as i32)
            .expect("archiving media driver"),
    )
}

/// Records `messages[range]` on `stream_id` and stops; returns the recording id.
fn record(h: &Harness, publication: &AeronPublication, stream_id: i32, range: std::ops::Range<usize>) -> i64 {
    let subscription_id = h.archive.start_recording(CHANNEL, stream_id, LOCAL, false).unwrap();
    let session_id = publication.constants().unwrap().session_id();
    let counter_id = recording_pos_counter(&h.aeron, session_id, h.archiving.archive().archive_id());
    let counters = h.aeron.counters_reader().unwrap();
    let recording_id = AeronArchive::recording_pos_get_recording_id(&counters, counter_id);
    let mut end = 0;
    for i in range {
        end = offer(publication, &message(i, PAYLOAD));
    }
    wait_until("recorded", || {
        h.archive.get_recording_position(recording_id).unwrap() == end
    });
    h.archive.stop_recording_subscription(subscription_id).unwrap();
    h.signals.await_signal(&h.archive, STOP, Some(recording_id));
    recording_id
}

/// Replays `recording_id` from `position` to its end and returns the message numbers
/// received (each message checked byte for byte).
fn replay_from(h: &Harness, recording_id: i64, position: i64, stream_id: i32, expected: usize) -> Vec<usize> {
    let params = AeronArchiveReplayParams::new().unwrap();
    params.set_position(position);
    params.set_length(ARCHIVE_REPLAY_ALL_AND_STOP);
    let replay = h
        .archive
        .replay(recording_id, c"aeron:ipc", stream_id, &params)
        .unwrap();
    receive(&replay, expected)
        .into_iter()
        .map(|(bytes, end)| {
            let i = (end / 1024 - 1) as usize;
            assert_eq!(bytes, message(i, PAYLOAD), "message {i} at {end}");
            i
        })
        .collect()
}

fn segment_files(dir: &Path, recording_id: i64) -> Vec<i64> {
    let prefix = format!("{recording_id}-");
    let mut bases: Vec<i64> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_prefix(&prefix)?.strip_suffix(".rec")?.parse().ok()
        })
        .collect();
    bases.sort_unstable();
    bases
}

fn error_text(err: &AeronCError) -> &str {
    err.message().unwrap_or("")
}

#[test]
fn detach_attach_purge_and_delete_detached_segments() {
    let h = harness();
    let dir = h.archiving.archive().archive_dir().to_path_buf();
    let publication = publication(&h.aeron, CHANNEL, 3001);
    // Five full segments and a part of the sixth.
    let recording_id = record(&h, &publication, 3001, 0..5 * PER_SEGMENT + 10);
    let stop = h.archive.get_stop_position(recording_id).unwrap();
    assert_eq!(stop, (5 * PER_SEGMENT as i64 + 10) * 1024);
    assert_eq!(
        segment_files(&dir, recording_id),
        [0, SEGMENT, 2 * SEGMENT, 3 * SEGMENT, 4 * SEGMENT, 5 * SEGMENT]
    );

    // Invalid detaches are refused and change nothing.
    for (position, reason) in [
        (2 * SEGMENT + 1024, "invalid segment start"),
        (0, "invalid detach: newStartPosition=0 lowerBound=65536"),
        (6 * SEGMENT, "invalid detach: in use"),
    ] {
        let err = h.archive.detach_segments(recording_id, position).unwrap_err();
        assert!(error_text(&err).contains(reason), "{position}: {err:?}");
    }
    assert_eq!(h.archive.get_start_position(recording_id).unwrap(), 0);

    // Detach: the start moves, the files stay, replays start at the new start.
    h.archive.detach_segments(recording_id, 2 * SEGMENT).unwrap();
    assert_eq!(h.archive.get_start_position(recording_id).unwrap(), 2 * SEGMENT);
    assert_eq!(segment_files(&dir, recording_id).len(), 6);
    let expected: Vec<usize> = (2 * PER_SEGMENT..5 * PER_SEGMENT + 10).collect();
    assert_eq!(
        replay_from(&h, recording_id, 2 * SEGMENT, 3101, expected.len()),
        expected
    );
    assert!(
        h.archive
            .replay(recording_id, c"aeron:ipc", 3102, &{
                let params = AeronArchiveReplayParams::new().unwrap();
                params.set_position(0);
                params
            })
            .is_err(),
        "detached history cannot be replayed"
    );

    // Attach: both detached segments come back, and so does the history.
    assert_eq!(h.archive.attach_segments(recording_id).unwrap(), 2);
    assert_eq!(h.archive.get_start_position(recording_id).unwrap(), 0);
    let everything: Vec<usize> = (0..5 * PER_SEGMENT + 10).collect();
    assert_eq!(replay_from(&h, recording_id, 0, 3103, everything.len()), everything);

    // Purge: detach and delete in one go.
    assert_eq!(h.archive.purge_segments(recording_id, 2 * SEGMENT).unwrap(), 2);
    assert_eq!(
        segment_files(&dir, recording_id),
        [2 * SEGMENT, 3 * SEGMENT, 4 * SEGMENT, 5 * SEGMENT]
    );
    h.signals.await_signal(&h.archive, DELETE, Some(recording_id));
    assert_eq!(
        h.archive.attach_segments(recording_id).unwrap(),
        0,
        "nothing left to attach"
    );

    // Detach then delete the detached segment.
    h.archive.detach_segments(recording_id, 3 * SEGMENT).unwrap();
    assert_eq!(h.archive.delete_detached_segments(recording_id).unwrap(), 1);
    assert_eq!(
        segment_files(&dir, recording_id),
        [3 * SEGMENT, 4 * SEGMENT, 5 * SEGMENT]
    );
    let rest: Vec<usize> = (3 * PER_SEGMENT..5 * PER_SEGMENT + 10).collect();
    assert_eq!(replay_from(&h, recording_id, 3 * SEGMENT, 3104, rest.len()), rest);
    assert_eq!(
        h.archive.get_stop_position(recording_id).unwrap(),
        stop,
        "the end never moved"
    );

    // Unknown recordings.
    let err = h.archive.detach_segments(999, SEGMENT).unwrap_err();
    assert_eq!(
        err.archive_error_code(),
        Some(ArchiveErrorCode::UnknownRecording),
        "{err:?}"
    );
    let err = h.archive.attach_segments(999).unwrap_err();
    assert_eq!(
        err.archive_error_code(),
        Some(ArchiveErrorCode::UnknownRecording),
        "{err:?}"
    );
}

#[test]
fn migrate_segments_joins_two_contiguous_recordings() {
    let h = harness();
    let dir = h.archiving.archive().archive_dir().to_path_buf();
    let publication = publication(&h.aeron, CHANNEL, 3002);
    // Recording A: two segments exactly; recording B continues the same stream from there.
    let a = record(&h, &publication, 3002, 0..2 * PER_SEGMENT);
    let b = record(&h, &publication, 3002, 2 * PER_SEGMENT..3 * PER_SEGMENT + 5);
    assert_eq!(h.archive.get_start_position(b).unwrap(), 2 * SEGMENT);
    assert_eq!(h.archive.get_stop_position(a).unwrap(), 2 * SEGMENT);

    // Not contiguous (A onto itself); unknown ids.
    let err = h.archive.migrate_segments(a, a).unwrap_err();
    assert!(error_text(&err).contains("not contiguous"), "{err:?}");
    let err = h.archive.migrate_segments(a, 999).unwrap_err();
    assert_eq!(
        err.archive_error_code(),
        Some(ArchiveErrorCode::UnknownRecording),
        "{err:?}"
    );

    assert_eq!(h.archive.migrate_segments(a, b).unwrap(), 2);
    assert_eq!(h.archive.get_start_position(b).unwrap(), 0);
    assert_eq!(segment_files(&dir, b), [0, SEGMENT, 2 * SEGMENT, 3 * SEGMENT]);
    assert!(segment_files(&dir, a).is_empty(), "A gave up its segments");
    let a_start = h.archive.get_start_position(a).unwrap();
    assert_eq!(h.archive.get_stop_position(a).unwrap(), a_start, "A is empty");
    h.signals.await_signal(&h.archive, DELETE, Some(a));

    // B replays the whole stream, A's part first.
    let everything: Vec<usize> = (0..3 * PER_SEGMENT + 5).collect();
    assert_eq!(replay_from(&h, b, 0, 3201, everything.len()), everything);
}

#[test]
fn update_channel_replaces_the_channels_in_the_catalog() {
    let h = harness();
    let publication = publication(&h.aeron, CHANNEL, 3003);
    let recording_id = record(&h, &publication, 3003, 0..3);
    h.archive
        .update_channel(
            recording_id,
            c"aeron:udp?endpoint=localhost:40999|alias=renamed|term-length=64k",
        )
        .unwrap();
    let listed = list_all(&h.archive);
    let (stripped, original) = (&listed[0].8, &listed[0].9);
    assert_eq!(
        original,
        "aeron:udp?endpoint=localhost:40999|alias=renamed|term-length=64k"
    );
    assert_eq!(stripped, "aeron:udp?endpoint=localhost:40999|alias=renamed");
    // Still the same recording, replayable.
    assert_eq!(replay_from(&h, recording_id, 0, 3301, 3), [0, 1, 2]);

    assert!(h.archive.update_channel(recording_id, c"not a channel").is_err());
    assert!(
        h.archive.update_channel(999, c"aeron:ipc").is_err(),
        "unknown recording"
    );
}
