//! Sending messages far larger than the MTU: each "file" (2 MiB by default) is offered as
//! one message, which the publication splits into MTU-sized fragments and a receiver
//! thread reassembles with `AeronFragmentClosureAssembler`. An FNV-1a checksum of every
//! file is compared on both sides.
//!
//! ```text
//! cargo run --release -p rusteron-client --example file_transfer -- --size 4194304 --files 5
//! ```
//!
//! A message may be at most a term / 8 long (and at most 16 MiB), so the channel asks for a
//! term large enough: `aeron:ipc?term-length=...` (16 MiB for 2 MiB files).

use std::ffi::CString;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rusteron_client::*;
use rusteron_media_driver::launch_for_tests;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "file_transfer: messages larger than the MTU, fragmented and reassembled, checksummed
  --size BYTES    bytes per file, at most 16 MiB (default 2097152)
  --files N       files to send (default 3)
  --timeout SECS  upper bound on each step (default 10)";

/// Aeron's cap on a message, whatever the term length.
const MAX_MESSAGE_LENGTH: usize = 16 << 20;

/// What to send.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bytes per file.
    pub size: usize,
    /// How many files.
    pub files: u32,
    /// Stream id.
    pub stream_id: i32,
    /// Upper bound on each step.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            size: 2 << 20,
            files: 3,
            stream_id: 1011,
            timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// The configuration the command-line flags describe (defaults for absent flags).
    pub fn from_flags(flags: &mut common::Flags) -> common::Result<Config> {
        let d = Config::default();
        Ok(Config {
            size: flags.get("size", d.size)?,
            files: flags.get("files", d.files)?,
            timeout: Duration::from_secs_f64(flags.get("timeout", 10.0)?),
            ..d
        })
    }
}

/// Length and checksum of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileDigest {
    /// Bytes.
    pub length: usize,
    /// FNV-1a 64 of the bytes.
    pub checksum: u64,
}

/// What was sent and what arrived.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Digests of the files sent.
    pub sent: Vec<FileDigest>,
    /// Digests of the files received (equal to `sent`, or `run` fails).
    pub received: Vec<FileDigest>,
    /// Fragments each file was split into.
    pub fragments_per_file: usize,
    /// Term length of the channel.
    pub term_length: usize,
}

/// Deterministic file contents (xorshift64 bytes from `seed`).
fn file_contents(length: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..length)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The smallest valid term length that carries a `size`-byte message (term / 8 ≥ size).
fn term_length_for(size: usize) -> usize {
    (size * 8).next_power_of_two().max(64 << 10)
}

/// Sends `config.files` files and checks what the receiver thread reassembled.
pub fn run(config: Config) -> common::Result<Summary> {
    if config.size == 0 || config.size > MAX_MESSAGE_LENGTH {
        return Err(common::fail(format!("--size must be 1 to {MAX_MESSAGE_LENGTH} bytes")));
    }
    let driver = launch_for_tests()?;
    let aeron = common::connect(Some(driver.dir()))?;
    let term_length = term_length_for(config.size);
    let channel = format!("aeron:ipc?term-length={term_length}");

    let receiver = {
        let (aeron, channel, config) = (aeron.clone(), channel.clone(), config.clone());
        std::thread::Builder::new()
            .name("receiver".into())
            .spawn(move || receive(&aeron, &channel, &config))?
    };
    let sent = send(&aeron, &channel, &config);
    let received = receiver
        .join()
        .map_err(|_| common::fail("the receiver thread panicked"))?;
    let (sent, fragments_per_file) = sent?;
    let received = received?;
    if received != sent {
        return Err(common::fail(format!("sent {sent:x?}\nreceived {received:x?}")));
    }
    println!("all {} files arrived whole with matching checksums", received.len());
    Ok(Summary {
        sent,
        received,
        fragments_per_file,
        term_length,
    })
}

/// Offers each file as one message; returns the digests and the fragments per file.
fn send(aeron: &Aeron, channel: &str, config: &Config) -> common::Result<(Vec<FileDigest>, usize)> {
    let publication = aeron.add_publication(&CString::new(channel)?, config.stream_id, config.timeout)?;
    common::wait_until("the receiver", config.timeout, || publication.is_connected())?;
    let constants = publication.constants()?;
    let (max_message, max_payload) = (constants.max_message_length(), constants.max_payload_length());
    let fragments = config.size.div_ceil(max_payload);
    println!(
        "{channel}: max message {max_message} bytes, max payload per fragment {max_payload}, \
         so each {}-byte file takes {fragments} fragments",
        config.size
    );
    let mut digests = Vec::new();
    for file in 0..config.files {
        let contents = file_contents(config.size, u64::from(file) + 1);
        let digest = FileDigest {
            length: contents.len(),
            checksum: common::fnv1a64(&contents),
        };
        let start = Instant::now();
        common::offer_until(
            start + config.timeout,
            || publication.offer(&contents, Handlers::no_reserved_value_supplier_handler()),
            std::thread::yield_now,
        )?;
        println!(
            "sent file {file}: {} bytes, checksum {:016x}, offered in {:.2} ms",
            digest.length,
            digest.checksum,
            start.elapsed().as_secs_f64() * 1e3
        );
        digests.push(digest);
    }
    Ok((digests, fragments))
}

/// Reassembles `config.files` messages and digests each.
fn receive(aeron: &Aeron, channel: &str, config: &Config) -> common::Result<Vec<FileDigest>> {
    let subscription = aeron.add_subscription(
        &CString::new(channel)?,
        config.stream_id,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        config.timeout,
    )?;
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let mut digests = Vec::new();
    let mut deadline = Instant::now() + config.timeout;
    while digests.len() < config.files as usize {
        let fragments = assembler.poll(
            &subscription,
            |file: &[u8], _: AeronHeader| {
                digests.push(FileDigest {
                    length: file.len(),
                    checksum: common::fnv1a64(file),
                })
            },
            64,
        )?;
        let now = Instant::now();
        if fragments > 0 {
            deadline = now + config.timeout;
        } else if now >= deadline {
            return Err(common::fail(format!(
                "received {} of {} files",
                digests.len(),
                config.files
            )));
        } else {
            std::thread::yield_now();
        }
    }
    for (file, digest) in digests.iter().enumerate() {
        println!(
            "received file {file}: {} bytes, checksum {:016x}",
            digest.length, digest.checksum
        );
    }
    Ok(digests)
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
