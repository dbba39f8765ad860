//! C codec headers in the shape of the SBE C generator: the generation context, literals,
//! and the prelude every header starts with. Enums, sets and composites are in
//! [`super::c_types`], fields in [`super::c_fields`], messages in [`super::c_message`] and
//! groups and var data in [`super::c_group`].

use std::collections::HashSet;

use super::error::{SbeError, SbeErrorKind};
use super::model::*;
use super::names::lower_first;
use super::{c_message, c_types, GeneratedFile};

/// Everything the C emitters need to know about the schema being generated.
pub(super) struct Ctx<'s> {
    /// The schema.
    pub schema: &'s Schema,
    /// The C scope prefix, e.g. `aeron_archive_client`.
    pub scope: String,
}

impl Ctx<'_> {
    /// `aeron_archive_client_controlResponse` for `ControlResponse`.
    pub fn scoped(&self, name: &str) -> String {
        format!("{}_{}", self.scope, lower_first(name))
    }

    /// The scoped name of the message header composite.
    pub fn header(&self) -> String {
        self.scoped(&self.schema.header.name)
    }

    /// `expr` converted between host and schema byte order.
    pub fn swap(&self, primitive: Primitive, expr: &str) -> String {
        let order = match self.schema.byte_order {
            ByteOrder::LittleEndian => "LITTLE",
            ByteOrder::BigEndian => "BIG",
        };
        match primitive.size() {
            2 | 4 | 8 => format!("SBE_{order}_ENDIAN_ENCODE_{}({expr})", primitive.size() * 8),
            _ => format!("({expr})"),
        }
    }

    /// C type of the message header member `name` (`uint16_t`).
    pub fn header_type(&self, name: &str) -> &'static str {
        c_type(self.schema.header_primitive(name))
    }
}

/// Replaces every `@KEY@` in `template` by its value.
pub(super) fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (key, value) in vars {
        out = out.replace(&format!("@{key}@"), value);
    }
    out
}

/// The C type of a primitive.
pub(super) fn c_type(primitive: Primitive) -> &'static str {
    match primitive {
        Primitive::Char => "char",
        Primitive::Int8 => "int8_t",
        Primitive::Int16 => "int16_t",
        Primitive::Int32 => "int32_t",
        Primitive::Int64 => "int64_t",
        Primitive::Uint8 => "uint8_t",
        Primitive::Uint16 => "uint16_t",
        Primitive::Uint32 => "uint32_t",
        Primitive::Uint64 => "uint64_t",
        Primitive::Float => "float",
        Primitive::Double => "double",
    }
}

/// A C literal of type `primitive`.
pub(super) fn c_literal(primitive: Primitive, value: Number) -> String {
    let int = match value {
        Number::Float(f) if primitive.is_float() => {
            let suffix = if primitive == Primitive::Float { "f" } else { "" };
            return if f.is_nan() {
                if primitive == Primitive::Float {
                    "SBE_FLOAT_NAN"
                } else {
                    "SBE_DOUBLE_NAN"
                }
                .to_string()
            } else {
                format!("{f:e}{suffix}")
            };
        }
        Number::Float(f) => f as i128,
        Number::Int(i) if primitive.is_float() => return c_literal(primitive, Number::Float(i as f64)),
        Number::Int(i) => i,
    };
    match primitive {
        Primitive::Int32 if int == i128::from(i32::MIN) => "INT32_MIN".to_string(),
        Primitive::Int64 if int == i128::from(i64::MIN) => "INT64_MIN".to_string(),
        Primitive::Int32 => format!("INT32_C({int})"),
        Primitive::Int64 => format!("INT64_C({int})"),
        Primitive::Uint32 => format!("UINT32_C({int})"),
        Primitive::Uint64 => format!("UINT64_C({int})"),
        _ => format!("(({}){int})", c_type(primitive)),
    }
}

/// A C string literal for `text` (schema text is escaped, never trusted).
pub(super) fn c_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push('"');
    out
}

/// All headers for `schema` in `namespace`.
pub(super) fn generate(schema: &Schema, namespace: &str) -> Result<Vec<GeneratedFile>, SbeError> {
    let scope: String = namespace
        .split('.')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if scope.is_empty() || scope.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(SbeError::new(
            SbeErrorKind::Invalid,
            format!("`{namespace}` cannot be a C namespace (give the schema a package or pass a namespace)"),
        ));
    }
    let ctx = Ctx { schema, scope };
    let dir = format!("c/{}", ctx.scope);
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |name: &str, contents: String| {
        let file = format!("{}.h", lower_first(name));
        if !seen.insert(file.clone()) {
            return Err(SbeError::new(
                SbeErrorKind::Duplicate,
                format!("two types or messages would both generate `{dir}/{file}`"),
            ));
        }
        files.push(GeneratedFile {
            path: format!("{dir}/{file}"),
            contents,
        });
        Ok(())
    };
    let mut type_headers = Vec::new();
    for def in &schema.types {
        let text = match def {
            TypeDef::Encoding(_) => continue,
            TypeDef::Enum(e) => c_types::enum_header(&ctx, e),
            TypeDef::Set(s) => c_types::set_header(&ctx, s),
            TypeDef::Composite(c) => c_types::composite_header(&ctx, c),
        };
        type_headers.push(format!("{}.h", lower_first(def.name())));
        push(def.name(), text)?;
    }
    for message in &schema.messages {
        push(&message.name, c_message::message_header(&ctx, message, &type_headers))?;
    }
    Ok(files)
}

/// The start of every header: guard, includes, and the SBE macros and error codes.
pub(super) fn file_start(ctx: &Ctx, struct_name: &str, includes: &[String]) -> String {
    let mut includes_text = String::new();
    for include in includes {
        includes_text.push_str(&format!("#include \"{include}\"\n"));
    }
    let schema = ctx.schema;
    fill(
        PRELUDE,
        &[
            ("GUARD", &struct_name.to_uppercase()),
            ("INCLUDES", &includes_text),
            ("PACKAGE", &schema.package),
            ("ID", &schema.id.to_string()),
            ("VERSION", &schema.version.to_string()),
        ],
    )
}

const PRELUDE: &str = r#"/* Generated SBE (Simple Binary Encoding) message codec: schema @PACKAGE@, id @ID@, version @VERSION@. */
/* Written by rusteron-code-gen from the schema XML; do not edit. */

#ifndef _@GUARD@_H_
#define _@GUARD@_H_

#include <errno.h>
#if !defined(__STDC_LIMIT_MACROS)
#define __STDC_LIMIT_MACROS 1
#endif
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

@INCLUDES@
#ifndef SBE_ONE_DEF
#ifdef __cplusplus
#define SBE_ONE_DEF inline
#else
#define SBE_ONE_DEF static inline
#endif
#endif

#ifndef SBE_FLOAT_NAN
#define SBE_FLOAT_NAN NAN
#endif
#ifndef SBE_DOUBLE_NAN
#define SBE_DOUBLE_NAN NAN
#endif

/* Host <-> schema byte order. */
#ifndef SBE_LITTLE_ENDIAN_ENCODE_16
#if defined(WIN32) || defined(_WIN32)
#define SBE_BIG_ENDIAN_ENCODE_16(v) _byteswap_ushort(v)
#define SBE_BIG_ENDIAN_ENCODE_32(v) _byteswap_ulong(v)
#define SBE_BIG_ENDIAN_ENCODE_64(v) _byteswap_uint64(v)
#define SBE_LITTLE_ENDIAN_ENCODE_16(v) (v)
#define SBE_LITTLE_ENDIAN_ENCODE_32(v) (v)
#define SBE_LITTLE_ENDIAN_ENCODE_64(v) (v)
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SBE_BIG_ENDIAN_ENCODE_16(v) __builtin_bswap16(v)
#define SBE_BIG_ENDIAN_ENCODE_32(v) __builtin_bswap32(v)
#define SBE_BIG_ENDIAN_ENCODE_64(v) __builtin_bswap64(v)
#define SBE_LITTLE_ENDIAN_ENCODE_16(v) (v)
#define SBE_LITTLE_ENDIAN_ENCODE_32(v) (v)
#define SBE_LITTLE_ENDIAN_ENCODE_64(v) (v)
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SBE_LITTLE_ENDIAN_ENCODE_16(v) __builtin_bswap16(v)
#define SBE_LITTLE_ENDIAN_ENCODE_32(v) __builtin_bswap32(v)
#define SBE_LITTLE_ENDIAN_ENCODE_64(v) __builtin_bswap64(v)
#define SBE_BIG_ENDIAN_ENCODE_16(v) (v)
#define SBE_BIG_ENDIAN_ENCODE_32(v) (v)
#define SBE_BIG_ENDIAN_ENCODE_64(v) (v)
#else
#error "Byte order of the platform not determined: define __BYTE_ORDER__ before including this file."
#endif
#endif

#if !defined(SBE_BOUNDS_CHECK_EXPECT)
#if defined(SBE_NO_BOUNDS_CHECK)
#define SBE_BOUNDS_CHECK_EXPECT(exp, c) (false)
#elif defined(_MSC_VER)
#define SBE_BOUNDS_CHECK_EXPECT(exp, c) (exp)
#else
#define SBE_BOUNDS_CHECK_EXPECT(exp, c) (__builtin_expect(exp, c))
#endif
#endif

#ifndef SBE_NULLVALUE_INT8
#define SBE_NULLVALUE_INT8 INT8_MIN
#define SBE_NULLVALUE_INT16 INT16_MIN
#define SBE_NULLVALUE_INT32 INT32_MIN
#define SBE_NULLVALUE_INT64 INT64_MIN
#define SBE_NULLVALUE_UINT8 UINT8_MAX
#define SBE_NULLVALUE_UINT16 UINT16_MAX
#define SBE_NULLVALUE_UINT32 UINT32_MAX
#define SBE_NULLVALUE_UINT64 UINT64_MAX
#endif

/* errno values set by the codecs. */
#ifndef E100
#define E100 -50100 /* buffer too short */
#define E103 -50103 /* unknown value for enum */
#define E104 -50104 /* index out of range */
#define E105 -50105 /* index out of range */
#define E106 -50106 /* length too large */
#define E107 -50107 /* buffer too short for flyweight */
#define E108 -50108 /* buffer too short to support next group index */
#define E109 -50109 /* var data too long for its length type */
#define E110 -50110 /* count outside of allowed range */
#endif

#ifndef SBE_STRERROR_DEFINED
#define SBE_STRERROR_DEFINED
SBE_ONE_DEF const char *sbe_strerror(const int errnum)
{
    switch (errnum)
    {
        case E100: return "buffer too short";
        case E103: return "unknown value for enum";
        case E104: return "index out of range";
        case E105: return "index out of range";
        case E106: return "length too large";
        case E107: return "buffer too short for flyweight";
        case E108: return "buffer too short to support next group index";
        case E109: return "var data too long for its length type";
        case E110: return "count outside of allowed range";
        default: return "unknown error";
    }
}
#endif
"#;
