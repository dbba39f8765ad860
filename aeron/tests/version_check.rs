//! The linked Aeron library is the version the bindings were generated from.

use std::ffi::CStr;

#[test]
fn linked_library_is_the_pinned_version() {
    // SAFETY: aeron_version_text returns a pointer to a static NUL-terminated string.
    let text = unsafe { CStr::from_ptr(rusteron_sys::aeron_version_text()) };
    assert_eq!(text.to_str().unwrap(), "1.54.0");
    assert_eq!(rusteron_sys::AERON_VERSION, "1.54.0");
    // SAFETY: plain integer getters with no arguments.
    let parts = unsafe {
        (
            rusteron_sys::aeron_version_major(),
            rusteron_sys::aeron_version_minor(),
            rusteron_sys::aeron_version_patch(),
        )
    };
    assert_eq!(parts, (1, 54, 0));
}
