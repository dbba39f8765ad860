//! Recording: a subscription per start-recording request, and a recording session per
//! image that joins it, writing the image's blocks into segment files and publishing the
//! recorded position in a `RecordingPos` counter (type 100, key: recording id, session id,
//! source identity length, source identity, archive id — what the C client's
//! `aeron_archive_recording_pos_*` functions read).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusteron_client::{
    Aeron, AeronAvailableImageCallback, AeronCounter, AeronImage, AeronSubscription, Handler, Handlers,
    COUNTER_MAX_KEY_LENGTH, COUNTER_MAX_LABEL_LENGTH,
};

use super::catalog::{epoch_ms, Catalog, Descriptor};
use super::codecs::RecordingSignal;
use super::conductor::await_added;
use super::proto::{error_code, NULL_POSITION, RECORDING_POSITION_TYPE_ID};
use super::segments::SegmentWriter;

const COUNTER_TIMEOUT: Duration = Duration::from_secs(5);

/// Session ids of the images that joined a recording subscription, filled on the client
/// conductor thread, drained by the archive conductor.
#[derive(Debug, Default, Clone)]
pub(crate) struct JoinedImages(Arc<Mutex<Vec<i32>>>);

impl AeronAvailableImageCallback for JoinedImages {
    fn handle_aeron_available_image(&mut self, _subscription: AeronSubscription, image: AeronImage) {
        if let Ok(constants) = image.constants() {
            if let Ok(mut joined) = self.0.lock() {
                joined.push(constants.session_id());
            }
        }
    }
}

impl JoinedImages {
    fn drain(&self) -> Vec<i32> {
        self.0.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default()
    }
}

/// Who asked for a recording: where its signals and errors go.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Requester {
    pub control_session_id: i64,
    pub correlation_id: i64,
}

/// A subscription recording every image of a channel and stream.
pub(crate) struct RecordingSubscription {
    pub subscription_id: i64,
    pub key: String,
    pub channel: String,
    pub stream_id: i32,
    pub stripped_channel: String,
    pub original_channel: String,
    pub auto_stop: bool,
    pub requester: Requester,
    /// The recording this subscription extends, if it was an extend request.
    pub extend: Option<i64>,
    subscription: AeronSubscription,
    joined: JoinedImages,
    _handler: Handler<JoinedImages>,
}

impl RecordingSubscription {
    /// Subscribes to `channel`/`stream_id` and starts collecting joining images.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        aeron: &Aeron,
        key: String,
        channel: String,
        stream_id: i32,
        stripped_channel: String,
        original_channel: String,
        auto_stop: bool,
        requester: Requester,
        extend: Option<i64>,
        timeout: Duration,
    ) -> Result<RecordingSubscription, String> {
        let joined = JoinedImages::default();
        let handler = Handler::leak(joined.clone());
        let c_channel = std::ffi::CString::new(channel.as_str()).map_err(|e| e.to_string())?;
        let subscription = aeron
            .async_add_subscription(
                &c_channel,
                stream_id,
                Some(&handler),
                Handlers::no_unavailable_image_handler(),
            )
            .and_then(|pending| {
                await_added(
                    aeron,
                    &pending,
                    timeout,
                    |p| p.poll(),
                    |p| aeron.async_add_subscription_cancel(p),
                )
            })
            .map_err(|e| format!("failed to subscribe to {channel} stream {stream_id}: {e}"))?;
        let subscription_id = subscription
            .constants()
            .map(|c| c.registration_id())
            .map_err(|e| e.to_string())?;
        Ok(RecordingSubscription {
            subscription_id,
            key,
            channel,
            stream_id,
            stripped_channel,
            original_channel,
            auto_stop,
            requester,
            extend,
            subscription,
            joined,
            _handler: handler,
        })
    }
}

/// What happened to recordings in a duty cycle, for the conductor to tell clients.
#[derive(Debug, Clone)]
pub(crate) enum RecordingEvent {
    Signal {
        requester: Requester,
        recording_id: i64,
        subscription_id: i64,
        position: i64,
        signal: RecordingSignal,
    },
    Error {
        requester: Requester,
        code: i64,
        message: String,
    },
}

/// One image being recorded.
pub(crate) struct RecordingSession {
    pub recording_id: i64,
    pub subscription_id: i64,
    pub requester: Requester,
    pub auto_stop: bool,
    image: AeronImage,
    counter: AeronCounter,
    writer: SegmentWriter,
    block_limit: usize,
}

impl RecordingSession {
    /// How many transports feed the recorded image (2 while a replay and a live stream
    /// are merging into it).
    pub fn active_transport_count(&self) -> i32 {
        self.image.active_transport_count().unwrap_or(0)
    }

    /// The recorded position.
    pub fn position(&self) -> i64 {
        self.writer.position()
    }

    /// Copies what the image has into the segment files. Returns the bytes recorded and
    /// whether the image has ended (end of stream or closed) with everything recorded, or
    /// the error code and message of a failure (the recording then stops where it is).
    fn record(&mut self) -> Result<(usize, bool), (i64, String)> {
        let mut failure: Option<std::io::Error> = None;
        let writer = &mut self.writer;
        let polled = self
            .image
            .block_poll_once(
                |block: &[u8], _session_id: i32, _term_id: i32| {
                    if failure.is_none() {
                        if let Err(e) = writer.on_block(block) {
                            failure = Some(e);
                        }
                    }
                },
                self.block_limit,
            )
            .map_err(|e| (error_code::GENERIC, format!("block poll failed: {e}")))?;
        if let Some(e) = failure {
            let message = format!(
                "recording {} write failed at position {}: {e}",
                self.recording_id,
                self.writer.position()
            );
            return Err((storage_error_code(&e), message));
        }
        if polled > 0 {
            let _ = self.counter.set(self.writer.position());
            return Ok((polled as usize, false));
        }
        Ok((0, self.image.is_end_of_stream() || self.image.is_closed()))
    }
}

/// Everything the recorder needs from the archive.
pub(crate) struct RecorderContext<'a> {
    pub aeron: &'a Aeron,
    pub catalog: &'a mut Catalog,
    pub archive_dir: &'a PathBuf,
    pub archive_id: i64,
    pub segment_file_length: i32,
    pub file_io_max_length: usize,
    pub max_recordings: usize,
}

/// All recording subscriptions and sessions.
#[derive(Default)]
pub(crate) struct Recorder {
    pub subscriptions: Vec<RecordingSubscription>,
    pub sessions: BTreeMap<i64, RecordingSession>,
}

impl Recorder {
    /// Starts sessions for joined images, records, and ends finished sessions.
    pub fn do_work(&mut self, ctx: &mut RecorderContext<'_>, events: &mut Vec<RecordingEvent>) -> usize {
        let mut work = 0;
        for index in 0..self.subscriptions.len() {
            for session_id in self.subscriptions[index].joined.drain() {
                work += 1;
                self.start_session(ctx, index, session_id, events);
            }
        }
        let mut finished = Vec::new();
        for (id, session) in &mut self.sessions {
            match session.record() {
                Ok((bytes, ended)) => {
                    work += bytes.min(1);
                    if ended {
                        finished.push((*id, None));
                    }
                }
                Err(failure) => finished.push((*id, Some(failure))),
            }
        }
        for (recording_id, error) in finished {
            work += 1;
            if let Some(session) = self.finish(ctx.catalog, recording_id, events) {
                if let Some((code, message)) = error {
                    log::error!("archive: {message}");
                    events.push(RecordingEvent::Error {
                        requester: session.requester,
                        code,
                        message,
                    });
                }
                if session.auto_stop {
                    self.close_subscription(ctx.catalog, session.subscription_id, events);
                }
            }
        }
        work
    }

    /// The local address (`host:port`) the recording subscription `subscription_id` is
    /// bound to, once known (UDP).
    pub fn resolved_endpoint(&self, subscription_id: i64) -> Option<String> {
        let subscription = self
            .subscriptions
            .iter()
            .find(|s| s.subscription_id == subscription_id)?;
        super::source::resolved_endpoint(&subscription.subscription)
    }

    /// The Aeron subscription of recording subscription `subscription_id`.
    pub fn subscription(&self, subscription_id: i64) -> Option<&AeronSubscription> {
        self.subscriptions
            .iter()
            .find(|s| s.subscription_id == subscription_id)
            .map(|s| &s.subscription)
    }

    /// True while the recording subscription `subscription_id` exists.
    pub fn has_subscription(&self, subscription_id: i64) -> bool {
        self.subscriptions.iter().any(|s| s.subscription_id == subscription_id)
    }

    /// The active session recording `recording_id`.
    pub fn session(&self, recording_id: i64) -> Option<&RecordingSession> {
        self.sessions.get(&recording_id)
    }

    /// Ends a session: final position into the catalog, STOP signal.
    pub fn finish(
        &mut self,
        catalog: &mut Catalog,
        recording_id: i64,
        events: &mut Vec<RecordingEvent>,
    ) -> Option<RecordingSession> {
        let mut session = self.sessions.remove(&recording_id)?;
        session.writer.close();
        let position = session.position();
        if let Err(e) = catalog.recording_stopped(recording_id, position, epoch_ms()) {
            log::error!("archive: catalog update for recording {recording_id} failed: {e}");
        }
        events.push(RecordingEvent::Signal {
            requester: session.requester,
            recording_id,
            subscription_id: session.subscription_id,
            position,
            signal: RecordingSignal::Stop,
        });
        Some(session)
    }

    /// Stops a recording subscription: its sessions end where they are, then it closes.
    /// Returns false if there is no such subscription.
    pub fn close_subscription(
        &mut self,
        catalog: &mut Catalog,
        subscription_id: i64,
        events: &mut Vec<RecordingEvent>,
    ) -> bool {
        let Some(index) = self
            .subscriptions
            .iter()
            .position(|s| s.subscription_id == subscription_id)
        else {
            return false;
        };
        let ids: Vec<i64> = self
            .sessions
            .values()
            .filter(|s| s.subscription_id == subscription_id)
            .map(|s| s.recording_id)
            .collect();
        for id in ids {
            self.finish(catalog, id, events);
        }
        let subscription = self.subscriptions.remove(index);
        if let Err(e) = subscription.subscription.close() {
            log::warn!("archive: closing recording subscription {subscription_id}: {e}");
        }
        true
    }

    /// Ends everything (archive shutdown).
    pub fn close_all(&mut self, catalog: &mut Catalog) {
        let mut events = Vec::new();
        let ids: Vec<i64> = self.subscriptions.iter().map(|s| s.subscription_id).collect();
        for id in ids {
            self.close_subscription(catalog, id, &mut events);
        }
        let rest: Vec<i64> = self.sessions.keys().copied().collect();
        for id in rest {
            self.finish(catalog, id, &mut events);
        }
    }

    fn start_session(
        &mut self,
        ctx: &mut RecorderContext<'_>,
        index: usize,
        session_id: i32,
        events: &mut Vec<RecordingEvent>,
    ) {
        let sub = &self.subscriptions[index];
        let requester = sub.requester;
        let error = |code: i64, message: String| RecordingEvent::Error {
            requester,
            code,
            message,
        };
        if self.sessions.len() >= ctx.max_recordings {
            let message = format!("max concurrent recordings reached at {}", ctx.max_recordings);
            events.push(error(error_code::MAX_RECORDINGS, message));
            return;
        }
        let Some(image) = sub.subscription.image_by_session_id(session_id) else {
            return; // gone again before it could be recorded
        };
        let Ok(c) = image.constants() else {
            return;
        };
        let term_length = c.term_buffer_length() as i32;
        let join_position = c.join_position();
        let source_identity = c.source_identity().to_string();
        let (recording_id, start_position, signal) = match sub.extend {
            Some(recording_id) => match self.check_extension(ctx.catalog, recording_id, &c, sub.stream_id) {
                Ok(start) => (recording_id, start, RecordingSignal::Extend),
                Err(message) => {
                    events.push(error(error_code::INVALID_EXTENSION, message));
                    return;
                }
            },
            None => {
                let descriptor = Descriptor {
                    recording_id: 0,
                    start_timestamp: epoch_ms(),
                    stop_timestamp: NULL_POSITION,
                    start_position: join_position,
                    stop_position: NULL_POSITION,
                    initial_term_id: c.initial_term_id(),
                    segment_file_length: ctx.segment_file_length.max(term_length),
                    term_buffer_length: term_length,
                    mtu_length: c.mtu_length() as i32,
                    session_id,
                    stream_id: sub.stream_id,
                    stripped_channel: sub.stripped_channel.clone(),
                    original_channel: sub.original_channel.clone(),
                    source_identity: source_identity.clone(),
                };
                match ctx.catalog.add_new_recording(descriptor) {
                    Ok(id) => (id, join_position, RecordingSignal::Start),
                    Err(e) => {
                        events.push(error(error_code::GENERIC, format!("catalog: {e}")));
                        return;
                    }
                }
            }
        };
        let Some(descriptor) = ctx.catalog.get(recording_id).cloned() else {
            return;
        };
        let started = self.open_session(ctx, &descriptor, image, join_position, &source_identity, sub);
        match started {
            Ok(session) => {
                events.push(RecordingEvent::Signal {
                    requester,
                    recording_id,
                    subscription_id: session.subscription_id,
                    position: join_position,
                    signal,
                });
                self.sessions.insert(recording_id, session);
            }
            Err((code, message)) => {
                log::error!("archive: {message}");
                let _ = ctx
                    .catalog
                    .recording_stopped(recording_id, start_position.max(join_position), epoch_ms());
                events.push(error(code, message));
            }
        }
    }

    fn open_session(
        &self,
        ctx: &mut RecorderContext<'_>,
        d: &Descriptor,
        image: AeronImage,
        join_position: i64,
        source_identity: &str,
        sub: &RecordingSubscription,
    ) -> Result<RecordingSession, (i64, String)> {
        let (key, label) = recording_pos_key_and_label(d, source_identity, ctx.archive_id);
        let aeron = ctx.aeron;
        let counter = aeron
            .async_add_counter(RECORDING_POSITION_TYPE_ID, &key, &label)
            .and_then(|pending| {
                await_added(
                    aeron,
                    &pending,
                    COUNTER_TIMEOUT,
                    |p| p.poll(),
                    |p| aeron.async_add_counter_cancel(p),
                )
            })
            .map_err(|e| {
                let message = format!("failed to allocate the recording position counter: {e}");
                (error_code::GENERIC, message)
            })?;
        let _ = counter.set(join_position);
        let writer = SegmentWriter::open(
            ctx.archive_dir,
            d.recording_id,
            d.start_position,
            join_position,
            i64::from(d.term_buffer_length),
            i64::from(d.segment_file_length),
        )
        .map_err(|e| {
            let message = format!("failed to open segment file of recording {}: {e}", d.recording_id);
            (storage_error_code(&e), message)
        })?;
        if d.stop_position != NULL_POSITION {
            ctx.catalog
                .set_stop_position(d.recording_id, NULL_POSITION)
                .map_err(|e| (storage_error_code(&e), format!("catalog: {e}")))?;
        }
        Ok(RecordingSession {
            recording_id: d.recording_id,
            subscription_id: sub.subscription_id,
            requester: sub.requester,
            auto_stop: sub.auto_stop,
            image,
            counter,
            writer,
            block_limit: (d.term_buffer_length as usize).min(ctx.file_io_max_length),
        })
    }

    /// An image may extend a stopped recording if its log has the same shape and it joins
    /// where the recording stopped. Returns the recording's start position.
    fn check_extension(
        &self,
        catalog: &Catalog,
        recording_id: i64,
        c: &rusteron_client::AeronImageConstants,
        stream_id: i32,
    ) -> Result<i64, String> {
        let d = catalog
            .get(recording_id)
            .ok_or_else(|| format!("unknown recording id: {recording_id}"))?;
        if self.sessions.contains_key(&recording_id) {
            return Err(format!("cannot extend active recording {recording_id}"));
        }
        let mismatch = [
            (
                "initialTermId",
                i64::from(d.initial_term_id),
                i64::from(c.initial_term_id()),
            ),
            (
                "termBufferLength",
                i64::from(d.term_buffer_length),
                c.term_buffer_length() as i64,
            ),
            ("mtuLength", i64::from(d.mtu_length), c.mtu_length() as i64),
            ("streamId", i64::from(d.stream_id), i64::from(stream_id)),
            ("joinPosition", d.stop_position, c.join_position()),
        ]
        .into_iter()
        .find(|(_, recorded, image)| recorded != image);
        match mismatch {
            Some((name, recorded, image)) => Err(format!(
                "cannot extend recording {recording_id}: image {name}={image} does not match recording {name}={recorded}"
            )),
            None => Ok(d.start_position),
        }
    }
}

/// The archive error code of a failed segment or catalog write: `STORAGE_SPACE` when the
/// file system is full, `GENERIC` otherwise.
pub(crate) fn storage_error_code(e: &std::io::Error) -> i64 {
    if e.raw_os_error() == Some(libc::ENOSPC) {
        error_code::STORAGE_SPACE
    } else {
        error_code::GENERIC
    }
}

/// Key and label of a `RecordingPos` counter, laid out as Aeron's `RecordingPos.allocate`.
fn recording_pos_key_and_label(d: &Descriptor, source_identity: &str, archive_id: i64) -> (Vec<u8>, String) {
    let max_identity = COUNTER_MAX_KEY_LENGTH - 16 - 8;
    let identity = &source_identity.as_bytes()[..source_identity.len().min(max_identity)];
    let mut key = Vec::with_capacity(16 + identity.len() + 8);
    key.extend_from_slice(&d.recording_id.to_le_bytes());
    key.extend_from_slice(&d.session_id.to_le_bytes());
    key.extend_from_slice(&(identity.len() as i32).to_le_bytes());
    key.extend_from_slice(identity);
    key.extend_from_slice(&archive_id.to_le_bytes());
    let prefix = format!("rec-pos: {} {} {} ", d.recording_id, d.session_id, d.stream_id);
    let suffix = format!(" - archiveId={archive_id}");
    let room = COUNTER_MAX_LABEL_LENGTH.saturating_sub(prefix.len() + suffix.len());
    let channel: String = d.stripped_channel.chars().filter(|c| c.is_ascii()).take(room).collect();
    (key, format!("{prefix}{channel}{suffix}"))
}
