//! Runs each topic example's `run` with small settings against real embedded drivers and
//! checks what it reports (the examples' `main`s only parse flags and call `run`).

use std::sync::{Mutex, MutexGuard};

#[allow(dead_code)]
#[path = "../examples/topic_errors.rs"]
mod topic_errors;
#[allow(dead_code)]
#[path = "../examples/topic_image_broadcast.rs"]
mod topic_image_broadcast;
#[allow(dead_code)]
#[path = "../examples/topic_patterns.rs"]
mod topic_patterns;
#[allow(dead_code)]
#[path = "../examples/topic_performance.rs"]
mod topic_performance;
#[allow(dead_code)]
#[path = "../examples/topic_temperature.rs"]
mod topic_temperature;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The examples spin; on two cores they take turns.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn temperature_telemetry_reaches_both_wildcard_subscribers() -> Result {
    let _turn = one_at_a_time();
    let s = topic_temperature::run(3, 50)?;
    assert_eq!((s.temperatures, s.all_sensors), (150, 300));
    // Rooms 0..3 at 18 + room + 0.0..0.9: the mean is 19.45.
    assert!((s.average - 19.45).abs() < 1e-9, "{}", s.average);
    Ok(())
}

#[test]
fn images_far_above_the_mtu_arrive_whole() -> Result {
    let _turn = one_at_a_time();
    let s = topic_image_broadcast::run(5, 1024 * 1024)?;
    assert_eq!(s.images, 5);
    assert!(s.image_bytes > 100 * s.mtu_payload, "{s:?}");
    Ok(())
}

#[test]
fn patterns_receive_what_they_match() -> Result {
    let _turn = one_at_a_time();
    let got = topic_patterns::run()?;
    let find = |p: &str| got.iter().find(|(q, _)| q == p).unwrap().1.clone();
    assert_eq!(find("/sensors/*/temperature"), ["/sensors/room1/temperature"]);
    assert_eq!(
        find("/sensors/#"),
        ["/sensors/room1/temperature", "/sensors/room2/humidity", "/sensors"]
    );
    assert_eq!(find("/sensors/room1/*"), ["/sensors/room1/temperature"]);
    assert_eq!(find("/#").len(), 4);
    Ok(())
}

#[test]
fn errors_are_typed_one_liners() -> Result {
    let _turn = one_at_a_time();
    let cases = topic_errors::run()?;
    let text = |name: &str| cases.iter().find(|(n, _)| n == name).unwrap().1.clone();
    assert_eq!(text("no/slash"), "topic \"no/slash\" must start with '/'");
    assert_eq!(text("/a//b"), "topic \"/a//b\" has an empty level");
    assert_eq!(text("/a/*"), "topic \"/a/*\" has a wildcard: only patterns may");
    assert_eq!(text("publish without subscribers"), "no subscriber is connected");
    assert_eq!(text("third subscription"), "at most 2 subscriptions per subscriber");
    assert_eq!(
        text("back pressure"),
        "buffer full: the stream is back pressured, retry"
    );
    assert_eq!(
        text("receive with nothing published"),
        "no message within the receive timeout"
    );
    assert!(text("unknown client").starts_with("unknown client \"c-"));
    assert!(cases.iter().all(|(_, m)| !m.contains('\n')));
    Ok(())
}

#[test]
fn performance_example_receives_every_message() -> Result {
    let _turn = one_at_a_time();
    let s = topic_performance::run(200_000)?;
    assert_eq!(s.received, 200_000);
    assert!(s.rate > 0.0);
    Ok(())
}
