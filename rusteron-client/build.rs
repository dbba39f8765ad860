//! Generates the wrappers over the client bindings that rusteron-sys exports.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rusteron_code_gen::wrappers::{generate, HandlersImpl, Options};

/// C functions wrapped by hand (src/), with the reason the generated form would be wrong.
const HAND_WRITTEN: &[(&str, &str)] = &[];

fn main() {
    let bindings = std::env::var("DEP_AERON_BINDINGS_CLIENT")
        .expect("rusteron-sys exports DEP_AERON_BINDINGS_CLIENT (links = \"aeron\")");
    println!("cargo:rerun-if-changed={bindings}");
    println!("cargo:rerun-if-changed=build.rs");
    let text = std::fs::read_to_string(&bindings).unwrap_or_else(|e| panic!("cannot read {bindings}: {e}"));
    let options = Options {
        runtime: "crate".into(),
        sys_modules: vec!["rusteron_sys".into()],
        external: None,
        skip: HAND_WRITTEN.iter().map(|(f, why)| (f.to_string(), why.to_string())).collect::<BTreeMap<_, _>>(),
        handlers: HandlersImpl::Inherent,
    };
    let started = std::time::Instant::now();
    let generated = generate(&text, &options).unwrap_or_else(|e| panic!("generating the client wrappers: {e}"));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out.join("aeron.rs"), &generated.code).expect("write generated code");
    let mut coverage = String::new();
    for (c, rust) in &generated.functions {
        coverage.push_str(&format!("{c}\t{rust}\n"));
    }
    for (c, why) in &generated.skipped {
        coverage.push_str(&format!("{c}\thand-written: {why}\n"));
    }
    std::fs::write(out.join("coverage.tsv"), coverage).expect("write coverage");
    println!(
        "cargo:rustc-env=RUSTERON_CLIENT_GEN_STATS={} wrappers, {} callbacks, {} functions, {} lines, {} ms",
        generated.wrapper_count,
        generated.callback_count,
        generated.functions.len(),
        generated.code.lines().count(),
        started.elapsed().as_millis()
    );
}
