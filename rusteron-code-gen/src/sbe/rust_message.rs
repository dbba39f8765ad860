//! Rust message codecs: an encoder over `&mut [u8]` and a decoder over `&[u8]` per message,
//! and the same pair per repeating group.

use super::error::{SbeError, SbeErrorKind};
use super::model::*;
use super::names::pascal;
use super::rust_emit::{at, rust_type, to_u64, to_usize, Bytes, W};
use super::rust_group::{group_decoder, group_encoder};
use super::rust_members::{decoder_members, encoder_members};

/// The Rust items generated for `message`: its encoder and decoder, and those of its groups.
pub(super) fn item_names(message: &Message) -> Vec<String> {
    let prefix = pascal(&message.name);
    let mut names = vec![format!("{prefix}Encoder"), format!("{prefix}Decoder")];
    fn groups(prefix: &str, body: &Body, names: &mut Vec<String>) {
        for g in &body.groups {
            let name = format!("{prefix}{}", pascal(&g.name));
            names.push(format!("{name}Encoder"));
            names.push(format!("{name}Decoder"));
            groups(&name, &g.body, names);
        }
    }
    groups(&prefix, &message.body, &mut names);
    names
}

/// Where a block's codec keeps its position: a message owns it, a group borrows its message's.
#[derive(Clone, Copy)]
pub(super) struct Pos {
    pub group: bool,
}

impl Pos {
    /// The position as a place expression.
    pub fn value(self) -> &'static str {
        if self.group {
            "*self.position"
        } else {
            "self.position"
        }
    }

    /// A mutable borrow of the position for a nested group codec.
    pub fn borrow(self) -> &'static str {
        if self.group {
            "&mut *self.position"
        } else {
            "&mut self.position"
        }
    }
}

/// Method names of one `impl`, to report collisions instead of emitting code that fails to
/// compile.
pub(super) struct Methods {
    owner: String,
    names: Vec<String>,
}

impl Methods {
    pub fn new(owner: &str, reserved: &[&str]) -> Self {
        Methods {
            owner: owner.to_string(),
            names: reserved.iter().map(|n| n.to_string()).collect(),
        }
    }

    /// Claims `name`, and emits the attributes the method needs.
    pub fn claim(&mut self, w: &mut W, name: &str) -> Result<(), SbeError> {
        if self.names.iter().any(|n| n == name) {
            return Err(SbeError::new(
                SbeErrorKind::Duplicate,
                format!("`{}` would have two methods named `{name}`; rename a field", self.owner),
            ));
        }
        self.names.push(name.to_string());
        let bare = name.trim_start_matches("r#");
        if ["to_", "as_", "into_", "from_", "is_"]
            .iter()
            .any(|p| bare.starts_with(p))
        {
            w.line("#[allow(clippy::wrong_self_convention)]");
        }
        Ok(())
    }
}

/// The encoder and decoder of `message` and its groups.
pub(super) fn message(w: &mut W, bytes: Bytes, schema: &Schema, message: &Message) -> Result<(), SbeError> {
    let prefix = pascal(&message.name);
    let header = pascal(&schema.header.name);
    let bl_t = rust_type(schema.header_primitive("blockLength"));
    let tid_t = rust_type(schema.header_primitive("templateId"));
    let id_t = rust_type(schema.header_primitive("schemaId"));
    let ver_t = rust_type(schema.header_primitive("version"));
    let doc = message.description.as_deref().unwrap_or("");
    let consts = |w: &mut W| {
        w.doc("Block length of the message's root block.");
        w.line(&format!(
            "pub const SBE_BLOCK_LENGTH: {bl_t} = {};",
            message.block_length
        ));
        w.doc("Template id of the message.");
        w.line(&format!("pub const SBE_TEMPLATE_ID: {tid_t} = {};", message.id));
        w.doc("Id of the schema.");
        w.line(&format!("pub const SBE_SCHEMA_ID: {id_t} = SBE_SCHEMA_ID;"));
        w.doc("Version of the schema.");
        w.line(&format!("pub const SBE_SCHEMA_VERSION: {ver_t} = SBE_SCHEMA_VERSION;"));
    };
    let offset_of = |member: &str| schema.header.member(member).map_or(0, |m| m.offset);

    // Encoder.
    let enc = format!("{prefix}Encoder");
    let mut methods = Methods::new(&enc, &["wrap", "wrap_and_apply_header", "encoded_length"]);
    w.line("");
    w.doc(&format!(
        "Encoder of the `{}` message (template id {}). {doc}",
        message.name, message.id
    ));
    w.line("#[derive(Debug)]");
    w.open(&format!("pub struct {enc}<'a>"));
    w.line("buf: &'a mut [u8],");
    w.line("offset: usize,");
    w.line("position: usize,");
    w.close();
    w.line("");
    w.open(&format!("impl<'a> {enc}<'a>"));
    consts(w);
    w.line("");
    w.doc("Wraps `buf` to encode the root block at `offset` (after the message header, if any).");
    w.open("pub fn wrap(buf: &'a mut [u8], offset: usize) -> Result<Self, SbeCodecError>");
    w.line(&format!(
        "let position = sbe_check(buf.len(), offset, {})?;",
        message.block_length
    ));
    w.line("Ok(Self { buf, offset, position })");
    w.close();
    w.line("");
    w.doc("Writes the message header at `offset` of `buf`, then wraps the root block after it.");
    w.open("pub fn wrap_and_apply_header(buf: &'a mut [u8], offset: usize) -> Result<Self, SbeCodecError>");
    w.line(&format!("sbe_check(buf.len(), offset, {header}::ENCODED_LENGTH)?;"));
    for (member, value) in [
        ("blockLength", "Self::SBE_BLOCK_LENGTH"),
        ("templateId", "Self::SBE_TEMPLATE_ID"),
        ("schemaId", "SBE_SCHEMA_ID"),
        ("version", "SBE_SCHEMA_VERSION"),
    ] {
        w.line(&bytes.write("buf", &at("offset", offset_of(member)), value));
    }
    w.line(&format!("Self::wrap(buf, offset + {header}::ENCODED_LENGTH)"));
    w.close();
    w.line("");
    w.doc("Bytes encoded so far from the start of the root block (the header not included).");
    w.open("pub fn encoded_length(&self) -> usize");
    w.line("self.position - self.offset");
    w.close();
    encoder_members(w, bytes, &prefix, &message.body, Pos { group: false }, &mut methods)?;
    w.close();
    for g in &message.body.groups {
        group_encoder(w, bytes, &prefix, g)?;
    }

    // Decoder.
    let dec = format!("{prefix}Decoder");
    let mut methods = Methods::new(
        &dec,
        &[
            "wrap",
            "wrap_with_header",
            "acting_version",
            "acting_block_length",
            "encoded_length",
        ],
    );
    w.line("");
    w.doc(&format!(
        "Decoder of the `{}` message (template id {}). {doc}",
        message.name, message.id
    ));
    w.line("#[derive(Debug, Clone, Copy)]");
    w.open(&format!("pub struct {dec}<'a>"));
    w.line("buf: &'a [u8],");
    w.line("offset: usize,");
    w.line("acting_block_length: usize,");
    w.line(&format!("acting_version: {ver_t},"));
    w.line("position: usize,");
    w.close();
    w.line("");
    w.open(&format!("impl<'a> {dec}<'a>"));
    consts(w);
    w.line("");
    w.doc("Wraps `buf` to decode a root block of `acting_block_length` bytes at `offset`, encoded in schema version `acting_version` (both from the message header).");
    w.open(&format!(
        "pub fn wrap(buf: &'a [u8], offset: usize, acting_block_length: {bl_t}, acting_version: {ver_t}) -> Result<Self, SbeCodecError>"
    ));
    let bl_prim = schema.header_primitive("blockLength");
    w.line(&format!(
        "let acting_block_length = {};",
        to_usize(bl_prim, "acting_block_length")
    ));
    w.line("let position = sbe_check(buf.len(), offset, acting_block_length)?;");
    w.line("Ok(Self { buf, offset, acting_block_length, acting_version, position })");
    w.close();
    w.line("");
    w.doc("Decodes the message header at `offset` of `buf`, checks that it announces this message of this schema, and wraps the root block after it.");
    w.open("pub fn wrap_with_header(buf: &'a [u8], offset: usize) -> Result<Self, SbeCodecError>");
    w.line(&format!("let header = {header}::decode(buf, offset)?;"));
    let id_prim = schema.header_primitive("schemaId");
    let tid_prim = schema.header_primitive("templateId");
    w.open("if header.schema_id != SBE_SCHEMA_ID");
    w.line(&format!(
        "return Err(SbeCodecError::UnexpectedSchemaId {{ expected: {}, found: {} }});",
        to_u64(id_prim, "SBE_SCHEMA_ID"),
        to_u64(id_prim, "header.schema_id")
    ));
    w.close();
    w.open("if header.template_id != Self::SBE_TEMPLATE_ID");
    w.line(&format!(
        "return Err(SbeCodecError::UnexpectedTemplateId {{ expected: {}, found: {} }});",
        to_u64(tid_prim, "Self::SBE_TEMPLATE_ID"),
        to_u64(tid_prim, "header.template_id")
    ));
    w.close();
    w.line(&format!(
        "Self::wrap(buf, offset + {header}::ENCODED_LENGTH, header.block_length, header.version)"
    ));
    w.close();
    w.line("");
    w.doc("The schema version the message was encoded in.");
    w.open(&format!("pub fn acting_version(&self) -> {ver_t}"));
    w.line("self.acting_version");
    w.close();
    w.line("");
    w.doc("Length of the root block as encoded.");
    w.open("pub fn acting_block_length(&self) -> usize");
    w.line("self.acting_block_length");
    w.close();
    w.line("");
    w.doc("Bytes decoded so far from the start of the root block (the header not included).");
    w.open("pub fn encoded_length(&self) -> usize");
    w.line("self.position - self.offset");
    w.close();
    decoder_members(w, bytes, &prefix, &message.body, Pos { group: false }, &mut methods)?;
    w.close();
    for g in &message.body.groups {
        group_decoder(w, bytes, ver_t, &prefix, g)?;
    }
    Ok(())
}
