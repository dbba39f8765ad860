//! An Aeron Archive server written in Rust, embedded next to the media driver.
//!
//! The real Aeron Archive is a Java server. This one speaks the same control protocol (the
//! SBE schema `aeron-archive-codecs.xml` of the Aeron tree, with codecs generated at build
//! time), so Aeron's C archive client — and therefore `rusteron-archive` — talks to it
//! unchanged: connect, record, list, query positions, replay (bounded, from a position, or
//! following a live recording — also into a replay merge, or over a response channel with
//! a replay token), stop, truncate and purge, and
//! replicate a recording from another archive (`replicate` / `stop_replication`: this
//! archive connects to the source archive as a client, has it replay the recording and
//! records the replay, optionally merging into the live stream once caught up, or through
//! a tagged multi-destination subscription; replication over a response channel is
//! refused).
//!
//! Segment maintenance works as in Aeron: detach the segments before a new start (and
//! delete them: purge), delete detached segments, attach them back, migrate segments onto
//! a contiguous recording, and replace a recording's channel in the catalog.
//!
//! Clients are authenticated by [`ArchiveOptions::authenticator`] (everyone by default, as
//! Aeron's default; credentials, challenge/response and rejection with
//! [`SimpleAuthenticator`] or your own [`Authenticator`]) and each request is checked by
//! [`ArchiveOptions::authorisation`].
//!
//! Storage failures stop a recording where its data was last written, with an error
//! response to the client that started it (`STORAGE_SPACE` when the file system is full);
//! new recordings are refused below [`ArchiveOptions::low_storage_space_threshold`].
//!
//! - [`Archive::launch`] starts the archive on its own thread, as a client of a running
//!   media driver (its aeron directory in [`ArchiveOptions::aeron_dir`]).
//! - [`ArchivingMediaDriver`] starts an [`EmbeddedDriver`] and an [`Archive`] on it;
//!   [`ArchivingMediaDriver::launch_for_tests`] does so in fresh directories, with the
//!   control channel on IPC only, so tests can run in parallel.
//!
//! Recordings are stored like Aeron's archive stores them: segment files
//! `<recordingId>-<segmentBasePosition>.rec` holding the recorded frames at their term
//! offsets, and a catalog file `archive.catalog` (catalog header, then one recording
//! descriptor header + recording descriptor per recording, 64-byte aligned). A recording
//! that was active when the archive stopped is closed at the position it reached, and the
//! catalog is reopened by the next archive on the same directory.
//!
//! ```no_run
//! use rusteron_archive::server::ArchivingMediaDriver;
//!
//! let archiving = ArchivingMediaDriver::launch_for_tests()?;
//! // Point an AeronArchiveContext at archiving.driver().dir() with control request channel
//! // `aeron:ipc`, stream 10 (archiving.archive().control_stream_id()).
//! # Ok::<(), rusteron_archive::AeronCError>(())
//! ```

mod auth;
mod catalog;
mod channel;
mod codecs;
mod conductor;
mod control;
mod handlers;
mod listing;
mod proto;
mod recorder;
mod replay_request;
mod replayer;
mod replication;
mod segment_ops;
mod segments;
mod source;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusteron_client::{AeronCError, AeronErrorType};

use rusteron_media_driver::{unique_aeron_dir, EmbeddedDriver, EmbeddedDriverOptions};

pub use auth::{
    ArchiveAction, AuthDecision, Authenticator, AuthenticatorSupplier, AuthorisationService, SessionProxy,
    SimpleAuthenticator,
};
pub use proto::ARCHIVE_PROTOCOL_SEMANTIC_VERSION;

/// Default control request channel of an archive (as Aeron's).
pub const CONTROL_CHANNEL_DEFAULT: &str = "aeron:udp?endpoint=localhost:8010";
/// Default control request stream id (as Aeron's).
pub const CONTROL_STREAM_ID_DEFAULT: i32 = 10;
/// Default local (IPC) control request channel (as Aeron's).
pub const LOCAL_CONTROL_CHANNEL_DEFAULT: &str = "aeron:ipc";
/// Default segment file length: 128 MiB (as Aeron's).
pub const SEGMENT_FILE_LENGTH_DEFAULT: i32 = 128 * 1024 * 1024;
/// Default replication channel: UDP on a free port of localhost.
pub const REPLICATION_CHANNEL_DEFAULT: &str = "aeron:udp?endpoint=localhost:0";

/// How an [`Archive`] is configured. `Default` gives Aeron's defaults, with the archive
/// directory `./archive` and the default aeron directory of the platform.
#[derive(Debug, Clone)]
pub struct ArchiveOptions {
    /// Directory of the catalog and segment files (created if missing).
    pub archive_dir: PathBuf,
    /// Aeron directory of the media driver the archive connects to.
    pub aeron_dir: PathBuf,
    /// Control request channel (UDP), or `None` to accept requests on the local channel only.
    pub control_channel: Option<String>,
    /// Stream id of the control request channel.
    pub control_stream_id: i32,
    /// Local control request channel (IPC), always on.
    pub local_control_channel: String,
    /// Stream id of the local control request channel.
    pub local_control_stream_id: i32,
    /// Archive id reported to clients and written into `RecordingPos` counters; `None` uses
    /// the client id of the archive's Aeron client (as Aeron does).
    pub archive_id: Option<i64>,
    /// Length of a segment file: a power of two; a recording whose term is longer uses its
    /// term length.
    pub segment_file_length: i32,
    /// How long a control session or a replay may take to connect, and how long responses
    /// may fail to send, before it is closed.
    pub connect_timeout: Duration,
    /// How often an active control session checks its client is still there (a ping).
    pub session_liveness_check_interval: Duration,
    /// Most recordings running at once.
    pub max_concurrent_recordings: usize,
    /// Most replays running at once.
    pub max_concurrent_replays: usize,
    /// Largest read or write of segment data in one go (also the replay buffer size).
    pub file_io_max_length: usize,
    /// Below this many bytes of usable space in the archive directory's file system, new
    /// recordings and replications are refused with a `STORAGE_SPACE` error (as Aeron's
    /// `lowStorageSpaceThreshold`); `None` uses the segment file length.
    pub low_storage_space_threshold: Option<u64>,
    /// Channel a replication replays the source recording to when the request names none
    /// (as Aeron's `replicationChannel`); an endpoint with port 0 gets a free port.
    pub replication_channel: String,
    /// Makes the archive's [`Authenticator`]: who may connect (default: everyone).
    pub authenticator: AuthenticatorSupplier,
    /// Which requests an authenticated client may make (default: all).
    pub authorisation: AuthorisationService,
}

impl Default for ArchiveOptions {
    fn default() -> Self {
        ArchiveOptions {
            archive_dir: PathBuf::from("archive"),
            aeron_dir: PathBuf::from(default_aeron_dir()),
            control_channel: Some(CONTROL_CHANNEL_DEFAULT.to_string()),
            control_stream_id: CONTROL_STREAM_ID_DEFAULT,
            local_control_channel: LOCAL_CONTROL_CHANNEL_DEFAULT.to_string(),
            local_control_stream_id: CONTROL_STREAM_ID_DEFAULT,
            archive_id: None,
            segment_file_length: SEGMENT_FILE_LENGTH_DEFAULT,
            connect_timeout: Duration::from_secs(5),
            session_liveness_check_interval: Duration::from_secs(1),
            max_concurrent_recordings: 20,
            max_concurrent_replays: 20,
            file_io_max_length: 1024 * 1024,
            low_storage_space_threshold: None,
            replication_channel: REPLICATION_CHANNEL_DEFAULT.to_string(),
            authenticator: AuthenticatorSupplier::default(),
            authorisation: AuthorisationService::default(),
        }
    }
}

fn default_aeron_dir() -> String {
    let mut buf = [0u8; 4096];
    // SAFETY: the buffer is writable for its length; C writes a NUL-terminated path into it.
    unsafe { rusteron_sys::aeron_default_path(buf.as_mut_ptr().cast(), buf.len()) };
    let end = buf.iter().position(|&b| b == 0).unwrap_or(0);
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

impl ArchiveOptions {
    /// The usable space below which recordings are refused.
    pub(crate) fn low_storage_threshold(&self) -> u64 {
        self.low_storage_space_threshold
            .unwrap_or(self.segment_file_length.max(0) as u64)
    }

    /// Checks values the archive cannot work with.
    fn validate(&self) -> Result<(), AeronCError> {
        let invalid = |m: String| Err(AeronCError::with_message(AeronErrorType::InvalidArgument, m));
        let seg = self.segment_file_length;
        if seg < 64 * 1024 || (seg & (seg - 1)) != 0 {
            return invalid(format!("segment_file_length must be a power of two >= 64 KiB: {seg}"));
        }
        if self.file_io_max_length < 4096 {
            return invalid(format!("file_io_max_length too small: {}", self.file_io_max_length));
        }
        Ok(())
    }
}

/// A running archive: its conductor thread records and replays until [`Archive::stop`] or
/// drop, which closes every session, stops active recordings at the position they reached
/// (written to the catalog) and joins the thread.
pub struct Archive {
    running: Arc<AtomicBool>,
    stats: Arc<ArchiveStats>,
    thread: Option<JoinHandle<()>>,
    archive_id: i64,
    options: ArchiveOptions,
}

impl Archive {
    /// Starts an archive with `options` on its own thread and waits until it listens on its
    /// control channels (or failed to: bad directory, unreadable catalog, no driver...).
    pub fn launch(options: ArchiveOptions) -> Result<Archive, AeronCError> {
        options.validate()?;
        let running = Arc::new(AtomicBool::new(true));
        let stats = Arc::new(ArchiveStats::default());
        let (ready_tx, ready_rx) = mpsc::channel::<Result<i64, String>>();
        let thread_options = options.clone();
        let thread_running = Arc::clone(&running);
        let thread_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("aeron-archive".into())
            .spawn(move || conductor::run(thread_options, thread_running, thread_stats, ready_tx))
            .map_err(|e| {
                AeronCError::with_message(AeronErrorType::GenericError, format!("spawn archive thread: {e}"))
            })?;
        let ready = ready_rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|e| Err(format!("archive did not start: {e}")));
        match ready {
            Ok(archive_id) => {
                log::debug!("archive {archive_id} started in {}", options.archive_dir.display());
                Ok(Archive {
                    running,
                    stats,
                    thread: Some(thread),
                    archive_id,
                    options,
                })
            }
            Err(message) => {
                running.store(false, Ordering::Release);
                let _ = thread.join();
                Err(AeronCError::with_message(AeronErrorType::GenericError, message))
            }
        }
    }

    /// The archive id clients see (`get_archive_id`) and `RecordingPos` counters carry.
    pub fn archive_id(&self) -> i64 {
        self.archive_id
    }

    /// Control sessions open now (connected clients, and clients connecting).
    pub fn control_sessions(&self) -> usize {
        self.stats.control_sessions.load(Ordering::Acquire)
    }

    /// Images being recorded now.
    pub fn recording_sessions(&self) -> usize {
        self.stats.recording_sessions.load(Ordering::Acquire)
    }

    /// Replays running now.
    pub fn replay_sessions(&self) -> usize {
        self.stats.replay_sessions.load(Ordering::Acquire)
    }

    /// The archive directory.
    pub fn archive_dir(&self) -> &Path {
        &self.options.archive_dir
    }

    /// The options the archive runs with.
    pub fn options(&self) -> &ArchiveOptions {
        &self.options
    }

    /// Stops the archive now (the same as dropping it).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Archive {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                log::error!("archive conductor thread panicked");
            }
        }
    }
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive")
            .field("archive_id", &self.archive_id)
            .field("archive_dir", &self.options.archive_dir)
            .finish()
    }
}

/// Session counts the conductor publishes after each duty cycle.
#[derive(Debug, Default)]
pub(crate) struct ArchiveStats {
    pub control_sessions: AtomicUsize,
    pub recording_sessions: AtomicUsize,
    pub replay_sessions: AtomicUsize,
}

/// A media driver and an archive on it, in this process. Dropping it stops the archive
/// first, then the driver.
pub struct ArchivingMediaDriver {
    archive: Option<Archive>,
    driver: Option<EmbeddedDriver>,
    temp_archive_dir: Option<PathBuf>,
}

impl ArchivingMediaDriver {
    /// Starts the driver configured by `driver_options`, then an archive with
    /// `archive_options` on it (its `aeron_dir` is set to the driver's directory).
    pub fn launch(
        driver_options: &EmbeddedDriverOptions,
        mut archive_options: ArchiveOptions,
    ) -> Result<ArchivingMediaDriver, AeronCError> {
        let driver = driver_options.launch()?;
        archive_options.aeron_dir = driver.dir().to_path_buf();
        let archive = Archive::launch(archive_options)?;
        Ok(ArchivingMediaDriver {
            archive: Some(archive),
            driver: Some(driver),
            temp_archive_dir: None,
        })
    }

    /// A driver for tests ([`EmbeddedDriverOptions::default`]) and an archive in a fresh
    /// directory that is removed on drop, listening on `aeron:ipc` stream 10 only, with
    /// 1 MiB segment files.
    pub fn launch_for_tests() -> Result<ArchivingMediaDriver, AeronCError> {
        Self::launch_for_tests_with(|_| {})
    }

    /// As [`launch_for_tests`](Self::launch_for_tests), with the archive options changed by
    /// `configure` first (e.g. an authenticator); the archive directory stays a fresh one
    /// removed on drop unless `configure` replaces it.
    pub fn launch_for_tests_with(
        configure: impl FnOnce(&mut ArchiveOptions),
    ) -> Result<ArchivingMediaDriver, AeronCError> {
        let dir = unique_aeron_dir("archive");
        let mut options = ArchiveOptions {
            archive_dir: dir.clone(),
            control_channel: None,
            segment_file_length: 1024 * 1024,
            ..ArchiveOptions::default()
        };
        configure(&mut options);
        let temp_archive_dir = (options.archive_dir == dir).then_some(dir);
        let mut archiving = Self::launch(&EmbeddedDriverOptions::default(), options)?;
        archiving.temp_archive_dir = temp_archive_dir;
        Ok(archiving)
    }

    /// The archive.
    pub fn archive(&self) -> &Archive {
        self.archive.as_ref().expect("present until drop")
    }

    /// The media driver.
    pub fn driver(&self) -> &EmbeddedDriver {
        self.driver.as_ref().expect("present until drop")
    }

    /// Stops both now (the same as dropping).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for ArchivingMediaDriver {
    fn drop(&mut self) {
        drop(self.archive.take());
        drop(self.driver.take());
        if let Some(dir) = self.temp_archive_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl std::fmt::Debug for ArchivingMediaDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchivingMediaDriver")
            .field("archive", &self.archive)
            .field("driver", &self.driver)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launches_and_stops_with_nothing_running() {
        let archiving = ArchivingMediaDriver::launch_for_tests().unwrap();
        let archive = archiving.archive();
        assert_ne!(archive.archive_id(), -1);
        assert!(archive.archive_dir().join("archive.catalog").is_file());
        assert_eq!(
            (
                archive.control_sessions(),
                archive.recording_sessions(),
                archive.replay_sessions()
            ),
            (0, 0, 0)
        );
        let dir = archive.archive_dir().to_path_buf();
        archiving.stop();
        assert!(!dir.exists(), "the test archive directory is removed");
    }

    #[test]
    fn bad_options_and_directories_are_errors() {
        let bad = ArchiveOptions {
            segment_file_length: 100_000,
            ..ArchiveOptions::default()
        };
        let err = Archive::launch(bad).unwrap_err();
        assert!(err.message().unwrap_or("").contains("power of two"), "{err:?}");

        let driver = rusteron_media_driver::launch_for_tests().unwrap();
        let file = tempfile::NamedTempFile::new().unwrap();
        let options = ArchiveOptions {
            archive_dir: file.path().to_path_buf(),
            aeron_dir: driver.dir().to_path_buf(),
            control_channel: None,
            ..ArchiveOptions::default()
        };
        let err = Archive::launch(options.clone()).unwrap_err();
        assert!(err.message().unwrap_or("").contains("archive directory"), "{err:?}");

        let dir = tempfile::tempdir().unwrap();
        let bad_channel = ArchiveOptions {
            archive_dir: dir.path().to_path_buf(),
            local_control_channel: "aeron:bogus".into(),
            ..options
        };
        let err = Archive::launch(bad_channel).unwrap_err();
        assert!(
            err.message().unwrap_or("").contains("control channel aeron:bogus"),
            "{err:?}"
        );
    }

    #[test]
    fn an_explicit_archive_id_is_used() {
        let options = ArchiveOptions {
            archive_id: Some(4242),
            control_channel: None,
            archive_dir: unique_aeron_dir("archive-id"),
            ..ArchiveOptions::default()
        };
        let dir = options.archive_dir.clone();
        let archiving = ArchivingMediaDriver::launch(&EmbeddedDriverOptions::default(), options).unwrap();
        assert_eq!(archiving.archive().archive_id(), 4242);
        drop(archiving);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
