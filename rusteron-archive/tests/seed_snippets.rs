//! The snippets of the crate's documented patterns (the seed), compiled and run through
//! `use rusteron_archive::*` only.

mod common;

use std::time::Instant;

use common::{driver_and_client, TIMEOUT};
use rusteron_archive::*;

/// The seed's "custom trait" snippet, verbatim: a user trait and logger of their own,
/// which shadow the glob-imported names of the same spelling.
mod user_defined_trait {
    use rusteron_archive::*;

    pub trait AeronErrorHandlerCallback {
        fn handle_aeron_error_handler(&mut self, errcode: ::std::os::raw::c_int, message: &str);
    }

    pub struct AeronErrorHandlerLogger;

    impl AeronErrorHandlerCallback for AeronErrorHandlerLogger {
        fn handle_aeron_error_handler(&mut self, errcode: ::std::os::raw::c_int, message: &str) {
            eprintln!("Error {}: {}", errcode, message);
        }
    }

    /// Uses something from the glob so the import is exercised alongside the shadowing.
    pub fn handler_type_name() -> &'static str {
        std::any::type_name::<Handler<AeronErrorHandlerLogger>>()
    }
}

/// The seed's typed "no handler" helper, verbatim.
pub fn no_error_handler_handler() -> Option<&'static Handler<AeronErrorHandlerLogger>> {
    None::<&Handler<AeronErrorHandlerLogger>>
}

/// A custom implementation of the crate's own error handler trait.
struct CollectingErrorHandler {
    errors: Vec<(i32, String)>,
}

impl AeronErrorHandlerCallback for CollectingErrorHandler {
    fn handle_aeron_error_handler(&mut self, errcode: ::std::os::raw::c_int, message: &str) {
        self.errors.push((errcode, message.to_owned()));
    }
}

#[test]
fn user_defined_trait_snippet_compiles_and_runs() {
    let mut logger = user_defined_trait::AeronErrorHandlerLogger;
    user_defined_trait::AeronErrorHandlerCallback::handle_aeron_error_handler(&mut logger, -1, "seed");
    assert!(user_defined_trait::handler_type_name().contains("AeronErrorHandlerLogger"));
}

#[test]
fn handlers_leak_then_release_and_typed_none() -> Result<(), AeronCError> {
    let ctx = AeronArchiveContext::new()?;

    // The seed's free function and the generated helper are the same typed None.
    assert!(no_error_handler_handler().is_none());
    ctx.set_error_handler(no_error_handler_handler())?;
    ctx.set_error_handler(Handlers::no_error_handler_handler())?;

    // Handlers::leak(...) into C, release() when no longer needed.
    let mut handler = Handlers::leak(CollectingErrorHandler { errors: Vec::new() });
    ctx.set_error_handler(Some(&handler))?;
    // The handler is a real AeronErrorHandlerCallback: call it as C would.
    // SAFETY: nothing else uses the handler during this call.
    unsafe {
        aeron_error_handler_callback::<CollectingErrorHandler>(handler.as_raw(), -3, c"seed error".as_ptr());
        assert_eq!(
            handler.get_mut().map(|h| h.errors.clone()),
            Some(vec![(-3, "seed error".to_owned())])
        );
    }
    handler.release();
    assert!(handler.is_released());
    Handlers::release(&mut handler);
    Ok(())
}

#[test]
fn subscription_poll_once_with_a_closure() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let publication = aeron
        .async_add_publication(c"aeron:ipc", 3003)?
        .poll_blocking(TIMEOUT)?;
    let subscription = aeron
        .async_add_subscription(
            c"aeron:ipc",
            3003,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
        )?
        .poll_blocking(TIMEOUT)?;
    let deadline = Instant::now() + TIMEOUT;
    while !publication.is_connected() {
        assert!(Instant::now() < deadline, "publication never connected");
        std::thread::yield_now();
    }
    while publication
        .offer(b"seed message", Handlers::no_reserved_value_supplier_handler())
        .is_err()
    {
        assert!(Instant::now() < deadline, "offer never succeeded");
        std::thread::yield_now();
    }

    let mut received: Vec<Vec<u8>> = Vec::new();
    while received.is_empty() {
        subscription.poll_once(
            |msg, header| {
                println!("msg={:?}, header={:?}", msg, header);
                received.push(msg.to_vec());
            },
            10,
        )?;
        assert!(Instant::now() < deadline, "nothing received");
    }
    assert_eq!(received, vec![b"seed message".to_vec()]);
    Ok(())
}
