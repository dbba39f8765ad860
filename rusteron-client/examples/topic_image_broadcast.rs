//! Image broadcasting between processes: a publisher sends frames far above the MTU on
//! `/camera/front`, a subscriber in another process (here: another client on the same
//! driver directory, as a second process would be) receives each whole and checks it.
//!
//! `cargo run --release -p rusteron-client --example topic_image_broadcast`

use std::time::{Duration, Instant};

use rusteron_client::topic::{TopicConfig, TopicError, TopicPublisher, TopicSubscriber};
use rusteron_client::Aeron;

/// What the example reports.
#[derive(Debug, Default)]
pub struct Summary {
    /// Images received whole with a matching checksum.
    pub images: usize,
    /// Bytes per image.
    pub image_bytes: usize,
    /// The MTU payload of the stream (each image spans many of these).
    pub mtu_payload: usize,
}

fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Broadcasts `images` images of up to `image_bytes` bytes.
pub fn run(images: usize, image_bytes: usize) -> Result<Summary, TopicError> {
    let driver = rusteron_media_driver::launch_for_tests()?;
    let config = TopicConfig {
        stream_id: 4102,
        term_length: Some(16 * 1024 * 1024),
        timeout: Duration::from_secs(10),
        ..Default::default()
    };
    // Two clients, as two processes would have.
    let viewer_client = Aeron::builder().dir(driver.dir()).connect()?;
    let camera_client = Aeron::builder().dir(driver.dir()).connect()?;
    let mut viewer = TopicSubscriber::new(&viewer_client, &config)?;
    viewer.subscribe("/camera/front")?;
    let mut camera = TopicPublisher::new(&camera_client, &config)?;
    camera.wait_connected()?;
    let image_bytes = image_bytes.min(camera.max_payload("/camera/front")?);
    let mtu_payload = camera.info()?.max_payload_length;
    let sender = std::thread::spawn(move || -> Result<Vec<u64>, TopicError> {
        let mut sums = Vec::new();
        for n in 0..images {
            let image: Vec<u8> = (0..image_bytes).map(|i| (i * 31 + n * 7) as u8).collect();
            sums.push(checksum(&image));
            camera.publish_blocking("/camera/front", &image)?;
        }
        Ok(sums)
    });
    let mut received = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.len() < images && Instant::now() < deadline {
        viewer.poll(|m| received.push(checksum(m.payload())))?;
    }
    let sent = sender.join().expect("camera thread")?;
    Ok(Summary {
        images: received.iter().zip(&sent).filter(|(a, b)| a == b).count(),
        image_bytes,
        mtu_payload,
    })
}

#[allow(dead_code)]
fn main() -> Result<(), TopicError> {
    println!("{:?}", run(20, 1024 * 1024)?);
    Ok(())
}
