//! Messages and groups: fields, repeating groups and var data, with their offsets.

use std::collections::HashSet;

use roxmltree::Node;

use super::error::{SbeError, SbeErrorKind as K};
use super::model::*;
use super::parse::TypeTable;
use super::parse_util::{attr, err, field_type, missing, name_of, parse_num, place, presence, req};

/// Parses message bodies against the schema's types.
pub(super) struct BodyParser<'t, 'a, 'input> {
    /// The schema's named types.
    pub types: &'t mut TypeTable<'a, 'input>,
}

impl BodyParser<'_, '_, '_> {
    /// A `<message>` element.
    pub fn message(&mut self, node: Node) -> Result<Message, SbeError> {
        let name = name_of(node)?.to_string();
        let id = parse_num::<u32>(node, "id")?.ok_or_else(|| missing(node, "id"))?;
        let (body, end) = self.body(node)?;
        Ok(Message {
            name,
            id,
            block_length: block_length(node, end)?,
            since_version: parse_num(node, "sinceVersion")?.unwrap_or(0),
            semantic_type: attr(node, "semanticType").map(str::to_string),
            description: attr(node, "description").map(str::to_string),
            body,
        })
    }

    /// The children of a message or group, and where its fixed fields end.
    fn body(&mut self, node: Node) -> Result<(Body, usize), SbeError> {
        let mut body = Body::default();
        let mut offset = 0usize;
        let mut stage = 0u8;
        let mut names = HashSet::new();
        for child in node.children().filter(Node::is_element) {
            let tag = child.tag_name().name();
            let child_stage = match tag {
                "field" => 0,
                "group" => 1,
                "data" => 2,
                other => return Err(err(K::Invalid, child, format!("unexpected element <{other}>"))),
            };
            if child_stage < stage {
                return Err(err(
                    K::Layout,
                    child,
                    "fields must precede groups, and groups must precede data",
                ));
            }
            stage = child_stage;
            let name = name_of(child)?;
            if !names.insert(name.to_string()) {
                return Err(err(K::Duplicate, child, format!("a second member is named `{name}`")));
            }
            match tag {
                "field" => {
                    let mut field = self.field(child)?;
                    offset = place(child, offset, &mut field)?;
                    body.fields.push(field);
                }
                "group" => body.groups.push(self.group(child)?),
                _ => body.var_data.push(self.data(child)?),
            }
        }
        Ok((body, offset))
    }

    fn field(&mut self, node: Node) -> Result<Field, SbeError> {
        let name = name_of(node)?.to_string();
        let id = parse_num::<u32>(node, "id")?.ok_or_else(|| missing(node, "id"))?;
        let type_name = req(node, "type")?;
        let mut ty = match Primitive::from_name(type_name) {
            Some(p) => FieldType::Encoding(Encoding::of_primitive(p)),
            None => field_type(self.types.resolve(type_name, node)?),
        };
        let declared = presence(node)?;
        let presence = match (&mut ty, declared) {
            (FieldType::Encoding(e), Some(p)) => {
                if p == Presence::Constant && e.constant.is_none() {
                    return Err(err(
                        K::Invalid,
                        node,
                        "a constant field needs a type with presence=\"constant\"",
                    ));
                }
                if p != Presence::Constant && e.presence == Presence::Constant {
                    return Err(err(K::Invalid, node, format!("type `{}` is constant", e.name)));
                }
                e.presence = p;
                p
            }
            (FieldType::Encoding(e), None) => e.presence,
            (FieldType::Set(_) | FieldType::Composite(_), Some(Presence::Constant)) => {
                return Err(err(K::Invalid, node, "only primitive and enum fields can be constant"))
            }
            (_, p) => p.unwrap_or(Presence::Required),
        };
        let value_ref = match (attr(node, "valueRef"), &ty) {
            (None, FieldType::Enum(_)) if presence == Presence::Constant => {
                return Err(missing(node, "valueRef"));
            }
            (None, _) => None,
            (Some(r), FieldType::Enum(e)) if presence == Presence::Constant => {
                let (enum_name, value) = r.rsplit_once('.').unwrap_or(("", r));
                if (!enum_name.is_empty() && enum_name != e.name) || !e.values.iter().any(|v| v.name == value) {
                    return Err(err(
                        K::Invalid,
                        node,
                        format!("valueRef `{r}` names no value of enum `{}`", e.name),
                    ));
                }
                Some(value.to_string())
            }
            (Some(_), _) => {
                return Err(err(
                    K::Unsupported,
                    node,
                    "valueRef is only supported on constant enum fields",
                ))
            }
        };
        Ok(Field {
            name,
            id: Some(id),
            offset: 0,
            since_version: parse_num(node, "sinceVersion")?.unwrap_or(0),
            presence,
            value_ref,
            description: attr(node, "description").map(str::to_string),
            epoch: attr(node, "epoch").map(str::to_string),
            time_unit: attr(node, "timeUnit").map(str::to_string),
            semantic_type: attr(node, "semanticType").map(str::to_string),
            ty,
        })
    }

    fn group(&mut self, node: Node) -> Result<Group, SbeError> {
        let name = name_of(node)?.to_string();
        let id = parse_num::<u32>(node, "id")?.ok_or_else(|| missing(node, "id"))?;
        let dimension_type = attr(node, "dimensionType").unwrap_or("groupSizeEncoding");
        let TypeDef::Composite(dimension) = self.types.resolve(dimension_type, node)? else {
            return Err(err(
                K::Invalid,
                node,
                format!("dimensionType `{dimension_type}` is not a composite"),
            ));
        };
        let (dimension_block_length, _) = unsigned_member(node, &dimension, "blockLength")?;
        let (dimension_num_in_group, num_in_group_offset) = unsigned_member(node, &dimension, "numInGroup")?;
        let (body, end) = self.body(node)?;
        let block_length = block_length(node, end)?;
        let max = dimension_block_length.primitive.int_range().map_or(0, |r| r.1);
        check_fits(node, "group block length", block_length as i128, max)?;
        Ok(Group {
            name,
            id,
            block_length,
            since_version: parse_num(node, "sinceVersion")?.unwrap_or(0),
            description: attr(node, "description").map(str::to_string),
            dimension,
            dimension_block_length,
            dimension_num_in_group,
            num_in_group_offset,
            body,
        })
    }

    fn data(&mut self, node: Node) -> Result<VarData, SbeError> {
        let name = name_of(node)?.to_string();
        let id = parse_num::<u32>(node, "id")?.ok_or_else(|| missing(node, "id"))?;
        let type_name = req(node, "type")?;
        let TypeDef::Composite(composite) = self.types.resolve(type_name, node)? else {
            return Err(err(
                K::Invalid,
                node,
                format!("var data type `{type_name}` is not a composite"),
            ));
        };
        let (length, length_offset) = unsigned_member(node, &composite, "length")?;
        if length_offset != 0 {
            return Err(err(
                K::Unsupported,
                node,
                format!("the `length` of `{type_name}` must be its first member"),
            ));
        }
        let (data, header_length) = match composite.member("varData") {
            Some(Field {
                ty: FieldType::Encoding(e),
                offset,
                ..
            }) if matches!(e.primitive, Primitive::Uint8 | Primitive::Char | Primitive::Int8) => (e.clone(), *offset),
            _ => {
                return Err(err(
                    K::Invalid,
                    node,
                    format!("var data type `{type_name}` needs a `varData` member of uint8 or char"),
                ))
            }
        };
        Ok(VarData {
            name,
            id,
            since_version: parse_num(node, "sinceVersion")?.unwrap_or(0),
            description: attr(node, "description").map(str::to_string),
            type_name: type_name.to_string(),
            length,
            header_length,
            data,
        })
    }
}

/// The scalar unsigned integer member `name` of `composite`, and its offset.
fn unsigned_member(node: Node, composite: &CompositeDef, name: &str) -> Result<(Encoding, usize), SbeError> {
    match composite.member(name) {
        Some(Field {
            ty: FieldType::Encoding(e),
            offset,
            ..
        }) if e.length == 1 && e.primitive.is_unsigned_int() && e.primitive != Primitive::Char => {
            Ok((e.clone(), *offset))
        }
        _ => Err(err(
            K::Invalid,
            node,
            format!(
                "composite `{}` needs an unsigned integer member `{name}`",
                composite.name
            ),
        )),
    }
}

/// The explicit `blockLength`, checked to cover the fields, or where the fields end.
fn block_length(node: Node, end: usize) -> Result<usize, SbeError> {
    match parse_num::<usize>(node, "blockLength")? {
        Some(explicit) if explicit < end => Err(err(
            K::Layout,
            node,
            format!("blockLength {explicit} is shorter than its fields ({end} bytes)"),
        )),
        Some(explicit) => Ok(explicit),
        None => Ok(end),
    }
}

/// Checks that `value` (the `what` of `node`) fits the header field whose maximum is `max`.
pub(super) fn check_fits(node: Node, what: &str, value: i128, max: i128) -> Result<(), SbeError> {
    if value > max {
        return Err(err(
            K::BadNumber,
            node,
            format!("{what} {value} does not fit its header field (max {max})"),
        ));
    }
    Ok(())
}
