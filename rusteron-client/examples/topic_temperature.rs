//! Temperature telemetry on the topic bus: several publishers (one per room, each on its own
//! thread) and wildcard subscribers (`/sensors/*/temperature`, `/sensors/#`).
//!
//! `cargo run --release -p rusteron-client --example topic_temperature -- --readings 100`

use std::time::Duration;

use rusteron_client::topic::{TopicConfig, TopicError, TopicPublisher, TopicSubscriber};
use rusteron_client::Aeron;

/// What the example reports.
#[derive(Debug, Default)]
pub struct Summary {
    /// Temperatures the `/sensors/*/temperature` subscriber received.
    pub temperatures: usize,
    /// Messages the `/sensors/#` subscriber received.
    pub all_sensors: usize,
    /// Average temperature seen.
    pub average: f64,
}

/// Runs `rooms` publishers sending `readings` temperatures and humidities each.
pub fn run(rooms: usize, readings: usize) -> Result<Summary, TopicError> {
    let driver = rusteron_media_driver::launch_for_tests()?;
    let aeron = Aeron::builder().dir(driver.dir()).connect()?;
    let config = TopicConfig {
        stream_id: 4101,
        timeout: Duration::from_secs(10),
        ..Default::default()
    };
    let mut temperatures = TopicSubscriber::new(&aeron, &config)?;
    temperatures.subscribe("/sensors/*/temperature")?;
    let mut everything = TopicSubscriber::new(&aeron, &config)?;
    everything.subscribe("/sensors/#")?;
    let publishers: Vec<_> = (0..rooms)
        .map(|room| {
            let mut publisher = TopicPublisher::new(&aeron, &config)?;
            Ok(std::thread::spawn(move || -> Result<(), TopicError> {
                publisher.wait_connected()?;
                for i in 0..readings {
                    let celsius = 18.0 + room as f64 + (i % 10) as f64 / 10.0;
                    publisher.publish_blocking(&format!("/sensors/room{room}/temperature"), &celsius.to_le_bytes())?;
                    publisher.publish_blocking(&format!("/sensors/room{room}/humidity"), &[40 + i as u8 % 20])?;
                }
                Ok(())
            }))
        })
        .collect::<Result<_, TopicError>>()?;
    let mut summary = Summary::default();
    let mut sum = 0.0;
    let expected = rooms * readings;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while (summary.temperatures < expected || summary.all_sensors < 2 * expected)
        && std::time::Instant::now() < deadline
    {
        temperatures.poll(|m| {
            sum += f64::from_le_bytes(m.payload().try_into().unwrap_or([0; 8]));
            summary.temperatures += 1;
        })?;
        everything.poll(|_| summary.all_sensors += 1)?;
    }
    for p in publishers {
        p.join().expect("publisher thread")?;
    }
    summary.average = sum / summary.temperatures.max(1) as f64;
    Ok(summary)
}

#[allow(dead_code)]
fn main() -> Result<(), TopicError> {
    let readings = std::env::args()
        .skip_while(|a| a != "--readings")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let summary = run(3, readings)?;
    println!("{summary:?}");
    Ok(())
}
