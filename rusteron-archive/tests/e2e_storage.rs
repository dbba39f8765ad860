//! Storage of the embedded Rust archive: segment files and catalog persist across a
//! restart; a recording active at shutdown keeps what it recorded; truncate, purge and
//! extend.

mod e2e_support;

use std::path::Path;

use e2e_support::*;
use rusteron_archive::*;
use rusteron_archive::server::{ArchiveOptions, ArchivingMediaDriver};
use rusteron_media_driver::EmbeddedDriverOptions;

const LOCAL: SourceLocation = SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL;

fn archiving_on(dir: &Path) -> ArchivingMediaDriver {
    let options = ArchiveOptions {
        archive_dir: dir.to_path_buf(),
        control_channel: None,
        // Small segments: a recording spans several files.
        segment_file_length: 128 * 1024,
        ..ArchiveOptions::default()
    };
    ArchivingMediaDriver::launch(&EmbeddedDriverOptions::default(), options).unwrap()
}

fn params(position: i64, length: i64) -> AeronArchiveReplayParams {
    let params = AeronArchiveReplayParams::new().unwrap();
    params.set_position(position);
    params.set_length(length);
    params
}

fn publish(
    h: &Harness,
    channel: &std::ffi::CStr,
    stream_id: i32,
    range: std::ops::Range<usize>,
) -> (AeronPublication, Vec<(Vec<u8>, i64)>) {
    let publication = publication(&h.aeron, channel, stream_id);
    let sent = range.map(|i| {
        let m = message(i, 200 + i % 700);
        let p = offer(&publication, &m);
        (m, p)
    });
    let sent = sent.collect();
    (publication, sent)
}

#[test]
fn recordings_persist_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (recording_id, sent, listed_before) = {
        let h = Harness::on(archiving_on(dir.path()));
        let sub = h.archive.start_recording(c"aeron:ipc", 7001, LOCAL, false).unwrap();
        let (_p, sent) = publish(&h, c"aeron:ipc?term-length=64k", 7001, 0..900);
        let recording_id = h.signals.await_signal(&h.archive, START, None).recording_id;
        let end = sent.last().unwrap().1;
        wait_until("recorded", || {
            h.archive.get_recording_position(recording_id).unwrap() == end
        });
        h.archive.stop_recording_subscription(sub).unwrap();
        h.signals.await_signal(&h.archive, STOP, Some(recording_id));
        (recording_id, sent, list_all(&h.archive))
    };
    let end = sent.last().unwrap().1;
    assert!(end > 3 * 128 * 1024, "spans several segments");
    assert!(dir.path().join("archive.catalog").is_file());
    assert!(dir.path().join(format!("{recording_id}-0.rec")).is_file());
    assert!(dir.path().join(format!("{recording_id}-{}.rec", 128 * 1024)).is_file());

    let h = Harness::on(archiving_on(dir.path()));
    assert_eq!(
        list_all(&h.archive),
        listed_before,
        "same descriptors after the restart"
    );
    assert_eq!(h.archive.get_stop_position(recording_id).unwrap(), end);
    let replay = h
        .archive
        .replay(
            recording_id,
            c"aeron:ipc",
            7101,
            &params(AERON_NULL_POSITION, ARCHIVE_REPLAY_ALL_AND_STOP),
        )
        .unwrap();
    assert_eq!(
        receive(&replay, sent.len()),
        sent,
        "identical bytes and positions after the restart"
    );

    // New recordings get the next id.
    h.archive.start_recording(c"aeron:ipc", 7002, LOCAL, false).unwrap();
    let (_p2, _) = publish(&h, c"aeron:ipc", 7002, 0..1);
    assert_eq!(
        h.signals.await_signal(&h.archive, START, None).recording_id,
        recording_id + 1
    );
}

#[test]
fn a_recording_active_at_shutdown_keeps_what_it_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (recording_id, sent) = {
        let h = Harness::on(archiving_on(dir.path()));
        h.archive.start_recording(c"aeron:ipc", 7003, LOCAL, false).unwrap();
        let (_p, sent) = publish(&h, c"aeron:ipc", 7003, 0..100);
        let recording_id = h.signals.await_signal(&h.archive, START, None).recording_id;
        let end = sent.last().unwrap().1;
        wait_until("recorded", || {
            h.archive.get_recording_position(recording_id).unwrap() == end
        });
        (recording_id, sent)
        // The archive (and driver) stop here with the recording still active.
    };
    let h = Harness::on(archiving_on(dir.path()));
    let end = sent.last().unwrap().1;
    assert_eq!(h.archive.get_stop_position(recording_id).unwrap(), end);
    let replay = h
        .archive
        .replay(
            recording_id,
            c"aeron:ipc",
            7103,
            &params(0, ARCHIVE_REPLAY_ALL_AND_STOP),
        )
        .unwrap();
    assert_eq!(receive(&replay, sent.len()), sent);
}

#[test]
fn truncate_and_purge() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::on(archiving_on(dir.path()));
    let sub = h.archive.start_recording(c"aeron:ipc", 7004, LOCAL, false).unwrap();
    let (_p, sent) = publish(&h, c"aeron:ipc?term-length=64k", 7004, 0..1000);
    let recording_id = h.signals.await_signal(&h.archive, START, None).recording_id;
    let end = sent.last().unwrap().1;
    wait_until("recorded", || {
        h.archive.get_recording_position(recording_id).unwrap() == end
    });

    let err = h.archive.truncate_recording(recording_id, sent[10].1).unwrap_err();
    assert!(
        err.message().unwrap_or("").contains("cannot truncate active recording"),
        "{err:?}"
    );
    h.archive.stop_recording_subscription(sub).unwrap();
    h.signals.await_signal(&h.archive, STOP, Some(recording_id));
    let err = h.archive.truncate_recording(recording_id, end + 32).unwrap_err();
    assert!(err.message().unwrap_or("").contains("invalid position"), "{err:?}");

    // Truncate inside the first segment: later segments are deleted.
    let segments_before = std::fs::read_dir(dir.path()).unwrap().count();
    let cut = sent[99].1;
    assert!(cut < 128 * 1024);
    let deleted = h.archive.truncate_recording(recording_id, cut).unwrap();
    assert!(deleted >= 2, "deleted {deleted} segment files");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count() as i64,
        segments_before as i64 - deleted
    );
    h.signals.await_signal(&h.archive, DELETE, Some(recording_id));
    assert_eq!(h.archive.get_stop_position(recording_id).unwrap(), cut);
    let replay = h
        .archive
        .replay(
            recording_id,
            c"aeron:ipc",
            7104,
            &params(0, ARCHIVE_REPLAY_ALL_AND_STOP),
        )
        .unwrap();
    assert_eq!(receive(&replay, 100), sent[..100].to_vec());

    // Purge: the recording and its files are gone.
    wait_until("replay done", || h.archiving.archive().replay_sessions() == 0);
    h.archive.purge_recording(recording_id).unwrap();
    assert!(list_all(&h.archive).is_empty());
    assert!(!dir.path().join(format!("{recording_id}-0.rec")).exists());
    let err = h.archive.get_stop_position(recording_id).unwrap_err();
    assert!(err.message().unwrap_or("").contains("unknown recording id"), "{err:?}");
}

#[test]
fn extend_a_stopped_recording() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::on(archiving_on(dir.path()));
    let sub = h.archive.start_recording(c"aeron:ipc", 7005, LOCAL, false).unwrap();
    let (first_pub, mut sent) = publish(&h, c"aeron:ipc?term-length=64k", 7005, 0..150);
    let recording_id = h.signals.await_signal(&h.archive, START, None).recording_id;
    let end = sent.last().unwrap().1;
    wait_until("recorded", || {
        h.archive.get_recording_position(recording_id).unwrap() == end
    });
    h.archive.stop_recording_subscription(sub).unwrap();
    h.signals.await_signal(&h.archive, STOP, Some(recording_id));
    let initial_term_id = first_pub.constants().unwrap().initial_term_id();
    drop(first_pub);

    // A new publication continuing the recorded log where it stopped, with its own
    // session id, so the extension cannot pick up the old publication's lingering image.
    let term_length = 64 * 1024i64;
    let channel = format!(
        "aeron:ipc?init-term-id={initial_term_id}|term-id={}|term-offset={}|term-length=65536|session-id=777",
        initial_term_id + (end / term_length) as i32,
        end % term_length
    );
    let c_channel = std::ffi::CString::new(channel).unwrap();
    let extend_sub = h
        .archive
        .extend_recording(recording_id, c"aeron:ipc?session-id=777", 7005, LOCAL, false)
        .unwrap();
    let (_p, more) = publish(&h, &c_channel, 7005, 150..300);
    let extend = h.signals.await_signal(&h.archive, EXTEND, Some(recording_id));
    assert_eq!((extend.position, extend.subscription_id), (end, extend_sub));
    let new_end = more.last().unwrap().1;
    wait_until("extended", || {
        h.archive.get_recording_position(recording_id).unwrap() == new_end
    });
    h.archive.stop_recording_subscription(extend_sub).unwrap();
    sent.extend(more);
    let replay = h
        .archive
        .replay(
            recording_id,
            c"aeron:ipc",
            7105,
            &params(0, ARCHIVE_REPLAY_ALL_AND_STOP),
        )
        .unwrap();
    assert_eq!(
        receive(&replay, sent.len()),
        sent,
        "original and extension replay as one stream"
    );
    assert_eq!(list_all(&h.archive).len(), 1);
}
