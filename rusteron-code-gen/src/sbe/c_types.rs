//! C headers of enums, sets and composites.

use super::c_emit::{c_literal, c_type, file_start, fill, Ctx};
use super::c_fields;
use super::model::*;
use super::names::{c_property, lower_first};

/// `enum <name>` with its values and `NULL_VALUE`, and `<name>_get`.
pub(super) fn enum_header(ctx: &Ctx, def: &EnumDef) -> String {
    let name = ctx.scoped(&def.name);
    let mut out = file_start(ctx, &name, &[]);
    out.push_str(&format!("\nenum {name}\n{{\n"));
    for v in &def.values {
        out.push_str(&format!(
            "    {name}_{} = {},\n",
            v.name,
            c_literal(def.encoding, Number::Int(v.value))
        ));
    }
    out.push_str(&format!(
        "    {name}_NULL_VALUE = {}\n}};\n",
        c_literal(def.encoding, Number::Int(def.null_value))
    ));
    out.push_str(&format!(
        "\nSBE_ONE_DEF bool {name}_get(\n    const {} value,\n    enum {name} *const out)\n{{\n    switch (value)\n    {{\n",
        c_type(def.encoding)
    ));
    for v in &def.values {
        out.push_str(&format!(
            "        case {}:\n            *out = {name}_{};\n            return true;\n",
            c_literal(def.encoding, Number::Int(v.value)),
            v.name
        ));
    }
    if !def.values.iter().any(|v| v.value == def.null_value) {
        out.push_str(&format!(
            "        case {}:\n            *out = {name}_NULL_VALUE;\n            return true;\n",
            c_literal(def.encoding, Number::Int(def.null_value))
        ));
    }
    out.push_str("        default:\n            break;\n    }\n\n    errno = E103;\n    return false;\n}\n\n#endif\n");
    out
}

/// The struct and wrap functions shared by composites and sets.
fn fixed_flyweight(ctx: &Ctx, name: &str, size: usize) -> String {
    fill(
        FIXED_FLYWEIGHT,
        &[
            ("S", name),
            ("SIZE", &size.to_string()),
            ("ID_T", ctx.header_type("schemaId")),
            (
                "ID",
                &c_literal(
                    ctx.schema.header_primitive("schemaId"),
                    Number::Int(ctx.schema.id.into()),
                ),
            ),
            ("VER_T", ctx.header_type("version")),
            (
                "VER",
                &c_literal(
                    ctx.schema.header_primitive("version"),
                    Number::Int(ctx.schema.version.into()),
                ),
            ),
        ],
    )
}

const FIXED_FLYWEIGHT: &str = r#"
struct @S@
{
    char *buffer;
    uint64_t buffer_length;
    uint64_t offset;
    uint64_t acting_version;
};

SBE_ONE_DEF struct @S@ *@S@_reset(
    struct @S@ *const codec,
    char *buffer,
    const uint64_t offset,
    const uint64_t buffer_length,
    const uint64_t acting_version)
{
    if (SBE_BOUNDS_CHECK_EXPECT((offset > buffer_length || @SIZE@ > buffer_length - offset), false))
    {
        errno = E107;
        return NULL;
    }
    codec->buffer = buffer;
    codec->buffer_length = buffer_length;
    codec->offset = offset;
    codec->acting_version = acting_version;

    return codec;
}

SBE_ONE_DEF struct @S@ *@S@_wrap(
    struct @S@ *const codec,
    char *buffer,
    const uint64_t offset,
    const uint64_t acting_version,
    const uint64_t buffer_length)
{
    return @S@_reset(codec, buffer, offset, buffer_length, acting_version);
}

SBE_ONE_DEF uint64_t @S@_encoded_length(void)
{
    return @SIZE@;
}

SBE_ONE_DEF uint64_t @S@_offset(
    const struct @S@ *const codec)
{
    return codec->offset;
}

SBE_ONE_DEF const char *@S@_buffer(
    const struct @S@ *const codec)
{
    return codec->buffer;
}

SBE_ONE_DEF char *@S@_mut_buffer(
    struct @S@ *const codec)
{
    return codec->buffer;
}

SBE_ONE_DEF uint64_t @S@_buffer_length(
    const struct @S@ *const codec)
{
    return codec->buffer_length;
}

SBE_ONE_DEF @ID_T@ @S@_sbe_schema_id(void)
{
    return @ID@;
}

SBE_ONE_DEF @VER_T@ @S@_sbe_schema_version(void)
{
    return @VER@;
}
"#;

/// The meta-attribute enum, float/double unions and string view every composite and message
/// header declares for its accessors.
pub(super) fn outer_declarations(name: &str) -> String {
    fill(
        r#"
enum @S@_meta_attribute
{
    @S@_meta_attribute_EPOCH,
    @S@_meta_attribute_TIME_UNIT,
    @S@_meta_attribute_SEMANTIC_TYPE,
    @S@_meta_attribute_PRESENCE
};

union @S@_float_as_uint
{
    float fp_value;
    uint32_t uint_value;
};

union @S@_double_as_uint
{
    double fp_value;
    uint64_t uint_value;
};

struct @S@_string_view
{
    const char *data;
    size_t length;
};
"#,
        &[("S", name)],
    )
}

/// A set: the flyweight, `clear`, `is_empty`, `raw_value`, and per choice the bit helpers,
/// getter and setter.
pub(super) fn set_header(ctx: &Ctx, def: &SetDef) -> String {
    let name = ctx.scoped(&def.name);
    let t = c_type(def.encoding);
    let mut out = file_start(ctx, &name, &[]);
    out.push_str(&fixed_flyweight(ctx, &name, def.encoding.size()));
    let read = ctx.swap(def.encoding, "val");
    out.push_str(&fill(
        r#"
SBE_ONE_DEF struct @S@ *@S@_clear(
    struct @S@ *const codec)
{
    @T@ zero = 0;
    memcpy(codec->buffer + codec->offset, &zero, sizeof(@T@));

    return codec;
}

SBE_ONE_DEF @T@ @S@_raw_value(
    const struct @S@ *const codec)
{
    @T@ val;
    memcpy(&val, codec->buffer + codec->offset, sizeof(@T@));

    return @READ@;
}

SBE_ONE_DEF bool @S@_is_empty(
    const struct @S@ *const codec)
{
    return 0 == @S@_raw_value(codec);
}
"#,
        &[("S", &name), ("T", t), ("READ", &read)],
    ));
    for choice in &def.choices {
        let since = if choice.since_version > 0 {
            format!(
                "    if (codec->acting_version < {})\n    {{\n        return false;\n    }}\n\n",
                choice.since_version
            )
        } else {
            String::new()
        };
        let bits_swapped = ctx.swap(def.encoding, "bits");
        out.push_str(&fill(
            r#"
SBE_ONE_DEF bool @S@_check_@C@_bit(
    const @T@ bits)
{
    return (bits & ((@T@)1 << @BIT@)) != 0;
}

SBE_ONE_DEF @T@ @S@_apply_@C@_bit(
    const @T@ bits,
    const bool value)
{
    return value ? (@T@)(bits | ((@T@)1 << @BIT@)) : (@T@)(bits & ~((@T@)1 << @BIT@));
}

SBE_ONE_DEF bool @S@_@C@(
    const struct @S@ *const codec)
{
@SINCE@    return @S@_check_@C@_bit(@S@_raw_value(codec));
}

SBE_ONE_DEF struct @S@ *@S@_set_@C@(
    struct @S@ *const codec,
    const bool value)
{
    @T@ bits;
    memcpy(&bits, codec->buffer + codec->offset, sizeof(@T@));
    bits = @S@_apply_@C@_bit(@SWAPPED@, value);
    bits = @SWAPPED@;
    memcpy(codec->buffer + codec->offset, &bits, sizeof(@T@));

    return codec;
}
"#,
            &[
                ("S", &name),
                ("T", t),
                ("C", &c_property(&choice.name)),
                ("BIT", &choice.bit.to_string()),
                ("SINCE", &since),
                ("SWAPPED", &bits_swapped),
            ],
        ));
    }
    out.push_str("\n#endif\n");
    out
}

/// A composite: the flyweight and an accessor set per member.
pub(super) fn composite_header(ctx: &Ctx, def: &CompositeDef) -> String {
    let name = ctx.scoped(&def.name);
    let mut includes: Vec<String> = Vec::new();
    for member in &def.members {
        let dep = match &member.ty {
            FieldType::Enum(e) => &e.name,
            FieldType::Set(s) => &s.name,
            FieldType::Composite(c) => &c.name,
            FieldType::Encoding(_) => continue,
        };
        let file = format!("{}.h", lower_first(dep));
        if !includes.contains(&file) {
            includes.push(file);
        }
    }
    let mut out = file_start(ctx, &name, &includes);
    out.push_str(&fixed_flyweight(ctx, &name, def.encoded_length));
    out.push_str(&outer_declarations(&name));
    for member in &def.members {
        c_fields::field_functions(ctx, &mut out, &name, &name, member);
    }
    out.push_str("\n#endif\n");
    out
}
