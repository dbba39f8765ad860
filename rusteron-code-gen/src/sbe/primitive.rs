//! SBE primitive types, numeric values, byte order and presence.

/// An SBE primitive type (`primitiveType` / `encodingType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Primitive {
    /// `char`: one byte of character data.
    Char,
    /// `int8`.
    Int8,
    /// `int16`.
    Int16,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    /// `uint8`.
    Uint8,
    /// `uint16`.
    Uint16,
    /// `uint32`.
    Uint32,
    /// `uint64`.
    Uint64,
    /// `float` (IEEE 754 single precision).
    Float,
    /// `double` (IEEE 754 double precision).
    Double,
}

impl Primitive {
    /// The primitive named `name` in a schema (`"int32"`, `"char"`, ...).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "char" => Self::Char,
            "int8" => Self::Int8,
            "int16" => Self::Int16,
            "int32" => Self::Int32,
            "int64" => Self::Int64,
            "uint8" => Self::Uint8,
            "uint16" => Self::Uint16,
            "uint32" => Self::Uint32,
            "uint64" => Self::Uint64,
            "float" => Self::Float,
            "double" => Self::Double,
            _ => return None,
        })
    }

    /// The schema name of the primitive.
    pub fn name(self) -> &'static str {
        match self {
            Self::Char => "char",
            Self::Int8 => "int8",
            Self::Int16 => "int16",
            Self::Int32 => "int32",
            Self::Int64 => "int64",
            Self::Uint8 => "uint8",
            Self::Uint16 => "uint16",
            Self::Uint32 => "uint32",
            Self::Uint64 => "uint64",
            Self::Float => "float",
            Self::Double => "double",
        }
    }

    /// Encoded size in bytes.
    pub fn size(self) -> usize {
        match self {
            Self::Char | Self::Int8 | Self::Uint8 => 1,
            Self::Int16 | Self::Uint16 => 2,
            Self::Int32 | Self::Uint32 | Self::Float => 4,
            Self::Int64 | Self::Uint64 | Self::Double => 8,
        }
    }

    /// `float` or `double`.
    pub fn is_float(self) -> bool {
        matches!(self, Self::Float | Self::Double)
    }

    /// An unsigned integer type (`char` counts as one).
    pub fn is_unsigned_int(self) -> bool {
        matches!(
            self,
            Self::Char | Self::Uint8 | Self::Uint16 | Self::Uint32 | Self::Uint64
        )
    }

    /// The smallest and largest value the type can physically hold, for integer types.
    pub fn int_range(self) -> Option<(i128, i128)> {
        Some(match self {
            Self::Char | Self::Uint8 => (0, u8::MAX.into()),
            Self::Int8 => (i8::MIN.into(), i8::MAX.into()),
            Self::Int16 => (i16::MIN.into(), i16::MAX.into()),
            Self::Int32 => (i32::MIN.into(), i32::MAX.into()),
            Self::Int64 => (i64::MIN.into(), i64::MAX.into()),
            Self::Uint16 => (0, u16::MAX.into()),
            Self::Uint32 => (0, u32::MAX.into()),
            Self::Uint64 => (0, u64::MAX.into()),
            Self::Float | Self::Double => return None,
        })
    }

    /// The null value the SBE specification gives the type when the schema names none.
    pub fn default_null(self) -> Number {
        match self {
            Self::Char => Number::Int(0),
            Self::Float | Self::Double => Number::Float(f64::NAN),
            Self::Int8 | Self::Int16 | Self::Int32 | Self::Int64 => Number::Int(self.int_range().map_or(0, |r| r.0)),
            _ => Number::Int(self.int_range().map_or(0, |r| r.1)),
        }
    }

    /// The specification's default minimum valid value.
    pub fn default_min(self) -> Number {
        match self {
            Self::Char => Number::Int(0x20),
            Self::Float => Number::Float(-f64::from(f32::MAX)),
            Self::Double => Number::Float(-f64::MAX),
            Self::Int8 | Self::Int16 | Self::Int32 | Self::Int64 => {
                Number::Int(self.int_range().map_or(0, |r| r.0 + 1))
            }
            _ => Number::Int(0),
        }
    }

    /// The specification's default maximum valid value.
    pub fn default_max(self) -> Number {
        match self {
            Self::Char => Number::Int(0x7e),
            Self::Float => Number::Float(f64::from(f32::MAX)),
            Self::Double => Number::Float(f64::MAX),
            Self::Int8 | Self::Int16 | Self::Int32 | Self::Int64 => Number::Int(self.int_range().map_or(0, |r| r.1)),
            _ => Number::Int(self.int_range().map_or(0, |r| r.1 - 1)),
        }
    }
}

/// A numeric value from a schema: integers exactly (an `i128` holds every `int64` and
/// `uint64`), floating point values as `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer (also a `char`, as its byte value).
    Int(i128),
    /// A floating point value; `NaN` is the float null value.
    Float(f64),
}

impl Number {
    /// `text` as a value of `primitive`: decimal or `0x` hex integers within the type's range,
    /// floats (or `NaN`); for `char`, a single ASCII character is that character's code.
    pub fn parse(text: &str, primitive: Primitive) -> Option<Number> {
        let text = text.trim();
        if primitive.is_float() {
            return if text.eq_ignore_ascii_case("nan") {
                Some(Number::Float(f64::NAN))
            } else {
                text.parse::<f64>().ok().map(Number::Float)
            };
        }
        let mut chars = text.chars();
        if let (Primitive::Char, Some(c), None) = (primitive, chars.next(), chars.next()) {
            // As in SBE, a one-character `char` value is that character (`1` is 0x31).
            return c.is_ascii().then_some(Number::Int(c as i128));
        }
        let value = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) => i128::from_str_radix(hex, 16).ok()?,
            None => text.parse::<i128>().ok()?,
        };
        match primitive.int_range() {
            Some((lo, hi)) if value < lo || value > hi => None,
            _ => Some(Number::Int(value)),
        }
    }
}

/// `byteOrder` of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    /// `littleEndian` (the default).
    LittleEndian,
    /// `bigEndian`.
    BigEndian,
}

/// `presence` of a type or field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// A value must be given.
    Required,
    /// The null value means "absent".
    Optional,
    /// Not encoded: the value is fixed by the schema.
    Constant,
}

impl Presence {
    /// The schema spelling, also what the generated `*_meta_attribute` functions report.
    pub fn name(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Optional => "optional",
            Self::Constant => "constant",
        }
    }
}
