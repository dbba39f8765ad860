//! C accessors of repeating groups and var data.

use super::c_emit::{c_literal, c_string, c_type, fill, Ctx};
use super::c_fields::not_present;
use super::c_message;
use super::model::*;
use super::names::{c_property, lower_first};

pub(super) fn group_functions(ctx: &Ctx, out: &mut String, container: &str, outer: &str, group: &Group) {
    let g = format!("{container}_{}", lower_first(&group.name));
    let dim = ctx.scoped(&group.dimension.name);
    let bl_t = c_type(group.dimension_block_length.primitive);
    let num = &group.dimension_num_in_group;
    let num_t = c_type(num.primitive);
    let (lo, hi) = num.primitive.int_range().unwrap_or((0, 0));
    let int = |n: Number| match n {
        Number::Int(i) => i,
        Number::Float(f) => f as i128,
    };
    let (min, max) = (int(num.min()), int(num.max()));
    let mut checks = Vec::new();
    if min > lo && min > 0 {
        checks.push(format!("count < {min}"));
    }
    if max < hi {
        checks.push(format!("count > {max}"));
    }
    let count_check = if checks.is_empty() {
        String::new()
    } else {
        format!(
            "    if ({})\n    {{\n        errno = E110;\n        return NULL;\n    }}\n",
            checks.join(" || ")
        )
    };
    let absent = if group.since_version > 0 {
        fill(
            GROUP_ABSENT,
            &[("G", &g), ("C", container), ("SINCE", &group.since_version.to_string())],
        )
    } else {
        String::new()
    };
    let vars = [
        ("G", g.as_str()),
        ("C", container),
        ("D", &dim),
        ("P", &c_property(&group.name)),
        ("HDR", &group.dimension.encoded_length.to_string()),
        ("BLOCK", &group.block_length.to_string()),
        ("BL_T", bl_t),
        ("NUM_T", num_t),
        ("COUNT_CHECK", &count_check),
        ("ID", &group.id.to_string()),
        ("SINCE", &group.since_version.to_string()),
        ("ABSENT", &absent),
    ];
    out.push_str(&fill(GROUP, &vars));
    c_message::body(ctx, out, &g, outer, &group.body);
    out.push_str(&fill(GROUP_PROPERTY, &vars));
}

pub(super) fn var_data(ctx: &Ctx, out: &mut String, container: &str, outer: &str, var: &VarData) {
    let p = c_property(&var.name);
    let since = var.since_version;
    let lt = c_type(var.length.primitive);
    let type_max = var.length.primitive.int_range().map_or(0, |r| r.1);
    let max_check = if var.max_length() < type_max {
        format!(
            "    if (length > {})\n    {{\n        errno = E109;\n        return NULL;\n    }}\n\n",
            c_literal(var.length.primitive, Number::Int(var.max_length()))
        )
    } else {
        String::new()
    };
    let view_absent = if since > 0 {
        format!("    if (codec->acting_version < {since})\n    {{\n        struct {outer}_string_view ret = {{ NULL, 0 }};\n        return ret;\n    }}\n\n")
    } else {
        String::new()
    };
    let presence = c_string(Presence::Required.name());
    out.push_str(&fill(
        VAR_DATA,
        &[
            ("C", container),
            ("O", outer),
            ("P", &p),
            ("ENC", &c_string(var.data.character_encoding.as_deref().unwrap_or(""))),
            ("SEM", &c_string(var.data.semantic_type.as_deref().unwrap_or(""))),
            ("PRESENCE", &presence),
            ("SINCE", &since.to_string()),
            ("ID", &var.id.to_string()),
            ("HDR", &var.header_length.to_string()),
            ("LT", lt),
            ("READ", &ctx.swap(var.length.primitive, "length_field_value")),
            ("WRITE", &ctx.swap(var.length.primitive, "length")),
            ("NP0", &not_present(since, "0")),
            ("NPN", &not_present(since, "NULL")),
            ("NPV", &view_absent),
            ("MAX_CHECK", &max_check),
        ],
    ));
}

const GROUP: &str = r#"
struct @G@
{
    char *buffer;
    uint64_t buffer_length;
    uint64_t *position_ptr;
    uint64_t block_length;
    uint64_t count;
    uint64_t index;
    uint64_t offset;
    uint64_t acting_version;
};

SBE_ONE_DEF uint64_t *@G@_sbe_position_ptr(
    struct @G@ *const codec)
{
    return codec->position_ptr;
}

SBE_ONE_DEF struct @G@ *@G@_wrap_for_decode(
    struct @G@ *const codec,
    char *const buffer,
    uint64_t *const pos,
    const uint64_t acting_version,
    const uint64_t buffer_length)
{
    struct @D@ dimensions;
    if (!@D@_wrap(&dimensions, buffer, *pos, acting_version, buffer_length))
    {
        return NULL;
    }

    codec->buffer = buffer;
    codec->buffer_length = buffer_length;
    codec->block_length = @D@_blockLength(&dimensions);
    codec->count = @D@_numInGroup(&dimensions);
    codec->index = (uint64_t)-1;
    codec->offset = *pos + @HDR@;
    codec->acting_version = acting_version;
    codec->position_ptr = pos;
    *codec->position_ptr = *codec->position_ptr + @HDR@;

    return codec;
}

SBE_ONE_DEF struct @G@ *@G@_wrap_for_encode(
    struct @G@ *const codec,
    char *const buffer,
    const @NUM_T@ count,
    uint64_t *const pos,
    const uint64_t acting_version,
    const uint64_t buffer_length)
{
@COUNT_CHECK@    struct @D@ dimensions;
    if (!@D@_wrap(&dimensions, buffer, *pos, acting_version, buffer_length))
    {
        return NULL;
    }

    @D@_set_blockLength(&dimensions, (@BL_T@)@BLOCK@);
    @D@_set_numInGroup(&dimensions, (@NUM_T@)count);
    codec->buffer = buffer;
    codec->buffer_length = buffer_length;
    codec->index = (uint64_t)-1;
    codec->count = count;
    codec->block_length = @BLOCK@;
    codec->offset = *pos + @HDR@;
    codec->acting_version = acting_version;
    codec->position_ptr = pos;
    *codec->position_ptr = *codec->position_ptr + @HDR@;

    return codec;
}

SBE_ONE_DEF uint64_t @G@_sbe_header_size(void)
{
    return @HDR@;
}

SBE_ONE_DEF uint64_t @G@_sbe_block_length(void)
{
    return @BLOCK@;
}

SBE_ONE_DEF uint64_t @G@_sbe_position(
    const struct @G@ *const codec)
{
    return *codec->position_ptr;
}

SBE_ONE_DEF bool @G@_set_sbe_position(
    struct @G@ *const codec,
    const uint64_t position)
{
    if (SBE_BOUNDS_CHECK_EXPECT((position > codec->buffer_length), false))
    {
        errno = E100;
        return false;
    }
    *codec->position_ptr = position;

    return true;
}

SBE_ONE_DEF uint64_t @G@_count(
    const struct @G@ *const codec)
{
    return codec->count;
}

SBE_ONE_DEF bool @G@_has_next(
    const struct @G@ *const codec)
{
    return codec->index + 1 < codec->count;
}

SBE_ONE_DEF struct @G@ *@G@_next(
    struct @G@ *const codec)
{
    uint64_t offset = *codec->position_ptr;
    if (SBE_BOUNDS_CHECK_EXPECT((!@G@_has_next(codec) || offset + codec->block_length > codec->buffer_length), false))
    {
        errno = E108;
        return NULL;
    }
    codec->offset = offset;
    *codec->position_ptr = offset + codec->block_length;
    ++codec->index;

    return codec;
}

SBE_ONE_DEF struct @G@ *@G@_for_each(
    struct @G@ *const codec,
    void (*func)(struct @G@ *, void *),
    void *const context)
{
    while (@G@_has_next(codec))
    {
        if (!@G@_next(codec))
        {
            return NULL;
        }
        func(codec, context);
    }

    return codec;
}
"#;

const GROUP_ABSENT: &str = r#"    if (codec->acting_version < @SINCE@)
    {
        property->buffer = codec->buffer;
        property->buffer_length = codec->buffer_length;
        property->position_ptr = @C@_sbe_position_ptr(codec);
        property->block_length = 0;
        property->count = 0;
        property->index = (uint64_t)-1;
        property->offset = *property->position_ptr;
        property->acting_version = codec->acting_version;
        return property;
    }

"#;

const GROUP_PROPERTY: &str = r#"
SBE_ONE_DEF uint16_t @G@_id(void)
{
    return @ID@;
}

SBE_ONE_DEF struct @G@ *@C@_get_@P@(
    struct @C@ *const codec,
    struct @G@ *const property)
{
@ABSENT@    return @G@_wrap_for_decode(
        property,
        codec->buffer,
        @C@_sbe_position_ptr(codec),
        codec->acting_version,
        codec->buffer_length);
}

SBE_ONE_DEF struct @G@ *@G@_set_count(
    struct @C@ *const codec,
    struct @G@ *const property,
    const @NUM_T@ count)
{
    return @G@_wrap_for_encode(
        property,
        codec->buffer,
        count,
        @C@_sbe_position_ptr(codec),
        codec->acting_version,
        codec->buffer_length);
}

SBE_ONE_DEF uint64_t @G@_since_version(void)
{
    return @SINCE@;
}

SBE_ONE_DEF bool @G@_in_acting_version(
    const struct @C@ *const codec)
{
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wtautological-compare"
#endif
    return codec->acting_version >= @G@_since_version();
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
}
"#;

const VAR_DATA: &str = r#"
SBE_ONE_DEF const char *@C@_@P@_meta_attribute(
    const enum @O@_meta_attribute attribute)
{
    switch (attribute)
    {
        case @O@_meta_attribute_EPOCH: return "";
        case @O@_meta_attribute_TIME_UNIT: return "";
        case @O@_meta_attribute_SEMANTIC_TYPE: return @SEM@;
        case @O@_meta_attribute_PRESENCE: return @PRESENCE@;
    }

    return "";
}

SBE_ONE_DEF const char *@C@_@P@_character_encoding(void)
{
    return @ENC@;
}

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

SBE_ONE_DEF uint16_t @C@_@P@_id(void)
{
    return @ID@;
}

SBE_ONE_DEF uint64_t @C@_@P@_header_length(void)
{
    return @HDR@;
}

SBE_ONE_DEF @LT@ @C@_@P@_length(
    const struct @C@ *const codec)
{
@NP0@    uint64_t length_position = @C@_sbe_position(codec);
    if (SBE_BOUNDS_CHECK_EXPECT((length_position + @HDR@ > codec->buffer_length), false))
    {
        errno = E100;
        return 0;
    }
    @LT@ length_field_value;
    memcpy(&length_field_value, codec->buffer + length_position, sizeof(@LT@));

    return @READ@;
}

SBE_ONE_DEF const char *@C@_@P@(
    struct @C@ *const codec)
{
@NPN@    uint64_t length_position = @C@_sbe_position(codec);
    if (SBE_BOUNDS_CHECK_EXPECT((length_position + @HDR@ > codec->buffer_length), false))
    {
        errno = E100;
        return NULL;
    }
    @LT@ length_field_value;
    memcpy(&length_field_value, codec->buffer + length_position, sizeof(@LT@));
    const char *field_ptr = codec->buffer + length_position + @HDR@;

    if (!@C@_set_sbe_position(codec, length_position + @HDR@ + @READ@))
    {
        return NULL;
    }

    return field_ptr;
}

SBE_ONE_DEF uint64_t @C@_get_@P@(
    struct @C@ *const codec,
    char *dst,
    const uint64_t length)
{
@NP0@    uint64_t length_position = @C@_sbe_position(codec);
    if (SBE_BOUNDS_CHECK_EXPECT((length_position + @HDR@ > codec->buffer_length), false))
    {
        errno = E100;
        return 0;
    }
    @LT@ length_field_value;
    memcpy(&length_field_value, codec->buffer + length_position, sizeof(@LT@));
    uint64_t data_length = @READ@;
    uint64_t bytes_to_copy = length < data_length ? length : data_length;
    uint64_t pos = length_position + @HDR@;

    if (!@C@_set_sbe_position(codec, pos + data_length))
    {
        return 0;
    }

    memcpy(dst, codec->buffer + pos, bytes_to_copy);

    return bytes_to_copy;
}

SBE_ONE_DEF struct @O@_string_view @C@_get_@P@_as_string_view(
    struct @C@ *const codec)
{
@NPV@    uint64_t length_position = @C@_sbe_position(codec);
    if (SBE_BOUNDS_CHECK_EXPECT((length_position + @HDR@ > codec->buffer_length), false))
    {
        struct @O@_string_view ret = { NULL, 0 };
        errno = E100;
        return ret;
    }
    @LT@ length_field_value;
    memcpy(&length_field_value, codec->buffer + length_position, sizeof(@LT@));
    uint64_t data_length = @READ@;
    const char *field_ptr = codec->buffer + length_position + @HDR@;

    if (!@C@_set_sbe_position(codec, length_position + @HDR@ + data_length))
    {
        struct @O@_string_view ret = { NULL, 0 };
        return ret;
    }

    struct @O@_string_view ret = { field_ptr, (size_t)data_length };

    return ret;
}

SBE_ONE_DEF struct @C@ *@C@_put_@P@(
    struct @C@ *const codec,
    const char *src,
    const @LT@ length)
{
@MAX_CHECK@    uint64_t length_position = @C@_sbe_position(codec);
    @LT@ length_field_value = @WRITE@;
    if (!@C@_set_sbe_position(codec, length_position + @HDR@ + length))
    {
        return NULL;
    }

    memcpy(codec->buffer + length_position, &length_field_value, sizeof(@LT@));
    if (length > 0)
    {
        memcpy(codec->buffer + length_position + @HDR@, src, length);
    }

    return codec;
}
"#;
