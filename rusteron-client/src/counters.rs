//! Counters: add your own, update them atomically, and read every counter the driver has.
//!
//! Aeron counters live in the CnC file that the driver and all its clients map: a metadata
//! record (state, type id, key, label) and a 128-byte value record per counter id. The
//! driver's system counters ("Bytes sent", "Errors", ...), per-stream positions and the
//! counters applications add all live there, which is what AeronStat prints.
//!
//! ```no_run
//! # fn demo(aeron: &rusteron_client::Aeron) -> Result<(), rusteron_client::AeronCError> {
//! use std::time::Duration;
//! let orders = aeron.add_counter(1001, b"desk-7", "orders accepted", Duration::from_secs(5))?;
//! orders.increment()?;
//! let reader = aeron.counters_reader().expect("client is open");
//! assert_eq!(reader.counter_value(orders.counter_id()?)?, 1);
//! # Ok(()) }
//! ```

use std::ffi::c_void;
use std::ffi::{c_char, c_int};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use rusteron_sys::{
    aeron_async_add_counter, aeron_async_add_counter_t, aeron_counter_addr,
    aeron_counter_metadata_descriptor_t as MetadataDescriptor, aeron_counters_reader_counter_label,
    aeron_counters_reader_counter_owner_id, aeron_counters_reader_counter_reference_id,
    aeron_counters_reader_counter_registration_id, aeron_counters_reader_counter_state,
    aeron_counters_reader_counter_type_id, aeron_counters_reader_find_by_type_id_and_registration_id,
    aeron_counters_reader_foreach_counter, aeron_counters_reader_free_for_reuse_deadline_ms, aeron_counters_reader_t,
    AERON_NULL_COUNTER_ID,
};

use crate::error::{check, AeronCError, AeronErrorType};
use crate::handler::Handler;
use crate::panic::{call_and_resume, catch_in_callback, ClosureCall};
use crate::{
    Aeron, AeronAsyncAddCounter, AeronCounter, AeronCountersReader, AeronCountersReaderForeachCounterFuncCallback,
};

/// Size of a counter's key area in bytes (Java `CountersReader.MAX_KEY_LENGTH`).
pub const COUNTER_MAX_KEY_LENGTH: usize =
    std::mem::offset_of!(MetadataDescriptor, label_length) - std::mem::offset_of!(MetadataDescriptor, key);
/// Longest counter label in bytes (Java `CountersReader.MAX_LABEL_LENGTH`).
pub const COUNTER_MAX_LABEL_LENGTH: usize =
    std::mem::size_of::<MetadataDescriptor>() - std::mem::offset_of!(MetadataDescriptor, label);
/// Type id of the driver's system counters ("Bytes sent", "Errors", ...).
pub const SYSTEM_COUNTER_TYPE_ID: i32 = 0;

const _: () = assert!(COUNTER_MAX_KEY_LENGTH == 112 && COUNTER_MAX_LABEL_LENGTH == 380);

/// One allocated counter, copied out of the counters buffers at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CounterInfo {
    /// Counter id (index in the counters buffers).
    pub id: i32,
    /// What kind of counter this is (0 for system counters, see [`SYSTEM_COUNTER_TYPE_ID`]).
    pub type_id: i32,
    /// Registration id of the counter, or 0 for counters that have none.
    pub registration_id: i64,
    /// The value when the snapshot was taken.
    pub value: i64,
    /// The label, e.g. `"Bytes sent"`.
    pub label: String,
    /// The whole key area ([`COUNTER_MAX_KEY_LENGTH`] bytes): the key the counter was added
    /// with, followed by zeros (the buffers do not record the key's own length).
    pub key: Vec<u8>,
}

/// Text of a length-delimited C string, up to the first byte that is not valid UTF-8.
///
/// # Safety
/// `ptr` must be NULL or valid for reads of `len` bytes during `'a`.
pub(crate) unsafe fn text<'a>(ptr: *const c_char, len: usize) -> &'a str {
    let bytes = bytes(ptr as *const u8, len);
    std::str::from_utf8(bytes).unwrap_or_else(|e| std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default())
}

/// # Safety
/// `ptr` must be NULL or valid for reads of `len` bytes during `'a`.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, len)
    }
}

impl Aeron {
    /// Adds a counter owned by this client and waits up to `timeout` for the driver to
    /// allocate it. It is removed when the returned [`AeronCounter`] (and its clones) drop
    /// or the client closes.
    ///
    /// `key` (at most [`COUNTER_MAX_KEY_LENGTH`] bytes) and `label` (at most
    /// [`COUNTER_MAX_LABEL_LENGTH`] bytes, no NUL) are checked first:
    /// [`AeronErrorType::InvalidArgument`] if out of bounds. On timeout the pending add is
    /// cancelled and the result is [`AeronErrorType::TimedOut`].
    pub fn add_counter(
        &self,
        type_id: i32,
        key: &[u8],
        label: &str,
        timeout: Duration,
    ) -> Result<AeronCounter, AeronCError> {
        if key.len() > COUNTER_MAX_KEY_LENGTH {
            return Err(invalid(format!(
                "counter key length out of bounds: {} > {COUNTER_MAX_KEY_LENGTH}",
                key.len()
            )));
        }
        if label.len() > COUNTER_MAX_LABEL_LENGTH {
            let n = label.len();
            return Err(invalid(format!(
                "counter label length out of bounds: {n} > {COUNTER_MAX_LABEL_LENGTH}"
            )));
        }
        if let Some(at) = label.find('\0') {
            return Err(invalid(format!("counter label has a NUL byte at {at}: {label:?}")));
        }
        let client = self.checked_ptr()?;
        let mut pending: *mut aeron_async_add_counter_t = std::ptr::null_mut();
        // SAFETY: `client` is open; key and label are valid for their lengths during the call
        // and C copies them (the label needs no NUL terminator: C takes its length).
        let rc = unsafe {
            aeron_async_add_counter(
                &mut pending,
                client,
                type_id,
                key.as_ptr(),
                key.len(),
                label.as_ptr() as *const c_char,
                label.len(),
            )
        };
        check(rc)?;
        // SAFETY: C returned a live async handle owned by this client; it is freed by C when
        // a poll completes or the add is cancelled, so the wrapper runs no destructor.
        let pending = unsafe { AeronAsyncAddCounter::from_raw_owned(pending, self.owner().cloned()) };
        match pending.poll_blocking(timeout) {
            Err(e) if e.kind() == AeronErrorType::TimedOut => {
                if let Err(cancel) = self.async_add_counter_cancel(&pending) {
                    log::warn!("cancelling a timed-out add_counter failed: {cancel}");
                }
                Err(e)
            }
            result => result,
        }
    }
}

impl AeronCounter {
    /// The counter's value cell. The reference must not outlive the calling method: another
    /// clone may close the counter (or its client) afterwards.
    fn cell(&self) -> Result<&AtomicI64, AeronCError> {
        let counter = self.checked_ptr()?;
        // SAFETY: `counter` is open, so C returns the address of its value in the CnC
        // mapping, which the client keeps mapped while open.
        let addr = unsafe { aeron_counter_addr(counter) };
        if addr.is_null() || (addr as usize) % std::mem::align_of::<AtomicI64>() != 0 {
            return Err(AeronCError::with_message(
                AeronErrorType::NullOrNotConnected,
                format!("counter value address {addr:p} is null or misaligned"),
            ));
        }
        // SAFETY: the value is an aligned int64 (checked above; C places each value at the
        // start of its own 128-byte record) in memory shared with the driver and other
        // processes, which only ever access it with atomic loads, stores and read-modify-
        // write instructions, the same model as `AtomicI64`. The mapping outlives this borrow
        // because the wrapper keeps the client alive and the caller uses it at once.
        Ok(unsafe { AtomicI64::from_ptr(addr) })
    }

    /// The current value (acquire load).
    pub fn get(&self) -> Result<i64, AeronCError> {
        Ok(self.cell()?.load(Ordering::Acquire))
    }

    /// Sets the value (release store), so readers see it with everything written before.
    pub fn set(&self, value: i64) -> Result<(), AeronCError> {
        self.cell()?.store(value, Ordering::Release);
        Ok(())
    }

    /// Adds one atomically; returns the previous value.
    pub fn increment(&self) -> Result<i64, AeronCError> {
        self.get_and_add(1)
    }

    /// Adds `delta` atomically; returns the previous value.
    pub fn get_and_add(&self, delta: i64) -> Result<i64, AeronCError> {
        Ok(self.cell()?.fetch_add(delta, Ordering::AcqRel))
    }

    /// Sets `update` if the value is `expected`; returns whether it did.
    pub fn compare_and_set(&self, expected: i64, update: i64) -> Result<bool, AeronCError> {
        Ok(self
            .cell()?
            .compare_exchange(expected, update, Ordering::AcqRel, Ordering::Acquire)
            .is_ok())
    }

    /// The counter id (its index in the counters reader).
    pub fn counter_id(&self) -> Result<i32, AeronCError> {
        Ok(self.constants()?.counter_id())
    }

    /// The registration id the driver gave this counter.
    pub fn registration_id(&self) -> Result<i64, AeronCError> {
        Ok(self.constants()?.registration_id())
    }
}

impl AeronCountersReader {
    /// Calls `func` with `(value, id, type_id, key, label, label_length)` for each allocated
    /// counter. A panic in the handler is resumed here once C has returned.
    pub fn foreach_counter<H: AeronCountersReaderForeachCounterFuncCallback>(
        &self,
        func: Option<&Handler<H>>,
    ) -> Result<(), AeronCError> {
        let reader = self.checked_ptr()?;
        let Some(handler) = func else { return Ok(()) };
        if handler.is_released() {
            return Err(invalid("handler was released".to_owned()));
        }
        // SAFETY: `reader` is open; the handler's value stays alive for the call and the
        // trampoline matches `aeron_counters_reader_foreach_counter_func_t`.
        call_and_resume(|| unsafe {
            aeron_counters_reader_foreach_counter(reader, Some(on_counter_handler::<H>), handler.as_raw())
        });
        Ok(())
    }

    /// Calls `func(value, id, type_id, key, label, label_length)` for each allocated counter,
    /// borrowing the closure for this call only. A panic in it is resumed here.
    pub fn foreach_counter_once<F: FnMut(i64, i32, i32, &[u8], &str, usize)>(
        &self,
        mut func: F,
    ) -> Result<(), AeronCError> {
        let reader = self.checked_ptr()?;
        let mut call = ClosureCall::new(&mut func);
        // SAFETY: `reader` is open; `call` lives on this stack frame for the whole call and
        // the trampoline casts `clientd` back to exactly this type.
        unsafe {
            aeron_counters_reader_foreach_counter(
                reader,
                Some(on_counter_closure::<F>),
                &mut call as *mut ClosureCall<'_, F> as *mut c_void,
            )
        };
        call.finish();
        Ok(())
    }

    /// A snapshot of every allocated counter.
    pub fn counters(&self) -> Result<Vec<CounterInfo>, AeronCError> {
        let reader = self.checked_ptr()?;
        let mut counters = Vec::new();
        self.foreach_counter_once(|value, id, type_id, key, label, _| {
            let mut registration_id = 0;
            // SAFETY: `reader` is open (checked above, and foreach is running on it) and `id`
            // is one C is iterating, hence in range.
            unsafe { aeron_counters_reader_counter_registration_id(reader, id, &mut registration_id) };
            counters.push(CounterInfo {
                id,
                type_id,
                registration_id,
                value,
                label: label.to_owned(),
                key: key.to_vec(),
            });
        })?;
        Ok(counters)
    }

    /// The current value of counter `id` (acquire load);
    /// [`AeronErrorType::InvalidArgument`] when `id` is out of range.
    pub fn counter_value(&self, id: i32) -> Result<i64, AeronCError> {
        self.check_id(id)?;
        let addr = self.addr(id);
        if addr.is_null() {
            return Err(AeronCError::resource_closed("aeron_counters_reader_t"));
        }
        // SAFETY: `id` is in range, so `addr` is the aligned int64 value of that counter in
        // the mapped counters buffer (see `AeronCounter::cell` for the atomic access model);
        // the reader's owner keeps the mapping alive during this call.
        Ok(unsafe { AtomicI64::from_ptr(addr) }.load(Ordering::Acquire))
    }

    /// The registration id of counter `id` (checked like [`counter_value`](Self::counter_value)).
    pub fn counter_registration_id(&self, id: i32) -> Result<i64, AeronCError> {
        self.checked_field(id, aeron_counters_reader_counter_registration_id)
    }

    /// The owner id of counter `id`, typically the client id that added it.
    pub fn counter_owner_id(&self, id: i32) -> Result<i64, AeronCError> {
        self.checked_field(id, aeron_counters_reader_counter_owner_id)
    }

    /// The reference id of counter `id` (e.g. an image's registration id), or -1.
    pub fn counter_reference_id(&self, id: i32) -> Result<i64, AeronCError> {
        self.checked_field(id, aeron_counters_reader_counter_reference_id)
    }

    /// The state of counter `id` (`AERON_COUNTER_RECORD_*`).
    pub fn counter_state(&self, id: i32) -> Result<i32, AeronCError> {
        self.checked_field(id, aeron_counters_reader_counter_state)
    }

    /// The type id of counter `id`.
    pub fn counter_type_id(&self, id: i32) -> Result<i32, AeronCError> {
        self.checked_field(id, aeron_counters_reader_counter_type_id)
    }

    /// The deadline (epoch ms) after which a freed counter `id` may be reused.
    pub fn free_for_reuse_deadline_ms(&self, id: i32) -> Result<i64, AeronCError> {
        self.checked_field(id, aeron_counters_reader_free_for_reuse_deadline_ms)
    }

    /// Reads one metadata field of counter `id` through `read`. C returns a bare -1 for an
    /// id out of range without setting its error, so the range is checked here first.
    fn checked_field<T: Default>(
        &self,
        id: i32,
        read: unsafe extern "C" fn(*mut aeron_counters_reader_t, i32, *mut T) -> c_int,
    ) -> Result<T, AeronCError> {
        let reader = self.check_id(id)?;
        let mut value = T::default();
        // SAFETY: `reader` is open and `id` in range; C writes one `T` through the pointer.
        if unsafe { read(reader, id, &mut value) } < 0 {
            return Err(AeronCError::from_last_error());
        }
        Ok(value)
    }

    /// The label of counter `id`; [`AeronErrorType::InvalidArgument`] when `id` is out of range.
    pub fn counter_label(&self, id: i32) -> Result<String, AeronCError> {
        let reader = self.check_id(id)?;
        let mut buffer = [0u8; COUNTER_MAX_LABEL_LENGTH];
        // SAFETY: `reader` is open, `id` in range, and C writes at most `buffer.len()` bytes.
        let copied = unsafe {
            aeron_counters_reader_counter_label(reader, id, buffer.as_mut_ptr() as *mut c_char, buffer.len())
        };
        let copied = usize::try_from(copied).map_err(|_| AeronCError::from_last_error())?;
        // SAFETY: C initialised the first `copied` bytes (at most the buffer length).
        Ok(unsafe { text(buffer.as_ptr() as *const c_char, copied.min(buffer.len())) }.to_owned())
    }

    /// The id of the first counter with this type and registration id, or
    /// `AERON_NULL_COUNTER_ID` (-1) when there is none or the reader is closed.
    pub fn find_by_type_id_and_registration_id(&self, type_id: i32, registration_id: i64) -> i32 {
        match self.checked_ptr() {
            // SAFETY: the reader is open; C only reads the counters buffers.
            Ok(reader) => unsafe {
                aeron_counters_reader_find_by_type_id_and_registration_id(reader, type_id, registration_id)
            },
            Err(_) => AERON_NULL_COUNTER_ID,
        }
    }

    fn check_id(&self, id: i32) -> Result<*mut rusteron_sys::aeron_counters_reader_t, AeronCError> {
        let reader = self.checked_ptr()?;
        let max = self.max_counter_id();
        if !(0..=max).contains(&id) {
            return Err(invalid(format!("counter id {id} out of range 0..={max}")));
        }
        Ok(reader)
    }
}

fn invalid(message: String) -> AeronCError {
    AeronCError::with_message(AeronErrorType::InvalidArgument, message)
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn on_counter_closure<F: FnMut(i64, i32, i32, &[u8], &str, usize)>(
    value: i64,
    id: i32,
    type_id: i32,
    key: *const u8,
    key_length: usize,
    label: *const c_char,
    label_length: usize,
    clientd: *mut c_void,
) {
    // SAFETY: `clientd` is the ClosureCall that foreach_counter_once lent for this call; key
    // and label point into the metadata record, valid for their lengths during the callback
    // (the label is not NUL-terminated, hence the explicit length).
    let (call, key, label) = unsafe {
        (
            &mut *(clientd as *mut ClosureCall<'_, F>),
            bytes(key, key_length),
            text(label, label_length),
        )
    };
    call.invoke((), |f| f(value, id, type_id, key, label, label_length))
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn on_counter_handler<H: AeronCountersReaderForeachCounterFuncCallback>(
    value: i64,
    id: i32,
    type_id: i32,
    key: *const u8,
    key_length: usize,
    label: *const c_char,
    label_length: usize,
    clientd: *mut c_void,
) {
    // SAFETY: `clientd` is the Handler<H> value foreach_counter passed, alive for the call;
    // key and label as in `on_counter_closure`.
    let (handler, key, label) = unsafe {
        (
            &mut *(clientd as *mut H),
            bytes(key, key_length),
            text(label, label_length),
        )
    };
    catch_in_callback((), || {
        handler.handle_aeron_counters_reader_foreach_counter_func(value, id, type_id, key, label)
    })
}
