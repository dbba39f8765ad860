//! Error handling on the topic bus and the broker facade: every bad input is a typed error
//! with a one-line message, back pressure is `BufferFull`, nothing panics.
//!
//! `cargo run -p rusteron-client --example topic_errors`

use std::time::Duration;

use rusteron_client::broker::{self, Broker, BrokerConfig, Message, Topic};
use rusteron_client::topic::{TopicConfig, TopicError, TopicPublisher, TopicSubscriber};
use rusteron_client::Aeron;

/// Each case and the message its error printed.
pub fn run() -> Result<Vec<(String, String)>, broker::Error> {
    let driver = rusteron_media_driver::launch_for_tests()?;
    let aeron = Aeron::builder().dir(driver.dir()).connect()?;
    let mut cases = Vec::new();
    let mut case = |name: &str, error: String| cases.push((name.to_owned(), error));
    for bad in ["no/slash", "/a//b", "/a/*", "/a/b#"] {
        case(bad, Topic::new(bad).unwrap_err().to_string());
    }
    let config = TopicConfig {
        stream_id: 4104,
        max_subscriptions: 2,
        term_length: Some(64 * 1024),
        timeout: Duration::from_secs(10),
        ..Default::default()
    };
    let mut publisher = TopicPublisher::new(&aeron, &config)?;
    case(
        "publish without subscribers",
        publisher.publish("/a", b"x").unwrap_err().to_string(),
    );
    let mut subscriber = TopicSubscriber::new(&aeron, &config)?;
    subscriber.subscribe("/a/#")?;
    subscriber.subscribe("/b/#")?;
    case(
        "third subscription",
        subscriber.subscribe("/c").unwrap_err().to_string(),
    );
    publisher.wait_connected()?;
    // Nobody polls: the 64 KiB term window fills up and publishing reports BufferFull.
    let full = loop {
        match publisher.publish("/a/load", &[0u8; 1024]) {
            Ok(_) => continue,
            Err(e) => break e,
        }
    };
    assert_eq!(full, TopicError::BufferFull);
    case("back pressure", full.to_string());
    let broker = Broker::new(
        &aeron,
        BrokerConfig {
            receive_timeout: Duration::from_millis(20),
            topics: TopicConfig {
                stream_id: 4105,
                ..config
            },
            ..Default::default()
        },
    )?;
    let client = broker.register_client("c")?;
    case(
        "receive with nothing published",
        broker.receive(&client).unwrap_err().to_string(),
    );
    broker.unregister_client(&client);
    case(
        "unknown client",
        broker
            .publish(Message::new(Topic::new("/x")?, vec![]))
            .and(broker.receive(&client))
            .unwrap_err()
            .to_string(),
    );
    Ok(cases)
}

#[allow(dead_code)]
fn main() -> Result<(), broker::Error> {
    for (name, message) in run()? {
        println!("{name:<32} -> {message}");
    }
    Ok(())
}
