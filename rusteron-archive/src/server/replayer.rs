//! Replay: an exclusive publication per replay, starting at the replay position of the
//! recording's log (same initial term id, term length and MTU, so positions are the
//! recorded ones), fed with the recorded frames read from the segment files and offered as
//! blocks with the replay's session and stream ids.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::time::Instant;

use rusteron_client::{Aeron, AeronAsyncAddExclusivePublication, AeronCountersReader, AeronExclusivePublication};

use super::catalog::Catalog;
use super::proto::error_code;
use super::recorder::{Recorder, Requester};
use super::segments::*;

/// What bounds a replay beyond its length.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Limit {
    /// The recording is stopped: replay up to its stop position.
    Fixed,
    /// The recording is active: follow its recorded position until it stops.
    Recording,
    /// A counter (bounded replay): replay up to its value while it exists.
    Counter { id: i32, registration_id: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Creating,
    AwaitConnect,
    Replay,
    Done,
}

/// What a replay tells the conductor.
#[derive(Debug, Clone)]
pub(crate) enum ReplayEvent {
    Started {
        requester: Requester,
        replay_session_id: i64,
    },
    Error {
        requester: Requester,
        code: i64,
        message: String,
    },
}

/// Parameters of a replay, checked by the conductor.
#[derive(Debug, Clone)]
pub(crate) struct ReplayPlan {
    pub requester: Requester,
    pub recording_id: i64,
    pub replay_position: i64,
    pub replay_limit: i64,
    pub start_position: i64,
    pub stop_position: i64,
    pub term_length: i64,
    pub segment_length: i64,
    pub limit: Limit,
    pub channel: String,
    pub stream_id: i32,
    pub buffer_length: usize,
}

/// One replay.
pub(crate) struct ReplaySession {
    plan: ReplayPlan,
    replay_id: i64,
    replay_session_id: i64,
    pending: Option<AeronAsyncAddExclusivePublication>,
    publication: Option<AeronExclusivePublication>,
    position: i64,
    stop_position: i64,
    file: Option<(i64, File)>,
    buffer: Vec<u8>,
    dir: PathBuf,
    connect_deadline: Instant,
    state: State,
}

impl ReplaySession {
    /// Starts adding the replay publication; `replay_id` makes the high 32 bits of the
    /// replay session id.
    pub fn new(
        aeron: &Aeron,
        plan: ReplayPlan,
        replay_id: i64,
        dir: PathBuf,
        connect_deadline: Instant,
    ) -> Result<ReplaySession, String> {
        let channel = std::ffi::CString::new(plan.channel.as_str()).map_err(|e| e.to_string())?;
        let pending = aeron
            .async_add_exclusive_publication(&channel, plan.stream_id)
            .map_err(|e| format!("failed to create replay publication: {e}"))?;
        Ok(ReplaySession {
            position: plan.replay_position,
            stop_position: plan.stop_position,
            buffer: vec![0; plan.buffer_length],
            plan,
            replay_id,
            replay_session_id: 0,
            pending: Some(pending),
            publication: None,
            file: None,
            dir,
            connect_deadline,
            state: State::Creating,
        })
    }

    /// The replay session id (0 until the publication exists).
    pub fn replay_session_id(&self) -> i64 {
        self.replay_session_id
    }

    /// The recording replayed.
    pub fn recording_id(&self) -> i64 {
        self.plan.recording_id
    }

    /// Base position of the segment the replay reads next (segments before it may go).
    pub fn segment_base_position(&self) -> i64 {
        segment_file_base_position(
            self.plan.start_position,
            self.position,
            self.plan.term_length,
            self.plan.segment_length,
        )
    }

    /// True once finished; the conductor then drops it (closing the publication).
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Stops the replay.
    pub fn abort(&mut self, aeron: &Aeron) {
        if let Some(pending) = self.pending.take() {
            let _ = aeron.async_add_exclusive_publication_cancel(&pending);
        }
        self.state = State::Done;
    }

    fn fail(&mut self, events: &mut Vec<ReplayEvent>, code: i64, message: String) {
        log::warn!(
            "archive: replay {} of recording {}: {message}",
            self.replay_session_id,
            self.plan.recording_id
        );
        events.push(ReplayEvent::Error {
            requester: self.plan.requester,
            code,
            message,
        });
        self.state = State::Done;
    }

    /// One duty cycle.
    pub fn do_work(
        &mut self,
        aeron: &Aeron,
        catalog: &Catalog,
        recorder: &Recorder,
        counters: Option<&AeronCountersReader>,
        events: &mut Vec<ReplayEvent>,
    ) -> usize {
        match self.state {
            State::Creating => self.await_publication(aeron, events),
            State::AwaitConnect => {
                if self.publication.as_ref().is_some_and(|p| p.is_connected()) {
                    self.state = State::Replay;
                    1
                } else if Instant::now() > self.connect_deadline {
                    let message = format!("no connection established for replay channel={}", self.plan.channel);
                    self.fail(events, error_code::GENERIC, message);
                    1
                } else {
                    0
                }
            }
            State::Replay => {
                self.update_limit(catalog, recorder, counters);
                self.replay(events)
            }
            State::Done => 0,
        }
    }

    fn await_publication(&mut self, aeron: &Aeron, events: &mut Vec<ReplayEvent>) -> usize {
        let Some(pending) = &self.pending else {
            return 0;
        };
        match pending.poll() {
            Ok(None) => 0,
            Ok(Some(publication)) => {
                self.pending = None;
                let session_id = publication.constants().map(|c| c.session_id()).unwrap_or(0);
                self.replay_session_id = (self.replay_id << 32) | i64::from(session_id as u32);
                self.publication = Some(publication);
                self.state = State::AwaitConnect;
                events.push(ReplayEvent::Started {
                    requester: self.plan.requester,
                    replay_session_id: self.replay_session_id,
                });
                1
            }
            Err(e) => {
                self.pending = None;
                let _ = aeron;
                self.fail(
                    events,
                    error_code::GENERIC,
                    format!("failed to create replay publication: {e}"),
                );
                1
            }
        }
    }

    /// Moves the stop position of a replay following a live recording or a counter.
    fn update_limit(&mut self, catalog: &Catalog, recorder: &Recorder, counters: Option<&AeronCountersReader>) {
        match self.plan.limit {
            Limit::Fixed => {}
            Limit::Recording => match recorder.session(self.plan.recording_id) {
                Some(session) => self.stop_position = session.position(),
                None => {
                    if let Some(d) = catalog.get(self.plan.recording_id) {
                        self.stop_position = d.stop_position.max(self.position);
                    }
                    self.plan.replay_limit = self.plan.replay_limit.min(self.stop_position);
                    self.plan.limit = Limit::Fixed;
                }
            },
            Limit::Counter { id, registration_id } => {
                let alive = counters.is_some_and(|c| c.counter_registration_id(id).is_ok_and(|r| r == registration_id));
                match counters.map(|c| c.counter_value(id)) {
                    Some(Ok(value)) if alive => self.stop_position = value,
                    _ => {
                        self.plan.replay_limit = self.plan.replay_limit.min(self.stop_position);
                        self.plan.limit = Limit::Fixed;
                    }
                }
            }
        }
    }

    fn replay(&mut self, events: &mut Vec<ReplayEvent>) -> usize {
        let Some(publication) = self.publication.clone() else {
            self.state = State::Done;
            return 0;
        };
        if !publication.is_connected() {
            self.state = State::Done;
            return 1;
        }
        if self.position >= self.plan.replay_limit {
            self.state = State::Done;
            return 1;
        }
        if self.position >= self.stop_position {
            if matches!(self.plan.limit, Limit::Fixed) {
                self.state = State::Done;
                return 1;
            }
            return 0; // waiting for the live recording or the counter to move on
        }
        let (term_length, segment_length) = (self.plan.term_length, self.plan.segment_length);
        let base = segment_file_base_position(self.plan.start_position, self.position, term_length, segment_length);
        let term_offset = self.position & (term_length - 1);
        let length = (self.stop_position - self.position)
            .min(self.buffer.len() as i64)
            .min(term_length - term_offset) as usize;
        if let Err(message) = self.read(base, self.position - base, length) {
            self.fail(events, error_code::GENERIC, message);
            return 1;
        }
        let remaining = (self.plan.replay_limit - self.position).min(i64::from(i32::MAX)) as usize;
        let (session_id, stream_id) = match publication.constants() {
            Ok(c) => (c.session_id(), c.stream_id()),
            Err(_) => return 0,
        };
        let mut batch = 0usize;
        let mut padding = 0usize;
        while batch < length && batch < remaining {
            let frame_len = frame_length(&self.buffer, batch);
            if frame_len <= 0 {
                let message = format!(
                    "unexpected end of recording at position={}",
                    self.position + batch as i64
                );
                self.fail(events, error_code::GENERIC, message);
                return 1;
            }
            let aligned = align(i64::from(frame_len), FRAME_ALIGNMENT) as usize;
            match frame_type(&self.buffer, batch) {
                HDR_TYPE_PAD => {
                    padding = frame_len as usize;
                    break;
                }
                HDR_TYPE_DATA => {}
                other => {
                    let message = format!(
                        "unexpected frame type {other} at position={}",
                        self.position + batch as i64
                    );
                    self.fail(events, error_code::GENERIC, message);
                    return 1;
                }
            }
            if batch + aligned > length {
                break;
            }
            self.buffer[batch + 12..batch + 16].copy_from_slice(&session_id.to_le_bytes());
            self.buffer[batch + 16..batch + 20].copy_from_slice(&stream_id.to_le_bytes());
            batch += aligned;
        }
        let mut work = 0;
        if batch > 0 {
            let result = publication.offer_block(&self.buffer[..batch]);
            if !self.advanced(result, batch, events) {
                return 0;
            }
            work += 1;
        }
        if padding > 0 && self.state == State::Replay {
            let result = publication
                .append_padding(padding - HEADER_LENGTH)
                .unwrap_or_else(|e| i64::from(e.code));
            if self.advanced(result, align(padding as i64, FRAME_ALIGNMENT) as usize, events) {
                work += 1;
            }
        }
        work
    }

    /// Accounts for an offer result; false if nothing was published.
    fn advanced(&mut self, result: i64, length: usize, events: &mut Vec<ReplayEvent>) -> bool {
        match result {
            r if r > 0 => {
                self.position += length as i64;
                if self.position >= self.plan.replay_limit {
                    self.state = State::Done;
                }
                true
            }
            // back pressured or admin action: retry next cycle
            -2 | -3 => false,
            // not connected, closed, max position
            -1 | -4 | -5 => {
                self.state = State::Done;
                false
            }
            other => {
                let message = format!(
                    "replay publication failed with {other}: {}",
                    rusteron_client::AeronCError::from_code(other as i32)
                );
                self.fail(events, error_code::GENERIC, message);
                false
            }
        }
    }

    fn read(&mut self, base: i64, offset: i64, length: usize) -> Result<(), String> {
        if self.file.as_ref().map_or(true, |(b, _)| *b != base) {
            let path = self.dir.join(segment_file_name(self.plan.recording_id, base));
            let file =
                File::open(&path).map_err(|e| format!("recording segment not found: {}: {e}", path.display()))?;
            self.file = Some((base, file));
        }
        let Some((_, file)) = &self.file else {
            return Err("segment file not open".into());
        };
        file.read_exact_at(&mut self.buffer[..length], offset as u64)
            .map_err(|e| format!("reading recording {} at {}: {e}", self.plan.recording_id, base + offset))
    }
}
