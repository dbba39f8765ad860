//! A minimal archive client, used by a replication to talk to the source archive: it
//! connects (AuthConnectRequest over the source's control channel, answered on a response
//! channel of its own), and sends the few requests a replication needs — list a recording,
//! replay it, stop the replay, close the session — reading the responses without blocking.
//!
//! It speaks the same control protocol as Aeron's clients, so the source can be any Aeron
//! archive (this Rust one or Aeron's Java one).

use std::ffi::CString;
use std::time::Instant;

use rusteron_client::{
    Aeron, AeronAsyncAddExclusivePublication, AeronAsyncAddSubscription, AeronExclusivePublication,
    AeronFragmentClosureAssembler, AeronHeader, AeronSubscription, ChannelUri, Handlers, Media,
};

use super::catalog::Descriptor;
use super::channel::with_resolved_port;
use super::codecs::*;
use super::proto::{ARCHIVE_PROTOCOL_SEMANTIC_VERSION, NULL_VALUE};

/// Response stream id of the replication's archive client (Aeron's default).
const RESPONSE_STREAM_ID: i32 = 20;
const BUFFER_LENGTH: usize = 4096;
const FRAGMENT_LIMIT: usize = 10;

/// What the source archive sent this client.
#[derive(Debug, Clone)]
pub(crate) enum SourceMessage {
    /// A control response.
    Response {
        correlation_id: i64,
        relevant_id: i64,
        code: ControlResponseCode,
        message: String,
    },
    /// A challenge to the connect (challenge/response authentication).
    Challenge { correlation_id: i64 },
    /// A recording descriptor of a listing.
    Descriptor {
        correlation_id: i64,
        descriptor: Descriptor,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    AddPublication,
    AddSubscription,
    ResolveResponseChannel,
    AwaitPublication,
    SendConnect,
    AwaitConnectResponse,
    Connected,
}

/// A connection (or a connection in progress) to the source archive.
pub(crate) struct SourceArchive {
    control_channel: String,
    control_stream_id: i32,
    response_channel: String,
    credentials: Vec<u8>,
    pending_publication: Option<AeronAsyncAddExclusivePublication>,
    pending_subscription: Option<AeronAsyncAddSubscription>,
    publication: Option<AeronExclusivePublication>,
    subscription: Option<AeronSubscription>,
    assembler: AeronFragmentClosureAssembler,
    connect_correlation_id: i64,
    control_session_id: i64,
    buffer: Vec<u8>,
    step: Step,
}

impl SourceArchive {
    /// A client for the archive listening on `control_channel`/`control_stream_id`, to be
    /// answered on `response_channel` (empty: IPC if the control channel is IPC, else UDP
    /// on a free port of localhost).
    pub fn new(
        control_channel: &str,
        control_stream_id: i32,
        response_channel: &str,
        credentials: Vec<u8>,
    ) -> Result<SourceArchive, String> {
        let control = ChannelUri::parse(control_channel)
            .map_err(|e| format!("invalid source control channel {control_channel:?}: {e}"))?;
        let response_channel = match response_channel {
            "" if control.media() == Media::Ipc => "aeron:ipc".to_owned(),
            "" => "aeron:udp?endpoint=localhost:0".to_owned(),
            given => given.to_owned(),
        };
        Ok(SourceArchive {
            control_channel: control_channel.to_owned(),
            control_stream_id,
            response_channel,
            credentials,
            pending_publication: None,
            pending_subscription: None,
            publication: None,
            subscription: None,
            assembler: AeronFragmentClosureAssembler::new().map_err(|e| e.to_string())?,
            connect_correlation_id: NULL_VALUE,
            control_session_id: NULL_VALUE,
            buffer: vec![0; BUFFER_LENGTH],
            step: Step::AddPublication,
        })
    }

    /// True once the source archive accepted the connection.
    pub fn is_connected(&self) -> bool {
        self.step == Step::Connected
    }

    /// The control session the source archive gave this client.
    pub fn control_session_id(&self) -> i64 {
        self.control_session_id
    }

    /// Advances the connection; `Ok(true)` when work was done. Errors are final.
    pub fn connect(&mut self, aeron: &Aeron) -> Result<bool, String> {
        match self.step {
            Step::AddPublication => {
                let channel = c_string(&self.control_channel)?;
                let pending = aeron
                    .async_add_exclusive_publication(&channel, self.control_stream_id)
                    .map_err(|e| format!("source control publication {}: {e}", self.control_channel))?;
                self.pending_publication = Some(pending);
                let channel = c_string(&self.response_channel)?;
                let pending = aeron
                    .async_add_subscription(
                        &channel,
                        RESPONSE_STREAM_ID,
                        Handlers::no_available_image_handler(),
                        Handlers::no_unavailable_image_handler(),
                    )
                    .map_err(|e| format!("source response subscription {}: {e}", self.response_channel))?;
                self.pending_subscription = Some(pending);
                self.step = Step::AddSubscription;
                Ok(true)
            }
            Step::AddSubscription => {
                if self.publication.is_none() {
                    if let Some(pending) = &self.pending_publication {
                        match pending.poll() {
                            Ok(Some(publication)) => {
                                self.pending_publication = None;
                                self.publication = Some(publication);
                            }
                            Ok(None) => {}
                            Err(e) => {
                                self.pending_publication = None;
                                return Err(format!("source control publication {}: {e}", self.control_channel));
                            }
                        }
                    }
                }
                if self.subscription.is_none() {
                    if let Some(pending) = &self.pending_subscription {
                        match pending.poll() {
                            Ok(Some(subscription)) => {
                                self.pending_subscription = None;
                                self.subscription = Some(subscription);
                            }
                            Ok(None) => {}
                            Err(e) => {
                                self.pending_subscription = None;
                                return Err(format!("source response subscription {}: {e}", self.response_channel));
                            }
                        }
                    }
                }
                let added = self.publication.is_some() && self.subscription.is_some();
                if added {
                    self.step = Step::ResolveResponseChannel;
                }
                Ok(added)
            }
            Step::ResolveResponseChannel => {
                let uri = ChannelUri::parse(&self.response_channel).map_err(|e| e.to_string())?;
                if uri.media() == Media::Udp && uri.endpoint().is_some_and(|e| e.ends_with(":0")) {
                    let Some(resolved) = self.subscription.as_ref().and_then(resolved_endpoint) else {
                        return Ok(false);
                    };
                    self.response_channel = with_resolved_port(&self.response_channel, &resolved)?;
                }
                self.step = Step::AwaitPublication;
                Ok(true)
            }
            Step::AwaitPublication => {
                let connected = self.publication.as_ref().is_some_and(|p| p.is_connected());
                if connected {
                    self.step = Step::SendConnect;
                }
                Ok(connected)
            }
            Step::SendConnect => {
                self.connect_correlation_id = aeron.next_correlation_id();
                let len = encode_connect(
                    &mut self.buffer,
                    self.connect_correlation_id,
                    &self.response_channel,
                    &self.credentials,
                );
                let sent = self.send(len);
                if sent {
                    self.step = Step::AwaitConnectResponse;
                }
                Ok(sent)
            }
            Step::AwaitConnectResponse => {
                let correlation_id = self.connect_correlation_id;
                let mut work = false;
                for message in self.poll() {
                    work = true;
                    if let SourceMessage::Challenge { .. } = message {
                        // As Aeron's archive: replication connects with static credentials.
                        return Err("source archive challenged the connection: challenge/response \
                                    authentication is not supported for replication"
                            .to_string());
                    }
                    if let SourceMessage::Response {
                        correlation_id: c,
                        code,
                        message,
                        ..
                    } = message
                    {
                        if c != correlation_id {
                            continue;
                        }
                        if code != ControlResponseCode::Ok {
                            return Err(format!("source archive refused the connection: {message}"));
                        }
                        self.step = Step::Connected;
                    }
                }
                Ok(work)
            }
            Step::Connected => Ok(false),
        }
    }

    /// Responses and descriptors for this client's control session (during connect:
    /// the connect response, which names the session).
    pub fn poll(&mut self) -> Vec<SourceMessage> {
        let Some(subscription) = &self.subscription else {
            return Vec::new();
        };
        let mut raw: Vec<Vec<u8>> = Vec::new();
        let _ = self.assembler.poll(
            subscription,
            |buffer: &[u8], _header: AeronHeader| raw.push(buffer.to_vec()),
            FRAGMENT_LIMIT,
        );
        let mut messages = Vec::new();
        for buffer in raw {
            let Some((session_id, message)) = decode(&buffer) else {
                continue;
            };
            let for_us = match self.step {
                Step::Connected => session_id == self.control_session_id,
                _ => match &message {
                    SourceMessage::Response { correlation_id, .. } | SourceMessage::Challenge { correlation_id } => {
                        let mine = *correlation_id == self.connect_correlation_id;
                        if mine {
                            self.control_session_id = session_id;
                        }
                        mine
                    }
                    SourceMessage::Descriptor { .. } => false,
                },
            };
            if for_us {
                messages.push(message);
            }
        }
        messages
    }

    /// Asks for the descriptor of `recording_id`.
    pub fn list_recording(&mut self, correlation_id: i64, recording_id: i64) -> bool {
        let mut len = 0;
        if let Ok(mut e) = ListRecordingRequestEncoder::wrap_and_apply_header(&mut self.buffer, 0) {
            e.set_control_session_id(self.control_session_id)
                .set_correlation_id(correlation_id)
                .set_recording_id(recording_id);
            len = MessageHeader::ENCODED_LENGTH + e.encoded_length();
        }
        self.send(len)
    }

    /// Asks for a replay of `recording_id` from `position` for `length` to `channel`.
    #[allow(clippy::too_many_arguments)]
    pub fn replay(
        &mut self,
        correlation_id: i64,
        recording_id: i64,
        position: i64,
        length: i64,
        channel: &str,
        stream_id: i32,
        file_io_max_length: i32,
    ) -> bool {
        let mut len = 0;
        if let Ok(mut e) = ReplayRequestEncoder::wrap_and_apply_header(&mut self.buffer, 0) {
            e.set_control_session_id(self.control_session_id)
                .set_correlation_id(correlation_id)
                .set_recording_id(recording_id)
                .set_position(position)
                .set_length(length)
                .set_replay_stream_id(stream_id)
                .set_file_io_max_length(file_io_max_length)
                .set_replay_token(NULL_VALUE);
            if let Ok(e) = e.put_replay_channel(channel.as_bytes()) {
                len = MessageHeader::ENCODED_LENGTH + e.encoded_length();
            }
        }
        self.send(len)
    }

    /// Asks for the recorded position of `recording_id` (`NULL_POSITION` if not active).
    pub fn recording_position(&mut self, correlation_id: i64, recording_id: i64) -> bool {
        let mut len = 0;
        if let Ok(mut e) = RecordingPositionRequestEncoder::wrap_and_apply_header(&mut self.buffer, 0) {
            e.set_control_session_id(self.control_session_id)
                .set_correlation_id(correlation_id)
                .set_recording_id(recording_id);
            len = MessageHeader::ENCODED_LENGTH + e.encoded_length();
        }
        self.send(len)
    }

    /// Asks the source to stop replay `replay_session_id` (the answer is not awaited).
    pub fn stop_replay(&mut self, correlation_id: i64, replay_session_id: i64) -> bool {
        let mut len = 0;
        if let Ok(mut e) = StopReplayRequestEncoder::wrap_and_apply_header(&mut self.buffer, 0) {
            e.set_control_session_id(self.control_session_id)
                .set_correlation_id(correlation_id)
                .set_replay_session_id(replay_session_id);
            len = MessageHeader::ENCODED_LENGTH + e.encoded_length();
        }
        self.send(len)
    }

    /// Ends the session (if connected) and releases the publication and subscription.
    pub fn close(&mut self, aeron: &Aeron) {
        if self.step == Step::Connected {
            let mut len = 0;
            if let Ok(mut e) = CloseSessionRequestEncoder::wrap_and_apply_header(&mut self.buffer, 0) {
                e.set_control_session_id(self.control_session_id);
                len = MessageHeader::ENCODED_LENGTH + e.encoded_length();
            }
            let _ = self.send(len);
        }
        if let Some(pending) = self.pending_publication.take() {
            let _ = aeron.async_add_exclusive_publication_cancel(&pending);
        }
        if let Some(pending) = self.pending_subscription.take() {
            let _ = aeron.async_add_subscription_cancel(&pending);
        }
        if let Some(publication) = self.publication.take() {
            let _ = publication.close();
        }
        if let Some(subscription) = self.subscription.take() {
            let _ = subscription.close();
        }
        self.step = Step::AddPublication;
    }

    /// Offers the first `len` bytes of the buffer (a few tries: requests are small).
    fn send(&mut self, len: usize) -> bool {
        let (Some(publication), Some(bytes)) = (&self.publication, self.buffer.get(..len)) else {
            return false;
        };
        if len == 0 {
            return false;
        }
        let deadline = Instant::now() + std::time::Duration::from_millis(1);
        loop {
            if publication
                .offer(bytes, Handlers::no_reserved_value_supplier_handler())
                .is_ok()
            {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::hint::spin_loop();
        }
    }
}

fn c_string(s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|e| format!("{s:?}: {e}"))
}

/// The local address a UDP subscription is bound to (`host:port`), once known.
pub(crate) fn resolved_endpoint(subscription: &AeronSubscription) -> Option<String> {
    let mut buf = [0u8; 256];
    match subscription.resolved_endpoint(&mut buf) {
        Ok(n) if n > 0 => {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            let text = String::from_utf8_lossy(&buf[..end]).into_owned();
            (!text.is_empty()).then_some(text)
        }
        _ => None,
    }
}

fn encode_connect(buf: &mut [u8], correlation_id: i64, response_channel: &str, credentials: &[u8]) -> usize {
    let Ok(mut e) = AuthConnectRequestEncoder::wrap_and_apply_header(buf, 0) else {
        return 0;
    };
    e.set_correlation_id(correlation_id)
        .set_response_stream_id(RESPONSE_STREAM_ID)
        .set_version(Some(ARCHIVE_PROTOCOL_SEMANTIC_VERSION));
    let encoded = e
        .put_response_channel(response_channel.as_bytes())
        .and_then(|e| e.put_encoded_credentials(credentials))
        .and_then(|e| e.put_client_info(b"rusteron archive replication"));
    match encoded {
        Ok(e) => MessageHeader::ENCODED_LENGTH + e.encoded_length(),
        Err(_) => 0,
    }
}

/// The control session id and meaning of a message from the source archive, if it is one
/// the replication uses.
fn decode(buffer: &[u8]) -> Option<(i64, SourceMessage)> {
    let header = MessageHeader::decode(buffer, 0).ok()?;
    if header.schema_id != SBE_SCHEMA_ID {
        return None;
    }
    let offset = MessageHeader::ENCODED_LENGTH;
    match header.template_id {
        ControlResponseDecoder::SBE_TEMPLATE_ID => {
            let mut d = ControlResponseDecoder::wrap(buffer, offset, header.block_length, header.version).ok()?;
            let session_id = d.control_session_id();
            let (correlation_id, relevant_id, code) = (d.correlation_id(), d.relevant_id(), d.code());
            let message = d
                .error_message()
                .map(|m| String::from_utf8_lossy(m).into_owned())
                .unwrap_or_default();
            let response = SourceMessage::Response {
                correlation_id,
                relevant_id,
                code,
                message,
            };
            Some((session_id, response))
        }
        ChallengeDecoder::SBE_TEMPLATE_ID => {
            let d = ChallengeDecoder::wrap(buffer, offset, header.block_length, header.version).ok()?;
            let challenge = SourceMessage::Challenge {
                correlation_id: d.correlation_id(),
            };
            Some((d.control_session_id(), challenge))
        }
        RecordingDescriptorDecoder::SBE_TEMPLATE_ID => {
            let mut d = RecordingDescriptorDecoder::wrap(buffer, offset, header.block_length, header.version).ok()?;
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            let session_id = d.control_session_id();
            let correlation_id = d.correlation_id();
            let mut descriptor = Descriptor {
                recording_id: d.recording_id(),
                start_timestamp: d.start_timestamp(),
                stop_timestamp: d.stop_timestamp(),
                start_position: d.start_position(),
                stop_position: d.stop_position(),
                initial_term_id: d.initial_term_id(),
                segment_file_length: d.segment_file_length(),
                term_buffer_length: d.term_buffer_length(),
                mtu_length: d.mtu_length(),
                session_id: d.session_id(),
                stream_id: d.stream_id(),
                stripped_channel: String::new(),
                original_channel: String::new(),
                source_identity: String::new(),
            };
            descriptor.stripped_channel = text(d.stripped_channel().ok()?);
            descriptor.original_channel = text(d.original_channel().ok()?);
            descriptor.source_identity = text(d.source_identity().ok()?);
            Some((
                session_id,
                SourceMessage::Descriptor {
                    correlation_id,
                    descriptor,
                },
            ))
        }
        _ => None,
    }
}
