//! Round-trip latency over IPC with an embedded media driver: the ping side (main thread)
//! sends a 32-byte message on one stream, a pong thread echoes it on a second stream, and
//! each round trip time goes into an HDR histogram.
//!
//! ```text
//! cargo run --release -p rusteron-client --example embedded_ping_pong
//! cargo run --release -p rusteron-client --example embedded_ping_pong -- --messages 1000000
//! ```
//!
//! Both sides busy-spin (`--idle yield` is kinder to a loaded machine). The driver is not
//! on the IPC data path, only advancing publication limits, so by default it backs off to
//! sleeping when idle and leaves the cores to ping and pong (`--driver-idle` changes it).
//! Prints the RTT percentiles in microseconds and the round trips per second; fails if a
//! round trip does not come back within `--timeout` seconds or echoes the wrong message.

use std::ffi::CString;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rusteron_client::*;
use rusteron_media_driver::EmbeddedDriverOptions;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "embedded_ping_pong: IPC round-trip latency through an embedded media driver
  --messages N        measured round trips (default 100000)
  --warmup N          round trips before measuring (default 10000)
  --length BYTES      message length, at least 8 (default 32)
  --idle spin|yield   what ping and pong do when nothing arrived (default spin)
  --driver-idle NAME  driver idle strategy: backoff, sleeping, yield, spin, noop (default backoff)
  --channel URI       channel (default aeron:ipc)
  --timeout SECS      fail if a round trip takes longer (default 10)";

/// What ping and pong do when a poll finds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// Busy-spin (`std::hint::spin_loop`): lowest latency, one core each.
    Spin,
    /// Yield the core to other threads.
    Yield,
}

impl Idle {
    #[inline]
    fn idle(self) {
        match self {
            Idle::Spin => std::hint::spin_loop(),
            Idle::Yield => std::thread::yield_now(),
        }
    }
}

impl std::str::FromStr for Idle {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "spin" => Ok(Idle::Spin),
            "yield" => Ok(Idle::Yield),
            other => Err(format!("expected spin or yield, got {other:?}")),
        }
    }
}

/// The benchmark's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Measured round trips.
    pub messages: u64,
    /// Round trips before measuring.
    pub warmup: u64,
    /// Message length (at least 8: the sequence number).
    pub message_length: usize,
    /// Idle of ping and pong.
    pub idle: Idle,
    /// Idle strategy of the embedded driver.
    pub driver_idle: String,
    /// Channel of both streams.
    pub channel: String,
    /// Stream ping sends on.
    pub ping_stream_id: i32,
    /// Stream pong echoes on.
    pub pong_stream_id: i32,
    /// Upper bound on setup and on each round trip.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            messages: 100_000,
            warmup: 10_000,
            message_length: 32,
            idle: Idle::Spin,
            driver_idle: "backoff".into(),
            channel: "aeron:ipc".into(),
            ping_stream_id: 1002,
            pong_stream_id: 1003,
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
            warmup: flags.get("warmup", d.warmup)?,
            message_length: flags.get("length", d.message_length)?,
            idle: flags.get("idle", d.idle)?,
            driver_idle: flags.get("driver-idle", d.driver_idle)?,
            channel: flags.get("channel", d.channel)?,
            timeout: Duration::from_secs_f64(flags.get("timeout", 10.0)?),
            ..d
        })
    }
}

/// Round-trip times of the measured messages, in nanoseconds.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Measured round trips.
    pub round_trips: u64,
    /// Messages pong echoed (warm-up included).
    pub echoed: u64,
    /// Median RTT.
    pub p50_ns: u64,
    /// 90th percentile RTT.
    pub p90_ns: u64,
    /// 99th percentile RTT.
    pub p99_ns: u64,
    /// 99.9th percentile RTT.
    pub p99_9_ns: u64,
    /// 99.99th percentile RTT.
    pub p99_99_ns: u64,
    /// Largest RTT.
    pub max_ns: u64,
    /// Measured round trips per second of wall time.
    pub round_trips_per_sec: f64,
}

/// Runs warm-up and measured round trips and prints the percentiles.
pub fn run(config: Config) -> common::Result<Summary> {
    if config.message_length < 8 {
        return Err(common::fail("--length must be at least 8 (the sequence number)"));
    }
    let driver = EmbeddedDriverOptions {
        idle_strategy: config.driver_idle.clone(),
        ..Default::default()
    }
    .launch()?;
    let aeron = common::connect(Some(driver.dir()))?;
    let channel = CString::new(config.channel.as_str())?;

    // Pong: its own thread, its own subscription (subscriptions stay on the thread that
    // polls them); the client is shared.
    let running = Arc::new(AtomicBool::new(true));
    let pong = {
        let (aeron, channel, running) = (aeron.clone(), channel.clone(), running.clone());
        let config = config.clone();
        std::thread::Builder::new()
            .name("pong".into())
            .spawn(move || pong(&aeron, &channel, &config, &running))?
    };
    // Stop pong however ping ends.
    let result = ping(&aeron, &channel, &config);
    running.store(false, Ordering::Release);
    let echoed = pong.join().map_err(|_| common::fail("the pong thread panicked"))??;
    let (histogram, elapsed) = result?;

    let q = |quantile: f64| histogram.value_at_quantile(quantile);
    let summary = Summary {
        round_trips: histogram.len(),
        echoed,
        p50_ns: q(0.5),
        p90_ns: q(0.9),
        p99_ns: q(0.99),
        p99_9_ns: q(0.999),
        p99_99_ns: q(0.9999),
        max_ns: histogram.max(),
        round_trips_per_sec: config.messages as f64 / elapsed.as_secs_f64(),
    };
    let us = |ns: u64| ns as f64 / 1e3;
    println!(
        "{} round trips of {}-byte messages over {} (after {} warm-up), {:?} idle, driver idle {}",
        summary.round_trips, config.message_length, config.channel, config.warmup, config.idle, config.driver_idle
    );
    println!(
        "RTT us: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  p99.99 {:.2}  max {:.2}",
        us(summary.p50_ns),
        us(summary.p90_ns),
        us(summary.p99_ns),
        us(summary.p99_9_ns),
        us(summary.p99_99_ns),
        us(summary.max_ns)
    );
    println!(
        "throughput: {:.0} round trips/s ({:.0} msgs/s, each way counted) in {:.3} s",
        summary.round_trips_per_sec,
        2.0 * summary.round_trips_per_sec,
        elapsed.as_secs_f64()
    );
    Ok(summary)
}

/// Echoes every message from the ping stream on the pong stream until `running` clears.
/// Returns how many messages it echoed.
fn pong(aeron: &Aeron, channel: &CString, config: &Config, running: &AtomicBool) -> common::Result<u64> {
    let (no_available, no_unavailable) = (
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
    );
    let subscription = aeron.add_subscription(
        channel,
        config.ping_stream_id,
        no_available,
        no_unavailable,
        config.timeout,
    )?;
    let publication = aeron.add_exclusive_publication(channel, config.pong_stream_id, config.timeout)?;
    let mut echoed = 0u64;
    let mut failure: Option<AeronCError> = None;
    while running.load(Ordering::Acquire) && failure.is_none() {
        let fragments = subscription.poll_once(
            |message: &[u8], _: AeronHeader| loop {
                match publication.offer(message, Handlers::no_reserved_value_supplier_handler()) {
                    Ok(_) => {
                        echoed += 1;
                        break;
                    }
                    Err(e) if common::retryable(&e) && running.load(Ordering::Relaxed) => config.idle.idle(),
                    Err(e) => {
                        failure.get_or_insert(e);
                        break;
                    }
                }
            },
            10,
        )?;
        if fragments == 0 {
            config.idle.idle();
        }
    }
    match failure {
        // Offers stop succeeding once ping has finished and closed its subscription.
        Some(e) if running.load(Ordering::Acquire) => Err(common::fail(format!("pong could not echo: {e}"))),
        _ => Ok(echoed),
    }
}

/// The ping side: sends each message and spins until its echo returns.
struct Pinger {
    publication: AeronExclusivePublication,
    subscription: AeronSubscription,
    message: Vec<u8>,
    idle: Idle,
    timeout: Duration,
}

impl Pinger {
    /// One round trip of message `sequence`; returns its RTT in nanoseconds.
    #[inline]
    fn round_trip(&mut self, sequence: u64) -> common::Result<u64> {
        self.message[..8].copy_from_slice(&sequence.to_le_bytes());
        let start = Instant::now();
        let mut spins = 0u32;
        while let Err(e) = self
            .publication
            .offer(&self.message, Handlers::no_reserved_value_supplier_handler())
        {
            if !common::retryable(&e) {
                return Err(e.into());
            }
            self.check_deadline(start, &mut spins, sequence)?;
            self.idle.idle();
        }
        let mut echo: Option<u64> = None;
        loop {
            self.subscription.poll_once(
                |message: &[u8], _: AeronHeader| {
                    let mut bytes = [0u8; 8];
                    bytes.copy_from_slice(&message[..8.min(message.len())]);
                    echo = Some(u64::from_le_bytes(bytes));
                },
                1,
            )?;
            if echo.is_some() {
                break;
            }
            self.check_deadline(start, &mut spins, sequence)?;
            self.idle.idle();
        }
        let rtt = start.elapsed().as_nanos() as u64;
        match echo {
            Some(e) if e == sequence => Ok(rtt),
            other => Err(common::fail(format!("sent message {sequence}, pong echoed {other:?}"))),
        }
    }

    /// Reads the clock every 4096 spins only, to stay off the hot path.
    #[inline]
    fn check_deadline(&self, start: Instant, spins: &mut u32, sequence: u64) -> common::Result<()> {
        *spins = spins.wrapping_add(1);
        if *spins % 4096 == 0 && start.elapsed() > self.timeout {
            return Err(common::fail(format!(
                "round trip {sequence} did not complete within {:?}",
                self.timeout
            )));
        }
        Ok(())
    }
}

/// Warms up, then measures `config.messages` round trips.
fn ping(aeron: &Aeron, channel: &CString, config: &Config) -> common::Result<(Histogram<u64>, Duration)> {
    let subscription = aeron.add_subscription(
        channel,
        config.pong_stream_id,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        config.timeout,
    )?;
    let publication = aeron.add_exclusive_publication(channel, config.ping_stream_id, config.timeout)?;
    // Connected both ways: pong subscribes to ping's stream and publishes to ours.
    common::wait_until("pong to connect", config.timeout, || {
        publication.is_connected() && subscription.is_connected()
    })?;
    let mut pinger = Pinger {
        publication,
        subscription,
        message: vec![0u8; config.message_length],
        idle: config.idle,
        timeout: config.timeout,
    };
    for sequence in 0..config.warmup {
        pinger.round_trip(sequence)?;
    }
    // 1 ns to 60 s with 3 significant digits.
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)?;
    let start = Instant::now();
    for sequence in config.warmup..config.warmup + config.messages {
        let rtt = pinger.round_trip(sequence)?;
        histogram.saturating_record(rtt);
    }
    Ok((histogram, start.elapsed()))
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
