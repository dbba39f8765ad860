//! SBE schema → C codec headers and Rust codecs (work in progress).

use std::fmt;

/// One generated file, `path` relative to the include root
/// (e.g. `c/aeron_archive_client/messageHeader.h`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
}

/// Why a schema could not be turned into codecs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbeError(pub String);

impl fmt::Display for SbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SbeError {}

/// Generates the C codec headers for `schema_xml`.
pub fn generate_c_codecs(schema_xml: &str) -> Result<Vec<GeneratedFile>, SbeError> {
    let _ = schema_xml;
    Err(SbeError("the SBE C generator is not written yet".into()))
}
