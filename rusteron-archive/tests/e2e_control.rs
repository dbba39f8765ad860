//! The control protocol against the embedded Rust archive, through the unchanged C archive
//! client: connect, archive id, sessions per client, errors for invalid or unsupported
//! requests, garbage on the control channel, session close and timeout.

mod e2e_support;

use std::time::Duration;

use e2e_support::*;
use rusteron_archive::*;
use rusteron_archive::server::{ArchiveOptions, ArchivingMediaDriver};
use rusteron_media_driver::EmbeddedDriverOptions;

#[test]
fn connect_reports_archive_id_and_a_session_per_client() {
    let h = Harness::start();
    let archive_id = h.archiving.archive().archive_id();
    assert_eq!(h.archive.get_archive_id(), archive_id);
    let first = h.archive.control_session_id();
    assert!(first > 0, "control session id {first}");

    let second_client = client(&h.archiving);
    let second = connect(&second_client, None).expect("second connection");
    assert_eq!(second.get_archive_id(), archive_id);
    assert_ne!(second.control_session_id(), first);
    wait_until("two control sessions", || h.archiving.archive().control_sessions() == 2);

    // Both sessions are served independently.
    assert_eq!(
        h.archive
            .get_start_position(0)
            .unwrap_err()
            .message()
            .map(|m| m.contains("unknown recording id: 0")),
        Some(true)
    );
    assert!(second.get_stop_position(7).is_err());

    // Closing one client's archive closes its session only.
    second.close().expect("close");
    drop(second);
    wait_until("one control session", || h.archiving.archive().control_sessions() == 1);
    let err = h.archive.get_recording_position(3).unwrap_err();
    assert!(
        err.message().unwrap_or("").contains("unknown recording id: 3"),
        "{err:?}"
    );
}

#[test]
fn errors_carry_the_archive_error_code_and_message() {
    let h = Harness::start();
    // UNKNOWN_RECORDING (5) is mapped by the C client to 205.
    let err = h.archive.get_start_position(42).unwrap_err();
    assert_eq!(err.code.abs(), 205, "{err:?}");
    assert!(err.message().unwrap_or("").contains("errorCode=5"), "{err:?}");

    // Unsupported requests are answered with an error, never ignored.
    let params = AeronArchiveReplicationParams::new().unwrap();
    params
        .set_replication_channel(c"aeron:udp?control-mode=response|control=localhost:10995")
        .unwrap();
    let err = h.archive.replicate(0, c"aeron:ipc", 10, &params).unwrap_err();
    assert!(
        err.message()
            .unwrap_or("")
            .contains("a response channel for replication is not supported"),
        "{err:?}"
    );

    // Invalid arguments: a channel the archive cannot parse.
    let err = h
        .archive
        .start_recording(
            c"not-a-channel",
            1001,
            SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL,
            false,
        )
        .unwrap_err();
    assert!(err.message().unwrap_or("").contains("not-a-channel"), "{err:?}");

    // Stopping what is not recorded: UNKNOWN_SUBSCRIPTION; the try_ variants say false.
    assert!(h.archive.stop_recording_subscription(12345).is_err());
    assert!(!h.archive.try_stop_recording_subscription(12345).unwrap());
    assert!(!h
        .archive
        .try_stop_recording_channel_and_stream(c"aeron:ipc", 1001)
        .unwrap());
    assert_eq!(h.archive.find_last_matching_recording(0, c"", 1001, 1).unwrap(), -1);

    // The session is still usable after errors.
    assert_eq!(h.archive.get_archive_id(), h.archiving.archive().archive_id());
}

#[test]
fn garbage_on_the_control_channel_does_not_hurt_the_archive() {
    let h = Harness::start();
    let publication = publication(&h.aeron, c"aeron:ipc", 10);
    let garbage: Vec<Vec<u8>> = vec![
        vec![],
        vec![1, 2, 3],
        vec![0xff; 8],
        // A valid header for schema 101 announcing a huge block, then nothing.
        vec![0xff, 0xff, 4, 0, 101, 0, 14, 0],
        // ArchiveIdRequest with a short block.
        vec![4, 0, 68, 0, 101, 0, 14, 0, 1, 2, 3, 4],
        // StartRecordingRequest2 whose channel length runs past the end.
        [vec![28, 0, 63, 0, 101, 0, 14, 0], vec![0; 28], vec![0xff, 0xff, 0, 0]].concat(),
        // A template the schema does not define, and another schema.
        [vec![16, 0, 200, 0, 101, 0, 14, 0], vec![0; 16]].concat(),
        [vec![16, 0, 1, 0, 7, 0, 1, 0], vec![0; 16]].concat(),
    ];
    for m in &garbage {
        if !m.is_empty() {
            offer(&publication, m);
        }
    }
    // Requests for this session carried on another client's image are not served either:
    // the archive keeps answering its real client.
    for _ in 0..3 {
        assert_eq!(h.archive.get_archive_id(), h.archiving.archive().archive_id());
        assert!(h.archive.get_stop_position(0).is_err());
    }
    let other = connect(&client(&h.archiving), None).expect("a new client still connects");
    assert!(other.control_session_id() > h.archive.control_session_id());
}

#[test]
fn a_session_whose_client_vanished_is_closed() {
    let archiving = ArchivingMediaDriver::launch_for_tests().unwrap();
    {
        let aeron = client(&archiving);
        let archive = connect(&aeron, None).unwrap();
        assert!(archive.control_session_id() > 0);
        wait_until("a control session", || archiving.archive().control_sessions() == 1);
        // The client goes away without a CloseSessionRequest: closing the client first
        // releases its publications and subscriptions, so the archive cannot say goodbye.
        aeron.close().unwrap();
        drop(archive);
    }
    wait_until("the session to be closed", || {
        archiving.archive().control_sessions() == 0
    });
}

#[test]
fn udp_control_channel_on_a_free_port() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let options = ArchiveOptions {
        archive_dir: dir.path().join("archive"),
        control_channel: Some(format!("aeron:udp?endpoint=localhost:{port}")),
        control_stream_id: 11,
        segment_file_length: 1 << 20,
        session_liveness_check_interval: Duration::from_millis(100),
        ..ArchiveOptions::default()
    };
    let archiving = ArchivingMediaDriver::launch(&EmbeddedDriverOptions::default(), options).unwrap();
    let aeron = client(&archiving);
    let ctx = AeronArchiveContext::new_with_aeron(&aeron).unwrap();
    let request = std::ffi::CString::new(format!("aeron:udp?endpoint=localhost:{port}")).unwrap();
    ctx.set_control_request_channel(&request).unwrap();
    ctx.set_control_request_stream_id(11).unwrap();
    ctx.set_control_response_channel(c"aeron:udp?endpoint=localhost:0")
        .unwrap();
    ctx.set_message_timeout_ns(5_000_000_000).unwrap();
    let archive = AeronArchive::connect(&ctx).expect("connect over UDP");
    assert_eq!(archive.get_archive_id(), archiving.archive().archive_id());
    // Liveness pings (every 100 ms here) do not disturb responses.
    std::thread::sleep(Duration::from_millis(350));
    assert!(archive.get_start_position(0).is_err());
    assert_eq!(archive.get_archive_id(), archiving.archive().archive_id());
}
