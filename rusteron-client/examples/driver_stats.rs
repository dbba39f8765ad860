//! AeronStat and ErrorStat in one: prints a media driver's counters, distinct error log
//! and loss report by reading its CnC file with `AeronCnc` (no client registration, so it
//! works on a busy or stuck driver too).
//!
//! ```text
//! # a driver of your own (aeronmd, a Java driver, ...):
//! cargo run --release -p rusteron-client --example driver_stats -- --dir /dev/shm/aeron-$USER
//! # or a demo: an embedded driver with some IPC traffic and one rejected command
//! cargo run --release -p rusteron-client --example driver_stats
//! ```
//!
//! `--repeat N --interval-ms MS` prints N snapshots (like AeronStat's refresh).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use rusteron_client::*;
use rusteron_media_driver::{launch_for_tests, EmbeddedDriver};

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "driver_stats: print a media driver's counters, error log and loss report
  --dir PATH        aeron directory of a running driver (default: start an embedded demo driver)
  --repeat N        snapshots to print (default 1)
  --interval-ms MS  pause between snapshots (default 1000)
  --timeout SECS    wait this long for the CnC file (default 5)";

/// Which driver to read.
#[derive(Debug, Clone)]
pub struct Config {
    /// Aeron directory of a running driver; `None` starts an embedded demo driver.
    pub dir: Option<PathBuf>,
    /// Snapshots to print.
    pub repeat: u32,
    /// Pause between snapshots.
    pub interval: Duration,
    /// How long to wait for the CnC file.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dir: None,
            repeat: 1,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
        }
    }
}

impl Config {
    /// The configuration the command-line flags describe (defaults for absent flags).
    pub fn from_flags(flags: &mut common::Flags) -> common::Result<Config> {
        let d = Config::default();
        Ok(Config {
            dir: flags.take("dir")?,
            repeat: flags.get("repeat", d.repeat)?,
            interval: Duration::from_millis(flags.get("interval-ms", 1000)?),
            timeout: Duration::from_secs_f64(flags.get("timeout", 5.0)?),
        })
    }
}

/// The last snapshot printed.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Everything AeronStat shows.
    pub stats: DriverStats,
}

/// Keeps the demo driver and its traffic alive while the stats are read. Fields drop in
/// order: the client's resources, the client, and only then the driver.
struct Demo {
    _publication: AeronPublication,
    _subscription: AeronSubscription,
    _aeron: Aeron,
    _driver: EmbeddedDriver,
}

/// Starts an embedded driver, sends some IPC messages and asks for one invalid channel,
/// so counters and the error log have something to show.
fn demo(timeout: Duration) -> common::Result<(PathBuf, Demo)> {
    let driver = launch_for_tests()?;
    let aeron = common::connect(Some(driver.dir()))?;
    let subscription = aeron.add_subscription(
        AERON_IPC_STREAM,
        1006,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        timeout,
    )?;
    let publication = aeron.add_publication(AERON_IPC_STREAM, 1006, timeout)?;
    common::wait_until("the publication to connect", timeout, || publication.is_connected())?;
    let deadline = std::time::Instant::now() + timeout;
    for i in 0..100u32 {
        let message = i.to_le_bytes();
        common::offer_until(
            deadline,
            || publication.offer(&message, Handlers::no_reserved_value_supplier_handler()),
            std::thread::yield_now,
        )?;
    }
    let mut received = 0;
    common::wait_until("the demo messages", timeout, || {
        let _ = subscription.poll_once(|_: &[u8], _: AeronHeader| received += 1, 100);
        received == 100
    })?;
    // The driver rejects a term length below 64 KiB and records it in its error log.
    let rejected = aeron.add_publication(c"aeron:ipc?term-length=4096", 1007, timeout);
    if rejected.is_ok() {
        return Err(common::fail("the driver accepted a 4 KiB term length"));
    }
    let cnc = AeronCnc::open(driver.dir(), timeout)?;
    common::wait_until("the error log entry", timeout, || {
        cnc.errors(0).is_ok_and(|errors| !errors.is_empty())
    })?;
    println!("demo: embedded driver with 100 IPC messages sent and one rejected publication\n");
    let dir = driver.dir().to_path_buf();
    Ok((
        dir,
        Demo {
            _publication: publication,
            _subscription: subscription,
            _aeron: aeron,
            _driver: driver,
        },
    ))
}

/// Opens the CnC file and prints `config.repeat` snapshots.
pub fn run(config: Config) -> common::Result<Summary> {
    let (dir, _demo) = match config.dir.clone() {
        Some(dir) => (dir, None),
        None => {
            let (dir, demo) = demo(config.timeout)?;
            (dir, Some(demo))
        }
    };
    let cnc = AeronCnc::open(&dir, config.timeout)?;
    let mut stats = cnc.stats()?;
    for snapshot in 0..config.repeat.max(1) {
        if snapshot > 0 {
            std::thread::sleep(config.interval);
            stats = cnc.stats()?;
            println!();
        }
        print!("{stats}");
    }
    Ok(Summary { stats })
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
