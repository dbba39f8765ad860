//! Golden test of the wrapper generator on a small synthetic bindgen file that covers every
//! pattern (opaque handle, constructor/destructor, async add + poll, plain struct, out
//! parameters, strings, slices, callbacks, sync callbacks with closures, raw fallback).
//! The expected output is checked in and reviewed; `UPDATE_GOLDEN=1` rewrites it.

use std::path::PathBuf;

use rusteron_code_gen::wrappers::{generate, HandlersImpl, Options};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/wrappers")
        .join(name)
}

fn options() -> Options {
    Options {
        runtime: "crate".into(),
        sys_modules: vec!["rusteron_sys".into()],
        external: None,
        skip: [(
            "aeron_version_text".to_string(),
            "hand-written for the test".to_string(),
        )]
        .into(),
        handlers: HandlersImpl::Inherent,
    }
}

#[test]
fn synthetic_bindings_match_the_reviewed_output() {
    let input = std::fs::read_to_string(fixture("synthetic_bindings.rs")).unwrap();
    let generated = generate(&input, &options()).unwrap();
    let expected_path = fixture("synthetic_expected.rs");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &generated.code).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).expect("run once with UPDATE_GOLDEN=1");
    assert!(
        generated.code == expected,
        "generated code differs from {}; review the diff and rerun with UPDATE_GOLDEN=1",
        expected_path.display()
    );
}

#[test]
fn generating_twice_gives_identical_output() {
    let input = std::fs::read_to_string(fixture("synthetic_bindings.rs")).unwrap();
    let a = generate(&input, &options()).unwrap();
    let b = generate(&input, &options()).unwrap();
    assert_eq!(a.code, b.code);
    assert_eq!(a.functions, b.functions);
}

#[test]
fn every_function_is_generated_or_reported_skipped() {
    let input = std::fs::read_to_string(fixture("synthetic_bindings.rs")).unwrap();
    let generated = generate(&input, &options()).unwrap();
    let covered: Vec<&str> = generated
        .functions
        .iter()
        .map(|(c, _)| c.as_str())
        .chain(generated.skipped.iter().map(|(c, _)| c.as_str()))
        .collect();
    for line in input.lines() {
        if let Some(rest) = line.trim_start().strip_prefix("pub fn ") {
            let name = &rest[..rest.find('(').unwrap()];
            assert!(covered.contains(&name), "{name} got no wrapper");
        }
    }
    assert_eq!(
        generated.skipped,
        vec![("aeron_version_text".into(), "hand-written for the test".into())]
    );
}

#[test]
fn generated_items_have_the_expected_shapes() {
    let input = std::fs::read_to_string(fixture("synthetic_bindings.rs")).unwrap();
    let code = generate(&input, &options()).unwrap().code;
    // Compare modulo formatting: prettyplease wraps long signatures.
    let squash = |s: &str| {
        s.split_whitespace()
            .collect::<String>()
            .replace(",)", ")")
            .replace(",>", ">")
    };
    let flat = squash(&code);
    let has = |s: &str| assert!(flat.contains(&squash(s)), "generated code lacks `{s}`");
    // Wrapper types: one per aeron_*_t struct alias, cloneable.
    for ty in [
        "AeronContext",
        "Aeron",
        "AeronPublication",
        "AeronAsyncAddPublication",
        "AeronPublicationConstants",
    ] {
        has(&format!("pub struct {ty} {{"));
    }
    // Constructor / destructor pairing.
    has("pub fn new() -> Result<AeronContext, crate::AeronCError>");
    has("aeron_context_close(ptr as *mut aeron_context_t)");
    has("aeron_publication_close(ptr as *mut aeron_publication_t, None, ::std::ptr::null_mut())");
    // The constructor of the client is on Aeron, taking its parent.
    has("pub fn new(context: &AeronContext) -> Result<Aeron, crate::AeronCError>");
    // The async pattern: a method on the client and a typed pending object.
    has("pub fn async_add_publication(");
    has("pub fn poll(&self) -> Result<Option<AeronPublication>, crate::AeronCError>");
    has("pub fn poll_blocking(");
    // Strings: &CStr in, &str out.
    has("value: &::std::ffi::CStr");
    has("pub fn get_dir(&self) -> &str");
    // Slices and out-parameters.
    has("buffer: &[u8]");
    has("pub fn position_out(&self) -> Result<i64, crate::AeronCError>");
    has("pub fn constants(&self) -> Result<AeronPublicationConstants, crate::AeronCError>");
    // Plain struct accessors.
    has("pub fn stream_id(&self) -> i32");
    has("pub fn set_stream_id(&self, value: i32)");
    has("pub fn clone_struct(&self) -> Self");
    // Callbacks: trait, logger, closure impl, no-handler helper, trampolines.
    has("pub trait AeronErrorHandlerCallback");
    has("fn handle_aeron_error_handler(&mut self, errcode: ::std::os::raw::c_int, message: &str)");
    has("pub struct AeronErrorHandlerLogger;");
    has("pub fn no_error_handler_handler() -> Option<&'static crate::Handler<AeronErrorHandlerLogger>>");
    has("pub unsafe extern \"C\" fn aeron_error_handler_callback<H: AeronErrorHandlerCallback>(");
    has("crate::panic::catch_in_callback(");
    // Registering a handler keeps it alive; sync callbacks get a closure variant.
    has("H0: AeronErrorHandlerCallback + Send + 'static");
    has("pub fn poll_errors_once<F: FnMut(&[u8], AeronHeader<'_>)>(");
    has("pub struct AeronHeader<'a> {");
    // Other synchronous callbacks resume panics through the thread-local.
    has("crate::panic::call_and_resume(");
    // Image and subscription polls lend their handler through a HandlerCall on the stack.
    has("pub fn poll<H0: AeronFragmentHandlerCallback>(&self, handler: Option<&crate::Handler<H0>>, fragment_limit: usize) -> Result<i32, crate::AeronCError>");
    has("let mut handler_call = crate::panic::HandlerCall::new(handler);");
    has("Some(aeron_fragment_handler_callback_for_handler_call::<H0>)");
    has("handler_call.finish();");
    has(
        "pub unsafe extern \"C\" fn aeron_fragment_handler_callback_for_handler_call<H: AeronFragmentHandlerCallback>(",
    );
    // Raw pointers the generator cannot type make the method unsafe.
    has("pub unsafe fn raw(");
}
