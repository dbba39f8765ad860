//! Recording replication between two archives, each with its own media driver: record a
//! stream on the source archive, ask the destination archive to replicate the recording
//! (it connects to the source's control channel over UDP, has it replay the recording and
//! records the replay), follow the recording signals, then replay the copy from the
//! destination and check every byte and position against what was published.
//!
//! Both archives are embedded (the Rust archive of `rusteron-media-driver`, feature
//! `archive`); the same calls work against Aeron's Java archives.
//!
//! ```text
//! cargo run -p rusteron-archive --example recording_replication -- --messages 5000 --length 500
//! ```

use std::ffi::CString;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusteron_archive::*;
use rusteron_archive::server::ArchivingMediaDriver;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "recording_replication: record on one archive, replicate to another, replay the copy
  --messages N     messages to record on the source (default 2000)
  --length BYTES   message length; above the MTU messages are fragmented (default 300)
  --stream ID      stream id recorded on the source (default 1101)
  --timeout SECS   upper bound on each step (default 10)";

/// `RecordingSignal` codes of the archive schema that this example waits for.
const SIGNAL_STOP: i32 = 1;
const SIGNAL_SYNC: i32 = 5;
const SIGNAL_REPLICATE_END: i32 = 7;

/// What to replicate.
#[derive(Debug, Clone)]
pub struct Config {
    /// Messages recorded on the source.
    pub messages: u64,
    /// Length of each message.
    pub message_length: usize,
    /// Stream id recorded on the source (the replay of the copy goes to the next one).
    pub stream_id: i32,
    /// Upper bound on each step.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            messages: 2000,
            message_length: 300,
            stream_id: 1101,
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
            stream_id: flags.get("stream", d.stream_id)?,
            timeout: Duration::from_secs_f64(flags.get("timeout", 10.0)?),
        })
    }
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The recording on the source archive.
    pub src_recording_id: i64,
    /// The copy on the destination archive.
    pub dst_recording_id: i64,
    /// The copy's stop position, equal to the source's.
    pub stop_position: i64,
    /// Recording signal codes the destination sent for the copy, in order.
    pub signals: Vec<i32>,
    /// Messages replayed from the copy, each equal to the one published, at its position.
    pub verified: u64,
    /// From the replicate request to the end of the replication.
    pub replication_time: Duration,
}

/// Recording signals (code, recording id) as the destination's client receives them.
#[derive(Clone, Default)]
struct Signals(Arc<Mutex<Vec<(i32, i64)>>>);

impl AeronArchiveRecordingSignalConsumerFuncCallback for Signals {
    fn handle_aeron_archive_recording_signal_consumer_func(&mut self, signal: AeronArchiveRecordingSignal) {
        if let Ok(mut signals) = self.0.lock() {
            signals.push((signal.recording_signal_code(), signal.recording_id()));
        }
    }
}

impl Signals {
    fn codes_for(&self, recording_id: i64) -> Vec<i32> {
        self.0
            .lock()
            .map(|s| {
                s.iter()
                    .filter(|(_, id)| *id == recording_id)
                    .map(|(c, _)| *c)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Records on a source archive, replicates to a destination archive, verifies the copy.
pub fn run(config: Config) -> common::Result<Summary> {
    if config.messages == 0 {
        return Err(common::fail("--messages must be at least 1"));
    }
    let timeout = config.timeout;

    // The source archive answers control requests over UDP too: the destination archive
    // connects to it there.
    let [source_port] = common::free_udp_ports::<1>()?;
    let source_control = format!("aeron:udp?endpoint=localhost:{source_port}");
    let source_options = source_control.clone();
    let source = ArchivingMediaDriver::launch_for_tests_with(move |o| o.control_channel = Some(source_options))?;
    let destination = ArchivingMediaDriver::launch_for_tests()?;

    // 1. Record on the source.
    let src_aeron = common::connect_client(source.driver().dir())?;
    let src_archive = AeronArchive::connect(&common::archive_context(&src_aeron, "aeron:ipc", 10, timeout)?)?;
    let subscription_id = src_archive.start_recording(
        c"aeron:ipc",
        config.stream_id,
        SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL,
        false,
    )?;
    let publication = src_aeron.add_publication(c"aeron:ipc?term-length=64k", config.stream_id, timeout)?;
    let src_recording_id = common::await_recording_id(&src_aeron, &src_archive, &publication, timeout)?;
    let deadline = Instant::now() + timeout;
    let mut positions = Vec::with_capacity(config.messages as usize);
    for i in 0..config.messages {
        positions.push(common::offer(
            &publication,
            &common::message(i, config.message_length),
            deadline,
        )?);
    }
    let end = *positions.last().expect("at least one message");
    common::wait_until("the source to record everything", timeout, || {
        Ok(src_archive.get_recording_position(src_recording_id)? >= end)
    })?;
    src_archive.stop_recording_subscription(subscription_id)?;
    println!(
        "source archive {}: recording {src_recording_id} ends at {end}",
        src_archive.get_archive_id()
    );

    // 2. Ask the destination to replicate it; its signals say how it goes.
    let dst_aeron = common::connect_client(destination.driver().dir())?;
    let signals = Signals::default();
    let dst_context = common::archive_context(&dst_aeron, "aeron:ipc", 10, timeout)?;
    let mut consumer = Handlers::leak(signals.clone());
    dst_context.set_recording_signal_consumer(Some(&consumer))?;
    // The context keeps the consumer alive from here on.
    consumer.release();
    let dst_archive = AeronArchive::connect(&dst_context)?;
    let started = Instant::now();
    let params = AeronArchiveReplicationParams::new()?;
    dst_archive.replicate(src_recording_id, &CString::new(source_control)?, 10, &params)?;
    let mut dst_recording_id = None;
    common::wait_until("the replication to end", timeout, || {
        dst_archive.poll_for_recording_signals()?;
        let all = signals.0.lock().map(|s| s.clone()).unwrap_or_default();
        dst_recording_id = all.first().map(|&(_, id)| id);
        Ok(all.iter().any(|&(code, _)| code == SIGNAL_REPLICATE_END))
    })?;
    let replication_time = started.elapsed();
    let dst_recording_id = dst_recording_id.ok_or_else(|| common::fail("no signal named the copy"))?;
    let signals = signals.codes_for(dst_recording_id);
    if !signals.contains(&SIGNAL_SYNC) || !signals.contains(&SIGNAL_STOP) {
        return Err(common::fail(format!(
            "the replication did not complete: signals {signals:?}"
        )));
    }
    let stop_position = dst_archive.get_stop_position(dst_recording_id)?;
    if stop_position != end {
        return Err(common::fail(format!(
            "the copy ends at {stop_position}, the source at {end}"
        )));
    }

    // 3. Replay the copy from the destination and check it.
    let params = AeronArchiveReplayParams::new()?;
    params.set_position(0);
    params.set_length(ARCHIVE_REPLAY_ALL_AND_STOP);
    let replay = dst_archive.replay(dst_recording_id, c"aeron:ipc", config.stream_id + 1, &params)?;
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let mut verified = 0u64;
    let mut error: Option<String> = None;
    common::wait_until("the copy to replay", timeout, || {
        assembler.poll(
            &replay,
            |m: &[u8], header: AeronHeader| {
                let expected_position = positions.get(verified as usize).copied();
                if m != common::message(verified, config.message_length).as_slice()
                    || Some(header.position()) != expected_position
                {
                    error.get_or_insert(format!("replayed message {verified} differs from the one recorded"));
                }
                verified += 1;
            },
            100,
        )?;
        Ok(verified >= config.messages)
    })?;
    if let Some(error) = error {
        return Err(common::fail(error));
    }
    println!(
        "destination archive {}: copy {dst_recording_id} ends at {stop_position}, signals {signals:?}, \
         replicated in {replication_time:?}; {verified} messages replayed and verified",
        dst_archive.get_archive_id()
    );
    Ok(Summary {
        src_recording_id,
        dst_recording_id,
        stop_position,
        signals,
        verified,
        replication_time,
    })
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
