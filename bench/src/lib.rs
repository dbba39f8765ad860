//! Shared by the `bench_*` programs (the Rust side of `scripts/bench.sh`): flag parsing,
//! connecting to an external media driver, a per-thread allocation counter and the rate
//! reporter of Aeron's C samples.

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusteron_client::*;

pub use rusteron_bench_hdr as hdr;

/// How long setup steps (adding, connecting) may take.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The allocation counter each bench binary installs as its global allocator.
pub use rusteron_test_support::{allocations, CountingAllocator as CountingAlloc};

/// `--flag value` pairs after the role argument.
pub struct Flags(Vec<(String, String)>);

impl Flags {
    /// Parses `args` (pairs of `--name value`); exits with `usage` on anything else.
    pub fn parse(mut args: impl Iterator<Item = String>, usage: &str) -> Flags {
        let mut pairs = Vec::new();
        while let Some(flag) = args.next() {
            let value = match (flag.strip_prefix("--"), args.next()) {
                (Some(_), Some(value)) => value,
                _ => fail(&format!("expected `--flag value`, got {flag:?}\n{usage}")),
            };
            pairs.push((flag[2..].to_string(), value));
        }
        Flags(pairs)
    }

    /// The value of `--name`, or `default`.
    pub fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> T {
        match self.0.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => v
                .parse()
                .unwrap_or_else(|_| fail(&format!("--{name}: invalid value {v:?}"))),
            None => default,
        }
    }

    /// The value of `--name`, which must be given.
    pub fn required(&self, name: &str) -> String {
        match self.0.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => v.clone(),
            None => fail(&format!("--{name} is required")),
        }
    }
}

/// Prints `message` and exits with status 2.
pub fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2)
}

/// A started client of the media driver in `dir`.
pub fn connect(dir: &str) -> Result<Aeron, AeronCError> {
    let ctx = AeronContext::new()?;
    ctx.set_dir(&dir.into_c_string()?)?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

/// `channel` as a C string (exits on an interior NUL).
pub fn channel(channel: &str) -> CString {
    CString::new(channel).unwrap_or_else(|_| fail("channel contains NUL"))
}

/// Adds a subscription without image handlers.
pub fn subscribe(aeron: &Aeron, channel: &CString, stream_id: i32) -> Result<AeronSubscription, AeronCError> {
    aeron.add_subscription(
        channel,
        stream_id,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        TIMEOUT,
    )
}

/// Waits (yielding, like the C samples) until `condition` holds; exits after [`TIMEOUT`].
pub fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        if start.elapsed() > TIMEOUT {
            fail(&format!("timed out waiting for {what}"));
        }
        std::thread::yield_now();
    }
}

/// Counters the measuring thread bumps with release stores (as `rate_reporter_on_message`
/// in Aeron's `sample_util.h` does) and a reporter thread reads once a second.
#[derive(Default)]
pub struct RateCounters {
    total_bytes: AtomicU64,
    total_messages: AtomicU64,
}

impl RateCounters {
    /// Counts one message of `length` bytes (single writer: load + release store).
    #[inline(always)]
    pub fn on_message(&self, length: usize) {
        let bytes = self.total_bytes.load(Ordering::Relaxed);
        self.total_bytes.store(bytes + length as u64, Ordering::Release);
        let messages = self.total_messages.load(Ordering::Relaxed);
        self.total_messages.store(messages + 1, Ordering::Release);
    }

    /// Messages counted so far.
    pub fn messages(&self) -> u64 {
        self.total_messages.load(Ordering::Acquire)
    }
}

/// The rate reporter thread of Aeron's samples: prints the rate once a second, in their
/// format, until stopped.
pub struct RateReporter {
    /// The counters to bump per message.
    pub counters: Arc<RateCounters>,
    running: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RateReporter {
    /// Starts the reporter thread.
    pub fn start() -> RateReporter {
        let counters = Arc::new(RateCounters::default());
        let running = Arc::new(AtomicBool::new(true));
        let (c, r) = (counters.clone(), running.clone());
        let thread = std::thread::spawn(move || {
            let (mut last_time, mut last_bytes, mut last_messages) = (Instant::now(), 0u64, 0u64);
            while r.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_secs(1));
                let (bytes, messages) = (c.total_bytes.load(Ordering::Acquire), c.messages());
                let now = Instant::now();
                let secs = now.duration_since(last_time).as_secs_f64();
                println!(
                    "{}ms, {:.4e} msgs/sec, {:.4e} bytes/sec, totals {} messages {} MB payloads",
                    now.duration_since(last_time).as_millis(),
                    (messages - last_messages) as f64 / secs,
                    (bytes - last_bytes) as f64 / secs,
                    messages,
                    bytes / (1024 * 1024)
                );
                (last_time, last_bytes, last_messages) = (now, bytes, messages);
            }
        });
        RateReporter {
            counters,
            running,
            thread: Some(thread),
        }
    }

    /// Stops and joins the reporter thread.
    pub fn halt(mut self) {
        self.running.store(false, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
