//! Segment files: `<recordingId>-<segmentBasePosition>.rec`, each `segment_length` bytes,
//! holding a recording's frames at `position - segmentBasePosition` (so terms keep their
//! offsets), as Aeron's archive lays them out.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Length of an Aeron data frame header.
pub(crate) const HEADER_LENGTH: usize = 32;
/// Frames are aligned to this many bytes.
pub(crate) const FRAME_ALIGNMENT: i64 = 32;
/// Frame type of padding.
pub(crate) const HDR_TYPE_PAD: u16 = 0;
/// Frame type of data.
pub(crate) const HDR_TYPE_DATA: u16 = 1;

/// Suffix of segment files.
const SEGMENT_SUFFIX: &str = ".rec";

/// File name of the segment of `recording_id` starting at `segment_base_position`.
pub(crate) fn segment_file_name(recording_id: i64, segment_base_position: i64) -> String {
    format!("{recording_id}-{segment_base_position}{SEGMENT_SUFFIX}")
}

/// Base position of the segment holding `position` (Aeron's `segmentFileBasePosition`).
pub(crate) fn segment_file_base_position(
    start_position: i64,
    position: i64,
    term_length: i64,
    segment_length: i64,
) -> i64 {
    let start_term_base = start_position - (start_position & (term_length - 1));
    let length_from_base = position - start_term_base;
    start_term_base + (length_from_base - (length_from_base & (segment_length - 1)))
}

/// Frame fields read from a header in little-endian order.
pub(crate) fn frame_length(buf: &[u8], offset: usize) -> i32 {
    read_i32(buf, offset)
}
pub(crate) fn frame_type(buf: &[u8], offset: usize) -> u16 {
    buf.get(offset + 6..offset + 8)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
}
pub(crate) fn frame_term_offset(buf: &[u8], offset: usize) -> i32 {
    read_i32(buf, offset + 8)
}
pub(crate) fn frame_stream_id(buf: &[u8], offset: usize) -> i32 {
    read_i32(buf, offset + 16)
}
pub(crate) fn frame_term_id(buf: &[u8], offset: usize) -> i32 {
    read_i32(buf, offset + 20)
}

fn read_i32(buf: &[u8], at: usize) -> i32 {
    buf.get(at..at + 4)
        .map_or(0, |b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// `value` rounded up to a multiple of `alignment` (a power of two).
pub(crate) fn align(value: i64, alignment: i64) -> i64 {
    (value + alignment - 1) & !(alignment - 1)
}

/// Writes the blocks of one image into segment files, rolling to a new file at each
/// segment boundary.
#[derive(Debug)]
pub(crate) struct SegmentWriter {
    dir: PathBuf,
    recording_id: i64,
    segment_length: i64,
    segment_base: i64,
    segment_offset: i64,
    file: Option<File>,
}

impl SegmentWriter {
    /// A writer continuing `recording_id` (started at `start_position`) at `position`,
    /// opening (or creating) the segment file for it.
    pub fn open(
        dir: &Path,
        recording_id: i64,
        start_position: i64,
        position: i64,
        term_length: i64,
        segment_length: i64,
    ) -> io::Result<SegmentWriter> {
        let segment_base = segment_file_base_position(start_position, position, term_length, segment_length);
        let mut writer = SegmentWriter {
            dir: dir.to_path_buf(),
            recording_id,
            segment_length,
            segment_base,
            segment_offset: position - segment_base,
            file: None,
        };
        writer.open_segment(false)?;
        Ok(writer)
    }

    fn open_segment(&mut self, must_be_new: bool) -> io::Result<()> {
        let path = self.dir.join(segment_file_name(self.recording_id, self.segment_base));
        if must_be_new && path.exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("segment file already exists: {}", path.display()),
            ));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        if file.metadata()?.len() < self.segment_length as u64 {
            file.set_len(self.segment_length as u64)?;
        }
        self.file = Some(file);
        Ok(())
    }

    /// The position after the last byte written.
    pub fn position(&self) -> i64 {
        self.segment_base + self.segment_offset
    }

    /// Writes one block of frames as `image.block_poll` delivers it. A padding frame (which
    /// comes alone) is written as its header only, and advances by its whole length.
    pub fn on_block(&mut self, block: &[u8]) -> io::Result<()> {
        if block.is_empty() {
            return Ok(());
        }
        let data = if frame_type(block, 0) == HDR_TYPE_PAD && block.len() >= HEADER_LENGTH {
            &block[..HEADER_LENGTH]
        } else {
            block
        };
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "segment file is closed"))?;
        file.write_all_at(data, self.segment_offset as u64)?;
        self.segment_offset += block.len() as i64;
        if self.segment_offset >= self.segment_length {
            self.file = None;
            self.segment_base += self.segment_length;
            self.segment_offset = 0;
            self.open_segment(true)?;
        }
        Ok(())
    }

    /// Closes the current segment file.
    pub fn close(&mut self) {
        self.file = None;
    }
}

/// Bytes an unprivileged process can still write to the file system of `dir`.
pub(crate) fn usable_space(dir: &Path) -> io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: statvfs is plain data, written by the call below before it is read.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a writable statvfs.
    if unsafe { libc::statvfs(path.as_ptr(), &mut stats) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // The field types differ between platforms (u32 on some): widen explicitly.
    #[allow(clippy::useless_conversion)]
    let (blocks, block_size) = (u64::from(stats.f_bavail), u64::from(stats.f_frsize));
    Ok(blocks.saturating_mul(block_size))
}

/// Segment base positions of the files of `recording_id` in `dir`, sorted.
pub(crate) fn list_segments(dir: &Path, recording_id: i64) -> Vec<i64> {
    let prefix = format!("{recording_id}-");
    let mut bases: Vec<i64> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    name.strip_prefix(&prefix)?.strip_suffix(SEGMENT_SUFFIX)?.parse().ok()
                })
                .collect()
        })
        .unwrap_or_default();
    bases.sort_unstable();
    bases
}

/// Deletes the segment files of `recording_id` whose base is `>= from_base`; returns how
/// many were deleted.
pub(crate) fn delete_segments_from(dir: &Path, recording_id: i64, from_base: i64) -> i64 {
    let mut deleted = 0;
    for base in list_segments(dir, recording_id) {
        if base >= from_base {
            match std::fs::remove_file(dir.join(segment_file_name(recording_id, base))) {
                Ok(()) => deleted += 1,
                Err(e) => log::warn!("archive: deleting segment {recording_id}-{base}: {e}"),
            }
        }
    }
    deleted
}

/// Zeroes a segment from `offset` to its end (truncating a recording inside a segment).
pub(crate) fn erase_from(dir: &Path, recording_id: i64, segment_base: i64, offset: i64) -> io::Result<()> {
    let path = dir.join(segment_file_name(recording_id, segment_base));
    let file = OpenOptions::new().write(true).open(path)?;
    let length = file.metadata()?.len();
    let zeros = vec![0u8; 64 * 1024];
    let mut at = offset as u64;
    while at < length {
        let n = zeros.len().min((length - at) as usize);
        file.write_all_at(&zeros[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

/// The position after the last complete frame of a recording whose stop position was not
/// written (the archive stopped while recording): scans the last segment file.
pub(crate) fn recover_stop_position(
    dir: &Path,
    recording_id: i64,
    start_position: i64,
    term_length: i64,
    segment_length: i64,
) -> i64 {
    let Some(&base) = list_segments(dir, recording_id).last() else {
        return start_position;
    };
    let Ok(file) = File::open(dir.join(segment_file_name(recording_id, base))) else {
        return start_position;
    };
    let first = if base <= start_position {
        start_position - base
    } else {
        0
    };
    let mut offset = first;
    let mut header = [0u8; HEADER_LENGTH];
    while offset + (HEADER_LENGTH as i64) <= segment_length {
        if file.read_exact_at(&mut header, offset as u64).is_err() {
            break;
        }
        let length = frame_length(&header, 0);
        if length <= 0 {
            break;
        }
        let term_offset = (offset & (term_length - 1)) as i32;
        if frame_term_offset(&header, 0) != term_offset {
            break;
        }
        offset += align(i64::from(length), FRAME_ALIGNMENT);
    }
    (base + offset).max(start_position)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(term_offset: i32, length: i32, frame_type: u16) -> Vec<u8> {
        let mut f = vec![0u8; align(i64::from(length), FRAME_ALIGNMENT) as usize];
        f[0..4].copy_from_slice(&length.to_le_bytes());
        f[6..8].copy_from_slice(&frame_type.to_le_bytes());
        f[8..12].copy_from_slice(&term_offset.to_le_bytes());
        f
    }

    #[test]
    fn base_positions_follow_aeron() {
        let (term, segment) = (65536, 4 * 65536);
        assert_eq!(segment_file_base_position(0, 0, term, segment), 0);
        assert_eq!(segment_file_base_position(0, segment, term, segment), segment);
        // A recording starting mid-term: segments are counted from its term's base.
        assert_eq!(segment_file_base_position(65536 + 96, 65536 + 96, term, segment), 65536);
        assert_eq!(
            segment_file_base_position(65536 + 96, 65536 + segment + 1, term, segment),
            65536 + segment
        );
        assert_eq!(segment_file_name(3, 65536), "3-65536.rec");
    }

    #[test]
    fn writes_roll_over_segments_and_recovery_finds_the_last_frame() {
        let dir = tempfile::tempdir().unwrap();
        let (term, segment) = (65536i64, 65536i64 * 2);
        let mut writer = SegmentWriter::open(dir.path(), 9, 0, 0, term, segment).unwrap();
        let mut position = 0i64;
        // Fill a whole segment with 1 KiB frames, then a padding frame, then two more frames.
        while position < segment - 1024 {
            writer
                .on_block(&frame((position % term) as i32, 1024, HDR_TYPE_DATA))
                .unwrap();
            position += 1024;
        }
        let mut padding = frame((position % term) as i32, 1024, HDR_TYPE_PAD);
        padding[HEADER_LENGTH..].fill(0xee);
        writer.on_block(&padding).unwrap();
        position += 1024;
        assert_eq!(list_segments(dir.path(), 9), vec![0, segment]);
        for _ in 0..2 {
            writer
                .on_block(&frame((position % term) as i32, 100, HDR_TYPE_DATA))
                .unwrap();
            position += 128;
        }
        assert_eq!(writer.position(), position);
        writer.close();
        // Padding is stored as its header only.
        let first = std::fs::read(dir.path().join(segment_file_name(9, 0))).unwrap();
        assert_eq!(first.len() as i64, segment);
        assert!(first[(segment - 1024) as usize + HEADER_LENGTH..]
            .iter()
            .all(|&b| b == 0));
        assert_eq!(recover_stop_position(dir.path(), 9, 0, term, segment), position);
        assert_eq!(delete_segments_from(dir.path(), 9, segment), 1);
        assert_eq!(recover_stop_position(dir.path(), 9, 0, term, segment), segment);
        // Reopening for an existing segment continues it; a rolled-to file must be new.
        let again = SegmentWriter::open(dir.path(), 9, 0, 2048, term, segment).unwrap();
        assert_eq!(again.position(), 2048);
    }
}
