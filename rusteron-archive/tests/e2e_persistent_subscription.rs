//! The C persistent subscription (`aeron_archive_persistent_subscription_*`) against the
//! embedded Rust archive: it replays a recording from the start, then joins the live
//! stream; every message arrives once, in order.

mod e2e_support;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use e2e_support::*;
use rusteron_archive::*;

const LOCAL: SourceLocation = SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL;

#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

impl PersistentSubscriptionListener for Events {
    fn on_live_joined(&mut self) {
        self.0.lock().unwrap().push("joined".into());
    }
    fn on_live_left(&mut self) {
        self.0.lock().unwrap().push("left".into());
    }
    fn on_error(&mut self, errcode: i32, message: &str) {
        self.0.lock().unwrap().push(format!("error {errcode}: {message}"));
    }
}

#[test]
fn replays_history_then_joins_live_without_loss_or_duplicates() {
    let h = Harness::start();
    let stream_id = 3101;
    h.archive
        .start_recording(c"aeron:ipc", stream_id, LOCAL, false)
        .unwrap();
    let publication = publication(&h.aeron, c"aeron:ipc", stream_id);
    wait_until("the archive to subscribe", || publication.is_connected());
    let recording_id = h.signals.await_signal(&h.archive, START, None).recording_id;
    let history: Vec<Vec<u8>> = (0..50).map(|i| message(i, 100)).collect();
    let mut last = 0;
    for m in &history {
        last = offer(&publication, m);
    }
    wait_until("the history to be recorded", || {
        h.archive.get_recording_position(recording_id).unwrap_or(0) >= last
    });

    let events = Events::default();
    let ctx = AeronArchivePersistentSubscriptionContext::new().unwrap();
    ctx.set_aeron(&h.aeron).unwrap();
    ctx.set_archive_context(&context(&h.aeron, None).unwrap()).unwrap();
    ctx.set_recording_id(recording_id).unwrap();
    ctx.set_live_channel(c"aeron:ipc").unwrap();
    ctx.set_live_stream_id(stream_id).unwrap();
    ctx.set_replay_channel(c"aeron:ipc").unwrap();
    ctx.set_replay_stream_id(stream_id + 1).unwrap();
    ctx.set_start_position(AERON_ARCHIVE_PERSISTENT_SUBSCRIPTION_FROM_START)
        .unwrap();
    let mut listener = Handlers::leak(events.clone());
    ctx.set_listener_handler(&listener).unwrap();
    listener.release();
    let subscription = AeronArchivePersistentSubscription::new(&ctx).unwrap();

    let mut received: Vec<Vec<u8>> = Vec::new();
    let mut poll_until = |count: usize, live_too: bool| {
        let start = Instant::now();
        while received.len() < count || (live_too && !subscription.is_live()) {
            subscription
                .poll_once(|msg: &[u8], _h: AeronHeader| received.push(msg.to_vec()), 10)
                .unwrap();
            assert!(!subscription.has_failed(), "failed: {:?}", subscription.failure());
            assert!(
                start.elapsed() < TIMEOUT,
                "{} of {count} messages, live {}, events {:?}",
                received.len(),
                subscription.is_live(),
                events.0.lock().unwrap()
            );
        }
    };
    poll_until(history.len(), true);
    let live: Vec<Vec<u8>> = (50..80).map(|i| message(i, 100)).collect();
    for m in &live {
        offer(&publication, m);
    }
    poll_until(history.len() + live.len(), false);
    let expected: Vec<Vec<u8>> = history.into_iter().chain(live).collect();
    assert_eq!(received, expected, "every message once, in order");
    assert!(events.0.lock().unwrap().iter().any(|e| e == "joined"));
}
