//! Strings across the C boundary: `&CStr` in, `&str` out, NUL bytes as typed errors.

use std::ffi::{CStr, CString};

use crate::error::{AeronCError, AeronErrorType};

/// Conversion to the `CString` the wrappers take as `&CStr`, rejecting interior NULs with
/// a typed error instead of truncating or panicking.
pub trait IntoCString {
    /// Converts, failing with [`AeronErrorType::InvalidArgument`] on an interior NUL.
    fn into_c_string(self) -> Result<CString, AeronCError>;
}

impl IntoCString for &str {
    fn into_c_string(self) -> Result<CString, AeronCError> {
        CString::new(self).map_err(|e| {
            AeronCError::with_message(
                AeronErrorType::InvalidArgument,
                format!("string has a NUL byte at {}: {self:?}", e.nul_position()),
            )
        })
    }
}

impl IntoCString for String {
    fn into_c_string(self) -> Result<CString, AeronCError> {
        self.as_str().into_c_string()
    }
}

impl IntoCString for &String {
    fn into_c_string(self) -> Result<CString, AeronCError> {
        self.as_str().into_c_string()
    }
}

impl IntoCString for CString {
    fn into_c_string(self) -> Result<CString, AeronCError> {
        Ok(self)
    }
}

impl IntoCString for &CStr {
    fn into_c_string(self) -> Result<CString, AeronCError> {
        Ok(self.to_owned())
    }
}

/// Reads a C string returned by Aeron as `&str` (empty for NULL, lossy bytes replaced
/// only if Aeron ever returned non-UTF-8, which it does not for its own strings).
///
/// # Safety
/// `ptr` must be NULL or a NUL-terminated string valid for `'a`.
#[inline]
pub unsafe fn c_str_to_str<'a>(ptr: *const std::os::raw::c_char) -> &'a str {
    if ptr.is_null() {
        return "";
    }
    let bytes = CStr::from_ptr(ptr).to_bytes();
    std::str::from_utf8(bytes).unwrap_or_else(|e| std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default())
}

/// Reads a length-delimited C string (`label` + `label_length`) as `&str`: no NUL needed,
/// no allocation; stops at the first invalid UTF-8 byte (Aeron's own texts are ASCII).
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes valid for `'a`.
#[inline]
pub unsafe fn bytes_to_str<'a>(ptr: *const u8, len: usize) -> &'a str {
    if ptr.is_null() || len == 0 {
        return "";
    }
    let bytes = std::slice::from_raw_parts(ptr, len);
    std::str::from_utf8(bytes).unwrap_or_else(|e| std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default())
}
