//! A persistent subscription created against an archive that does not exist: creation,
//! polling and teardown in either order close every C object exactly once (C takes the
//! context on create; the wrapper gives it back).

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{driver_and_client, point_at_no_archive};
use rusteron_archive::*;

#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

impl PersistentSubscriptionListener for Events {
    fn on_live_joined(&mut self) {
        self.0.lock().expect("not poisoned").push("joined".into());
    }
    fn on_live_left(&mut self) {
        self.0.lock().expect("not poisoned").push("left".into());
    }
    fn on_error(&mut self, errcode: i32, message: &str) {
        self.0
            .lock()
            .expect("not poisoned")
            .push(format!("error {errcode}: {message}"));
    }
}

fn context(
    aeron: &Aeron,
    archive_ctx: &AeronArchiveContext,
    events: &Events,
) -> Result<AeronArchivePersistentSubscriptionContext, AeronCError> {
    let ctx = AeronArchivePersistentSubscriptionContext::new()?;
    ctx.set_aeron(aeron)?;
    ctx.set_archive_context(archive_ctx)?;
    ctx.set_recording_id(1)?;
    ctx.set_live_channel(c"aeron:ipc")?;
    ctx.set_live_stream_id(5001)?;
    ctx.set_replay_channel(c"aeron:ipc")?;
    ctx.set_replay_stream_id(5002)?;
    ctx.set_start_position(AERON_ARCHIVE_PERSISTENT_SUBSCRIPTION_FROM_START)?;
    let mut listener = Handlers::leak(events.clone());
    ctx.set_listener_handler(&listener)?;
    listener.release();
    Ok(ctx)
}

fn poll_for(subscription: &AeronArchivePersistentSubscription, duration: Duration) -> Result<usize, AeronCError> {
    let mut fragments = 0;
    let until = Instant::now() + duration;
    while Instant::now() < until {
        subscription.poll_once(|_msg: &[u8], _header: AeronHeader| fragments += 1, 10)?;
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(fragments)
}

#[test]
fn create_poll_and_drop_subscription_then_context() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let archive_ctx = AeronArchiveContext::new_with_aeron(&aeron)?;
    point_at_no_archive(&archive_ctx, Duration::from_millis(200))?;
    let events = Events::default();
    let ctx = context(&aeron, &archive_ctx, &events)?;

    let subscription = AeronArchivePersistentSubscription::new(&ctx)?;
    // C allocated the counters it was not given.
    assert!(ctx.get_state_counter().is_some());
    assert!(ctx.get_live_joined_counter().is_some());
    assert_eq!(
        poll_for(&subscription, Duration::from_millis(300))?,
        0,
        "no archive, no data"
    );
    assert!(!subscription.is_live());
    assert!(events.0.lock().expect("not poisoned").iter().all(|e| e != "joined"));
    if subscription.has_failed() {
        let (_code, message) = subscription.failure().expect("failed subscriptions have a reason");
        assert!(!message.is_empty());
    } else {
        assert_eq!(subscription.failure(), None);
    }

    // The context outlives the subscription whatever the drop order: it is the parent.
    drop(subscription);
    assert_eq!(ctx.get_recording_id(), 1, "the context is still open");
    drop(ctx);
    Ok(())
}

#[test]
fn context_dropped_first_stays_alive_for_the_subscription() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let archive_ctx = AeronArchiveContext::new_with_aeron(&aeron)?;
    point_at_no_archive(&archive_ctx, Duration::from_millis(200))?;
    let events = Events::default();
    let ctx = context(&aeron, &archive_ctx, &events)?;
    let subscription = AeronArchivePersistentSubscription::new(&ctx)?;
    drop(ctx);
    drop(archive_ctx);
    poll_for(&subscription, Duration::from_millis(100))?;
    let from_subscription = subscription.get_persistent_subscription_context().expect("still set");
    assert_eq!(from_subscription.get_live_stream_id(), 5001);
    // Closing the context is logical: its handles refuse further use, while the C
    // context stays alive for the subscription until the last handle drops.
    let context_owner = subscription
        .owner()
        .and_then(|o| o.parent().cloned())
        .expect("the context is the parent");
    context_owner.close()?;
    assert!(context_owner.is_closed());
    poll_for(&subscription, Duration::from_millis(50))?;
    assert!(!subscription.is_resource_closed());
    drop(subscription);
    Ok(())
}
