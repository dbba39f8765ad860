//! The catalog: `archive.catalog` in the archive directory, laid out as Aeron's archive lays
//! it out — a `CatalogHeader` block (32 bytes), then per recording a
//! `RecordingDescriptorHeader` block (32 bytes: length, state, checksum) followed by a
//! `RecordingDescriptor` (80-byte block + stripped channel, original channel, source
//! identity), padded to the catalog's alignment (64 bytes for new catalogs).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::codecs::*;
use super::proto::{semantic_version, version_text, NULL_POSITION};
use super::segments::{align, recover_stop_position};

/// Name of the catalog file.
pub(crate) const CATALOG_FILE_NAME: &str = "archive.catalog";
/// Catalog format version (Aeron's `ArchiveMarkFile.SEMANTIC_VERSION`, 3.1.0).
const CATALOG_VERSION: i32 = semantic_version(3, 1, 0);
const CATALOG_HEADER_LENGTH: usize = CatalogHeaderEncoder::SBE_BLOCK_LENGTH as usize;
const DESCRIPTOR_HEADER_LENGTH: usize = RecordingDescriptorHeaderEncoder::SBE_BLOCK_LENGTH as usize;
const DESCRIPTOR_BLOCK_LENGTH: usize = RecordingDescriptorEncoder::SBE_BLOCK_LENGTH as usize;
const NEW_CATALOG_ALIGNMENT: i32 = 64;
/// Offsets inside a frame of fields updated in place.
const STOP_TIMESTAMP_OFFSET: u64 = (DESCRIPTOR_HEADER_LENGTH + 32) as u64;
const START_POSITION_OFFSET: u64 = (DESCRIPTOR_HEADER_LENGTH + 40) as u64;
const STOP_POSITION_OFFSET: u64 = (DESCRIPTOR_HEADER_LENGTH + 48) as u64;
const STATE_OFFSET: u64 = 4;

/// Everything the catalog knows about a recording, as the `RecordingDescriptor` message
/// carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Descriptor {
    pub recording_id: i64,
    pub start_timestamp: i64,
    pub stop_timestamp: i64,
    pub start_position: i64,
    pub stop_position: i64,
    pub initial_term_id: i32,
    pub segment_file_length: i32,
    pub term_buffer_length: i32,
    pub mtu_length: i32,
    pub session_id: i32,
    pub stream_id: i32,
    pub stripped_channel: String,
    pub original_channel: String,
    pub source_identity: String,
}

#[derive(Debug)]
struct Entry {
    descriptor: Descriptor,
    state: RecordingState,
    offset: u64,
}

/// The catalog of one archive directory.
#[derive(Debug)]
pub(crate) struct Catalog {
    path: PathBuf,
    file: File,
    entries: BTreeMap<i64, Entry>,
    next_recording_id: i64,
    next_offset: u64,
    alignment: i64,
}

fn invalid(path: &Path, why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{}: {why}", path.display()))
}

fn codec(e: SbeCodecError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

impl Catalog {
    /// Opens the catalog of `dir` (creating the directory and the file if missing). Valid
    /// recordings without a stop position (the archive stopped while recording) get the
    /// position of their last complete frame, found in their segment files.
    pub fn open(dir: &Path) -> io::Result<Catalog> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(CATALOG_FILE_NAME);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let mut catalog = Catalog {
            path,
            file,
            entries: BTreeMap::new(),
            next_recording_id: 0,
            next_offset: CATALOG_HEADER_LENGTH as u64,
            alignment: i64::from(NEW_CATALOG_ALIGNMENT),
        };
        if catalog.file.metadata()?.len() < CATALOG_HEADER_LENGTH as u64 {
            catalog.write_header()?;
        } else {
            catalog.load()?;
            catalog.recover(dir)?;
        }
        Ok(catalog)
    }

    fn write_header(&mut self) -> io::Result<()> {
        let mut buf = [0u8; CATALOG_HEADER_LENGTH];
        let mut encoder = CatalogHeaderEncoder::wrap(&mut buf, 0).map_err(codec)?;
        encoder
            .set_version(CATALOG_VERSION)
            .set_length(CATALOG_HEADER_LENGTH as i32)
            .set_next_recording_id(self.next_recording_id)
            .set_alignment(self.alignment as i32);
        self.file.write_all_at(&buf, 0)
    }

    fn load(&mut self) -> io::Result<()> {
        let bytes = std::fs::read(&self.path)?;
        let header =
            CatalogHeaderDecoder::wrap(&bytes, 0, CATALOG_HEADER_LENGTH as u16, SBE_SCHEMA_VERSION).map_err(codec)?;
        if header.version() >> 16 != CATALOG_VERSION >> 16 {
            let why = format!("incompatible catalog version {}", version_text(header.version()));
            return Err(invalid(&self.path, why));
        }
        let alignment = header.alignment();
        if alignment <= 0 || alignment & (alignment - 1) != 0 {
            return Err(invalid(&self.path, format!("invalid alignment {alignment}")));
        }
        self.alignment = i64::from(alignment);
        self.next_recording_id = header.next_recording_id();
        let mut offset = usize::try_from(header.length())
            .unwrap_or(CATALOG_HEADER_LENGTH)
            .max(CATALOG_HEADER_LENGTH);
        while offset + DESCRIPTOR_HEADER_LENGTH <= bytes.len() {
            let frame = RecordingDescriptorHeaderDecoder::wrap(
                &bytes,
                offset,
                DESCRIPTOR_HEADER_LENGTH as u16,
                SBE_SCHEMA_VERSION,
            )
            .map_err(codec)?;
            let length = usize::try_from(frame.length()).unwrap_or(0);
            let end = offset + DESCRIPTOR_HEADER_LENGTH + length;
            if length == 0 || end > bytes.len() {
                break; // end of entries, or an entry whose write did not complete
            }
            let state = frame.state();
            let descriptor = decode_descriptor(&bytes[..end], offset + DESCRIPTOR_HEADER_LENGTH).map_err(codec)?;
            self.next_recording_id = self.next_recording_id.max(descriptor.recording_id + 1);
            self.entries.insert(
                descriptor.recording_id,
                Entry {
                    descriptor,
                    state,
                    offset: offset as u64,
                },
            );
            offset = end;
        }
        self.next_offset = offset as u64;
        Ok(())
    }

    fn recover(&mut self, dir: &Path) -> io::Result<()> {
        let open: Vec<i64> = self
            .entries
            .values()
            .filter(|e| e.state == RecordingState::Valid && e.descriptor.stop_position == NULL_POSITION)
            .map(|e| e.descriptor.recording_id)
            .collect();
        for id in open {
            let d = &self.entries[&id].descriptor;
            let stop = recover_stop_position(
                dir,
                id,
                d.start_position,
                i64::from(d.term_buffer_length),
                i64::from(d.segment_file_length),
            );
            log::info!("archive: recording {id} was active when the archive stopped; stop position {stop}");
            self.recording_stopped(id, stop, epoch_ms())?;
        }
        Ok(())
    }

    /// Adds a recording (state VALID, stop position NULL) and returns its id.
    pub fn add_new_recording(&mut self, mut descriptor: Descriptor) -> io::Result<i64> {
        let recording_id = self.next_recording_id;
        descriptor.recording_id = recording_id;
        let buf = self.frame(&descriptor, 0)?;
        let frame_length = buf.len();
        self.file.write_all_at(&buf, self.next_offset)?;
        self.next_recording_id = recording_id + 1;
        self.write_header()?;
        self.entries.insert(
            recording_id,
            Entry {
                descriptor,
                state: RecordingState::Valid,
                offset: self.next_offset,
            },
        );
        self.next_offset += frame_length as u64;
        Ok(recording_id)
    }

    /// Records the stop position and time of a recording.
    pub fn recording_stopped(&mut self, recording_id: i64, position: i64, timestamp_ms: i64) -> io::Result<()> {
        let Some(entry) = self.entries.get_mut(&recording_id) else {
            return Ok(());
        };
        entry.descriptor.stop_position = position;
        entry.descriptor.stop_timestamp = timestamp_ms;
        self.file
            .write_all_at(&position.to_le_bytes(), entry.offset + STOP_POSITION_OFFSET)?;
        self.file
            .write_all_at(&timestamp_ms.to_le_bytes(), entry.offset + STOP_TIMESTAMP_OFFSET)
    }

    /// A catalog frame (descriptor header + descriptor, state VALID) for `descriptor`,
    /// padded to the alignment and to at least `min_length` bytes.
    fn frame(&self, descriptor: &Descriptor, min_length: usize) -> io::Result<Vec<u8>> {
        let length = DESCRIPTOR_HEADER_LENGTH
            + DESCRIPTOR_BLOCK_LENGTH
            + 12
            + descriptor.stripped_channel.len()
            + descriptor.original_channel.len()
            + descriptor.source_identity.len();
        let frame_length = (align(length as i64, self.alignment) as usize).max(min_length);
        let mut buf = vec![0u8; frame_length];
        encode_descriptor(&mut buf, DESCRIPTOR_HEADER_LENGTH, descriptor, 0, 0).map_err(codec)?;
        let mut header = RecordingDescriptorHeaderEncoder::wrap(&mut buf, 0).map_err(codec)?;
        header
            .set_length((frame_length - DESCRIPTOR_HEADER_LENGTH) as i32)
            .set_state(RecordingState::Valid)
            .set_checksum(0);
        Ok(buf)
    }

    /// Sets a new start position (segments detached or attached).
    pub fn set_start_position(&mut self, recording_id: i64, position: i64) -> io::Result<()> {
        let Some(entry) = self.entries.get_mut(&recording_id) else {
            return Ok(());
        };
        entry.descriptor.start_position = position;
        self.file
            .write_all_at(&position.to_le_bytes(), entry.offset + START_POSITION_OFFSET)
    }

    /// Replaces the channels of a valid recording; false if there is none. A longer entry
    /// moves the entries after it (as Aeron's catalog does).
    pub fn update_channels(&mut self, recording_id: i64, stripped: String, original: String) -> io::Result<bool> {
        let Some(entry) = self.get(recording_id).is_some().then(|| &self.entries[&recording_id]) else {
            return Ok(false);
        };
        let offset = entry.offset;
        let mut descriptor = entry.descriptor.clone();
        descriptor.stripped_channel = stripped;
        descriptor.original_channel = original;
        let next = self
            .entries
            .range(recording_id + 1..)
            .next()
            .map_or(self.next_offset, |(_, e)| e.offset);
        let old_length = (next - offset) as usize;
        let frame = self.frame(&descriptor, old_length)?;
        if frame.len() > old_length {
            let shift = (frame.len() - old_length) as u64;
            let mut rest = vec![0u8; (self.next_offset - next) as usize];
            self.file.read_exact_at(&mut rest, next)?;
            self.file.write_all_at(&rest, next + shift)?;
            for (_, e) in self.entries.range_mut(recording_id + 1..) {
                e.offset += shift;
            }
            self.next_offset += shift;
        }
        self.file.write_all_at(&frame, offset)?;
        if let Some(entry) = self.entries.get_mut(&recording_id) {
            entry.descriptor = descriptor;
        }
        Ok(true)
    }

    /// Sets a new stop position (truncation).
    pub fn set_stop_position(&mut self, recording_id: i64, position: i64) -> io::Result<()> {
        let Some(entry) = self.entries.get_mut(&recording_id) else {
            return Ok(());
        };
        entry.descriptor.stop_position = position;
        self.file
            .write_all_at(&position.to_le_bytes(), entry.offset + STOP_POSITION_OFFSET)
    }

    /// Marks a recording deleted: it is no longer listed, replayed or extended.
    pub fn mark_deleted(&mut self, recording_id: i64) -> io::Result<()> {
        let Some(entry) = self.entries.get_mut(&recording_id) else {
            return Ok(());
        };
        entry.state = RecordingState::Deleted;
        self.file.write_all_at(
            &RecordingState::Deleted.value().to_le_bytes(),
            entry.offset + STATE_OFFSET,
        )
    }

    /// The descriptor of a valid recording.
    pub fn get(&self, recording_id: i64) -> Option<&Descriptor> {
        self.entries
            .get(&recording_id)
            .filter(|e| e.state == RecordingState::Valid)
            .map(|e| &e.descriptor)
    }

    /// Valid recordings with an id `>= from`, in id order.
    pub fn valid_from(&self, from: i64) -> impl Iterator<Item = &Descriptor> + '_ {
        self.entries
            .range(from.max(0)..)
            .filter(|(_, e)| e.state == RecordingState::Valid)
            .map(|(_, e)| &e.descriptor)
    }

    /// The last valid recording with id `>= min_recording_id`, of `session_id` and
    /// `stream_id`, whose original channel contains `fragment`.
    pub fn find_last(&self, min_recording_id: i64, session_id: i32, stream_id: i32, fragment: &[u8]) -> Option<i64> {
        self.entries
            .range(min_recording_id.max(0)..)
            .rev()
            .filter(|(_, e)| e.state == RecordingState::Valid)
            .map(|(_, e)| &e.descriptor)
            .find(|d| {
                d.session_id == session_id
                    && d.stream_id == stream_id
                    && contains(d.original_channel.as_bytes(), fragment)
            })
            .map(|d| d.recording_id)
    }
}

/// True if `fragment` occurs in `haystack` (an empty fragment matches everything).
pub(crate) fn contains(haystack: &[u8], fragment: &[u8]) -> bool {
    fragment.is_empty() || haystack.windows(fragment.len()).any(|w| w == fragment)
}

/// Milliseconds since the Unix epoch.
pub(crate) fn epoch_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Writes a `RecordingDescriptor` block and its var data at `offset` of `buf` (no message
/// header); returns the bytes written.
pub(crate) fn encode_descriptor(
    buf: &mut [u8],
    offset: usize,
    d: &Descriptor,
    control_session_id: i64,
    correlation_id: i64,
) -> Result<usize, SbeCodecError> {
    let mut e = RecordingDescriptorEncoder::wrap(buf, offset)?;
    e.set_control_session_id(control_session_id)
        .set_correlation_id(correlation_id)
        .set_recording_id(d.recording_id)
        .set_start_timestamp(d.start_timestamp)
        .set_stop_timestamp(d.stop_timestamp)
        .set_start_position(d.start_position)
        .set_stop_position(d.stop_position)
        .set_initial_term_id(d.initial_term_id)
        .set_segment_file_length(d.segment_file_length)
        .set_term_buffer_length(d.term_buffer_length)
        .set_mtu_length(d.mtu_length)
        .set_session_id(d.session_id)
        .set_stream_id(d.stream_id);
    e.put_stripped_channel(d.stripped_channel.as_bytes())?
        .put_original_channel(d.original_channel.as_bytes())?
        .put_source_identity(d.source_identity.as_bytes())?;
    Ok(e.encoded_length())
}

fn decode_descriptor(buf: &[u8], offset: usize) -> Result<Descriptor, SbeCodecError> {
    let mut d = RecordingDescriptorDecoder::wrap(buf, offset, DESCRIPTOR_BLOCK_LENGTH as u16, SBE_SCHEMA_VERSION)?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Ok(Descriptor {
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
        stripped_channel: text(d.stripped_channel()?),
        original_channel: text(d.original_channel()?),
        source_identity: text(d.source_identity()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(channel: &str) -> Descriptor {
        Descriptor {
            recording_id: 0,
            start_timestamp: 1000,
            stop_timestamp: NULL_POSITION,
            start_position: 4096,
            stop_position: NULL_POSITION,
            initial_term_id: 17,
            segment_file_length: 1 << 20,
            term_buffer_length: 65536,
            mtu_length: 1408,
            session_id: -5,
            stream_id: 1001,
            stripped_channel: channel.to_string(),
            original_channel: format!("{channel}|term-length=64k"),
            source_identity: "aeron:ipc".into(),
        }
    }

    #[test]
    fn recordings_survive_reopening_in_java_layout() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut catalog = Catalog::open(dir.path()).unwrap();
            assert_eq!(catalog.add_new_recording(descriptor("aeron:ipc?alias=a")).unwrap(), 0);
            assert_eq!(catalog.add_new_recording(descriptor("aeron:ipc?alias=b")).unwrap(), 1);
            catalog.recording_stopped(0, 8192, 2000).unwrap();
            catalog.recording_stopped(1, 4096, 2001).unwrap();
            catalog.mark_deleted(1).unwrap();
        }
        let bytes = std::fs::read(dir.path().join(CATALOG_FILE_NAME)).unwrap();
        // Catalog header: version 3.1.0, length 32, next recording id 2, alignment 64.
        assert_eq!(
            i32::from_le_bytes(bytes[0..4].try_into().unwrap()),
            semantic_version(3, 1, 0)
        );
        assert_eq!(i32::from_le_bytes(bytes[4..8].try_into().unwrap()), 32);
        assert_eq!(i64::from_le_bytes(bytes[8..16].try_into().unwrap()), 2);
        assert_eq!(i32::from_le_bytes(bytes[16..20].try_into().unwrap()), 64);
        // First descriptor frame at 32: length (aligned to 64 with its header), state VALID.
        let length = i32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
        assert_eq!((32 + length) % 64, 0);
        assert_eq!(i32::from_le_bytes(bytes[36..40].try_into().unwrap()), 1);

        let catalog = Catalog::open(dir.path()).unwrap();
        let d = catalog.get(0).unwrap();
        assert_eq!(
            (d.start_position, d.stop_position, d.stop_timestamp),
            (4096, 8192, 2000)
        );
        assert_eq!(d.original_channel, "aeron:ipc?alias=a|term-length=64k");
        assert_eq!((d.session_id, d.initial_term_id, d.mtu_length), (-5, 17, 1408));
        assert!(catalog.get(1).is_none(), "deleted");
        assert_eq!(catalog.valid_from(0).count(), 1);
        assert_eq!(catalog.find_last(0, -5, 1001, b"alias=a"), Some(0));
        assert_eq!(catalog.find_last(1, -5, 1001, b"alias=a"), None);
    }

    #[test]
    fn channel_updates_and_start_positions_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut catalog = Catalog::open(dir.path()).unwrap();
            for alias in ["a", "b", "c"] {
                let id = catalog
                    .add_new_recording(descriptor(&format!("aeron:ipc?alias={alias}")))
                    .unwrap();
                catalog.recording_stopped(id, 8192, 2000).unwrap();
            }
            catalog.set_start_position(2, 65536).unwrap();
            // Shorter: stays in place.
            assert!(catalog
                .update_channels(0, "aeron:ipc".into(), "aeron:ipc".into())
                .unwrap());
            // Longer than its 64-byte-aligned frame: the entries after it move.
            let long = format!("aeron:udp?endpoint=localhost:40123|alias={}", "x".repeat(200));
            assert!(catalog.update_channels(1, long.clone(), long).unwrap());
            assert!(!catalog.update_channels(7, String::new(), String::new()).unwrap());
            catalog.mark_deleted(0).unwrap();
            assert!(
                !catalog.update_channels(0, String::new(), String::new()).unwrap(),
                "deleted"
            );
        }
        let catalog = Catalog::open(dir.path()).unwrap();
        assert!(catalog.get(0).is_none());
        let b = catalog.get(1).unwrap();
        assert!(b.original_channel.ends_with(&"x".repeat(200)));
        assert_eq!((b.stop_position, b.session_id), (8192, -5));
        let c = catalog.get(2).unwrap();
        assert_eq!(c.original_channel, "aeron:ipc?alias=c|term-length=64k");
        assert_eq!((c.start_position, c.stop_position), (65536, 8192));
        let mut reopened = catalog;
        assert_eq!(reopened.add_new_recording(descriptor("aeron:ipc?alias=d")).unwrap(), 3);
        assert_eq!(Catalog::open(dir.path()).unwrap().valid_from(0).count(), 3);
    }

    #[test]
    fn an_unfinished_entry_is_ignored_and_open_recordings_are_closed() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut catalog = Catalog::open(dir.path()).unwrap();
            catalog.add_new_recording(descriptor("aeron:ipc")).unwrap();
        }
        // A torn append: a header announcing more bytes than the file has.
        let path = dir.path().join(CATALOG_FILE_NAME);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&512i32.to_le_bytes());
        bytes.extend_from_slice(&[1, 0, 0, 0]);
        std::fs::write(&path, &bytes).unwrap();
        // Recording 0 never stopped and has no segment file: it ends where it started.
        let mut catalog = Catalog::open(dir.path()).unwrap();
        assert_eq!(catalog.get(0).unwrap().stop_position, 4096);
        assert_eq!(catalog.add_new_recording(descriptor("aeron:ipc")).unwrap(), 1);
        let catalog = Catalog::open(dir.path()).unwrap();
        assert_eq!(catalog.valid_from(0).count(), 2);
    }

    #[test]
    fn a_catalog_of_another_major_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut header = vec![0u8; 32];
        header[0..4].copy_from_slice(&semantic_version(2, 0, 0).to_le_bytes());
        header[16..20].copy_from_slice(&64i32.to_le_bytes());
        std::fs::write(dir.path().join(CATALOG_FILE_NAME), header).unwrap();
        let err = Catalog::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("incompatible catalog version 2.0.0"), "{err}");
    }
}
