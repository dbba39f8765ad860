//! SBE (Simple Binary Encoding) schema → C codec headers and Rust codecs, without Java.
//!
//! Aeron generates the archive's codecs with the SBE tool (Java). This module reads the same
//! schema XML ([`parse_schema`] → [`Schema`]) and writes:
//!
//! - [`generate_c_codecs`]: one C header per message, composite, enum and set, with the
//!   names, struct layouts and function signatures of the SBE C generator, so Aeron's archive
//!   C client compiles against them unchanged (`c/aeron_archive_client/controlResponse.h`
//!   defines `struct aeron_archive_client_controlResponse`,
//!   `aeron_archive_client_controlResponse_wrap_for_decode`, ...). All functions are
//!   `SBE_ONE_DEF` (`static inline`), so a header can be included by many C files.
//! - [`generate_rust_codecs`]: zero-copy Rust codecs, one source text to `include!` into a
//!   module. Per message `Foo`: `FooEncoder<'a>` over `&mut [u8]` (`wrap`,
//!   `wrap_and_apply_header`, `set_<field>`, `<group>_count`, `put_<data>`,
//!   `encoded_length`) and `FooDecoder<'a>` over `&[u8]` (`wrap`, `wrap_with_header`,
//!   `<field>`, `<group>`, `<data>`, `<data>_as_str`), both with `SBE_BLOCK_LENGTH`,
//!   `SBE_TEMPLATE_ID`, `SBE_SCHEMA_ID` and `SBE_SCHEMA_VERSION`; per group `FooBarEncoder` and
//!   `FooBarDecoder` stepped with `advance`; enums as Rust enums whose `NullVal` variant also
//!   stands for unknown values (the raw value stays readable through `<field>_raw`); sets as
//!   bit-set newtypes; composites (the message header included) as value structs with
//!   `decode`/`encode`. Reads and writes are little- or big-endian as the schema says, and
//!   every failure (short buffer, bad count, bad length, wrong template) is a
//!   `SbeCodecError`, never a panic.
//!
//! Errors are [`SbeError`]s with a [kind](SbeErrorKind) and the offending element's line;
//! nothing here panics on a malformed schema.

mod c_emit;
mod c_fields;
mod c_group;
mod c_message;
mod c_types;
mod error;
mod model;
mod names;
mod parse;
mod parse_body;
mod parse_util;
mod primitive;
mod rust_emit;
mod rust_group;
mod rust_members;
mod rust_message;
mod rust_types;

pub use error::{SbeError, SbeErrorKind};
pub use model::{
    Body, ByteOrder, Choice, CompositeDef, Encoding, EnumDef, Field, FieldType, Group, Message, Number, Presence,
    Primitive, Schema, SetDef, TypeDef, ValidValue, VarData,
};
pub use parse::parse_schema;

/// One generated file, `path` relative to the include root
/// (e.g. `c/aeron_archive_client/messageHeader.h`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Where the file goes, relative to the include root, with `/` separators.
    pub path: String,
    /// The file's text.
    pub contents: String,
}

/// The C namespace Aeron's build gives the archive codecs (`sbe.target.namespace` in its
/// `build.gradle`): the schema's package is `io.aeron.archive.codecs`, but the C client
/// includes `c/aeron_archive_client/*.h` and calls `aeron_archive_client_*`.
pub const AERON_ARCHIVE_C_NAMESPACE: &str = "aeron.archive.client";

/// Generates the C codec headers for the Aeron archive schema `schema_xml`, in the namespace
/// [`AERON_ARCHIVE_C_NAMESPACE`], as Aeron's own build does: files
/// `c/aeron_archive_client/<name>.h`, identifiers `aeron_archive_client_<name>...`.
///
/// For another schema or namespace use [`generate_c_codecs_with_namespace`].
pub fn generate_c_codecs(schema_xml: &str) -> Result<Vec<GeneratedFile>, SbeError> {
    generate_c_codecs_with_namespace(schema_xml, Some(AERON_ARCHIVE_C_NAMESPACE))
}

/// Generates the C codec headers for `schema_xml` in `namespace` (dot-separated, like SBE's
/// `sbe.target.namespace`), or in the schema's `package` when `namespace` is `None`.
///
/// Files are `c/<namespace with _>/<lowerFirst(name)>.h`: every composite, enum and set of
/// the schema (including the message header), then every message, in schema order.
pub fn generate_c_codecs_with_namespace(
    schema_xml: &str,
    namespace: Option<&str>,
) -> Result<Vec<GeneratedFile>, SbeError> {
    let schema = parse_schema(schema_xml)?;
    c_emit::generate(&schema, namespace.unwrap_or(&schema.package))
}

/// Generates Rust encoders and decoders for `schema_xml`, as one source text meant to be
/// `include!`d into a module of its own (it has no inner attributes and uses only `core` and
/// `std`). The output is deterministic: the same schema always gives the same text.
pub fn generate_rust_codecs(schema_xml: &str) -> Result<String, SbeError> {
    let schema = parse_schema(schema_xml)?;
    rust_emit::generate(&schema)
}
