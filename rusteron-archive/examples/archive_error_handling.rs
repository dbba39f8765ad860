//! What archive failures look like, and how to tell them apart: every failure is an
//! [`AeronCError`]; [`ArchiveErrorExt`] reads the archive's error code from it
//! (`archive_error_code()`) and says whether the archive did not answer in time
//! (`is_archive_timeout()`, and then the kind is [`AeronErrorType::TimedOut`]).
//!
//! Cases shown, against an embedded media driver and archive started for the run:
//! 1. a recording id the archive does not know → `UnknownRecording`;
//! 2. replays from a bad position → `InvalidPosition` (past the end of the recording) and
//!    `Generic` (not on a 32-byte frame boundary);
//! 3. no archive listening → `TimedOut` after the context's message timeout;
//! 4. a closed session: the archive client closed by its owner → `ResourceClosed` on any
//!    later call; the archive went away → the next request fails (not connected, or timed
//!    out), never hangs.
//!
//! ```text
//! cargo run -p rusteron-archive --example archive_error_handling
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use rusteron_archive::*;
use rusteron_archive::server::{Archive, ArchiveOptions};
use rusteron_media_driver::EmbeddedDriverOptions;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "archive_error_handling: typed archive errors, from an embedded archive
  --stream ID         stream id to record a few messages on (default 3001)
  --timeout-ms MS     the archive client's message timeout (default 1000)";

/// How to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Stream id of the small recording the bad replays are asked of.
    pub stream_id: i32,
    /// The archive client's message timeout: how long "no archive" takes to show.
    pub message_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            stream_id: 3001,
            message_timeout: Duration::from_millis(1000),
        }
    }
}

impl Config {
    /// The configuration the command-line flags describe (defaults for absent flags).
    pub fn from_flags(flags: &mut common::Flags) -> common::Result<Config> {
        let d = Config::default();
        Ok(Config {
            stream_id: flags.get("stream", d.stream_id)?,
            message_timeout: Duration::from_millis(flags.get("timeout-ms", 1000u64)?),
        })
    }
}

/// One failure as the caller sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The error's kind.
    pub kind: AeronErrorType,
    /// The archive's error code, when the archive (or its client) reported one.
    pub archive_code: Option<ArchiveErrorCode>,
    /// True when the archive did not answer in time.
    pub timed_out: bool,
    /// The message (the archive's, for archive errors).
    pub message: String,
}

impl From<&AeronCError> for Observed {
    fn from(e: &AeronCError) -> Self {
        Observed {
            kind: e.kind(),
            archive_code: e.archive_error_code(),
            timed_out: e.is_archive_timeout(),
            message: e.message().unwrap_or("").to_owned(),
        }
    }
}

/// The failures observed, one per case.
#[derive(Debug, Clone)]
pub struct Summary {
    /// `get_start_position` of an unknown recording id.
    pub unknown_recording: Observed,
    /// A replay starting at the recording's stop position.
    pub replay_past_the_end: Observed,
    /// A replay starting at a position that is not frame aligned.
    pub replay_unaligned: Observed,
    /// Connecting where no archive listens.
    pub no_archive: Observed,
    /// How long connecting took to give up.
    pub no_archive_after: Duration,
    /// A call on an archive client its owner closed.
    pub closed_by_owner: Observed,
    /// A request after the archive stopped.
    pub archive_gone: Observed,
}

/// Runs each case and returns what the caller saw.
pub fn run(config: Config) -> common::Result<Summary> {
    let timeout = config.message_timeout;
    // A driver and an archive started separately, so the archive can be stopped alone.
    let driver = EmbeddedDriverOptions::default().launch()?;
    let archive_dir = rusteron_media_driver::unique_aeron_dir("error-handling-archive");
    let _remove_dir = RemoveDir(archive_dir.clone());
    let server = Archive::launch(ArchiveOptions {
        archive_dir,
        aeron_dir: driver.dir().to_path_buf(),
        control_channel: None,
        segment_file_length: 1 << 20,
        ..ArchiveOptions::default()
    })?;
    let aeron = common::connect_client(driver.dir())?;
    let ctx = common::archive_context(&aeron, "aeron:ipc", 10, timeout)?;
    let archive = AeronArchive::connect(&ctx)?;

    // 1. An unknown recording id.
    let unknown_recording = expect_err("get_start_position(999)", archive.get_start_position(999))?;
    report("unknown recording", &unknown_recording);

    // 2. Bad replay positions, on a small recording.
    let (recording_id, stop_position) = record_a_little(&aeron, &archive, config.stream_id, timeout * 5)?;
    let params = AeronArchiveReplayParams::new()?;
    params.set_position(stop_position);
    params.set_length(64);
    let replay_past_the_end = expect_err(
        "replay from the stop position",
        archive.start_replay(recording_id, c"aeron:ipc", config.stream_id + 1, &params),
    )?;
    report("replay past the end", &replay_past_the_end);
    params.set_position(8);
    let replay_unaligned = expect_err(
        "replay from position 8",
        archive.start_replay(recording_id, c"aeron:ipc", config.stream_id + 1, &params),
    )?;
    report("unaligned replay", &replay_unaligned);

    // 3. Nobody listens on stream 9999: the connect gives up after the message timeout.
    let started = Instant::now();
    let lonely = common::archive_context(&aeron, "aeron:ipc", 9999, timeout)?;
    let no_archive = expect_err("connect to no archive", AeronArchive::connect(&lonely))?;
    let no_archive_after = started.elapsed();
    report("no archive", &no_archive);

    // 4a. The owner closed the archive client: every handle refuses calls from then on.
    let second = AeronArchive::connect(&ctx)?;
    let handle = second.clone();
    second.close()?;
    let closed_by_owner = expect_err("a call after close", handle.get_recording_position(0))?;
    report("closed by its owner", &closed_by_owner);

    // 4b. The archive stops while a client is connected: its next request fails.
    server.stop();
    let archive_gone = expect_err(
        "a request to a stopped archive",
        archive.get_stop_position(recording_id),
    )?;
    report("archive gone", &archive_gone);

    Ok(Summary {
        unknown_recording,
        replay_past_the_end,
        replay_unaligned,
        no_archive,
        no_archive_after,
        closed_by_owner,
        archive_gone,
    })
}

/// The error of a call that must fail.
fn expect_err<T: std::fmt::Debug>(what: &str, result: Result<T, AeronCError>) -> common::Result<Observed> {
    match result {
        Ok(value) => Err(common::fail(format!("{what} succeeded ({value:?}), it should fail"))),
        Err(e) => Ok(Observed::from(&e)),
    }
}

fn report(case: &str, observed: &Observed) {
    let code = observed.archive_code.map_or_else(|| "-".to_owned(), |c| c.to_string());
    println!(
        "{case:<22} kind={:?} archive_code={code} timed_out={} : {}",
        observed.kind, observed.timed_out, observed.message
    );
}

/// Records a few messages on `stream_id`; returns the recording id and its stop position.
fn record_a_little(
    aeron: &Aeron,
    archive: &AeronArchive,
    stream_id: i32,
    timeout: Duration,
) -> common::Result<(i64, i64)> {
    let local = SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL;
    let subscription_id = archive.start_recording(c"aeron:ipc", stream_id, local, false)?;
    let publication = aeron.add_publication(c"aeron:ipc", stream_id, timeout)?;
    let recording_id = common::await_recording_id(aeron, archive, &publication, timeout)?;
    let deadline = Instant::now() + timeout;
    let mut end = 0;
    for i in 0..10 {
        end = common::offer(&publication, &common::message(i, 100), deadline)?;
    }
    common::wait_until("the recording", timeout, || {
        Ok(archive.get_recording_position(recording_id)? >= end)
    })?;
    archive.stop_recording_subscription(subscription_id)?;
    common::wait_until("the recording to stop", timeout, || {
        Ok(archive.get_stop_position(recording_id)? == end)
    })?;
    Ok((recording_id, end))
}

/// Removes the archive directory at the end of the run.
struct RemoveDir(std::path::PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
