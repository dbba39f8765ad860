//! The replay request handler: checks a replay request as Aeron's archive does (recording,
//! position, frame alignment, length, limit counter) and starts the replay session.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::os::unix::fs::FileExt;
use std::time::Instant;

use rusteron_client::ChannelUri;

use super::catalog::Descriptor;
use super::channel::{replay_channel, ReplayShape};
use super::conductor::Conductor;
use super::proto::*;
use super::recorder::Requester;
use super::replayer::{Limit, ReplayPlan, ReplaySession};
use super::segments::*;

/// Counter state of an allocated counter (`AERON_COUNTER_RECORD_ALLOCATED`).
const COUNTER_ALLOCATED: i32 = 1;

fn unknown_recording(recording_id: i64) -> (i64, String) {
    (
        error_code::UNKNOWN_RECORDING,
        format!("unknown recording id: {recording_id}"),
    )
}

/// A replay token: which session may start which recording's replay over a response
/// channel, until when.
#[derive(Debug, Clone, Copy)]
struct Token {
    recording_id: i64,
    control_session_id: i64,
    deadline: Instant,
}

/// The replay tokens handed out (Aeron's `generateReplayToken` / `getReplaySession`):
/// unpredictable, single use, valid for the connect timeout.
#[derive(Debug, Default)]
pub(crate) struct ReplayTokens {
    tokens: HashMap<i64, Token>,
    keys: RandomState,
    counter: u64,
}

impl ReplayTokens {
    fn issue(&mut self, recording_id: i64, control_session_id: i64, deadline: Instant) -> i64 {
        loop {
            let mut hasher = self.keys.build_hasher();
            hasher.write_u64(self.counter);
            self.counter += 1;
            let token = hasher.finish() as i64;
            if token != NULL_VALUE && token != i64::MIN && !self.tokens.contains_key(&token) {
                let t = Token {
                    recording_id,
                    control_session_id,
                    deadline,
                };
                self.tokens.insert(token, t);
                return token;
            }
        }
    }

    /// Forgets tokens past their deadline.
    pub fn expire(&mut self, now: Instant) {
        self.tokens.retain(|_, t| t.deadline > now);
    }
}

impl Conductor {
    /// A token for replaying `recording_id` over a response channel.
    pub(super) fn issue_replay_token(&mut self, session_id: i64, recording_id: i64) -> Result<i64, (i64, String)> {
        if self.catalog.get(recording_id).is_none() {
            return Err(unknown_recording(recording_id));
        }
        let deadline = Instant::now() + self.options.connect_timeout;
        Ok(self.replay_tokens.issue(recording_id, session_id, deadline))
    }

    /// A replay request carrying a token came over a response channel's request
    /// publication: checks the token (single use) and points the replay channel at that
    /// publication's response subscription. `None` when the request was answered (an
    /// invalid token) or dropped.
    pub(super) fn redeem_replay_token(&mut self, mut envelope: Envelope, image_session_id: i32) -> Option<Envelope> {
        let Request::Replay(r) = &mut envelope.request else {
            return Some(envelope);
        };
        let Some(token) = r.replay_token else {
            return Some(envelope);
        };
        let (session_id, correlation_id) = (envelope.control_session_id, envelope.correlation_id);
        let valid = self.replay_tokens.tokens.remove(&token).filter(|t| {
            t.recording_id == r.recording_id && t.control_session_id == session_id && t.deadline > Instant::now()
        });
        let channel = valid
            .ok_or_else(|| format!("unknown session or token timeout for replayToken={token}"))
            .and_then(|_| {
                let id = self
                    .request_image_correlation_id(image_session_id)
                    .ok_or_else(|| "the replay request's publication has gone".to_string())?;
                let mut uri = ChannelUri::parse(&r.replay_channel).map_err(|e| e.to_string())?;
                uri.put("response-correlation-id", &id.to_string())
                    .map_err(|e| e.to_string())?;
                Ok(uri.to_string())
            });
        match channel {
            Ok(channel) => {
                r.replay_channel = channel;
                Some(envelope)
            }
            Err(message) => {
                log::warn!("archive: replay over a response channel refused: {message}");
                if let Some(session) = self.sessions.get_mut(&session_id) {
                    session.send_error(correlation_id, error_code::GENERIC, &message);
                }
                None
            }
        }
    }

    /// Validates a replay and starts creating its publication; the OK (with the replay
    /// session id) is sent once the publication exists.
    pub(super) fn start_replay(&mut self, requester: Requester, r: ReplayRequest) -> Result<(), (i64, String)> {
        let max = self.options.max_concurrent_replays;
        if self.replays.len() >= max {
            return Err((error_code::MAX_REPLAYS, format!("max concurrent replays reached {max}")));
        }
        let d = self
            .catalog
            .get(r.recording_id)
            .ok_or_else(|| unknown_recording(r.recording_id))?
            .clone();
        let (limit, limit_position) = match r.limit_counter_id {
            Some(id) => {
                let counters = self.aeron.counters_reader();
                let counter = counters.as_ref().and_then(|c| {
                    let allocated = c.counter_state(id).ok()? == COUNTER_ALLOCATED;
                    allocated.then(|| Some((c.counter_registration_id(id).ok()?, c.counter_value(id).ok()?)))?
                });
                let (registration_id, value) = counter.ok_or_else(|| {
                    (
                        error_code::GENERIC,
                        format!("unable to create replay limit counter id= {id}: not allocated"),
                    )
                })?;
                (Limit::Counter { id, registration_id }, Some(value))
            }
            None => match self.recorder.session(r.recording_id) {
                Some(session) => (Limit::Recording, Some(session.position())),
                None => (Limit::Fixed, None),
            },
        };
        let replay_position = if r.position == NULL_POSITION {
            d.start_position
        } else {
            if r.position & (FRAME_ALIGNMENT - 1) != 0 {
                return Err((
                    error_code::GENERIC,
                    format!(
                        "requested replay start position={} is not a multiple of FRAME_ALIGNMENT ({FRAME_ALIGNMENT}) for recording {}",
                        r.position, r.recording_id
                    ),
                ));
            }
            if r.position < d.start_position {
                let message = format!(
                    "requested replay start position={} is less than recording start position={} for recording {}",
                    r.position, d.start_position, r.recording_id
                );
                return Err((error_code::INVALID_POSITION, message));
            }
            if d.stop_position != NULL_POSITION && r.position >= d.stop_position {
                let message = format!(
                    "requested replay start position={} must be less than the limit position={} for recording {}",
                    r.position, d.stop_position, r.recording_id
                );
                return Err((error_code::INVALID_POSITION, message));
            }
            r.position
        };
        if r.file_io_max_length > 0 && r.file_io_max_length < d.mtu_length {
            return Err((
                error_code::GENERIC,
                format!("fileIoMaxLength={} < mtuLength={}", r.file_io_max_length, d.mtu_length),
            ));
        }
        let (stop_position, max_length) = match limit_position {
            Some(limit) => {
                if replay_position > limit {
                    let message = format!("requested replay start position={replay_position} must be less than the limit position={limit} for recording {}", r.recording_id);
                    return Err((error_code::INVALID_POSITION, message));
                }
                (limit, i64::MAX - replay_position)
            }
            None => (d.stop_position, d.stop_position - replay_position),
        };
        let length = match r.length {
            REPLAY_ALL_AND_FOLLOW => max_length,
            REPLAY_ALL_AND_STOP => {
                if stop_position == replay_position {
                    let message = format!(
                        "when replaying and stopping the replay length must be non-zero, recordingId={}",
                        r.recording_id
                    );
                    return Err((error_code::EMPTY_RECORDING, message));
                }
                stop_position - replay_position
            }
            length => length.min(max_length),
        };
        if length < 0 {
            let message = format!(
                "replay length must be positive: replayLength={length}, length={}, stopPosition={stop_position}, replayPosition={replay_position} for recording {}",
                r.length, r.recording_id
            );
            return Err((error_code::GENERIC, message));
        }
        if replay_position > d.start_position && replay_position < stop_position {
            self.check_frame_at(&d, replay_position)?;
        }
        let shape = ReplayShape {
            position: replay_position,
            initial_term_id: d.initial_term_id,
            term_length: d.term_buffer_length,
            mtu: d.mtu_length,
        };
        let channel = replay_channel(&r.replay_channel, shape)
            .map_err(|e| (error_code::GENERIC, format!("failed to process replayChannel - {e}")))?;
        let io_max = self.options.file_io_max_length;
        let buffer_length = match usize::try_from(r.file_io_max_length) {
            Ok(n) if n > 0 && n < io_max => n,
            _ => io_max,
        };
        let plan = ReplayPlan {
            requester,
            recording_id: r.recording_id,
            replay_position,
            replay_limit: replay_position.saturating_add(length),
            start_position: d.start_position,
            stop_position,
            term_length: i64::from(d.term_buffer_length),
            segment_length: i64::from(d.segment_file_length),
            limit,
            channel,
            stream_id: r.replay_stream_id,
            buffer_length: buffer_length.max(d.mtu_length.max(0) as usize),
        };
        let deadline = Instant::now() + self.options.connect_timeout;
        let replay_id = self.next_replay_id;
        self.next_replay_id += 1;
        let replay = ReplaySession::new(&self.aeron, plan, replay_id, self.options.archive_dir.clone(), deadline)
            .map_err(|message| (error_code::GENERIC, message))?;
        self.replays.push(replay);
        Ok(())
    }

    /// A replay from inside a recording must start at a frame of it.
    fn check_frame_at(&self, d: &Descriptor, position: i64) -> Result<(), (i64, String)> {
        let term_length = i64::from(d.term_buffer_length);
        let base = segment_file_base_position(
            d.start_position,
            position,
            term_length,
            i64::from(d.segment_file_length),
        );
        let path = self.options.archive_dir.join(segment_file_name(d.recording_id, base));
        let mut header = [0u8; HEADER_LENGTH];
        let read = File::open(&path).and_then(|f| f.read_exact_at(&mut header, (position - base) as u64));
        let bits = term_length.trailing_zeros();
        let term_id = d.initial_term_id.wrapping_add((position >> bits) as i32);
        let valid = read.is_ok()
            && i64::from(frame_term_offset(&header, 0)) == position & (term_length - 1)
            && frame_term_id(&header, 0) == term_id
            && frame_stream_id(&header, 0) == d.stream_id;
        if valid {
            Ok(())
        } else {
            let message = format!(
                "replayPosition={position} does not point to a valid frame, recordingId={}",
                d.recording_id
            );
            Err((error_code::INVALID_POSITION, message))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn replay_tokens_are_distinct_and_expire() {
        let mut tokens = ReplayTokens::default();
        let now = Instant::now();
        let a = tokens.issue(1, 7, now + Duration::from_secs(5));
        let b = tokens.issue(1, 7, now + Duration::from_millis(1));
        assert_ne!(a, b);
        assert!(![NULL_VALUE, i64::MIN].contains(&a) && ![NULL_VALUE, i64::MIN].contains(&b));
        tokens.expire(now + Duration::from_secs(1));
        assert!(tokens.tokens.contains_key(&a));
        assert!(!tokens.tokens.contains_key(&b), "expired");
    }
}
