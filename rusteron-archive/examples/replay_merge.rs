//! Replay merge: a subscriber that joins a live stream late gets the recorded history
//! replayed into its subscription, then the live stream is added, and once both line up
//! the replay is removed — every message exactly once, in order, at the position it was
//! published at (`AeronArchiveReplayMerge`, Aeron's `ReplayMerge`).
//!
//! The setup is Aeron's: the live publication is a dynamic multi-destination-cast
//! publication with tagged flow control, paced by the archive's recording (a destination
//! in the flow control group) and not by the late subscriber; the subscriber's
//! subscription is `control-mode=manual`, and the replay goes to an ephemeral UDP port.
//!
//! By default it starts its own media driver and archive; `--dir` uses a running one (the
//! archive must be able to subscribe to UDP on localhost).
//!
//! ```text
//! cargo run -p rusteron-archive --example replay_merge -- --history 2000 --live 2000
//! ```

use std::ffi::CString;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rusteron_archive::*;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "replay_merge: a late subscriber replays the recorded history, then merges into the live stream
  --history N            messages published and recorded before the subscriber joins (default 1000)
  --live N               messages published while it catches up and after (default 1000)
  --length BYTES         message length, 8 to one MTU payload (default 200)
  --stream ID            stream id of the live stream (default 10033)
  --dir DIR              aeron directory of a running driver with an archive (default: embedded)
  --control-channel URI  the archive's control request channel
  --control-stream ID    the archive's control request stream id (default 10)
  --timeout SECS         upper bound on each step (default 10)";

/// Flow control group tag of the live publication; the archive's recording is its member.
const GROUP_TAG: i64 = 99_901;

/// What to publish.
#[derive(Debug, Clone)]
pub struct Config {
    /// Messages published and recorded before the subscriber joins.
    pub history: u64,
    /// Messages published after it joined (while it catches up, then live).
    pub live: u64,
    /// Length of each message.
    pub message_length: usize,
    /// Stream id of the live stream.
    pub stream_id: i32,
    /// The archive to use.
    pub target: common::ArchiveTarget,
    /// Upper bound on each step.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            history: 1000,
            live: 1000,
            message_length: 200,
            stream_id: 10_033,
            target: common::ArchiveTarget::embedded(),
            timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// The configuration the command-line flags describe (defaults for absent flags).
    pub fn from_flags(flags: &mut common::Flags) -> common::Result<Config> {
        let d = Config::default();
        Ok(Config {
            history: flags.get("history", d.history)?,
            live: flags.get("live", d.live)?,
            message_length: flags.get("length", d.message_length)?,
            stream_id: flags.get("stream", d.stream_id)?,
            target: common::ArchiveTarget::from_flags(flags)?,
            timeout: Duration::from_secs_f64(flags.get("timeout", 10.0)?),
        })
    }
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The recording of the live stream.
    pub recording_id: i64,
    /// Messages published (history and live).
    pub published: u64,
    /// Messages the late subscriber received, each equal to the one published, at the
    /// same position, none twice.
    pub received: u64,
    /// Messages it had received when the merge completed (the rest came live only).
    pub received_when_merged: u64,
    /// How long from creating the merge to being merged.
    pub time_to_merge: Duration,
}

/// Publishes and records the history, joins late through a replay merge, and checks that
/// the subscriber gets everything once.
pub fn run(config: Config) -> common::Result<Summary> {
    if config.history == 0 || config.message_length < 8 {
        return Err(common::fail("--history must be at least 1 and --length at least 8"));
    }
    let timeout = config.timeout;
    let connection = common::Connection::open(&config.target, timeout)?;
    let (aeron, archive) = (&connection.aeron, &connection.archive);
    let [control, recording, live] = common::free_udp_ports::<3>()?;
    let c = |s: String| CString::new(s).map_err(|e| common::fail(e.to_string()));

    // The live stream, recorded by the archive as a member of its flow control group.
    let publication = aeron.add_publication(
        &c(format!(
            "aeron:udp?control=localhost:{control}|control-mode=dynamic|term-length=64k|fc=tagged,g:{GROUP_TAG}/1"
        ))?,
        config.stream_id,
        timeout,
    )?;
    let session_id = publication.session_id();
    archive.start_recording(
        &c(format!(
            "aeron:udp?endpoint=localhost:{recording}|control=localhost:{control}|session-id={session_id}|gtag={GROUP_TAG}"
        ))?,
        config.stream_id,
        SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_REMOTE,
        true,
    )?;
    let recording_id = common::await_recording_id(aeron, archive, &publication, timeout)?;
    common::wait_until("the archive's receiver to connect", timeout, || {
        Ok(publication.is_connected())
    })?;

    // The history, published before anyone but the archive listens.
    let total = config.history + config.live;
    let mut sent: Vec<i64> = Vec::with_capacity(total as usize);
    let deadline = Instant::now() + timeout;
    for i in 0..config.history {
        sent.push(common::offer(
            &publication,
            &common::message(i, config.message_length),
            deadline,
        )?);
    }
    let end = *sent.last().expect("history is not empty");
    common::wait_until("the history to be recorded", timeout, || {
        Ok(archive.get_recording_position(recording_id)? >= end)
    })?;

    // The late subscriber: a manual multi-destination subscription, merged by the archive
    // client's replay merge (replay to an ephemeral port, live on its own port).
    let subscription = aeron.add_subscription(
        &c(format!("aeron:udp?control-mode=manual|session-id={session_id}"))?,
        config.stream_id,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        timeout,
    )?;
    let merge = AeronArchiveReplayMerge::new(
        &subscription,
        archive,
        &c(format!("aeron:udp?session-id={session_id}"))?,
        c"aeron:udp?endpoint=localhost:0",
        &c(format!(
            "aeron:udp?endpoint=localhost:{live}|control=localhost:{control}"
        ))?,
        recording_id,
        0,
        epoch_clock_ms(),
        REPLAY_MERGE_PROGRESS_TIMEOUT_DEFAULT_MS,
    )?;
    let started = Instant::now();
    let mut verifier = Verifier::new(config.message_length, total);

    // The live stream goes on while the subscriber catches up.
    let deadline = Instant::now() + timeout;
    let mut next = config.history;
    while !merge.is_merged() {
        if next < total {
            let m = common::message(next, config.message_length);
            match publication.offer(&m, Handlers::no_reserved_value_supplier_handler()) {
                Ok(position) => {
                    sent.push(position);
                    next += 1;
                }
                Err(e) if common::retryable(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        merge.poll_once(|m: &[u8], header: AeronHeader| verifier.check(m, &header), 20)?;
        if merge.has_failed() || Instant::now() >= deadline {
            return Err(common::fail(format!(
                "not merged after {:?} (failed: {})",
                started.elapsed(),
                merge.has_failed()
            )));
        }
    }
    let time_to_merge = started.elapsed();
    let received_when_merged = verifier.positions.len() as u64;

    // Merged: the rest is published and comes from the live stream alone.
    let image = merge.image().ok_or_else(|| common::fail("merged without an image"))?;
    for i in next..total {
        sent.push(common::offer(
            &publication,
            &common::message(i, config.message_length),
            deadline,
        )?);
    }
    common::wait_until("every message", timeout, || {
        image.poll_once(|m: &[u8], header: AeronHeader| verifier.check(m, &header), 20)?;
        Ok(verifier.positions.len() as u64 >= total)
    })?;
    if let Some(error) = verifier.error {
        return Err(common::fail(error));
    }
    if verifier.positions != sent {
        return Err(common::fail("received positions differ from the published ones"));
    }
    println!(
        "recording {recording_id}: {total} messages received once each, in order \
         ({received_when_merged} before the merge completed, after {time_to_merge:?})"
    );
    Ok(Summary {
        recording_id,
        published: total,
        received: verifier.positions.len() as u64,
        received_when_merged,
        time_to_merge,
    })
}

/// Checks that message `i` received is message `i` published; keeps the positions.
struct Verifier {
    length: usize,
    positions: Vec<i64>,
    error: Option<String>,
}

impl Verifier {
    fn new(length: usize, total: u64) -> Self {
        Verifier {
            length,
            positions: Vec::with_capacity(total as usize),
            error: None,
        }
    }

    fn check(&mut self, message: &[u8], header: &AeronHeader) {
        let i = self.positions.len() as u64;
        if message != common::message(i, self.length).as_slice() {
            self.error
                .get_or_insert(format!("message {i} differs from the one published"));
        }
        self.positions.push(header.position());
    }
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
