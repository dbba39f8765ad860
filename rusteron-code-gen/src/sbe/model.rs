//! The in-memory model of an SBE message schema, as [`super::parse_schema`] builds it.
//!
//! Every type reference is resolved while parsing: a field of an enum type carries the
//! [`EnumDef`] itself, a composite carries its members, and every offset and block length is
//! computed, so the emitters never look anything up and never fail on a dangling name.

pub use super::primitive::{ByteOrder, Number, Presence, Primitive};

/// A `<type>`: a primitive, possibly an array, with its null/min/max and presence.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoding {
    /// Name of the `<type>` (the primitive's name for a field typed directly by a primitive).
    pub name: String,
    /// The primitive.
    pub primitive: Primitive,
    /// Effective presence (a field's `presence` overrides its type's).
    pub presence: Presence,
    /// Array length: 1 for a scalar, 0 for the open-ended `varData` of a var-data encoding.
    pub length: usize,
    /// Explicit `nullValue`.
    pub null_value: Option<Number>,
    /// Explicit `minValue`.
    pub min_value: Option<Number>,
    /// Explicit `maxValue`.
    pub max_value: Option<Number>,
    /// `characterEncoding`.
    pub character_encoding: Option<String>,
    /// For `presence="constant"`: the text of the element.
    pub constant: Option<String>,
    /// `semanticType`.
    pub semantic_type: Option<String>,
    /// `description`.
    pub description: Option<String>,
}

impl Encoding {
    /// An encoding that is just `primitive`, as a field typed `type="int64"` has.
    pub fn of_primitive(primitive: Primitive) -> Self {
        Encoding {
            name: primitive.name().to_string(),
            primitive,
            presence: Presence::Required,
            length: 1,
            null_value: None,
            min_value: None,
            max_value: None,
            character_encoding: None,
            constant: None,
            semantic_type: None,
            description: None,
        }
    }

    /// Bytes it occupies in a block (0 for a constant).
    pub fn encoded_length(&self) -> usize {
        if self.presence == Presence::Constant {
            0
        } else {
            self.primitive.size() * self.length
        }
    }

    /// `nullValue`, or the primitive's default null.
    pub fn null(&self) -> Number {
        self.null_value.unwrap_or_else(|| self.primitive.default_null())
    }

    /// `minValue`, or the primitive's default minimum.
    pub fn min(&self) -> Number {
        self.min_value.unwrap_or_else(|| self.primitive.default_min())
    }

    /// `maxValue`, or the primitive's default maximum.
    pub fn max(&self) -> Number {
        self.max_value.unwrap_or_else(|| self.primitive.default_max())
    }
}

/// One `<validValue>` of an enum.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidValue {
    /// Name (`OK`, `RECORDING_UNKNOWN`, ...).
    pub name: String,
    /// Encoded value (a `char` enum's values are byte values).
    pub value: i128,
    /// `sinceVersion`.
    pub since_version: u32,
    /// `description`.
    pub description: Option<String>,
}

/// An `<enum>`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    /// Name of the enum.
    pub name: String,
    /// The encoding primitive (`encodingType`, resolved through a named `<type>`).
    pub encoding: Primitive,
    /// The `NULL_VALUE` of the enum: the encoding type's null value.
    pub null_value: i128,
    /// The values in schema order.
    pub values: Vec<ValidValue>,
    /// `description`.
    pub description: Option<String>,
}

/// One `<choice>` of a set: a bit position.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// Name of the choice.
    pub name: String,
    /// Bit position, 0 = least significant.
    pub bit: u32,
    /// `sinceVersion`.
    pub since_version: u32,
    /// `description`.
    pub description: Option<String>,
}

/// A `<set>`: a bit set of choices.
#[derive(Debug, Clone, PartialEq)]
pub struct SetDef {
    /// Name of the set.
    pub name: String,
    /// The encoding primitive, an unsigned integer.
    pub encoding: Primitive,
    /// The choices in schema order.
    pub choices: Vec<Choice>,
    /// `description`.
    pub description: Option<String>,
}

/// A `<composite>`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeDef {
    /// Name of the composite.
    pub name: String,
    /// Members with their offsets.
    pub members: Vec<Field>,
    /// Encoded length in bytes (end of the last member).
    pub encoded_length: usize,
    /// `description`.
    pub description: Option<String>,
}

impl CompositeDef {
    /// The member called `name`.
    pub fn member(&self, name: &str) -> Option<&Field> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// What a field (or composite member) holds.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    /// A primitive or a `<type>`.
    Encoding(Encoding),
    /// An enum.
    Enum(EnumDef),
    /// A set.
    Set(SetDef),
    /// A composite.
    Composite(Box<CompositeDef>),
}

/// A fixed-size field of a message or group, or a member of a composite.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Name of the field.
    pub name: String,
    /// `id` (`None` for composite members).
    pub id: Option<u32>,
    /// Offset from the start of the block or composite.
    pub offset: usize,
    /// `sinceVersion`.
    pub since_version: u32,
    /// Effective presence.
    pub presence: Presence,
    /// For a constant enum field: the value's name (`valueRef="Enum.VALUE"` without `Enum.`).
    pub value_ref: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `epoch`.
    pub epoch: Option<String>,
    /// `timeUnit`.
    pub time_unit: Option<String>,
    /// `semanticType`.
    pub semantic_type: Option<String>,
    /// The type of the field.
    pub ty: FieldType,
}

impl Field {
    /// Bytes the field occupies in its block.
    pub fn encoded_length(&self) -> usize {
        if self.presence == Presence::Constant {
            return 0;
        }
        match &self.ty {
            FieldType::Encoding(e) => e.encoded_length(),
            FieldType::Enum(e) => e.encoding.size(),
            FieldType::Set(s) => s.encoding.size(),
            FieldType::Composite(c) => c.encoded_length,
        }
    }
}

/// A `<data>` field: a length prefix followed by that many bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct VarData {
    /// Name of the field.
    pub name: String,
    /// `id`.
    pub id: u32,
    /// `sinceVersion`.
    pub since_version: u32,
    /// `description`.
    pub description: Option<String>,
    /// Name of the var-data composite (`varAsciiEncoding`).
    pub type_name: String,
    /// The `length` member's encoding.
    pub length: Encoding,
    /// Bytes from the start of the field to the data (the `varData` member's offset).
    pub header_length: usize,
    /// The `varData` member's encoding (its `characterEncoding` tells text from blobs).
    pub data: Encoding,
}

impl VarData {
    /// The largest length the field may carry (`maxValue` of the length, or its type's max).
    pub fn max_length(&self) -> i128 {
        match self.length.max() {
            Number::Int(v) => v,
            Number::Float(_) => 0,
        }
    }
}

/// Fields, then groups, then var data: the body of a message or group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Body {
    /// Fixed-size fields.
    pub fields: Vec<Field>,
    /// Repeating groups.
    pub groups: Vec<Group>,
    /// Var-data fields.
    pub var_data: Vec<VarData>,
}

/// A repeating `<group>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Name of the group.
    pub name: String,
    /// `id`.
    pub id: u32,
    /// Block length of one entry.
    pub block_length: usize,
    /// `sinceVersion`.
    pub since_version: u32,
    /// `description`.
    pub description: Option<String>,
    /// The dimension composite (`groupSizeEncoding`).
    pub dimension: CompositeDef,
    /// The `blockLength` member of the dimension composite.
    pub dimension_block_length: Encoding,
    /// The `numInGroup` member of the dimension composite.
    pub dimension_num_in_group: Encoding,
    /// Offset of `numInGroup` in the dimension composite.
    pub num_in_group_offset: usize,
    /// Entry contents.
    pub body: Body,
}

/// A `<message>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Name of the message.
    pub name: String,
    /// `id`, the template id.
    pub id: u32,
    /// Block length of the root block.
    pub block_length: usize,
    /// `sinceVersion`.
    pub since_version: u32,
    /// `semanticType`.
    pub semantic_type: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// Contents.
    pub body: Body,
}

/// A named type of the `<types>` section (or nested in a composite).
#[derive(Debug, Clone, PartialEq)]
pub enum TypeDef {
    /// A `<type>`.
    Encoding(Encoding),
    /// An `<enum>`.
    Enum(EnumDef),
    /// A `<set>`.
    Set(SetDef),
    /// A `<composite>`.
    Composite(CompositeDef),
}

impl TypeDef {
    /// Name of the type.
    pub fn name(&self) -> &str {
        match self {
            Self::Encoding(e) => &e.name,
            Self::Enum(e) => &e.name,
            Self::Set(s) => &s.name,
            Self::Composite(c) => &c.name,
        }
    }
}

/// A parsed `<messageSchema>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// `package`.
    pub package: String,
    /// `id`, the schema id.
    pub id: u32,
    /// `version`.
    pub version: u32,
    /// `semanticVersion`.
    pub semantic_version: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `byteOrder`.
    pub byte_order: ByteOrder,
    /// The message header composite (`headerType`, by default `messageHeader`).
    pub header: CompositeDef,
    /// Every named type, in document order (nested types after their composite).
    pub types: Vec<TypeDef>,
    /// Every message, in document order.
    pub messages: Vec<Message>,
}

impl Schema {
    /// The header member called `name` (`blockLength`, `templateId`, `schemaId`, `version`);
    /// the parser has checked that all four exist and are unsigned integers.
    pub fn header_primitive(&self, name: &str) -> Primitive {
        match self.header.member(name).map(|m| &m.ty) {
            Some(FieldType::Encoding(e)) => e.primitive,
            _ => Primitive::Uint16,
        }
    }
}
