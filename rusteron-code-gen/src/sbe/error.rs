//! [`SbeError`]: why a schema could not be parsed or turned into codecs.

use std::fmt;

/// What kind of problem an [`SbeError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SbeErrorKind {
    /// The text is not well-formed XML, or its root is not a `messageSchema`.
    Xml,
    /// An element lacks an attribute the schema language requires.
    MissingAttribute,
    /// A number (id, offset, length, value, ...) does not parse or does not fit its type.
    BadNumber,
    /// A type reference names no primitive and no type of the schema.
    UnknownType,
    /// Two things that must have distinct names or ids do not.
    Duplicate,
    /// Offsets overlap, a block length is too small, or elements are out of order.
    Layout,
    /// Any other invalid content: a bad name, presence, byte order, constant, ...
    Invalid,
    /// A valid SBE construct this generator does not handle (such as `xi:include`).
    Unsupported,
}

/// Why a schema could not be turned into codecs: a [kind](SbeErrorKind) to match on and a
/// message for people that names the element and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbeError {
    kind: SbeErrorKind,
    message: String,
}

impl SbeError {
    /// An error of `kind` described by `message`.
    pub fn new(kind: SbeErrorKind, message: impl Into<String>) -> Self {
        SbeError {
            kind,
            message: message.into(),
        }
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> SbeErrorKind {
        self.kind
    }

    /// The description, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            SbeErrorKind::Xml => "malformed XML",
            SbeErrorKind::MissingAttribute => "missing attribute",
            SbeErrorKind::BadNumber => "bad number",
            SbeErrorKind::UnknownType => "unknown type",
            SbeErrorKind::Duplicate => "duplicate",
            SbeErrorKind::Layout => "bad layout",
            SbeErrorKind::Invalid => "invalid schema",
            SbeErrorKind::Unsupported => "unsupported",
        };
        write!(f, "SBE schema: {kind}: {}", self.message)
    }
}

impl std::error::Error for SbeError {}
