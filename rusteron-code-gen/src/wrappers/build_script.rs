//! The whole build-script job of a wrapper crate, so each crate's `build.rs` is a few lines:
//! read the bindings rusteron-sys exports (`DEP_AERON_BINDINGS_*`), generate, write
//! `OUT_DIR/<file>` plus a coverage table, and report the figures.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{generate, HandlersImpl, Options};

/// What one crate generates.
pub struct BuildSpec<'a> {
    /// Env var holding the bindings file to wrap (`DEP_AERON_BINDINGS_CLIENT`).
    pub bindings_env: &'a str,
    /// Bindings wrapped by another crate: (env var, crate path).
    pub external: Option<(&'a str, &'a str)>,
    /// Path of the runtime (`crate` or `rusteron_client`).
    pub runtime: &'a str,
    /// Modules used unqualified by the generated code.
    pub sys_modules: &'a [&'a str],
    /// C functions written by hand, with the reason.
    pub hand_written: &'a [(&'a str, &'a str)],
    pub handlers: HandlersImpl,
    /// Output file name in OUT_DIR (`aeron.rs`).
    pub output: &'a str,
    /// Name of the `rustc-env` variable that receives the generation figures.
    pub stats_env: &'a str,
}

fn read_env_file(var: &str) -> String {
    let path = std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: this crate must depend on rusteron-sys (links = \"aeron\") directly")
    });
    println!("cargo:rerun-if-changed={path}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path} (from {var}): {e}"))
}

/// Runs the generation for a build script. Panics with a clear message on failure.
pub fn run(spec: &BuildSpec) {
    let text = read_env_file(spec.bindings_env);
    let external = spec.external.map(|(var, path)| (read_env_file(var), path.to_owned()));
    let options = Options {
        runtime: spec.runtime.into(),
        sys_modules: spec.sys_modules.iter().map(|s| s.to_string()).collect(),
        external,
        skip: spec
            .hand_written
            .iter()
            .map(|(f, why)| (f.to_string(), why.to_string()))
            .collect::<BTreeMap<_, _>>(),
        handlers: spec.handlers.clone(),
    };
    let started = std::time::Instant::now();
    let generated = generate(&text, &options).unwrap_or_else(|e| panic!("generating {}: {e}", spec.output));
    let elapsed = started.elapsed();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set in build scripts"));
    write_if_changed(&out.join(spec.output), &generated.code);
    let mut coverage = String::new();
    for (c, rust) in &generated.functions {
        coverage.push_str(&format!("{c}\t{rust}\n"));
    }
    for (c, why) in &generated.skipped {
        coverage.push_str(&format!("{c}\thand-written: {why}\n"));
    }
    write_if_changed(&out.join(format!("{}.coverage.tsv", spec.output)), &coverage);
    println!(
        "cargo:rustc-env={}={} wrappers, {} callback traits, {} functions, {} lines, generated in {} ms",
        spec.stats_env,
        generated.wrapper_count,
        generated.callback_count,
        generated.functions.len(),
        generated.code.lines().count(),
        elapsed.as_millis()
    );
}

fn write_if_changed(path: &std::path::Path, contents: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}
