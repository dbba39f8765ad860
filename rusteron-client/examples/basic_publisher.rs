//! Publishes text messages to a channel through an external media driver, like Aeron's
//! `basic_publisher` sample.
//!
//! Start a driver (`cargo run --release -p rusteron-media-driver --bin aeronmd`), then a
//! subscriber (`basic_subscriber`), then:
//!
//! ```text
//! cargo run --release -p rusteron-client --example basic_publisher -- \
//!     --channel aeron:udp?endpoint=localhost:20121 --stream 1001 --messages 10
//! ```
//!
//! The driver directory is `--dir`, else `AERON_DIR`, else Aeron's default path. The
//! publisher waits up to `--connect-timeout` seconds for a subscriber, sends `--messages`
//! messages `--interval-ms` apart and exits non-zero if any offer fails.

use std::ffi::CString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rusteron_client::*;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "basic_publisher: publish text messages through an external media driver
  --dir PATH              aeron directory of the driver (default: $AERON_DIR or Aeron's default)
  --channel URI           channel (default aeron:udp?endpoint=localhost:20121)
  --stream ID             stream id (default 1001)
  --messages N            messages to send (default 10)
  --interval-ms MS        pause between messages (default 100)
  --connect-timeout SECS  wait this long for a subscriber (default 10)";

/// What to publish.
#[derive(Debug, Clone)]
pub struct Config {
    /// Aeron directory; `None` uses the C client's default (`AERON_DIR` or the default path).
    pub dir: Option<PathBuf>,
    /// Channel URI.
    pub channel: String,
    /// Stream id.
    pub stream_id: i32,
    /// How many messages to send.
    pub messages: u64,
    /// Pause between messages.
    pub interval: Duration,
    /// How long to wait for a subscriber, and for each offer to go through.
    pub connect_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dir: None,
            channel: "aeron:udp?endpoint=localhost:20121".into(),
            stream_id: 1001,
            messages: 10,
            interval: Duration::from_millis(100),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// The configuration the command-line flags describe (defaults for absent flags).
    pub fn from_flags(flags: &mut common::Flags) -> common::Result<Config> {
        let d = Config::default();
        Ok(Config {
            dir: flags.take("dir")?,
            channel: flags.get("channel", d.channel)?,
            stream_id: flags.get("stream", d.stream_id)?,
            messages: flags.get("messages", d.messages)?,
            interval: Duration::from_millis(flags.get("interval-ms", 100)?),
            connect_timeout: Duration::from_secs_f64(flags.get("connect-timeout", 10.0)?),
        })
    }
}

/// What was published.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The messages, in order.
    pub sent: Vec<String>,
    /// Stream position after the last message.
    pub position: i64,
}

/// Connects, waits for a subscriber and publishes `config.messages` messages.
pub fn run(config: Config) -> common::Result<Summary> {
    // A client talks to the driver through the directory's CnC file.
    let ctx = AeronContext::new()?;
    if let Some(dir) = &config.dir {
        ctx.set_dir(&dir.to_string_lossy().into_owned().into_c_string()?)?;
    }
    // Report asynchronous client errors (e.g. the driver going away) instead of letting
    // the C default handler exit the process.
    let on_error = Handlers::leak(|code: i32, message: &str| eprintln!("aeron client error {code}: {message}"));
    ctx.set_error_handler(Some(&on_error))?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    println!("connected to the media driver in {}", ctx.get_dir());

    let channel = CString::new(config.channel.as_str())?;
    let publication = aeron.add_publication(&channel, config.stream_id, config.connect_timeout)?;
    println!(
        "publishing to {} stream {} (session {})",
        config.channel,
        config.stream_id,
        publication.session_id()
    );
    common::wait_until("a subscriber", config.connect_timeout, || publication.is_connected())?;

    let mut sent = Vec::new();
    let mut position = 0;
    for i in 0..config.messages {
        let message = format!("Hello World! {i}");
        let deadline = Instant::now() + config.connect_timeout;
        // Back pressure and a briefly missing subscriber are retried; anything else fails.
        position = common::offer_until(
            deadline,
            || publication.offer(message.as_bytes(), Handlers::no_reserved_value_supplier_handler()),
            std::thread::yield_now,
        )
        .map_err(|e| common::fail(format!("offer of message {i} failed: {e}")))?;
        println!("sent {message:?} (position {position})");
        sent.push(message);
        if i + 1 < config.messages {
            std::thread::sleep(config.interval);
        }
    }
    println!("done: {} messages sent", sent.len());
    Ok(Summary { sent, position })
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
