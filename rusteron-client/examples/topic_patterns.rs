//! Topic patterns and wildcards: which topics `*` (exactly one level) and `#` (any number of
//! trailing levels) match, checked locally and then on the bus.
//!
//! `cargo run -p rusteron-client --example topic_patterns`

use std::time::{Duration, Instant};

use rusteron_client::topic::{TopicConfig, TopicError, TopicPattern, TopicPublisher, TopicSubscriber};
use rusteron_client::Aeron;

/// The patterns and topics of the example.
pub const PATTERNS: [&str; 4] = ["/sensors/*/temperature", "/sensors/#", "/sensors/room1/*", "/#"];
/// Topics published.
pub const TOPICS: [&str; 4] = [
    "/sensors/room1/temperature",
    "/sensors/room2/humidity",
    "/sensors",
    "/actuators/fan",
];

/// For each pattern, the topics it received over the bus.
pub fn run() -> Result<Vec<(String, Vec<String>)>, TopicError> {
    let driver = rusteron_media_driver::launch_for_tests()?;
    let aeron = Aeron::builder().dir(driver.dir()).connect()?;
    let config = TopicConfig {
        stream_id: 4103,
        timeout: Duration::from_secs(10),
        ..Default::default()
    };
    let mut subscriber = TopicSubscriber::new(&aeron, &config)?;
    let ids: Vec<_> = PATTERNS
        .iter()
        .map(|p| subscriber.subscribe(p))
        .collect::<Result<_, _>>()?;
    let mut publisher = TopicPublisher::new(&aeron, &config)?;
    publisher.wait_connected()?;
    for topic in TOPICS {
        publisher.publish_blocking(topic, topic.as_bytes())?;
    }
    let mut per_pattern: Vec<(String, Vec<String>)> = PATTERNS.iter().map(|p| (p.to_string(), Vec::new())).collect();
    let mut seen = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    // Every topic matches "/#", so all four arrive.
    while seen < TOPICS.len() && Instant::now() < deadline {
        subscriber.poll(|m| {
            seen += 1;
            for (i, id) in ids.iter().enumerate() {
                if m.matches(*id) {
                    per_pattern[i].1.push(m.topic().to_owned());
                }
            }
        })?;
    }
    // The same answers without the bus.
    for (pattern, topics) in &per_pattern {
        let compiled = TopicPattern::new(pattern)?;
        let local: Vec<String> = TOPICS
            .iter()
            .filter(|t| compiled.matches(t))
            .map(|t| t.to_string())
            .collect();
        assert_eq!(&local, topics, "{pattern}");
    }
    Ok(per_pattern)
}

#[allow(dead_code)]
fn main() -> Result<(), TopicError> {
    for (pattern, topics) in run()? {
        println!("{pattern:<24} {topics:?}");
    }
    Ok(())
}
