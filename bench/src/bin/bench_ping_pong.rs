//! Round-trip latency through the rusteron wrappers: the Rust counterpart of Aeron's C
//! `cping` / `cpong` samples, doing what they do, call for call, against an external media
//! driver (`aeronmd`), so `scripts/bench.sh` can run both back to back.
//!
//! ```text
//! bench_ping_pong pong --dir <aeron dir> [--messages <n, 0 = until killed>]
//! bench_ping_pong ping --dir <aeron dir> [--messages 1000000] [--warmup 100000] [--length 32]
//! common: [--ping-channel aeron:ipc] [--pong-channel aeron:ipc] [--ping-stream 1002] [--pong-stream 1003]
//! ```
//!
//! Like cping, ping sends a message carrying `aeron_nano_clock()` on an exclusive
//! publication, busy-spins polling the pong image through a fragment assembler, and records
//! the round trip in an HDR histogram (1 ns .. 10^13 ns, 3 significant digits); it prints
//! the histogram as cping does (`hdr_percentiles_print`, 5 ticks per half distance, values
//! in microseconds), so one parser reads both. Pong echoes each message from inside its
//! fragment handler, as cpong does.

use std::hint::spin_loop;

use hdrhistogram::Histogram;
use rusteron_bench::*;
use rusteron_client::bindings::aeron_nano_clock;
use rusteron_client::*;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const USAGE: &str = "usage: bench_ping_pong ping|pong --dir <aeron dir> [--messages n] [--warmup n] [--length n] \
                     [--ping-channel uri] [--pong-channel uri] [--ping-stream id] [--pong-stream id]";
/// cping's and cpong's DEFAULT_FRAGMENT_COUNT_LIMIT.
const FRAGMENT_LIMIT: usize = 10;

fn now_ns() -> i64 {
    // SAFETY: aeron_nano_clock only reads the monotonic clock.
    unsafe { aeron_nano_clock() }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let role = args.next().unwrap_or_else(|| fail(USAGE));
    let flags = Flags::parse(args, USAGE);
    let result = match role.as_str() {
        "ping" => ping(&flags),
        "pong" => pong(&flags),
        _ => fail(USAGE),
    };
    if let Err(e) = result {
        fail(&format!("bench_ping_pong {role}: {e}"));
    }
}

struct Streams {
    ping_channel: std::ffi::CString,
    pong_channel: std::ffi::CString,
    ping_stream: i32,
    pong_stream: i32,
}

fn streams(flags: &Flags) -> Streams {
    Streams {
        ping_channel: channel(&flags.get("ping-channel", "aeron:ipc".to_string())),
        pong_channel: channel(&flags.get("pong-channel", "aeron:ipc".to_string())),
        ping_stream: flags.get("ping-stream", 1002),
        pong_stream: flags.get("pong-stream", 1003),
    }
}

fn pong(flags: &Flags) -> Result<(), AeronCError> {
    let s = streams(flags);
    let limit: u64 = flags.get("messages", 0);
    let aeron = connect(&flags.required("dir"))?;
    let subscription = subscribe(&aeron, &s.ping_channel, s.ping_stream)?;
    let publication = aeron.add_exclusive_publication(&s.pong_channel, s.pong_stream, TIMEOUT)?;
    println!(
        "Subscribing Ping on stream {}, publishing Pong on stream {}",
        s.ping_stream, s.pong_stream
    );
    wait_for("the ping publication", || subscription.is_connected());
    let image = subscription
        .image_at_index(0)
        .unwrap_or_else(|| fail("could not find image"));
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let none = Handlers::no_reserved_value_supplier_handler();
    let mut echoed = 0u64;
    while limit == 0 || echoed < limit {
        let fragments = assembler.poll_image(
            &image,
            |buffer: &[u8], _header: AeronHeader| {
                while publication.offer(buffer, none).is_err() {
                    spin_loop();
                }
                echoed += 1;
            },
            FRAGMENT_LIMIT,
        )?;
        if fragments <= 0 {
            spin_loop();
        }
    }
    println!("Echoed {echoed} messages");
    Ok(())
}

fn ping(flags: &Flags) -> Result<(), AeronCError> {
    let s = streams(flags);
    let messages: u64 = flags.get("messages", 1_000_000);
    let warmup: u64 = flags.get("warmup", 100_000);
    let length: usize = flags.get("length", 32);
    if length < 8 {
        fail("--length must be at least 8 (the timestamp)");
    }
    let aeron = connect(&flags.required("dir"))?;
    let subscription = subscribe(&aeron, &s.pong_channel, s.pong_stream)?;
    let publication = aeron.add_exclusive_publication(&s.ping_channel, s.ping_stream, TIMEOUT)?;
    println!(
        "Publishing Ping on stream {}, subscribing Pong on stream {}",
        s.ping_stream, s.pong_stream
    );
    wait_for("the pong publication", || subscription.is_connected());
    let image = subscription
        .image_at_index(0)
        .unwrap_or_else(|| fail("could not find image"));
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 10_000_000_000_000, 3).expect("histogram bounds");
    let mut message = vec![0u8; length];

    println!("Warming up with {warmup} messages of length {length} bytes");
    let start = now_ns();
    let mut round = Round {
        publication: &publication,
        image: &image,
        assembler: &mut assembler,
        histogram: &mut histogram,
        message: &mut message,
    };
    round.run(warmup)?;
    println!("Warm up complete in {}ns", now_ns() - start);
    println!("Pinging {messages} messages of length {length} bytes");
    round.histogram.reset();
    let before = allocations();
    round.run(messages)?;
    let allocated = allocations() - before;
    hdr::print_percentiles(&histogram, 5, 1000.0);
    println!("Allocations in the measured loop: {allocated}");
    Ok(())
}

struct Round<'a> {
    publication: &'a AeronExclusivePublication,
    image: &'a AeronImage,
    assembler: &'a mut AeronFragmentClosureAssembler,
    histogram: &'a mut Histogram<u64>,
    message: &'a mut [u8],
}

impl Round<'_> {
    /// cping's `send_ping_and_receive_pong`.
    fn run(&mut self, messages: u64) -> Result<(), AeronCError> {
        let none = Handlers::no_reserved_value_supplier_handler();
        let mut received = 0u64;
        for i in 0..messages {
            loop {
                self.message[..8].copy_from_slice(&now_ns().to_ne_bytes());
                if self.publication.offer(self.message, none).is_ok() {
                    break;
                }
            }
            while received < i + 1 {
                let histogram = &mut *self.histogram;
                let fragments = self.assembler.poll_image(
                    self.image,
                    |buffer: &[u8], _header: AeronHeader| {
                        let end = now_ns();
                        let start = i64::from_ne_bytes(buffer[..8].try_into().expect("8 bytes"));
                        histogram.saturating_record((end - start).max(0) as u64);
                        received += 1;
                    },
                    FRAGMENT_LIMIT,
                )?;
                if fragments <= 0 {
                    spin_loop();
                }
            }
        }
        Ok(())
    }
}
