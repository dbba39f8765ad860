//! Zero-copy publishing with `try_claim`: claim a range of the publication's log, write the
//! message straight into it, set the frame's reserved value, then commit. The subscriber
//! checks every message and its reserved value (a checksum of the payload).
//!
//! ```text
//! cargo run --release -p rusteron-client --example zero_copy_claim -- --messages 100000 --length 200
//! ```
//!
//! A claim is at most one MTU payload (no fragmentation); the example checks `--length`
//! against the publication's `max_payload_length`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use rusteron_client::*;
use rusteron_media_driver::launch_for_tests;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "zero_copy_claim: try_claim, write in place, commit; the subscriber verifies
  --messages N    messages to send (default 10000)
  --length BYTES  message length, 8 to one MTU payload (default 128)
  --timeout SECS  upper bound on the run (default 10)";

/// What to send.
#[derive(Debug, Clone)]
pub struct Config {
    /// How many messages.
    pub messages: u64,
    /// Length of each message.
    pub message_length: usize,
    /// Stream id on `aeron:ipc`.
    pub stream_id: i32,
    /// Upper bound on the run.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            messages: 10_000,
            message_length: 128,
            stream_id: 1005,
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
            timeout: Duration::from_secs_f64(flags.get("timeout", 10.0)?),
            ..d
        })
    }
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Messages claimed and committed.
    pub sent: u64,
    /// Messages received with the right sequence, payload and reserved value.
    pub verified: u64,
    /// Position of the publication after the last commit.
    pub position: i64,
}

/// Fills `payload` for message `sequence`: the sequence number, then bytes derived from it.
fn write_message(payload: &mut [u8], sequence: u64) {
    payload[..8].copy_from_slice(&sequence.to_le_bytes());
    for (i, byte) in payload[8..].iter_mut().enumerate() {
        *byte = (sequence as usize).wrapping_add(i) as u8;
    }
}

/// Claims, fills and commits `config.messages` messages; receives and checks them.
pub fn run(config: Config) -> common::Result<Summary> {
    let driver = launch_for_tests()?;
    let aeron = common::connect(Some(driver.dir()))?;
    let subscription = aeron.add_subscription(
        AERON_IPC_STREAM,
        config.stream_id,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        config.timeout,
    )?;
    let publication = aeron.add_publication(AERON_IPC_STREAM, config.stream_id, config.timeout)?;
    common::wait_until("the publication to connect", config.timeout, || {
        publication.is_connected()
    })?;
    let max_payload = publication.constants()?.max_payload_length();
    if !(8..=max_payload).contains(&config.message_length) {
        return Err(common::fail(format!(
            "--length must be 8 to {max_payload} (one MTU payload)"
        )));
    }

    let mut verifier = Verifier::default();
    let deadline = Instant::now() + config.timeout;
    let mut position = 0;
    for sequence in 0..config.messages {
        let mut claim = loop {
            match publication.try_claim(config.message_length) {
                Ok(claim) => break claim,
                // The subscriber is a window behind: read some messages, then retry.
                Err(e) if common::retryable(&e) && Instant::now() < deadline => {
                    subscription.poll_once(|m: &[u8], h: AeronHeader| verifier.check(m, &h), 100)?;
                }
                Err(e) => return Err(common::fail(format!("try_claim of message {sequence} failed: {e}"))),
            }
        };
        // The claim's bytes are in the log itself: nothing is copied after this.
        let payload = claim.data();
        write_message(payload, sequence);
        let checksum = common::fnv1a64(payload);
        claim.set_reserved_value(checksum as i64);
        position = claim.position();
        claim.commit()?;
    }
    while verifier.received < config.messages {
        subscription.poll_once(|m: &[u8], h: AeronHeader| verifier.check(m, &h), 100)?;
        if Instant::now() >= deadline {
            let received = verifier.received;
            return Err(common::fail(format!(
                "received {received} of {} messages",
                config.messages
            )));
        }
    }
    if let Some(problem) = verifier.problem {
        return Err(common::fail(problem));
    }
    println!(
        "claimed, wrote in place and committed {} messages of {} bytes (position {position}); all verified",
        config.messages, config.message_length
    );
    Ok(Summary {
        sent: config.messages,
        verified: verifier.received,
        position,
    })
}

/// Checks sequence, payload and reserved value of each message.
#[derive(Default)]
struct Verifier {
    received: u64,
    expected: Vec<u8>,
    problem: Option<String>,
}

impl Verifier {
    fn check(&mut self, message: &[u8], header: &AeronHeader) {
        let sequence = self.received;
        self.received += 1;
        if self.problem.is_some() {
            return;
        }
        self.expected.resize(message.len().max(8), 0);
        write_message(&mut self.expected, sequence);
        let reserved = header.values().map(|v| v.frame().reserved_value).unwrap_or_default();
        if message != self.expected.as_slice() {
            self.problem = Some(format!("message {sequence} has the wrong bytes"));
        } else if reserved != common::fnv1a64(message) as i64 {
            self.problem = Some(format!(
                "message {sequence} has reserved value {reserved:#x}, not its checksum"
            ));
        }
    }
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
