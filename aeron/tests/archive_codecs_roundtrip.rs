//! Every message of the real Aeron archive schema through the C codecs the build generated
//! (`rusteron_code_gen::sbe`), checked against the wire layout computed independently from
//! the parsed schema model.
//!
//! The test parses `aeron-archive-codecs.xml` with `rusteron_code_gen::sbe::parse_schema`,
//! generates from that model ONE C program covering every message, compiles it once against
//! the generated headers, and talks to it line by line over a pipe:
//!
//! - `E <template> <capacity> <field values...> <var data hex...>`: encodes with the C codec
//!   (`wrap_and_apply_header`, `set_<field>`, `put_<data>`) into a buffer of `capacity`
//!   bytes, answering the bytes in hex (or where it failed);
//! - `D <hex>`: decodes with the C codec (`messageHeader_wrap`, `wrap_for_decode`,
//!   `<field>` getters, `get_<data>_as_string_view`), answering every field.
//!
//! On the Rust side the model gives the expected bytes (header, each field at its offset,
//! little-endian, var data with its length prefix) and the expected decoding of any buffer,
//! including truncated ones, older and newer versions, longer blocks, corrupt lengths and
//! unknown templates. Random values come from proptest; the program is compiled once and
//! serves every case.
#![cfg(feature = "archive")]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rusteron_code_gen::sbe::{self, ByteOrder, FieldType, Number, Presence, Primitive, Schema};

/// Directory holding `c/aeron_archive_client/*.h` (set by the build script).
const SBE_INCLUDE: &str = env!("AERON_SBE_INCLUDE");
/// `aeron-client/src/main/c` of the Aeron tree (set by the build script).
const CLIENT_INCLUDE: &str = env!("AERON_CLIENT_INCLUDE");
/// Messages in Aeron 1.54's archive schema.
const EXPECTED_MESSAGES: usize = 49;
/// The C namespace of the generated codecs.
const PREFIX: &str = "aeron_archive_client_";
/// Largest buffer the C program encodes into or decodes from.
const BUFFER: usize = 1 << 16;
/// Longest root block of any message (checked against the schema).
const MAX_BLOCK: usize = 256;

/// The Aeron tree: `CLIENT_INCLUDE` is `<tree>/aeron-client/src/main/c`.
fn schema_path() -> PathBuf {
    Path::new(CLIENT_INCLUDE)
        .ancestors()
        .nth(4)
        .expect("the Aeron tree")
        .join("aeron-archive/src/main/resources/archive/aeron-archive-codecs.xml")
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn is_signed(primitive: Primitive) -> bool {
    matches!(
        primitive,
        Primitive::Int8 | Primitive::Int16 | Primitive::Int32 | Primitive::Int64
    )
}

fn c_type(primitive: Primitive) -> &'static str {
    match primitive {
        Primitive::Char => "char",
        Primitive::Int8 => "int8_t",
        Primitive::Int16 => "int16_t",
        Primitive::Int32 => "int32_t",
        Primitive::Int64 => "int64_t",
        Primitive::Uint8 => "uint8_t",
        Primitive::Uint16 => "uint16_t",
        Primitive::Uint32 => "uint32_t",
        Primitive::Uint64 => "uint64_t",
        Primitive::Float | Primitive::Double => unreachable!("no floating point field in the archive schema"),
    }
}

/// `raw` cut to `primitive`'s width, as C's conversion to that type does.
fn fit(primitive: Primitive, raw: i128) -> i128 {
    match primitive {
        Primitive::Int8 => i128::from(raw as i8),
        Primitive::Int16 => i128::from(raw as i16),
        Primitive::Int32 => i128::from(raw as i32),
        Primitive::Int64 => i128::from(raw as i64),
        Primitive::Char | Primitive::Uint8 => i128::from(raw as u8),
        Primitive::Uint16 => i128::from(raw as u16),
        Primitive::Uint32 => i128::from(raw as u32),
        Primitive::Uint64 => i128::from(raw as u64),
        Primitive::Float | Primitive::Double => unreachable!(),
    }
}

fn int(number: Number) -> i128 {
    match number {
        Number::Int(v) => v,
        Number::Float(_) => unreachable!("integer types only"),
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Int,
    /// An enum: its C type name and the values its `_get` accepts (null included).
    Enum {
        c_enum: String,
        known: Vec<i128>,
    },
}

#[derive(Debug, Clone)]
struct Fixed {
    name: String,
    primitive: Primitive,
    offset: usize,
    since: u32,
    null: i128,
    kind: Kind,
}

#[derive(Debug, Clone)]
struct Var {
    name: String,
    since: u32,
    /// Bytes of the length prefix (the `varData` member's offset).
    header: usize,
    length: Primitive,
}

#[derive(Debug, Clone)]
struct MessageModel {
    name: String,
    c_name: String,
    id: u16,
    block_length: usize,
    fields: Vec<Fixed>,
    vars: Vec<Var>,
}

/// The wire layout of the schema, computed from the parsed model (not from the C code).
#[derive(Debug)]
struct Model {
    schema_id: u16,
    version: u16,
    byte_order: ByteOrder,
    header_length: usize,
    /// Offsets of blockLength, templateId, schemaId and version in the header.
    header_offsets: [usize; 4],
    messages: Vec<MessageModel>,
}

impl Model {
    fn from_schema(schema: &Schema) -> Model {
        let member = |name: &str| {
            let m = schema.header.member(name).expect("header member");
            assert_eq!(schema.header_primitive(name), Primitive::Uint16, "{name}");
            m.offset
        };
        let header_offsets = [
            member("blockLength"),
            member("templateId"),
            member("schemaId"),
            member("version"),
        ];
        let messages = schema
            .messages
            .iter()
            .map(|m| {
                assert!(
                    m.body.groups.is_empty(),
                    "{} has groups: extend this test to cover them",
                    m.name
                );
                let fields = m
                    .body
                    .fields
                    .iter()
                    .map(|f| {
                        assert_ne!(
                            f.presence,
                            Presence::Constant,
                            "{}.{}: constant fields are not covered",
                            m.name,
                            f.name
                        );
                        let (primitive, null, kind) = match &f.ty {
                            FieldType::Encoding(e) if e.length == 1 && !e.primitive.is_float() => {
                                (e.primitive, int(e.null()), Kind::Int)
                            }
                            FieldType::Enum(e) => {
                                let mut known: Vec<i128> = e.values.iter().map(|v| v.value).collect();
                                known.push(e.null_value);
                                let c_enum = format!("{PREFIX}{}", lower_first(&e.name));
                                (e.encoding, e.null_value, Kind::Enum { c_enum, known })
                            }
                            other => panic!("{}.{}: {other:?} is not covered: extend this test", m.name, f.name),
                        };
                        Fixed {
                            name: f.name.clone(),
                            primitive,
                            offset: f.offset,
                            since: f.since_version,
                            null,
                            kind,
                        }
                    })
                    .collect();
                let vars = m
                    .body
                    .var_data
                    .iter()
                    .map(|v| Var {
                        name: v.name.clone(),
                        since: v.since_version,
                        header: v.header_length,
                        length: v.length.primitive,
                    })
                    .collect();
                Model::message(m, fields, vars)
            })
            .collect();
        Model {
            schema_id: u16::try_from(schema.id).expect("u16 schema id"),
            version: u16::try_from(schema.version).expect("u16 version"),
            byte_order: schema.byte_order,
            header_length: schema.header.encoded_length,
            header_offsets,
            messages,
        }
    }

    fn message(m: &sbe::Message, fields: Vec<Fixed>, vars: Vec<Var>) -> MessageModel {
        MessageModel {
            name: m.name.clone(),
            c_name: lower_first(&m.name),
            id: u16::try_from(m.id).expect("u16 template id"),
            block_length: m.block_length,
            fields,
            vars,
        }
    }

    fn by_id(&self, id: u16) -> Option<&MessageModel> {
        self.messages.iter().find(|m| m.id == id)
    }

    fn put(&self, bytes: &mut [u8], at: usize, primitive: Primitive, value: i128) {
        let size = primitive.size();
        let le = (value as u128).to_le_bytes();
        let target = &mut bytes[at..at + size];
        target.copy_from_slice(&le[..size]);
        if self.byte_order == ByteOrder::BigEndian {
            target.reverse();
        }
    }

    /// Reads `primitive` at `at`; bytes past the end read as 0 (the C program's buffer is
    /// zeroed before each decode, and C reads fields without checking the buffer length).
    fn get(&self, bytes: &[u8], at: usize, primitive: Primitive) -> i128 {
        let size = primitive.size();
        let mut raw: Vec<u8> = (at..at + size).map(|i| bytes.get(i).copied().unwrap_or(0)).collect();
        if self.byte_order == ByteOrder::BigEndian {
            raw.reverse();
        }
        let mut le = [0u8; 16];
        le[..size].copy_from_slice(&raw);
        fit(primitive, u128::from_le_bytes(le) as i128)
    }

    fn header(&self, block_length: u16, template: u16, schema: u16, version: u16) -> Vec<u8> {
        let mut bytes = vec![0u8; self.header_length];
        for (offset, value) in self
            .header_offsets
            .iter()
            .zip([block_length, template, schema, version])
        {
            self.put(&mut bytes, *offset, Primitive::Uint16, value.into());
        }
        bytes
    }

    /// What the C encoder must produce (or where it must fail) for `values` and `vars` in a
    /// buffer of `capacity` bytes that starts filled with 0xAA.
    fn encode(&self, m: &MessageModel, values: &[i128], vars: &[Vec<u8>], capacity: usize) -> String {
        let block = self.header_length + m.block_length;
        if capacity < block {
            return "ERR wrap".into();
        }
        let mut bytes = vec![0xAAu8; capacity];
        let header = self.header(m.block_length as u16, m.id, self.schema_id, self.version);
        bytes[..self.header_length].copy_from_slice(&header);
        for (f, value) in m.fields.iter().zip(values) {
            self.put(&mut bytes, self.header_length + f.offset, f.primitive, *value);
        }
        let mut position = block;
        for (i, (v, data)) in m.vars.iter().zip(vars).enumerate() {
            if position + v.header + data.len() > capacity {
                return format!("ERR put {i}");
            }
            self.put(&mut bytes, position, v.length, data.len() as i128);
            bytes[position + v.header..position + v.header + data.len()].copy_from_slice(data);
            position += v.header + data.len();
        }
        format!("OK {}", hex(&bytes[..position]))
    }

    /// What the C decoder must print for `bytes`.
    fn decode(&self, bytes: &[u8]) -> String {
        if bytes.len() < self.header_length {
            return "ERR header".into();
        }
        let [block_at, template_at, schema_at, version_at] = self.header_offsets;
        let block_length = self.get(bytes, block_at, Primitive::Uint16) as u64;
        let template = self.get(bytes, template_at, Primitive::Uint16) as u16;
        let schema = self.get(bytes, schema_at, Primitive::Uint16) as u16;
        let version = self.get(bytes, version_at, Primitive::Uint16) as u32;
        if schema != self.schema_id {
            return "ERR schema".into();
        }
        let Some(m) = self.by_id(template) else {
            return format!("ERR template {template}");
        };
        let length = bytes.len() as u64;
        let mut position = self.header_length as u64 + block_length;
        if position > length {
            return "ERR wrap".into();
        }
        let mut out = format!("OK {template}");
        for f in &m.fields {
            let value = if version < f.since {
                f.null
            } else {
                self.get(bytes, self.header_length + f.offset, f.primitive)
            };
            match &f.kind {
                Kind::Enum { known, .. } if !known.contains(&value) => out.push_str(" u"),
                _ => write!(out, " {value}").unwrap(),
            }
        }
        out.push_str(" |");
        for v in &m.vars {
            if version < v.since {
                out.push_str(" -");
                continue;
            }
            let header = v.header as u64;
            if position + header > length {
                out.push_str(" !");
                continue;
            }
            let data_length = self.get(bytes, position as usize, v.length) as u64;
            let end = position + header + data_length;
            if end > length {
                out.push_str(" !");
                continue;
            }
            let data = &bytes[(position + header) as usize..end as usize];
            out.push(' ');
            out.push_str(&token(data));
            position = end;
        }
        out
    }

    /// The line the C decoder prints for a message encoded at the current version from
    /// `values` and `vars`: every value as given (an unknown enum value as `u`).
    fn decoded(&self, m: &MessageModel, values: &[i128], vars: &[Vec<u8>]) -> String {
        let mut out = format!("OK {}", m.id);
        for (f, value) in m.fields.iter().zip(values) {
            match &f.kind {
                Kind::Enum { known, .. } if !known.contains(value) => out.push_str(" u"),
                _ => write!(out, " {value}").unwrap(),
            }
        }
        out.push_str(" |");
        for data in vars {
            out.push(' ');
            out.push_str(&token(data));
        }
        out
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        write!(out, "{b:02x}").unwrap();
    }
    out
}

/// Var data as the C program prints it: `=` for empty, else hex.
fn token(data: &[u8]) -> String {
    if data.is_empty() {
        "=".into()
    } else {
        hex(data)
    }
}

/// The C test program for every message of `model`.
fn c_program(model: &Model) -> String {
    let mut c = String::new();
    c.push_str(
        "#include <errno.h>\n#include <inttypes.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n",
    );
    writeln!(c, "#include \"c/aeron_archive_client/messageHeader.h\"").unwrap();
    for m in &model.messages {
        writeln!(c, "#include \"c/aeron_archive_client/{}.h\"", m.c_name).unwrap();
    }
    write!(
        c,
        r#"
#define BUFFER {BUFFER}
static char encode_buffer[BUFFER];
static char decode_buffer[BUFFER];
static char data[BUFFER];
static char token_buffer[2 * BUFFER + 2];

/* Reads one whitespace-separated token; returns its length, or -1 at end of input. */
static int read_token(void)
{{
    int ch;
    do {{ ch = getchar(); }} while (ch == ' ' || ch == '\n');
    if (ch == EOF) return -1;
    size_t n = 0;
    while (ch != EOF && ch != ' ' && ch != '\n')
    {{
        if (n + 1 >= sizeof(token_buffer)) return -1;
        token_buffer[n++] = (char)ch;
        ch = getchar();
    }}
    token_buffer[n] = '\0';
    return (int)n;
}}

static int nibble(char ch)
{{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
}}

/* Reads a hex token (or `-` for empty) into `out`; returns the byte count, -1 on error. */
static long read_hex(char *out, size_t capacity)
{{
    int n = read_token();
    if (n < 0) return -1;
    if (0 == strcmp(token_buffer, "-")) return 0;
    if (n % 2 != 0 || (size_t)n / 2 > capacity) return -1;
    for (int i = 0; i < n; i += 2)
    {{
        int hi = nibble(token_buffer[i]), lo = nibble(token_buffer[i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i / 2] = (char)(hi * 16 + lo);
    }}
    return n / 2;
}}

static int read_signed(long long *out)
{{
    if (read_token() < 0) return -1;
    *out = strtoll(token_buffer, NULL, 10);
    return 0;
}}

static int read_unsigned(unsigned long long *out)
{{
    if (read_token() < 0) return -1;
    *out = strtoull(token_buffer, NULL, 10);
    return 0;
}}

static void print_hex(const char *bytes, size_t length)
{{
    for (size_t i = 0; i < length; i++) printf("%02x", (unsigned char)bytes[i]);
}}

/* Prints var data: `-` absent (older version), `!` past the end, `=` empty, else hex. */
static void print_var(const char *ptr, size_t length)
{{
    if (NULL == ptr) printf(errno ? " !" : " -");
    else if (0 == length) printf(" =");
    else {{ putchar(' '); print_hex(ptr, length); }}
}}

"#
    )
    .unwrap();
    for m in &model.messages {
        let p = format!("{PREFIX}{}", m.c_name);
        // Encoder.
        writeln!(c, "static int encode_{}(size_t capacity)\n{{", m.c_name).unwrap();
        writeln!(c, "    struct {p} codec;\n    struct {PREFIX}messageHeader header;\n    long long s; unsigned long long u; long n;").unwrap();
        writeln!(c, "    (void)s; (void)u; (void)n;").unwrap();
        writeln!(c, "    memset(encode_buffer, 0xAA, sizeof(encode_buffer));").unwrap();
        writeln!(
            c,
            "    int wrapped = NULL != {p}_wrap_and_apply_header(&codec, encode_buffer, 0, capacity, &header);"
        )
        .unwrap();
        for f in &m.fields {
            let read = if is_signed(f.primitive) {
                "if (read_signed(&s) < 0) return -1;"
            } else {
                "if (read_unsigned(&u) < 0) return -1;"
            };
            let value = if is_signed(f.primitive) { "s" } else { "u" };
            let cast = match &f.kind {
                Kind::Int => format!("({})", c_type(f.primitive)),
                Kind::Enum { c_enum, .. } => format!("(enum {c_enum})({})", c_type(f.primitive)),
            };
            writeln!(
                c,
                "    {read}\n    if (wrapped) {p}_set_{}(&codec, {cast}{value});",
                f.name
            )
            .unwrap();
        }
        writeln!(c, "    int failed = -1;").unwrap();
        for (i, v) in m.vars.iter().enumerate() {
            writeln!(
                c,
                "    if ((n = read_hex(data, sizeof(data))) < 0) return -1;\n    if (wrapped && failed < 0 && NULL == {p}_put_{}(&codec, data, ({})n)) failed = {i};",
                v.name,
                c_type(v.length)
            )
            .unwrap();
        }
        writeln!(
            c,
            "    if (!wrapped) printf(\"ERR wrap\\n\");\n    else if (failed >= 0) printf(\"ERR put %d\\n\", failed);\n    else {{\n        printf(\"OK \");\n        print_hex(encode_buffer, {PREFIX}messageHeader_encoded_length() + {p}_encoded_length(&codec));\n        printf(\"\\n\");\n    }}\n    return 0;\n}}\n"
        )
        .unwrap();
        // Decoder.
        writeln!(
            c,
            "static void decode_{}(size_t length, uint64_t block_length, uint64_t version)\n{{\n    struct {p} codec;",
            m.c_name
        )
        .unwrap();
        writeln!(
            c,
            "    if (NULL == {p}_wrap_for_decode(&codec, decode_buffer, {PREFIX}messageHeader_encoded_length(), block_length, version, length)) {{ printf(\"ERR wrap\\n\"); return; }}"
        )
        .unwrap();
        writeln!(c, "    printf(\"OK %u\", (unsigned){p}_sbe_template_id());").unwrap();
        for f in &m.fields {
            match &f.kind {
                Kind::Int if is_signed(f.primitive) => {
                    writeln!(c, "    printf(\" %lld\", (long long){p}_{}(&codec));", f.name).unwrap()
                }
                Kind::Int => writeln!(c, "    printf(\" %llu\", (unsigned long long){p}_{}(&codec));", f.name).unwrap(),
                Kind::Enum { c_enum, .. } => writeln!(
                    c,
                    "    {{\n        enum {c_enum} e;\n        if ({p}_{}(&codec, &e)) printf(\" %lld\", (long long)e); else printf(\" u\");\n    }}",
                    f.name
                )
                .unwrap(),
            }
        }
        writeln!(c, "    printf(\" |\");").unwrap();
        for v in &m.vars {
            writeln!(
                c,
                "    {{\n        errno = 0;\n        struct {p}_string_view view = {p}_get_{}_as_string_view(&codec);\n        print_var(view.data, view.length);\n    }}",
                v.name
            )
            .unwrap();
        }
        writeln!(c, "    printf(\"\\n\");\n}}\n").unwrap();
    }
    // Dispatch.
    c.push_str("static int encode(void)\n{\n    unsigned long long template_id, capacity;\n");
    c.push_str("    if (read_unsigned(&template_id) < 0 || read_unsigned(&capacity) < 0 || capacity > BUFFER) return -1;\n    switch (template_id)\n    {\n");
    for m in &model.messages {
        writeln!(
            c,
            "        case {}: return encode_{}((size_t)capacity);",
            m.id, m.c_name
        )
        .unwrap();
    }
    c.push_str("        default: return -1;\n    }\n}\n\n");
    write!(
        c,
        r#"static int decode(void)
{{
    memset(decode_buffer, 0, sizeof(decode_buffer));
    long n = read_hex(decode_buffer, sizeof(decode_buffer));
    if (n < 0) return -1;
    struct {PREFIX}messageHeader header;
    if (NULL == {PREFIX}messageHeader_wrap(&header, decode_buffer, 0, {PREFIX}messageHeader_sbe_schema_version(), (uint64_t)n)) {{ printf("ERR header\n"); return 0; }}
    if ({PREFIX}messageHeader_schemaId(&header) != {PREFIX}messageHeader_sbe_schema_id()) {{ printf("ERR schema\n"); return 0; }}
    uint64_t block_length = {PREFIX}messageHeader_blockLength(&header);
    uint64_t version = {PREFIX}messageHeader_version(&header);
    uint16_t template_id = {PREFIX}messageHeader_templateId(&header);
    switch (template_id)
    {{
"#
    )
    .unwrap();
    for m in &model.messages {
        writeln!(
            c,
            "        case {}: decode_{}((size_t)n, block_length, version); return 0;",
            m.id, m.c_name
        )
        .unwrap();
    }
    c.push_str("        default: printf(\"ERR template %u\\n\", (unsigned)template_id); return 0;\n    }\n}\n\n");
    c.push_str(
        r#"int main(void)
{
    for (;;)
    {
        int n = read_token();
        if (n < 0) return 0;
        int rc = 0 == strcmp(token_buffer, "E") ? encode() : 0 == strcmp(token_buffer, "D") ? decode() : -1;
        if (rc < 0) { printf("ERR protocol\n"); return 2; }
        fflush(stdout);
    }
}
"#,
    );
    c
}

/// The compiled C program, serving requests one line at a time.
struct Codec {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    requests: usize,
}

impl Codec {
    fn start(model: &Model) -> Codec {
        // The executable is deleted once started (Linux keeps it open), so no file is left.
        let dir = tempfile::tempdir().expect("a temporary directory");
        let source = dir.path().join("roundtrip.c");
        std::fs::write(&source, c_program(model)).expect("write the C program");
        let exe = dir.path().join("roundtrip");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
        let output = Command::new(cc)
            .args(["-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-Wno-unused-function"])
            .arg("-I")
            .arg(SBE_INCLUDE)
            .arg("-I")
            .arg(CLIENT_INCLUDE)
            .arg(&source)
            .arg("-o")
            .arg(&exe)
            .output()
            .expect("run the C compiler");
        assert!(
            output.status.success(),
            "compiling the generated program failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut child = Command::new(&exe)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the C program");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Codec {
            child,
            stdin,
            stdout,
            requests: 0,
        }
    }

    fn ask(&mut self, request: &str) -> String {
        writeln!(self.stdin, "{request}").expect("write a request");
        self.stdin.flush().expect("flush");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read a reply");
        if line.is_empty() {
            let status = self.child.try_wait().ok().flatten();
            panic!("the C program exited ({status:?}) on {:.200}", request);
        }
        self.requests += 1;
        line.trim_end().to_string()
    }

    fn encode(&mut self, m: &MessageModel, values: &[i128], vars: &[Vec<u8>], capacity: usize) -> String {
        let mut request = format!("E {} {capacity}", m.id);
        for v in values {
            write!(request, " {v}").unwrap();
        }
        for data in vars {
            request.push(' ');
            request.push_str(if data.is_empty() { "-" } else { "" });
            request.push_str(&hex(data));
        }
        self.ask(&request)
    }

    fn decode(&mut self, bytes: &[u8]) -> String {
        let body = if bytes.is_empty() { "-".to_string() } else { hex(bytes) };
        self.ask(&format!("D {body}"))
    }
}

struct Shared {
    model: Model,
    codec: Mutex<Codec>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let xml = std::fs::read_to_string(schema_path()).expect("read the archive schema");
        let schema = sbe::parse_schema(&xml).expect("parse the archive schema");
        let model = Model::from_schema(&schema);
        let codec = Mutex::new(Codec::start(&model));
        Shared { model, codec }
    })
}

fn codec() -> MutexGuard<'static, Codec> {
    shared().codec.lock().unwrap_or_else(|e| e.into_inner())
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Raw values biased towards the edges of every width.
fn raw_value() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => any::<i64>(),
        2 => -300i64..300,
        1 => proptest::sample::select(vec![
            i64::MIN, i64::MAX, i64::from(i32::MIN), i64::from(i32::MAX), i64::from(i32::MIN) + 1,
            i64::from(u32::MAX), i64::from(i16::MIN), i64::from(u16::MAX), i64::from(i8::MIN), 255, 0, -1,
        ]),
    ]
}

fn var_data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..40),
        1 => Just(Vec::new()),
        1 => proptest::collection::vec(any::<u8>(), 200..1200),
    ]
}

/// Values for `m`'s fields from `raw`: each cut to its width; an enum takes one of its known
/// values, or (one time in five) the raw value even if unknown.
fn values_for(m: &MessageModel, raw: &[i64]) -> Vec<i128> {
    m.fields
        .iter()
        .zip(raw.iter().cycle())
        .map(|(f, &r)| match &f.kind {
            Kind::Int => fit(f.primitive, r.into()),
            Kind::Enum { known, .. } => {
                let pick = (r as u64 % (known.len() as u64 + known.len() as u64 / 4 + 1)) as usize;
                known.get(pick).copied().unwrap_or_else(|| fit(f.primitive, r.into()))
            }
        })
        .collect()
}

fn check(actual: String, expected: String, what: &str) -> Result<(), TestCaseError> {
    if actual == expected {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!(
            "{what}:\n  C:     {actual:.400}\n  model: {expected:.400}"
        )))
    }
}

#[test]
fn the_schema_model_has_every_archive_message() {
    let model = &shared().model;
    assert_eq!(model.messages.len(), EXPECTED_MESSAGES);
    let ids: BTreeSet<u16> = model.messages.iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), EXPECTED_MESSAGES, "template ids are unique");
    assert_eq!((model.schema_id, model.version), (101, 14));
    assert_eq!(model.byte_order, ByteOrder::LittleEndian);
    assert_eq!(model.header_length, 8);
    assert_eq!(model.header_offsets, [0, 2, 4, 6]);
    let fields: usize = model.messages.iter().map(|m| m.fields.len()).sum();
    let vars: usize = model.messages.iter().map(|m| m.vars.len()).sum();
    assert!(fields > 150 && vars > 25, "{fields} fields, {vars} var data");
    assert!(model.messages.iter().all(|m| m.block_length <= MAX_BLOCK));
    // Spot checks of the model against the schema text, computed by hand.
    let response = model.messages.iter().find(|m| m.name == "ControlResponse").unwrap();
    assert_eq!((response.id, response.block_length), (1, 32));
    let catalog = model.messages.iter().find(|m| m.name == "CatalogHeader").unwrap();
    assert_eq!(
        catalog.fields.last().map(|f| (f.offset, f.primitive)),
        Some((31, Primitive::Int8))
    );
}

#[test]
fn every_message_encodes_to_the_schema_layout_and_decodes_back() {
    let shared = shared();
    let model = &shared.model;
    let encoded = Mutex::new(BTreeSet::new());
    let strategy = (
        proptest::collection::vec(raw_value(), 24),
        proptest::collection::vec(var_data(), 6),
    );
    runner(48)
        .run(&strategy, |(raw, vars)| {
            let mut codec = codec();
            for m in &model.messages {
                let values = values_for(m, &raw);
                let vars = &vars[..m.vars.len()];
                let bytes = codec.encode(m, &values, vars, BUFFER);
                check(
                    bytes.clone(),
                    model.encode(m, &values, vars, BUFFER),
                    &format!("encode {}", m.name),
                )?;
                let bytes = unhex(bytes.strip_prefix("OK ").expect("encoded"));
                let decoded = codec.decode(&bytes);
                check(
                    decoded.clone(),
                    model.decoded(m, &values, vars),
                    &format!("decode {}", m.name),
                )?;
                check(decoded, model.decode(&bytes), &format!("model decode {}", m.name))?;
                encoded.lock().unwrap().insert(m.id);
            }
            Ok(())
        })
        .unwrap();
    let encoded = encoded.into_inner().unwrap();
    assert_eq!(
        encoded.len(),
        EXPECTED_MESSAGES,
        "every message type was encoded and decoded"
    );
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn encoding_into_short_buffers_fails_where_the_layout_ends() {
    let model = &shared().model;
    let strategy = (
        any::<proptest::sample::Index>(),
        proptest::collection::vec(raw_value(), 24),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..24), 6),
        any::<proptest::sample::Index>(),
    );
    runner(512)
        .run(&strategy, |(which, raw, vars, cut)| {
            let m = which.get(&model.messages);
            let values = values_for(m, &raw);
            let vars = &vars[..m.vars.len()];
            let needed = model.header_length
                + m.block_length
                + m.vars.iter().zip(vars).map(|(v, d)| v.header + d.len()).sum::<usize>();
            // Every capacity from nothing to a little more than needed.
            let capacity = cut.index(needed + 5);
            let actual = codec().encode(m, &values, vars, capacity);
            check(
                actual,
                model.encode(m, &values, vars, capacity),
                &format!("{} into {capacity} bytes", m.name),
            )
        })
        .unwrap();
}

/// A message laid out by the model with arbitrary block contents, version, block length
/// and var data, then possibly damaged.
#[derive(Debug, Clone)]
struct Layout {
    version: u16,
    extra_block: Vec<u8>,
    block: Vec<u8>,
    vars: Vec<Vec<u8>>,
    damage: Damage,
}

#[derive(Debug, Clone)]
enum Damage {
    None,
    Truncate(proptest::sample::Index),
    VarLength(proptest::sample::Index, u32),
    BlockLength(u16),
    Template(u16),
    Schema(u16),
}

fn layout() -> impl Strategy<Value = Layout> {
    let damage = prop_oneof![
        3 => Just(Damage::None),
        3 => any::<proptest::sample::Index>().prop_map(Damage::Truncate),
        2 => (any::<proptest::sample::Index>(), prop_oneof![any::<u32>(), 0u32..64]).prop_map(|(i, l)| Damage::VarLength(i, l)),
        1 => any::<u16>().prop_map(Damage::BlockLength),
        1 => any::<u16>().prop_map(Damage::Template),
        1 => any::<u16>().prop_map(Damage::Schema),
    ];
    (
        prop_oneof![0u16..=16, Just(14u16)],
        proptest::collection::vec(any::<u8>(), 0..16),
        proptest::collection::vec(any::<u8>(), MAX_BLOCK),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..32), 6),
        damage,
    )
        .prop_map(|(version, extra_block, block, vars, damage)| Layout {
            version,
            extra_block,
            block,
            vars,
            damage,
        })
}

impl Layout {
    fn bytes(&self, model: &Model, m: &MessageModel) -> Vec<u8> {
        let block_length = (m.block_length + self.extra_block.len()) as u16;
        let mut bytes = model.header(block_length, m.id, model.schema_id, self.version);
        bytes.extend_from_slice(&self.block[..m.block_length]);
        bytes.extend_from_slice(&self.extra_block);
        let mut var_positions = Vec::new();
        for (v, data) in m.vars.iter().zip(&self.vars) {
            if self.version < v.since as u16 {
                continue;
            }
            var_positions.push(bytes.len());
            let mut prefix = vec![0u8; v.header];
            model.put(&mut prefix, 0, v.length, data.len() as i128);
            bytes.extend_from_slice(&prefix);
            bytes.extend_from_slice(data);
        }
        let [block_at, template_at, schema_at, _] = model.header_offsets;
        match &self.damage {
            Damage::None => {}
            Damage::Truncate(at) => bytes.truncate(at.index(bytes.len() + 1)),
            Damage::VarLength(which, length) => {
                if !var_positions.is_empty() {
                    let at = *which.get(&var_positions);
                    model.put(&mut bytes, at, Primitive::Uint32, (*length).into());
                }
            }
            Damage::BlockLength(b) => model.put(&mut bytes, block_at, Primitive::Uint16, (*b).into()),
            Damage::Template(t) => model.put(&mut bytes, template_at, Primitive::Uint16, (*t).into()),
            Damage::Schema(s) => model.put(&mut bytes, schema_at, Primitive::Uint16, (*s).into()),
        }
        bytes
    }
}

#[test]
fn any_layout_of_every_message_decodes_as_the_model_says() {
    let model = &shared().model;
    let decoded = Mutex::new(BTreeSet::new());
    runner(40)
        .run(&layout(), |layout| {
            let mut codec = codec();
            for m in &model.messages {
                let bytes = layout.bytes(model, m);
                let actual = codec.decode(&bytes);
                if actual.starts_with("OK ") {
                    decoded.lock().unwrap().insert(m.id);
                }
                check(
                    actual,
                    model.decode(&bytes),
                    &format!("{} from {}", m.name, hex(&bytes)),
                )?;
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(decoded.into_inner().unwrap().len(), EXPECTED_MESSAGES);
}

#[test]
fn arbitrary_bytes_never_crash_the_c_decoder() {
    let model = &shared().model;
    let ids: Vec<u16> = model.messages.iter().map(|m| m.id).collect();
    let strategy = (
        proptest::collection::vec(any::<u8>(), 0..160),
        proptest::option::of((proptest::sample::select(ids), 0u16..200, 0u16..20)),
    );
    runner(1024)
        .run(&strategy, |(mut bytes, header)| {
            // Half the time the bytes start with a plausible header.
            if let Some((template, block_length, version)) = header {
                let mut with_header = model.header(block_length, template, model.schema_id, version);
                with_header.append(&mut bytes);
                bytes = with_header;
            }
            check(
                codec().decode(&bytes),
                model.decode(&bytes),
                &format!("bytes {}", hex(&bytes)),
            )
        })
        .unwrap();
    assert!(codec().requests >= 1024);
}
