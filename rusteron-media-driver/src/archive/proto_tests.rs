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
        template_id: DetachSegmentsRequestDecoder::SBE_TEMPLATE_ID,
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
            name: "DetachSegmentsRequest"
        }
    ));
}

#[test]
fn protocol_version_is_1_12_0() {
    assert_eq!(ARCHIVE_PROTOCOL_SEMANTIC_VERSION, (1 << 16) | (12 << 8));
    assert_eq!(version_text(ARCHIVE_PROTOCOL_SEMANTIC_VERSION), "1.12.0");
}
