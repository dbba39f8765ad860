//! Credentials sent to the archive when connecting, and answers to its challenges.
//!
//! C takes three callbacks that share one `clientd`: one returns the credentials for the
//! connect request, one answers a challenge, and one is handed back every returned buffer
//! once C has sent it. Here a [`CredentialsSupplier`] returns plain bytes; this module
//! owns the buffers it gives C and frees them in the third callback.

use std::ffi::{c_char, c_void};
use std::ptr;

use rusteron_client::{AeronCError, Handler};
use rusteron_sys::archive::{aeron_archive_context_set_credentials_supplier, aeron_archive_encoded_credentials_t};

use crate::AeronArchiveContext;

/// Supplies the encoded credentials an archive with authentication expects.
///
/// Called on the thread that connects, during the connect.
pub trait CredentialsSupplier {
    /// The credentials sent with the connect request (`None`: none).
    fn encoded_credentials(&mut self) -> Option<Vec<u8>>;

    /// The answer to a challenge from the archive (`None`: an empty answer). The default
    /// has no answer.
    fn on_challenge(&mut self, encoded_challenge: &[u8]) -> Option<Vec<u8>> {
        let _ = encoded_challenge;
        None
    }
}

/// The same credentials for every connect, and no answer to challenges.
#[derive(Clone, Default)]
pub struct StaticCredentials {
    credentials: Vec<u8>,
}

impl StaticCredentials {
    /// Credentials that are always `credentials`.
    pub fn new(credentials: impl Into<Vec<u8>>) -> Self {
        StaticCredentials {
            credentials: credentials.into(),
        }
    }
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        f.debug_struct("StaticCredentials")
            .field("len", &self.credentials.len())
            .finish()
    }
}

impl CredentialsSupplier for StaticCredentials {
    fn encoded_credentials(&mut self) -> Option<Vec<u8>> {
        Some(self.credentials.clone())
    }
}

impl AeronArchiveContext {
    /// Sets how the archive client authenticates (`None`: no credentials, the default).
    /// The context keeps the supplier alive; connections made from it use it.
    pub fn set_credentials_supplier<S: CredentialsSupplier + Send + 'static>(
        &self,
        supplier: Option<&Handler<S>>,
    ) -> Result<i32, AeronCError> {
        let ptr = self.checked_ptr()?;
        let Some(supplier) = supplier else {
            // SAFETY: ptr is a live context; NULL callbacks mean "no credentials".
            let rc = unsafe { aeron_archive_context_set_credentials_supplier(ptr, None, None, None, ptr::null_mut()) };
            return rusteron_client::error::check(rc);
        };
        let (clientd, dependency) = supplier.registration()?;
        // SAFETY: ptr is a live context; clientd is an `S` kept alive by the context, and
        // the trampolines below match the C signatures.
        let rc = unsafe {
            aeron_archive_context_set_credentials_supplier(
                ptr,
                Some(encoded_credentials_callback::<S>),
                Some(on_challenge_callback::<S>),
                Some(free_credentials_callback),
                clientd,
            )
        };
        rusteron_client::error::check(rc)?;
        self.keep_alive(dependency);
        Ok(rc)
    }
}

/// A buffer handed to C: the C struct first, so a pointer to it is a pointer to the
/// struct, followed by the bytes it points into.
#[repr(C)]
struct OwnedCredentials {
    c: aeron_archive_encoded_credentials_t,
    bytes: Vec<u8>,
}

/// Moves `bytes` to the heap as a C credentials struct, or NULL when they do not fit the
/// C length (`u32`).
fn into_c(mut bytes: Vec<u8>) -> *mut aeron_archive_encoded_credentials_t {
    let Ok(length) = u32::try_from(bytes.len()) else {
        log::error!(
            "archive credentials of {} bytes exceed the protocol's u32 length; none sent",
            bytes.len()
        );
        return ptr::null_mut();
    };
    // A NUL after the data: the pointer is never dangling, even for empty credentials.
    bytes.push(0);
    let mut owned = Box::new(OwnedCredentials {
        c: aeron_archive_encoded_credentials_t {
            data: ptr::null(),
            length,
        },
        bytes,
    });
    owned.c.data = owned.bytes.as_ptr() as *const c_char;
    Box::into_raw(owned) as *mut aeron_archive_encoded_credentials_t
}

/// `aeron_archive_credentials_encoded_credentials_supplier_func_t` for an `S`.
///
/// # Safety
/// `clientd` must be the `S` registered with the context.
pub(crate) unsafe extern "C" fn encoded_credentials_callback<S: CredentialsSupplier>(
    clientd: *mut c_void,
) -> *mut aeron_archive_encoded_credentials_t {
    rusteron_client::panic::catch_in_callback(ptr::null_mut(), || {
        // SAFETY: the caller's contract; C calls the supplier from one thread at a time.
        let supplier = unsafe { &mut *(clientd as *mut S) };
        supplier.encoded_credentials().map_or(ptr::null_mut(), into_c)
    })
}

/// `aeron_archive_credentials_challenge_supplier_func_t` for an `S`.
///
/// # Safety
/// `clientd` must be the `S` registered with the context; `encoded_challenge` NULL or a
/// struct whose `data` holds `length` bytes.
pub(crate) unsafe extern "C" fn on_challenge_callback<S: CredentialsSupplier>(
    encoded_challenge: *mut aeron_archive_encoded_credentials_t,
    clientd: *mut c_void,
) -> *mut aeron_archive_encoded_credentials_t {
    rusteron_client::panic::catch_in_callback(ptr::null_mut(), || {
        // SAFETY: the caller's contract: data/length describe the challenge buffer, which
        // the control response poller owns for the duration of this call.
        let challenge: &[u8] = unsafe {
            match encoded_challenge.as_ref() {
                Some(c) if !c.data.is_null() => std::slice::from_raw_parts(c.data as *const u8, c.length as usize),
                _ => &[],
            }
        };
        // SAFETY: as in encoded_credentials_callback.
        let supplier = unsafe { &mut *(clientd as *mut S) };
        supplier.on_challenge(challenge).map_or(ptr::null_mut(), into_c)
    })
}

/// `aeron_archive_credentials_free_func_t`: frees a buffer made by [`into_c`].
///
/// # Safety
/// `credentials` must be NULL or a pointer returned by one of the callbacks above, not
/// yet freed.
pub(crate) unsafe extern "C" fn free_credentials_callback(
    credentials: *mut aeron_archive_encoded_credentials_t,
    _clientd: *mut c_void,
) {
    if !credentials.is_null() {
        // SAFETY: the caller's contract: this came from Box::into_raw in into_c.
        drop(unsafe { Box::from_raw(credentials as *mut OwnedCredentials) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo {
        connects: u32,
    }

    impl CredentialsSupplier for Echo {
        fn encoded_credentials(&mut self) -> Option<Vec<u8>> {
            self.connects += 1;
            Some(format!("user:{}", self.connects).into_bytes())
        }
        fn on_challenge(&mut self, encoded_challenge: &[u8]) -> Option<Vec<u8>> {
            let mut answer = b"answer:".to_vec();
            answer.extend_from_slice(encoded_challenge);
            Some(answer)
        }
    }

    /// Reads a credentials struct the way the C proxy does: `length` bytes from `data`.
    unsafe fn bytes_of(c: *mut aeron_archive_encoded_credentials_t) -> Vec<u8> {
        let c = &*c;
        std::slice::from_raw_parts(c.data as *const u8, c.length as usize).to_vec()
    }

    #[test]
    fn callbacks_hand_c_owned_buffers_and_take_them_back() {
        let mut handler = Handler::leak(Echo { connects: 0 });
        let clientd = handler.as_raw();
        // SAFETY: clientd is a live Echo; every returned buffer is freed exactly once.
        unsafe {
            let first = encoded_credentials_callback::<Echo>(clientd);
            assert_eq!(bytes_of(first), b"user:1");
            let second = encoded_credentials_callback::<Echo>(clientd);
            assert_eq!(bytes_of(second), b"user:2");
            free_credentials_callback(first, clientd);
            free_credentials_callback(second, clientd);

            let challenge_bytes = b"nonce-42";
            let mut challenge = aeron_archive_encoded_credentials_t {
                data: challenge_bytes.as_ptr() as *const c_char,
                length: challenge_bytes.len() as u32,
            };
            let answer = on_challenge_callback::<Echo>(&mut challenge, clientd);
            assert_eq!(bytes_of(answer), b"answer:nonce-42");
            free_credentials_callback(answer, clientd);

            let empty = on_challenge_callback::<Echo>(ptr::null_mut(), clientd);
            assert_eq!(bytes_of(empty), b"answer:");
            free_credentials_callback(empty, clientd);
            free_credentials_callback(ptr::null_mut(), clientd);
            assert_eq!(handler.get_mut().map(|e| e.connects), Some(2));
        }
        handler.release();
    }

    #[test]
    fn default_challenge_answer_is_none_and_static_credentials_repeat() {
        let mut handler = Handler::leak(StaticCredentials::new("secret"));
        let clientd = handler.as_raw();
        // SAFETY: clientd is a live StaticCredentials.
        unsafe {
            for _ in 0..2 {
                let c = encoded_credentials_callback::<StaticCredentials>(clientd);
                assert_eq!(bytes_of(c), b"secret");
                free_credentials_callback(c, clientd);
            }
            let mut challenge = aeron_archive_encoded_credentials_t {
                data: ptr::null(),
                length: 0,
            };
            assert!(on_challenge_callback::<StaticCredentials>(&mut challenge, clientd).is_null());
        }
        assert_eq!(
            format!("{:?}", StaticCredentials::new("secret")),
            "StaticCredentials { len: 6 }"
        );
        handler.release();
    }

    #[test]
    fn a_panicking_supplier_sends_no_credentials() {
        struct Broken;
        impl CredentialsSupplier for Broken {
            fn encoded_credentials(&mut self) -> Option<Vec<u8>> {
                panic!("no credentials store")
            }
        }
        let mut handler = Handler::leak(Broken);
        // SAFETY: clientd is a live Broken.
        let c = unsafe { encoded_credentials_callback::<Broken>(handler.as_raw()) };
        assert!(c.is_null());
        handler.release();
    }
}
