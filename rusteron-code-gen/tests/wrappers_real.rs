//! The generator over the real, checked-in Aeron 1.54 bindings (client, driver, archive):
//! the output parses as Rust, covers every C function, and the archive refers to client
//! types instead of generating them again. (The crates rusteron-client,
//! rusteron-media-driver and rusteron-archive compile this output in their builds.)

use std::path::PathBuf;

use rusteron_code_gen::wrappers::{generate, Generated, HandlersImpl, Options};

fn bindings(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../aeron/bindings")
        .join(format!("{name}.rs"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn c_functions(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("pub fn "))
        .map(|rest| rest[..rest.find('(').unwrap()].to_owned())
        .collect()
}

fn generate_for(name: &str) -> Generated {
    let external = (name != "client").then(|| (bindings("client"), "rusteron_client".to_owned()));
    let options = Options {
        runtime: if name == "client" {
            "crate".into()
        } else {
            "rusteron_client".into()
        },
        sys_modules: vec!["rusteron_sys".into()],
        external,
        skip: Default::default(),
        handlers: if name == "client" {
            HandlersImpl::Inherent
        } else {
            HandlersImpl::Trait("X".into())
        },
    };
    generate(&bindings(name), &options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_function_of_every_header_gets_a_wrapper() {
    for name in ["client", "driver", "archive"] {
        let generated = generate_for(name);
        let covered: Vec<&str> = generated.functions.iter().map(|(c, _)| c.as_str()).collect();
        let missing: Vec<String> = c_functions(&bindings(name))
            .into_iter()
            .filter(|f| !covered.contains(&f.as_str()))
            .collect();
        assert!(missing.is_empty(), "{name}: no wrapper for {missing:?}");
        syn::parse_file(&generated.code).unwrap_or_else(|e| panic!("{name}: output does not parse: {e}"));
    }
}

#[test]
fn archive_reuses_client_types() {
    let archive = generate_for("archive");
    assert!(
        !archive.code.contains("pub struct Aeron {"),
        "archive generated its own Aeron"
    );
    assert!(!archive.code.contains("pub struct AeronSubscription {"));
    assert!(
        archive.code.contains("rusteron_client::Aeron"),
        "archive does not refer to the client's Aeron"
    );
    assert!(archive.code.contains("pub struct AeronArchive {"));
    assert!(archive
        .code
        .contains("pub trait AeronArchiveRecordingSignalConsumerFuncCallback"));
}

#[test]
fn client_surface_has_the_seed_names() {
    let client = generate_for("client");
    for item in [
        "pub struct AeronContext {",
        "pub struct Aeron {",
        "pub struct AeronPublication {",
        "pub struct AeronExclusivePublication {",
        "pub struct AeronSubscription {",
        "pub struct AeronCounter {",
        "pub struct AeronImage {",
        "pub struct AeronFragmentAssembler {",
        "pub trait AeronErrorHandlerCallback",
        "pub trait AeronAvailableImageCallback",
        "pub trait AeronReservedValueSupplierCallback",
        "pub fn no_error_handler_handler()",
        "pub fn no_available_image_handler()",
        "pub fn no_reserved_value_supplier_handler()",
    ] {
        assert!(client.code.contains(item), "client output lacks `{item}`");
    }
    // aeronc.h declares 38 `aeron_*_t` struct types today.
    assert!(
        client.wrapper_count >= 38,
        "only {} wrapper types",
        client.wrapper_count
    );
}
