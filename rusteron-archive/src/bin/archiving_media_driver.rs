//! `archiving-media-driver`: the Aeron C media driver and the Rust archive server in one
//! process, as Aeron's `ArchivingMediaDriver`.
//!
//! The driver reads the usual `AERON_*` environment variables (as the C `aeronmd` does);
//! the archive takes its settings from flags or the matching `AERON_ARCHIVE_*` variables.
//! Stops cleanly on SIGINT / SIGTERM: the archive first (active recordings are closed at the
//! position they reached), then the driver.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Parser;
use rusteron_archive::server::{
    Archive, ArchiveOptions, CONTROL_CHANNEL_DEFAULT, CONTROL_STREAM_ID_DEFAULT, LOCAL_CONTROL_CHANNEL_DEFAULT,
    REPLICATION_CHANNEL_DEFAULT, SEGMENT_FILE_LENGTH_DEFAULT,
};
use rusteron_archive::IntoCString;
use rusteron_media_driver::{AeronDriver, AeronDriverContext};

static RUNNING: AtomicBool = AtomicBool::new(true);

extern "C" fn on_signal(_: libc::c_int) {
    RUNNING.store(false, Ordering::SeqCst);
}

/// Runs the Aeron 1.54 C media driver with an archive on it. AERON_* environment variables
/// configure the driver as for the C aeronmd.
#[derive(Debug, Parser)]
#[command(name = "archiving-media-driver", version, about)]
struct Cli {
    /// Aeron directory of the media driver (default: AERON_DIR or Aeron's default path).
    #[arg(long, env = "AERON_DIR")]
    dir: Option<PathBuf>,
    /// Directory of the catalog and the segment files (created if missing).
    #[arg(long, env = "AERON_ARCHIVE_DIR", default_value = "archive")]
    archive_dir: PathBuf,
    /// Control request channel (UDP); `none` accepts requests on the local channel only.
    #[arg(long, env = "AERON_ARCHIVE_CONTROL_CHANNEL", default_value = CONTROL_CHANNEL_DEFAULT)]
    control_channel: String,
    /// Stream id of the control request channel.
    #[arg(long, env = "AERON_ARCHIVE_CONTROL_STREAM_ID", default_value_t = CONTROL_STREAM_ID_DEFAULT)]
    control_stream_id: i32,
    /// Local control request channel (IPC), always on.
    #[arg(long, env = "AERON_ARCHIVE_LOCAL_CONTROL_CHANNEL", default_value = LOCAL_CONTROL_CHANNEL_DEFAULT)]
    local_control_channel: String,
    /// Stream id of the local control request channel.
    #[arg(long, env = "AERON_ARCHIVE_LOCAL_CONTROL_STREAM_ID", default_value_t = CONTROL_STREAM_ID_DEFAULT)]
    local_control_stream_id: i32,
    /// Archive id reported to clients (default: the client id of the archive's Aeron client).
    #[arg(long, env = "AERON_ARCHIVE_ID")]
    archive_id: Option<i64>,
    /// Length of a segment file in bytes: a power of two of at least 64 KiB.
    #[arg(long, env = "AERON_ARCHIVE_SEGMENT_FILE_LENGTH", default_value_t = SEGMENT_FILE_LENGTH_DEFAULT)]
    segment_file_length: i32,
    /// Channel replications replay the source recording to when the request names none.
    #[arg(long, env = "AERON_ARCHIVE_REPLICATION_CHANNEL", default_value = REPLICATION_CHANNEL_DEFAULT)]
    replication_channel: String,
    /// Delete an existing aeron directory before starting the driver.
    #[arg(long)]
    dir_delete_on_start: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("archiving-media-driver: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let ctx = AeronDriverContext::new().map_err(|e| format!("driver context: {e}"))?;
    if let Some(dir) = &cli.dir {
        let dir = dir.to_str().ok_or_else(|| format!("--dir is not UTF-8: {dir:?}"))?;
        ctx.set_dir(&dir.into_c_string().map_err(|e| format!("--dir: {e}"))?)
            .map_err(|e| format!("--dir: {e}"))?;
    }
    if cli.dir_delete_on_start {
        ctx.set_dir_delete_on_start(true).map_err(|e| e.to_string())?;
    }
    // SAFETY: installing async-signal-safe handlers that only store to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    let aeron_dir = ctx.get_dir().to_owned();
    let driver = AeronDriver::new(&ctx).map_err(|e| format!("cannot start the media driver: {e}"))?;
    driver
        .start(false)
        .map_err(|e| format!("cannot start the media driver: {e}"))?;
    println!("archiving-media-driver: media driver running in {aeron_dir}");
    let options = ArchiveOptions {
        archive_dir: cli.archive_dir.clone(),
        aeron_dir: aeron_dir.into(),
        control_channel: (cli.control_channel != "none").then_some(cli.control_channel),
        control_stream_id: cli.control_stream_id,
        local_control_channel: cli.local_control_channel,
        local_control_stream_id: cli.local_control_stream_id,
        archive_id: cli.archive_id,
        segment_file_length: cli.segment_file_length,
        replication_channel: cli.replication_channel,
        ..ArchiveOptions::default()
    };
    {
        // The archive stops at the end of this block, before the driver.
        let archive = Archive::launch(options).map_err(|e| format!("cannot start the archive: {e}"))?;
        println!(
            "archiving-media-driver: archive {} running in {}",
            archive.archive_id(),
            cli.archive_dir.display()
        );
        while RUNNING.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    driver.close().map_err(|e| format!("stopping the media driver: {e}"))?;
    println!("archiving-media-driver: stopped");
    Ok(())
}
