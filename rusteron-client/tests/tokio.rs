//! The async API under Tokio against a real embedded media driver: adds as spawnable
//! futures, offers that wait out back pressure, cancellation that loses nothing, the
//! Stream of owned frames with many concurrent tasks on a multi-thread runtime, and the
//! topic bus. (Needs `--features tokio`; `.ci/run` runs it.)

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use rusteron_client::asynchronous::{AsyncSubscriber, OwnedFrame};
use rusteron_client::topic::{TopicConfig, TopicPublisher, TopicSubscriber};
use rusteron_client::*;
use rusteron_media_driver::launch_for_tests;

const TIMEOUT: Duration = Duration::from_secs(10);

async fn next(stream: &mut AsyncSubscriber) -> Option<Result<OwnedFrame, AeronCError>> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

fn connect(dir: &std::path::Path) -> Result<Aeron, AeronCError> {
    Aeron::builder().dir(dir).idle_sleep(Duration::from_millis(1)).connect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_publisher_tasks_and_one_stream() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = connect(driver.dir())?;
    let config = StreamConfig::ipc(300).with_timeout(TIMEOUT);
    let mut subscriber = aeron.subscriber_async(&config).await?;
    const TASKS: u64 = 16;
    const EACH: u64 = 200;
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let aeron = aeron.clone();
        let config = config.clone();
        // Adds are Send futures: spawned on the multi-thread runtime.
        tasks.push(tokio::spawn(async move {
            let mut publisher = aeron.publisher_async(&config).await?;
            let session = publisher.info()?.session_id;
            for i in 0..EACH {
                publisher.offer_async(&(task << 32 | i).to_le_bytes()).await?;
            }
            Ok::<i32, AeronCError>(session)
        }));
    }
    let mut next_expected = vec![0u64; TASKS as usize];
    let mut sessions = std::collections::HashMap::new();
    for _ in 0..TASKS * EACH {
        let frame = tokio::time::timeout(TIMEOUT, next(&mut subscriber))
            .await
            .expect("stream stalled")
            .unwrap()?;
        let value = u64::from_le_bytes(frame.data[..].try_into().unwrap());
        let (task, i) = ((value >> 32) as usize, value & 0xffff_ffff);
        assert_eq!(i, next_expected[task], "task {task} out of order");
        next_expected[task] += 1;
        assert_eq!(*sessions.entry(task).or_insert(frame.session_id), frame.session_id);
        assert!(frame.position > 0);
    }
    for (task, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap()?, sessions[&task]);
    }
    assert!(next_expected.iter().all(|&n| n == EACH));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offer_async_waits_out_back_pressure_and_cancellation_loses_nothing() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = connect(driver.dir())?;
    // A small log so that an idle subscriber back-pressures quickly.
    let config = StreamConfig::new("aeron:ipc?term-length=65536", 301)?.with_timeout(TIMEOUT);
    let mut subscriber = aeron.subscriber_async(&config).await?;
    let mut publisher = aeron.publisher_async(&config).await?;
    publisher.wait_connected(TIMEOUT)?;
    let message = [7u8; 1000];
    // Nobody reads: offers are accepted until the window is full, then each future waits.
    let mut accepted = 0u64;
    let mut cancelled = 0;
    for _ in 0..200 {
        match tokio::time::timeout(Duration::from_millis(5), publisher.offer_async(&message)).await {
            Ok(result) => {
                result?;
                accepted += 1;
            }
            // Dropped while waiting: must not have published anything.
            Err(_elapsed) => cancelled += 1,
        }
    }
    assert!(cancelled > 0, "never back pressured");
    assert!(accepted > 0);
    let position = publisher.position();
    assert_eq!(position, accepted as i64 * aligned_frame_length(1000) as i64);
    // A reader drains while one more offer waits out the back pressure.
    let reader = tokio::spawn(async move {
        let mut got = 0u64;
        while got < accepted + 1 {
            let frame = tokio::time::timeout(TIMEOUT, next(&mut subscriber))
                .await
                .expect("stalled")
                .unwrap()?;
            assert_eq!(frame.data, vec![7u8; 1000]);
            got += 1;
        }
        Ok::<u64, AeronCError>(got)
    });
    publisher.offer_async(&message).await?;
    assert_eq!(reader.await.unwrap()?, accepted + 1);
    Ok(())
}

#[tokio::test(flavor = "current_thread")]
async fn receive_async_lends_frames_and_a_dropped_add_is_cancelled() -> Result<(), AeronCError> {
    let driver = launch_for_tests()?;
    let aeron = connect(driver.dir())?;
    let config = StreamConfig::ipc(302);
    // A dropped add future cancels the add: no publication appears for it.
    {
        let add = aeron.publisher_async(&config);
        drop(add);
    }
    let mut subscriber = aeron.subscriber_async(&config).await?;
    let mut publisher = aeron.publisher_async(&config).await?;
    for m in [&b"alpha"[..], b"beta"] {
        publisher.offer_async(m).await?;
    }
    let first = subscriber.receive_async(|f| (f.to_vec(), f.position())).await?;
    let second = subscriber.receive_async(|f| (f.to_vec(), f.position())).await?;
    assert_eq!(first, (b"alpha".to_vec(), aligned_frame_length(5) as i64));
    assert_eq!(second.0, b"beta");
    // Idle: the future parks (timer) instead of spinning; a timeout cancels it cleanly.
    let idle = tokio::time::timeout(Duration::from_millis(30), subscriber.receive_async(|f| f.len())).await;
    assert!(idle.is_err());
    publisher.offer_async(b"gamma").await?;
    assert_eq!(subscriber.receive_async(|f| f.to_vec()).await?, b"gamma");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_bus_under_tokio() -> Result<(), rusteron_client::topic::TopicError> {
    let driver = launch_for_tests()?;
    let aeron = connect(driver.dir())?;
    let config = TopicConfig {
        stream_id: 303,
        timeout: TIMEOUT,
        ..Default::default()
    };
    let mut subscriber = TopicSubscriber::new(&aeron, &config)?;
    let rooms = subscriber.subscribe("/sensors/*/temperature")?;
    let receiver = tokio::spawn(async move {
        let mut got = Vec::new();
        while got.len() < 20 {
            got.push(subscriber.recv_async().await?);
        }
        Ok::<_, rusteron_client::topic::TopicError>(got)
    });
    let mut publishers = Vec::new();
    for room in 0..2 {
        let aeron = aeron.clone();
        let config = config.clone();
        publishers.push(tokio::spawn(async move {
            let mut publisher = TopicPublisher::new(&aeron, &config)?;
            for i in 0..10u32 {
                publisher
                    .publish_async(&format!("/sensors/room{room}/humidity"), b"skip")
                    .await?;
                publisher
                    .publish_async(&format!("/sensors/room{room}/temperature"), &i.to_le_bytes())
                    .await?;
            }
            Ok::<(), rusteron_client::topic::TopicError>(())
        }));
    }
    for p in publishers {
        p.await.unwrap()?;
    }
    let got = tokio::time::timeout(TIMEOUT, receiver)
        .await
        .expect("stalled")
        .unwrap()?;
    for room in 0..2 {
        let topic = format!("/sensors/room{room}/temperature");
        let values: Vec<u32> = got
            .iter()
            .filter(|(t, _, _)| *t == topic)
            .map(|(_, p, _)| u32::from_le_bytes(p[..].try_into().unwrap()))
            .collect();
        assert_eq!(values, (0..10).collect::<Vec<_>>());
    }
    assert!(got.iter().all(|(_, _, m)| *m == rooms.bit()));
    Ok(())
}
