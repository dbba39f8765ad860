//! Topic bus throughput over IPC: 32-byte payloads under topics matched against 10
//! patterns, one publisher thread and one subscriber thread, messages per second.
//!
//! `cargo run --release -p rusteron-client --example topic_performance -- --messages 10000000`

use std::time::{Duration, Instant};

use rusteron_client::topic::{TopicConfig, TopicError, TopicPublisher, TopicSubscriber};
use rusteron_client::Aeron;

/// The patterns the subscriber holds.
pub const PATTERNS: [&str; 10] = [
    "/sensors/*/temperature",
    "/sensors/#",
    "/market/*/trades",
    "/market/eu/#",
    "/orders/*",
    "/a/b/c",
    "/x/*/y/*",
    "/logs/#",
    "/sensors/room1/*",
    "/status",
];

/// What the example reports.
#[derive(Debug)]
pub struct Summary {
    /// Messages received (all match at least one pattern).
    pub received: u64,
    /// Elapsed time of the receiving side.
    pub elapsed: Duration,
    /// Messages per second.
    pub rate: f64,
}

/// Sends `messages` 32-byte messages round-robin over 4 topics.
pub fn run(messages: u64) -> Result<Summary, TopicError> {
    let driver = rusteron_media_driver::launch_for_tests()?;
    let aeron = Aeron::builder().dir(driver.dir()).connect()?;
    let config = TopicConfig {
        stream_id: 4106,
        term_length: Some(16 * 1024 * 1024),
        timeout: Duration::from_secs(10),
        ..Default::default()
    };
    let mut subscriber = TopicSubscriber::new(&aeron, &config)?;
    for p in PATTERNS {
        subscriber.subscribe(p)?;
    }
    let mut publisher = TopicPublisher::new(&aeron, &config)?;
    publisher.wait_connected()?;
    let topics = [
        "/sensors/room1/temperature",
        "/market/eu/trades",
        "/orders/new",
        "/status",
    ];
    let handles: Vec<_> = topics.iter().map(|t| publisher.topic(t)).collect::<Result<_, _>>()?;
    let sender = std::thread::spawn(move || -> Result<(), TopicError> {
        let payload = [0x5au8; 32];
        for i in 0..messages {
            let handle = handles[(i % 4) as usize];
            loop {
                match publisher.publish_to(handle, &payload) {
                    Ok(_) => break,
                    Err(TopicError::BufferFull) => std::hint::spin_loop(),
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    });
    let start = Instant::now();
    let deadline = start + Duration::from_secs(60);
    let mut received = 0u64;
    while received < messages && Instant::now() < deadline {
        subscriber.poll_limit(|m| received += (m.payload().len() == 32) as u64, 256)?;
    }
    let elapsed = start.elapsed();
    sender.join().expect("sender")?;
    Ok(Summary {
        received,
        elapsed,
        rate: received as f64 / elapsed.as_secs_f64(),
    })
}

#[allow(dead_code)]
fn main() -> Result<(), TopicError> {
    let messages = std::env::args()
        .skip_while(|a| a != "--messages")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    let s = run(messages)?;
    println!("{} msgs in {:?}: {:.2} M msgs/s", s.received, s.elapsed, s.rate / 1e6);
    Ok(())
}
