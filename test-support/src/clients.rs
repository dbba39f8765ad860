//! Clients of a driver: connect, add, subscribe with an image log, offer with retries.

use std::ffi::CString;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rusteron_client::*;

use crate::*;

/// A started client of the driver in `dir`.
pub fn connect(dir: &Path) -> Result<Aeron, AeronCError> {
    let ctx = AeronContext::new()?;
    ctx.set_dir(&dir.to_string_lossy().into_owned().into_c_string()?)?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

fn c_string(s: &str) -> CString {
    CString::new(s).expect("channel has no NUL")
}

/// Adds a publication and waits for the driver.
pub fn publication(aeron: &Aeron, channel: &str, stream_id: i32) -> AeronPublication {
    aeron
        .async_add_publication(&c_string(channel), stream_id)
        .and_then(|p| p.poll_blocking(OP_TIMEOUT))
        .unwrap_or_else(|e| panic!("add publication {channel}: {e}"))
}

/// An image becoming available or unavailable on a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEvent {
    /// True when the image became available, false when it went away.
    pub available: bool,
    /// The publisher's session.
    pub session_id: i32,
    /// Where the image's data comes from (`address:port` for UDP).
    pub source: String,
}

/// The image events of one subscription, appended on the client conductor thread.
pub type ImageLog = Arc<Mutex<Vec<ImageEvent>>>;

fn image_event(available: bool, image: &AeronImage) -> ImageEvent {
    match image.constants() {
        Ok(c) => ImageEvent {
            available,
            session_id: c.session_id(),
            source: c.source_identity().to_owned(),
        },
        Err(e) => ImageEvent {
            available,
            session_id: 0,
            source: format!("constants unavailable: {e}"),
        },
    }
}

/// Adds a subscription whose image handlers record into the returned log, and waits for
/// the driver.
pub fn subscription(aeron: &Aeron, channel: &str, stream_id: i32) -> (AeronSubscription, ImageLog) {
    let log: ImageLog = Arc::default();
    let on_available = Arc::clone(&log);
    let on_unavailable = Arc::clone(&log);
    let available = Handlers::leak(move |_subscription: AeronSubscription, image: AeronImage| {
        on_available.lock().expect("image log").push(image_event(true, &image));
    });
    let unavailable = Handlers::leak(move |_subscription: AeronSubscription, image: AeronImage| {
        on_unavailable
            .lock()
            .expect("image log")
            .push(image_event(false, &image));
    });
    let subscription = aeron
        .async_add_subscription(&c_string(channel), stream_id, Some(&available), Some(&unavailable))
        .and_then(|s| s.poll_blocking(OP_TIMEOUT))
        .unwrap_or_else(|e| panic!("add subscription {channel}: {e}"));
    (subscription, log)
}

/// Number of images (connected publishers) of a subscription; 0 once it is closed.
pub fn images(subscription: &AeronSubscription) -> i32 {
    subscription.image_count().unwrap_or(0)
}

/// What an offer said: the new position, or the refusal's kind. Works whether the wrapper
/// reports a refusal as a negative `Ok` (the generated form) or as an `Err`.
pub fn offer_outcome(result: Result<i64, AeronCError>) -> Result<i64, AeronErrorType> {
    match result {
        Ok(position) if position > 0 => Ok(position),
        Ok(code) => Err(AeronCError::from_publication_result(code).kind()),
        Err(e) => Err(e.kind()),
    }
}

/// Offers `message` until it is accepted. On back pressure or an admin action calls `idle`
/// (to let receivers in this process poll) and retries until `deadline`, then gives
/// [`AeronErrorType::TimedOut`]. Any other refusal (not connected, closed...) returns at once.
pub fn offer_retrying(
    publication: &AeronPublication,
    message: &[u8],
    deadline: Instant,
    mut idle: impl FnMut(),
) -> Result<i64, AeronErrorType> {
    loop {
        match offer_outcome(publication.offer(message, Handlers::no_reserved_value_supplier_handler())) {
            Ok(position) => return Ok(position),
            Err(kind) if kind.is_back_pressure() => {
                if Instant::now() >= deadline {
                    return Err(AeronErrorType::TimedOut);
                }
                idle();
            }
            Err(kind) => return Err(kind),
        }
    }
}
