//! The archive conductor: one thread owning the archive's Aeron client, the control
//! subscriptions, control sessions, recordings, replays and the catalog. Each duty cycle
//! polls requests, advances sessions, records, replays and tells clients what happened.
//!
//! As Aeron's archive does, the Aeron client runs in agent-invoker mode: its conductor has
//! no thread of its own and does its work inside this duty cycle ([`drive_client`]), so a
//! driver response is seen on the next cycle instead of after the client conductor's idle
//! sleep (16 ms by default), and blocking adds ([`await_added`]) drive it while they wait.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusteron_client::{
    Aeron, AeronCError, AeronContext, AeronErrorType, AeronFragmentClosureAssembler, AeronHeader, AeronSubscription,
    Handlers,
};

use super::auth::{ArchiveAction, Authenticator, AuthorisationService};
use super::catalog::Catalog;
use super::control::ControlSession;
use super::listing::continue_listing;
use super::proto::{
    decode, error_code, request_name, version_text, Request, ARCHIVE_PROTOCOL_SEMANTIC_VERSION, PROTOCOL_MAJOR_VERSION,
};
use super::recorder::{Recorder, RecorderContext, RecordingEvent};
use super::replayer::{ReplayEvent, ReplaySession};
use super::replication::ReplicationSession;
use super::{ArchiveOptions, ArchiveStats};

const ADD_TIMEOUT: Duration = Duration::from_secs(5);
const IMAGE_CHECK_INTERVAL: Duration = Duration::from_millis(100);
const FRAGMENT_LIMIT: usize = 10;

/// Runs the archive until `running` turns false; reports the archive id (or why it could
/// not start) on `ready` first.
pub(crate) fn run(
    options: ArchiveOptions,
    running: Arc<AtomicBool>,
    stats: Arc<ArchiveStats>,
    ready: Sender<Result<i64, String>>,
) {
    let mut conductor = match Conductor::new(options) {
        Ok(conductor) => conductor,
        Err(message) => {
            let _ = ready.send(Err(message));
            return;
        }
    };
    let _ = ready.send(Ok(conductor.archive_id));
    let mut idle = Backoff::default();
    while running.load(Ordering::Acquire) {
        // A bug must not take the archive down: log it and carry on with the next cycle.
        match catch_unwind(AssertUnwindSafe(|| conductor.do_work())) {
            Ok(work) => {
                stats
                    .control_sessions
                    .store(conductor.sessions.len(), Ordering::Release);
                stats
                    .recording_sessions
                    .store(conductor.recorder.sessions.len(), Ordering::Release);
                stats.replay_sessions.store(conductor.replays.len(), Ordering::Release);
                idle.idle(work)
            }
            Err(_) => {
                log::error!("archive: duty cycle panicked");
                idle.idle(0);
            }
        }
    }
    conductor.close();
    stats.control_sessions.store(0, Ordering::Release);
    stats.recording_sessions.store(0, Ordering::Release);
    stats.replay_sessions.store(0, Ordering::Release);
}

/// Spin, then yield, then sleep up to 1 ms while there is nothing to do.
#[derive(Default)]
struct Backoff {
    idle_cycles: u32,
}

impl Backoff {
    fn idle(&mut self, work: usize) {
        if work > 0 {
            self.idle_cycles = 0;
            return;
        }
        self.idle_cycles = self.idle_cycles.saturating_add(1);
        match self.idle_cycles {
            0..=10 => std::hint::spin_loop(),
            11..=20 => std::thread::yield_now(),
            n => std::thread::sleep(Duration::from_micros(1 << (n - 20).min(10))),
        }
    }
}

/// The archive's state, owned by the conductor thread.
pub(super) struct Conductor {
    pub(super) options: ArchiveOptions,
    pub(super) archive_id: i64,
    pub(super) aeron: Aeron,
    control_subscriptions: Vec<AeronSubscription>,
    assembler: AeronFragmentClosureAssembler,
    pub(super) sessions: BTreeMap<i64, ControlSession>,
    authenticator: Box<dyn Authenticator>,
    authorisation: AuthorisationService,
    /// Next control session id, also used for replication ids (as Aeron does).
    pub(super) next_session_id: i64,
    pub(super) catalog: Catalog,
    pub(super) recorder: Recorder,
    pub(super) replays: Vec<ReplaySession>,
    pub(super) next_replay_id: i64,
    pub(super) replications: Vec<ReplicationSession>,
    /// Signals to send after the response of the request being handled.
    pub(super) deferred_events: Vec<RecordingEvent>,
    next_image_check: Instant,
    /// Replay tokens handed out, for replays requested over a response channel.
    pub(super) replay_tokens: super::replay_request::ReplayTokens,
}

impl Conductor {
    fn new(options: ArchiveOptions) -> Result<Conductor, String> {
        let catalog = Catalog::open(&options.archive_dir)
            .map_err(|e| format!("archive directory {}: {e}", options.archive_dir.display()))?;
        let aeron = connect_client(&options).map_err(|e| format!("archive client: {e}"))?;
        let archive_id = options.archive_id.unwrap_or_else(|| aeron.client_id());
        let mut channels = vec![(options.local_control_channel.clone(), options.local_control_stream_id)];
        if let Some(channel) = &options.control_channel {
            channels.push((channel.clone(), options.control_stream_id));
        }
        let mut control_subscriptions = Vec::new();
        for (channel, stream_id) in channels {
            let c_channel = CString::new(channel.as_str()).map_err(|e| e.to_string())?;
            let subscription = aeron
                .async_add_subscription(
                    &c_channel,
                    stream_id,
                    Handlers::no_available_image_handler(),
                    Handlers::no_unavailable_image_handler(),
                )
                .and_then(|pending| {
                    await_added(
                        &aeron,
                        &pending,
                        ADD_TIMEOUT,
                        |p| p.poll(),
                        |p| aeron.async_add_subscription_cancel(p),
                    )
                })
                .map_err(|e| format!("control channel {channel} stream {stream_id}: {e}"))?;
            control_subscriptions.push(subscription);
        }
        let assembler = AeronFragmentClosureAssembler::new().map_err(|e| e.to_string())?;
        let authenticator = options.authenticator.make();
        let authorisation = options.authorisation.clone();
        Ok(Conductor {
            options,
            authenticator,
            authorisation,
            archive_id,
            aeron,
            control_subscriptions,
            assembler,
            sessions: BTreeMap::new(),
            next_session_id: 1,
            catalog,
            recorder: Recorder::default(),
            replays: Vec::new(),
            next_replay_id: 1,
            replications: Vec::new(),
            deferred_events: Vec::new(),
            next_image_check: Instant::now(),
            replay_tokens: Default::default(),
        })
    }

    fn do_work(&mut self) -> usize {
        let mut work = drive_client(&self.aeron);
        let now = Instant::now();
        work += self.poll_requests();
        for session in self.sessions.values_mut() {
            work += session.do_work(&self.aeron, now, &mut *self.authenticator);
            work += continue_listing(session, &self.catalog);
        }
        if now >= self.next_image_check {
            self.next_image_check = now + IMAGE_CHECK_INTERVAL;
            self.check_request_images();
            self.replay_tokens.expire(now);
        }
        // Replications first: one sees its recording reach the source's stop position (and
        // signals SYNC) before the recorder can end that recording at the end of the replay.
        work += self.replicate();
        work += self.record();
        work += self.replay();
        self.sessions.retain(|id, session| {
            if session.is_done() {
                log::debug!(
                    "archive: control session {id} removed ({})",
                    session.abort_reason().unwrap_or("")
                );
            }
            !session.is_done()
        });
        work
    }

    fn poll_requests(&mut self) -> usize {
        let mut requests: Vec<(Vec<u8>, i32)> = Vec::new();
        let mut work = 0;
        for subscription in &self.control_subscriptions {
            let polled = self.assembler.poll(
                subscription,
                |buffer: &[u8], header: AeronHeader| {
                    let image_session_id = header.values().map(|v| v.frame().session_id).unwrap_or(0);
                    requests.push((buffer.to_vec(), image_session_id));
                },
                FRAGMENT_LIMIT,
            );
            work += polled.map_or(0, |n| n as usize);
        }
        for (buffer, image_session_id) in requests {
            self.on_message(&buffer, image_session_id);
        }
        work
    }

    fn on_message(&mut self, buffer: &[u8], image_session_id: i32) {
        let envelope = match decode(buffer) {
            Ok(envelope) => envelope,
            Err(bad) => {
                log::warn!("archive: {}", bad.message);
                if let Some((session_id, correlation_id)) = bad.ids {
                    if let Some(session) = session_for(&mut self.sessions, session_id, image_session_id) {
                        session.send_error(correlation_id, super::proto::error_code::GENERIC, &bad.message);
                    }
                }
                return;
            }
        };
        if let Request::Connect {
            correlation_id,
            response_stream_id,
            version,
            response_channel,
            encoded_credentials,
        } = envelope.request
        {
            let session_id = self.on_connect(
                image_session_id,
                correlation_id,
                response_stream_id,
                version,
                &response_channel,
            );
            if let Some(session_id) = session_id {
                self.authenticator
                    .on_connect_request(session_id, &encoded_credentials, Instant::now());
            }
            return;
        }
        let (session_id, correlation_id) = (envelope.control_session_id, envelope.correlation_id);
        let envelope = match self.redeem_replay_token(envelope, image_session_id) {
            Some(envelope) => envelope,
            None => return,
        };
        // A redeemed token names the session; the request came on another image.
        let image_session_id = match &envelope.request {
            Request::Replay(r) if r.replay_token.is_some() => self
                .sessions
                .get(&session_id)
                .map_or(image_session_id, |s| s.image_session_id()),
            _ => image_session_id,
        };
        let Some(session) = session_for(&mut self.sessions, session_id, image_session_id) else {
            log::debug!("archive: request for unknown control session {session_id} ignored");
            return;
        };
        match envelope.request {
            Request::CloseSession => session.abort("session closed"),
            Request::ChallengeResponse { encoded_credentials } => {
                if session.on_challenge_response(correlation_id) {
                    self.authenticator
                        .on_challenge_response(session_id, &encoded_credentials, Instant::now());
                }
            }
            request if session.activate() => {
                let action = ArchiveAction {
                    template_id: envelope.template_id,
                    name: request_name(envelope.template_id),
                };
                if self.authorisation.is_authorised(&action, session.principal()) {
                    self.dispatch(session_id, correlation_id, request);
                } else {
                    log::warn!(
                        "archive: unauthorised action {} by control session {session_id}",
                        action.name
                    );
                    session.send_error(correlation_id, error_code::UNAUTHORISED_ACTION, "unauthorised action");
                }
            }
            _ => log::debug!("archive: request before authentication on control session {session_id} ignored"),
        }
    }

    /// Opens a control session for a connect request; returns its id.
    fn on_connect(
        &mut self,
        image_session_id: i32,
        correlation_id: i64,
        stream_id: i32,
        version: i32,
        channel: &str,
    ) -> Option<i64> {
        let image_correlation_id = self.request_image_correlation_id(image_session_id);
        let response_channel = match super::channel::response_channel(channel, image_correlation_id) {
            Ok(channel) => channel,
            Err(e) => {
                log::warn!("archive: connect with invalid response channel {channel:?}: {e}");
                return None;
            }
        };
        let reject = (version >> 16 != PROTOCOL_MAJOR_VERSION).then(|| {
            format!(
                "invalid client version {}, archive is {}",
                version_text(version),
                version_text(ARCHIVE_PROTOCOL_SEMANTIC_VERSION)
            )
        });
        let id = self.next_session_id;
        self.next_session_id += 1;
        log::debug!("archive: control session {id} for {response_channel} stream {stream_id}");
        let session = ControlSession::new(
            &self.aeron,
            id,
            image_session_id,
            correlation_id,
            &response_channel,
            stream_id,
            reject,
            self.options.connect_timeout,
            self.options.session_liveness_check_interval,
        );
        self.sessions.insert(id, session);
        Some(id)
    }

    /// The correlation id of the request image `image_session_id` (what a response
    /// channel's `response-correlation-id` names).
    pub(super) fn request_image_correlation_id(&self, image_session_id: i32) -> Option<i64> {
        self.control_subscriptions
            .iter()
            .find_map(|s| s.image_by_session_id(image_session_id))
            .and_then(|image| image.constants().ok().map(|c| c.correlation_id()))
    }

    /// Closes sessions whose client's request image has gone.
    fn check_request_images(&mut self) {
        let subscriptions = &self.control_subscriptions;
        for session in self.sessions.values_mut() {
            let present = subscriptions
                .iter()
                .any(|s| s.image_by_session_id(session.image_session_id()).is_some());
            if !present {
                session.abort("control request publication image unavailable");
            }
        }
    }

    fn record(&mut self) -> usize {
        let mut events = Vec::new();
        let mut ctx = RecorderContext {
            aeron: &self.aeron,
            catalog: &mut self.catalog,
            archive_dir: &self.options.archive_dir,
            archive_id: self.archive_id,
            segment_file_length: self.options.segment_file_length,
            file_io_max_length: self.options.file_io_max_length,
            max_recordings: self.options.max_concurrent_recordings,
        };
        let work = self.recorder.do_work(&mut ctx, &mut events);
        self.on_recording_events(events);
        work
    }

    /// Tells clients about signals and errors of recordings.
    pub(super) fn on_recording_events(&mut self, events: Vec<RecordingEvent>) {
        for event in events {
            match event {
                RecordingEvent::Signal {
                    requester,
                    recording_id,
                    subscription_id,
                    position,
                    signal,
                } => {
                    if let Some(session) = self.sessions.get_mut(&requester.control_session_id) {
                        session.send_signal(
                            requester.correlation_id,
                            recording_id,
                            subscription_id,
                            position,
                            signal,
                        );
                    }
                }
                RecordingEvent::Error {
                    requester,
                    code,
                    message,
                } => {
                    if let Some(session) = self.sessions.get_mut(&requester.control_session_id) {
                        session.send_error(requester.correlation_id, code, &message);
                    }
                }
            }
        }
    }

    fn replay(&mut self) -> usize {
        let mut events = Vec::new();
        let mut work = 0;
        let counters = self.aeron.counters_reader();
        for replay in &mut self.replays {
            work += replay.do_work(
                &self.aeron,
                &self.catalog,
                &self.recorder,
                counters.as_ref(),
                &mut events,
            );
        }
        self.replays.retain(|r| !r.is_done());
        for event in events {
            let (requester, replay_session_id, error) = match event {
                ReplayEvent::Started {
                    requester,
                    replay_session_id,
                } => (requester, replay_session_id, None),
                ReplayEvent::Error {
                    requester,
                    code,
                    message,
                } => (requester, 0, Some((code, message))),
            };
            if let Some(session) = self.sessions.get_mut(&requester.control_session_id) {
                match error {
                    None => session.send_ok(requester.correlation_id, replay_session_id),
                    Some((code, message)) => session.send_error(requester.correlation_id, code, &message),
                }
            }
        }
        work
    }

    /// Shutdown: replays end, recordings stop at their positions (written to the catalog),
    /// sessions and subscriptions close, then the client.
    fn close(mut self) {
        self.close_replications();
        for replay in &mut self.replays {
            replay.abort(&self.aeron);
        }
        self.replays.clear();
        self.recorder.close_all(&mut self.catalog);
        self.sessions.clear();
        for subscription in self.control_subscriptions.drain(..) {
            let _ = subscription.close();
        }
        if let Err(e) = self.aeron.close() {
            log::warn!("archive: closing the client: {e}");
        }
    }
}

fn connect_client(options: &ArchiveOptions) -> Result<Aeron, rusteron_client::AeronCError> {
    let ctx = AeronContext::new()?;
    let dir = CString::new(options.aeron_dir.to_string_lossy().as_bytes()).map_err(|e| {
        rusteron_client::AeronCError::with_message(rusteron_client::AeronErrorType::InvalidArgument, e.to_string())
    })?;
    ctx.set_dir(&dir)?;
    ctx.set_client_name(c"aeron-archive")?;
    ctx.set_use_conductor_agent_invoker(true)?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

/// The session `session_id`, if the request came on its client's image.
fn session_for(
    sessions: &mut BTreeMap<i64, ControlSession>,
    session_id: i64,
    image_session_id: i32,
) -> Option<&mut ControlSession> {
    let session = sessions.get_mut(&session_id)?;
    if session.image_session_id() != image_session_id {
        log::warn!("archive: request for control session {session_id} from another client (image session {image_session_id}) ignored");
        return None;
    }
    Some(session)
}

/// Does the client conductor's work (the archive's client runs in invoker mode); returns
/// the work done.
pub(super) fn drive_client(aeron: &Aeron) -> usize {
    match aeron.main_do_work() {
        Ok(work) => usize::try_from(work).unwrap_or(0),
        Err(e) => {
            log::warn!("archive: client conductor: {e}");
            0
        }
    }
}

/// Waits up to `timeout` for an asynchronous add to complete, driving the client conductor
/// meanwhile; on timeout the add is cancelled and the error is `TimedOut`.
pub(super) fn await_added<P, T>(
    aeron: &Aeron,
    pending: &P,
    timeout: Duration,
    poll: impl Fn(&P) -> Result<Option<T>, AeronCError>,
    cancel: impl FnOnce(&P) -> Result<i32, AeronCError>,
) -> Result<T, AeronCError> {
    let deadline = Instant::now() + timeout;
    loop {
        let work = drive_client(aeron);
        if let Some(added) = poll(pending)? {
            return Ok(added);
        }
        if Instant::now() >= deadline {
            if let Err(e) = cancel(pending) {
                log::warn!("archive: cancelling a timed-out add failed: {e}");
            }
            return Err(AeronCError::with_message(
                AeronErrorType::TimedOut,
                format!("the media driver did not answer within {timeout:?}"),
            ));
        }
        if work == 0 {
            std::thread::yield_now();
        }
    }
}
