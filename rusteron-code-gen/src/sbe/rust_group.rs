//! Rust codecs of repeating groups: an entry encoder borrowing its message encoder's buffer
//! and position, and an entry decoder borrowing its message decoder's.

use super::error::SbeError;
use super::model::*;
use super::names::pascal;
use super::rust_emit::{rust_type, Bytes, W};
use super::rust_members::{decoder_members, encoder_members};
use super::rust_message::{Methods, Pos};

/// The encoder of one entry-by-entry group, then those of its nested groups.
pub(super) fn group_encoder(w: &mut W, bytes: Bytes, outer: &str, g: &Group) -> Result<(), SbeError> {
    let prefix = format!("{outer}{}", pascal(&g.name));
    let name = format!("{prefix}Encoder");
    let bl_t = rust_type(g.dimension_block_length.primitive);
    let mut methods = Methods::new(&name, &["count", "advance"]);
    w.line("");
    w.doc(&format!(
        "Encoder of the entries of the `{}` group. {}",
        g.name,
        g.description.as_deref().unwrap_or("")
    ));
    w.line("#[derive(Debug)]");
    w.open(&format!("pub struct {name}<'p>"));
    w.line("buf: &'p mut [u8],");
    w.line("position: &'p mut usize,");
    w.line("count: usize,");
    w.line("index: usize,");
    w.line("offset: usize,");
    w.close();
    w.line("");
    w.open(&format!("impl {name}<'_>"));
    w.doc("Block length of one entry.");
    w.line(&format!("pub const SBE_BLOCK_LENGTH: {bl_t} = {};", g.block_length));
    w.doc("Length of the group's dimension header.");
    w.line(&format!(
        "pub const SBE_HEADER_SIZE: usize = {};",
        g.dimension.encoded_length
    ));
    w.line("");
    w.doc("Entries the group was started with.");
    w.open("pub fn count(&self) -> usize");
    w.line("self.count");
    w.close();
    w.line("");
    w.doc("Starts the next entry (call it before writing each entry, `count` times).");
    w.open("pub fn advance(&mut self) -> Result<&mut Self, SbeCodecError>");
    w.open("if self.index >= self.count");
    w.line("return Err(SbeCodecError::GroupExhausted { count: self.count });");
    w.close();
    w.line("let start = *self.position;");
    w.line(&format!(
        "let end = sbe_check(self.buf.len(), start, {})?;",
        g.block_length
    ));
    w.line("self.offset = start;");
    w.line("*self.position = end;");
    w.line("self.index += 1;");
    w.line("Ok(self)");
    w.close();
    encoder_members(w, bytes, &prefix, &g.body, Pos { group: true }, &mut methods)?;
    w.close();
    for inner in &g.body.groups {
        group_encoder(w, bytes, &prefix, inner)?;
    }
    Ok(())
}

/// The decoder of one group, then those of its nested groups.
pub(super) fn group_decoder(w: &mut W, bytes: Bytes, ver_t: &str, outer: &str, g: &Group) -> Result<(), SbeError> {
    let prefix = format!("{outer}{}", pascal(&g.name));
    let name = format!("{prefix}Decoder");
    let mut methods = Methods::new(&name, &["count", "has_next", "acting_version", "advance"]);
    let uses_a = !g.body.groups.is_empty() || !g.body.var_data.is_empty();
    w.line("");
    w.doc(&format!(
        "Decoder of the entries of the `{}` group. {}",
        g.name,
        g.description.as_deref().unwrap_or("")
    ));
    w.line("#[derive(Debug)]");
    w.open(&format!("pub struct {name}<'a, 'p>"));
    w.line("buf: &'a [u8],");
    w.line("position: &'p mut usize,");
    w.line("block_length: usize,");
    w.line("count: usize,");
    w.line("index: usize,");
    w.line("offset: usize,");
    w.line(&format!("acting_version: {ver_t},"));
    w.close();
    w.line("");
    if uses_a {
        w.open(&format!("impl<'a> {name}<'a, '_>"));
    } else {
        w.open(&format!("impl {name}<'_, '_>"));
    }
    w.doc("Entries in the group.");
    w.open("pub fn count(&self) -> usize");
    w.line("self.count");
    w.close();
    w.line("");
    w.doc("Whether `advance` has an entry to move to.");
    w.open("pub fn has_next(&self) -> bool");
    w.line("self.index < self.count");
    w.close();
    w.line("");
    w.doc("The schema version the message was encoded in.");
    w.open(&format!("pub fn acting_version(&self) -> {ver_t}"));
    w.line("self.acting_version");
    w.close();
    w.line("");
    w.doc("Moves to the next entry (call it before reading each entry).");
    w.open("pub fn advance(&mut self) -> Result<&mut Self, SbeCodecError>");
    w.open("if self.index >= self.count");
    w.line("return Err(SbeCodecError::GroupExhausted { count: self.count });");
    w.close();
    w.line("let start = *self.position;");
    w.line("let end = sbe_check(self.buf.len(), start, self.block_length)?;");
    w.line("self.offset = start;");
    w.line("*self.position = end;");
    w.line("self.index += 1;");
    w.line("Ok(self)");
    w.close();
    decoder_members(w, bytes, &prefix, &g.body, Pos { group: true }, &mut methods)?;
    w.close();
    for inner in &g.body.groups {
        group_decoder(w, bytes, ver_t, &prefix, inner)?;
    }
    Ok(())
}
