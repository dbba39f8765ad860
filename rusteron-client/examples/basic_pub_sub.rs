//! The smallest complete program: an embedded media driver, a publication and a
//! subscription over IPC in one thread, N messages sent, received and verified.
//!
//! ```text
//! cargo run --release -p rusteron-client --example basic_pub_sub -- --messages 10000
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use rusteron_client::*;
use rusteron_media_driver::launch_for_tests;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "basic_pub_sub: embedded driver, IPC publication and subscription, verified messages
  --messages N    messages to send (default 10000)
  --stream ID     stream id (default 1001)
  --timeout SECS  upper bound on the run (default 10)";

/// What to send.
#[derive(Debug, Clone)]
pub struct Config {
    /// How many messages.
    pub messages: u64,
    /// Stream id on `aeron:ipc`.
    pub stream_id: i32,
    /// Upper bound on the run.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            messages: 10_000,
            stream_id: 1001,
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
            stream_id: flags.get("stream", d.stream_id)?,
            timeout: Duration::from_secs_f64(flags.get("timeout", 10.0)?),
        })
    }
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Messages published.
    pub sent: u64,
    /// Messages received, each checked against what was sent.
    pub received: u64,
    /// Time from the first offer to the last message received.
    pub elapsed: Duration,
}

/// Publishes `config.messages` messages and receives them on the same thread.
pub fn run(config: Config) -> common::Result<Summary> {
    // The driver runs on its own thread in this process and stops when `driver` drops.
    let driver = launch_for_tests()?;
    let ctx = AeronContext::new()?;
    ctx.set_dir(&driver.dir_c_string())?;
    // Report asynchronous client errors on stderr (the C default handler exits the process).
    common::set_error_handler(&ctx)?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;

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
    println!("embedded driver in {}", driver.dir().display());

    let start = Instant::now();
    let deadline = start + config.timeout;
    let mut checker = Checker::default();
    for i in 0..config.messages {
        let message = format!("message {i}");
        // When the subscriber lags a full window behind, offers are back pressured: read
        // some messages and try again.
        common::offer_until(
            deadline,
            || publication.offer(message.as_bytes(), Handlers::no_reserved_value_supplier_handler()),
            || {
                let _ = subscription.poll_once(|m: &[u8], _: AeronHeader| checker.check(m), 100);
            },
        )?;
    }
    while checker.received < config.messages {
        subscription.poll_once(|m: &[u8], _: AeronHeader| checker.check(m), 100)?;
        if Instant::now() >= deadline {
            let received = checker.received;
            return Err(common::fail(format!(
                "received {received} of {} messages",
                config.messages
            )));
        }
    }
    let elapsed = start.elapsed();
    if let Some(mismatch) = checker.mismatch {
        return Err(common::fail(mismatch));
    }
    println!(
        "sent and received {} messages in {:.1} ms, all in order and intact",
        config.messages,
        elapsed.as_secs_f64() * 1e3
    );
    Ok(Summary {
        sent: config.messages,
        received: checker.received,
        elapsed,
    })
}

/// Checks each message against the one expected next.
#[derive(Default)]
struct Checker {
    received: u64,
    mismatch: Option<String>,
}

impl Checker {
    fn check(&mut self, message: &[u8]) {
        let expected = format!("message {}", self.received);
        if message != expected.as_bytes() && self.mismatch.is_none() {
            let got = String::from_utf8_lossy(message);
            self.mismatch = Some(format!("expected {expected:?}, got {got:?}"));
        }
        self.received += 1;
    }
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
