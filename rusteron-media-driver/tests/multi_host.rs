//! Several hosts on one machine: each test builds its own network namespaces (veth pairs on
//! a bridge), runs one `aeronmd` per host and drives them from this process through their
//! aeron directories. The drivers exchange UDP inside the namespaces; every message is
//! checked byte for byte, in order, with nothing lost or duplicated.
//!
//! Needs root (namespaces); where they cannot be created the tests fail with that reason.

use std::time::{Duration, Instant};

use rusteron_media_driver::*;
use rusteron_test_support::*;

/// Bound on one whole test.
const TEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Messages per transfer.
const MESSAGES: u64 = 10_000;
/// Small terms: the publisher meets back pressure and flow control is exercised.
const TERM: &str = "term-length=65536";

fn no_env(_: usize) -> Vec<(&'static str, String)> {
    Vec::new()
}

fn wait_connected(publication: &AeronPublication, receivers: &[Receiver]) {
    wait_until("the publication is connected", OP_TIMEOUT, || {
        publication.is_connected()
    });
    for r in receivers {
        wait_until(&format!("{} has an image", r.name), OP_TIMEOUT, || {
            images(&r.subscription) == 1
        });
    }
}

/// Exactly one image appeared, from `address`, and it is still there.
fn assert_single_image_from(receiver: &Receiver, address: &str) {
    let events = receiver.image_events();
    assert_eq!(events.len(), 1, "{}: image events {events:?}", receiver.name);
    assert!(events[0].available, "{}: {events:?}", receiver.name);
    assert!(
        events[0].source.starts_with(&format!("{address}:")),
        "{}: image from {}, expected {address}",
        receiver.name,
        events[0].source
    );
}

fn report(test: &str, hosts: usize, receivers: &[Receiver], transfer: Transfer, started: Instant) {
    let received: Vec<String> = receivers
        .iter()
        .map(|r| format!("{} {} msgs/{} B", r.name, r.verifier.received, r.verifier.bytes))
        .collect();
    eprintln!(
        "{test}: {hosts} hosts, {} messages sent, received {received:?}, {} back-pressured offers, transfer {:?}, test {:?}",
        transfer.messages,
        transfer.back_pressured,
        transfer.elapsed,
        started.elapsed()
    );
}

#[test]
fn unicast_delivers_every_message_from_host_a_to_host_b() {
    let started = Instant::now();
    let mut lab = Lab::start(2, no_env);
    let channel = format!("aeron:udp?endpoint={}:40456|{TERM}", lab.network.address(1));
    let a = lab.connect(0);
    let b = lab.connect(1);
    let mut receivers = vec![Receiver::subscribe("host B", &b, &channel, 1001, 0)];
    let publication = publication(&a, &channel, 1001);
    wait_connected(&publication, &receivers);

    let transfer = send_and_verify(&publication, &mut receivers, 0, MESSAGES, TEST_TIMEOUT);
    assert_quiet(&mut receivers, Duration::from_millis(100));
    assert_eq!(receivers[0].verifier.received, MESSAGES);

    // The image really came over the network, from host A's address.
    assert_single_image_from(&receivers[0], &lab.network.address(0).to_string());
    let loss_gap_fills = Cnc::open(lab.drivers[1].dir(), OP_TIMEOUT)
        .expect("cnc of B")
        .counter("Loss gap fills");
    assert_eq!(loss_gap_fills, 0, "no data may be given up on");
    lab.assert_drivers_running();
    report("unicast", 2, &receivers, transfer, started);
}

#[test]
fn multicast_reaches_both_subscribing_hosts() {
    let started = Instant::now();
    let mut lab = Lab::start(3, no_env);
    let group = lab.network.multicast_group();
    let interface = lab.network.subnet();
    let sub_channel = format!("aeron:udp?endpoint={group}:40457|interface={interface}");
    // Min flow control: the publisher waits for the slower subscriber, so both get everything.
    let pub_channel = format!("{sub_channel}|fc=min|{TERM}");
    let a = lab.connect(0);
    let b = lab.connect(1);
    let c = lab.connect(2);
    let mut receivers = vec![
        Receiver::subscribe("host B", &b, &sub_channel, 1002, 0),
        Receiver::subscribe("host C", &c, &sub_channel, 1002, 0),
    ];
    let publication = publication(&a, &pub_channel, 1002);
    wait_connected(&publication, &receivers);

    let transfer = send_and_verify(&publication, &mut receivers, 0, MESSAGES, TEST_TIMEOUT);
    assert_quiet(&mut receivers, Duration::from_millis(100));
    for r in &receivers {
        assert_eq!(r.verifier.received, MESSAGES, "{}", r.name);
    }
    lab.assert_drivers_running();
    report("multicast", 3, &receivers, transfer, started);
}

/// Host A publishes once; the driver sends a copy to each destination.
fn multi_destination_cast(test: &str, pub_channel: &str, sub_channels: [String; 2], manual: &[String], lab: &mut Lab) {
    let started = Instant::now();
    let a = lab.connect(0);
    let b = lab.connect(1);
    let c = lab.connect(2);
    let mut receivers = vec![
        Receiver::subscribe("host B", &b, &sub_channels[0], 1003, 0),
        Receiver::subscribe("host C", &c, &sub_channels[1], 1003, 0),
    ];
    let publication = publication(&a, pub_channel, 1003);
    for destination in manual {
        let uri = std::ffi::CString::new(destination.as_str()).expect("no NUL");
        let pending = a
            .publication_async_add_destination(&publication, &uri)
            .expect("add destination");
        wait_until(&format!("{destination} is added"), OP_TIMEOUT, || {
            pending
                .publication_async_destination_poll()
                .expect("add destination failed")
                > 0
        });
    }
    wait_connected(&publication, &receivers);

    let transfer = send_and_verify(&publication, &mut receivers, 0, MESSAGES, TEST_TIMEOUT);
    assert_quiet(&mut receivers, Duration::from_millis(100));
    for r in &receivers {
        assert_eq!(r.verifier.received, MESSAGES, "{}", r.name);
        assert_single_image_from(r, &lab.network.address(0).to_string());
    }
    lab.assert_drivers_running();
    report(test, 3, &receivers, transfer, started);
}

#[test]
fn multi_destination_cast_in_manual_control_mode_reaches_both_destinations() {
    let mut lab = Lab::start(3, no_env);
    let endpoint = |host: usize| format!("aeron:udp?endpoint={}:40458", lab.network.address(host));
    let subs = [endpoint(1), endpoint(2)];
    let destinations = subs.clone();
    let pub_channel = format!("aeron:udp?control-mode=manual|fc=min|{TERM}");
    multi_destination_cast("mdc manual", &pub_channel, subs, &destinations, &mut lab);
}

#[test]
fn multi_destination_cast_in_dynamic_control_mode_reaches_both_subscribers() {
    let mut lab = Lab::start(3, no_env);
    let control = format!("{}:40459", lab.network.address(0));
    let sub = |host: usize| {
        format!(
            "aeron:udp?endpoint={}:40460|control={control}|control-mode=dynamic",
            lab.network.address(host)
        )
    };
    let subs = [sub(1), sub(2)];
    let pub_channel = format!("aeron:udp?control={control}|control-mode=dynamic|fc=min|{TERM}");
    multi_destination_cast("mdc dynamic", &pub_channel, subs, &[], &mut lab);
}

/// Host B's link goes down: the publisher is refused (back pressure, then not connected)
/// and B's image goes away; the link comes back: a new image, and everything published
/// from then on arrives in order.
#[test]
fn subscriber_host_that_goes_away_and_comes_back_gets_a_new_image() {
    let started = Instant::now();
    // Short liveness timeouts so the test takes seconds: the publication is not connected
    // 2 s after the last status message; B drops the image 2 s after the last frame.
    let mut lab = Lab::start(2, |host| {
        if host == 0 {
            vec![("AERON_PUBLICATION_CONNECTION_TIMEOUT", "2s".to_owned())]
        } else {
            vec![("AERON_IMAGE_LIVENESS_TIMEOUT", "2s".to_owned())]
        }
    });
    let channel = format!("aeron:udp?endpoint={}:40461|{TERM}", lab.network.address(1));
    let a = lab.connect(0);
    let b = lab.connect(1);
    let mut receivers = vec![Receiver::subscribe("host B", &b, &channel, 1004, 0)];
    let publication = publication(&a, &channel, 1004);
    wait_connected(&publication, &receivers);
    let before = send_and_verify(&publication, &mut receivers, 0, 1_000, TEST_TIMEOUT);

    lab.network.link_down(1);
    let down_at = Instant::now();
    let mut next = before.messages;
    let (mut accepted, mut back_pressured, mut not_connected) = (0u64, 0u64, 0u64);
    let mut disconnected_after = None;
    let mut image_gone_after = None;
    while disconnected_after.is_none() || image_gone_after.is_none() || not_connected == 0 {
        assert!(
            down_at.elapsed() < Duration::from_secs(15),
            "link down for 15 s: connected={} images={} accepted={accepted} back_pressured={back_pressured} \
             not_connected={not_connected}",
            publication.is_connected(),
            images(&receivers[0].subscription)
        );
        match offer_outcome(publication.offer(&message(next), Handlers::no_reserved_value_supplier_handler())) {
            Ok(_) => {
                accepted += 1;
                next += 1;
            }
            Err(kind) if kind.is_back_pressure() => back_pressured += 1,
            Err(AeronErrorType::NullOrNotConnected) => not_connected += 1,
            Err(kind) => panic!("unexpected offer result while the link is down: {kind:?}"),
        }
        poll_all(&mut receivers);
        receivers[0].verifier.assert_ok("host B");
        if disconnected_after.is_none() && !publication.is_connected() {
            disconnected_after = Some(down_at.elapsed());
        }
        if image_gone_after.is_none() && images(&receivers[0].subscription) == 0 {
            image_gone_after = Some(down_at.elapsed());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    // The publisher filled its window then was refused: back pressure before the
    // connection timed out.
    assert!(
        back_pressured > 0,
        "no back pressure with the subscriber gone ({accepted} offers accepted)"
    );
    let received_before_up = receivers[0].verifier.next;

    // The new image starts where the sender is: messages sent into the void are skipped
    // once, then everything is contiguous again.
    receivers[0].verifier.allow_gap_once();
    lab.network.link_up(1);
    let up_at = Instant::now();
    wait_until("host B has a new image", Duration::from_secs(15), || {
        poll_all(&mut receivers);
        images(&receivers[0].subscription) == 1
    });
    wait_until("the publication is connected again", Duration::from_secs(15), || {
        publication.is_connected()
    });
    let reconnected_after = up_at.elapsed();

    let after = send_and_verify(&publication, &mut receivers, next, 1_000, TEST_TIMEOUT);
    assert_quiet(&mut receivers, Duration::from_millis(100));
    // The same publication (session) went away and came back as a new image.
    let events = receivers[0].image_events();
    let kinds: Vec<bool> = events.iter().map(|e| e.available).collect();
    assert_eq!(kinds, [true, false, true], "image events {events:?}");
    assert!(
        events.iter().all(|e| e.session_id == events[0].session_id),
        "{events:?}"
    );
    let verifier = &receivers[0].verifier;
    assert_eq!(verifier.next, next + 1_000);
    assert!(verifier.received >= before.messages + after.messages);
    lab.assert_drivers_running();
    eprintln!(
        "link down/up: 2 hosts; {} messages before, link down: {accepted} offers accepted, {back_pressured} \
         back-pressured, {not_connected} not connected; not connected after {disconnected_after:?}, image gone \
         after {image_gone_after:?}; B had received up to {received_before_up}; new image {reconnected_after:?} \
         after link up, {} messages skipped, {} after; test {:?}",
        before.messages,
        verifier.skipped,
        after.messages,
        started.elapsed()
    );
}
