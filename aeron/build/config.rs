//! What to build and how to link, from cargo features and `AERON_*` environment variables.
//!
//! Features are read with `cfg!(feature = ...)` (cargo compiles the build script with the
//! package's features), so a misspelt feature name is a compile-time `unexpected_cfgs`
//! warning instead of a silently false string comparison.
//!
//! The link-mode features are additive, because cargo unites the features every dependent
//! asks for and two of them may ask for different modes. The rule: `precompile` wins over
//! `static` and `dynamic` (without `AERON_STATIC`, `dynamic` then picks the shared prebuilt
//! libraries), and `dynamic` wins over `static`, which is usually on only as a default
//! feature, whereas nobody gets `dynamic` without asking. None of the three means `static`.

use std::path::PathBuf;

use crate::{env, fail};

/// How the Aeron libraries reach the final binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkMode {
    /// Static archives compiled from source by `cc` (default).
    Static,
    /// Shared libraries compiled from the same sources, found at run time by absolute path.
    Dynamic,
    /// No C compilation: link the user's libraries from `AERON_LIB_DIR`.
    Prebuilt { lib_dir: PathBuf, is_static: bool },
}

#[derive(Debug)]
pub struct Config {
    pub link: LinkMode,
    pub driver: bool,
    pub archive: bool,
    pub bindgen: bool,
    pub docs_rs: bool,
    pub target_os: String,
}

impl Config {
    pub fn from_env() -> Config {
        let want_static = cfg!(feature = "static");
        let want_dynamic = cfg!(feature = "dynamic");
        let precompile = cfg!(feature = "precompile");
        if want_static && want_dynamic {
            // Cargo shows build-script warnings of path dependencies (and with -vv of all).
            let outcome = if precompile {
                "with `precompile`, the shared prebuilt libraries are linked; AERON_STATIC=1 links \
                 the static ones"
            } else {
                "`dynamic` wins; to link statically, no dependent may turn on `dynamic`"
            };
            println!(
                "cargo:warning=features `static` and `dynamic` are both on (two dependents asked \
                 for different link modes): {outcome}"
            );
        }
        let link = if precompile {
            let lib_dir = match env("AERON_LIB_DIR") {
                Some(dir) if !dir.is_empty() => PathBuf::from(dir),
                _ => fail(
                    "feature `precompile` links prebuilt Aeron libraries and needs AERON_LIB_DIR \
                     set to the directory that holds them (libaeron_static.a / libaeron.so, plus \
                     the driver and archive libraries when those features are on). To compile \
                     Aeron from source instead, drop the `precompile` feature.",
                ),
            };
            let is_static = match env("AERON_STATIC").as_deref() {
                Some("1") | Some("true") => true,
                Some("0") | Some("false") => false,
                Some(other) => fail(&format!(
                    "AERON_STATIC={other:?} is not understood: use AERON_STATIC=1 to link \
                     libaeron_static.a or AERON_STATIC=0 to link libaeron.so"
                )),
                // Without the variable the `dynamic` feature picks shared libraries;
                // otherwise static ones (the `static` feature is on by default).
                None => !want_dynamic,
            };
            LinkMode::Prebuilt { lib_dir, is_static }
        } else if want_dynamic {
            LinkMode::Dynamic
        } else {
            LinkMode::Static
        };
        Config {
            link,
            driver: cfg!(feature = "driver"),
            archive: cfg!(feature = "archive"),
            bindgen: cfg!(feature = "bindgen"),
            docs_rs: env("DOCS_RS").is_some(),
            target_os: std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default(),
        }
    }
}
