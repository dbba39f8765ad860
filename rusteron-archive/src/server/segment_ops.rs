//! Segment maintenance requests, as Aeron's archive serves them: detach the segments
//! before a new start position (and optionally delete them: purge), delete detached
//! segments, attach them back, migrate the segments of one recording onto the start or
//! end of another, and replace a recording's channel in the catalog.
//!
//! Files are renamed and deleted synchronously in the duty cycle (Aeron deletes in a
//! background session); the `DELETE` signal follows the OK response in every case.

use std::fs::File;
use std::os::unix::fs::FileExt;

use rusteron_client::ChannelUri;

use super::catalog::Descriptor;
use super::channel::stripped;
use super::codecs::ControlResponseCode;
use super::conductor::Conductor;
use super::proto::*;
use super::recorder::Requester;
use super::segments::*;

type Answer = Result<i64, (i64, String)>;

fn generic(message: String) -> (i64, String) {
    (error_code::GENERIC, message)
}

/// Base position of the segment of `d` holding `position`.
fn base_of(d: &Descriptor, position: i64) -> i64 {
    segment_file_base_position(
        d.start_position,
        position,
        i64::from(d.term_buffer_length),
        i64::from(d.segment_file_length),
    )
}

impl Conductor {
    fn descriptor(&self, recording_id: i64) -> Result<Descriptor, (i64, String)> {
        self.catalog.get(recording_id).cloned().ok_or_else(|| {
            (
                error_code::UNKNOWN_RECORDING,
                format!("unknown recording id: {recording_id}"),
            )
        })
    }

    /// Where the recording ends now: its stop position, or how far it has been recorded.
    fn end_position(&self, d: &Descriptor) -> i64 {
        match self.recorder.session(d.recording_id) {
            Some(session) => session.position(),
            None if d.stop_position == NULL_POSITION => d.start_position,
            None => d.stop_position,
        }
    }

    /// Aeron's `isValidDetach`: `position` is a segment start after the first segment, not
    /// beyond the segment being written, and no replay still reads before it.
    fn check_detach(&self, d: &Descriptor, position: i64) -> Result<(), (i64, String)> {
        let segment_length = i64::from(d.segment_file_length);
        let lower_bound = base_of(d, d.start_position) + segment_length;
        if position != base_of(d, position) {
            return Err(generic(format!("invalid segment start: newStartPosition={position}")));
        }
        if position < lower_bound {
            return Err(generic(format!(
                "invalid detach: newStartPosition={position} lowerBound={lower_bound}"
            )));
        }
        let upper_bound = base_of(d, self.end_position(d));
        if position > upper_bound {
            return Err(generic(format!(
                "invalid detach: in use, newStartPosition={position} upperBound={upper_bound}"
            )));
        }
        let replaying = self
            .replays
            .iter()
            .filter(|r| r.recording_id() == d.recording_id && !r.is_done())
            .map(|r| r.segment_base_position())
            .filter(|&base| position > base)
            .min();
        if let Some(base) = replaying {
            return Err(generic(format!(
                "invalid detach: replay in progress, newStartPosition={position} upperBound={base}"
            )));
        }
        Ok(())
    }

    /// Detaches the segments before `position` (the new start); with `delete`, deletes
    /// them too (purge) and answers with how many.
    pub(super) fn detach_segments(
        &mut self,
        requester: Requester,
        recording_id: i64,
        position: i64,
        delete: bool,
    ) -> Answer {
        let d = self.descriptor(recording_id)?;
        self.check_detach(&d, position)?;
        let old_start_base = base_of(&d, d.start_position);
        self.catalog
            .set_start_position(recording_id, position)
            .map_err(|e| generic(e.to_string()))?;
        if !delete {
            return Ok(0);
        }
        let deleted = self.delete_segments_between(recording_id, old_start_base, position)?;
        self.signal_delete(requester, recording_id);
        Ok(deleted)
    }

    /// Deletes the segment files of a recording that lie before its start.
    pub(super) fn delete_detached_segments(&mut self, requester: Requester, recording_id: i64) -> Answer {
        let d = self.descriptor(recording_id)?;
        let start_base = base_of(&d, d.start_position);
        let deleted = self.delete_segments_between(recording_id, i64::MIN, start_base)?;
        self.signal_delete(requester, recording_id);
        Ok(deleted)
    }

    /// Deletes the segment files of `recording_id` with a base in `from..to`.
    fn delete_segments_between(&self, recording_id: i64, from: i64, to: i64) -> Answer {
        let dir = &self.options.archive_dir;
        let mut deleted = 0;
        for base in list_segments(dir, recording_id) {
            if (from..to).contains(&base) {
                let path = dir.join(segment_file_name(recording_id, base));
                std::fs::remove_file(&path)
                    .map_err(|e| generic(format!("failed to delete {}: {e}", path.display())))?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// Attaches the detached segments found before the start of a recording, each
    /// checked (full length, first frame of the expected term and stream); answers with
    /// how many were attached.
    pub(super) fn attach_segments(&mut self, recording_id: i64) -> Answer {
        let d = self.descriptor(recording_id)?;
        let segment_length = i64::from(d.segment_file_length);
        let term_length = i64::from(d.term_buffer_length);
        let mut position = d.start_position - segment_length;
        let mut count = 0;
        while position >= 0 {
            let path = self.options.archive_dir.join(segment_file_name(recording_id, position));
            let Ok(file) = File::open(&path) else {
                break;
            };
            let length = file.metadata().map_err(|e| generic(e.to_string()))?.len();
            if length != segment_length as u64 {
                return Err(generic(format!(
                    "fileLength={length} not equal to segmentLength={segment_length}"
                )));
            }
            let term_id = d.initial_term_id.wrapping_add((position / term_length) as i32);
            let offset = first_frame_offset(&file, term_length, term_id, d.stream_id)
                .map_err(|e| generic(format!("{}: {e}", path.display())))?;
            count += 1;
            if offset == 0 {
                self.catalog
                    .set_start_position(recording_id, position)
                    .map_err(|e| generic(e.to_string()))?;
                position -= segment_length;
            } else {
                self.catalog
                    .set_start_position(recording_id, position + offset)
                    .map_err(|e| generic(e.to_string()))?;
                break;
            }
        }
        Ok(count)
    }

    /// Moves the segments of a stopped recording onto the start or the end of another
    /// with the same stream shape, leaving the source empty; answers with how many moved.
    pub(super) fn migrate_segments(&mut self, requester: Requester, src_id: i64, dst_id: i64) -> Answer {
        let src = self.descriptor(src_id)?;
        let dst = self.descriptor(dst_id)?;
        if src.stop_position == NULL_POSITION || self.recorder.session(src_id).is_some() {
            return Err(generic(format!("recording {src_id} is still active")));
        }
        let mismatch = [
            ("SegmentFileLength", src.segment_file_length, dst.segment_file_length),
            ("TermBufferLength", src.term_buffer_length, dst.term_buffer_length),
            ("InitialTermId", src.initial_term_id, dst.initial_term_id),
            ("StreamId", src.stream_id, dst.stream_id),
            ("MtuLength", src.mtu_length, dst.mtu_length),
        ]
        .into_iter()
        .find(|(_, s, d)| s != d);
        if let Some((name, s, d)) = mismatch {
            return Err(generic(format!("invalid migrate: src{name}={s} dst{name}={d}")));
        }
        let onto_start = src.stop_position == dst.start_position;
        let join = if onto_start {
            src.stop_position
        } else if src.start_position == dst.stop_position {
            src.start_position
        } else {
            return Err(generic(format!(
                "invalid migrate: src and dst are not contiguous srcStartPosition={} srcStopPosition={} \
                 dstStartPosition={} dstStopPosition={}",
                src.start_position, src.stop_position, dst.start_position, dst.stop_position
            )));
        };
        for (label, d) in [("src", &src), ("dst", &dst)] {
            if base_of(d, join) != join {
                return Err(generic(format!(
                    "invalid migrate: join position is not on segment boundary of {label} recording \
                     seamPosition={join} startPosition={} stopPosition={}",
                    d.start_position, d.stop_position
                )));
            }
        }
        let dir = self.options.archive_dir.clone();
        let segment_length = i64::from(src.segment_file_length);
        let first = base_of(&src, src.start_position);
        let last = base_of(&src, src.stop_position);
        // The segment starting at the source's stop position holds nothing: deleted, not moved.
        let bases: Vec<i64> = (0..)
            .map(|k| first + k * segment_length)
            .take_while(|&b| b <= last)
            .collect();
        for &base in bases.iter().filter(|&&b| b != src.stop_position) {
            let from = dir.join(segment_file_name(src_id, base));
            let to = dir.join(segment_file_name(dst_id, base));
            if !from.exists() {
                return Err(generic(format!("missing src segment file {}", from.display())));
            }
            if to.exists() {
                return Err(generic(format!("preexisting dst segment file {}", to.display())));
            }
        }
        let mut moved = 0;
        let mut deleted = 0;
        for &base in &bases {
            let from = dir.join(segment_file_name(src_id, base));
            if base == src.stop_position {
                if from.exists() {
                    std::fs::remove_file(&from)
                        .map_err(|e| generic(format!("failed to delete {}: {e}", from.display())))?;
                    deleted += 1;
                }
                continue;
            }
            let to = dir.join(segment_file_name(dst_id, base));
            std::fs::rename(&from, &to)
                .map_err(|e| generic(format!("failed to rename {} to {}: {e}", from.display(), to.display())))?;
            moved += 1;
        }
        let io = |e: std::io::Error| generic(e.to_string());
        if onto_start {
            self.catalog
                .set_start_position(dst_id, src.start_position)
                .map_err(io)?;
        } else {
            self.catalog.set_stop_position(dst_id, src.stop_position).map_err(io)?;
        }
        self.catalog.set_stop_position(src_id, src.start_position).map_err(io)?;
        if moved > 0 || deleted > 0 {
            self.signal_delete(requester, src_id);
        }
        Ok(moved)
    }

    /// Replaces the original and stripped channel of a recording.
    pub(super) fn update_channel(&mut self, requester: Requester, recording_id: i64, channel: &str) -> Option<Answer> {
        let uri = match ChannelUri::parse(channel) {
            Ok(uri) => uri,
            Err(e) => return Some(Err(generic(format!("invalid channel {channel:?}: {e}")))),
        };
        let stripped_channel = match stripped(&uri) {
            Ok(s) => s.to_string(),
            Err(e) => return Some(Err(generic(e.to_string()))),
        };
        match self
            .catalog
            .update_channels(recording_id, stripped_channel, channel.to_string())
        {
            Ok(true) => Some(Ok(0)),
            Ok(false) => {
                // As Aeron: a RECORDING_UNKNOWN response rather than an error.
                self.respond(requester, ControlResponseCode::RecordingUnknown, recording_id, "");
                None
            }
            Err(e) => Some(Err(generic(e.to_string()))),
        }
    }
}

/// Offset of the first frame in the first term of a segment file, checked to belong to
/// `term_id` and `stream_id` (Aeron's `findTermOffsetForStart`).
fn first_frame_offset(file: &File, term_length: i64, term_id: i32, stream_id: i32) -> Result<i64, String> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut offset = 0i64;
    while offset < term_length {
        let want = (term_length - offset).min(buf.len() as i64) as usize;
        let read = file
            .read_at(&mut buf[..want], offset as u64)
            .map_err(|e| format!("read failed: {e}"))?;
        let usable = read - read % FRAME_ALIGNMENT as usize;
        if usable == 0 {
            break;
        }
        let found = (0..usable)
            .step_by(FRAME_ALIGNMENT as usize)
            .find(|&at| at + HEADER_LENGTH <= usable && frame_length(&buf, at) > 0);
        if let Some(at) = found {
            let (file_term_id, file_stream_id) = (frame_term_id(&buf, at), frame_stream_id(&buf, at));
            if file_term_id != term_id {
                return Err(format!(
                    "term id does not match: actual={file_term_id} expected={term_id}"
                ));
            }
            if file_stream_id != stream_id {
                return Err(format!(
                    "stream id does not match: actual={file_stream_id} expected={stream_id}"
                ));
            }
            return Ok(offset + at as i64);
        }
        offset += usable as i64;
    }
    Err("fragment not found in first term of segment".to_string())
}
