//! Round-trip latency of iceoryx2 publish-subscribe between two processes, measured as
//! `bench_ping_pong` measures Aeron: ping sends a 32-byte message carrying its send time,
//! busy-spins until pong's echo arrives, and records the round trip in an HDR histogram
//! (1 ns .. 10^13 ns, 3 significant digits) printed in cping's format.
//!
//! ```text
//! rusteron-bench-iceoryx2 pong --service <name> --messages <n>
//! rusteron-bench-iceoryx2 ping --service <name> [--messages 1000000] [--warmup 100000]
//! ```
//!
//! Both use zero-copy samples (`loan_uninit` / `write_payload` / `send`) on two
//! `ipc::Service` publish-subscribe services, `<name>/ping` and `<name>/pong`, with the
//! default QoS (no history, subscriber buffer of 2).

use rusteron_bench_hdr as hdr;

use std::error::Error;
use std::hint::spin_loop;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use iceoryx2::prelude::*;

type Payload = [u8; 32];
type Result<T> = std::result::Result<T, Box<dyn Error>>;

const USAGE: &str = "usage: rusteron-bench-iceoryx2 ping|pong --service <name> [--messages n] [--warmup n]";
const TIMEOUT: Duration = Duration::from_secs(20);

fn flag(args: &[String], name: &str) -> Option<String> {
    args.windows(2).find(|w| w[0] == name).map(|w| w[1].clone())
}

fn number(args: &[String], name: &str, default: u64) -> Result<u64> {
    match flag(args, name) {
        Some(v) => Ok(v.parse().map_err(|_| format!("{name}: invalid number {v:?}"))?),
        None => Ok(default),
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let role = args.first().ok_or(USAGE)?.clone();
    let service = flag(&args, "--service").ok_or(USAGE)?;
    let messages = number(&args, "--messages", 1_000_000)?;
    let warmup = number(&args, "--warmup", 100_000)?;

    let node = NodeBuilder::new().create::<ipc::Service>()?;
    let open = |suffix: &str| -> Result<_> {
        let name: ServiceName = format!("{service}/{suffix}").as_str().try_into()?;
        Ok(node
            .service_builder(&name)
            .publish_subscribe::<Payload>()
            .open_or_create()?)
    };
    let (ping_service, pong_service) = (open("ping")?, open("pong")?);
    let wait = |what: &str, ready: &dyn Fn() -> bool| -> Result<()> {
        let start = Instant::now();
        while !ready() {
            if start.elapsed() > TIMEOUT {
                return Err(format!("timed out waiting for {what}").into());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    };

    match role.as_str() {
        "pong" => {
            let subscriber = ping_service.subscriber_builder().create()?;
            let publisher = pong_service.publisher_builder().create()?;
            println!("Subscribing {service}/ping, publishing {service}/pong");
            let mut echoed = 0u64;
            while messages == 0 || echoed < messages {
                match subscriber.receive()? {
                    Some(sample) => {
                        publisher.loan_uninit()?.write_payload(*sample.payload()).send()?;
                        echoed += 1;
                    }
                    None => spin_loop(),
                }
            }
            println!("Echoed {echoed} messages");
        }
        "ping" => {
            let publisher = ping_service.publisher_builder().create()?;
            let subscriber = pong_service.subscriber_builder().create()?;
            println!("Publishing {service}/ping, subscribing {service}/pong");
            wait("the pong subscriber and publisher", &|| {
                ping_service.dynamic_config().number_of_subscribers() > 0
                    && pong_service.dynamic_config().number_of_publishers() > 0
            })?;
            let epoch = Instant::now();
            let mut histogram = Histogram::<u64>::new_with_bounds(1, 10_000_000_000_000, 3)?;
            let round = |count: u64, histogram: &mut Histogram<u64>| -> Result<()> {
                let mut message: Payload = [0; 32];
                for _ in 0..count {
                    let sent = epoch.elapsed().as_nanos() as u64;
                    message[..8].copy_from_slice(&sent.to_ne_bytes());
                    publisher.loan_uninit()?.write_payload(message).send()?;
                    loop {
                        if let Some(sample) = subscriber.receive()? {
                            let now = epoch.elapsed().as_nanos() as u64;
                            let start = u64::from_ne_bytes(sample.payload()[..8].try_into()?);
                            histogram.saturating_record(now.saturating_sub(start));
                            break;
                        }
                        spin_loop();
                    }
                }
                Ok(())
            };
            println!("Warming up with {warmup} messages of length 32 bytes");
            round(warmup, &mut histogram)?;
            histogram.reset();
            println!("Pinging {messages} messages of length 32 bytes");
            round(messages, &mut histogram)?;
            hdr::print_percentiles(&histogram, 5, 1000.0);
        }
        _ => return Err(USAGE.into()),
    }
    Ok(())
}
