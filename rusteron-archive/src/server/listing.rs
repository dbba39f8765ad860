//! Listings: recording descriptors and recording subscription descriptors sent a few per
//! duty cycle, resuming where the response publication pushed back, ended by a
//! RECORDING_UNKNOWN (or SUBSCRIPTION_UNKNOWN) response when fewer than asked were found.

use std::collections::VecDeque;

use super::catalog::{contains, Catalog};
use super::codecs::ControlResponseCode;
use super::control::ControlSession;

/// Descriptors sent at most per duty cycle and listing.
const MAX_PER_CYCLE: usize = 16;

/// A listing in progress for one control session.
#[derive(Debug)]
pub(crate) enum Listing {
    Recordings {
        correlation_id: i64,
        next_id: i64,
        remaining: i32,
        /// Only recordings of this stream, whose original channel contains `fragment`.
        filter: Option<(i32, Vec<u8>)>,
        /// Only this recording (`ListRecordingRequest`).
        only: Option<i64>,
    },
    Subscriptions {
        correlation_id: i64,
        /// (subscription id, stream id, channel) still to send.
        items: VecDeque<(i64, i32, String)>,
        remaining: i32,
    },
}

/// Continues the listing of `session` (if any); returns the work done.
pub(crate) fn continue_listing(session: &mut ControlSession, catalog: &Catalog) -> usize {
    let Some(mut listing) = session.listing.take() else {
        return 0;
    };
    let (work, done) = match &mut listing {
        Listing::Recordings {
            correlation_id,
            next_id,
            remaining,
            filter,
            only,
        } => list_recordings(
            session,
            catalog,
            *correlation_id,
            next_id,
            remaining,
            filter.as_ref(),
            *only,
        ),
        Listing::Subscriptions {
            correlation_id,
            items,
            remaining,
        } => list_subscriptions(session, *correlation_id, items, remaining),
    };
    if !done && !session.is_done() {
        session.listing = Some(listing);
    }
    work
}

fn list_recordings(
    session: &mut ControlSession,
    catalog: &Catalog,
    correlation_id: i64,
    next_id: &mut i64,
    remaining: &mut i32,
    filter: Option<&(i32, Vec<u8>)>,
    only: Option<i64>,
) -> (usize, bool) {
    let mut work = 0;
    let mut candidates = catalog
        .valid_from(*next_id)
        .take_while(|d| only.map_or(true, |id| d.recording_id == id));
    while *remaining > 0 && work < MAX_PER_CYCLE {
        let Some(descriptor) = candidates.next() else {
            session.send_response(correlation_id, *next_id, ControlResponseCode::RecordingUnknown, "");
            return (work + 1, true);
        };
        let wanted = filter.map_or(true, |(stream_id, fragment)| {
            descriptor.stream_id == *stream_id && contains(descriptor.original_channel.as_bytes(), fragment)
        });
        if wanted {
            if !session.try_send_descriptor(correlation_id, descriptor) {
                return (work, session.is_done());
            }
            *remaining -= 1;
        }
        *next_id = descriptor.recording_id + 1;
        work += 1;
    }
    if *remaining <= 0 && work == 0 {
        // Asked for nothing: say so, as Aeron does when it runs out of recordings.
        session.send_response(correlation_id, *next_id, ControlResponseCode::RecordingUnknown, "");
        return (1, true);
    }
    (work, *remaining <= 0)
}

fn list_subscriptions(
    session: &mut ControlSession,
    correlation_id: i64,
    items: &mut VecDeque<(i64, i32, String)>,
    remaining: &mut i32,
) -> (usize, bool) {
    let mut work = 0;
    while *remaining > 0 && work < MAX_PER_CYCLE {
        let Some((subscription_id, stream_id, channel)) = items.front() else {
            session.send_response(correlation_id, 0, ControlResponseCode::SubscriptionUnknown, "");
            return (work + 1, true);
        };
        if !session.try_send_subscription_descriptor(correlation_id, *subscription_id, *stream_id, channel) {
            return (work, session.is_done());
        }
        items.pop_front();
        *remaining -= 1;
        work += 1;
    }
    (work, *remaining <= 0)
}
