//! The accessors of one block (a message's root block or a group entry): setters, group
//! starters and var-data writers for encoders; getters, group readers and var-data readers
//! for decoders.

use super::error::SbeError;
use super::model::*;
use super::names::{pascal, rust_ident, snake};
use super::rust_emit::{at, rust_literal, rust_type, to_u64, to_usize, Bytes, W};
use super::rust_message::{Methods, Pos};
use super::rust_types::{constant_type, constant_value, read_value, value_type, write_value};

/// Setters, group starters and var-data writers of a block.
pub(super) fn encoder_members(
    w: &mut W,
    bytes: Bytes,
    prefix: &str,
    body: &Body,
    pos: Pos,
    methods: &mut Methods,
) -> Result<(), SbeError> {
    for f in body.fields.iter().filter(|f| f.presence != Presence::Constant) {
        let base = snake(&f.name);
        let place = at("self.offset", f.offset);
        let doc = f.description.as_deref().unwrap_or("");
        w.line("");
        w.doc(&format!("Sets `{}`. {doc}", f.name));
        match &f.ty {
            FieldType::Encoding(e) if f.presence == Presence::Optional && e.length == 1 => {
                methods.claim(w, &format!("set_{base}"))?;
                w.open(&format!(
                    "pub fn set_{base}(&mut self, value: Option<{}>) -> &mut Self",
                    rust_type(e.primitive)
                ));
                w.line(&format!(
                    "let value = value.unwrap_or({});",
                    rust_literal(e.primitive, e.null())
                ));
                w.line(&bytes.write("self.buf", &place, "value"));
            }
            FieldType::Enum(e) => {
                let t = rust_type(e.encoding);
                methods.claim(w, &format!("set_{base}"))?;
                w.open(&format!(
                    "pub fn set_{base}(&mut self, value: {}) -> &mut Self",
                    pascal(&e.name)
                ));
                w.line(&format!("self.set_{base}_raw(value.value())"));
                w.close();
                w.line("");
                w.doc(&format!(
                    "Sets `{}` to a raw encoded value, named by the enum or not.",
                    f.name
                ));
                methods.claim(w, &format!("set_{base}_raw"))?;
                w.open(&format!("pub fn set_{base}_raw(&mut self, value: {t}) -> &mut Self"));
                w.line(&bytes.write("self.buf", &place, "value"));
            }
            FieldType::Composite(c) => {
                methods.claim(w, &format!("set_{base}"))?;
                w.open(&format!(
                    "pub fn set_{base}(&mut self, value: &{}) -> &mut Self",
                    pascal(&c.name)
                ));
                w.line(&write_value(bytes, &f.ty, "self.buf", &place, "value"));
            }
            ty => {
                methods.claim(w, &format!("set_{base}"))?;
                w.open(&format!(
                    "pub fn set_{base}(&mut self, value: {}) -> &mut Self",
                    value_type(ty)
                ));
                w.line(&write_value(bytes, ty, "self.buf", &place, "value"));
            }
        }
        w.line("self");
        w.close();
    }
    for g in &body.groups {
        let base = snake(&g.name);
        let name = format!("{prefix}{}Encoder", pascal(&g.name));
        let num = &g.dimension_num_in_group;
        let num_t = rust_type(num.primitive);
        let bl_t = rust_type(g.dimension_block_length.primitive);
        let (lo, hi) = num.primitive.int_range().unwrap_or((0, 0));
        let int = |n: Number| if let Number::Int(i) = n { i } else { 0 };
        let (min, max) = (int(num.min()).max(lo), int(num.max()).min(hi));
        w.line("");
        w.doc(&format!(
            "Starts the `{}` group with `count` entries ({min} to {max}): call `advance` on the returned encoder before writing each entry.",
            g.name
        ));
        methods.claim(w, &format!("{base}_count"))?;
        w.open(&format!(
            "pub fn {base}_count(&mut self, count: {num_t}) -> Result<{name}<'_>, SbeCodecError>"
        ));
        let range_error = format!(
            "return Err(SbeCodecError::CountOutOfRange {{ count: {}, min: {min}, max: {max} }});",
            to_u64(num.primitive, "count")
        );
        if min > lo {
            w.open(&format!("if count < {}", rust_literal(num.primitive, Number::Int(min))));
            w.line(&range_error);
            w.close();
        }
        if max < hi {
            w.open(&format!("if count > {}", rust_literal(num.primitive, Number::Int(max))));
            w.line(&range_error);
            w.close();
        }
        w.line(&format!("let start = {};", pos.value()));
        w.line(&format!(
            "let first = sbe_check(self.buf.len(), start, {})?;",
            g.dimension.encoded_length
        ));
        let bl_offset = g.dimension.member("blockLength").map_or(0, |m| m.offset);
        w.line(&bytes.write(
            "self.buf",
            &at("start", bl_offset),
            &format!("{}{bl_t}", g.block_length),
        ));
        w.line(&bytes.write("self.buf", &at("start", g.num_in_group_offset), "count"));
        w.line(&format!("{} = first;", pos.value()));
        w.line(&format!(
            "Ok({name} {{ buf: &mut *self.buf, position: {}, count: {}, index: 0, offset: first }})",
            pos.borrow(),
            to_usize(num.primitive, "count")
        ));
        w.close();
    }
    for v in &body.var_data {
        let base = snake(&v.name);
        let lt = rust_type(v.length.primitive);
        let max = v.max_length();
        w.line("");
        w.doc(&format!(
            "Writes `{}`: its length as {lt}, then the bytes (at most {max}). {}",
            v.name,
            v.description.as_deref().unwrap_or("")
        ));
        methods.claim(w, &format!("put_{base}"))?;
        w.open(&format!(
            "pub fn put_{base}(&mut self, value: &[u8]) -> Result<&mut Self, SbeCodecError>"
        ));
        w.open(&format!("if value.len() as u64 > {max}"));
        w.line(&format!(
            "return Err(SbeCodecError::LengthOutOfRange {{ length: value.len() as u64, max: {max} }});"
        ));
        w.close();
        w.line(&format!("let start = {};", pos.value()));
        w.line(&format!(
            "let data = sbe_check(self.buf.len(), start, {})?;",
            v.header_length
        ));
        w.line("let end = sbe_check(self.buf.len(), data, value.len())?;");
        w.line(&bytes.write("self.buf", "start", &format!("(value.len() as {lt})")));
        w.open("if let Some(dst) = self.buf.get_mut(data..end)");
        w.line("dst.copy_from_slice(value);");
        w.close();
        w.line(&format!("{} = end;", pos.value()));
        w.line("Ok(self)");
        w.close();
    }
    Ok(())
}

/// Getters, group readers and var-data readers of a block.
pub(super) fn decoder_members(
    w: &mut W,
    bytes: Bytes,
    prefix: &str,
    body: &Body,
    pos: Pos,
    methods: &mut Methods,
) -> Result<(), SbeError> {
    for f in &body.fields {
        let base = snake(&f.name);
        let ident = rust_ident(&base);
        let place = at("self.offset", f.offset);
        let since = f.since_version;
        let guard = |w: &mut W, value: &str| {
            if since > 0 {
                w.open(&format!("if self.acting_version < {since}"));
                w.line(&format!("return {value};"));
                w.close();
            }
        };
        w.line("");
        w.doc(&format!("`{}`. {}", f.name, f.description.as_deref().unwrap_or("")));
        methods.claim(w, &ident)?;
        match &f.ty {
            FieldType::Encoding(e) if f.presence == Presence::Constant => {
                w.open(&format!("pub const fn {ident}(&self) -> {}", constant_type(e)));
                w.line(&constant_value(e));
            }
            FieldType::Enum(e) if f.presence == Presence::Constant => {
                let value = f.value_ref.as_deref().unwrap_or("");
                w.open(&format!("pub const fn {ident}(&self) -> {}", pascal(&e.name)));
                w.line(&format!("{}::{}", pascal(&e.name), pascal(value)));
            }
            FieldType::Encoding(e) if e.length == 1 && f.presence == Presence::Optional => {
                let t = rust_type(e.primitive);
                w.open(&format!("pub fn {ident}(&self) -> Option<{t}>"));
                guard(w, "None");
                w.line(&format!("let value = {};", bytes.read(e.primitive, "self.buf", &place)));
                let is_null = if matches!(e.null(), Number::Float(x) if x.is_nan()) {
                    "value.is_nan()".to_string()
                } else {
                    format!("value == {}", rust_literal(e.primitive, e.null()))
                };
                w.line(&format!("if {is_null} {{ None }} else {{ Some(value) }}"));
            }
            FieldType::Encoding(e) => {
                let null = rust_literal(e.primitive, e.null());
                let (ty, absent) = if e.length == 1 {
                    (rust_type(e.primitive).to_string(), null)
                } else {
                    (value_type(&f.ty), format!("[{null}; {}]", e.length))
                };
                w.open(&format!("pub fn {ident}(&self) -> {ty}"));
                guard(w, &absent);
                w.line(&read_value(bytes, &f.ty, "self.buf", &place));
            }
            FieldType::Enum(e) => {
                let t = rust_type(e.encoding);
                w.open(&format!("pub fn {ident}(&self) -> {}", pascal(&e.name)));
                w.line(&format!("{}::from_value(self.{base}_raw())", pascal(&e.name)));
                w.close();
                w.line("");
                w.doc(&format!("`{}` as encoded, named by the enum or not.", f.name));
                methods.claim(w, &format!("{base}_raw"))?;
                w.open(&format!("pub fn {base}_raw(&self) -> {t}"));
                guard(w, &rust_literal(e.encoding, Number::Int(e.null_value)));
                w.line(&bytes.read(e.encoding, "self.buf", &place));
            }
            FieldType::Set(s) => {
                w.open(&format!("pub fn {ident}(&self) -> {}", pascal(&s.name)));
                guard(w, &format!("{}(0)", pascal(&s.name)));
                w.line(&read_value(bytes, &f.ty, "self.buf", &place));
            }
            FieldType::Composite(c) if since > 0 => {
                w.open(&format!("pub fn {ident}(&self) -> Option<{}>", pascal(&c.name)));
                guard(w, "None");
                w.line(&format!("Some({})", read_value(bytes, &f.ty, "self.buf", &place)));
            }
            FieldType::Composite(c) => {
                w.open(&format!("pub fn {ident}(&self) -> {}", pascal(&c.name)));
                w.line(&read_value(bytes, &f.ty, "self.buf", &place));
            }
        }
        w.close();
    }
    for g in &body.groups {
        let ident = rust_ident(&snake(&g.name));
        let name = format!("{prefix}{}Decoder", pascal(&g.name));
        w.line("");
        w.doc(&format!(
            "The `{}` group: call `advance` before reading each entry, and visit every entry before reading what follows the group.",
            g.name
        ));
        methods.claim(w, &ident)?;
        w.open(&format!(
            "pub fn {ident}(&mut self) -> Result<{name}<'a, '_>, SbeCodecError>"
        ));
        if g.since_version > 0 {
            w.open(&format!("if self.acting_version < {}", g.since_version));
            w.line(&format!("let offset = {};", pos.value()));
            w.line(&format!(
                "return Ok({name} {{ buf: self.buf, position: {}, block_length: 0, count: 0, index: 0, offset, acting_version: self.acting_version }});",
                pos.borrow()
            ));
            w.close();
        }
        w.line(&format!("let start = {};", pos.value()));
        w.line(&format!(
            "let first = sbe_check(self.buf.len(), start, {})?;",
            g.dimension.encoded_length
        ));
        let bl = &g.dimension_block_length;
        let bl_offset = g.dimension.member("blockLength").map_or(0, |m| m.offset);
        let read_bl = bytes.read(bl.primitive, "self.buf", &at("start", bl_offset));
        w.line(&format!("let block_length = {};", to_usize(bl.primitive, &read_bl)));
        let num = &g.dimension_num_in_group;
        let read_num = bytes.read(num.primitive, "self.buf", &at("start", g.num_in_group_offset));
        w.line(&format!("let count = {};", to_usize(num.primitive, &read_num)));
        w.line(&format!("{} = first;", pos.value()));
        w.line(&format!(
            "Ok({name} {{ buf: self.buf, position: {}, block_length, count, index: 0, offset: first, acting_version: self.acting_version }})",
            pos.borrow()
        ));
        w.close();
    }
    for v in &body.var_data {
        let base = snake(&v.name);
        let ident = rust_ident(&base);
        let guard = |w: &mut W, value: &str| {
            if v.since_version > 0 {
                w.open(&format!("if self.acting_version < {}", v.since_version));
                w.line(&format!("return Ok({value});"));
                w.close();
            }
        };
        let read_length = to_usize(v.length.primitive, &bytes.read(v.length.primitive, "self.buf", "start"));
        w.line("");
        w.doc(&format!("Length of `{}`, without moving past it.", v.name));
        methods.claim(w, &format!("{base}_length"))?;
        w.open(&format!("pub fn {base}_length(&self) -> Result<usize, SbeCodecError>"));
        guard(w, "0");
        w.line(&format!("let start = {};", pos.value()));
        w.line(&format!("sbe_check(self.buf.len(), start, {})?;", v.header_length));
        w.line(&format!("Ok({read_length})"));
        w.close();
        w.line("");
        w.doc(&format!(
            "Reads `{}` and moves past it. {}",
            v.name,
            v.description.as_deref().unwrap_or("")
        ));
        methods.claim(w, &ident)?;
        w.open(&format!("pub fn {ident}(&mut self) -> Result<&'a [u8], SbeCodecError>"));
        guard(w, "&[]");
        w.line(&format!("let start = {};", pos.value()));
        w.line(&format!(
            "let data = sbe_check(self.buf.len(), start, {})?;",
            v.header_length
        ));
        w.line(&format!("let length = {read_length};"));
        w.line("let end = sbe_check(self.buf.len(), data, length)?;");
        w.line(&format!("{} = end;", pos.value()));
        w.line("Ok(self.buf.get(data..end).unwrap_or_default())");
        w.close();
        if let Some(encoding) = &v.data.character_encoding {
            w.line("");
            w.doc(&format!("Reads `{}` ({encoding}) as text and moves past it.", v.name));
            methods.claim(w, &format!("{base}_as_str"))?;
            w.open(&format!(
                "pub fn {base}_as_str(&mut self) -> Result<&'a str, SbeCodecError>"
            ));
            w.line(&format!(
                "core::str::from_utf8(self.{ident}()?).map_err(|_| SbeCodecError::InvalidUtf8)"
            ));
            w.close();
        }
    }
    Ok(())
}
