//! C functions that src/ wraps by hand instead of the generator, each with the reason the
//! generated form would be wrong. One list per area so each module owns its entries.

/// Publications and exclusive publications (src/publication.rs).
const PUBLICATION: &[(&str, &str)] = &[
    (
        "aeron_publication_offer",
        "negative results must become typed errors (generated: Ok(negative))",
    ),
    (
        "aeron_publication_offerv",
        "takes &[&[u8]] gathered into a stack iovec array",
    ),
    (
        "aeron_publication_try_claim",
        "returns a BufferClaim that aborts when dropped uncommitted",
    ),
    (
        "aeron_publication_is_closed",
        "must be true once the wrapper or its client was closed",
    ),
    (
        "aeron_publication_position",
        "must be AERON_PUBLICATION_CLOSED, not 0, once closed",
    ),
    (
        "aeron_publication_position_limit",
        "must be AERON_PUBLICATION_CLOSED, not 0, once closed",
    ),
    (
        "aeron_publication_channel_status",
        "must be NO_ID_ALLOCATED (-1), not 0 (initialising), once closed",
    ),
    (
        "aeron_exclusive_publication_offer",
        "negative results must become typed errors (generated: Ok(negative))",
    ),
    (
        "aeron_exclusive_publication_offerv",
        "takes &[&[u8]] gathered into a stack iovec array",
    ),
    (
        "aeron_exclusive_publication_try_claim",
        "returns a BufferClaim that aborts when dropped uncommitted",
    ),
    (
        "aeron_exclusive_publication_is_closed",
        "must be true once the wrapper or its client was closed",
    ),
    (
        "aeron_exclusive_publication_position",
        "must be AERON_PUBLICATION_CLOSED, not 0, once closed",
    ),
    (
        "aeron_exclusive_publication_position_limit",
        "must be AERON_PUBLICATION_CLOSED, not 0, once closed",
    ),
    (
        "aeron_exclusive_publication_channel_status",
        "must be NO_ID_ALLOCATED (-1), not 0 (initialising), once closed",
    ),
    (
        "aeron_exclusive_publication_append_padding",
        "negative results must become typed errors (generated: raw i64, 0 when closed)",
    ),
    (
        "aeron_exclusive_publication_revoke",
        "closes and frees the C publication the wrapper still owns (freed twice on drop) and calls \
     its notification later, on the conductor thread; revoke() sets revoke-on-close and closes the handle",
    ),
];
/// Subscriptions, images and fragment assemblers (src/subscription.rs).
const SUBSCRIPTION: &[(&str, &str)] = &[
    (
        "aeron_subscription_image_at_index",
        "the image is retained by C: the wrapper must release it when dropped",
    ),
    (
        "aeron_subscription_image_by_session_id",
        "the image is retained by C: the wrapper must release it when dropped",
    ),
    (
        "aeron_subscription_image_retain",
        "manual refcounts would unbalance the release-on-drop of retained images",
    ),
    (
        "aeron_subscription_image_release",
        "manual refcounts would unbalance the release-on-drop of retained images (double release frees a live image)",
    ),
    (
        "aeron_image_release",
        "manual refcounts would unbalance the release-on-drop of retained images (double release frees a live image)",
    ),
    (
        "aeron_subscription_is_closed",
        "must be true once the wrapper or its client was closed",
    ),
    (
        "aeron_image_is_closed",
        "must be true once the image's subscription or client was closed",
    ),
];
/// Counters, counters reader, CnC, loss report, error log (src/counters.rs, src/cnc.rs).
const COUNTERS: &[(&str, &str)] = &[
    (
        "aeron_counters_reader_foreach_counter",
        "the label is not NUL-terminated: it must be sliced by label_length, not read with strlen",
    ),
    (
        "aeron_counters_reader_counter_label",
        "returns an owned String; C returns -1 without an error message for a bad id",
    ),
    (
        "aeron_counters_reader_find_by_type_id_and_registration_id",
        "a closed reader must give AERON_NULL_COUNTER_ID, not the zeroed default (0 is a valid id)",
    ),
    (
        "aeron_cnc_error_log_read",
        "the error text is not NUL-terminated (sliced by error_length); C calls a NULL callback",
    ),
    (
        "aeron_cnc_loss_reporter_read",
        "channel and source are not NUL-terminated (sliced by their lengths); C calls a NULL callback",
    ),
    (
        "aeron_counters_reader_counter_registration_id",
        "C returns a bare -1 for a bad id without setting its error: range checked first",
    ),
    (
        "aeron_counters_reader_counter_owner_id",
        "C returns a bare -1 for a bad id without setting its error: range checked first",
    ),
    (
        "aeron_counters_reader_counter_reference_id",
        "C returns a bare -1 for a bad id without setting its error: range checked first",
    ),
    (
        "aeron_counters_reader_counter_state",
        "C returns a bare -1 for a bad id without setting its error: range checked first",
    ),
    (
        "aeron_counters_reader_counter_type_id",
        "C returns a bare -1 for a bad id without setting its error: range checked first",
    ),
    (
        "aeron_counters_reader_free_for_reuse_deadline_ms",
        "C returns a bare -1 for a bad id without setting its error: range checked first",
    ),
];
/// URIs and the URI string builder (src/uri.rs).
const URI: &[(&str, &str)] = &[];
/// The rest: process-wide hooks that are not safe to expose as methods.
const MISC: &[(&str, &str)] = &[
    (
        "aeron_async_remove_publication",
        "frees the C publication a wrapper may still own (freed twice on drop) and calls its \
     notification later on the conductor thread; close the wrapper instead",
    ),
    (
        "aeron_async_remove_exclusive_publication",
        "frees the C publication a wrapper may still own (freed twice on drop) and calls its \
     notification later on the conductor thread; close the wrapper instead",
    ),
    (
        "aeron_async_remove_subscription",
        "frees the C subscription a wrapper may still own (freed twice on drop) and calls its \
     notification later on the conductor thread; close the wrapper instead",
    ),
    (
        "aeron_async_remove_counter",
        "frees the C counter a wrapper may still own (freed twice on drop) and calls its \
     notification later on the conductor thread; close the wrapper instead",
    ),
    (
        "aeron_context_init",
        "installs a logging error handler: C's default prints and calls exit(), killing the process",
    ),
    (
        "aeron_context",
        "would hand out a mutable AeronContext of a live client that threads share (setters race); \
     keep the AeronContext you built instead",
    ),
];

pub fn all() -> Vec<(&'static str, &'static str)> {
    [PUBLICATION, SUBSCRIPTION, COUNTERS, URI, MISC].concat()
}
