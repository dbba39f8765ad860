//! Streaming throughput through the rusteron wrappers: the Rust counterpart of Aeron's C
//! `streaming_publisher`, `streaming_exclusive_publisher` and `rate_subscriber` samples,
//! doing what they do, call for call, against an external media driver (`aeronmd`), so
//! `scripts/bench.sh` can run both back to back.
//!
//! ```text
//! bench_throughput subscriber --dir <aeron dir> [--stream 1001] [--messages <n, 0 = until killed>]
//! bench_throughput publisher  --dir <aeron dir> [--stream 1001] [--messages 10000000] [--length 32]
//!                             [--exclusive true|false]
//! common: [--channel aeron:ipc]
//! ```
//!
//! `publisher --exclusive false` is `streaming_publisher`: `offer` on a concurrent
//! publication, with the rate reporter thread running. `--exclusive true` is
//! `streaming_exclusive_publisher` (without `-P`): `try_claim` + `commit` on an exclusive
//! publication. Both busy-spin while back pressured and print the C samples' `Total:` line.
//! `subscriber` is `rate_subscriber`: polls through a fragment assembler (10 fragments per
//! poll), counts each message for its rate reporter, busy-spins.

use std::hint::spin_loop;
use std::time::Instant;

use rusteron_bench::*;
use rusteron_client::*;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const USAGE: &str = "usage: bench_throughput publisher|subscriber --dir <aeron dir> [--channel uri] [--stream id] \
                     [--messages n] [--length n] [--exclusive true|false]";
/// rate_subscriber's DEFAULT_FRAGMENT_COUNT_LIMIT.
const FRAGMENT_LIMIT: usize = 10;

fn main() {
    let mut args = std::env::args().skip(1);
    let role = args.next().unwrap_or_else(|| fail(USAGE));
    let flags = Flags::parse(args, USAGE);
    let result = match role.as_str() {
        "publisher" => publisher(&flags),
        "subscriber" => subscriber(&flags),
        _ => fail(USAGE),
    };
    if let Err(e) = result {
        fail(&format!("bench_throughput {role}: {e}"));
    }
}

fn subscriber(flags: &Flags) -> Result<(), AeronCError> {
    let channel = channel(&flags.get("channel", "aeron:ipc".to_string()));
    let stream_id: i32 = flags.get("stream", 1001);
    let limit: u64 = flags.get("messages", 0);
    let aeron = connect(&flags.required("dir"))?;
    let subscription = subscribe(&aeron, &channel, stream_id)?;
    println!("Subscription channel status {}", subscription.channel_status());
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let reporter = RateReporter::start();
    let counters = reporter.counters.clone();
    let before = allocations();
    while limit == 0 || counters.messages() < limit {
        let fragments = assembler.poll(
            &subscription,
            |buffer: &[u8], _header: AeronHeader| counters.on_message(buffer.len()),
            FRAGMENT_LIMIT,
        )?;
        if fragments <= 0 {
            spin_loop();
        }
    }
    let allocated = allocations() - before;
    reporter.halt();
    println!(
        "Received {} messages; allocations in the polling loop: {allocated}",
        counters.messages()
    );
    Ok(())
}

fn publisher(flags: &Flags) -> Result<(), AeronCError> {
    let channel = channel(&flags.get("channel", "aeron:ipc".to_string()));
    let stream_id: i32 = flags.get("stream", 1001);
    let messages: u64 = flags.get("messages", 10_000_000);
    let length: usize = flags.get("length", 32);
    let exclusive: bool = flags.get("exclusive", false);
    if length < 8 {
        fail("--length must be at least 8 (the sequence number)");
    }
    println!("Streaming {messages} messages of payload length {length} bytes on stream id {stream_id}");
    let aeron = connect(&flags.required("dir"))?;
    let stats = if exclusive {
        let publication = aeron.add_exclusive_publication(&channel, stream_id, TIMEOUT)?;
        println!("Publication channel status {}", publication.channel_status());
        stream_exclusive(&publication, messages, length)?
    } else {
        let publication = aeron.add_publication(&channel, stream_id, TIMEOUT)?;
        println!("Publication channel status {}", publication.channel_status());
        stream_concurrent(&publication, messages, length)
    };
    println!("Done sending.");
    println!(
        "Publisher back pressure ratio {}",
        stats.back_pressured as f64 / messages.max(1) as f64
    );
    let secs = stats.duration_ns as f64 / 1e9;
    println!(
        "Total: {}ms, {:.6e} msgs/sec, {:.6e} bytes/sec, totals {} messages {} MB payloads",
        stats.duration_ns / 1_000_000,
        messages as f64 / secs,
        (messages * length as u64) as f64 / secs,
        messages,
        messages * length as u64 / (1024 * 1024)
    );
    println!("Allocations in the publishing loop: {}", stats.allocations);
    Ok(())
}

struct Stats {
    duration_ns: u128,
    back_pressured: u64,
    allocations: u64,
}

/// streaming_publisher's loop: offer, spin while back pressured, count for the reporter.
fn stream_concurrent(publication: &AeronPublication, messages: u64, length: usize) -> Stats {
    let reporter = RateReporter::start();
    let counters = reporter.counters.clone();
    let none = Handlers::no_reserved_value_supplier_handler();
    let mut message = vec![0u8; length];
    let mut back_pressured = 0u64;
    let before = allocations();
    let start = Instant::now();
    for i in 0..messages {
        message[..8].copy_from_slice(&i.to_ne_bytes());
        while publication.offer(&message, none).is_err() {
            back_pressured += 1;
            spin_loop();
        }
        counters.on_message(length);
    }
    let duration_ns = start.elapsed().as_nanos();
    let allocations = allocations() - before;
    reporter.halt();
    Stats {
        duration_ns,
        back_pressured,
        allocations,
    }
}

/// streaming_exclusive_publisher's loop: try_claim, write the sequence number, commit
/// (through `try_claim_with`).
fn stream_exclusive(
    publication: &AeronExclusivePublication,
    messages: u64,
    length: usize,
) -> Result<Stats, AeronCError> {
    let mut back_pressured = 0u64;
    let before = allocations();
    let start = Instant::now();
    let mut i = 0u64;
    while i < messages {
        // The closure form claims, fills and commits in one frame (no BufferClaim moved).
        match publication.try_claim_with(length, |data| data[..8].copy_from_slice(&i.to_ne_bytes())) {
            Ok(_) => i += 1,
            Err(e) if e.kind() == AeronErrorType::PublicationError => return Err(e),
            Err(_) => {
                back_pressured += 1;
                spin_loop();
            }
        }
    }
    let duration_ns = start.elapsed().as_nanos();
    Ok(Stats {
        duration_ns,
        back_pressured,
        allocations: allocations() - before,
    })
}
