//! Throughput of an exclusive publication over IPC with an embedded media driver: the
//! main thread offers 32-byte messages as fast as it can for a fixed time, a subscriber
//! thread receives them, and every message carries a sequence number so the subscriber
//! proves nothing was lost, duplicated or reordered.
//!
//! ```text
//! cargo run --release -p rusteron-client --example embedded_exclusive_ipc_throughput
//! cargo run --release -p rusteron-client --example embedded_exclusive_ipc_throughput -- --seconds 10 --length 256
//! ```
//!
//! Prints messages/s and MB/s (payload bytes, 10^6) for both sides; exits non-zero if the
//! subscriber's count or sequence differs from what was sent.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusteron_client::*;
use rusteron_media_driver::EmbeddedDriverOptions;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "embedded_exclusive_ipc_throughput: exclusive publication -> subscription over IPC
  --seconds S          how long to publish (default 3)
  --length BYTES       message length, 8 to one MTU payload (default 32)
  --term-length BYTES  IPC term length, a power of two (default 67108864, as Aeron)
  --driver-idle NAME   driver idle strategy (default backoff)
  --fragment-limit N   fragments per poll (default 256)";

/// The benchmark's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long to publish.
    pub duration: Duration,
    /// Message length (at least 8: the sequence number).
    pub message_length: usize,
    /// IPC term length; the publisher may run half a term ahead of the subscriber.
    pub term_length: usize,
    /// Idle strategy of the embedded driver.
    pub driver_idle: String,
    /// Fragments per poll.
    pub fragment_limit: usize,
    /// Stream id on `aeron:ipc`.
    pub stream_id: i32,
    /// Upper bound on setup and on draining after the publisher stops.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            duration: Duration::from_secs(3),
            message_length: 32,
            term_length: 64 << 20,
            driver_idle: "backoff".into(),
            fragment_limit: 256,
            stream_id: 1004,
            timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// The configuration the command-line flags describe (defaults for absent flags).
    pub fn from_flags(flags: &mut common::Flags) -> common::Result<Config> {
        let d = Config::default();
        Ok(Config {
            duration: Duration::from_secs_f64(flags.get("seconds", 3.0)?),
            message_length: flags.get("length", d.message_length)?,
            term_length: flags.get("term-length", d.term_length)?,
            driver_idle: flags.get("driver-idle", d.driver_idle)?,
            fragment_limit: flags.get("fragment-limit", d.fragment_limit)?,
            ..d
        })
    }
}

/// What was measured.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Messages published.
    pub sent: u64,
    /// Messages received, each with the expected sequence number.
    pub received: u64,
    /// Offers that were back pressured (and retried).
    pub back_pressured: u64,
    /// Published messages per second.
    pub msgs_per_sec: f64,
    /// Published payload megabytes (10^6) per second.
    pub mb_per_sec: f64,
}

/// Publishes for `config.duration`, then waits for the subscriber to drain and verify.
pub fn run(config: Config) -> common::Result<Summary> {
    if config.message_length < 8 {
        return Err(common::fail("--length must be at least 8 (the sequence number)"));
    }
    let driver = EmbeddedDriverOptions {
        idle_strategy: config.driver_idle.clone(),
        term_buffer_length: config.term_length,
        ..Default::default()
    }
    .launch()?;
    let aeron = common::connect(Some(driver.dir()))?;

    // Published so far; the subscriber stops once it has all of them and `done` is set.
    let sent = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let subscriber = {
        let (aeron, sent, done, config) = (aeron.clone(), sent.clone(), done.clone(), config.clone());
        std::thread::Builder::new()
            .name("subscriber".into())
            .spawn(move || subscribe(&aeron, &config, &sent, &done))?
    };
    let published = publish(&aeron, &config, &sent);
    done.store(true, Ordering::Release);
    let received = subscriber
        .join()
        .map_err(|_| common::fail("the subscriber thread panicked"))?;
    let (count, back_pressured, elapsed) = published?;
    let (received, receive_elapsed) = received?;

    let seconds = elapsed.as_secs_f64();
    let summary = Summary {
        sent: count,
        received,
        back_pressured,
        msgs_per_sec: count as f64 / seconds,
        mb_per_sec: (count * config.message_length as u64) as f64 / seconds / 1e6,
    };
    println!(
        "published {} messages of {} bytes in {:.3} s: {:.0} msgs/s, {:.1} MB/s ({} offers back pressured)",
        summary.sent, config.message_length, seconds, summary.msgs_per_sec, summary.mb_per_sec, back_pressured
    );
    println!(
        "received  {} messages in {:.3} s, none lost, duplicated or out of order",
        summary.received,
        receive_elapsed.as_secs_f64()
    );
    Ok(summary)
}

/// Offers sequence-numbered messages for `config.duration`; returns (messages, back
/// pressured offers, publishing time).
fn publish(aeron: &Aeron, config: &Config, sent: &AtomicU64) -> common::Result<(u64, u64, Duration)> {
    let publication = aeron.add_exclusive_publication(AERON_IPC_STREAM, config.stream_id, config.timeout)?;
    common::wait_until("the subscriber", config.timeout, || publication.is_connected())?;
    // One fragment per message, so the subscriber can read the sequence from each fragment.
    let max = publication.constants()?.max_payload_length();
    if config.message_length > max {
        return Err(common::fail(format!(
            "--length is above the maximum payload length {max}"
        )));
    }
    let mut message = vec![0u8; config.message_length];
    let (mut count, mut back_pressured) = (0u64, 0u64);
    let start = Instant::now();
    let end = start + config.duration;
    // Read the clock once per batch of offers.
    while Instant::now() < end {
        for _ in 0..1024 {
            message[..8].copy_from_slice(&count.to_le_bytes());
            match publication.offer(&message, Handlers::no_reserved_value_supplier_handler()) {
                Ok(_) => count += 1,
                Err(e) if e.is_back_pressured() => {
                    back_pressured += 1;
                    std::hint::spin_loop();
                }
                Err(e) => return Err(common::fail(format!("offer of message {count} failed: {e}"))),
            }
        }
        sent.store(count, Ordering::Release);
    }
    let elapsed = start.elapsed();
    sent.store(count, Ordering::Release);
    Ok((count, back_pressured, elapsed))
}

/// Receives until every published message arrived; fails on the first gap. Returns
/// (messages, time from the first to the last message).
fn subscribe(aeron: &Aeron, config: &Config, sent: &AtomicU64, done: &AtomicBool) -> common::Result<(u64, Duration)> {
    let subscription = aeron.add_subscription(
        AERON_IPC_STREAM,
        config.stream_id,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        config.timeout,
    )?;
    let mut expected = 0u64;
    let mut gap: Option<(u64, u64)> = None;
    let mut first: Option<Instant> = None;
    let mut drain_deadline: Option<Instant> = None;
    loop {
        let fragments = subscription.poll_once(
            |message: &[u8], _: AeronHeader| {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(&message[..8]);
                let sequence = u64::from_le_bytes(bytes);
                if sequence != expected && gap.is_none() {
                    gap = Some((expected, sequence));
                }
                expected += 1;
            },
            config.fragment_limit,
        )?;
        if let Some((wanted, got)) = gap {
            return Err(common::fail(format!("expected message {wanted}, received {got}")));
        }
        if fragments > 0 {
            first.get_or_insert_with(Instant::now);
            continue;
        }
        if done.load(Ordering::Acquire) {
            let total = sent.load(Ordering::Acquire);
            if expected == total {
                let elapsed = first.map(|f| f.elapsed()).unwrap_or_default();
                return Ok((expected, elapsed));
            }
            // The publisher stopped: the rest is in the log already, allow time to drain.
            let deadline = *drain_deadline.get_or_insert_with(|| Instant::now() + config.timeout);
            if Instant::now() > deadline {
                return Err(common::fail(format!("received {expected} of {total} messages")));
            }
        }
        std::hint::spin_loop();
    }
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
