//! Recovery from packet loss between two hosts (network namespaces, one `aeronmd` each).
//! The receiving driver drops incoming data frames with the C driver's own loss
//! interceptors (`AERON_UDP_CHANNEL_INCOMING_INTERCEPTORS`): random loss at 1 %, 5 % and
//! 20 %, a fixed range, and several gaps. NAKs and retransmits must repair every gap: not
//! one message may be lost, and the receiver's loss report must show the gaps it saw.
//!
//! Needs root (namespaces); where they cannot be created the tests fail with that reason.

use std::time::{Duration, Instant};

use rusteron_test_support::*;

/// Bound on one whole test.
const TEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Messages per test.
const MESSAGES: u64 = 10_000;
/// Frame type bit of DATA frames (type 0x01) in the loss interceptor's `recv-msg-mask`:
/// only data (and heartbeats) are dropped, never setup frames.
const DATA_FRAMES_MASK: &str = "0x2";
/// The initial term id the positioned publications start with, so the fixed and multi-gap
/// generators know which term to cut.
const TERM_ID: i32 = 1234;

/// What the receiving host reported.
struct Outcome {
    losses: Vec<Loss>,
    naks_sent: i64,
    retransmits_sent: i64,
    loss_gap_fills: i64,
    session_id: i32,
    transfer: Duration,
    total: Duration,
}

/// Sends `MESSAGES` from host A to host B, whose driver runs with `receiver_env`, verifies
/// every message, and reads B's loss report and the NAK / retransmit counters.
fn transfer_with_loss(stream_id: i32, channel_params: &str, receiver_env: Vec<(&'static str, String)>) -> Outcome {
    let started = Instant::now();
    let mut lab = Lab::start(2, |host| if host == 1 { receiver_env.clone() } else { Vec::new() });
    let endpoint = format!("{}:40470", lab.network.address(1));
    let sub_channel = format!("aeron:udp?endpoint={endpoint}");
    let pub_channel = format!("{sub_channel}|{channel_params}");
    let a = lab.connect(0);
    let b = lab.connect(1);
    let mut receivers = vec![Receiver::subscribe("host B", &b, &sub_channel, stream_id, 0)];
    let publication = publication(&a, &pub_channel, stream_id);
    wait_until("the publication is connected", OP_TIMEOUT, || {
        publication.is_connected()
    });
    wait_until("host B has an image", OP_TIMEOUT, || {
        images(&receivers[0].subscription) == 1
    });

    let transfer = send_and_verify(&publication, &mut receivers, 0, MESSAGES, TEST_TIMEOUT);
    assert_quiet(&mut receivers, Duration::from_millis(100));
    assert_eq!(receivers[0].verifier.received, MESSAGES, "every message, once");

    let events = receivers[0].image_events();
    assert_eq!(events.len(), 1, "one image, never lost: {events:?}");
    let b_cnc = Cnc::open(lab.drivers[1].dir(), OP_TIMEOUT).expect("cnc of B");
    let a_cnc = Cnc::open(lab.drivers[0].dir(), OP_TIMEOUT).expect("cnc of A");
    let losses = b_cnc.loss_report();
    for loss in &losses {
        assert_eq!(loss.stream_id, stream_id, "{loss:?}");
        assert_eq!(loss.session_id, events[0].session_id, "{loss:?}");
        assert!(loss.channel.contains(&endpoint), "{loss:?}");
        assert!(
            loss.source.starts_with(&format!("{}:", lab.network.address(0))),
            "{loss:?}"
        );
    }
    lab.assert_drivers_running();
    Outcome {
        losses,
        naks_sent: b_cnc.counter("NAKs sent"),
        retransmits_sent: a_cnc.counter("Retransmits sent"),
        loss_gap_fills: b_cnc.counter("Loss gap fills"),
        session_id: events[0].session_id,
        transfer: transfer.elapsed,
        total: started.elapsed(),
    }
}

/// The single loss report entry; checks that gaps were seen, repaired by retransmits, and
/// never given up on (no gap filled with padding).
fn assert_gaps_repaired(test: &str, outcome: &Outcome) -> Loss {
    assert_eq!(
        outcome.losses.len(),
        1,
        "{test}: one loss entry for the one image: {:?}",
        outcome.losses
    );
    let loss = outcome.losses[0].clone();
    assert!(loss.observation_count > 0, "{test}: {loss:?}");
    assert!(loss.total_bytes_lost > 0, "{test}: {loss:?}");
    assert_eq!(
        loss.total_bytes_lost % 32,
        0,
        "{test}: frames are 32-byte aligned: {loss:?}"
    );
    assert!(outcome.naks_sent > 0, "{test}: B sent no NAK");
    assert!(outcome.retransmits_sent > 0, "{test}: A retransmitted nothing");
    assert_eq!(
        outcome.loss_gap_fills, 0,
        "{test}: a gap was filled with padding (data given up)"
    );
    eprintln!(
        "{test}: 2 hosts, {MESSAGES} messages, 0 lost; loss report: {} gaps, {} bytes lost (session {}); \
         {} NAKs sent, {} retransmits; transfer {:?}, test {:?}",
        loss.observation_count,
        loss.total_bytes_lost,
        outcome.session_id,
        outcome.naks_sent,
        outcome.retransmits_sent,
        outcome.transfer,
        outcome.total
    );
    loss
}

fn random_loss(rate: &str, seed: u64, stream_id: i32) -> Loss {
    let env = vec![
        ("AERON_UDP_CHANNEL_INCOMING_INTERCEPTORS", "loss".to_owned()),
        (
            "AERON_UDP_CHANNEL_TRANSPORT_BINDINGS_LOSS_ARGS",
            format!("rate={rate}|seed={seed}|recv-msg-mask={DATA_FRAMES_MASK}"),
        ),
    ];
    let outcome = transfer_with_loss(stream_id, "term-length=262144", env);
    assert_gaps_repaired(&format!("random loss {rate}"), &outcome)
}

#[test]
fn one_percent_random_loss_is_repaired() {
    random_loss("0.01", 11, 2001);
}

#[test]
fn five_percent_random_loss_is_repaired() {
    random_loss("0.05", 55, 2002);
}

#[test]
fn twenty_percent_random_loss_is_repaired() {
    let loss = random_loss("0.2", 2020, 2003);
    // At this rate many separate gaps are seen, not one.
    assert!(loss.observation_count > 10, "{loss:?}");
}

/// The channel parameters that start the publication at term `TERM_ID`, offset 0.
fn positioned() -> String {
    format!("init-term-id={TERM_ID}|term-id={TERM_ID}|term-offset=0|term-length=65536")
}

#[test]
fn fixed_loss_of_one_range_is_repaired() {
    let length = 4096;
    let env = vec![
        ("AERON_UDP_CHANNEL_INCOMING_INTERCEPTORS", "fixed-loss".to_owned()),
        (
            "AERON_UDP_CHANNEL_TRANSPORT_BINDINGS_FIXED_LOSS_ARGS",
            format!("term-id={TERM_ID}|term-offset=8192|length={length}"),
        ),
    ];
    let outcome = transfer_with_loss(2004, &positioned(), env);
    let loss = assert_gaps_repaired("fixed loss", &outcome);
    // The range is dropped on its first transmission only (retransmits pass).
    assert!(loss.total_bytes_lost >= length, "{loss:?}");
}

#[test]
fn multi_gap_loss_is_repaired_gap_by_gap() {
    let gaps = 4;
    let gap_length = 64;
    let env = vec![
        ("AERON_UDP_CHANNEL_INCOMING_INTERCEPTORS", "multi-gap-loss".to_owned()),
        (
            "AERON_UDP_CHANNEL_TRANSPORT_BINDINGS_MULTI_GAP_LOSS_ARGS",
            format!("term-id={TERM_ID}|gap-radix=4096|gap-length={gap_length}|total-gaps={gaps}"),
        ),
    ];
    let outcome = transfer_with_loss(2005, &positioned(), env);
    let loss = assert_gaps_repaired("multi-gap loss", &outcome);
    // Gaps at 4096, 8192, 12288 and 16384 of the first term, each a separate observation.
    assert!(loss.observation_count >= gaps, "{loss:?}");
    assert!(loss.total_bytes_lost >= gaps * gap_length, "{loss:?}");
}
