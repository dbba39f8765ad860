//! C accessors of one fixed-size field (of a message, group or composite).

use super::c_emit::{c_literal, c_string, c_type, fill, Ctx};
use super::model::*;
use super::names::c_property;

/// Appends the accessors of `field` of struct `container` to `out`; `outer` is the struct
/// whose meta-attribute enum and float unions the accessors use (the message for a group).
pub(super) fn field_functions(ctx: &Ctx, out: &mut String, container: &str, outer: &str, field: &Field) {
    let p = c_property(&field.name);
    let base = [("C", container), ("O", outer), ("P", p.as_str())];
    let render = |template: &str, extra: &[(&str, &str)]| fill(&fill(template, &base), extra);

    out.push_str(&meta_attribute(container, outer, &p, field));
    if let Some(id) = field.id {
        out.push_str(&render(
            "\nSBE_ONE_DEF uint16_t @C@_@P@_id(void)\n{\n    return @ID@;\n}\n",
            &[("ID", &id.to_string())],
        ));
    }
    out.push_str(&render(
        COMMON,
        &[
            ("SINCE", &field.since_version.to_string()),
            ("OFFSET", &field.offset.to_string()),
        ],
    ));

    let since = field.since_version;
    let offset = field.offset.to_string();
    match &field.ty {
        FieldType::Encoding(e) => {
            let t = c_type(e.primitive);
            let null = if e.null_value.is_none() && !e.primitive.is_float() && e.primitive != Primitive::Char {
                format!("SBE_NULLVALUE_{}", e.primitive.name().to_uppercase())
            } else {
                c_literal(e.primitive, e.null())
            };
            out.push_str(&render(
                PRIMITIVE_META,
                &[
                    ("T", t),
                    ("NULL", &null),
                    ("MIN", &c_literal(e.primitive, e.min())),
                    ("MAX", &c_literal(e.primitive, e.max())),
                    ("LEN", &(e.primitive.size() * e.length).to_string()),
                ],
            ));
            let np = not_present(since, &c_literal(e.primitive, e.null()));
            if e.presence == Presence::Constant {
                out.push_str(&constant(container, &p, e));
            } else if e.length == 1 {
                let load = load(ctx, outer, e.primitive, &offset, "return");
                let store = store(ctx, outer, e.primitive, &offset);
                out.push_str(&render(
                    SINGLE,
                    &[("T", t), ("NP", &np), ("LOAD", &load), ("STORE", &store)],
                ));
            } else if e.length > 1 {
                let at = format!("{offset} + (index * {})", e.primitive.size());
                let vars = [
                    ("T", t),
                    ("N", &e.length.to_string()),
                    ("OFFSET", &offset),
                    ("NP", &np),
                    ("NP0", &not_present(since, "0")),
                    ("NPN", &not_present(since, "NULL")),
                    ("LOAD", &load(ctx, outer, e.primitive, &at, "return")),
                    ("LOAD_OUT", &load(ctx, outer, e.primitive, &at, "*out =")),
                    ("STORE", &store(ctx, outer, e.primitive, &at)),
                ];
                out.push_str(&render(ARRAY, &vars));
            }
        }
        FieldType::Enum(def) => {
            let e = ctx.scoped(&def.name);
            out.push_str(&render(
                "\nSBE_ONE_DEF size_t @C@_@P@_encoding_length(void)\n{\n    return @LEN@;\n}\n",
                &[("LEN", &def.encoding.size().to_string())],
            ));
            if let Some(value) = &field.value_ref {
                out.push_str(&render(CONST_ENUM, &[("E", &e), ("V", value)]));
            } else {
                let np = if since > 0 {
                    format!("    if (codec->acting_version < {since})\n    {{\n        *out = {e}_NULL_VALUE;\n        return true;\n    }}\n\n")
                } else {
                    String::new()
                };
                let t = c_type(def.encoding);
                out.push_str(&render(
                    ENUM,
                    &[
                        ("E", &e),
                        ("T", t),
                        ("NP", &np),
                        ("OFFSET", &offset),
                        ("READ", &ctx.swap(def.encoding, "val")),
                        ("WRITE", &ctx.swap(def.encoding, "value")),
                    ],
                ));
            }
        }
        FieldType::Set(def) => {
            let s = ctx.scoped(&def.name);
            out.push_str(&render(
                WRAP_PROPERTY,
                &[("S", &s), ("OFFSET", &offset), ("ARG", "bitset")],
            ));
            out.push_str(&render(
                "\nSBE_ONE_DEF size_t @C@_@P@_encoding_length(void)\n{\n    return @LEN@;\n}\n",
                &[("LEN", &def.encoding.size().to_string())],
            ));
        }
        FieldType::Composite(def) => {
            let s = ctx.scoped(&def.name);
            out.push_str(&render(
                WRAP_PROPERTY,
                &[("S", &s), ("OFFSET", &offset), ("ARG", "composite")],
            ));
        }
    }
}

/// `*_meta_attribute`: epoch, time unit, semantic type and presence of a field.
fn meta_attribute(container: &str, outer: &str, p: &str, field: &Field) -> String {
    let text = |v: &Option<String>| c_string(v.as_deref().unwrap_or(""));
    fill(
        r#"
SBE_ONE_DEF const char *@C@_@P@_meta_attribute(
    const enum @O@_meta_attribute attribute)
{
    switch (attribute)
    {
        case @O@_meta_attribute_EPOCH: return @EPOCH@;
        case @O@_meta_attribute_TIME_UNIT: return @UNIT@;
        case @O@_meta_attribute_SEMANTIC_TYPE: return @SEM@;
        case @O@_meta_attribute_PRESENCE: return @PRESENCE@;
    }

    return "";
}
"#,
        &[
            ("C", container),
            ("O", outer),
            ("P", p),
            ("EPOCH", &text(&field.epoch)),
            ("UNIT", &text(&field.time_unit)),
            ("SEM", &text(&field.semantic_type)),
            ("PRESENCE", &c_string(field.presence.name())),
        ],
    )
}

/// The early return of a getter when the acting version predates the field.
pub(super) fn not_present(since: u32, value: &str) -> String {
    if since == 0 {
        String::new()
    } else {
        format!("    if (codec->acting_version < {since})\n    {{\n        return {value};\n    }}\n\n")
    }
}

/// Statements reading a `primitive` at `offset` of the codec's block into `handler`
/// (`return` or `*out =`), converted to host byte order.
fn load(ctx: &Ctx, outer: &str, primitive: Primitive, offset: &str, handler: &str) -> String {
    let t = c_type(primitive);
    if primitive.is_float() {
        let kind = if primitive == Primitive::Float {
            "float"
        } else {
            "double"
        };
        format!(
            "    union {outer}_{kind}_as_uint val;\n    memcpy(&val, codec->buffer + codec->offset + {offset}, sizeof({t}));\n    val.uint_value = {};\n    {handler} val.fp_value;",
            ctx.swap(primitive, "val.uint_value")
        )
    } else {
        format!(
            "    {t} val;\n    memcpy(&val, codec->buffer + codec->offset + {offset}, sizeof({t}));\n    {handler} {};",
            ctx.swap(primitive, "val")
        )
    }
}

/// Statements writing `value` as a `primitive` at `offset` of the codec's block.
fn store(ctx: &Ctx, outer: &str, primitive: Primitive, offset: &str) -> String {
    let t = c_type(primitive);
    if primitive.is_float() {
        let kind = if primitive == Primitive::Float {
            "float"
        } else {
            "double"
        };
        format!(
            "    union {outer}_{kind}_as_uint val;\n    val.fp_value = value;\n    val.uint_value = {};\n    memcpy(codec->buffer + codec->offset + {offset}, &val, sizeof({t}));",
            ctx.swap(primitive, "val.uint_value")
        )
    } else {
        format!(
            "    {t} val = {};\n    memcpy(codec->buffer + codec->offset + {offset}, &val, sizeof({t}));",
            ctx.swap(primitive, "value")
        )
    }
}

/// Accessors of a constant (not encoded) primitive.
fn constant(container: &str, p: &str, e: &Encoding) -> String {
    let value = e.constant.as_deref().unwrap_or("");
    if e.primitive != Primitive::Char {
        let number = Number::parse(value, e.primitive).unwrap_or(Number::Int(0));
        return format!(
            "\nSBE_ONE_DEF {} {container}_{p}(void)\n{{\n    return {};\n}}\n",
            c_type(e.primitive),
            c_literal(e.primitive, number)
        );
    }
    let bytes: Vec<String> = value.bytes().map(|b| b.to_string()).collect();
    fill(
        CONST_CHARS,
        &[
            ("C", container),
            ("P", p),
            ("N", &value.len().to_string()),
            ("BYTES", &bytes.join(", ")),
        ],
    )
}

const COMMON: &str = r#"
SBE_ONE_DEF uint64_t @C@_@P@_since_version(void)
{
    return @SINCE@;
}

SBE_ONE_DEF bool @C@_@P@_in_acting_version(
    const struct @C@ *const codec)
{
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wtautological-compare"
#endif
    return codec->acting_version >= @C@_@P@_since_version();
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
}

SBE_ONE_DEF size_t @C@_@P@_encoding_offset(void)
{
    return @OFFSET@;
}
"#;

const PRIMITIVE_META: &str = r#"
SBE_ONE_DEF @T@ @C@_@P@_null_value(void)
{
    return @NULL@;
}

SBE_ONE_DEF @T@ @C@_@P@_min_value(void)
{
    return @MIN@;
}

SBE_ONE_DEF @T@ @C@_@P@_max_value(void)
{
    return @MAX@;
}

SBE_ONE_DEF size_t @C@_@P@_encoding_length(void)
{
    return @LEN@;
}
"#;

const SINGLE: &str = r#"
SBE_ONE_DEF @T@ @C@_@P@(
    const struct @C@ *const codec)
{
@NP@@LOAD@
}

SBE_ONE_DEF struct @C@ *@C@_set_@P@(
    struct @C@ *const codec,
    const @T@ value)
{
@STORE@

    return codec;
}
"#;

const ARRAY: &str = r#"
SBE_ONE_DEF uint64_t @C@_@P@_length(void)
{
    return @N@;
}

SBE_ONE_DEF const char *@C@_@P@_buffer(
    const struct @C@ *const codec)
{
@NPN@    return codec->buffer + codec->offset + @OFFSET@;
}

SBE_ONE_DEF @T@ @C@_@P@_unsafe(
    const struct @C@ *const codec,
    const uint64_t index)
{
@NP@@LOAD@
}

SBE_ONE_DEF bool @C@_@P@(
    const struct @C@ *const codec,
    const uint64_t index,
    @T@ *const out)
{
    if (index >= @N@)
    {
        errno = E104;
        return false;
    }

    if (codec->acting_version < @C@_@P@_since_version())
    {
        *out = @C@_@P@_null_value();
        return true;
    }

@LOAD_OUT@

    return true;
}

SBE_ONE_DEF struct @C@ *@C@_set_@P@_unsafe(
    struct @C@ *const codec,
    const uint64_t index,
    const @T@ value)
{
@STORE@

    return codec;
}

SBE_ONE_DEF struct @C@ *@C@_set_@P@(
    struct @C@ *const codec,
    const uint64_t index,
    const @T@ value)
{
    if (index >= @N@)
    {
        errno = E105;
        return NULL;
    }

@STORE@

    return codec;
}

SBE_ONE_DEF char *@C@_get_@P@(
    const struct @C@ *const codec,
    char *dst,
    const uint64_t length)
{
    if (length > @N@)
    {
        errno = E106;
        return NULL;
    }

@NPN@    memcpy(dst, codec->buffer + codec->offset + @OFFSET@, sizeof(@T@) * length);

    return dst;
}

SBE_ONE_DEF struct @C@ *@C@_put_@P@(
    struct @C@ *const codec,
    const char *src)
{
    memcpy(codec->buffer + codec->offset + @OFFSET@, src, sizeof(@T@) * @N@);

    return codec;
}
"#;

const CONST_CHARS: &str = r#"
SBE_ONE_DEF uint64_t @C@_@P@_length(void)
{
    return @N@;
}

SBE_ONE_DEF const char *@C@_@P@(void)
{
    static const uint8_t @P@_values[] = { @BYTES@ };

    return (const char *)@P@_values;
}

SBE_ONE_DEF char @C@_@P@_index(const uint64_t index)
{
    static const uint8_t @P@_values[] = { @BYTES@ };

    return index < @N@ ? (char)@P@_values[index] : (char)0;
}

SBE_ONE_DEF uint64_t @C@_get_@P@(
    const struct @C@ *const codec,
    char *dst,
    const uint64_t length)
{
    static const uint8_t @P@_values[] = { @BYTES@ };
    uint64_t bytes_to_copy = length < sizeof(@P@_values) ? length : sizeof(@P@_values);

    (void)codec;
    memcpy(dst, @P@_values, bytes_to_copy);

    return bytes_to_copy;
}
"#;

const CONST_ENUM: &str = r#"
SBE_ONE_DEF enum @E@ @C@_@P@_const_value(void)
{
    return @E@_@V@;
}

SBE_ONE_DEF enum @E@ @C@_@P@(
    const struct @C@ *const codec)
{
    (void)codec;
    return @E@_@V@;
}
"#;

const ENUM: &str = r#"
SBE_ONE_DEF bool @C@_@P@(
    const struct @C@ *const codec,
    enum @E@ *const out)
{
@NP@    @T@ val;
    memcpy(&val, codec->buffer + codec->offset + @OFFSET@, sizeof(@T@));

    return @E@_get(@READ@, out);
}

SBE_ONE_DEF struct @C@ *@C@_set_@P@(
    struct @C@ *const codec,
    const enum @E@ value)
{
    @T@ val = @WRITE@;
    memcpy(codec->buffer + codec->offset + @OFFSET@, &val, sizeof(@T@));

    return codec;
}
"#;

const WRAP_PROPERTY: &str = r#"
SBE_ONE_DEF struct @S@ *@C@_@P@(
    struct @C@ *const codec,
    struct @S@ *const @ARG@)
{
    return @S@_wrap(
        @ARG@,
        codec->buffer,
        codec->offset + @OFFSET@,
        codec->acting_version,
        codec->buffer_length);
}
"#;
