//! Plumbing shared by the archive examples, not part of the rusteron API: command-line
//! flags, an archive to talk to (embedded, or one already running), connecting, waiting
//! with a deadline, retrying offers and deterministic message contents.
//!
//! Each example includes this file with `#[path = "common/mod.rs"] mod common;`, so the
//! example files stay runnable on their own and `tests/examples.rs` can include them too.

use std::ffi::CString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rusteron_archive::{
    Aeron, AeronArchive, AeronArchiveContext, AeronCError, AeronContext, AeronErrorType, AeronPublication, Handlers,
    IntoCString, RecordingPos,
};
use rusteron_archive::server::ArchivingMediaDriver;

#[path = "../../../rusteron-client/examples/common/cli.rs"]
mod cli;
pub use cli::*;

/// Which archive an example talks to.
#[derive(Debug, Clone, Default)]
pub struct ArchiveTarget {
    /// Aeron directory of a running media driver with an archive; `None` starts an
    /// embedded driver and archive (`ArchivingMediaDriver::launch_for_tests`) for the run.
    pub dir: Option<PathBuf>,
    /// Control request channel of that archive (`aeron:ipc` for the embedded one).
    pub control_channel: String,
    /// Control request stream id of that archive (10 for the embedded one).
    pub control_stream_id: i32,
}

impl ArchiveTarget {
    /// The embedded archive: `aeron:ipc`, stream 10.
    pub fn embedded() -> ArchiveTarget {
        ArchiveTarget {
            dir: None,
            control_channel: "aeron:ipc".into(),
            control_stream_id: 10,
        }
    }

    /// `--dir`, `--control-channel`, `--control-stream` (defaults: embedded archive; with
    /// `--dir`, Aeron's default control channel `aeron:udp?endpoint=localhost:8010`).
    pub fn from_flags(flags: &mut Flags) -> Result<ArchiveTarget> {
        let dir: Option<PathBuf> = flags.take("dir")?;
        let default_channel = if dir.is_some() {
            "aeron:udp?endpoint=localhost:8010"
        } else {
            "aeron:ipc"
        };
        Ok(ArchiveTarget {
            control_channel: flags.get("control-channel", default_channel.to_string())?,
            control_stream_id: flags.get("control-stream", 10)?,
            dir,
        })
    }
}

/// A connection to an archive: the client, the archive client, and the embedded archiving
/// driver when the example started one (stopped when this drops, after the clients).
pub struct Connection {
    /// The archive client.
    pub archive: AeronArchive,
    /// The Aeron client (shared by the archive client).
    pub aeron: Aeron,
    /// The embedded driver and archive, if the example runs its own.
    pub embedded: Option<ArchivingMediaDriver>,
}

impl Connection {
    /// Connects to `target`, starting an embedded archiving driver when it names none.
    /// Requests time out after `timeout`.
    pub fn open(target: &ArchiveTarget, timeout: Duration) -> Result<Connection> {
        let embedded = match target.dir {
            None => Some(ArchivingMediaDriver::launch_for_tests()?),
            Some(_) => None,
        };
        let dir = match (&embedded, &target.dir) {
            (Some(archiving), _) => archiving.driver().dir().to_path_buf(),
            (None, Some(dir)) => dir.clone(),
            (None, None) => return Err(fail("no aeron directory")),
        };
        let aeron = connect_client(&dir)?;
        let ctx = archive_context(&aeron, &target.control_channel, target.control_stream_id, timeout)?;
        let archive = AeronArchive::connect(&ctx)?;
        Ok(Connection {
            archive,
            aeron,
            embedded,
        })
    }
}

/// Connects a client to the media driver in `dir` and starts its conductor thread.
pub fn connect_client(dir: &std::path::Path) -> Result<Aeron> {
    let ctx = AeronContext::new()?;
    let dir = dir
        .to_str()
        .ok_or_else(|| fail(format!("aeron dir is not UTF-8: {dir:?}")))?;
    ctx.set_dir(&dir.into_c_string()?)?;
    let handler = Handlers::leak(|code: i32, message: &str| eprintln!("aeron client error {code}: {message}"));
    ctx.set_error_handler(Some(&handler))?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

/// An archive context on `aeron` for the archive listening on `control_channel` /
/// `control_stream_id`: responses come back over IPC when the archive is local (IPC
/// control channel), else on an ephemeral UDP port; requests time out after `timeout`.
pub fn archive_context(
    aeron: &Aeron,
    control_channel: &str,
    control_stream_id: i32,
    timeout: Duration,
) -> std::result::Result<AeronArchiveContext, AeronCError> {
    let ctx = AeronArchiveContext::new_with_aeron(aeron)?;
    let request = CString::new(control_channel)
        .map_err(|e| AeronCError::with_message(AeronErrorType::InvalidArgument, e.to_string()))?;
    ctx.set_control_request_channel(&request)?;
    ctx.set_control_request_stream_id(control_stream_id)?;
    if control_channel.starts_with("aeron:ipc") {
        ctx.set_control_response_channel(c"aeron:ipc")?;
    } else {
        ctx.set_control_response_channel(c"aeron:udp?endpoint=localhost:0")?;
    }
    ctx.set_message_timeout_ns(timeout.as_nanos().min(u128::from(u64::MAX)) as u64)?;
    Ok(ctx)
}

/// Waits (sleeping 1 ms between checks) until `condition` holds, or fails after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> Result<bool>) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while !condition()? {
        if Instant::now() >= deadline {
            return Err(fail(format!("timed out after {timeout:?} waiting for {what}")));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// Offers `message` until it is accepted (retrying back pressure and "not connected" until
/// `deadline`); returns the position after it.
pub fn offer(publication: &AeronPublication, message: &[u8], deadline: Instant) -> Result<i64> {
    loop {
        match publication.offer(message, Handlers::no_reserved_value_supplier_handler()) {
            Ok(position) => return Ok(position),
            Err(e) if retryable(&e) && Instant::now() < deadline => std::thread::yield_now(),
            Err(e) => return Err(e.into()),
        }
    }
}

/// True for offer results that only mean "try again later".
pub fn retryable(e: &AeronCError) -> bool {
    e.is_back_pressured() || e.kind() == AeronErrorType::NullOrNotConnected
}

/// The id of the recording the archive started for `publication` (found through its
/// `RecordingPos` counter, without asking the archive).
pub fn await_recording_id(
    aeron: &Aeron,
    archive: &AeronArchive,
    publication: &AeronPublication,
    timeout: Duration,
) -> Result<i64> {
    let counters = aeron
        .counters_reader()
        .ok_or_else(|| fail("the client has no counters"))?;
    let archive_id = archive.get_archive_id();
    let session_id = publication.session_id();
    let mut counter_id = -1;
    wait_until("the recording to start", timeout, || {
        counter_id = RecordingPos::find_counter_id_by_session_id(&counters, session_id, archive_id);
        Ok(counter_id >= 0)
    })?;
    Ok(RecordingPos::get_recording_id(&counters, counter_id))
}

/// `N` distinct free UDP ports of localhost (bound together, then released).
pub fn free_udp_ports<const N: usize>() -> Result<[u16; N]> {
    let sockets = (0..N)
        .map(|_| std::net::UdpSocket::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| fail(format!("no free UDP port: {e}")))?;
    let mut ports = [0u16; N];
    for (port, socket) in ports.iter_mut().zip(&sockets) {
        *port = socket
            .local_addr()
            .map_err(|e| fail(format!("no free UDP port: {e}")))?
            .port();
    }
    Ok(ports)
}

/// Message `i` of `length` bytes: a deterministic pseudo-random pattern seeded by `i`, so
/// lost, duplicated, reordered or corrupted bytes show when compared.
pub fn message(i: u64, length: usize) -> Vec<u8> {
    let mut m = vec![0u8; length];
    fill_message(i, &mut m);
    m
}

/// Writes message `i` into `buffer` (see [`message`]).
pub fn fill_message(i: u64, buffer: &mut [u8]) {
    let mut state = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for b in buffer.iter_mut() {
        // xorshift64: cheap and deterministic.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *b = state as u8;
    }
}
