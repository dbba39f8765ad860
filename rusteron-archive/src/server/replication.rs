//! Replication: this archive copies a recording of another archive (the source), acting as
//! a client of it, as Aeron's `ReplicationSession` does:
//!
//! 1. connect to the source archive (its control channel and stream from the request);
//! 2. list the source recording's descriptor; create the destination recording from it
//!    (same positions, term shape, session, stream and channels — `REPLICATE` signal), or
//!    continue an existing destination recording from its stop position;
//! 3. extend the destination recording from a subscription on the replication channel
//!    (the request's, or the archive's default), restricted to the replay's session id;
//! 4. ask the source to replay the recording to that subscription's resolved endpoint;
//! 5. record the replay (`EXTEND` signal) until the source's stop position (`SYNC`), the
//!    requested stop position, or the end of the replay;
//! 6. stop the recording (`STOP`), stop the replay and close the session on the source
//!    (`REPLICATE_END`).
//!
//! With a live destination (the source recording must be active), the destination
//! recording subscription is a manual multi-destination subscription with the replay as
//! one destination: once the replay has caught up with the source's recorded position the
//! live destination is added, and when both feed the image the replay destination is
//! removed (`MERGE` signal) and the recording goes on from the live stream. Tagged
//! replication uses the same kind of subscription, with the request's tags.
//!
//! Signals and errors go to the control session that asked, with the replication id as
//! their correlation id. Replications over response channels are refused with an error.

use std::ffi::CString;
use std::time::{Duration, Instant};

use rusteron_client::{AeronAsyncDestination, ChannelUri, Media};

use super::catalog::Descriptor;
use super::channel::with_resolved_port;
use super::codecs::{ControlResponseCode, RecordingSignal};
use super::conductor::{await_added, Conductor};
use super::proto::*;
use super::recorder::{RecordingEvent, Requester};
use super::source::{SourceArchive, SourceMessage};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Connect,
    ReplicateDescriptor,
    SrcRecordingPosition,
    Extend,
    Replay,
    AwaitImage,
    Replicate,
    Catchup,
    AttemptLiveJoin,
    Done,
}

/// A live destination is added once the replay is this close to the source's recorded
/// position (at most a quarter of a term; Aeron's `LIVE_ADD_MAX_WINDOW`).
const LIVE_ADD_MAX_WINDOW: i64 = 32 * 1024 * 1024;

/// One replication in progress.
pub(crate) struct ReplicationSession {
    replication_id: i64,
    requester: Requester,
    src_recording_id: i64,
    dst_recording_id: i64,
    /// The destination recording when replicating into an existing one.
    dst_existing: Option<Descriptor>,
    /// Stop replicating at this position (`NULL_POSITION`: the source's end).
    dst_stop_position: i64,
    replication_channel: String,
    /// Where the live stream comes from once the replay has caught up (merge).
    live_destination: Option<String>,
    /// Channel and subscription tags of a multi-destination recording subscription.
    tags: Option<(i64, i64)>,
    /// The replay's destination on a multi-destination recording subscription.
    replay_destination: Option<String>,
    live_added: bool,
    /// The source's recorded position, last asked for (live merge).
    src_recording_position: i64,
    replication_session_id: i32,
    file_io_max_length: i32,
    source: SourceArchive,
    src_stop_position: i64,
    replay_position: i64,
    replay_stream_id: i32,
    replay_session_id: i32,
    recording_subscription_id: Option<i64>,
    src_replay_session_id: Option<i64>,
    active_correlation_id: i64,
    action_timeout: Duration,
    deadline: Instant,
    state: State,
}

impl ReplicationSession {
    fn set_state(&mut self, state: State) {
        log::debug!(
            "archive: replication {} {:?} -> {state:?}",
            self.replication_id,
            self.state
        );
        self.state = state;
        self.active_correlation_id = NULL_VALUE;
        self.deadline = Instant::now() + self.action_timeout;
    }

    fn timed_out(&self) -> bool {
        Instant::now() > self.deadline
    }

    fn signal(&self, events: &mut Vec<RecordingEvent>, position: i64, signal: RecordingSignal) {
        events.push(RecordingEvent::Signal {
            requester: self.requester,
            recording_id: self.dst_recording_id,
            subscription_id: self.recording_subscription_id.unwrap_or(NULL_VALUE),
            position,
            signal,
        });
    }

    /// Ends the replication with an error response to the requester.
    fn fail(&mut self, events: &mut Vec<RecordingEvent>, code: i64, message: String) {
        log::warn!("archive: replication {} failed: {message}", self.replication_id);
        events.push(RecordingEvent::Error {
            requester: self.requester,
            code,
            message,
        });
        self.set_state(State::Done);
    }

    /// True once finished; the conductor then closes it.
    fn is_done(&self) -> bool {
        self.state == State::Done
    }
}

impl Conductor {
    /// `ReplicateRequest*`: checks the request and starts a replication; answers with its id.
    pub(super) fn start_replication(
        &mut self,
        requester: Requester,
        r: ReplicateRequest,
    ) -> Result<i64, (i64, String)> {
        let not_supported = |what: &str| Err((error_code::GENERIC, format!("{what} is not supported by this archive")));
        let replication_channel = if r.replication_channel.is_empty() {
            self.options.replication_channel.clone()
        } else {
            r.replication_channel.clone()
        };
        let uri = ChannelUri::parse(&replication_channel)
            .map_err(|e| (error_code::GENERIC, format!("invalid replication channel: {e}")))?;
        if uri.get("control-mode") == Some("response") {
            return not_supported("a response channel for replication");
        }
        let dst_existing = if r.dst_recording_id == NULL_VALUE {
            None
        } else {
            let d = self.catalog.get(r.dst_recording_id).cloned().ok_or_else(|| {
                let message = format!("unknown destination recording id {}", r.dst_recording_id);
                (error_code::UNKNOWN_RECORDING, message)
            })?;
            if d.stop_position == NULL_POSITION || self.recorder.session(r.dst_recording_id).is_some() {
                let message = format!("cannot replicate to active recording {}", r.dst_recording_id);
                return Err((error_code::ACTIVE_RECORDING, message));
            }
            Some(d)
        };
        self.check_storage_space()?;
        let source = SourceArchive::new(
            &r.src_control_channel,
            r.src_control_stream_id,
            &r.src_response_channel,
            r.encoded_credentials.clone(),
        )
        .map_err(|message| (error_code::GENERIC, message))?;
        let replication_id = self.next_session_id;
        self.next_session_id += 1;
        let live_destination = (!r.live_destination.is_empty()).then(|| r.live_destination.clone());
        let tagged = r.channel_tag_id != NULL_VALUE || r.subscription_tag_id != NULL_VALUE;
        let tag = |t: i64| if t == NULL_VALUE { replication_id } else { t };
        let tags = (tagged || live_destination.is_some()).then(|| (tag(r.channel_tag_id), tag(r.subscription_tag_id)));
        let action_timeout = self.options.connect_timeout;
        let replay_position = dst_existing.as_ref().map_or(NULL_POSITION, |d| d.stop_position);
        log::debug!(
            "archive: replication {replication_id} of recording {} from {} stream {}",
            r.src_recording_id,
            r.src_control_channel,
            r.src_control_stream_id
        );
        self.replications.push(ReplicationSession {
            replication_id,
            requester: Requester {
                control_session_id: requester.control_session_id,
                correlation_id: replication_id,
            },
            src_recording_id: r.src_recording_id,
            dst_recording_id: r.dst_recording_id,
            dst_existing,
            dst_stop_position: r.stop_position,
            replication_channel,
            live_destination,
            tags,
            replay_destination: None,
            live_added: false,
            src_recording_position: NULL_POSITION,
            replication_session_id: r.replication_session_id,
            file_io_max_length: r.file_io_max_length,
            source,
            src_stop_position: NULL_POSITION,
            replay_position,
            replay_stream_id: 0,
            replay_session_id: 0,
            recording_subscription_id: None,
            src_replay_session_id: None,
            active_correlation_id: NULL_VALUE,
            action_timeout,
            deadline: Instant::now() + action_timeout,
            state: State::Connect,
        });
        Ok(replication_id)
    }

    /// `StopReplicationRequest`: ends the replication now; its `STOP` and `REPLICATE_END`
    /// signals follow the OK.
    pub(super) fn stop_replication(&mut self, replication_id: i64) -> Result<i64, (i64, String)> {
        let index = self
            .replications
            .iter()
            .position(|s| s.replication_id == replication_id)
            .ok_or_else(|| {
                let message = format!("unknown replication id {replication_id}");
                (error_code::UNKNOWN_REPLICATION, message)
            })?;
        let session = self.replications.remove(index);
        let mut events = Vec::new();
        self.close_replication(session, &mut events);
        self.deferred_events.extend(events);
        Ok(0)
    }

    /// One duty cycle of every replication.
    pub(super) fn replicate(&mut self) -> usize {
        if self.replications.is_empty() {
            return 0;
        }
        let mut sessions = std::mem::take(&mut self.replications);
        let mut events = Vec::new();
        let mut work = 0;
        for session in &mut sessions {
            work += self.advance_replication(session, &mut events);
        }
        for session in sessions {
            if session.is_done() {
                work += 1;
                self.close_replication(session, &mut events);
            } else {
                self.replications.push(session);
            }
        }
        self.on_recording_events(events);
        work
    }

    /// Shutdown: every replication ends (its recording stops, the source is told).
    pub(super) fn close_replications(&mut self) {
        let mut events = Vec::new();
        for session in std::mem::take(&mut self.replications) {
            self.close_replication(session, &mut events);
        }
        self.on_recording_events(events);
    }

    fn close_replication(&mut self, mut s: ReplicationSession, events: &mut Vec<RecordingEvent>) {
        if let Some(subscription_id) = s.recording_subscription_id.take() {
            self.recorder
                .close_subscription(&mut self.catalog, subscription_id, events);
        }
        if let Some(replay_session_id) = s.src_replay_session_id.take() {
            let correlation_id = self.aeron.next_correlation_id();
            if !s.source.stop_replay(correlation_id, replay_session_id) {
                log::warn!(
                    "archive: replication {}: could not stop the source replay",
                    s.replication_id
                );
            }
        }
        s.source.close(&self.aeron);
        s.signal(events, NULL_POSITION, RecordingSignal::ReplicateEnd);
        log::debug!("archive: replication {} ended", s.replication_id);
    }

    fn advance_replication(&mut self, s: &mut ReplicationSession, events: &mut Vec<RecordingEvent>) -> usize {
        match s.state {
            State::Connect => self.replication_connect(s, events),
            State::ReplicateDescriptor => self.replicate_descriptor(s, events),
            State::SrcRecordingPosition => self.src_recording_position(s, events),
            State::Extend => self.replication_extend(s, events),
            State::Replay => self.replication_replay(s, events),
            State::AwaitImage => self.replication_await_image(s, events),
            State::Replicate => self.replication_progress(s, events),
            State::Catchup => self.replication_catchup(s, events),
            State::AttemptLiveJoin => self.attempt_live_join(s, events),
            State::Done => 0,
        }
    }

    fn replication_connect(&mut self, s: &mut ReplicationSession, events: &mut Vec<RecordingEvent>) -> usize {
        match s.source.connect(&self.aeron) {
            Ok(_) if s.source.is_connected() => {
                log::debug!(
                    "archive: replication {} connected to the source, control session {}",
                    s.replication_id,
                    s.source.control_session_id()
                );
                s.set_state(State::ReplicateDescriptor);
                1
            }
            Ok(work) if !s.timed_out() => usize::from(work),
            Ok(_) => {
                let message = "Replication connection failed=connect timeout".to_owned();
                s.fail(events, error_code::REPLICATION_CONNECTION_FAILURE, message);
                1
            }
            Err(e) => {
                let message = format!("Replication connection failed={e}");
                s.fail(events, error_code::REPLICATION_CONNECTION_FAILURE, message);
                1
            }
        }
    }

    fn replicate_descriptor(&mut self, s: &mut ReplicationSession, events: &mut Vec<RecordingEvent>) -> usize {
        if s.active_correlation_id == NULL_VALUE {
            let correlation_id = self.aeron.next_correlation_id();
            if s.source.list_recording(correlation_id, s.src_recording_id) {
                s.active_correlation_id = correlation_id;
                return 1;
            }
            if s.timed_out() {
                s.fail(
                    events,
                    error_code::GENERIC,
                    "failed to list remote recording descriptor".into(),
                );
                return 1;
            }
            return 0;
        }
        let mut work = 0;
        for message in s.source.poll() {
            work += 1;
            match message {
                SourceMessage::Descriptor {
                    correlation_id,
                    descriptor,
                } if correlation_id == s.active_correlation_id => {
                    self.on_source_descriptor(s, descriptor, events);
                    return work;
                }
                SourceMessage::Response {
                    correlation_id,
                    code: ControlResponseCode::RecordingUnknown,
                    ..
                } if correlation_id == s.active_correlation_id => {
                    let message = format!("unknown src recording id {}", s.src_recording_id);
                    s.fail(events, error_code::UNKNOWN_RECORDING, message);
                    return work;
                }
                SourceMessage::Response {
                    code: ControlResponseCode::Error,
                    relevant_id,
                    message,
                    ..
                } => {
                    s.fail(events, relevant_id, message);
                    return work;
                }
                _ => {}
            }
        }
        if s.timed_out() {
            s.fail(
                events,
                error_code::GENERIC,
                "failed to fetch remote recording descriptor".into(),
            );
            work += 1;
        }
        work
    }

    fn on_source_descriptor(&mut self, s: &mut ReplicationSession, d: Descriptor, events: &mut Vec<RecordingEvent>) {
        s.src_stop_position = d.stop_position;
        s.replay_stream_id = d.stream_id;
        s.replay_session_id = if s.live_destination.is_none() && s.replication_session_id != NULL_VALUE as i32 {
            s.replication_session_id
        } else {
            d.session_id
        };
        if s.file_io_max_length != NULL_VALUE as i32 && s.file_io_max_length < d.mtu_length {
            let message = format!(
                "Replication fileIoMaxLength ({}) is less than than the recording mtuLength ({})",
                s.file_io_max_length, d.mtu_length
            );
            s.fail(events, error_code::GENERIC, message);
            return;
        }
        match &s.dst_existing {
            None => {
                let descriptor = Descriptor {
                    recording_id: 0,
                    stop_position: d.start_position,
                    stop_timestamp: d.start_timestamp,
                    ..d.clone()
                };
                match self.catalog.add_new_recording(descriptor) {
                    Ok(id) => {
                        s.dst_recording_id = id;
                        s.replay_position = d.start_position;
                        s.signal(events, d.start_position, RecordingSignal::Replicate);
                    }
                    Err(e) => {
                        let code = super::recorder::storage_error_code(&e);
                        s.fail(events, code, format!("catalog: {e}"));
                        return;
                    }
                }
            }
            Some(dst) => {
                let shape = |x: &Descriptor| (x.initial_term_id, x.term_buffer_length, x.mtu_length, x.stream_id);
                if shape(dst) != shape(&d) || dst.stop_position < d.start_position {
                    let message = format!(
                        "destination recording {} does not continue source recording {}",
                        dst.recording_id, s.src_recording_id
                    );
                    s.fail(events, error_code::INVALID_EXTENSION, message);
                    return;
                }
            }
        }
        if s.live_destination.is_some() && d.stop_position != NULL_POSITION {
            let message = "cannot live merge without active source recording".to_string();
            s.fail(events, error_code::GENERIC, message);
            return;
        }
        let dst_stop = self.catalog.get(s.dst_recording_id).map(|x| x.stop_position);
        if d.start_position == d.stop_position
            || (d.stop_position != NULL_POSITION && dst_stop == Some(d.stop_position))
        {
            s.signal(events, d.stop_position, RecordingSignal::Sync);
            s.set_state(State::Done);
            return;
        }
        let next = if s.live_destination.is_some() {
            State::SrcRecordingPosition
        } else {
            State::Extend
        };
        s.set_state(next);
    }

    /// Asks the source for its recorded position; `Some(position)` once answered.
    fn ask_src_recording_position(
        &mut self,
        s: &mut ReplicationSession,
        events: &mut Vec<RecordingEvent>,
    ) -> (usize, Option<i64>) {
        if s.active_correlation_id == NULL_VALUE {
            let correlation_id = self.aeron.next_correlation_id();
            if s.source.recording_position(correlation_id, s.src_recording_id) {
                s.active_correlation_id = correlation_id;
                s.deadline = Instant::now() + s.action_timeout;
                return (1, None);
            }
        } else {
            for message in s.source.poll() {
                if let SourceMessage::Response {
                    correlation_id,
                    relevant_id,
                    code,
                    message,
                } = message
                {
                    if code == ControlResponseCode::Error {
                        s.fail(events, relevant_id, message);
                        return (1, None);
                    }
                    if correlation_id == s.active_correlation_id {
                        s.active_correlation_id = NULL_VALUE;
                        if relevant_id == NULL_POSITION {
                            let message = "cannot live merge without active source recording".to_string();
                            s.fail(events, error_code::GENERIC, message);
                            return (1, None);
                        }
                        return (1, Some(relevant_id));
                    }
                }
            }
        }
        if s.timed_out() {
            s.fail(events, error_code::GENERIC, "failed to get recording position".into());
            return (1, None);
        }
        (0, None)
    }

    fn src_recording_position(&mut self, s: &mut ReplicationSession, events: &mut Vec<RecordingEvent>) -> usize {
        let (work, position) = self.ask_src_recording_position(s, events);
        if let Some(position) = position {
            s.src_recording_position = position;
            s.set_state(State::Extend);
        }
        work
    }

    /// Adds (or removes) a destination of the recording subscription, waiting for the
    /// driver.
    fn change_destination(&self, s: &ReplicationSession, destination: &str, add: bool) -> Result<(), String> {
        let subscription_id = s.recording_subscription_id.unwrap_or(NULL_VALUE);
        let subscription = self
            .recorder
            .subscription(subscription_id)
            .ok_or_else(|| "the replication's recording subscription has gone".to_string())?;
        let uri = CString::new(destination).map_err(|e| e.to_string())?;
        let pending = if add {
            AeronAsyncDestination::subscription_async_add_destination(&self.aeron, subscription, &uri)
        } else {
            AeronAsyncDestination::subscription_async_remove_destination(&self.aeron, subscription, &uri)
        }
        .map_err(|e| e.to_string())?;
        await_added(
            &self.aeron,
            &pending,
            self.options.connect_timeout,
            |p| AeronAsyncDestination::subscription_async_destination_poll(p).map(|n| (n > 0).then_some(())),
            |_| Ok(0),
        )
        .map_err(|e| format!("destination {destination}: {e}"))
    }

    fn replication_catchup(&mut self, s: &mut ReplicationSession, events: &mut Vec<RecordingEvent>) -> usize {
        match self.recorder.session(s.dst_recording_id).map(|r| r.position()) {
            Some(position) if position >= s.src_recording_position => {
                s.set_state(State::AttemptLiveJoin);
                1
            }
            Some(_) => self.source_errors(s, events).unwrap_or(0),
            None => {
                s.fail(
                    events,
                    error_code::GENERIC,
                    "replication image closed unexpectedly".into(),
                );
                1
            }
        }
    }

    fn attempt_live_join(&mut self, s: &mut ReplicationSession, events: &mut Vec<RecordingEvent>) -> usize {
        let Some((position, term_length, transports)) = self.recorder.session(s.dst_recording_id).map(|r| {
            let term_length = self
                .catalog
                .get(s.dst_recording_id)
                .map_or(0, |d| i64::from(d.term_buffer_length));
            (r.position(), term_length, r.active_transport_count())
        }) else {
            s.fail(
                events,
                error_code::GENERIC,
                "replication image closed unexpectedly".into(),
            );
            return 1;
        };
        let (work, src_position) = self.ask_src_recording_position(s, events);
        let Some(src_position) = src_position else {
            return work;
        };
        s.src_recording_position = src_position;
        let behind = src_position - position;
        if !s.live_added && behind <= (term_length >> 2).min(LIVE_ADD_MAX_WINDOW) {
            let live = s.live_destination.clone().unwrap_or_default();
            if let Err(message) = self.change_destination(s, &live, true) {
                s.fail(events, error_code::GENERIC, message);
                return 1;
            }
            s.live_added = true;
        } else if s.live_added && behind <= 0 && transports >= 2 {
            if let Some(replay) = s.replay_destination.take() {
                if let Err(message) = self.change_destination(s, &replay, false) {
                    log::warn!("archive: replication {}: {message}", s.replication_id);
                }
            }
            // The recording goes on from the live stream: no longer the replication's.
            s.recording_subscription_id = None;
            s.signal(events, position, RecordingSignal::Merge);
            s.set_state(State::Done);
        }
        1
    }

    fn replication_extend(&mut self, s: &mut ReplicationSession, events: &mut Vec<RecordingEvent>) -> usize {
        let mut replay_destination = None;
        let channel = ChannelUri::parse(&s.replication_channel).and_then(|mut uri| {
            uri.put("rejoin", "false")?
                .put("session-id", &s.replay_session_id.to_string())?;
            if let Some((channel_tag, subscription_tag)) = s.tags {
                // A manual multi-destination subscription; the replay is its first destination.
                let endpoint = uri.endpoint().unwrap_or_default().to_string();
                let mut destination = ChannelUri::new(uri.media());
                destination.put("endpoint", &endpoint)?;
                if let Some(interface) = uri.get("interface") {
                    destination.put("interface", interface)?;
                }
                replay_destination = Some(destination.to_string());
                uri.remove("endpoint");
                uri.put("tags", &format!("{channel_tag},{subscription_tag}"))?
                    .put("control-mode", "manual")?;
            }
            Ok(uri.to_string())
        });
        let channel = match channel {
            Ok(channel) => channel,
            Err(e) => {
                s.fail(events, error_code::GENERIC, format!("invalid replication channel: {e}"));
                return 1;
            }
        };
        let request = RecordRequest {
            stream_id: s.replay_stream_id,
            local: false,
            auto_stop: true,
            channel,
            extend: Some(s.dst_recording_id),
        };
        match self.start_recording(s.requester, request) {
            Ok(subscription_id) => {
                s.recording_subscription_id = Some(subscription_id);
                if let Some(destination) = replay_destination {
                    if let Err(message) = self.change_destination(s, &destination, true) {
                        s.fail(events, error_code::GENERIC, message);
                        return 1;
                    }
                    s.replay_destination = Some(destination);
                }
                s.set_state(State::Replay);
            }
            Err((code, message)) => s.fail(events, code, message),
        }
        1
    }

    fn replication_replay(&mut self, s: &mut ReplicationSession, events: &mut Vec<RecordingEvent>) -> usize {
        if s.active_correlation_id == NULL_VALUE {
            let channel = match self.replay_channel_for(s) {
                Ok(Some(channel)) => channel,
                Ok(None) if !s.timed_out() => return 0,
                Ok(None) => {
                    let message = format!(
                        "failed to resolve subscription endpoint: channel={}",
                        s.replication_channel
                    );
                    s.fail(events, error_code::GENERIC, message);
                    return 1;
                }
                Err(message) => {
                    s.fail(events, error_code::GENERIC, message);
                    return 1;
                }
            };
            let length = if s.dst_stop_position == NULL_POSITION {
                REPLAY_ALL_AND_FOLLOW
            } else {
                s.dst_stop_position - s.replay_position
            };
            let correlation_id = self.aeron.next_correlation_id();
            if s.source.replay(
                correlation_id,
                s.src_recording_id,
                s.replay_position,
                length,
                &channel,
                s.replay_stream_id,
                s.file_io_max_length,
            ) {
                s.active_correlation_id = correlation_id;
                return 1;
            }
            if s.timed_out() {
                s.fail(events, error_code::GENERIC, "failed to send replay request".into());
                return 1;
            }
            return 0;
        }
        let mut work = 0;
        for message in s.source.poll() {
            work += 1;
            if let SourceMessage::Response {
                correlation_id,
                relevant_id,
                code,
                message,
            } = message
            {
                if code == ControlResponseCode::Error {
                    s.fail(events, relevant_id, message);
                    return work;
                }
                if correlation_id == s.active_correlation_id && code == ControlResponseCode::Ok {
                    s.src_replay_session_id = Some(relevant_id);
                    s.set_state(State::AwaitImage);
                    return work;
                }
            }
        }
        if s.timed_out() {
            let message = format!(
                "failed get acknowledgement of replay request to: {}",
                s.replication_channel
            );
            s.fail(events, error_code::GENERIC, message);
            work += 1;
        }
        work
    }

    /// The channel the source replays to: the replication channel at the recording
    /// subscription's resolved port, for the replay's session. `None` until resolved.
    fn replay_channel_for(&self, s: &ReplicationSession) -> Result<Option<String>, String> {
        let mut uri = ChannelUri::parse(&s.replication_channel).map_err(|e| e.to_string())?;
        let wildcard = uri.media() == Media::Udp && uri.endpoint().is_some_and(|e| e.ends_with(":0"));
        if wildcard {
            let subscription_id = s.recording_subscription_id.unwrap_or(NULL_VALUE);
            let Some(resolved) = self.recorder.resolved_endpoint(subscription_id) else {
                return Ok(None);
            };
            let channel = with_resolved_port(&s.replication_channel, &resolved)?;
            uri = ChannelUri::parse(&channel).map_err(|e| e.to_string())?;
        }
        uri.put("session-id", &s.replay_session_id.to_string())
            .map_err(|e| e.to_string())?;
        if s.live_destination.is_some() {
            // The replay must neither linger nor end the merged image.
            uri.put("linger", "0")
                .and_then(|u| u.put("eos", "false"))
                .map_err(|e| e.to_string())?;
        }
        Ok(Some(uri.to_string()))
    }

    fn replication_await_image(&mut self, s: &mut ReplicationSession, events: &mut Vec<RecordingEvent>) -> usize {
        let recording = self.recorder.session(s.dst_recording_id).is_some();
        // A short replay may have been recorded and ended (auto-stop) already.
        let recorded = !recording
            && (s
                .recording_subscription_id
                .is_some_and(|id| !self.recorder.has_subscription(id))
                || self
                    .catalog
                    .get(s.dst_recording_id)
                    .is_some_and(|d| d.stop_position > s.replay_position));
        if recording && s.live_destination.is_some() {
            s.set_state(State::Catchup);
            return 1;
        }
        if recording || recorded {
            s.set_state(State::Replicate);
            return 1 + self.replication_progress(s, events);
        }
        if let Some(work) = self.source_errors(s, events) {
            return work;
        }
        if s.timed_out() {
            let message = format!(
                "failed get replay image for sessionId={} on channel={}",
                s.replay_session_id, s.replication_channel
            );
            s.fail(events, error_code::GENERIC, message);
            return 1;
        }
        0
    }

    fn replication_progress(&mut self, s: &mut ReplicationSession, events: &mut Vec<RecordingEvent>) -> usize {
        let active = self.recorder.session(s.dst_recording_id).map(|r| r.position());
        let position = match active {
            Some(position) => position,
            None => self
                .catalog
                .get(s.dst_recording_id)
                .map_or(NULL_POSITION, |d| d.stop_position),
        };
        let synced = s.src_stop_position != NULL_POSITION && position >= s.src_stop_position;
        let stopped = s.dst_stop_position != NULL_POSITION && position >= s.dst_stop_position;
        if synced || stopped || active.is_none() {
            if synced {
                s.signal(events, position, RecordingSignal::Sync);
            }
            // The replay ends on its own: at the stop it was asked for, or it has ended.
            s.src_replay_session_id = None;
            s.set_state(State::Done);
            return 1;
        }
        self.source_errors(s, events).unwrap_or(0)
    }

    /// Fails the replication on an error response from the source; `Some(work)` then.
    fn source_errors(&mut self, s: &mut ReplicationSession, events: &mut Vec<RecordingEvent>) -> Option<usize> {
        for message in s.source.poll() {
            if let SourceMessage::Response {
                code: ControlResponseCode::Error,
                relevant_id,
                message,
                ..
            } = message
            {
                s.fail(events, relevant_id, message);
                return Some(1);
            }
        }
        None
    }
}
