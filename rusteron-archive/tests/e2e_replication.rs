//! Replication between two embedded Rust archives, each on its own media driver, through
//! the unchanged C archive client: the destination archive (B) connects to the source
//! archive (A) over UDP as a client, lists the source recording, creates its own copy,
//! has A replay the recording to it over UDP and records the replay.
//!
//! What users rely on: the copy is listed on B with the source's positions, term shape,
//! session, stream and channels; replaying it from B gives the bytes published to A at the
//! same positions; the signals say what happened (`REPLICATE`, `EXTEND`, `SYNC`, `STOP`,
//! `REPLICATE_END`); a replication of a live recording follows it until stopped; failures
//! come back as errors with the archive's codes.

mod e2e_support;

use std::ffi::CString;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2e_support::*;
use rusteron_archive::*;
use rusteron_archive::server::{ArchiveOptions, ArchivingMediaDriver};
use rusteron_media_driver::EmbeddedDriverOptions;

const LOCAL: SourceLocation = SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL;
const REPLICATE: i32 = 3;
const SYNC: i32 = 5;
const REPLICATE_END: i32 = 7;

/// The source archive: control requests over UDP on `port` (and IPC), 128 KiB segments.
fn source_archive(dir: &Path, port: u16) -> ArchivingMediaDriver {
    let options = ArchiveOptions {
        archive_dir: dir.to_path_buf(),
        control_channel: Some(format!("aeron:udp?endpoint=localhost:{port}")),
        segment_file_length: 128 * 1024,
        ..ArchiveOptions::default()
    };
    ArchivingMediaDriver::launch(&EmbeddedDriverOptions::default(), options).unwrap()
}

/// The destination archive: IPC control only, 1 MiB segments, 1 s connect timeout.
fn destination_archive(dir: &Path) -> ArchivingMediaDriver {
    let options = ArchiveOptions {
        archive_dir: dir.to_path_buf(),
        control_channel: None,
        segment_file_length: 1024 * 1024,
        connect_timeout: Duration::from_secs(1),
        ..ArchiveOptions::default()
    };
    ArchivingMediaDriver::launch(&EmbeddedDriverOptions::default(), options).unwrap()
}

/// Error responses the archive client passed to its error handler: (code, message).
#[derive(Clone, Default)]
struct Errors(Arc<Mutex<Vec<(i32, String)>>>);

/// A harness whose archive context has an error handler (asynchronous error responses of
/// a replication then reach it instead of failing the next poll).
fn harness_with_errors(archiving: ArchivingMediaDriver) -> (Harness, Errors) {
    let aeron = client(&archiving);
    let signals = Signals::default();
    let errors = Errors::default();
    let ctx = context(&aeron, Some(&signals)).unwrap();
    let sink = errors.clone();
    let handler = Handlers::leak(move |code: i32, message: &str| {
        sink.0.lock().unwrap().push((code, message.to_owned()));
    });
    ctx.set_error_handler(Some(&handler)).unwrap();
    let archive = AeronArchive::connect(&ctx).unwrap();
    let h = Harness {
        archive,
        signals,
        aeron,
        archiving,
    };
    (h, errors)
}

/// Starts recording `stream_id` on A and publishes `range` (sizes up to fragmented ones)
/// through a 64 KiB-term publication; returns subscription id, recording id, publication
/// and the messages with the position after each.
fn record_on_source(
    a: &Harness,
    stream_id: i32,
    range: std::ops::Range<usize>,
) -> (i64, i64, AeronPublication, Vec<(Vec<u8>, i64)>) {
    let subscription_id = a
        .archive
        .start_recording(c"aeron:ipc", stream_id, LOCAL, false)
        .unwrap();
    let publication = publication(&a.aeron, c"aeron:ipc?term-length=64k|alias=src", stream_id);
    let sent = publish(&publication, range);
    let session_id = publication.constants().unwrap().session_id();
    let counter_id = recording_pos_counter(&a.aeron, session_id, a.archiving.archive().archive_id());
    let counters = a.aeron.counters_reader().unwrap();
    let recording_id = AeronArchive::recording_pos_get_recording_id(&counters, counter_id);
    let end = sent.last().unwrap().1;
    wait_until("recorded on the source", || {
        a.archive.get_recording_position(recording_id).unwrap() == end
    });
    (subscription_id, recording_id, publication, sent)
}

fn publish(publication: &AeronPublication, range: std::ops::Range<usize>) -> Vec<(Vec<u8>, i64)> {
    range
        .map(|i| {
            let m = message(i, if i % 40 == 3 { 3000 } else { 100 + (i * 37) % 900 });
            let p = offer(publication, &m);
            (m, p)
        })
        .collect()
}

fn replay_all(h: &Harness, recording_id: i64, stream_id: i32) -> AeronSubscription {
    let params = AeronArchiveReplayParams::new().unwrap();
    params.set_position(0);
    params.set_length(ARCHIVE_REPLAY_ALL_AND_STOP);
    h.archive
        .replay(recording_id, c"aeron:ipc", stream_id, &params)
        .unwrap()
}

/// Codes of the signals received so far for `recording_id`.
fn signal_codes(h: &Harness, recording_id: i64) -> Vec<i32> {
    h.signals
        .all()
        .iter()
        .filter(|s| s.recording_id == recording_id)
        .map(|s| s.code)
        .collect()
}

#[test]
fn replicates_a_stopped_recording_with_identical_descriptor_positions_and_bytes() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = free_port();
    let a = Harness::on(source_archive(dir_a.path(), port));
    let b = Harness::on(destination_archive(dir_b.path()));
    // Several 128 KiB segments on A, fragmented messages among them.
    let (subscription_id, src_id, _p, sent) = record_on_source(&a, 11_001, 0..700);
    a.archive.stop_recording_subscription(subscription_id).unwrap();
    a.signals.await_signal(&a.archive, STOP, Some(src_id));
    let end = sent.last().unwrap().1;
    assert!(end > 2 * 128 * 1024, "spans segments: {end}");

    let src_control = CString::new(format!("aeron:udp?endpoint=localhost:{port}")).unwrap();
    let params = AeronArchiveReplicationParams::new().unwrap();
    let replication_id = b.archive.replicate(src_id, &src_control, 10, &params).unwrap();
    assert!(replication_id > 0);

    let replicate = b.signals.await_signal(&b.archive, REPLICATE, None);
    let dst_id = replicate.recording_id;
    assert_eq!((replicate.position, replicate.subscription_id), (0, -1));
    let extend = b.signals.await_signal(&b.archive, EXTEND, Some(dst_id));
    assert_eq!(extend.position, 0);
    assert_eq!(b.signals.await_signal(&b.archive, SYNC, Some(dst_id)).position, end);
    let stop = b.signals.await_signal(&b.archive, STOP, Some(dst_id));
    assert_eq!((stop.position, stop.subscription_id), (end, extend.subscription_id));
    let replicate_end = b.signals.await_signal(&b.archive, REPLICATE_END, Some(dst_id));
    assert_eq!(replicate_end.position, -1);
    assert_eq!(
        signal_codes(&b, dst_id),
        vec![REPLICATE, EXTEND, SYNC, STOP, REPLICATE_END],
        "{:?}",
        b.signals.all()
    );

    // B lists the copy as A lists the original (both are recording 0 of a fresh archive).
    let listed_a = list_all(&a.archive);
    let listed_b = list_all(&b.archive);
    assert_eq!(listed_b.len(), 1);
    assert_eq!(
        listed_b, listed_a,
        "same id, positions, term shape, session, stream, channels"
    );
    assert_eq!(b.archive.get_stop_position(dst_id).unwrap(), end);
    let mut segment_lengths = Vec::new();
    b.archive
        .list_recording_once(dst_id, |d| segment_lengths.push(d.segment_file_length()))
        .unwrap();
    assert_eq!(segment_lengths, vec![128 * 1024], "the source's segment length");
    assert!(dir_b.path().join(format!("{dst_id}-{}.rec", 128 * 1024)).is_file());

    // Replaying from B gives what was published to A.
    let replay = replay_all(&b, dst_id, 12_001);
    assert_eq!(receive(&replay, sent.len()), sent);

    // The source's replay and the replication's control session on A are gone.
    wait_until("the source replay to end", || {
        a.archiving.archive().replay_sessions() == 0
    });
    wait_until("the replication session on A to close", || {
        a.archiving.archive().control_sessions() == 1
    });
    assert_eq!(b.archiving.archive().recording_sessions(), 0);

    // Replicating again into the copy: already in sync, nothing is copied.
    let params = AeronArchiveReplicationParams::new().unwrap();
    params.set_dst_recording_id(dst_id);
    b.archive.replicate(src_id, &src_control, 10, &params).unwrap();
    wait_until("a second SYNC and REPLICATE_END", || {
        b.archive.poll_for_recording_signals().unwrap();
        signal_codes(&b, dst_id).len() == 7
    });
    assert_eq!(signal_codes(&b, dst_id)[5..], [SYNC, REPLICATE_END]);
    assert_eq!(list_all(&b.archive), listed_a);
}

#[test]
fn a_replication_follows_a_live_recording_until_stopped() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = free_port();
    let a = Harness::on(source_archive(dir_a.path(), port));
    let b = Harness::on(destination_archive(dir_b.path()));
    let (_subscription_id, src_id, publication, mut sent) = record_on_source(&a, 11_002, 0..100);

    let src_control = CString::new(format!("aeron:udp?endpoint=localhost:{port}")).unwrap();
    let params = AeronArchiveReplicationParams::new().unwrap();
    let replication_id = b.archive.replicate(src_id, &src_control, 10, &params).unwrap();
    let dst_id = b.signals.await_signal(&b.archive, EXTEND, None).recording_id;
    let end = sent.last().unwrap().1;
    wait_until("the copy to catch up", || {
        b.archive.get_recording_position(dst_id).unwrap() == end
    });

    // A keeps recording; the replication follows.
    sent.extend(publish(&publication, 100..250));
    let end = sent.last().unwrap().1;
    wait_until("the copy to follow", || {
        b.archive.get_recording_position(dst_id).unwrap() == end
    });
    assert!(
        !signal_codes(&b, dst_id).contains(&SYNC),
        "a live source is never in sync"
    );

    b.archive.stop_replication(replication_id).unwrap();
    assert_eq!(b.signals.await_signal(&b.archive, STOP, Some(dst_id)).position, end);
    b.signals.await_signal(&b.archive, REPLICATE_END, Some(dst_id));
    assert_eq!(b.archive.get_stop_position(dst_id).unwrap(), end);
    wait_until("the source replay to stop", || {
        a.archiving.archive().replay_sessions() == 0
    });
    assert_eq!(a.archiving.archive().recording_sessions(), 1, "A still records");

    let err = b.archive.stop_replication(replication_id).unwrap_err();
    assert_eq!(
        err.archive_error_code(),
        Some(ArchiveErrorCode::UnknownReplication),
        "{err:?}"
    );
    assert!(!b.archive.try_stop_replication(replication_id).unwrap());

    let replay = replay_all(&b, dst_id, 12_002);
    assert_eq!(receive(&replay, sent.len()), sent);
}

#[test]
fn replication_failures_are_reported_with_archive_error_codes() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = free_port();
    let a = Harness::on(source_archive(dir_a.path(), port));
    let (b, errors) = harness_with_errors(destination_archive(dir_b.path()));
    let src_control = CString::new(format!("aeron:udp?endpoint=localhost:{port}")).unwrap();

    // Refused at once.
    let params = AeronArchiveReplicationParams::new().unwrap();
    params.set_dst_recording_id(42);
    let err = b.archive.replicate(0, &src_control, 10, &params).unwrap_err();
    assert_eq!(
        err.archive_error_code(),
        Some(ArchiveErrorCode::UnknownRecording),
        "{err:?}"
    );
    assert!(
        err.message()
            .unwrap_or("")
            .contains("unknown destination recording id 42"),
        "{err:?}"
    );
    let params = AeronArchiveReplicationParams::new().unwrap();
    params
        .set_replication_channel(c"aeron:udp?control-mode=response|control=localhost:10998")
        .unwrap();
    let err = b.archive.replicate(0, &src_control, 10, &params).unwrap_err();
    assert_eq!(err.archive_error_code(), Some(ArchiveErrorCode::Generic), "{err:?}");
    assert!(err.message().unwrap_or("").contains("response channel"), "{err:?}");

    // Accepted, then failed: the source has no such recording.
    let params = AeronArchiveReplicationParams::new().unwrap();
    let replication_id = b.archive.replicate(999, &src_control, 10, &params).unwrap();
    wait_until("the unknown recording error", || {
        b.archive.poll_for_recording_signals().unwrap();
        !errors.0.lock().unwrap().is_empty()
    });
    let (code, message) = errors.0.lock().unwrap()[0].clone();
    assert_eq!(
        ArchiveErrorCode::from_client_code(code),
        Some(ArchiveErrorCode::UnknownRecording)
    );
    assert!(
        message.contains(&format!("correlationId={replication_id}")),
        "{message}"
    );
    assert!(message.contains("unknown src recording id 999"), "{message}");
    let end = b.signals.await_signal(&b.archive, REPLICATE_END, Some(-1));
    assert_eq!(end.position, -1);
    assert!(list_all(&b.archive).is_empty(), "nothing created on B");
    wait_until("the session on A to close", || {
        a.archiving.archive().control_sessions() == 1
    });

    // No archive at the source address: a connection failure after B's connect timeout.
    let nowhere = CString::new(format!("aeron:udp?endpoint=localhost:{}", free_port())).unwrap();
    b.archive.replicate(0, &nowhere, 10, &params).unwrap();
    wait_until("the connection failure", || {
        b.archive.poll_for_recording_signals().unwrap();
        errors.0.lock().unwrap().len() == 2
    });
    let (code, message) = errors.0.lock().unwrap()[1].clone();
    assert_eq!(
        ArchiveErrorCode::from_client_code(code),
        Some(ArchiveErrorCode::ReplicationConnectionFailure),
        "{message}"
    );
    assert!(message.contains("Replication connection failed"), "{message}");
}

#[test]
fn a_copy_stopped_part_way_is_completed_by_replicating_into_it() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = free_port();
    let a = Harness::on(source_archive(dir_a.path(), port));
    let b = Harness::on(destination_archive(dir_b.path()));
    let (subscription_id, src_id, _p, sent) = record_on_source(&a, 11_004, 0..300);
    a.archive.stop_recording_subscription(subscription_id).unwrap();
    a.signals.await_signal(&a.archive, STOP, Some(src_id));
    let (middle, end) = (sent[149].1, sent[299].1);
    let src_control = CString::new(format!("aeron:udp?endpoint=localhost:{port}")).unwrap();

    // Up to a stop position: the copy ends there, not in sync.
    let params = AeronArchiveReplicationParams::new().unwrap();
    params.set_stop_position(middle);
    b.archive.replicate(src_id, &src_control, 10, &params).unwrap();
    let dst_id = b.signals.await_signal(&b.archive, REPLICATE, None).recording_id;
    assert_eq!(b.signals.await_signal(&b.archive, STOP, Some(dst_id)).position, middle);
    b.signals.await_signal(&b.archive, REPLICATE_END, Some(dst_id));
    assert_eq!(signal_codes(&b, dst_id), vec![REPLICATE, EXTEND, STOP, REPLICATE_END]);
    assert_eq!(b.archive.get_stop_position(dst_id).unwrap(), middle);
    let replay = replay_all(&b, dst_id, 12_004);
    assert_eq!(receive(&replay, 150), sent[..150].to_vec());

    // Into the same recording: it continues from where it stopped, to the source's end.
    let params = AeronArchiveReplicationParams::new().unwrap();
    params.set_dst_recording_id(dst_id);
    b.archive.replicate(src_id, &src_control, 10, &params).unwrap();
    wait_until("the rest of the copy", || {
        b.archive.poll_for_recording_signals().unwrap();
        signal_codes(&b, dst_id).len() == 8
    });
    let second: Vec<(i32, i64)> = b.signals.all()[4..].iter().map(|s| (s.code, s.position)).collect();
    assert_eq!(
        second,
        vec![(EXTEND, middle), (SYNC, end), (STOP, end), (REPLICATE_END, -1)]
    );
    assert_eq!(list_all(&b.archive), list_all(&a.archive));
    let replay = replay_all(&b, dst_id, 12_005);
    assert_eq!(receive(&replay, sent.len()), sent, "one recording, both parts");
}

#[test]
fn a_one_message_recording_replicates_in_sync() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = free_port();
    let a = Harness::on(source_archive(dir_a.path(), port));
    let b = Harness::on(destination_archive(dir_b.path()));
    let (subscription_id, src_id, _p, sent) = record_on_source(&a, 11_005, 0..1);
    a.archive.stop_recording_subscription(subscription_id).unwrap();
    a.signals.await_signal(&a.archive, STOP, Some(src_id));

    let src_control = CString::new(format!("aeron:udp?endpoint=localhost:{port}")).unwrap();
    let params = AeronArchiveReplicationParams::new().unwrap();
    b.archive.replicate(src_id, &src_control, 10, &params).unwrap();
    let dst_id = b.signals.await_signal(&b.archive, REPLICATE_END, None).recording_id;
    assert_eq!(
        signal_codes(&b, dst_id),
        vec![REPLICATE, EXTEND, SYNC, STOP, REPLICATE_END]
    );
    assert_eq!(list_all(&b.archive), list_all(&a.archive));
    let replay = replay_all(&b, dst_id, 12_006);
    assert_eq!(receive(&replay, 1), sent);
}

#[test]
fn replication_connects_to_an_authenticating_source_with_the_given_credentials() {
    use rusteron_archive::server::{AuthDecision, AuthenticatorSupplier, SimpleAuthenticator};

    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = free_port();
    let options = ArchiveOptions {
        archive_dir: dir_a.path().to_path_buf(),
        control_channel: Some(format!("aeron:udp?endpoint=localhost:{port}")),
        segment_file_length: 128 * 1024,
        authenticator: AuthenticatorSupplier::new(|| {
            SimpleAuthenticator::new(
                |_, credentials| match credentials {
                    b"client" | b"replicator" => AuthDecision::Authenticate(credentials.to_vec()),
                    b"challenge-me" => AuthDecision::Challenge(b"prove it".to_vec()),
                    _ => AuthDecision::Reject,
                },
                |_, _| AuthDecision::Reject,
            )
        }),
        ..ArchiveOptions::default()
    };
    let source = ArchivingMediaDriver::launch(&EmbeddedDriverOptions::default(), options).unwrap();
    let aeron = client(&source);
    let signals = Signals::default();
    let ctx = context(&aeron, Some(&signals)).unwrap();
    let mut credentials = Handlers::leak(StaticCredentials::new("client"));
    ctx.set_credentials_supplier(Some(&credentials)).unwrap();
    credentials.release();
    let a = Harness {
        archive: AeronArchive::connect(&ctx).expect("the client's credentials are accepted"),
        signals,
        aeron,
        archiving: source,
    };
    let (b, errors) = harness_with_errors(destination_archive(dir_b.path()));
    let (subscription_id, src_id, _p, sent) = record_on_source(&a, 11_004, 0..50);
    a.archive.stop_recording_subscription(subscription_id).unwrap();
    a.signals.await_signal(&a.archive, STOP, Some(src_id));
    let src_control = CString::new(format!("aeron:udp?endpoint=localhost:{port}")).unwrap();

    // Without credentials, and with credentials the source challenges: connection failures.
    for (credentials, reason) in [
        (&b""[..], "authentication rejected"),
        (
            &b"challenge-me"[..],
            "challenge/response authentication is not supported",
        ),
    ] {
        let params = AeronArchiveReplicationParams::new().unwrap();
        params.set_encoded_credentials(credentials).unwrap();
        b.archive.replicate(src_id, &src_control, 10, &params).unwrap();
        let seen = errors.0.lock().unwrap().len();
        wait_until("the connection failure", || {
            b.archive.poll_for_recording_signals().unwrap();
            errors.0.lock().unwrap().len() > seen
        });
        let (code, message) = errors.0.lock().unwrap()[seen].clone();
        assert_eq!(
            ArchiveErrorCode::from_client_code(code),
            Some(ArchiveErrorCode::ReplicationConnectionFailure),
            "{message}"
        );
        assert!(message.contains(reason), "{message}");
    }
    assert!(list_all(&b.archive).is_empty(), "nothing copied without access");

    // With the replicator's credentials the copy is made.
    let params = AeronArchiveReplicationParams::new().unwrap();
    params.set_encoded_credentials(b"replicator").unwrap();
    b.archive.replicate(src_id, &src_control, 10, &params).unwrap();
    let dst_id = b.signals.await_signal(&b.archive, REPLICATE, None).recording_id;
    b.signals.await_signal(&b.archive, REPLICATE_END, Some(dst_id));
    let replay = replay_all(&b, dst_id, 12_004);
    assert_eq!(receive(&replay, sent.len()), sent);
}

#[test]
fn tagged_replication_records_through_a_multi_destination_subscription() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = free_port();
    let a = Harness::on(source_archive(dir_a.path(), port));
    let b = Harness::on(destination_archive(dir_b.path()));
    let (subscription_id, src_id, _p, sent) = record_on_source(&a, 11_005, 0..120);
    a.archive.stop_recording_subscription(subscription_id).unwrap();
    a.signals.await_signal(&a.archive, STOP, Some(src_id));

    let src_control = CString::new(format!("aeron:udp?endpoint=localhost:{port}")).unwrap();
    let params = AeronArchiveReplicationParams::new().unwrap();
    params.set_channel_tag_id(71);
    params.set_subscription_tag_id(72);
    b.archive.replicate(src_id, &src_control, 10, &params).unwrap();
    let dst_id = b.signals.await_signal(&b.archive, REPLICATE, None).recording_id;
    let extend = b.signals.await_signal(&b.archive, EXTEND, Some(dst_id));
    b.signals.await_signal(&b.archive, SYNC, Some(dst_id));
    b.signals.await_signal(&b.archive, REPLICATE_END, Some(dst_id));

    // While it ran, the recording subscription was the tagged manual MDS one.
    assert!(extend.subscription_id > 0);
    assert_eq!(list_all(&b.archive), list_all(&a.archive));
    let replay = replay_all(&b, dst_id, 12_005);
    assert_eq!(receive(&replay, sent.len()), sent);
}

#[test]
fn a_replication_with_a_live_destination_merges_into_the_live_stream() {
    const MERGE: i32 = 4;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = free_port();
    let a = Harness::on(source_archive(dir_a.path(), port));
    let b = Harness::on(destination_archive(dir_b.path()));

    // A live multi-destination-cast stream from A's host: A records it through a spy (the
    // publication counts the spy as connected), B will join it as a live destination.
    let control_port = free_port();
    let live_channel =
        format!("aeron:udp?control=localhost:{control_port}|control-mode=dynamic|fc=max|ssc=true|term-length=64k");
    let live_channel = CString::new(live_channel).unwrap();
    a.archive.start_recording(&live_channel, 11_006, LOCAL, false).unwrap();
    let publication = publication(&a.aeron, &live_channel, 11_006);
    let mut sent = publish(&publication, 0..200);
    let src_id = a.signals.await_signal(&a.archive, START, None).recording_id;
    let end = sent.last().unwrap().1;
    wait_until("recorded on the source", || {
        a.archive.get_recording_position(src_id).unwrap() == end
    });

    // B replicates with a live destination on the same stream.
    let live_destination = format!(
        "aeron:udp?endpoint=localhost:{}|control=localhost:{control_port}",
        free_port()
    );
    let params = AeronArchiveReplicationParams::new().unwrap();
    params
        .set_live_destination(&CString::new(live_destination).unwrap())
        .unwrap();
    let src_control = CString::new(format!("aeron:udp?endpoint=localhost:{port}")).unwrap();
    b.archive.replicate(src_id, &src_control, 10, &params).unwrap();

    // Publishing goes on while B catches up, joins the live stream and drops the replay.
    let deadline = std::time::Instant::now() + TIMEOUT;
    let mut next = 200;
    let dst_id = loop {
        sent.extend(publish(&publication, next..next + 5));
        next += 5;
        b.archive.poll_for_recording_signals().unwrap();
        if let Some(merge) = b.signals.all().iter().find(|s| s.code == MERGE) {
            break merge.recording_id;
        }
        assert!(std::time::Instant::now() < deadline, "no MERGE: {:?}", b.signals.all());
        std::thread::sleep(Duration::from_millis(2));
    };
    b.signals.await_signal(&b.archive, REPLICATE_END, Some(dst_id));

    // After the merge B keeps recording the live stream itself.
    sent.extend(publish(&publication, next..next + 100));
    let end = sent.last().unwrap().1;
    wait_until("B to record the live stream", || {
        b.archive.get_recording_position(dst_id).unwrap() == end
    });
    wait_until("the source replay to stop", || {
        a.archiving.archive().replay_sessions() == 0
    });
    let params = AeronArchiveReplayParams::new().unwrap();
    params.set_position(0);
    params.set_length(end);
    let replay = b.archive.replay(dst_id, c"aeron:ipc", 12_006, &params).unwrap();
    assert_eq!(receive(&replay, sent.len()), sent, "every message once, in order");
}

#[test]
fn a_live_merge_needs_an_active_source_recording() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = free_port();
    let a = Harness::on(source_archive(dir_a.path(), port));
    let (b, errors) = harness_with_errors(destination_archive(dir_b.path()));
    let (subscription_id, src_id, _p, _sent) = record_on_source(&a, 11_007, 0..10);
    a.archive.stop_recording_subscription(subscription_id).unwrap();
    a.signals.await_signal(&a.archive, STOP, Some(src_id));

    let params = AeronArchiveReplicationParams::new().unwrap();
    params
        .set_live_destination(c"aeron:udp?endpoint=localhost:10997|control=localhost:10996")
        .unwrap();
    let src_control = CString::new(format!("aeron:udp?endpoint=localhost:{port}")).unwrap();
    b.archive.replicate(src_id, &src_control, 10, &params).unwrap();
    wait_until("the error", || {
        b.archive.poll_for_recording_signals().unwrap();
        !errors.0.lock().unwrap().is_empty()
    });
    let (_, message) = errors.0.lock().unwrap()[0].clone();
    assert!(
        message.contains("cannot live merge without active source recording"),
        "{message}"
    );
    b.signals.await_signal(&b.archive, REPLICATE_END, None);
}
