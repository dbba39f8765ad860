//! C message headers: the message flyweight and its fields.

use super::c_emit::{c_literal, c_string, file_start, fill, Ctx};
use super::c_fields::field_functions;
use super::c_group;
use super::c_types::outer_declarations;
use super::model::*;
use super::names::screaming;

/// The header of `message`, including every type header of the schema.
pub(super) fn message_header(ctx: &Ctx, message: &Message, type_headers: &[String]) -> String {
    let m = ctx.scoped(&message.name);
    let mut out = file_start(ctx, &m, type_headers);
    out.push_str(&fill(
        "\nstruct @M@\n{\n    char *buffer;\n    uint64_t buffer_length;\n    uint64_t offset;\n    uint64_t position;\n    uint64_t acting_block_length;\n    uint64_t acting_version;\n};\n",
        &[("M", &m)],
    ));
    out.push_str(&outer_declarations(&m));
    let schema = ctx.schema;
    let literal = |member: &str, value: i128| c_literal(schema.header_primitive(member), Number::Int(value));
    out.push_str(&fill(
        MESSAGE,
        &[
            ("M", &m),
            ("H", &ctx.header()),
            (
                "MACRO",
                &format!("{}_{}", ctx.scope.to_uppercase(), screaming(&message.name)),
            ),
            ("BL_T", ctx.header_type("blockLength")),
            ("BL", &literal("blockLength", message.block_length as i128)),
            ("TID_T", ctx.header_type("templateId")),
            ("TID", &literal("templateId", message.id.into())),
            ("SID_T", ctx.header_type("schemaId")),
            ("SID", &literal("schemaId", schema.id.into())),
            ("VER_T", ctx.header_type("version")),
            ("VER", &literal("version", schema.version.into())),
            ("SEMVER", &c_string(schema.semantic_version.as_deref().unwrap_or(""))),
            ("SEMTYPE", &c_string(message.semantic_type.as_deref().unwrap_or(""))),
        ],
    ));
    body(ctx, &mut out, &m, &m, &message.body);
    out.push_str("\n#endif\n");
    out
}

/// Fields, groups and var data of the block of struct `container`.
pub(super) fn body(ctx: &Ctx, out: &mut String, container: &str, outer: &str, body: &Body) {
    for field in &body.fields {
        field_functions(ctx, out, container, outer, field);
    }
    for group in &body.groups {
        c_group::group_functions(ctx, out, container, outer, group);
    }
    for var in &body.var_data {
        c_group::var_data(ctx, out, container, outer, var);
    }
}

const MESSAGE: &str = r#"
SBE_ONE_DEF uint64_t @M@_sbe_position(
    const struct @M@ *const codec)
{
    return codec->position;
}

SBE_ONE_DEF bool @M@_set_sbe_position(
    struct @M@ *const codec,
    const uint64_t position)
{
    if (SBE_BOUNDS_CHECK_EXPECT((position > codec->buffer_length), false))
    {
        errno = E100;
        return false;
    }
    codec->position = position;

    return true;
}

SBE_ONE_DEF uint64_t *@M@_sbe_position_ptr(
    struct @M@ *const codec)
{
    return &codec->position;
}

SBE_ONE_DEF struct @M@ *@M@_reset(
    struct @M@ *const codec,
    char *buffer,
    const uint64_t offset,
    const uint64_t buffer_length,
    const uint64_t acting_block_length,
    const uint64_t acting_version)
{
    codec->buffer = buffer;
    codec->offset = offset;
    codec->buffer_length = buffer_length;
    codec->acting_block_length = acting_block_length;
    codec->acting_version = acting_version;
    if (SBE_BOUNDS_CHECK_EXPECT((offset > buffer_length), false))
    {
        errno = E100;
        return NULL;
    }
    if (!@M@_set_sbe_position(codec, offset + acting_block_length))
    {
        return NULL;
    }

    return codec;
}

SBE_ONE_DEF struct @M@ *@M@_copy(
    struct @M@ *const codec,
    const struct @M@ *const other)
{
    codec->buffer = other->buffer;
    codec->offset = other->offset;
    codec->buffer_length = other->buffer_length;
    codec->acting_block_length = other->acting_block_length;
    codec->acting_version = other->acting_version;
    codec->position = other->position;

    return codec;
}

SBE_ONE_DEF @BL_T@ @M@_sbe_block_length(void)
{
    return @BL@;
}

#define @MACRO@_SBE_TEMPLATE_ID (@TID@)

SBE_ONE_DEF @TID_T@ @M@_sbe_template_id(void)
{
    return @TID@;
}

SBE_ONE_DEF @SID_T@ @M@_sbe_schema_id(void)
{
    return @SID@;
}

SBE_ONE_DEF @VER_T@ @M@_sbe_schema_version(void)
{
    return @VER@;
}

SBE_ONE_DEF const char *@M@_sbe_semantic_version(void)
{
    return @SEMVER@;
}

SBE_ONE_DEF const char *@M@_sbe_semantic_type(void)
{
    return @SEMTYPE@;
}

SBE_ONE_DEF uint64_t @M@_offset(
    const struct @M@ *const codec)
{
    return codec->offset;
}

SBE_ONE_DEF struct @M@ *@M@_wrap_and_apply_header(
    struct @M@ *const codec,
    char *buffer,
    const uint64_t offset,
    const uint64_t buffer_length,
    struct @H@ *const hdr)
{
    if (SBE_BOUNDS_CHECK_EXPECT((offset > buffer_length), false))
    {
        errno = E107;
        return NULL;
    }
    if (NULL == @H@_wrap(hdr, buffer + offset, 0, @H@_sbe_schema_version(), buffer_length - offset))
    {
        return NULL;
    }

    @H@_set_blockLength(hdr, @M@_sbe_block_length());
    @H@_set_templateId(hdr, @M@_sbe_template_id());
    @H@_set_schemaId(hdr, @M@_sbe_schema_id());
    @H@_set_version(hdr, @M@_sbe_schema_version());

    return @M@_reset(
        codec,
        buffer + offset + @H@_encoded_length(),
        0,
        buffer_length - offset - @H@_encoded_length(),
        @M@_sbe_block_length(),
        @M@_sbe_schema_version());
}

SBE_ONE_DEF struct @M@ *@M@_wrap_for_encode(
    struct @M@ *const codec,
    char *buffer,
    const uint64_t offset,
    const uint64_t buffer_length)
{
    return @M@_reset(
        codec,
        buffer,
        offset,
        buffer_length,
        @M@_sbe_block_length(),
        @M@_sbe_schema_version());
}

SBE_ONE_DEF struct @M@ *@M@_wrap_for_decode(
    struct @M@ *const codec,
    char *buffer,
    const uint64_t offset,
    const uint64_t acting_block_length,
    const uint64_t acting_version,
    const uint64_t buffer_length)
{
    return @M@_reset(
        codec,
        buffer,
        offset,
        buffer_length,
        acting_block_length,
        acting_version);
}

SBE_ONE_DEF struct @M@ *@M@_sbe_rewind(
    struct @M@ *const codec)
{
    return @M@_wrap_for_decode(
        codec,
        codec->buffer,
        codec->offset,
        codec->acting_block_length,
        codec->acting_version,
        codec->buffer_length);
}

SBE_ONE_DEF uint64_t @M@_encoded_length(
    const struct @M@ *const codec)
{
    return @M@_sbe_position(codec) - codec->offset;
}

SBE_ONE_DEF const char *@M@_buffer(
    const struct @M@ *const codec)
{
    return codec->buffer;
}

SBE_ONE_DEF char *@M@_mut_buffer(
    struct @M@ *const codec)
{
    return codec->buffer;
}

SBE_ONE_DEF uint64_t @M@_buffer_length(
    const struct @M@ *const codec)
{
    return codec->buffer_length;
}

SBE_ONE_DEF uint64_t @M@_acting_version(
    const struct @M@ *const codec)
{
    return codec->acting_version;
}
"#;
