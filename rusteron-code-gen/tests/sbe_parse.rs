//! The SBE schema parser: the fixture schema's model (types, offsets, block lengths,
//! presence, versions), and typed errors for malformed schemas.

use rusteron_code_gen::sbe::{
    parse_schema, ByteOrder, FieldType, Number, Presence, Primitive, SbeErrorKind, Schema, TypeDef,
};

const SCHEMA: &str = include_str!("fixtures/sbe/fixture-schema.xml");

fn fixture() -> Schema {
    parse_schema(SCHEMA).expect("fixture schema parses")
}

/// `(name, offset, encoded length)` of each field.
fn layout(fields: &[rusteron_code_gen::sbe::Field]) -> Vec<(&str, usize, usize)> {
    fields
        .iter()
        .map(|f| (f.name.as_str(), f.offset, f.encoded_length()))
        .collect()
}

#[test]
fn schema_attributes() {
    let schema = fixture();
    assert_eq!(schema.package, "rusteron.fixture");
    assert_eq!((schema.id, schema.version), (42, 3));
    assert_eq!(schema.semantic_version.as_deref(), Some("1.2"));
    assert_eq!(schema.byte_order, ByteOrder::LittleEndian);
    assert_eq!(schema.header.name, "messageHeader");
    assert_eq!(schema.header.encoded_length, 8);
    assert_eq!(schema.header_primitive("templateId"), Primitive::Uint16);
}

#[test]
fn every_named_type_in_document_order() {
    let schema = fixture();
    let names: Vec<&str> = schema.types.iter().map(TypeDef::name).collect();
    assert_eq!(
        names,
        [
            "messageHeader",
            "groupSizeEncoding",
            "smallGroupSize",
            "varStringEncoding",
            "varDataEncoding",
            "Decimal",
            "Booster",
            "BoostType",
            "Side",
            "Status",
            "gradeEncoding",
            "Grade",
            "Flags",
            "WideFlags",
            "Timestamp",
            "OptionalPrice",
            "Symbol",
            "Ratio",
            "OptionalRatio",
            "MagicNumber",
            "Venue",
            "Matrix",
        ]
    );
}

#[test]
fn enums_sets_and_encodings() {
    let schema = fixture();
    let find = |name: &str| schema.types.iter().find(|t| t.name() == name).unwrap().clone();
    let TypeDef::Enum(side) = find("Side") else {
        panic!("Side is an enum")
    };
    assert_eq!(side.encoding, Primitive::Uint8);
    assert_eq!(side.null_value, 255);
    assert_eq!(
        side.values
            .iter()
            .map(|v| (v.name.as_str(), v.value))
            .collect::<Vec<_>>(),
        [("BUY", 1), ("SELL", 2)]
    );
    let TypeDef::Enum(status) = find("Status") else {
        panic!()
    };
    assert_eq!(status.null_value, i32::MIN.into());
    assert_eq!((status.values[2].value, status.values[2].since_version), (-5, 2));
    let TypeDef::Enum(grade) = find("Grade") else { panic!() };
    assert_eq!(grade.encoding, Primitive::Char, "encodingType through a named <type>");
    assert_eq!((grade.values[0].value, grade.null_value), (i128::from(b'A'), 0));
    let TypeDef::Set(wide) = find("WideFlags") else {
        panic!()
    };
    assert_eq!(wide.encoding, Primitive::Uint32);
    assert_eq!((wide.choices[1].bit, wide.choices[1].since_version), (31, 2));
    let TypeDef::Encoding(price) = find("OptionalPrice") else {
        panic!()
    };
    assert_eq!((price.presence, price.null()), (Presence::Optional, Number::Int(-1)));
    let TypeDef::Encoding(symbol) = find("Symbol") else {
        panic!()
    };
    assert_eq!((symbol.length, symbol.encoded_length()), (8, 8));
    assert_eq!(symbol.character_encoding.as_deref(), Some("US-ASCII"));
    let TypeDef::Encoding(venue) = find("Venue") else {
        panic!()
    };
    assert_eq!(
        (venue.presence, venue.constant.as_deref(), venue.encoded_length()),
        (Presence::Constant, Some("XLON"), 0)
    );
    let TypeDef::Encoding(ratio) = find("OptionalRatio") else {
        panic!()
    };
    assert!(matches!(ratio.null(), Number::Float(f) if f.is_nan()));
    assert_eq!(Primitive::Int32.default_min(), Number::Int(i128::from(i32::MIN) + 1));
    assert_eq!(Primitive::Uint16.default_max(), Number::Int(65534));
}

#[test]
fn composites_with_nested_types_references_and_offsets() {
    let schema = fixture();
    let TypeDef::Composite(booster) = schema.types.iter().find(|t| t.name() == "Booster").unwrap().clone() else {
        panic!("Booster is a composite")
    };
    assert_eq!(
        layout(&booster.members),
        [
            ("BoostType", 0, 1),
            ("horsePower", 1, 1),
            ("rating", 2, 9),
            ("flags", 11, 1),
            ("kind", 12, 0),
            ("spare", 14, 2)
        ]
    );
    assert_eq!(booster.encoded_length, 16);
    assert!(matches!(&booster.members[0].ty, FieldType::Enum(e) if e.encoding == Primitive::Char));
    assert!(matches!(&booster.members[2].ty, FieldType::Composite(c) if c.name == "Decimal"));
    assert!(matches!(&booster.members[3].ty, FieldType::Set(s) if s.name == "Flags"));
}

#[test]
fn message_fields_offsets_and_block_length() {
    let schema = fixture();
    let order = &schema.messages[0];
    assert_eq!((order.name.as_str(), order.id, order.block_length), ("Order", 1, 101));
    assert_eq!(
        layout(&order.body.fields),
        [
            ("orderId", 0, 8),
            ("price", 8, 9),
            ("side", 17, 1),
            ("flags", 18, 1),
            ("symbol", 19, 8),
            ("quantity", 27, 4),
            ("timestamp", 31, 8),
            ("limitPrice", 39, 4),
            ("magic", 43, 0),
            ("venue", 43, 0),
            ("fixedSide", 43, 0),
            ("ratio", 43, 8),
            ("optionalRatio", 51, 4),
            ("matrix", 55, 6),
            ("grade", 61, 1),
            ("booster", 62, 16),
            ("wide", 78, 4),
            ("maybeCount", 82, 2),
            ("status", 84, 4),
            ("reserved", 100, 1),
        ]
    );
    let field = |name: &str| order.body.fields.iter().find(|f| f.name == name).unwrap();
    assert_eq!(field("fixedSide").presence, Presence::Constant);
    assert_eq!(field("fixedSide").value_ref.as_deref(), Some("SELL"));
    assert_eq!(field("maybeCount").presence, Presence::Optional);
    assert_eq!(field("status").since_version, 2);
    assert_eq!(
        (
            field("timestamp").epoch.as_deref(),
            field("timestamp").time_unit.as_deref()
        ),
        (Some("unix"), Some("nanosecond"))
    );
    assert_eq!(field("orderId").id, Some(1));

    let legacy = &schema.messages[2];
    assert_eq!((legacy.block_length, legacy.since_version), (24, 1));
    assert_eq!(layout(&legacy.body.fields), [("first", 4, 4), ("second", 16, 8)]);
}

#[test]
fn groups_and_var_data() {
    let schema = fixture();
    let order = &schema.messages[0];
    let legs = &order.body.groups[0];
    assert_eq!((legs.name.as_str(), legs.id, legs.block_length), ("legs", 21, 14));
    assert_eq!(
        (legs.dimension.name.as_str(), legs.dimension.encoded_length),
        ("groupSizeEncoding", 4)
    );
    assert_eq!(
        layout(&legs.body.fields),
        [("legId", 0, 4), ("legSide", 4, 1), ("legPrice", 5, 9)]
    );
    let fills = &legs.body.groups[0];
    assert_eq!(
        (
            fills.dimension.name.as_str(),
            fills.block_length,
            fills.num_in_group_offset
        ),
        ("smallGroupSize", 4, 1)
    );
    assert_eq!(fills.dimension_num_in_group.primitive, Primitive::Uint8);
    assert_eq!(
        (fills.dimension_num_in_group.min(), fills.dimension_num_in_group.max()),
        (Number::Int(1), Number::Int(10))
    );
    assert_eq!(fills.body.var_data[0].name, "fillNote");
    assert_eq!(legs.body.var_data[0].name, "legNote");

    let vars: Vec<(&str, usize, i128, u32)> = order
        .body
        .var_data
        .iter()
        .map(|v| (v.name.as_str(), v.header_length, v.max_length(), v.since_version))
        .collect();
    assert_eq!(
        vars,
        [("text", 4, 1024, 0), ("blob", 2, 65534, 0), ("extra", 4, 1024, 3)]
    );
    assert_eq!(order.body.var_data[0].data.character_encoding.as_deref(), Some("UTF-8"));
    assert_eq!(order.body.var_data[1].data.character_encoding, None);
    assert_eq!(schema.messages[1].body.groups[0].since_version, 2);
}

/// A schema around `types` and `messages`, with a standard header.
fn schema_with(types: &str, messages: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<sbe:messageSchema xmlns:sbe="http://fixprotocol.io/2016/sbe" package="t" id="1" version="0">
  <types>
    <composite name="messageHeader">
      <type name="blockLength" primitiveType="uint16"/>
      <type name="templateId" primitiveType="uint16"/>
      <type name="schemaId" primitiveType="uint16"/>
      <type name="version" primitiveType="uint16"/>
    </composite>
    <composite name="groupSizeEncoding">
      <type name="blockLength" primitiveType="uint16"/>
      <type name="numInGroup" primitiveType="uint16"/>
    </composite>
    {types}
  </types>
  {messages}
</sbe:messageSchema>"#
    )
}

fn message(body: &str) -> String {
    schema_with("", &format!(r#"<sbe:message name="M" id="1">{body}</sbe:message>"#))
}

fn expect_error(xml: &str, kind: SbeErrorKind, fragment: &str) {
    let err = parse_schema(xml).expect_err("schema must be rejected");
    assert_eq!(err.kind(), kind, "{err}");
    assert!(
        err.message().contains(fragment),
        "`{}` lacks `{fragment}`",
        err.message()
    );
    assert!(err.to_string().starts_with("SBE schema: "), "{err}");
}

#[test]
fn the_minimal_schema_parses() {
    let schema = parse_schema(&message(r#"<field name="a" id="1" type="int64"/>"#)).unwrap();
    assert_eq!(schema.messages[0].block_length, 8);
}

#[test]
fn char_values_are_characters() {
    let xml = schema_with(
        r#"<enum name="E" encodingType="char"><validValue name="ONE">1</validValue><validValue name="A">A</validValue></enum>
           <type name="c" primitiveType="char" nullValue="0x20"/>"#,
        "",
    );
    let schema = parse_schema(&xml).unwrap();
    let TypeDef::Enum(e) = schema.types.iter().find(|t| t.name() == "E").unwrap().clone() else {
        panic!("E is an enum")
    };
    assert_eq!((e.values[0].value, e.values[1].value), (0x31, 0x41));
    let TypeDef::Encoding(c) = schema.types.iter().find(|t| t.name() == "c").unwrap().clone() else {
        panic!("c is a type")
    };
    assert_eq!(c.null(), Number::Int(0x20));
}

#[test]
fn malformed_xml_and_root() {
    expect_error("<messageSchema", SbeErrorKind::Xml, "");
    expect_error("<types/>", SbeErrorKind::Xml, "not <messageSchema>");
}

#[test]
fn missing_attributes() {
    expect_error(
        &schema_with("", "").replace(r#" id="1" version="0""#, ""),
        SbeErrorKind::MissingAttribute,
        "`id`",
    );
    expect_error(
        &message(r#"<field name="a" id="1"/>"#),
        SbeErrorKind::MissingAttribute,
        "`type`",
    );
    expect_error(
        &message(r#"<field id="1" type="int8"/>"#),
        SbeErrorKind::MissingAttribute,
        "`name`",
    );
    expect_error(
        &schema_with(r#"<type name="x"/>"#, ""),
        SbeErrorKind::MissingAttribute,
        "`primitiveType`",
    );
    expect_error(
        &schema_with(
            r#"<enum name="E" encodingType="uint8"/>"#,
            r#"<sbe:message name="M" id="1"><field name="e" id="1" type="E" presence="constant"/></sbe:message>"#,
        ),
        SbeErrorKind::MissingAttribute,
        "`valueRef`",
    );
}

#[test]
fn unknown_types() {
    expect_error(
        &message(r#"<field name="a" id="1" type="Nope"/>"#),
        SbeErrorKind::UnknownType,
        "`Nope`",
    );
    expect_error(
        &schema_with(r#"<type name="x" primitiveType="int128"/>"#, ""),
        SbeErrorKind::UnknownType,
        "int128",
    );
    expect_error(
        &schema_with(r#"<composite name="c"><ref name="r" type="Missing"/></composite>"#, ""),
        SbeErrorKind::UnknownType,
        "`Missing`",
    );
    expect_error(
        &message(r#"<data name="d" id="1" type="varNothing"/>"#),
        SbeErrorKind::UnknownType,
        "varNothing",
    );
}

#[test]
fn bad_numbers() {
    expect_error(
        &message(r#"<field name="a" id="x1" type="int8"/>"#),
        SbeErrorKind::BadNumber,
        "id=\"x1\"",
    );
    expect_error(
        &schema_with(
            r#"<enum name="E" encodingType="uint8"><validValue name="A">300</validValue></enum>"#,
            "",
        ),
        SbeErrorKind::BadNumber,
        "`300`",
    );
    expect_error(
        &schema_with(r#"<type name="t" primitiveType="int8" nullValue="-129"/>"#, ""),
        SbeErrorKind::BadNumber,
        "-129",
    );
    expect_error(
        &schema_with(
            r#"<set name="S" encodingType="uint8"><choice name="a">8</choice></set>"#,
            "",
        ),
        SbeErrorKind::BadNumber,
        "bit 8",
    );
    expect_error(
        &schema_with("", r#"<sbe:message name="M" id="70000"/>"#),
        SbeErrorKind::BadNumber,
        "template id 70000",
    );
    expect_error(
        &message(r#"<field name="a" id="1" type="int8" offset="-1"/>"#),
        SbeErrorKind::BadNumber,
        "offset",
    );
}

#[test]
fn duplicates() {
    expect_error(
        &schema_with(
            r#"<type name="t" primitiveType="int8"/><type name="t" primitiveType="int16"/>"#,
            "",
        ),
        SbeErrorKind::Duplicate,
        "`t`",
    );
    expect_error(
        &schema_with("", r#"<sbe:message name="A" id="1"/><sbe:message name="B" id="1"/>"#),
        SbeErrorKind::Duplicate,
        "id 1",
    );
    expect_error(
        &schema_with("", r#"<sbe:message name="A" id="1"/><sbe:message name="A" id="2"/>"#),
        SbeErrorKind::Duplicate,
        "`A`",
    );
    expect_error(
        &message(r#"<field name="a" id="1" type="int8"/><field name="a" id="2" type="int8"/>"#),
        SbeErrorKind::Duplicate,
        "`a`",
    );
    expect_error(
        &schema_with(
            r#"<enum name="E" encodingType="uint8"><validValue name="A">1</validValue><validValue name="B">1</validValue></enum>"#,
            "",
        ),
        SbeErrorKind::Duplicate,
        "`B`",
    );
}

#[test]
fn layout_errors() {
    expect_error(
        &message(r#"<field name="a" id="1" type="int64"/><field name="b" id="2" type="int8" offset="4"/>"#),
        SbeErrorKind::Layout,
        "overlaps",
    );
    expect_error(
        &schema_with(
            "",
            r#"<sbe:message name="M" id="1" blockLength="4"><field name="a" id="1" type="int64"/></sbe:message>"#,
        ),
        SbeErrorKind::Layout,
        "blockLength 4",
    );
    expect_error(
        &message(
            r#"<group name="g" id="1"><field name="x" id="1" type="int8"/></group><field name="a" id="2" type="int8"/>"#,
        ),
        SbeErrorKind::Layout,
        "must precede",
    );
}

#[test]
fn invalid_content() {
    expect_error(
        &message(r#"<field name="a" id="1" type="int8" presence="sometimes"/>"#),
        SbeErrorKind::Invalid,
        "sometimes",
    );
    expect_error(
        &schema_with("", "").replace(r#"version="0""#, r#"version="0" byteOrder="middleEndian""#),
        SbeErrorKind::Invalid,
        "middleEndian",
    );
    expect_error(
        &message(r#"<field name="a-b" id="1" type="int8"/>"#),
        SbeErrorKind::Invalid,
        "identifier",
    );
    expect_error(
        &schema_with("", "").replace(r#"<type name="templateId" primitiveType="uint16"/>"#, ""),
        SbeErrorKind::Invalid,
        "`templateId`",
    );
    expect_error(
        &schema_with(r#"<type name="c" primitiveType="int8" presence="constant"/>"#, ""),
        SbeErrorKind::Invalid,
        "no value",
    );
    expect_error(
        &schema_with(
            r#"<composite name="a"><ref name="b" type="b"/></composite><composite name="b"><ref name="a" type="a"/></composite>"#,
            "",
        ),
        SbeErrorKind::Invalid,
        "contains itself",
    );
    expect_error(
        &schema_with(
            r#"<enum name="E" encodingType="uint8"><validValue name="A">1</validValue></enum>"#,
            r#"<sbe:message name="M" id="1"><field name="e" id="1" type="E" presence="constant" valueRef="E.Z"/></sbe:message>"#,
        ),
        SbeErrorKind::Invalid,
        "E.Z",
    );
    expect_error(
        &message(r#"<data name="d" id="1" type="groupSizeEncoding"/>"#),
        SbeErrorKind::Invalid,
        "member `length`",
    );
    expect_error(
        &message(r#"<group name="g" id="1" dimensionType="messageHeader"/>"#),
        SbeErrorKind::Invalid,
        "numInGroup",
    );
    expect_error(
        &message(r#"<field name="a" id="1" type="int8" presence="constant"/>"#),
        SbeErrorKind::Invalid,
        "constant",
    );
    expect_error(&message(r#"<foo/>"#), SbeErrorKind::Invalid, "<foo>");
}

#[test]
fn unsupported_constructs() {
    expect_error(
        &schema_with(
            "",
            r#"<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="more.xml"/>"#,
        ),
        SbeErrorKind::Unsupported,
        "xi:include",
    );
}

#[test]
fn errors_name_the_line() {
    let xml = message("\n\n<field name=\"a\" id=\"1\" type=\"Nope\"/>");
    let err = parse_schema(&xml).unwrap_err();
    let line = xml.lines().position(|l| l.contains("Nope")).unwrap() + 1;
    assert!(err.message().starts_with(&format!("line {line}, <field> `a`")), "{err}");
}
