//! The control protocol: constants, decoding requests into [`Request`], encoding responses.

use super::codecs::*;

pub use crate::RECORDING_POSITION_TYPE_ID;
/// Archive control protocol version this server speaks (1.12.0, as Aeron 1.54's archive).
pub const ARCHIVE_PROTOCOL_SEMANTIC_VERSION: i32 = semantic_version(1, 12, 0);
/// Major protocol version a client must have.
pub(crate) const PROTOCOL_MAJOR_VERSION: i32 = 1;

pub(crate) const NULL_VALUE: i64 = -1;
pub(crate) const NULL_POSITION: i64 = -1;
pub(crate) const REPLAY_ALL_AND_FOLLOW: i64 = -1;
pub(crate) const REPLAY_ALL_AND_STOP: i64 = -2;

/// `ArchiveException` error codes, sent as the relevant id of ERROR responses.
pub(crate) mod error_code {
    pub const GENERIC: i64 = 0;
    pub const ACTIVE_LISTING: i64 = 1;
    pub const ACTIVE_RECORDING: i64 = 2;
    pub const ACTIVE_SUBSCRIPTION: i64 = 3;
    pub const UNKNOWN_SUBSCRIPTION: i64 = 4;
    pub const UNKNOWN_RECORDING: i64 = 5;
    pub const MAX_REPLAYS: i64 = 7;
    pub const MAX_RECORDINGS: i64 = 8;
    pub const INVALID_EXTENSION: i64 = 9;
    pub const AUTHENTICATION_REJECTED: i64 = 10;
    pub const STORAGE_SPACE: i64 = 11;
    pub const UNKNOWN_REPLICATION: i64 = 12;
    pub const UNAUTHORISED_ACTION: i64 = 13;
    pub const REPLICATION_CONNECTION_FAILURE: i64 = 14;
    pub const EMPTY_RECORDING: i64 = 15;
    pub const INVALID_POSITION: i64 = 16;
}

/// `major.minor.patch` as Aeron composes it.
pub const fn semantic_version(major: i32, minor: i32, patch: i32) -> i32 {
    (major << 16) | (minor << 8) | patch
}

/// `x.y.z` of a composed version.
pub(crate) fn version_text(version: i32) -> String {
    format!(
        "{}.{}.{}",
        (version >> 16) & 0xff,
        (version >> 8) & 0xff,
        version & 0xff
    )
}

/// Which position a position query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PositionQuery {
    Start,
    Stop,
    Recording,
    MaxRecorded,
}

/// A replay request (plain or bounded by a counter).
#[derive(Debug, Clone)]
pub(crate) struct ReplayRequest {
    pub recording_id: i64,
    pub position: i64,
    pub length: i64,
    pub limit_counter_id: Option<i32>,
    pub replay_stream_id: i32,
    pub file_io_max_length: i32,
    pub replay_channel: String,
    /// Token from a `ReplayTokenRequest` when the request comes over a response channel's
    /// request publication instead of the control session's (`None`: absent or null).
    pub replay_token: Option<i64>,
}

/// A start or extend recording request.
#[derive(Debug, Clone)]
pub(crate) struct RecordRequest {
    pub stream_id: i32,
    pub local: bool,
    pub auto_stop: bool,
    pub channel: String,
    /// The recording to extend (`ExtendRecordingRequest`), if any.
    pub extend: Option<i64>,
}

/// A request to replicate a recording of another archive into this one
/// (`ReplicateRequest`, `TaggedReplicateRequest` or `ReplicateRequest2`).
#[derive(Debug, Clone)]
pub(crate) struct ReplicateRequest {
    pub src_recording_id: i64,
    pub dst_recording_id: i64,
    pub stop_position: i64,
    pub channel_tag_id: i64,
    pub subscription_tag_id: i64,
    pub src_control_stream_id: i32,
    pub src_control_channel: String,
    pub live_destination: String,
    pub replication_channel: String,
    pub file_io_max_length: i32,
    pub replication_session_id: i32,
    pub encoded_credentials: Vec<u8>,
    pub src_response_channel: String,
}

impl ReplicateRequest {
    /// The fields older request versions do not carry, at their null values.
    fn basic(
        src_recording_id: i64,
        dst_recording_id: i64,
        src_control_stream_id: i32,
        src_control_channel: String,
        live_destination: String,
    ) -> ReplicateRequest {
        ReplicateRequest {
            src_recording_id,
            dst_recording_id,
            stop_position: NULL_POSITION,
            channel_tag_id: NULL_VALUE,
            subscription_tag_id: NULL_VALUE,
            src_control_stream_id,
            src_control_channel,
            live_destination,
            replication_channel: String::new(),
            file_io_max_length: NULL_VALUE as i32,
            replication_session_id: NULL_VALUE as i32,
            encoded_credentials: Vec::new(),
            src_response_channel: String::new(),
        }
    }
}

/// A decoded control request. Every variant but `Connect` is for the control session named
/// by `Request::session`.
#[derive(Debug, Clone)]
pub(crate) enum Request {
    Connect {
        correlation_id: i64,
        response_stream_id: i32,
        version: i32,
        response_channel: String,
        encoded_credentials: Vec<u8>,
    },
    ChallengeResponse {
        encoded_credentials: Vec<u8>,
    },
    CloseSession,
    KeepAlive,
    ArchiveId,
    StartRecording(RecordRequest),
    StopRecording {
        stream_id: i32,
        channel: String,
    },
    StopRecordingSubscription {
        subscription_id: i64,
    },
    StopRecordingByIdentity {
        recording_id: i64,
    },
    Replay(ReplayRequest),
    StopReplay {
        replay_session_id: i64,
    },
    StopAllReplays {
        recording_id: i64,
    },
    ListRecordings {
        from_recording_id: i64,
        count: i32,
    },
    ListRecordingsForUri {
        from_recording_id: i64,
        count: i32,
        stream_id: i32,
        channel: Vec<u8>,
    },
    ListRecording {
        recording_id: i64,
    },
    Position {
        query: PositionQuery,
        recording_id: i64,
    },
    FindLastMatchingRecording {
        min_recording_id: i64,
        session_id: i32,
        stream_id: i32,
        channel: Vec<u8>,
    },
    ListRecordingSubscriptions {
        pseudo_index: i32,
        count: i32,
        apply_stream_id: bool,
        stream_id: i32,
        channel: String,
    },
    TruncateRecording {
        recording_id: i64,
        position: i64,
    },
    PurgeRecording {
        recording_id: i64,
    },
    Replicate(ReplicateRequest),
    StopReplication {
        replication_id: i64,
    },
    /// Detach (`delete: false`) or purge (`delete: true`) the segments before a new start.
    DetachSegments {
        recording_id: i64,
        new_start_position: i64,
        delete: bool,
    },
    DeleteDetachedSegments {
        recording_id: i64,
    },
    AttachSegments {
        recording_id: i64,
    },
    MigrateSegments {
        src_recording_id: i64,
        dst_recording_id: i64,
    },
    UpdateChannel {
        recording_id: i64,
        channel: String,
    },
    ReplayToken {
        recording_id: i64,
    },
    /// A request of the schema this archive does not implement (segment
    /// maintenance, replay tokens, ...): answered with an error.
    Unsupported {
        name: &'static str,
    },
}

/// A request with the control session and correlation ids it carries.
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    /// The request's SBE template id.
    pub template_id: u16,
    pub control_session_id: i64,
    pub correlation_id: i64,
    pub request: Request,
}

/// Why a message could not be decoded; `ids` are the control session and correlation ids
/// when the message had them, so the client can still be told.
#[derive(Debug, Clone)]
pub(crate) struct BadRequest {
    pub ids: Option<(i64, i64)>,
    pub message: String,
}

fn text(bytes: Result<&[u8], SbeCodecError>) -> Result<String, SbeCodecError> {
    bytes.map(|b| String::from_utf8_lossy(b).into_owned())
}

macro_rules! wrap {
    ($decoder:ident, $buf:expr, $hdr:expr) => {
        $decoder::wrap($buf, MessageHeader::ENCODED_LENGTH, $hdr.block_length, $hdr.version)?
    };
}

/// Decodes one control request (`buf` starts with the message header).
pub(crate) fn decode(buf: &[u8]) -> Result<Envelope, BadRequest> {
    let header = MessageHeader::decode(buf, 0).map_err(|e| BadRequest {
        ids: None,
        message: format!("invalid message header: {e}"),
    })?;
    if header.schema_id != SBE_SCHEMA_ID {
        return Err(BadRequest {
            ids: None,
            message: format!("expected schemaId={SBE_SCHEMA_ID}, actual={}", header.schema_id),
        });
    }
    // Every request but connect starts with controlSessionId, correlationId.
    let ids = (header.block_length >= 16)
        .then(|| {
            let body = buf.get(MessageHeader::ENCODED_LENGTH..)?;
            let read = |at: usize| Some(i64::from_le_bytes(body.get(at..at + 8)?.try_into().ok()?));
            Some((read(0)?, read(8)?))
        })
        .flatten();
    let decoded = decode_body(buf, header).map(|envelope| Envelope {
        template_id: header.template_id,
        ..envelope
    });
    decoded.map_err(|e| BadRequest {
        ids,
        message: format!("malformed request (template id {}): {e}", header.template_id),
    })
}

fn envelope(control_session_id: i64, correlation_id: i64, request: Request) -> Envelope {
    Envelope {
        template_id: 0,
        control_session_id,
        correlation_id,
        request,
    }
}

fn decode_body(buf: &[u8], h: MessageHeader) -> Result<Envelope, SbeCodecError> {
    use PositionQuery::*;
    let position = |query, sid, corr, recording_id| envelope(sid, corr, Request::Position { query, recording_id });
    Ok(match h.template_id {
        AuthConnectRequestDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(AuthConnectRequestDecoder, buf, h);
            let response_channel = text(d.response_channel())?;
            let credentials = d.encoded_credentials()?;
            envelope(
                NULL_VALUE,
                d.correlation_id(),
                Request::Connect {
                    correlation_id: d.correlation_id(),
                    response_stream_id: d.response_stream_id(),
                    version: d.version().unwrap_or(0),
                    response_channel,
                    encoded_credentials: credentials.to_vec(),
                },
            )
        }
        ChallengeResponseDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(ChallengeResponseDecoder, buf, h);
            let (session_id, correlation_id) = (d.control_session_id(), d.correlation_id());
            let encoded_credentials = d.encoded_credentials()?.to_vec();
            envelope(
                session_id,
                correlation_id,
                Request::ChallengeResponse { encoded_credentials },
            )
        }
        CloseSessionRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(CloseSessionRequestDecoder, buf, h);
            envelope(d.control_session_id(), NULL_VALUE, Request::CloseSession)
        }
        KeepAliveRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(KeepAliveRequestDecoder, buf, h);
            envelope(d.control_session_id(), d.correlation_id(), Request::KeepAlive)
        }
        ArchiveIdRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(ArchiveIdRequestDecoder, buf, h);
            envelope(d.control_session_id(), d.correlation_id(), Request::ArchiveId)
        }
        StartRecordingRequestDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(StartRecordingRequestDecoder, buf, h);
            let request = RecordRequest {
                stream_id: d.stream_id(),
                local: d.source_location() == SourceLocation::Local,
                auto_stop: false,
                channel: text(d.channel())?,
                extend: None,
            };
            envelope(
                d.control_session_id(),
                d.correlation_id(),
                Request::StartRecording(request),
            )
        }
        StartRecordingRequest2Decoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(StartRecordingRequest2Decoder, buf, h);
            let request = RecordRequest {
                stream_id: d.stream_id(),
                local: d.source_location() == SourceLocation::Local,
                auto_stop: d.auto_stop() == BooleanType::True,
                channel: text(d.channel())?,
                extend: None,
            };
            envelope(
                d.control_session_id(),
                d.correlation_id(),
                Request::StartRecording(request),
            )
        }
        ExtendRecordingRequestDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(ExtendRecordingRequestDecoder, buf, h);
            let request = RecordRequest {
                stream_id: d.stream_id(),
                local: d.source_location() == SourceLocation::Local,
                auto_stop: false,
                channel: text(d.channel())?,
                extend: Some(d.recording_id()),
            };
            envelope(
                d.control_session_id(),
                d.correlation_id(),
                Request::StartRecording(request),
            )
        }
        ExtendRecordingRequest2Decoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(ExtendRecordingRequest2Decoder, buf, h);
            let request = RecordRequest {
                stream_id: d.stream_id(),
                local: d.source_location() == SourceLocation::Local,
                auto_stop: d.auto_stop() == BooleanType::True,
                channel: text(d.channel())?,
                extend: Some(d.recording_id()),
            };
            envelope(
                d.control_session_id(),
                d.correlation_id(),
                Request::StartRecording(request),
            )
        }
        StopRecordingRequestDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(StopRecordingRequestDecoder, buf, h);
            let (stream_id, channel) = (d.stream_id(), text(d.channel())?);
            envelope(
                d.control_session_id(),
                d.correlation_id(),
                Request::StopRecording { stream_id, channel },
            )
        }
        StopRecordingSubscriptionRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(StopRecordingSubscriptionRequestDecoder, buf, h);
            let request = Request::StopRecordingSubscription {
                subscription_id: d.subscription_id(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        StopRecordingByIdentityRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(StopRecordingByIdentityRequestDecoder, buf, h);
            let request = Request::StopRecordingByIdentity {
                recording_id: d.recording_id(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        ReplayRequestDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(ReplayRequestDecoder, buf, h);
            let request = ReplayRequest {
                recording_id: d.recording_id(),
                position: d.position(),
                length: d.length(),
                limit_counter_id: None,
                replay_stream_id: d.replay_stream_id(),
                file_io_max_length: d.file_io_max_length(),
                replay_token: token(d.replay_token()),
                replay_channel: text(d.replay_channel())?,
            };
            envelope(d.control_session_id(), d.correlation_id(), Request::Replay(request))
        }
        BoundedReplayRequestDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(BoundedReplayRequestDecoder, buf, h);
            let request = ReplayRequest {
                recording_id: d.recording_id(),
                position: d.position(),
                length: d.length(),
                limit_counter_id: Some(d.limit_counter_id()),
                replay_stream_id: d.replay_stream_id(),
                file_io_max_length: d.file_io_max_length(),
                replay_token: token(d.replay_token()),
                replay_channel: text(d.replay_channel())?,
            };
            envelope(d.control_session_id(), d.correlation_id(), Request::Replay(request))
        }
        StopReplayRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(StopReplayRequestDecoder, buf, h);
            let request = Request::StopReplay {
                replay_session_id: d.replay_session_id(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        StopAllReplaysRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(StopAllReplaysRequestDecoder, buf, h);
            let request = Request::StopAllReplays {
                recording_id: d.recording_id(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        ListRecordingsRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(ListRecordingsRequestDecoder, buf, h);
            let request = Request::ListRecordings {
                from_recording_id: d.from_recording_id(),
                count: d.record_count(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        ListRecordingsForUriRequestDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(ListRecordingsForUriRequestDecoder, buf, h);
            let request = Request::ListRecordingsForUri {
                from_recording_id: d.from_recording_id(),
                count: d.record_count(),
                stream_id: d.stream_id(),
                channel: d.channel()?.to_vec(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        ListRecordingRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(ListRecordingRequestDecoder, buf, h);
            let request = Request::ListRecording {
                recording_id: d.recording_id(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        StartPositionRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(StartPositionRequestDecoder, buf, h);
            position(Start, d.control_session_id(), d.correlation_id(), d.recording_id())
        }
        StopPositionRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(StopPositionRequestDecoder, buf, h);
            position(Stop, d.control_session_id(), d.correlation_id(), d.recording_id())
        }
        RecordingPositionRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(RecordingPositionRequestDecoder, buf, h);
            position(Recording, d.control_session_id(), d.correlation_id(), d.recording_id())
        }
        MaxRecordedPositionRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(MaxRecordedPositionRequestDecoder, buf, h);
            position(
                MaxRecorded,
                d.control_session_id(),
                d.correlation_id(),
                d.recording_id(),
            )
        }
        FindLastMatchingRecordingRequestDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(FindLastMatchingRecordingRequestDecoder, buf, h);
            let request = Request::FindLastMatchingRecording {
                min_recording_id: d.min_recording_id(),
                session_id: d.session_id(),
                stream_id: d.stream_id(),
                channel: d.channel()?.to_vec(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        ListRecordingSubscriptionsRequestDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(ListRecordingSubscriptionsRequestDecoder, buf, h);
            let request = Request::ListRecordingSubscriptions {
                pseudo_index: d.pseudo_index(),
                count: d.subscription_count(),
                apply_stream_id: d.apply_stream_id() == BooleanType::True,
                stream_id: d.stream_id(),
                channel: text(d.channel())?,
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        TruncateRecordingRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(TruncateRecordingRequestDecoder, buf, h);
            let request = Request::TruncateRecording {
                recording_id: d.recording_id(),
                position: d.position(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        PurgeRecordingRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(PurgeRecordingRequestDecoder, buf, h);
            let request = Request::PurgeRecording {
                recording_id: d.recording_id(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        ReplicateRequestDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(ReplicateRequestDecoder, buf, h);
            let src_control_channel = text(d.src_control_channel())?;
            let live_destination = text(d.live_destination())?;
            let request = ReplicateRequest::basic(
                d.src_recording_id(),
                d.dst_recording_id(),
                d.src_control_stream_id(),
                src_control_channel,
                live_destination,
            );
            envelope(d.control_session_id(), d.correlation_id(), Request::Replicate(request))
        }
        TaggedReplicateRequestDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(TaggedReplicateRequestDecoder, buf, h);
            let src_control_channel = text(d.src_control_channel())?;
            let live_destination = text(d.live_destination())?;
            let mut request = ReplicateRequest::basic(
                d.src_recording_id(),
                d.dst_recording_id(),
                d.src_control_stream_id(),
                src_control_channel,
                live_destination,
            );
            request.channel_tag_id = d.channel_tag_id();
            request.subscription_tag_id = d.subscription_tag_id();
            envelope(d.control_session_id(), d.correlation_id(), Request::Replicate(request))
        }
        ReplicateRequest2Decoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(ReplicateRequest2Decoder, buf, h);
            let src_control_channel = text(d.src_control_channel())?;
            let live_destination = text(d.live_destination())?;
            let replication_channel = text(d.replication_channel())?;
            let encoded_credentials = d.encoded_credentials()?.to_vec();
            let src_response_channel = text(d.src_response_channel())?;
            let request = ReplicateRequest {
                src_recording_id: d.src_recording_id(),
                dst_recording_id: d.dst_recording_id(),
                stop_position: d.stop_position(),
                channel_tag_id: d.channel_tag_id(),
                subscription_tag_id: d.subscription_tag_id(),
                src_control_stream_id: d.src_control_stream_id(),
                src_control_channel,
                live_destination,
                replication_channel,
                file_io_max_length: null_if_absent(d.file_io_max_length()),
                replication_session_id: null_if_absent(d.replication_session_id()),
                encoded_credentials,
                src_response_channel,
            };
            envelope(d.control_session_id(), d.correlation_id(), Request::Replicate(request))
        }
        StopReplicationRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(StopReplicationRequestDecoder, buf, h);
            let request = Request::StopReplication {
                replication_id: d.replication_id(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        DetachSegmentsRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(DetachSegmentsRequestDecoder, buf, h);
            let request = Request::DetachSegments {
                recording_id: d.recording_id(),
                new_start_position: d.new_start_position(),
                delete: false,
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        PurgeSegmentsRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(PurgeSegmentsRequestDecoder, buf, h);
            let request = Request::DetachSegments {
                recording_id: d.recording_id(),
                new_start_position: d.new_start_position(),
                delete: true,
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        DeleteDetachedSegmentsRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(DeleteDetachedSegmentsRequestDecoder, buf, h);
            let request = Request::DeleteDetachedSegments {
                recording_id: d.recording_id(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        AttachSegmentsRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(AttachSegmentsRequestDecoder, buf, h);
            let request = Request::AttachSegments {
                recording_id: d.recording_id(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        MigrateSegmentsRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(MigrateSegmentsRequestDecoder, buf, h);
            let request = Request::MigrateSegments {
                src_recording_id: d.src_recording_id(),
                dst_recording_id: d.dst_recording_id(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        ReplayTokenRequestDecoder::SBE_TEMPLATE_ID => {
            let d = wrap!(ReplayTokenRequestDecoder, buf, h);
            let request = Request::ReplayToken {
                recording_id: d.recording_id(),
            };
            envelope(d.control_session_id(), d.correlation_id(), request)
        }
        UpdateChannelRequestDecoder::SBE_TEMPLATE_ID => {
            let mut d = wrap!(UpdateChannelRequestDecoder, buf, h);
            let (session_id, correlation_id, recording_id) =
                (d.control_session_id(), d.correlation_id(), d.recording_id());
            let channel = text(d.channel())?;
            envelope(
                session_id,
                correlation_id,
                Request::UpdateChannel { recording_id, channel },
            )
        }
        other => {
            let name = request_name(other);
            if h.block_length < 16 {
                return Err(SbeCodecError::BufferTooShort {
                    needed: 16,
                    available: usize::from(h.block_length),
                });
            }
            let body = buf.get(MessageHeader::ENCODED_LENGTH..).unwrap_or_default();
            let read =
                |at: usize| i64::from_le_bytes(body.get(at..at + 8).and_then(|b| b.try_into().ok()).unwrap_or([0; 8]));
            envelope(read(0), read(8), Request::Unsupported { name })
        }
    })
}

/// A replay token, unless null (Aeron's `NULL_VALUE`) or absent from an older version.
fn token(value: i64) -> Option<i64> {
    (value != NULL_VALUE && value != i64::MIN).then_some(value)
}

/// An int32 field a client's older schema version does not carry decodes as `i32::MIN`:
/// that means "not set", as Aeron's null value does.
fn null_if_absent(value: i32) -> i32 {
    if value == i32::MIN {
        NULL_VALUE as i32
    } else {
        value
    }
}

/// The schema's name of a request template (Aeron's message name).
pub(crate) fn request_name(template_id: u16) -> &'static str {
    sbe_message_name(template_id).unwrap_or("unknown request")
}

#[cfg(test)]
#[path = "proto_tests.rs"]
mod tests;
