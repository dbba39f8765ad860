//! C functions that src/ wraps by hand instead of the generator, each with the reason the
//! generated form would be wrong. One list per area so each module owns its entries.

/// Publications and exclusive publications (src/publication.rs).
const PUBLICATION: &[(&str, &str)] = &[];
/// Subscriptions, images and fragment assemblers (src/subscription.rs).
const SUBSCRIPTION: &[(&str, &str)] = &[];
/// Counters, counters reader, CnC, loss report, error log (src/counters.rs, src/cnc.rs).
const COUNTERS: &[(&str, &str)] = &[];
/// URIs and the URI string builder (src/uri.rs).
const URI: &[(&str, &str)] = &[];
/// The rest: process-wide hooks that are not safe to expose as methods.
const MISC: &[(&str, &str)] = &[];

pub fn all() -> Vec<(&'static str, &'static str)> {
    [PUBLICATION, SUBSCRIPTION, COUNTERS, URI, MISC].concat()
}
