//! The archive's typical workflow, step by step: (1) client and archive contexts, (2) start
//! recording a stream, (3) publish to it, (4) stop recording, (5) find the recording,
//! (6) replay it, (7) receive the replay — every byte and position checked against what
//! was published.
//!
//! By default it starts its own media driver and archive (the Rust archive of
//! `rusteron_archive::server`, feature `server`); `--dir` uses a running one instead.
//!
//! ```text
//! cargo run -p rusteron-archive --example record_and_replay -- --messages 1000 --length 300
//! cargo run -p rusteron-archive --example record_and_replay -- --dir /dev/shm/aeron \
//!     --control-channel aeron:udp?endpoint=localhost:8010
//! ```

use std::ffi::CString;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rusteron_archive::*;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "record_and_replay: record a stream in an archive, find the recording, replay it, verify it
  --messages N           messages to publish (default 1000)
  --length BYTES         message length; above the MTU messages are fragmented (default 300)
  --channel URI          channel to record (default aeron:ipc)
  --stream ID            stream id to record (default 1001)
  --replay-stream ID     stream id to replay to, on aeron:ipc (default 1002)
  --dir DIR              aeron directory of a running driver with an archive (default: embedded)
  --control-channel URI  the archive's control request channel
  --control-stream ID    the archive's control request stream id (default 10)
  --timeout SECS         upper bound on each step (default 10)";

/// What to record.
#[derive(Debug, Clone)]
pub struct Config {
    /// How many messages.
    pub messages: u64,
    /// Length of each message.
    pub message_length: usize,
    /// Channel published to and recorded.
    pub channel: String,
    /// Stream id published to and recorded.
    pub stream_id: i32,
    /// Stream id the replay goes to (on `aeron:ipc`).
    pub replay_stream_id: i32,
    /// The archive to use.
    pub target: common::ArchiveTarget,
    /// Upper bound on each step.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            messages: 1000,
            message_length: 300,
            channel: "aeron:ipc".into(),
            stream_id: 1001,
            replay_stream_id: 1002,
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
            messages: flags.get("messages", d.messages)?,
            message_length: flags.get("length", d.message_length)?,
            channel: flags.get("channel", d.channel)?,
            stream_id: flags.get("stream", d.stream_id)?,
            replay_stream_id: flags.get("replay-stream", d.replay_stream_id)?,
            target: common::ArchiveTarget::from_flags(flags)?,
            timeout: Duration::from_secs_f64(flags.get("timeout", 10.0)?),
        })
    }
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The recording made.
    pub recording_id: i64,
    /// Its start position (as listed).
    pub start_position: i64,
    /// Its stop position (as listed): the position after the last message published.
    pub stop_position: i64,
    /// Messages published.
    pub published: u64,
    /// Messages replayed, each equal to the one published, at the same position.
    pub replayed: u64,
    /// Payload bytes replayed and checked.
    pub bytes_verified: u64,
}

/// Records `config.messages` messages, replays the recording and checks it.
pub fn run(config: Config) -> common::Result<Summary> {
    if config.messages == 0 {
        return Err(common::fail("--messages must be at least 1"));
    }
    let timeout = config.timeout;
    let channel = CString::new(config.channel.as_str())?;

    // 1. The client and archive contexts; connecting returns once the archive answered.
    let connection = common::Connection::open(&config.target, timeout)?;
    let (aeron, archive) = (&connection.aeron, &connection.archive);
    println!("connected to archive {}", archive.get_archive_id());

    // 2. Start recording: the archive subscribes to the channel and records every
    //    publication (image) that appears on it.
    let subscription_id = archive.start_recording(
        &channel,
        config.stream_id,
        SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL,
        false,
    )?;

    // 3. Publish. The archive's subscription connects the publication; the recording id
    //    comes from the RecordingPos counter the archive allocates for it.
    let publication = aeron.add_publication(&channel, config.stream_id, timeout)?;
    let recording_id = common::await_recording_id(aeron, archive, &publication, timeout)?;
    let deadline = Instant::now() + timeout;
    let mut positions = Vec::with_capacity(config.messages as usize);
    for i in 0..config.messages {
        let message = common::message(i, config.message_length);
        positions.push(common::offer(&publication, &message, deadline)?);
    }
    let end = *positions.last().expect("at least one message");
    common::wait_until("the archive to record everything", timeout, || {
        Ok(archive.get_recording_position(recording_id)? >= end)
    })?;

    // 4. Stop recording: the recording keeps what it has, its stop position is set.
    archive.stop_recording_subscription(subscription_id)?;
    common::wait_until("the recording to stop", timeout, || {
        Ok(archive.get_stop_position(recording_id)? == end)
    })?;

    // 5. Find the recording among those of the channel and stream.
    let fragment = CString::new(config.channel.as_str())?;
    let found = archive
        .list_recording_descriptors_for_uri(0, i32::MAX, &fragment, config.stream_id)?
        .into_iter()
        .find(|d| d.recording_id == recording_id)
        .ok_or_else(|| common::fail(format!("recording {recording_id} is not listed")))?;
    println!(
        "recording {recording_id}: positions {}..{} of session {} on {}",
        found.start_position, found.stop_position, found.session_id, found.original_channel
    );
    if found.stop_position != end {
        return Err(common::fail(format!(
            "listed stop position {} != published {end}",
            found.stop_position
        )));
    }

    // 6. Replay the whole recording to a subscription of our own (`replay` adds it).
    let params = AeronArchiveReplayParams::new()?;
    params.set_position(found.start_position);
    params.set_length(found.stop_position - found.start_position);
    let replay = archive.replay(recording_id, c"aeron:ipc", config.replay_stream_id, &params)?;

    // 7. Receive: reassemble fragmented messages and compare each with what was published.
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let mut checker = Checker {
        length: config.message_length,
        positions: &positions,
        next: 0,
        bytes: 0,
        mismatch: None,
    };
    let deadline = Instant::now() + timeout;
    while checker.next < config.messages && checker.mismatch.is_none() {
        assembler.poll(&replay, |m: &[u8], h: AeronHeader| checker.check(m, h.position()), 100)?;
        if Instant::now() >= deadline {
            return Err(common::fail(format!(
                "replayed {} of {} messages",
                checker.next, config.messages
            )));
        }
    }
    if let Some(mismatch) = checker.mismatch {
        return Err(common::fail(mismatch));
    }
    println!(
        "replayed {} messages ({} bytes): every byte and position as published",
        checker.next, checker.bytes
    );
    Ok(Summary {
        recording_id,
        start_position: found.start_position,
        stop_position: found.stop_position,
        published: config.messages,
        replayed: checker.next,
        bytes_verified: checker.bytes,
    })
}

/// Compares each replayed message with the one published at that place.
struct Checker<'a> {
    length: usize,
    positions: &'a [i64],
    next: u64,
    bytes: u64,
    mismatch: Option<String>,
}

impl Checker<'_> {
    fn check(&mut self, message: &[u8], position: i64) {
        if self.mismatch.is_some() {
            return;
        }
        let i = self.next;
        let expected_position = self.positions.get(i as usize).copied();
        if expected_position != Some(position) {
            self.mismatch = Some(format!(
                "message {i} at position {position}, published at {expected_position:?}"
            ));
        } else if message != common::message(i, self.length).as_slice() {
            self.mismatch = Some(format!("message {i} differs from the one published"));
        }
        self.next += 1;
        self.bytes += message.len() as u64;
    }
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
