//! The topic bus and the broker facade against a real embedded media driver: validation
//! errors, wildcard matching, delivery over IPC and UDP (unicast, multicast on loopback),
//! several publishers whose topic ids coincide, messages above the MTU, limits, and no
//! allocation on the receive path once topics are known.

use std::time::{Duration, Instant};

use rusteron_client::broker::{self, Broker, BrokerConfig, Message};
use rusteron_client::topic::*;
use rusteron_client::Aeron;
use rusteron_media_driver::{launch_for_tests, EmbeddedDriver};

#[global_allocator]
static GLOBAL: rusteron_test_support::CountingAllocator = rusteron_test_support::CountingAllocator;
use rusteron_test_support::allocations;

use rusteron_test_support::TIMEOUT;

fn setup() -> Result<(EmbeddedDriver, Aeron), TopicError> {
    let driver = launch_for_tests()?;
    let aeron = Aeron::builder()
        .dir(driver.dir())
        .idle_sleep(Duration::from_millis(1))
        .connect()?;
    Ok((driver, aeron))
}

fn receive(subscriber: &mut TopicSubscriber, count: usize) -> Result<Vec<(String, Vec<u8>, u64)>, TopicError> {
    let mut got = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    while got.len() < count {
        assert!(Instant::now() < deadline, "got only {got:?}");
        subscriber.poll(|m| got.push((m.topic().to_owned(), m.payload().to_vec(), m.matched())))?;
    }
    Ok(got)
}

fn config(channel: &str, stream_id: i32) -> TopicConfig {
    TopicConfig {
        channel: channel.to_owned(),
        stream_id,
        timeout: TIMEOUT,
        ..Default::default()
    }
}

#[test]
fn invalid_topics_and_patterns_are_typed_errors() {
    assert_eq!(
        Topic::new("sensors/a").unwrap_err(),
        TopicError::MissingLeadingSlash("sensors/a".into())
    );
    assert_eq!(Topic::new("").unwrap_err(), TopicError::MissingLeadingSlash("".into()));
    assert_eq!(Topic::new("/a//b").unwrap_err(), TopicError::EmptyLevel("/a//b".into()));
    assert_eq!(Topic::new("/a/").unwrap_err(), TopicError::EmptyLevel("/a/".into()));
    assert_eq!(
        Topic::new("/a/*").unwrap_err(),
        TopicError::WildcardInTopic("/a/*".into())
    );
    assert_eq!(
        Topic::new("/a/#").unwrap_err(),
        TopicError::WildcardInTopic("/a/#".into())
    );
    assert_eq!(Topic::new("/a\0").unwrap_err(), TopicError::NulByte("/a\0".into()));
    let long = format!("/{}", "x".repeat(300));
    assert_eq!(
        Topic::new(&long).unwrap_err(),
        TopicError::TooLong { length: 301, max: 256 }
    );
    assert_eq!(
        Topic::new(&long).unwrap_err().to_string(),
        "topic is 301 bytes, longer than the maximum 256"
    );
    assert_eq!(
        TopicPattern::new("/a/#/b").unwrap_err(),
        TopicError::MisplacedWildcard("/a/#/b".into())
    );
    assert_eq!(
        TopicPattern::new("/a/x*").unwrap_err(),
        TopicError::MisplacedWildcard("/a/x*".into())
    );
    assert_eq!(
        TopicPattern::new("/a//*").unwrap_err(),
        TopicError::EmptyLevel("/a//*".into())
    );
}

#[test]
fn wildcards_match_one_level_or_the_rest() -> Result<(), TopicError> {
    let cases = [
        ("/sensors/*/temperature", "/sensors/room1/temperature", true),
        ("/sensors/*/temperature", "/sensors/room1/humidity", false),
        ("/sensors/*/temperature", "/sensors/temperature", false),
        ("/sensors/*/temperature", "/sensors/a/b/temperature", false),
        ("/sensors/#", "/sensors/room1/temperature", true),
        ("/sensors/#", "/sensors", true),
        ("/sensors/#", "/sensorsX/a", false),
        ("/sensors/#", "/other/a", false),
        ("/#", "/anything/at/all", true),
        ("/*", "/one", true),
        ("/*", "/one/two", false),
        ("/a/b", "/a/b", true),
        ("/a/b", "/a/bc", false),
        ("/*/b/#", "/x/b/c/d", true),
        ("/*/b/#", "/x/c/b", false),
    ];
    for (pattern, topic, expected) in cases {
        assert_eq!(
            TopicPattern::new(pattern)?.matches(topic),
            expected,
            "{pattern} vs {topic}"
        );
    }
    let mut matcher = TopicMatcher::default();
    let a = matcher.add(TopicPattern::new("/s/*")?, 2)?;
    let b = matcher.add(TopicPattern::new("/s/#")?, 2)?;
    assert_eq!(
        matcher.add(TopicPattern::new("/t")?, 2).unwrap_err(),
        TopicError::TooManySubscriptions { max: 2 }
    );
    assert_eq!(matcher.matches("/s/x"), a.bit() | b.bit());
    assert_eq!(matcher.matches("/s/x/y"), b.bit());
    assert!(matcher.remove(a));
    assert_eq!(matcher.matches("/s/x"), b.bit());
    Ok(())
}

/// The matcher's pre-filter never changes an answer: every pattern and topic built from a
/// small alphabet (long and short literals, prefixes of each other, `*`, `#`) gives the
/// same mask as matching each pattern on its own.
#[test]
fn matcher_agrees_with_each_pattern() -> Result<(), TopicError> {
    let words = ["a", "ab", "abcdefghij", "abcdefghik", "b"];
    let mut topics = Vec::new();
    let mut level_sets: Vec<Vec<&str>> = vec![vec![]];
    for _ in 0..3 {
        let mut next = Vec::new();
        for set in &level_sets {
            for w in words {
                let mut longer = set.clone();
                longer.push(w);
                topics.push(format!("/{}", longer.join("/")));
                next.push(longer);
            }
        }
        level_sets = next;
    }
    let mut patterns = Vec::new();
    for topic in topics.iter().filter(|t| t.matches('/').count() <= 2) {
        patterns.push(topic.clone());
        patterns.push(format!("{topic}/#"));
        patterns.push(format!("{topic}/*"));
        // The first level as a wildcard.
        let rest = topic[1..].find('/').map_or(topic.len(), |i| i + 1);
        patterns.push(format!("/*{}", &topic[rest..]));
    }
    patterns.extend([
        "/#".to_string(),
        "/*".to_string(),
        "/*/*/*".to_string(),
        "/*/#".to_string(),
    ]);
    patterns.sort();
    patterns.dedup();
    let mut checked = 0;
    for chunk in patterns.chunks(MAX_SUBSCRIPTIONS) {
        let mut matcher = TopicMatcher::default();
        let compiled: Vec<TopicPattern> = chunk.iter().map(|p| TopicPattern::new(p)).collect::<Result<_, _>>()?;
        for p in &compiled {
            matcher.add(p.clone(), MAX_SUBSCRIPTIONS)?;
        }
        for topic in &topics {
            let expected = compiled
                .iter()
                .enumerate()
                .filter(|(_, p)| p.matches(topic))
                .fold(0u64, |mask, (i, _)| mask | 1 << i);
            assert_eq!(matcher.matches(topic), expected, "{topic} against {chunk:?}");
            checked += compiled.len();
        }
    }
    assert!(checked > 10_000, "only {checked} pattern/topic pairs");
    Ok(())
}

fn telemetry_over(channel: &str, stream_id: i32) -> Result<(), TopicError> {
    let (_driver, aeron) = setup()?;
    let config = config(channel, stream_id);
    let mut temperatures = TopicSubscriber::new(&aeron, &config)?;
    let rooms = temperatures.subscribe("/sensors/*/temperature")?;
    let mut everything = TopicSubscriber::new(&aeron, &config)?;
    let all = everything.subscribe("/sensors/#")?;
    let mut room1 = TopicPublisher::new(&aeron, &config)?;
    let mut room2 = TopicPublisher::new(&aeron, &config)?;
    room1.wait_connected()?;
    room2.wait_connected()?;
    // Both publishers give id 0 to different topics: ids are per session.
    room1.publish_blocking("/sensors/room1/temperature", b"21.0")?;
    room2.publish_blocking("/sensors/room2/humidity", b"40%")?;
    room2.publish_blocking("/sensors/room2/temperature", b"19.5")?;
    room1.publish_blocking("/sensors/room1/temperature", b"21.5")?;
    room1.publish_blocking("/actuators/fan", b"on")?;
    let mut got = receive(&mut temperatures, 3)?;
    got.sort();
    assert_eq!(
        got,
        vec![
            ("/sensors/room1/temperature".into(), b"21.0".to_vec(), rooms.bit()),
            ("/sensors/room1/temperature".into(), b"21.5".to_vec(), rooms.bit()),
            ("/sensors/room2/temperature".into(), b"19.5".to_vec(), rooms.bit()),
        ]
    );
    let mut got = receive(&mut everything, 4)?;
    got.sort();
    let topics: Vec<&str> = got.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(
        topics,
        [
            "/sensors/room1/temperature",
            "/sensors/room1/temperature",
            "/sensors/room2/humidity",
            "/sensors/room2/temperature"
        ]
    );
    assert!(got.iter().all(|(_, _, m)| *m == all.bit()));
    // The non-matching /actuators/fan never shows up.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(receive(&mut everything, 0)?.len(), 0);
    let mut extra = 0;
    everything.poll(|_| extra += 1)?;
    assert_eq!(extra, 0);
    assert_eq!(everything.malformed(), 0);
    Ok(())
}

#[test]
fn telemetry_over_ipc() -> Result<(), TopicError> {
    telemetry_over("aeron:ipc", 5001)
}

#[test]
fn telemetry_over_udp_unicast() -> Result<(), TopicError> {
    let port = free_port();
    telemetry_over(&format!("aeron:udp?endpoint=127.0.0.1:{port}"), 5002)
}

#[test]
fn telemetry_over_udp_multicast_on_loopback() -> Result<(), TopicError> {
    let port = free_port();
    telemetry_over(
        &format!("aeron:udp?endpoint=239.255.10.1:{port}|interface=127.0.0.1"),
        5003,
    )
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn images_far_above_the_mtu_arrive_whole_and_zero_copy_path_allocates_nothing() -> Result<(), TopicError> {
    let (_driver, aeron) = setup()?;
    let config = config("aeron:ipc", 5004);
    let mut subscriber = TopicSubscriber::new(&aeron, &config)?;
    subscriber.subscribe("/camera/#")?;
    let mut publisher = TopicPublisher::new(&aeron, &config)?;
    publisher.wait_connected()?;
    let max = publisher.max_payload("/camera/front")?;
    let image: Vec<u8> = (0..max as u32).map(|i| (i ^ (i >> 8)) as u8).collect();
    publisher.publish_blocking("/camera/front", &image)?;
    let got = receive(&mut subscriber, 1)?;
    assert!(got[0].1 == image, "image bytes differ");

    // Known topics: the publish and receive paths allocate nothing.
    let handle = publisher.topic("/camera/meta")?;
    publisher.publish_blocking("/camera/meta", b"warm")?;
    receive(&mut subscriber, 1)?;
    let before = allocations();
    let mut sum = 0u64;
    let mut count = 0;
    for i in 0u64..300 {
        loop {
            match publisher.publish_to(handle, &i.to_le_bytes()) {
                Ok(_) => break,
                Err(TopicError::BufferFull) => std::hint::spin_loop(),
                Err(e) => return Err(e),
            }
        }
        let deadline = Instant::now() + TIMEOUT;
        let mut seen = false;
        while !seen {
            subscriber.poll(|m| {
                sum += u64::from_le_bytes(m.payload().try_into().unwrap());
                seen = true;
            })?;
            assert!(Instant::now() < deadline);
        }
        count += 1;
    }
    assert_eq!((count, sum), (300, (0..300).sum()));
    assert_eq!(allocations() - before, 0, "allocations on the topic path");
    Ok(())
}

#[test]
fn publish_errors_and_subscription_limits() -> Result<(), TopicError> {
    let (_driver, aeron) = setup()?;
    let config = TopicConfig {
        max_subscriptions: 1,
        max_topic_length: 16,
        ..config("aeron:ipc", 5005)
    };
    let mut publisher = TopicPublisher::new(&aeron, &config)?;
    assert_eq!(publisher.publish("/a/b", b"x").unwrap_err(), TopicError::NotConnected);
    assert_eq!(
        publisher.publish("/a/*", b"x").unwrap_err(),
        TopicError::WildcardInTopic("/a/*".into())
    );
    assert_eq!(
        publisher.publish("/a/very/long/topic", b"x").unwrap_err(),
        TopicError::TooLong { length: 18, max: 16 }
    );
    let mut subscriber = TopicSubscriber::new(&aeron, &config)?;
    subscriber.subscribe("/a/#")?;
    assert_eq!(
        subscriber.subscribe("/b").unwrap_err(),
        TopicError::TooManySubscriptions { max: 1 }
    );
    let bad_channel = TopicConfig {
        channel: "aeron:ipc\0".into(),
        ..config.clone()
    };
    match TopicSubscriber::new(&aeron, &bad_channel).unwrap_err() {
        TopicError::Aeron(e) => assert_eq!(e.kind(), rusteron_client::AeronErrorType::InvalidArgument),
        other => panic!("{other:?}"),
    }
    Ok(())
}

#[test]
fn broker_facade_registers_subscribes_publishes_and_receives() -> Result<(), broker::Error> {
    let (_driver, aeron) = setup()?;
    let broker = std::sync::Arc::new(Broker::new(
        &aeron,
        BrokerConfig {
            receive_timeout: Duration::from_millis(200),
            topics: config("aeron:ipc", 5006),
            ..Default::default()
        },
    )?);
    let sensors = broker.register_client("sensors")?;
    let rooms = broker.register_client("rooms")?;
    broker.subscribe(&sensors, "/sensors/#")?;
    broker.subscribe(&rooms, "/sensors/*/temperature")?;
    let b = broker.clone();
    std::thread::spawn(move || -> Result<(), broker::Error> {
        b.publish(Message::new(
            Topic::new("/sensors/room1/temperature")?,
            b"25.5".to_vec(),
        ))?;
        b.publish(Message::new(Topic::new("/sensors/status")?, b"ok".to_vec()))
    })
    .join()
    .unwrap()?;
    let first = broker.receive(&sensors)?;
    let second = broker.receive(&sensors)?;
    assert_eq!(
        (first.topic.as_str(), &first.payload[..]),
        ("/sensors/room1/temperature", &b"25.5"[..])
    );
    assert_eq!(
        (second.topic.as_str(), &second.payload[..]),
        ("/sensors/status", &b"ok"[..])
    );
    assert_eq!(broker.receive(&rooms)?.payload, b"25.5");
    assert_eq!(broker.receive(&rooms).unwrap_err(), broker::Error::NoMessage);
    assert!(broker.unregister_client(&rooms));
    assert!(matches!(
        broker.receive(&rooms).unwrap_err(),
        broker::Error::UnknownClient(_)
    ));
    assert!(matches!(
        broker.subscribe(&sensors, "/bad/x#").unwrap_err(),
        broker::Error::Topic(TopicError::MisplacedWildcard(_))
    ));
    Ok(())
}
