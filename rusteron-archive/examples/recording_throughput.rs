//! Recording and replay throughput of an archive, in MB/s, for each message length asked
//! for (32 B and 1 KiB by default): publish a volume of messages over IPC while the
//! archive records them (timed from the first offer to the recorded position reaching the
//! end), then replay the whole recording (timed from the replay request to the last
//! message). Every replayed message is checked: its sequence number (the first 8 bytes),
//! its length and every other byte. Then the rate of control requests: start + stop
//! recording pairs per second, each a request/response round trip.
//!
//! Build with `--release` for meaningful figures; by default the archive is embedded and
//! writes its segment files under `/dev/shm` (memory), so the figures are those of the
//! archive's code, not of a disk.
//!
//! ```text
//! cargo run --release -p rusteron-archive --example recording_throughput -- --megabytes 256
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use rusteron_archive::*;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "recording_throughput: MB/s recorded and replayed by an archive, per message length
  --lengths LIST         comma-separated message lengths in bytes, each >= 8 (default 32,1024)
  --megabytes N          payload volume per message length (default 64)
  --stream ID            first stream id; each length uses two more (default 8001)
  --dir DIR              aeron directory of a running driver with an archive (default: embedded)
  --control-channel URI  the archive's control request channel
  --control-stream ID    the archive's control request stream id (default 10)
  --start-stop N         start/stop recording pairs to time (default 200; 0: skip)
  --timeout SECS         upper bound on recording, and on replaying, each length (default 60)";

/// What to measure.
#[derive(Debug, Clone)]
pub struct Config {
    /// Message lengths to measure, each at least 8 bytes (the sequence number).
    pub lengths: Vec<usize>,
    /// Payload bytes published (and replayed) per length.
    pub bytes_per_length: usize,
    /// First stream id; length `k` records on `stream_id + 2k` and replays to the next one.
    pub stream_id: i32,
    /// The archive to use.
    pub target: common::ArchiveTarget,
    /// Upper bound on recording, and on replaying, each length.
    pub timeout: Duration,
    /// Start + stop recording pairs to time (0: skip).
    pub start_stop_pairs: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            lengths: vec![32, 1024],
            bytes_per_length: 64 << 20,
            stream_id: 8001,
            target: common::ArchiveTarget::embedded(),
            timeout: Duration::from_secs(60),
            start_stop_pairs: 200,
        }
    }
}

impl Config {
    /// The configuration the command-line flags describe (defaults for absent flags).
    pub fn from_flags(flags: &mut common::Flags) -> common::Result<Config> {
        let d = Config::default();
        let lengths = match flags.take::<String>("lengths")? {
            None => d.lengths,
            Some(list) => list
                .split(',')
                .map(|s| {
                    s.trim()
                        .parse::<usize>()
                        .map_err(|e| common::fail(format!("--lengths {s:?}: {e}")))
                })
                .collect::<common::Result<Vec<usize>>>()?,
        };
        Ok(Config {
            lengths,
            bytes_per_length: flags.get("megabytes", 64usize)? << 20,
            stream_id: flags.get("stream", d.stream_id)?,
            target: common::ArchiveTarget::from_flags(flags)?,
            timeout: Duration::from_secs_f64(flags.get("timeout", 60.0)?),
            start_stop_pairs: flags.get("start-stop", d.start_stop_pairs)?,
        })
    }
}

/// The figures for one message length.
#[derive(Debug, Clone)]
pub struct Rate {
    /// Message length in bytes.
    pub length: usize,
    /// Messages recorded and replayed.
    pub messages: u64,
    /// The recording.
    pub recording_id: i64,
    /// Its stop position.
    pub stop_position: i64,
    /// Payload MB (10^6 bytes) per second recorded.
    pub record_mb_per_sec: f64,
    /// Payload MB per second replayed and received.
    pub replay_mb_per_sec: f64,
}

/// The figures for every length, in the order asked for.
#[derive(Debug, Clone)]
pub struct Summary {
    /// One per message length.
    pub rates: Vec<Rate>,
    /// Start + stop recording pairs per second (`None` if skipped).
    pub start_stop_pairs_per_sec: Option<f64>,
}

/// Measures each message length in turn on one archive connection.
pub fn run(config: Config) -> common::Result<Summary> {
    if config.lengths.is_empty() {
        return Err(common::fail("--lengths is empty"));
    }
    if let Some(&short) = config.lengths.iter().find(|&&l| l < 8) {
        return Err(common::fail(format!(
            "message length {short} is below 8 bytes (the sequence number)"
        )));
    }
    let connection = common::Connection::open(&config.target, config.timeout)?;
    let mut rates = Vec::new();
    for (k, &length) in config.lengths.iter().enumerate() {
        let stream_id = config.stream_id + 2 * k as i32;
        let rate = measure(&connection, &config, stream_id, length)?;
        println!(
            "{length:>6} B x {:>9}: record {:>8.1} MB/s, replay {:>8.1} MB/s",
            rate.messages, rate.record_mb_per_sec, rate.replay_mb_per_sec
        );
        rates.push(rate);
    }
    let start_stop_pairs_per_sec = match config.start_stop_pairs {
        0 => None,
        pairs => {
            let stream_id = config.stream_id + 2 * config.lengths.len() as i32;
            let rate = start_stop_rate(&connection.archive, stream_id, pairs)?;
            println!("start + stop recording: {rate:.0} pairs/s ({pairs} pairs)");
            Some(rate)
        }
    };
    Ok(Summary {
        rates,
        start_stop_pairs_per_sec,
    })
}

/// Starts and stops a recording `pairs` times, each request waiting for its response.
fn start_stop_rate(archive: &AeronArchive, stream_id: i32, pairs: u32) -> common::Result<f64> {
    let local = SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL;
    let started = Instant::now();
    for _ in 0..pairs {
        let subscription_id = archive.start_recording(c"aeron:ipc", stream_id, local, false)?;
        archive.stop_recording_subscription(subscription_id)?;
    }
    Ok(f64::from(pairs) / started.elapsed().as_secs_f64())
}

fn measure(connection: &common::Connection, config: &Config, stream_id: i32, length: usize) -> common::Result<Rate> {
    let (aeron, archive) = (&connection.aeron, &connection.archive);
    let count = (config.bytes_per_length / length).max(1) as u64;
    let local = SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL;
    let subscription_id = archive.start_recording(c"aeron:ipc", stream_id, local, false)?;
    // Large terms: fewer rotations, and the archive reads large blocks.
    let publication = aeron.add_publication(c"aeron:ipc?term-length=16m", stream_id, config.timeout)?;
    let recording_id = common::await_recording_id(aeron, archive, &publication, config.timeout)?;

    // A sequence number, then the same pseudo-random bytes in every message.
    let mut payload = common::message(u64::MAX, length);
    let tail = payload[8..].to_vec();
    let started = Instant::now();
    let deadline = started + config.timeout;
    let mut end = 0;
    for i in 0..count {
        payload[..8].copy_from_slice(&i.to_le_bytes());
        end = common::offer(&publication, &payload, deadline)?;
    }
    common::wait_until("the archive to record everything", config.timeout, || {
        Ok(archive.get_recording_position(recording_id)? >= end)
    })?;
    let record_secs = started.elapsed().as_secs_f64();
    archive.stop_recording_subscription(subscription_id)?;
    drop(publication);

    let params = AeronArchiveReplayParams::new()?;
    params.set_position(0);
    params.set_length(ARCHIVE_REPLAY_ALL_AND_STOP);
    let started = Instant::now();
    let replay = archive.replay(recording_id, c"aeron:ipc", stream_id + 1, &params)?;
    let deadline = started + config.timeout;
    let mut received = 0u64;
    let mut last_position = 0i64;
    let mut error: Option<String> = None;
    while received < count && error.is_none() {
        replay.poll_once(
            |m: &[u8], h: AeronHeader| {
                let sequence = m.get(..8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()));
                if m.len() != length || sequence != Some(received) || m[8..] != tail[..] {
                    error.get_or_insert(format!("replayed message {received} is not the one recorded"));
                }
                received += 1;
                last_position = h.position();
            },
            256,
        )?;
        if Instant::now() >= deadline {
            return Err(common::fail(format!("replayed {received} of {count} messages")));
        }
    }
    let replay_secs = started.elapsed().as_secs_f64();
    if let Some(error) = error {
        return Err(common::fail(error));
    }
    if last_position != end {
        return Err(common::fail(format!(
            "the replay ended at {last_position}, the recording at {end}"
        )));
    }
    let mb = (count as f64) * (length as f64) / 1e6;
    Ok(Rate {
        length,
        messages: count,
        recording_id,
        stop_position: end,
        record_mb_per_sec: mb / record_secs,
        replay_mb_per_sec: mb / replay_secs,
    })
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
