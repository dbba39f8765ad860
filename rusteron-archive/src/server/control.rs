//! Control sessions: one per connected client, owning the response publication to the
//! client's response channel, following Aeron's `ControlSession` states (create the
//! publication, wait for it to connect, let the authenticator accept, challenge or reject
//! the client, answer the connect request until the first request arrives, then serve
//! requests; closed on request, when the client goes away, or when responses cannot be
//! sent for the connect timeout).

use std::collections::VecDeque;
use std::ffi::CString;
use std::time::{Duration, Instant};

use rusteron_client::{Aeron, AeronAsyncAddExclusivePublication, AeronExclusivePublication, Handlers};

use super::auth::{Authenticator, SessionProxy};
use super::catalog::{encode_descriptor, Descriptor};
use super::codecs::*;
use super::listing::Listing;
use super::proto::{error_code, ARCHIVE_PROTOCOL_SEMANTIC_VERSION};

const RESEND_INTERVAL: Duration = Duration::from_millis(200);
const SCRATCH_LENGTH: usize = 32 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Adding the response publication.
    Init,
    /// Waiting for the client's response subscription.
    Connecting,
    /// Connected: the authenticator decides (or, for an incompatible client version, the
    /// client is told so until it closes the session or the session times out).
    Connected,
    /// Sent a challenge: the authenticator decides on the client's answer.
    Challenged,
    /// Authenticated: answering the connect request until the first request.
    Authenticated,
    /// Serving requests.
    Active,
    /// Telling the client authentication was rejected until the session times out.
    Rejected,
    Done,
}

/// One client's control session.
pub(crate) struct ControlSession {
    id: i64,
    image_session_id: i32,
    /// The connect request's correlation id, then the challenge response's.
    correlation_id: i64,
    stream_id: i32,
    pending: Option<AeronAsyncAddExclusivePublication>,
    publication: Option<AeronExclusivePublication>,
    state: State,
    queue: VecDeque<Vec<u8>>,
    scratch: Vec<u8>,
    connect_timeout: Duration,
    liveness_interval: Duration,
    activity_deadline: Option<Instant>,
    liveness_deadline: Instant,
    resend_deadline: Instant,
    invalid_version_message: Option<String>,
    /// What the authenticator accepted the client as.
    principal: Vec<u8>,
    /// The listing in progress, if any (one at a time).
    pub listing: Option<Listing>,
    abort_reason: Option<String>,
}

impl ControlSession {
    /// A session answering on `channel`/`stream_id`; `invalid_version_message` makes it
    /// refuse the client (an incompatible protocol version).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        aeron: &Aeron,
        id: i64,
        image_session_id: i32,
        connect_correlation_id: i64,
        channel: &str,
        stream_id: i32,
        invalid_version_message: Option<String>,
        connect_timeout: Duration,
        liveness_interval: Duration,
    ) -> ControlSession {
        let now = Instant::now();
        let mut session = ControlSession {
            id,
            image_session_id,
            correlation_id: connect_correlation_id,
            stream_id,
            pending: None,
            publication: None,
            state: State::Init,
            queue: VecDeque::new(),
            scratch: vec![0; SCRATCH_LENGTH],
            connect_timeout,
            liveness_interval,
            activity_deadline: Some(now + connect_timeout),
            liveness_deadline: now + liveness_interval,
            resend_deadline: now,
            invalid_version_message,
            principal: Vec::new(),
            listing: None,
            abort_reason: None,
        };
        let added = CString::new(channel).map_err(|e| e.to_string()).and_then(|c| {
            aeron
                .async_add_exclusive_publication(&c, stream_id)
                .map_err(|e| e.to_string())
        });
        match added {
            Ok(pending) => session.pending = Some(pending),
            Err(e) => session.abort(&format!("cannot add response publication {channel}: {e}")),
        }
        session
    }

    /// The control session id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// What the authenticator accepted the client as (empty until authenticated).
    pub fn principal(&self) -> &[u8] {
        &self.principal
    }

    /// Session id of the request image the client's requests arrive on.
    pub fn image_session_id(&self) -> i32 {
        self.image_session_id
    }

    /// True once closed; the conductor then drops it.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Why the session ended, if it did.
    pub fn abort_reason(&self) -> Option<&str> {
        self.abort_reason.as_deref()
    }

    /// Closes the session (its publication is released when it is dropped).
    pub fn abort(&mut self, reason: &str) {
        if self.state != State::Done {
            log::debug!("archive: control session {} closed: {reason}", self.id);
            self.abort_reason = Some(reason.to_string());
            self.state = State::Done;
            self.listing = None;
        }
    }

    /// A request arrived: the first one makes an authenticated session active. Returns true
    /// if the session serves requests.
    pub fn activate(&mut self) -> bool {
        if self.state == State::Authenticated {
            self.state = State::Active;
        }
        self.state == State::Active
    }

    /// The client answered a challenge in a request with `correlation_id`; true if the
    /// session was waiting for that (the authenticator is then told the answer).
    pub fn on_challenge_response(&mut self, correlation_id: i64) -> bool {
        if self.state != State::Challenged {
            return false;
        }
        self.correlation_id = correlation_id;
        true
    }

    /// Sends a challenge; true if sent.
    pub(crate) fn challenge(&mut self, encoded_challenge: &[u8], now: Instant) -> bool {
        if !matches!(self.state, State::Connected | State::Challenged) {
            return false;
        }
        let mut len = 0;
        if let Ok(mut e) = ChallengeEncoder::wrap_and_apply_header(&mut self.scratch, 0) {
            e.set_control_session_id(self.id)
                .set_correlation_id(self.correlation_id)
                .set_version(Some(ARCHIVE_PROTOCOL_SEMANTIC_VERSION));
            if let Ok(e) = e.put_encoded_challenge(encoded_challenge) {
                len = MessageHeader::ENCODED_LENGTH + e.encoded_length();
            }
        }
        if len == 0 {
            log::warn!("archive: session {}: challenge too long to send, rejecting", self.id);
            self.reject(now);
            return false;
        }
        let sent = self.offer(len);
        if sent {
            self.state = State::Challenged;
        }
        sent
    }

    /// Accepts the client: sends the connect response; true if sent.
    pub(crate) fn authenticate(&mut self, encoded_principal: &[u8], now: Instant) -> bool {
        if !matches!(self.state, State::Connected | State::Challenged) {
            return false;
        }
        let sent = self.offer_connect_response();
        if sent {
            self.principal = encoded_principal.to_vec();
            self.activity_deadline = None;
            self.resend_deadline = now + RESEND_INTERVAL;
            self.state = State::Authenticated;
        }
        sent
    }

    /// Refuses the client.
    pub(crate) fn reject(&mut self, now: Instant) {
        if matches!(self.state, State::Connected | State::Challenged) {
            log::debug!("archive: control session {}: authentication rejected", self.id);
            self.resend_deadline = now;
            self.state = State::Rejected;
        }
    }

    /// One duty cycle; returns the work done.
    pub fn do_work(&mut self, aeron: &Aeron, now: Instant, authenticator: &mut dyn Authenticator) -> usize {
        if self.activity_deadline.is_some_and(|d| now > d) {
            let reason = match self.state {
                State::Active => format!("failed to send response for more than {:?}", self.connect_timeout),
                state => format!("failed to establish initial connection: state={state:?}"),
            };
            self.abort(&reason);
            return 1;
        }
        match self.state {
            State::Init => self.await_publication(aeron, now),
            State::Connecting if self.publication.as_ref().is_some_and(|p| p.is_connected()) => {
                self.state = State::Connected;
                1
            }
            State::Connecting => 0,
            State::Connected | State::Challenged | State::Authenticated | State::Rejected
                if !self.publication.as_ref().is_some_and(|p| p.is_connected()) =>
            {
                self.abort("control response publication is not connected");
                1
            }
            State::Connected if now >= self.resend_deadline => {
                self.resend_deadline = now + RESEND_INTERVAL;
                match self.invalid_version_message.clone() {
                    Some(message) => {
                        let len = encode_response(
                            &mut self.scratch,
                            self.id,
                            self.correlation_id,
                            self.id,
                            ControlResponseCode::Error,
                            &message,
                        );
                        self.offer(len);
                    }
                    None => authenticator.on_connected_session(&mut SessionProxy::new(self, now), now),
                }
                1
            }
            State::Challenged => {
                // Asked every duty cycle, but only a decision counts as work, so the
                // conductor can idle while the client thinks.
                authenticator.on_challenged_session(&mut SessionProxy::new(self, now), now);
                usize::from(self.state != State::Challenged)
            }
            State::Authenticated if now >= self.resend_deadline => {
                self.resend_deadline = now + RESEND_INTERVAL;
                self.offer_connect_response();
                1
            }
            State::Rejected if now >= self.resend_deadline => {
                self.resend_deadline = now + RESEND_INTERVAL;
                let len = encode_response(
                    &mut self.scratch,
                    self.id,
                    self.correlation_id,
                    error_code::AUTHENTICATION_REJECTED,
                    ControlResponseCode::Error,
                    "authentication rejected",
                );
                self.offer(len);
                1
            }
            State::Active => self.serve(now),
            _ => 0,
        }
    }

    /// Offers the OK answer to the connect (or challenge response); true if sent.
    fn offer_connect_response(&mut self) -> bool {
        let len = encode_response(
            &mut self.scratch,
            self.id,
            self.correlation_id,
            self.id,
            ControlResponseCode::Ok,
            "",
        );
        self.offer(len)
    }

    fn await_publication(&mut self, aeron: &Aeron, now: Instant) -> usize {
        let Some(pending) = &self.pending else {
            return 0;
        };
        match pending.poll() {
            Ok(None) => 0,
            Ok(Some(publication)) => {
                self.pending = None;
                self.publication = Some(publication);
                self.activity_deadline = Some(now + self.connect_timeout);
                self.state = State::Connecting;
                1
            }
            Err(e) => {
                if let Some(pending) = self.pending.take() {
                    let _ = aeron.async_add_exclusive_publication_cancel(&pending);
                }
                self.abort(&format!("response publication failed (stream {}): {e}", self.stream_id));
                1
            }
        }
    }

    fn serve(&mut self, now: Instant) -> usize {
        let mut work = 0;
        if !self.publication.as_ref().is_some_and(|p| p.is_connected()) {
            self.abort("control response publication is not connected");
            return 1;
        }
        if now >= self.liveness_deadline {
            self.liveness_deadline = now + self.liveness_interval;
            let len = encode_ping(&mut self.scratch, self.id);
            self.send_now(len);
            work += 1;
        }
        while let Some(message) = self.queue.front() {
            let sent = self
                .publication
                .as_ref()
                .is_some_and(|p| p.offer(message, Handlers::no_reserved_value_supplier_handler()).is_ok());
            if !sent {
                self.note_send_failure(now);
                break;
            }
            self.queue.pop_front();
            self.activity_deadline = None;
            work += 1;
        }
        work
    }

    fn offer(&mut self, len: usize) -> bool {
        let (Some(publication), Some(bytes)) = (&self.publication, self.scratch.get(..len)) else {
            return false;
        };
        len > 0
            && publication
                .offer(bytes, Handlers::no_reserved_value_supplier_handler())
                .is_ok()
    }

    fn note_send_failure(&mut self, now: Instant) {
        if self.activity_deadline.is_none() {
            self.activity_deadline = Some(now + self.connect_timeout);
        }
    }

    /// Sends the first `len` bytes of the scratch buffer now if nothing is queued, else
    /// queues them (kept in order, retried each duty cycle).
    fn send_or_queue(&mut self, len: usize) {
        if len == 0 || self.state == State::Done {
            return;
        }
        if self.queue.is_empty() && self.offer(len) {
            self.activity_deadline = None;
        } else {
            self.queue.push_back(self.scratch[..len].to_vec());
            self.note_send_failure(Instant::now());
        }
    }

    /// Sends the first `len` bytes of the scratch buffer now, or not at all.
    fn send_now(&mut self, len: usize) -> bool {
        if !self.queue.is_empty() {
            return false;
        }
        let sent = self.offer(len);
        if sent {
            self.activity_deadline = None;
        } else {
            self.note_send_failure(Instant::now());
        }
        sent
    }

    /// A control response.
    pub fn send_response(&mut self, correlation_id: i64, relevant_id: i64, code: ControlResponseCode, message: &str) {
        let len = encode_response(&mut self.scratch, self.id, correlation_id, relevant_id, code, message);
        self.send_or_queue(len);
    }

    /// An OK response.
    pub fn send_ok(&mut self, correlation_id: i64, relevant_id: i64) {
        self.send_response(correlation_id, relevant_id, ControlResponseCode::Ok, "");
    }

    /// An ERROR response carrying an `ArchiveException` error code.
    pub fn send_error(&mut self, correlation_id: i64, error_code: i64, message: &str) {
        log::debug!(
            "archive: session {} correlation {correlation_id}: error {error_code}: {message}",
            self.id
        );
        self.send_response(correlation_id, error_code, ControlResponseCode::Error, message);
    }

    /// A recording signal.
    pub fn send_signal(
        &mut self,
        correlation_id: i64,
        recording_id: i64,
        subscription_id: i64,
        position: i64,
        signal: RecordingSignal,
    ) {
        let mut len = 0;
        if let Ok(mut e) = RecordingSignalEventEncoder::wrap_and_apply_header(&mut self.scratch, 0) {
            e.set_control_session_id(self.id)
                .set_correlation_id(correlation_id)
                .set_recording_id(recording_id)
                .set_subscription_id(subscription_id)
                .set_position(position)
                .set_signal(signal);
            len = MessageHeader::ENCODED_LENGTH + e.encoded_length();
        }
        self.send_or_queue(len);
    }

    /// A recording descriptor, sent now or not at all (listings retry).
    pub fn try_send_descriptor(&mut self, correlation_id: i64, descriptor: &Descriptor) -> bool {
        let header = RecordingDescriptorEncoder::wrap_and_apply_header(&mut self.scratch, 0).is_ok();
        let body = encode_descriptor(
            &mut self.scratch,
            MessageHeader::ENCODED_LENGTH,
            descriptor,
            self.id,
            correlation_id,
        );
        match body {
            Ok(n) if header => self.send_now(MessageHeader::ENCODED_LENGTH + n),
            _ => {
                log::warn!(
                    "archive: recording {} descriptor does not fit a message",
                    descriptor.recording_id
                );
                true
            }
        }
    }

    /// A recording subscription descriptor, sent now or not at all.
    pub fn try_send_subscription_descriptor(
        &mut self,
        correlation_id: i64,
        subscription_id: i64,
        stream_id: i32,
        channel: &str,
    ) -> bool {
        let mut len = 0;
        if let Ok(mut e) = RecordingSubscriptionDescriptorEncoder::wrap_and_apply_header(&mut self.scratch, 0) {
            e.set_control_session_id(self.id)
                .set_correlation_id(correlation_id)
                .set_subscription_id(subscription_id)
                .set_stream_id(stream_id);
            if e.put_stripped_channel(channel.as_bytes()).is_ok() {
                len = MessageHeader::ENCODED_LENGTH + e.encoded_length();
            }
        }
        len == 0 || self.send_now(len)
    }
}

/// Encodes a `ControlResponse` (with header) into `buf`; returns its length, 0 if it does
/// not fit.
fn encode_response(
    buf: &mut [u8],
    session_id: i64,
    correlation_id: i64,
    relevant_id: i64,
    code: ControlResponseCode,
    message: &str,
) -> usize {
    let Ok(mut e) = ControlResponseEncoder::wrap_and_apply_header(buf, 0) else {
        return 0;
    };
    e.set_control_session_id(session_id)
        .set_correlation_id(correlation_id)
        .set_relevant_id(relevant_id)
        .set_code(code)
        .set_version(Some(ARCHIVE_PROTOCOL_SEMANTIC_VERSION));
    // Messages longer than the buffer are cut (they are for humans).
    let limit = message.len().min(SCRATCH_LENGTH / 2);
    match e.put_error_message(&message.as_bytes()[..limit]) {
        Ok(e) => MessageHeader::ENCODED_LENGTH + e.encoded_length(),
        Err(_) => 0,
    }
}

fn encode_ping(buf: &mut [u8], session_id: i64) -> usize {
    match PingEncoder::wrap_and_apply_header(buf, 0) {
        Ok(mut e) => {
            e.set_control_session_id(session_id);
            MessageHeader::ENCODED_LENGTH + e.encoded_length()
        }
        Err(_) => 0,
    }
}
