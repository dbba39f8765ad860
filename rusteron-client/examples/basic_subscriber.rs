//! Subscribes to a channel through an external media driver and prints each message, like
//! Aeron's `basic_subscriber` sample.
//!
//! Start a driver (`cargo run --release -p rusteron-media-driver --bin aeronmd`), then:
//!
//! ```text
//! cargo run --release -p rusteron-client --example basic_subscriber -- \
//!     --channel aeron:udp?endpoint=localhost:20121 --stream 1001 --messages 10
//! ```
//!
//! and run `basic_publisher` with the same channel and stream. The subscriber exits once
//! `--messages` messages arrived (0: run until `--timeout`), and fails if fewer arrived
//! within `--timeout` seconds. Messages longer than the MTU arrive whole (reassembled).

use std::ffi::CString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rusteron_client::*;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "basic_subscriber: print messages arriving through an external media driver
  --dir PATH      aeron directory of the driver (default: $AERON_DIR or Aeron's default)
  --channel URI   channel (default aeron:udp?endpoint=localhost:20121)
  --stream ID     stream id (default 1001)
  --messages N    exit after N messages; 0 runs until the timeout (default 10)
  --timeout SECS  give up after this long (default 30)";

/// What to subscribe to.
#[derive(Debug, Clone)]
pub struct Config {
    /// Aeron directory; `None` uses the C client's default (`AERON_DIR` or the default path).
    pub dir: Option<PathBuf>,
    /// Channel URI.
    pub channel: String,
    /// Stream id.
    pub stream_id: i32,
    /// Stop after this many messages (0: run until the timeout).
    pub messages: u64,
    /// Upper bound on the run.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dir: None,
            channel: "aeron:udp?endpoint=localhost:20121".into(),
            stream_id: 1001,
            messages: 10,
            timeout: Duration::from_secs(30),
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
            timeout: Duration::from_secs_f64(flags.get("timeout", 30.0)?),
        })
    }
}

/// What arrived.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Every message, in arrival order.
    pub received: Vec<Vec<u8>>,
}

/// Polls the subscription until `config.messages` messages arrived.
pub fn run(config: Config) -> common::Result<Summary> {
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

    // The image handlers run on the client conductor thread when a publisher joins or leaves.
    let on_available = Handlers::leak(|_: AeronSubscription, image: AeronImage| {
        if let Ok(c) = image.constants() {
            println!(
                "publisher joined: session {} from {}",
                c.session_id(),
                c.source_identity()
            );
        }
    });
    let on_unavailable = Handlers::leak(|_: AeronSubscription, image: AeronImage| {
        if let Ok(c) = image.constants() {
            println!("publisher left: session {}", c.session_id());
        }
    });
    let channel = CString::new(config.channel.as_str())?;
    let subscription = aeron.add_subscription(
        &channel,
        config.stream_id,
        Some(&on_available),
        Some(&on_unavailable),
        config.timeout,
    )?;
    println!("subscribed to {} stream {}", config.channel, config.stream_id);

    // The assembler hands whole messages to the closure, however many fragments they took.
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let mut received: Vec<Vec<u8>> = Vec::new();
    let deadline = Instant::now() + config.timeout;
    while config.messages == 0 || (received.len() as u64) < config.messages {
        let fragments = assembler.poll(
            &subscription,
            |message: &[u8], header: AeronHeader| {
                let session = header.values().map(|v| v.frame().session_id).unwrap_or_default();
                println!(
                    "message to stream {} from session {session} ({} bytes) <<{}>>",
                    config.stream_id,
                    message.len(),
                    String::from_utf8_lossy(message)
                );
                received.push(message.to_vec());
            },
            10,
        )?;
        if Instant::now() >= deadline {
            if config.messages == 0 {
                break;
            }
            return Err(common::fail(format!(
                "only {} of {} messages arrived within {:?}",
                received.len(),
                config.messages,
                config.timeout
            )));
        }
        if fragments == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    println!("done: {} messages received", received.len());
    Ok(Summary { received })
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
