//! Recording against the embedded Rust archive: start/stop (by subscription, by channel
//! and stream, by identity, auto-stop), START/STOP signals, the RecordingPos counter,
//! positions, descriptors and listing.

mod e2e_support;

use e2e_support::*;
use rusteron_archive::*;

const LOCAL: SourceLocation = SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL;

#[test]
fn records_a_publication_with_exact_positions_and_descriptor() {
    let h = Harness::start();
    let archive_id = h.archiving.archive().archive_id();
    let stream_id = 1001;
    let subscription_id = h
        .archive
        .start_recording(c"aeron:ipc?alias=rec", stream_id, LOCAL, false)
        .unwrap();
    assert!(subscription_id >= 0);

    let publication = publication(&h.aeron, c"aeron:ipc?term-length=64k", stream_id);
    wait_until("the archive to subscribe", || publication.is_connected());
    let constants = publication.constants().unwrap();
    let session_id = constants.session_id();
    let start = h.signals.await_signal(&h.archive, START, None);
    assert_eq!(start.subscription_id, subscription_id);
    assert_eq!(start.position, 0);
    let recording_id = start.recording_id;

    // The counter the C client's helpers find, keyed as Aeron's archive keys it.
    let counters = h.aeron.counters_reader().unwrap();
    let counter_id = recording_pos_counter(&h.aeron, session_id, archive_id);
    assert_eq!(
        AeronArchive::recording_pos_find_counter_id_by_recording_id(&counters, recording_id, archive_id),
        counter_id
    );
    assert_eq!(
        AeronArchive::recording_pos_get_recording_id(&counters, counter_id),
        recording_id
    );
    assert!(AeronArchive::recording_pos_is_active(&counters, counter_id, recording_id).unwrap());
    let label = counters.counter_label(counter_id).unwrap();
    assert_eq!(
        label,
        format!("rec-pos: {recording_id} {session_id} {stream_id} aeron:ipc?alias=rec - archiveId={archive_id}")
    );

    let mut position = 0;
    for i in 0..200 {
        position = offer(&publication, &message(i, 100 + i % 300));
    }
    wait_until("the recording to catch up", || {
        counters.counter_value(counter_id).unwrap() == position
    });
    assert_eq!(h.archive.get_recording_position(recording_id).unwrap(), position);
    assert_eq!(h.archive.get_max_recorded_position(recording_id).unwrap(), position);
    assert_eq!(
        h.archive.get_stop_position(recording_id).unwrap(),
        AERON_NULL_POSITION,
        "active recording"
    );
    assert_eq!(h.archive.get_start_position(recording_id).unwrap(), 0);

    h.archive.stop_recording_subscription(subscription_id).unwrap();
    let stop = h.signals.await_signal(&h.archive, STOP, Some(recording_id));
    assert_eq!(stop.position, position);
    assert_eq!(stop.subscription_id, subscription_id);
    assert_eq!(h.archive.get_stop_position(recording_id).unwrap(), position);
    assert_eq!(h.archive.get_max_recorded_position(recording_id).unwrap(), position);
    assert_eq!(
        h.archive.get_recording_position(recording_id).unwrap(),
        AERON_NULL_POSITION
    );
    wait_until("the counter to be freed", || {
        !AeronArchive::recording_pos_is_active(&counters, counter_id, recording_id).unwrap()
    });

    let listed = list_all(&h.archive);
    assert_eq!(listed.len(), 1);
    let (id, start_pos, stop_pos, initial_term_id, term_length, mtu, sid, stream, stripped, original) =
        listed[0].clone();
    assert_eq!((id, start_pos, stop_pos), (recording_id, 0, position));
    assert_eq!(initial_term_id, constants.initial_term_id());
    assert_eq!(term_length as usize, constants.term_buffer_length());
    assert_eq!(mtu as usize, constants.max_payload_length() + 32);
    assert_eq!((sid, stream), (session_id, stream_id));
    assert_eq!(stripped, "aeron:ipc?alias=rec");
    assert_eq!(original, "aeron:ipc?alias=rec");

    // One recording by id, and an unknown id.
    let mut one = Vec::new();
    assert_eq!(
        h.archive
            .list_recording_once(recording_id, |d| one.push(d.stop_position()))
            .unwrap(),
        1
    );
    assert_eq!(one, vec![position]);
    assert_eq!(
        h.archive
            .list_recording_once(recording_id + 1, |_| panic!("no such recording"))
            .unwrap(),
        0
    );
    assert_eq!(
        h.archive
            .find_last_matching_recording(0, c"alias=rec", stream_id, session_id)
            .unwrap(),
        recording_id
    );
    assert_eq!(
        h.archive
            .find_last_matching_recording(0, c"alias=other", stream_id, session_id)
            .unwrap(),
        -1
    );
}

#[test]
fn stop_by_channel_and_stream_by_identity_and_duplicates() {
    let h = Harness::start();
    let sub_a = h.archive.start_recording(c"aeron:ipc", 2001, LOCAL, false).unwrap();
    // The same channel and stream again: ACTIVE_SUBSCRIPTION (3).
    let err = h
        .archive
        .start_recording(c"aeron:ipc?term-length=64k", 2001, LOCAL, false)
        .unwrap_err();
    assert!(
        err.message()
            .unwrap_or("")
            .contains("recording exists for streamId=2001"),
        "{err:?}"
    );
    let sub_b = h.archive.start_recording(c"aeron:ipc", 2002, LOCAL, false).unwrap();
    assert_ne!(sub_a, sub_b);

    let mut subscriptions = Vec::new();
    let n = h
        .archive
        .list_recording_subscriptions_once(0, 10, c"", 0, false, |d| {
            subscriptions.push((d.subscription_id(), d.stream_id()))
        })
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(subscriptions, vec![(sub_a, 2001), (sub_b, 2002)]);
    let mut only_b = Vec::new();
    h.archive
        .list_recording_subscriptions_once(0, 10, c"ipc", 2002, true, |d| only_b.push(d.subscription_id()))
        .unwrap();
    assert_eq!(only_b, vec![sub_b]);

    let pa = publication(&h.aeron, c"aeron:ipc", 2001);
    let pb = publication(&h.aeron, c"aeron:ipc", 2002);
    let end_a = offer(&pa, b"to a");
    let end_b = offer(&pb, b"to b");
    let rec_a = h.signals.await_signal(&h.archive, START, None).recording_id;
    wait_until("two recordings", || h.archiving.archive().recording_sessions() == 2);
    let rec_b = list_all(&h.archive)
        .iter()
        .map(|d| d.0)
        .find(|&id| id != rec_a)
        .unwrap();
    wait_until("recordings to catch up", || {
        h.archive.get_recording_position(rec_a).unwrap() == end_a
            && h.archive.get_recording_position(rec_b).unwrap() == end_b
    });

    h.archive.stop_recording_channel_and_stream(c"aeron:ipc", 2001).unwrap();
    assert_eq!(h.signals.await_signal(&h.archive, STOP, Some(rec_a)).position, end_a);
    assert!(!h
        .archive
        .try_stop_recording_channel_and_stream(c"aeron:ipc", 2001)
        .unwrap());

    assert!(h.archive.try_stop_recording_by_identity(rec_b).unwrap());
    assert_eq!(h.signals.await_signal(&h.archive, STOP, Some(rec_b)).position, end_b);
    assert!(!h.archive.try_stop_recording_by_identity(rec_b).unwrap());
    wait_until("no recording", || h.archiving.archive().recording_sessions() == 0);
    let n = h
        .archive
        .list_recording_subscriptions_once(0, 10, c"", 0, false, |_| {})
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn auto_stop_ends_with_the_publication_and_recorded_publication_helpers() {
    let h = Harness::start();
    let sub = h.archive.start_recording(c"aeron:ipc", 3001, LOCAL, true).unwrap();
    let publication = publication(&h.aeron, c"aeron:ipc", 3001);
    let mut position = 0;
    for i in 0..10 {
        position = offer(&publication, &message(i, 64));
    }
    let recording_id = h.signals.await_signal(&h.archive, START, None).recording_id;
    publication.close().unwrap();
    drop(publication);
    let stop = h.signals.await_signal(&h.archive, STOP, Some(recording_id));
    assert_eq!((stop.position, stop.subscription_id), (position, sub));
    // The auto-stopped subscription is gone.
    wait_until("subscription removed", || {
        h.archive
            .list_recording_subscriptions_once(0, 10, c"", 0, false, |_| {})
            .unwrap()
            == 0
    });

    // add_recorded_publication records exactly that publication's session.
    let recorded = h
        .archive
        .add_recorded_publication(c"aeron:ipc?alias=helper", 3002)
        .unwrap();
    let end = offer(&recorded, b"hello archive");
    let signal = h.signals.await_signal(&h.archive, START, Some(recording_id + 1));
    wait_until("recorded", || {
        h.archive.get_recording_position(signal.recording_id).unwrap() == end
    });
    h.archive.stop_recording_publication(&recorded).unwrap();
    assert_eq!(
        h.signals
            .await_signal(&h.archive, STOP, Some(signal.recording_id))
            .position,
        end
    );
    let listed = list_all(&h.archive);
    let d = listed.iter().find(|d| d.0 == signal.recording_id).unwrap();
    assert_eq!(d.6, recorded.constants().unwrap().session_id());
    assert!(d.8.contains("session-id="), "stripped channel {}", d.8);

    // Listing by URI filters on stream and channel fragment.
    let mut by_uri = Vec::new();
    h.archive
        .list_recordings_for_uri_once(0, 10, c"alias=helper", 3002, |d| by_uri.push(d.recording_id()))
        .unwrap();
    assert_eq!(by_uri, vec![signal.recording_id]);
    let none = h
        .archive
        .list_recordings_for_uri_once(0, 10, c"alias=helper", 3001, |_| {})
        .unwrap();
    assert_eq!(none, 0);
    // From an id, with a count.
    let mut from_second = Vec::new();
    h.archive
        .list_recordings_once(recording_id + 1, 5, |d| from_second.push(d.recording_id()))
        .unwrap();
    assert_eq!(from_second, vec![recording_id + 1]);
}

#[test]
fn udp_recording_of_a_remote_source() {
    let h = Harness::start();
    let port = free_port();
    let channel = std::ffi::CString::new(format!("aeron:udp?endpoint=localhost:{port}")).unwrap();
    let sub = h
        .archive
        .start_recording(
            &channel,
            4001,
            SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_REMOTE,
            false,
        )
        .unwrap();
    let publication = publication(&h.aeron, &channel, 4001);
    wait_until("connected", || publication.is_connected());
    let mut position = 0;
    for i in 0..50 {
        position = offer(&publication, &message(i, 1000));
    }
    let recording_id = h.signals.await_signal(&h.archive, START, None).recording_id;
    wait_until("recorded", || {
        h.archive.get_recording_position(recording_id).unwrap() == position
    });
    h.archive.stop_recording_subscription(sub).unwrap();
    assert_eq!(
        h.signals.await_signal(&h.archive, STOP, Some(recording_id)).position,
        position
    );
    let listed = list_all(&h.archive);
    assert_eq!(listed[0].8, format!("aeron:udp?endpoint=localhost:{port}"));
}
