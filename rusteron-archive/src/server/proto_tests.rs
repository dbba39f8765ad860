//! Decoding requests: ids, truncated and corrupt input, unknown templates.

use super::*;

fn start_recording2(channel: &str) -> Vec<u8> {
    let mut buf = vec![0u8; 256];
    let mut e = StartRecordingRequest2Encoder::wrap_and_apply_header(&mut buf, 0).unwrap();
    e.set_control_session_id(7)
        .set_correlation_id(9)
        .set_stream_id(1001)
        .set_source_location(SourceLocation::Remote)
        .set_auto_stop(BooleanType::True);
    e.put_channel(channel.as_bytes()).unwrap();
    let len = MessageHeader::ENCODED_LENGTH + e.encoded_length();
    buf.truncate(len);
    buf
}

#[test]
fn decodes_a_request_with_its_ids() {
    let envelope = decode(&start_recording2("aeron:ipc")).unwrap();
    assert_eq!((envelope.control_session_id, envelope.correlation_id), (7, 9));
    match envelope.request {
        Request::StartRecording(r) => {
            assert_eq!(
                (r.stream_id, r.local, r.auto_stop, r.channel.as_str()),
                (1001, false, true, "aeron:ipc")
            );
            assert_eq!(r.extend, None);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn envelopes_carry_the_template_id_and_its_schema_name() {
    let envelope = decode(&start_recording2("aeron:ipc")).unwrap();
    assert_eq!(envelope.template_id, StartRecordingRequest2Decoder::SBE_TEMPLATE_ID);
    assert_eq!(request_name(envelope.template_id), "StartRecordingRequest2");
    assert_eq!(request_name(u16::MAX), "unknown request");
}

#[test]
fn challenge_responses_decode_with_their_credentials() {
    let mut buf = vec![0u8; 128];
    let mut e = ChallengeResponseEncoder::wrap_and_apply_header(&mut buf, 0).unwrap();
    e.set_control_session_id(5).set_correlation_id(6);
    let len = MessageHeader::ENCODED_LENGTH + e.put_encoded_credentials(b"answer").unwrap().encoded_length();
    let envelope = decode(&buf[..len]).unwrap();
    assert_eq!((envelope.control_session_id, envelope.correlation_id), (5, 6));
    match envelope.request {
        Request::ChallengeResponse { encoded_credentials } => assert_eq!(encoded_credentials, b"answer"),
        other => panic!("unexpected {other:?}"),
    }
    // Cut inside the credentials: an error, not a shorter answer.
    assert!(decode(&buf[..len - 1]).is_err());
}

#[test]
fn truncated_and_corrupt_requests_are_errors_not_panics() {
    let good = start_recording2("aeron:udp?endpoint=localhost:4000");
    for len in 0..good.len() {
        let result = decode(&good[..len]);
        assert!(result.is_err(), "prefix of {len} bytes decoded");
        if len >= MessageHeader::ENCODED_LENGTH + 16 {
            assert_eq!(result.unwrap_err().ids, Some((7, 9)), "ids kept for an answer");
        }
    }
    // Pseudo-random garbage with a valid header for every template id.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for template_id in 0..=120u16 {
        for _ in 0..20 {
            let mut buf = vec![0u8; (seed % 200) as usize + 8];
            for b in buf.iter_mut() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *b = seed as u8;
            }
            MessageHeader {
                block_length: (seed % 96) as u16,
                template_id,
                schema_id: SBE_SCHEMA_ID,
                version: (seed % 16) as u16,
            }
            .write(&mut buf, 0);
            let _ = decode(&buf);
        }
    }
    let wrong_schema = [8, 0, 3, 0, 7, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert!(decode(&wrong_schema).unwrap_err().message.contains("schemaId"));
}

#[test]
fn unknown_templates_are_unsupported_requests() {
    let mut buf = vec![0u8; 8 + 24];
    MessageHeader {
        block_length: 24,
        template_id: 250,
        schema_id: SBE_SCHEMA_ID,
        version: SBE_SCHEMA_VERSION,
    }
    .write(&mut buf, 0);
    buf[8..16].copy_from_slice(&3i64.to_le_bytes());
    buf[16..24].copy_from_slice(&4i64.to_le_bytes());
    let envelope = decode(&buf).unwrap();
    assert_eq!((envelope.control_session_id, envelope.correlation_id), (3, 4));
    assert!(matches!(
        envelope.request,
        Request::Unsupported {
            name: "unknown request"
        }
    ));
}

#[test]
fn protocol_version_is_1_12_0() {
    assert_eq!(ARCHIVE_PROTOCOL_SEMANTIC_VERSION, (1 << 16) | (12 << 8));
    assert_eq!(version_text(ARCHIVE_PROTOCOL_SEMANTIC_VERSION), "1.12.0");
}

#[test]
fn replicate_requests_of_every_version_decode_with_nulls_for_missing_fields() {
    let mut buf = vec![0u8; 512];
    let mut e = ReplicateRequest2Encoder::wrap_and_apply_header(&mut buf, 0).unwrap();
    e.set_control_session_id(5)
        .set_correlation_id(6)
        .set_src_recording_id(7)
        .set_dst_recording_id(-1)
        .set_stop_position(4096)
        .set_channel_tag_id(-1)
        .set_subscription_tag_id(-1)
        .set_src_control_stream_id(10)
        .set_file_io_max_length(65536)
        .set_replication_session_id(-1);
    let e = e
        .put_src_control_channel(b"aeron:udp?endpoint=localhost:8010")
        .and_then(|e| e.put_live_destination(b""))
        .and_then(|e| e.put_replication_channel(b"aeron:udp?endpoint=localhost:0"))
        .and_then(|e| e.put_encoded_credentials(b"user:pass"))
        .and_then(|e| e.put_src_response_channel(b"aeron:udp?endpoint=localhost:0"))
        .unwrap();
    let len = MessageHeader::ENCODED_LENGTH + e.encoded_length();
    let envelope = decode(&buf[..len]).unwrap();
    assert_eq!((envelope.control_session_id, envelope.correlation_id), (5, 6));
    let Request::Replicate(r) = envelope.request else {
        panic!("not a replicate request");
    };
    assert_eq!((r.src_recording_id, r.dst_recording_id, r.stop_position), (7, -1, 4096));
    assert_eq!(
        (r.src_control_stream_id, r.file_io_max_length, r.replication_session_id),
        (10, 65536, -1)
    );
    assert_eq!(r.src_control_channel, "aeron:udp?endpoint=localhost:8010");
    assert_eq!(r.replication_channel, "aeron:udp?endpoint=localhost:0");
    assert_eq!(r.encoded_credentials, b"user:pass");
    assert!(r.live_destination.is_empty());

    // The first version: no stop position, tags, channel or credentials.
    let mut buf = vec![0u8; 256];
    let mut e = ReplicateRequestEncoder::wrap_and_apply_header(&mut buf, 0).unwrap();
    e.set_control_session_id(1)
        .set_correlation_id(2)
        .set_src_recording_id(3)
        .set_dst_recording_id(4)
        .set_src_control_stream_id(11);
    let e = e
        .put_src_control_channel(b"aeron:ipc")
        .and_then(|e| e.put_live_destination(b""))
        .unwrap();
    let len = MessageHeader::ENCODED_LENGTH + e.encoded_length();
    let Request::Replicate(r) = decode(&buf[..len]).unwrap().request else {
        panic!("not a replicate request");
    };
    assert_eq!(
        (r.src_recording_id, r.dst_recording_id, r.src_control_stream_id),
        (3, 4, 11)
    );
    assert_eq!((r.stop_position, r.channel_tag_id, r.file_io_max_length), (-1, -1, -1));
    assert!(r.replication_channel.is_empty() && r.encoded_credentials.is_empty());

    let mut buf = vec![0u8; 64];
    let mut e = StopReplicationRequestEncoder::wrap_and_apply_header(&mut buf, 0).unwrap();
    e.set_control_session_id(1).set_correlation_id(2).set_replication_id(99);
    let len = MessageHeader::ENCODED_LENGTH + e.encoded_length();
    assert!(matches!(
        decode(&buf[..len]).unwrap().request,
        Request::StopReplication { replication_id: 99 }
    ));
}
