//! Shared setup of the end-to-end tests against the embedded Rust archive
//! (`rusteron_archive::server`): a driver + archive per test, a client, archive
//! connections over IPC, a recording signal log, and bounded waits.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusteron_archive::*;
use rusteron_archive::server::ArchivingMediaDriver;

/// Bound for anything that should complete quickly.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A recording signal as the client received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal {
    pub code: i32,
    pub recording_id: i64,
    pub subscription_id: i64,
    pub position: i64,
}

/// Signal codes of the schema's RecordingSignal enum.
pub const START: i32 = 0;
pub const STOP: i32 = 1;
pub const EXTEND: i32 = 2;
pub const DELETE: i32 = 6;

/// Collects the recording signals the archive client dispatches.
#[derive(Clone, Default)]
pub struct Signals(Arc<Mutex<Vec<Signal>>>);

impl AeronArchiveRecordingSignalConsumerFuncCallback for Signals {
    fn handle_aeron_archive_recording_signal_consumer_func(&mut self, s: AeronArchiveRecordingSignal) {
        self.0.lock().unwrap().push(Signal {
            code: s.recording_signal_code(),
            recording_id: s.recording_id(),
            subscription_id: s.subscription_id(),
            position: s.position(),
        });
    }
}

impl Signals {
    /// Polls the archive until a signal matching `code` (and `recording_id` if given)
    /// arrived; returns it.
    pub fn await_signal(&self, archive: &AeronArchive, code: i32, recording_id: Option<i64>) -> Signal {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(s) = self
                .0
                .lock()
                .unwrap()
                .iter()
                .find(|s| s.code == code && recording_id.map_or(true, |id| id == s.recording_id))
            {
                return *s;
            }
            assert!(
                Instant::now() < deadline,
                "no signal {code} for {recording_id:?}: got {:?}",
                self.0.lock().unwrap()
            );
            archive
                .poll_for_recording_signals()
                .expect("poll for recording signals");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Everything received so far.
    pub fn all(&self) -> Vec<Signal> {
        self.0.lock().unwrap().clone()
    }
}

/// An archiving driver for one test, a client on it, and a connected archive.
pub struct Harness {
    pub archive: AeronArchive,
    pub signals: Signals,
    pub aeron: Aeron,
    pub archiving: ArchivingMediaDriver,
}

impl Harness {
    pub fn start() -> Harness {
        Self::on(ArchivingMediaDriver::launch_for_tests().expect("archiving media driver"))
    }

    pub fn on(archiving: ArchivingMediaDriver) -> Harness {
        let aeron = client(&archiving);
        let signals = Signals::default();
        let archive = connect(&aeron, Some(&signals)).expect("connect to the archive");
        Harness {
            archive,
            signals,
            aeron,
            archiving,
        }
    }
}

/// A started client on the archiving driver.
pub fn client(archiving: &ArchivingMediaDriver) -> Aeron {
    let ctx = AeronContext::new().unwrap();
    ctx.set_dir(&archiving.driver().dir_c_string()).unwrap();
    let idle = rusteron_media_driver::testing::CLIENT_IDLE_SLEEP;
    ctx.set_idle_sleep_duration_ns(idle.as_nanos() as u64).unwrap();
    let aeron = Aeron::new(&ctx).unwrap();
    aeron.start().unwrap();
    aeron
}

/// An archive context on `aeron` talking to the embedded archive over IPC.
pub fn context(aeron: &Aeron, signals: Option<&Signals>) -> Result<AeronArchiveContext, AeronCError> {
    let ctx = AeronArchiveContext::new_with_aeron(aeron)?;
    ctx.set_control_request_channel(c"aeron:ipc")?;
    ctx.set_control_request_stream_id(10)?;
    ctx.set_control_response_channel(c"aeron:ipc")?;
    ctx.set_control_response_stream_id(20)?;
    ctx.set_message_timeout_ns(5_000_000_000)?;
    if let Some(signals) = signals {
        let handler = Handlers::leak(signals.clone());
        ctx.set_recording_signal_consumer(Some(&handler))?;
    }
    Ok(ctx)
}

/// Connects an archive client over IPC.
pub fn connect(aeron: &Aeron, signals: Option<&Signals>) -> Result<AeronArchive, AeronCError> {
    AeronArchive::connect(&context(aeron, signals)?)
}

/// Waits until `condition` holds, failing the test after [`TIMEOUT`].
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Offers `message` until it is accepted; returns the position after it.
pub fn offer(publication: &AeronPublication, message: &[u8]) -> i64 {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match publication.offer(message, Handlers::no_reserved_value_supplier_handler()) {
            Ok(position) => return position,
            Err(e) => assert!(Instant::now() < deadline, "offer never accepted: {e}"),
        }
        std::thread::yield_now();
    }
}

/// A publication on `channel`/`stream_id`, connected (to the archive's recording
/// subscription or any other subscriber).
pub fn publication(aeron: &Aeron, channel: &std::ffi::CStr, stream_id: i32) -> AeronPublication {
    aeron
        .add_publication(channel, stream_id, TIMEOUT)
        .expect("add publication")
}

/// Deterministic message `i` of `length` bytes.
pub fn message(i: usize, length: usize) -> Vec<u8> {
    (0..length)
        .map(|j| (i.wrapping_mul(31).wrapping_add(j.wrapping_mul(7)) % 251) as u8)
        .collect()
}

/// Polls `subscription` until `count` messages arrived; returns (bytes, position after each).
pub fn receive(subscription: &AeronSubscription, count: usize) -> Vec<(Vec<u8>, i64)> {
    let mut assembler = AeronFragmentClosureAssembler::new().unwrap();
    let mut received = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    while received.len() < count {
        assembler
            .poll(
                subscription,
                |buffer: &[u8], header: AeronHeader| received.push((buffer.to_vec(), header.position())),
                100,
            )
            .unwrap();
        assert!(
            Instant::now() < deadline,
            "only {} of {count} messages arrived",
            received.len()
        );
    }
    received
}

/// The RecordingPos counter of the recording of `session_id`, once the archive allocated it.
pub fn recording_pos_counter(aeron: &Aeron, session_id: i32, archive_id: i64) -> i32 {
    let counters = aeron.counters_reader().expect("counters reader");
    let mut id = -1;
    wait_until("the RecordingPos counter", || {
        id = AeronArchive::recording_pos_find_counter_id_by_session_id(&counters, session_id, archive_id);
        id >= 0
    });
    id
}

/// A listed descriptor: recording id, start, stop, initial term id, term length, MTU,
/// session id, stream id, stripped channel, original channel.
pub type Listed = (i64, i64, i64, i32, i32, i32, i32, i32, String, String);

/// All recording descriptors, through the generated listing with a closure.
pub fn list_all(archive: &AeronArchive) -> Vec<Listed> {
    let mut out = Vec::new();
    archive
        .list_recordings_once(0, i32::MAX, |d| {
            out.push((
                d.recording_id(),
                d.start_position(),
                d.stop_position(),
                d.initial_term_id(),
                d.term_buffer_length(),
                d.mtu_length(),
                d.session_id(),
                d.stream_id(),
                d.stripped_channel().to_string(),
                d.original_channel().to_string(),
            ))
        })
        .expect("list recordings");
    out
}

/// A free UDP port of localhost.
#[allow(unused_imports)]
pub use rusteron_media_driver::testing::free_udp_port as free_port;
