//! Rust enums, bit sets and composite value types, and how fields of those types are read
//! and written.

use super::error::{SbeError, SbeErrorKind};
use super::model::*;
use super::names::{pascal, rust_ident, snake};
use super::rust_emit::{at, has_float, rust_literal, rust_type, Bytes, W};

/// The Rust type holding a (non-constant) value of `ty`.
pub(super) fn value_type(ty: &FieldType) -> String {
    match ty {
        FieldType::Encoding(e) if e.length == 1 => rust_type(e.primitive).to_string(),
        FieldType::Encoding(e) => format!("[{}; {}]", rust_type(e.primitive), e.length),
        FieldType::Enum(e) => pascal(&e.name),
        FieldType::Set(s) => pascal(&s.name),
        FieldType::Composite(c) => pascal(&c.name),
    }
}

/// Expression reading a value of `ty` from `buf` at `pos` (never panics: missing bytes read
/// as zero).
pub(super) fn read_value(bytes: Bytes, ty: &FieldType, buf: &str, pos: &str) -> String {
    match ty {
        FieldType::Encoding(e) if e.length == 1 => bytes.read(e.primitive, buf, pos),
        FieldType::Encoding(e) if e.primitive.size() == 1 && rust_type(e.primitive) == "u8" => {
            format!("sbe_read({buf}, {pos})")
        }
        FieldType::Encoding(e) => {
            let t = rust_type(e.primitive);
            let zero = if e.primitive.is_float() { "0.0" } else { "0" };
            let step = if e.primitive.size() == 1 {
                "i".to_string()
            } else {
                format!("i * {}", e.primitive.size())
            };
            format!(
                "{{ let mut values: [{t}; {n}] = [{zero}; {n}]; for (i, v) in values.iter_mut().enumerate() {{ *v = {}; }} values }}",
                bytes.read(e.primitive, buf, &format!("{pos} + {step}")),
                n = e.length
            )
        }
        FieldType::Enum(e) => format!("{}::from_value({})", pascal(&e.name), bytes.read(e.encoding, buf, pos)),
        FieldType::Set(s) => format!("{}({})", pascal(&s.name), bytes.read(s.encoding, buf, pos)),
        FieldType::Composite(c) => format!("{}::read({buf}, {pos})", pascal(&c.name)),
    }
}

/// Statement writing `value` (an expression of [`value_type`]) to `buf` at `pos`.
pub(super) fn write_value(bytes: Bytes, ty: &FieldType, buf: &str, pos: &str, value: &str) -> String {
    match ty {
        FieldType::Encoding(e) if e.length == 1 => bytes.write(buf, pos, value),
        FieldType::Encoding(e) if rust_type(e.primitive) == "u8" => {
            format!("sbe_write({buf}, {pos}, {value});")
        }
        FieldType::Encoding(e) => {
            let step = if e.primitive.size() == 1 {
                "i".to_string()
            } else {
                format!("i * {}", e.primitive.size())
            };
            format!(
                "for (i, v) in {value}.iter().enumerate() {{ {} }}",
                bytes.write(buf, &format!("{pos} + {step}"), "v")
            )
        }
        FieldType::Enum(_) => bytes.write(buf, pos, &format!("{value}.value()")),
        FieldType::Set(_) => bytes.write(buf, pos, &format!("{value}.0")),
        FieldType::Composite(_) => format!("{value}.write({buf}, {pos});"),
    }
}

/// A Rust enum with a `NullVal` variant that unknown encodings also decode to.
pub(super) fn enum_type(w: &mut W, def: &EnumDef) -> Result<(), SbeError> {
    let name = pascal(&def.name);
    let t = rust_type(def.encoding);
    let mut variants: Vec<String> = Vec::new();
    for v in &def.values {
        let variant = pascal(&v.name);
        if variant == "NullVal" || variants.contains(&variant) {
            return Err(SbeError::new(
                SbeErrorKind::Duplicate,
                format!(
                    "enum `{}`: value `{}` would be the Rust variant `{variant}` twice",
                    def.name, v.name
                ),
            ));
        }
        variants.push(variant);
    }
    w.line("");
    w.doc(
        def.description
            .as_deref()
            .unwrap_or(&format!("The `{}` enum of the schema.", def.name)),
    );
    w.line("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]");
    w.open(&format!("pub enum {name}"));
    for (v, variant) in def.values.iter().zip(&variants) {
        w.doc(v.description.as_deref().unwrap_or(&format!("`{}`.", v.name)));
        w.line(&format!("{variant},"));
    }
    w.doc("The null value, which unknown encoded values also decode to.");
    w.line("#[default]");
    w.line("NullVal,");
    w.close();
    w.line("");
    w.open(&format!("impl {name}"));
    w.doc("The encoded value.");
    w.open(&format!("pub const fn value(self) -> {t}"));
    w.open("match self");
    for (v, variant) in def.values.iter().zip(&variants) {
        w.line(&format!(
            "Self::{variant} => {},",
            rust_literal(def.encoding, Number::Int(v.value))
        ));
    }
    w.line(&format!(
        "Self::NullVal => {},",
        rust_literal(def.encoding, Number::Int(def.null_value))
    ));
    w.close();
    w.close();
    w.line("");
    w.doc("The variant encoded as `value`; values the schema does not name give `NullVal`.");
    w.open(&format!("pub const fn from_value(value: {t}) -> Self"));
    w.open("match value");
    for (v, variant) in def.values.iter().zip(&variants) {
        if v.value != def.null_value {
            w.line(&format!(
                "{} => Self::{variant},",
                rust_literal(def.encoding, Number::Int(v.value))
            ));
        }
    }
    w.line("_ => Self::NullVal,");
    w.close();
    w.close();
    w.close();
    w.line("");
    w.open(&format!("impl From<{t}> for {name}"));
    w.open(&format!("fn from(value: {t}) -> Self"));
    w.line("Self::from_value(value)");
    w.close();
    w.close();
    w.line("");
    w.open(&format!("impl From<{name}> for {t}"));
    w.open(&format!("fn from(value: {name}) -> Self"));
    w.line("value.value()");
    w.close();
    w.close();
    Ok(())
}

/// A bit set: a newtype over its encoding with a getter, `with_` and `set_` per choice.
pub(super) fn set_type(w: &mut W, def: &SetDef) {
    let name = pascal(&def.name);
    let t = rust_type(def.encoding);
    w.line("");
    w.doc(
        def.description
            .as_deref()
            .unwrap_or(&format!("The `{}` bit set of the schema.", def.name)),
    );
    w.line("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]");
    w.line(&format!("pub struct {name}(pub {t});"));
    w.line("");
    w.open(&format!("impl {name}"));
    for (i, choice) in def.choices.iter().enumerate() {
        let method = rust_ident(&snake(&choice.name));
        let base = snake(&choice.name);
        let mask = format!("{:#x}", 1u128 << choice.bit);
        if i > 0 {
            w.line("");
        }
        w.doc(&format!("Whether `{}` (bit {}) is set.", choice.name, choice.bit));
        w.open(&format!("pub const fn {method}(self) -> bool"));
        w.line(&format!("(self.0 & {mask}) != 0"));
        w.close();
        w.line("");
        w.doc(&format!("This set with `{}` set to `on`.", choice.name));
        w.open(&format!("pub const fn with_{base}(self, on: bool) -> Self"));
        w.line(&format!(
            "if on {{ Self(self.0 | {mask}) }} else {{ Self(self.0 & !{mask}) }}"
        ));
        w.close();
        w.line("");
        w.doc(&format!("Sets `{}` to `on`.", choice.name));
        w.open(&format!("pub fn set_{base}(&mut self, on: bool) -> &mut Self"));
        w.line(&format!("*self = self.with_{base}(on);"));
        w.line("self");
        w.close();
    }
    w.close();
}

/// A composite as a plain value type with `read`/`write` (unchecked, never panicking) and
/// `decode`/`encode` (bounds-checked).
pub(super) fn composite_type(w: &mut W, bytes: Bytes, def: &CompositeDef) {
    let name = pascal(&def.name);
    let stored: Vec<&Field> = def
        .members
        .iter()
        .filter(|m| m.presence != Presence::Constant && m.encoded_length() > 0)
        .collect();
    let eq = if def.members.iter().any(|m| has_float(&m.ty)) {
        ""
    } else {
        ", Eq, Hash"
    };
    w.line("");
    w.doc(
        def.description
            .as_deref()
            .unwrap_or(&format!("The `{}` composite of the schema.", def.name)),
    );
    w.line(&format!("#[derive(Debug, Clone, Copy, PartialEq{eq})]"));
    w.open(&format!("pub struct {name}"));
    for m in &stored {
        w.doc(m.description.as_deref().unwrap_or(&format!("`{}`.", m.name)));
        w.line(&format!("pub {}: {},", rust_ident(&snake(&m.name)), value_type(&m.ty)));
    }
    w.close();
    w.line("");
    w.open(&format!("impl {name}"));
    w.doc("Encoded length in bytes.");
    w.line(&format!("pub const ENCODED_LENGTH: usize = {};", def.encoded_length));
    for m in def.members.iter().filter(|m| m.presence == Presence::Constant) {
        if let FieldType::Encoding(e) = &m.ty {
            w.line("");
            w.doc(&format!("The constant `{}`.", m.name));
            w.line(&format!(
                "pub const {}: {} = {};",
                snake(&m.name).to_uppercase(),
                constant_type(e),
                constant_value(e)
            ));
        }
    }
    w.line("");
    w.doc(&format!(
        "Reads a `{name}` at `offset` of `buf`; bytes past the end of `buf` read as zero."
    ));
    w.open("pub fn read(buf: &[u8], offset: usize) -> Self");
    if stored.is_empty() {
        w.line("let _ = (buf, offset);");
        w.line("Self {}");
    } else {
        w.open("Self");
        for m in &stored {
            let value = read_value(bytes, &m.ty, "buf", &at("offset", m.offset));
            w.line(&format!("{}: {value},", rust_ident(&snake(&m.name))));
        }
        w.close();
    }
    w.close();
    w.line("");
    w.doc(&format!(
        "Decodes a `{name}` at `offset` of `buf`, checking that it fits."
    ));
    w.open("pub fn decode(buf: &[u8], offset: usize) -> Result<Self, SbeCodecError>");
    w.line("sbe_check(buf.len(), offset, Self::ENCODED_LENGTH)?;");
    w.line("Ok(Self::read(buf, offset))");
    w.close();
    w.line("");
    w.doc("Writes this value at `offset` of `buf`; bytes that would fall past the end are dropped.");
    w.open("pub fn write(&self, buf: &mut [u8], offset: usize)");
    if stored.is_empty() {
        w.line("let _ = (buf, offset);");
    }
    for m in &stored {
        let value = format!("self.{}", rust_ident(&snake(&m.name)));
        w.line(&write_value(bytes, &m.ty, "buf", &at("offset", m.offset), &value));
    }
    w.close();
    w.line("");
    w.doc("Encodes this value at `offset` of `buf`, checking that it fits.");
    w.open("pub fn encode(&self, buf: &mut [u8], offset: usize) -> Result<(), SbeCodecError>");
    w.line("sbe_check(buf.len(), offset, Self::ENCODED_LENGTH)?;");
    w.line("self.write(buf, offset);");
    w.line("Ok(())");
    w.close();
    w.close();
}

/// The Rust type of a constant encoding.
pub(super) fn constant_type(e: &Encoding) -> String {
    if e.primitive == Primitive::Char {
        "&str".to_string()
    } else {
        rust_type(e.primitive).to_string()
    }
}

/// The Rust value of a constant encoding.
pub(super) fn constant_value(e: &Encoding) -> String {
    let text = e.constant.as_deref().unwrap_or("");
    if e.primitive == Primitive::Char {
        format!("{text:?}")
    } else {
        rust_literal(e.primitive, Number::parse(text, e.primitive).unwrap_or(Number::Int(0)))
    }
}
