//! A multi-destination subscription: one subscription (`aeron:udp?control-mode=manual`)
//! receiving on two UDP endpoints added as destinations, with one publication sending to
//! each. Messages from both arrive on the one subscription, as two images.
//!
//! ```text
//! cargo run --release -p rusteron-client --example multi_destination_subscription -- --messages 100
//! ```
//!
//! The two loopback ports are the first free UDP ports at or above `--port` (found with
//! `find_unused_udp_port`).

use std::collections::BTreeMap;
use std::ffi::CString;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rusteron_client::*;
use rusteron_media_driver::launch_for_tests;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "multi_destination_subscription: one subscription, two UDP destinations, two publishers
  --messages N    messages per publication (default 100)
  --port PORT     search for two free UDP ports from here (default 40456)
  --timeout SECS  upper bound on the run (default 10)";

/// What to send.
#[derive(Debug, Clone)]
pub struct Config {
    /// Messages per publication.
    pub messages: u64,
    /// First port to try for the destinations.
    pub port: u16,
    /// Stream id.
    pub stream_id: i32,
    /// Upper bound on the run.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            messages: 100,
            port: 40_456,
            stream_id: 1008,
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
            port: flags.get("port", d.port)?,
            timeout: Duration::from_secs_f64(flags.get("timeout", 10.0)?),
            ..d
        })
    }
}

/// What arrived, per destination.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The destinations' channels.
    pub destinations: [String; 2],
    /// Messages received from the publication to each destination, in order.
    pub received: [u64; 2],
}

/// Sends `config.messages` messages to each destination and receives them all on the one
/// subscription.
pub fn run(config: Config) -> common::Result<Summary> {
    let driver = launch_for_tests()?;
    let aeron = common::connect(Some(driver.dir()))?;

    // The subscription's channel says "destinations are managed by hand".
    let subscription = aeron.add_subscription(
        c"aeron:udp?control-mode=manual",
        config.stream_id,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        config.timeout,
    )?;
    let first = find_unused_udp_port(config.port).ok_or_else(|| common::fail("no free UDP port"))?;
    let second = find_unused_udp_port(first + 1).ok_or_else(|| common::fail("no second free UDP port"))?;
    let destinations = [first, second].map(|port| format!("aeron:udp?endpoint=localhost:{port}"));

    let mut publications = Vec::new();
    for destination in &destinations {
        let channel = CString::new(destination.as_str())?;
        subscription.add_destination(&aeron, &channel, config.timeout)?;
        println!("subscription receives on {destination}");
        publications.push(aeron.add_publication(&channel, config.stream_id, config.timeout)?);
    }
    common::wait_until("both publications to connect", config.timeout, || {
        publications.iter().all(|p| p.is_connected())
    })?;
    println!("subscription has {} images", subscription.image_count()?);

    // Which publication a message came from: its session id.
    let mut tally = Tally {
        sessions: publications
            .iter()
            .enumerate()
            .map(|(i, p)| (p.session_id(), i))
            .collect(),
        received: [0; 2],
        problem: None,
    };
    let deadline = Instant::now() + config.timeout;
    for i in 0..config.messages {
        for (d, publication) in publications.iter().enumerate() {
            let message = format!("to destination {d}: message {i}");
            common::offer_until(
                deadline,
                || publication.offer(message.as_bytes(), Handlers::no_reserved_value_supplier_handler()),
                || {
                    let _ = subscription.poll_once(|m: &[u8], h: AeronHeader| tally.on_message(m, &h), 100);
                },
            )?;
        }
    }
    loop {
        subscription.poll_once(|m: &[u8], h: AeronHeader| tally.on_message(m, &h), 100)?;
        if let Some(problem) = tally.problem.take() {
            return Err(common::fail(problem));
        }
        if tally.received.iter().all(|&n| n == config.messages) {
            break;
        }
        if Instant::now() >= deadline {
            let received = tally.received;
            return Err(common::fail(format!(
                "received {received:?} of {} each",
                config.messages
            )));
        }
        std::thread::yield_now();
    }
    for (destination, count) in destinations.iter().zip(tally.received) {
        println!("received {count} messages sent to {destination}");
    }
    Ok(Summary {
        destinations,
        received: tally.received,
    })
}

/// Counts and checks the messages from each publication.
struct Tally {
    sessions: BTreeMap<i32, usize>,
    received: [u64; 2],
    problem: Option<String>,
}

impl Tally {
    fn on_message(&mut self, message: &[u8], header: &AeronHeader) {
        let session = header.values().map(|v| v.frame().session_id).unwrap_or_default();
        let Some(&from) = self.sessions.get(&session) else {
            self.problem
                .get_or_insert(format!("message from unknown session {session}"));
            return;
        };
        let expected = format!("to destination {from}: message {}", self.received[from]);
        if message != expected.as_bytes() {
            let got = String::from_utf8_lossy(message);
            self.problem
                .get_or_insert(format!("expected {expected:?}, got {got:?}"));
        }
        self.received[from] += 1;
    }
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
