//! SBE schema XML → [`Schema`]: attribute parsing, type resolution, offsets and block lengths.

use std::collections::{HashMap, HashSet};

use roxmltree::{Document, Node};

use super::error::{SbeError, SbeErrorKind as K};
use super::model::*;
use super::parse_body::{check_fits, BodyParser};
use super::parse_util::{attr, encoding, err, field_type, missing, name_of, number, parse_num, place, req};

/// Parses and validates `xml` (an SBE `messageSchema`) into a [`Schema`].
pub fn parse_schema(xml: &str) -> Result<Schema, SbeError> {
    let doc = Document::parse(xml).map_err(|e| SbeError::new(K::Xml, e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "messageSchema" {
        return Err(err(
            K::Xml,
            root,
            format!("the root element is <{}>, not <messageSchema>", root.tag_name().name()),
        ));
    }
    let mut types = TypeTable::collect(root)?;
    let header_type = attr(root, "headerType").unwrap_or("messageHeader");
    let header = match types.resolve(header_type, root)? {
        TypeDef::Composite(c) => c,
        _ => {
            return Err(err(
                K::Invalid,
                root,
                format!("headerType `{header_type}` is not a composite"),
            ))
        }
    };
    for member in ["blockLength", "templateId", "schemaId", "version"] {
        match header.member(member).map(|m| &m.ty) {
            Some(FieldType::Encoding(e)) if e.primitive.is_unsigned_int() && e.length == 1 => {}
            _ => {
                return Err(err(
                    K::Invalid,
                    root,
                    format!("header composite `{header_type}` needs an unsigned integer member `{member}`"),
                ))
            }
        }
    }
    let header_max = |name: &str| -> i128 {
        match header.member(name).map(|m| &m.ty) {
            Some(FieldType::Encoding(e)) => e.primitive.int_range().map_or(0, |r| r.1),
            _ => 0,
        }
    };
    let id = parse_num::<u32>(root, "id")?.ok_or_else(|| missing(root, "id"))?;
    let version = parse_num::<u32>(root, "version")?.unwrap_or(0);
    check_fits(root, "schema id", id.into(), header_max("schemaId"))?;
    check_fits(root, "schema version", version.into(), header_max("version"))?;
    let byte_order = match attr(root, "byteOrder").unwrap_or("littleEndian") {
        "littleEndian" => ByteOrder::LittleEndian,
        "bigEndian" => ByteOrder::BigEndian,
        other => {
            return Err(err(
                K::Invalid,
                root,
                format!("byteOrder `{other}` is neither littleEndian nor bigEndian"),
            ))
        }
    };

    let mut messages = Vec::new();
    let mut names = HashSet::new();
    let mut ids = HashSet::new();
    for node in root.children().filter(Node::is_element) {
        match node.tag_name().name() {
            "types" => {}
            "message" => {
                let message = BodyParser { types: &mut types }.message(node)?;
                check_fits(node, "template id", message.id.into(), header_max("templateId"))?;
                check_fits(
                    node,
                    "block length",
                    message.block_length as i128,
                    header_max("blockLength"),
                )?;
                if !names.insert(message.name.clone()) {
                    return Err(err(
                        K::Duplicate,
                        node,
                        format!("a second message is named `{}`", message.name),
                    ));
                }
                if !ids.insert(message.id) {
                    return Err(err(
                        K::Duplicate,
                        node,
                        format!("a second message has id {}", message.id),
                    ));
                }
                messages.push(message);
            }
            "include" => {
                return Err(err(
                    K::Unsupported,
                    node,
                    "xi:include is not supported; inline the included types",
                ))
            }
            other => {
                return Err(err(
                    K::Invalid,
                    node,
                    format!("unexpected element <{other}> in <messageSchema>"),
                ))
            }
        }
    }

    let mut all_types = Vec::new();
    for name in types.order.clone() {
        if let Some(&node) = types.raw.get(&name) {
            all_types.push(types.resolve(&name, node)?);
        }
    }
    Ok(Schema {
        package: attr(root, "package").unwrap_or("").to_string(),
        id,
        version,
        semantic_version: attr(root, "semanticVersion").map(str::to_string),
        description: attr(root, "description").map(str::to_string),
        byte_order,
        header,
        types: all_types,
        messages,
    })
}

/// The named types of the schema: their elements, and the definitions resolved so far.
pub(super) struct TypeTable<'a, 'input> {
    raw: HashMap<String, Node<'a, 'input>>,
    order: Vec<String>,
    resolved: HashMap<String, TypeDef>,
    resolving: Vec<String>,
}

impl<'a, 'input> TypeTable<'a, 'input> {
    /// Registers every named type under `<types>`, including enums, sets and composites
    /// defined inline in a composite.
    fn collect(root: Node<'a, 'input>) -> Result<Self, SbeError> {
        let mut table = TypeTable {
            raw: HashMap::new(),
            order: Vec::new(),
            resolved: HashMap::new(),
            resolving: Vec::new(),
        };
        for types in root
            .children()
            .filter(|n| n.is_element() && n.tag_name().name() == "types")
        {
            for node in types.children().filter(Node::is_element) {
                table.register(node)?;
            }
        }
        Ok(table)
    }

    fn register(&mut self, node: Node<'a, 'input>) -> Result<(), SbeError> {
        let tag = node.tag_name().name();
        if !matches!(tag, "type" | "enum" | "set" | "composite") {
            return Err(err(K::Invalid, node, format!("unexpected element <{tag}> in <types>")));
        }
        let name = name_of(node)?;
        if self.raw.insert(name.to_string(), node).is_some() {
            return Err(err(K::Duplicate, node, format!("a second type is named `{name}`")));
        }
        self.order.push(name.to_string());
        if tag == "composite" {
            for member in node.children().filter(Node::is_element) {
                if matches!(member.tag_name().name(), "enum" | "set" | "composite") {
                    self.register(member)?;
                }
            }
        }
        Ok(())
    }

    /// The definition of type `name`, referenced from `user` (for error messages).
    pub(super) fn resolve(&mut self, name: &str, user: Node) -> Result<TypeDef, SbeError> {
        if let Some(def) = self.resolved.get(name) {
            return Ok(def.clone());
        }
        let Some(&node) = self.raw.get(name) else {
            return Err(err(
                K::UnknownType,
                user,
                format!("no primitive or type is named `{name}`"),
            ));
        };
        if self.resolving.iter().any(|n| n == name) {
            return Err(err(K::Invalid, node, format!("type `{name}` contains itself")));
        }
        self.resolving.push(name.to_string());
        let def = match node.tag_name().name() {
            "type" => TypeDef::Encoding(encoding(node)?),
            "enum" => TypeDef::Enum(self.enum_def(node)?),
            "set" => TypeDef::Set(self.set_def(node)?),
            _ => TypeDef::Composite(self.composite(node)?),
        };
        self.resolving.pop();
        self.resolved.insert(name.to_string(), def.clone());
        Ok(def)
    }

    /// The primitive of an `encodingType`: a primitive name or a named `<type>`, with the null
    /// value the type gives it.
    fn encoding_type(&mut self, node: Node) -> Result<(Primitive, Number), SbeError> {
        let name = req(node, "encodingType")?;
        if let Some(p) = Primitive::from_name(name) {
            return Ok((p, p.default_null()));
        }
        match self.resolve(name, node)? {
            TypeDef::Encoding(e) if e.length == 1 => Ok((e.primitive, e.null())),
            _ => Err(err(
                K::Invalid,
                node,
                format!("encodingType `{name}` is not a scalar <type>"),
            )),
        }
    }

    fn enum_def(&mut self, node: Node) -> Result<EnumDef, SbeError> {
        let name = name_of(node)?.to_string();
        let (encoding, null) = self.encoding_type(node)?;
        if encoding.is_float() {
            return Err(err(
                K::Invalid,
                node,
                format!("enum `{name}` has a floating point encodingType"),
            ));
        }
        let Number::Int(null_value) = null else {
            return Err(err(
                K::BadNumber,
                node,
                format!("enum `{name}` has a non-integer null value"),
            ));
        };
        let mut values: Vec<ValidValue> = Vec::new();
        for v in node.children().filter(Node::is_element) {
            if v.tag_name().name() != "validValue" {
                return Err(err(
                    K::Invalid,
                    v,
                    format!("unexpected <{}> in enum `{name}`", v.tag_name().name()),
                ));
            }
            let text = v.text().unwrap_or("").trim();
            let Number::Int(value) = number(v, text, encoding)? else {
                return Err(err(K::BadNumber, v, format!("enum value `{text}` is not an integer")));
            };
            let value_name = name_of(v)?.to_string();
            if values.iter().any(|o| o.name == value_name || o.value == value) {
                return Err(err(
                    K::Duplicate,
                    v,
                    format!("enum `{name}` repeats the name or value of `{value_name}`"),
                ));
            }
            values.push(ValidValue {
                name: value_name,
                value,
                since_version: parse_num(v, "sinceVersion")?.unwrap_or(0),
                description: attr(v, "description").map(str::to_string),
            });
        }
        Ok(EnumDef {
            name,
            encoding,
            null_value,
            values,
            description: attr(node, "description").map(str::to_string),
        })
    }

    fn set_def(&mut self, node: Node) -> Result<SetDef, SbeError> {
        let name = name_of(node)?.to_string();
        let (encoding, _) = self.encoding_type(node)?;
        if !encoding.is_unsigned_int() || encoding == Primitive::Char {
            return Err(err(
                K::Invalid,
                node,
                format!("set `{name}` must be encoded as uint8/16/32/64"),
            ));
        }
        let mut choices: Vec<Choice> = Vec::new();
        for c in node.children().filter(Node::is_element) {
            if c.tag_name().name() != "choice" {
                return Err(err(
                    K::Invalid,
                    c,
                    format!("unexpected <{}> in set `{name}`", c.tag_name().name()),
                ));
            }
            let text = c.text().unwrap_or("").trim();
            let bit: u32 = text
                .parse()
                .map_err(|_| err(K::BadNumber, c, format!("choice bit `{text}` is not a number")))?;
            if bit as usize >= encoding.size() * 8 {
                return Err(err(
                    K::BadNumber,
                    c,
                    format!("choice bit {bit} does not fit {}", encoding.name()),
                ));
            }
            let choice_name = name_of(c)?.to_string();
            if choices.iter().any(|o| o.name == choice_name || o.bit == bit) {
                return Err(err(
                    K::Duplicate,
                    c,
                    format!("set `{name}` repeats the name or bit of `{choice_name}`"),
                ));
            }
            choices.push(Choice {
                name: choice_name,
                bit,
                since_version: parse_num(c, "sinceVersion")?.unwrap_or(0),
                description: attr(c, "description").map(str::to_string),
            });
        }
        Ok(SetDef {
            name,
            encoding,
            choices,
            description: attr(node, "description").map(str::to_string),
        })
    }

    fn composite(&mut self, node: Node) -> Result<CompositeDef, SbeError> {
        let name = name_of(node)?.to_string();
        let mut members: Vec<Field> = Vec::new();
        let mut offset = 0usize;
        for m in node.children().filter(Node::is_element) {
            let member_name = name_of(m)?.to_string();
            let ty = match m.tag_name().name() {
                "type" => FieldType::Encoding(encoding(m)?),
                "enum" | "set" | "composite" => field_type(self.resolve(&member_name, m)?),
                "ref" => {
                    let target = req(m, "type")?;
                    match Primitive::from_name(target) {
                        Some(p) => FieldType::Encoding(Encoding::of_primitive(p)),
                        None => field_type(self.resolve(target, m)?),
                    }
                }
                other => {
                    return Err(err(
                        K::Invalid,
                        m,
                        format!("unexpected <{other}> in composite `{name}`"),
                    ))
                }
            };
            if members.iter().any(|o| o.name == member_name) {
                return Err(err(
                    K::Duplicate,
                    m,
                    format!("composite `{name}` has two members named `{member_name}`"),
                ));
            }
            let presence = match &ty {
                FieldType::Encoding(e) => e.presence,
                _ => Presence::Required,
            };
            let mut field = Field {
                name: member_name,
                id: None,
                offset: 0,
                since_version: parse_num(m, "sinceVersion")?.unwrap_or(0),
                presence,
                value_ref: None,
                description: attr(m, "description").map(str::to_string),
                epoch: attr(m, "epoch").map(str::to_string),
                time_unit: attr(m, "timeUnit").map(str::to_string),
                semantic_type: attr(m, "semanticType").map(str::to_string),
                ty,
            };
            offset = place(m, offset, &mut field)?;
            members.push(field);
        }
        Ok(CompositeDef {
            name,
            members,
            encoded_length: offset,
            description: attr(node, "description").map(str::to_string),
        })
    }
}
