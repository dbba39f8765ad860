//! Parsing helpers shared by the schema and message parsers: attributes, numbers, `<type>`
//! elements, field placement and error construction.

use roxmltree::Node;

use super::error::{SbeError, SbeErrorKind as K};
use super::model::*;
use super::names::is_identifier;

/// The type of a field typed by the named type `def`.
pub(super) fn field_type(def: TypeDef) -> FieldType {
    match def {
        TypeDef::Encoding(e) => FieldType::Encoding(e),
        TypeDef::Enum(e) => FieldType::Enum(e),
        TypeDef::Set(s) => FieldType::Set(s),
        TypeDef::Composite(c) => FieldType::Composite(Box::new(c)),
    }
}

/// Gives `field` its offset (the explicit `offset` attribute, else `running`) and returns the
/// offset after it.
pub(super) fn place(node: Node, running: usize, field: &mut Field) -> Result<usize, SbeError> {
    let offset = match parse_num::<usize>(node, "offset")? {
        Some(explicit) if explicit < running => {
            return Err(err(
                K::Layout,
                node,
                format!(
                    "`{}` at offset {explicit} overlaps what precedes it (which ends at {running})",
                    field.name
                ),
            ))
        }
        Some(explicit) => explicit,
        None => running,
    };
    field.offset = offset;
    Ok(offset + field.encoded_length())
}

/// A `<type>` element.
pub(super) fn encoding(node: Node) -> Result<Encoding, SbeError> {
    let name = name_of(node)?.to_string();
    let prim_name = req(node, "primitiveType")?;
    let primitive = Primitive::from_name(prim_name).ok_or_else(|| {
        err(
            K::UnknownType,
            node,
            format!("`{prim_name}` is not an SBE primitive type"),
        )
    })?;
    let presence = presence(node)?.unwrap_or(Presence::Required);
    let opt_number = |a: &str| match attr(node, a) {
        Some(text) => number(node, text, primitive).map(Some),
        None => Ok(None),
    };
    let text = node.text().map(str::trim).unwrap_or("");
    let constant = (presence == Presence::Constant).then(|| text.to_string());
    let mut length = parse_num::<usize>(node, "length")?.unwrap_or(1);
    if let Some(value) = &constant {
        if value.is_empty() {
            return Err(err(K::Invalid, node, format!("constant type `{name}` has no value")));
        }
        if primitive == Primitive::Char {
            length = value.len();
        } else {
            number(node, value, primitive)?;
        }
    }
    Ok(Encoding {
        name,
        primitive,
        presence,
        length,
        null_value: opt_number("nullValue")?,
        min_value: opt_number("minValue")?,
        max_value: opt_number("maxValue")?,
        character_encoding: attr(node, "characterEncoding").map(str::to_string),
        constant,
        semantic_type: attr(node, "semanticType").map(str::to_string),
        description: attr(node, "description").map(str::to_string),
    })
}

/// The `presence` attribute.
pub(super) fn presence(node: Node) -> Result<Option<Presence>, SbeError> {
    Ok(match attr(node, "presence") {
        None => None,
        Some("required") => Some(Presence::Required),
        Some("optional") => Some(Presence::Optional),
        Some("constant") => Some(Presence::Constant),
        Some(other) => {
            return Err(err(
                K::Invalid,
                node,
                format!("presence `{other}` is not required/optional/constant"),
            ))
        }
    })
}

/// `text` as a value of `primitive` (see [`Number::parse`]), or a bad-number error.
pub(super) fn number(node: Node, text: &str, primitive: Primitive) -> Result<Number, SbeError> {
    Number::parse(text, primitive).ok_or_else(|| {
        err(
            K::BadNumber,
            node,
            format!("`{}` is not a valid {} value", text.trim(), primitive.name()),
        )
    })
}

/// The value of attribute `name`.
pub(super) fn attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attribute(name)
}

/// The value of the required attribute `name`.
pub(super) fn req<'a>(node: Node<'a, '_>, name: &str) -> Result<&'a str, SbeError> {
    attr(node, name).ok_or_else(|| missing(node, name))
}

/// The `name` attribute, checked to be an identifier.
pub(super) fn name_of<'a>(node: Node<'a, '_>) -> Result<&'a str, SbeError> {
    let name = req(node, "name")?;
    if is_identifier(name) {
        Ok(name)
    } else {
        Err(err(K::Invalid, node, format!("`{name}` is not a valid identifier")))
    }
}

/// Attribute `name` parsed as a number, if present.
pub(super) fn parse_num<T: std::str::FromStr>(node: Node, name: &str) -> Result<Option<T>, SbeError> {
    match attr(node, name) {
        None => Ok(None),
        Some(text) => text.trim().parse().map(Some).map_err(|_| {
            err(
                K::BadNumber,
                node,
                format!("attribute {name}=\"{text}\" is not a valid number here"),
            )
        }),
    }
}

/// A missing-attribute error for `node`.
pub(super) fn missing(node: Node, name: &str) -> SbeError {
    err(K::MissingAttribute, node, format!("the attribute `{name}` is required"))
}

/// An error about `node`, prefixed with its element name, `name` and line.
pub(super) fn err(kind: K, node: Node, message: impl AsRef<str>) -> SbeError {
    let line = node.document().text_pos_at(node.range().start).row;
    let name = node.attribute("name").map(|n| format!(" `{n}`")).unwrap_or_default();
    SbeError::new(
        kind,
        format!("line {line}, <{}>{name}: {}", node.tag_name().name(), message.as_ref()),
    )
}
