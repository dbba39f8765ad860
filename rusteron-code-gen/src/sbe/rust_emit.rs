//! Rust codecs: the text writer, literals and byte access helpers, and the shared prelude
//! (schema constants, `SbeCodecError`, bounds-checked read/write helpers). Types are emitted by
//! [`super::rust_types`], messages by [`super::rust_message`].

use std::collections::HashSet;

use super::error::{SbeError, SbeErrorKind};
use super::model::*;
use super::names::pascal;
use super::{rust_message, rust_types};

/// An indenting line writer.
pub(super) struct W {
    out: String,
    indent: usize,
}

impl W {
    fn new() -> Self {
        W {
            out: String::new(),
            indent: 0,
        }
    }

    /// One line at the current indentation.
    pub fn line(&mut self, text: &str) {
        if !text.is_empty() {
            for _ in 0..self.indent {
                self.out.push_str("    ");
            }
            self.out.push_str(text);
        }
        self.out.push('\n');
    }

    /// `text {` and one level deeper.
    pub fn open(&mut self, text: &str) {
        self.line(&format!("{text} {{"));
        self.indent += 1;
    }

    /// One level shallower and `}`.
    pub fn close(&mut self) {
        self.close_with("}");
    }

    /// One level shallower and `text` (`}`, `})`, `};`...).
    pub fn close_with(&mut self, text: &str) {
        self.indent = self.indent.saturating_sub(1);
        self.line(text);
    }

    /// `///` doc lines for `text` (whitespace collapsed).
    pub fn doc(&mut self, text: &str) {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        self.line(&format!("/// {text}"));
    }
}

/// How the generated code converts values to and from bytes.
#[derive(Clone, Copy)]
pub(super) struct Bytes {
    pub little: bool,
}

impl Bytes {
    /// Expression reading a `primitive` from `buf` at `pos`.
    pub fn read(self, primitive: Primitive, buf: &str, pos: &str) -> String {
        let from = if self.little { "from_le_bytes" } else { "from_be_bytes" };
        format!("{}::{from}(sbe_read({buf}, {pos}))", rust_type(primitive))
    }

    /// Statement writing `value` (of type `primitive`) to `buf` at `pos`.
    pub fn write(self, buf: &str, pos: &str, value: &str) -> String {
        let to = if self.little { "to_le_bytes" } else { "to_be_bytes" };
        format!("sbe_write({buf}, {pos}, {value}.{to}());")
    }
}

/// `base + offset`, or `base` for offset 0.
pub(super) fn at(base: &str, offset: usize) -> String {
    if offset == 0 {
        base.to_string()
    } else {
        format!("{base} + {offset}")
    }
}

/// The Rust type of a primitive (`char` is a byte).
pub(super) fn rust_type(primitive: Primitive) -> &'static str {
    match primitive {
        Primitive::Char | Primitive::Uint8 => "u8",
        Primitive::Int8 => "i8",
        Primitive::Int16 => "i16",
        Primitive::Int32 => "i32",
        Primitive::Int64 => "i64",
        Primitive::Uint16 => "u16",
        Primitive::Uint32 => "u32",
        Primitive::Uint64 => "u64",
        Primitive::Float => "f32",
        Primitive::Double => "f64",
    }
}

/// A Rust literal of type `primitive`.
pub(super) fn rust_literal(primitive: Primitive, value: Number) -> String {
    let t = rust_type(primitive);
    match (primitive, value) {
        (Primitive::Float, Number::Float(f)) => {
            let f = f as f32;
            if f.is_nan() {
                "f32::NAN".into()
            } else if f == f32::MAX {
                "f32::MAX".into()
            } else if f == f32::MIN {
                "f32::MIN".into()
            } else {
                format!("{f:?}")
            }
        }
        (Primitive::Double, Number::Float(f)) => {
            if f.is_nan() {
                "f64::NAN".into()
            } else if f == f64::MAX {
                "f64::MAX".into()
            } else if f == f64::MIN {
                "f64::MIN".into()
            } else {
                format!("{f:?}")
            }
        }
        (_, Number::Int(i)) if primitive.is_float() => rust_literal(primitive, Number::Float(i as f64)),
        (_, Number::Float(f)) => rust_literal(primitive, Number::Int(f as i128)),
        (_, Number::Int(i)) => match primitive.int_range() {
            Some((lo, _)) if i == lo && lo != 0 => format!("{t}::MIN"),
            Some((_, hi)) if i == hi => format!("{t}::MAX"),
            _ => i.to_string(),
        },
    }
}

/// `expr` (of type `primitive`) as a `usize`.
pub(super) fn to_usize(primitive: Primitive, expr: &str) -> String {
    if primitive.size() <= 2 && primitive.is_unsigned_int() {
        format!("usize::from({expr})")
    } else {
        format!("{expr} as usize")
    }
}

/// `expr` (of type `primitive`, an unsigned integer) as a `u64`.
pub(super) fn to_u64(primitive: Primitive, expr: &str) -> String {
    if primitive == Primitive::Uint64 {
        expr.to_string()
    } else {
        format!("u64::from({expr})")
    }
}

/// Whether a value of this type contains floating point data (no `Eq`/`Hash` then).
pub(super) fn has_float(ty: &FieldType) -> bool {
    match ty {
        FieldType::Encoding(e) => e.primitive.is_float(),
        FieldType::Composite(c) => c.members.iter().any(|m| has_float(&m.ty)),
        FieldType::Enum(_) | FieldType::Set(_) => false,
    }
}

/// All the Rust codecs for `schema`.
pub(super) fn generate(schema: &Schema) -> Result<String, SbeError> {
    let mut names = HashSet::new();
    let mut claim = |name: String| {
        if names.insert(name.clone()) {
            Ok(())
        } else {
            Err(SbeError::new(
                SbeErrorKind::Duplicate,
                format!("two schema items would both generate the Rust item `{name}`"),
            ))
        }
    };
    for reserved in [
        "SbeCodecError",
        "SBE_SCHEMA_ID",
        "SBE_SCHEMA_VERSION",
        "SBE_SEMANTIC_VERSION",
        "sbe_message_name",
    ] {
        claim(reserved.to_string())?;
    }
    for def in &schema.types {
        if !matches!(def, TypeDef::Encoding(_)) {
            claim(pascal(def.name()))?;
        }
    }
    for message in &schema.messages {
        for name in rust_message::item_names(message) {
            claim(name)?;
        }
    }

    let mut w = W::new();
    prelude(&mut w, schema);
    let bytes = Bytes {
        little: schema.byte_order == ByteOrder::LittleEndian,
    };
    for def in &schema.types {
        match def {
            TypeDef::Encoding(_) => {}
            TypeDef::Enum(e) => rust_types::enum_type(&mut w, e)?,
            TypeDef::Set(s) => rust_types::set_type(&mut w, s),
            TypeDef::Composite(c) => rust_types::composite_type(&mut w, bytes, c),
        }
    }
    for message in &schema.messages {
        rust_message::message(&mut w, bytes, schema, message)?;
    }
    message_names(&mut w, schema);
    Ok(w.out)
}

/// `sbe_message_name(template_id)`: the schema's name of each message, for logs and for
/// code that dispatches on template ids (authorisation, tracing).
fn message_names(w: &mut W, schema: &Schema) {
    let template_t = rust_type(schema.header_primitive("templateId"));
    w.doc("The schema's name of the message with `template_id`, if the schema has one.");
    w.line(&format!(
        "pub fn sbe_message_name(template_id: {template_t}) -> Option<&'static str> {{"
    ));
    w.line("    match template_id {");
    for message in &schema.messages {
        w.line(&format!("        {} => Some({:?}),", message.id, message.name));
    }
    w.line("        _ => None,");
    w.line("    }");
    w.line("}");
}

fn prelude(w: &mut W, schema: &Schema) {
    w.line(&format!(
        "// Generated by rusteron-code-gen from the SBE schema `{}` (id {}, version {}). Do not edit.",
        schema.package, schema.id, schema.version
    ));
    w.line("");
    let id_t = rust_type(schema.header_primitive("schemaId"));
    let ver_t = rust_type(schema.header_primitive("version"));
    w.doc("Id of the SBE schema these codecs implement.");
    w.line(&format!("pub const SBE_SCHEMA_ID: {id_t} = {};", schema.id));
    w.doc("Version of the SBE schema these codecs implement.");
    w.line(&format!("pub const SBE_SCHEMA_VERSION: {ver_t} = {};", schema.version));
    w.doc("Semantic version of the SBE schema (empty when the schema gives none).");
    let semver = schema.semantic_version.as_deref().unwrap_or("");
    w.line(&format!("pub const SBE_SEMANTIC_VERSION: &str = {semver:?};"));
    w.line(PRELUDE);
}

const PRELUDE: &str = r#"
/// Why a message could not be encoded or decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SbeCodecError {
    /// The buffer ends before the `needed` bytes (counted from its start).
    BufferTooShort {
        /// Bytes the operation needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// The message header names another schema.
    UnexpectedSchemaId {
        /// This schema's id.
        expected: u64,
        /// The id in the header.
        found: u64,
    },
    /// The message header names another message.
    UnexpectedTemplateId {
        /// The decoder's template id.
        expected: u64,
        /// The id in the header.
        found: u64,
    },
    /// A group count outside the range the schema allows.
    CountOutOfRange {
        /// The count given.
        count: u64,
        /// Smallest allowed count.
        min: u64,
        /// Largest allowed count.
        max: u64,
    },
    /// Var data longer than its length field allows.
    LengthOutOfRange {
        /// The length given.
        length: u64,
        /// Largest allowed length.
        max: u64,
    },
    /// `advance` was called after the last entry of a group.
    GroupExhausted {
        /// Entries in the group.
        count: usize,
    },
    /// Var data with a character encoding is not valid UTF-8.
    InvalidUtf8,
}

impl core::fmt::Display for SbeCodecError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BufferTooShort { needed, available } => {
                write!(f, "buffer too short: {needed} bytes needed, {available} available")
            }
            Self::UnexpectedSchemaId { expected, found } => {
                write!(f, "message header has schema id {found}, expected {expected}")
            }
            Self::UnexpectedTemplateId { expected, found } => {
                write!(f, "message header has template id {found}, expected {expected}")
            }
            Self::CountOutOfRange { count, min, max } => {
                write!(f, "group count {count} outside {min}..={max}")
            }
            Self::LengthOutOfRange { length, max } => {
                write!(f, "var data length {length} exceeds {max}")
            }
            Self::GroupExhausted { count } => write!(f, "all {count} group entries already visited"),
            Self::InvalidUtf8 => f.write_str("var data is not valid UTF-8"),
        }
    }
}

impl std::error::Error for SbeCodecError {}

/// `N` bytes of `buf` at `pos`; bytes past the end of `buf` read as zero.
#[inline]
fn sbe_read<const N: usize>(buf: &[u8], pos: usize) -> [u8; N] {
    let mut bytes = [0u8; N];
    if let Some(src) = pos.checked_add(N).and_then(|end| buf.get(pos..end)) {
        bytes.copy_from_slice(src);
    }
    bytes
}

/// Writes `bytes` to `buf` at `pos`; bytes that would fall past the end are not written.
#[inline]
fn sbe_write<const N: usize>(buf: &mut [u8], pos: usize, bytes: [u8; N]) {
    if let Some(dst) = pos.checked_add(N).and_then(|end| buf.get_mut(pos..end)) {
        dst.copy_from_slice(&bytes);
    }
}

/// `pos + size` if a buffer of `len` bytes holds `size` bytes at `pos`.
#[inline]
fn sbe_check(len: usize, pos: usize, size: usize) -> Result<usize, SbeCodecError> {
    match pos.checked_add(size) {
        Some(end) if end <= len => Ok(end),
        end => Err(SbeCodecError::BufferTooShort {
            needed: end.unwrap_or(usize::MAX),
            available: len,
        }),
    }
}"#;
