//! The C codec headers: file set and naming, the full function set of every message, key
//! declarations, and — with a C compiler — strict compilation and a byte-exact round trip
//! between the C codecs and the Rust codecs of the fixture schema.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rusteron_code_gen::sbe::{
    generate_c_codecs, generate_c_codecs_with_namespace, parse_schema, FieldType, GeneratedFile, Presence,
};

#[allow(dead_code)]
mod fixture {
    include!("fixtures/sbe/fixture_codecs.rs");
}

use fixture::*;

include!("fixtures/sbe/order_sample.rs");

const SCHEMA: &str = include_str!("fixtures/sbe/fixture-schema.xml");

fn files() -> Vec<GeneratedFile> {
    generate_c_codecs_with_namespace(SCHEMA, None).expect("fixture schema generates")
}

fn file<'f>(files: &'f [GeneratedFile], name: &str) -> &'f str {
    let path = format!("c/rusteron_fixture/{name}.h");
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} generated"))
        .contents
}

fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "missing `{needle}`");
}

#[test]
fn one_header_per_type_and_message_named_like_sbe() {
    let paths: Vec<String> = files().into_iter().map(|f| f.path).collect();
    let expected: Vec<String> = [
        "messageHeader",
        "groupSizeEncoding",
        "smallGroupSize",
        "varStringEncoding",
        "varDataEncoding",
        "decimal",
        "booster",
        "boostType",
        "side",
        "status",
        "grade",
        "flags",
        "wideFlags",
        "order",
        "heartbeat",
        "legacy",
    ]
    .iter()
    .map(|n| format!("c/rusteron_fixture/{n}.h"))
    .collect();
    assert_eq!(paths, expected);

    let aeron: Vec<String> = generate_c_codecs(SCHEMA).unwrap().into_iter().map(|f| f.path).collect();
    assert!(aeron.iter().all(|p| p.starts_with("c/aeron_archive_client/")));
    let scoped = generate_c_codecs_with_namespace(SCHEMA, Some("my.codecs")).unwrap();
    assert_eq!(scoped[0].path, "c/my_codecs/messageHeader.h");
    assert_contains(&scoped[0].contents, "struct my_codecs_messageHeader\n{");
}

#[test]
fn every_message_has_the_full_function_set() {
    let files = files();
    let schema = parse_schema(SCHEMA).unwrap();
    for message in &schema.messages {
        let name = format!("{}{}", message.name[..1].to_lowercase(), &message.name[1..]);
        let text = file(&files, &name);
        let m = format!("rusteron_fixture_{name}");
        let guard = format!("_{}_H_", m.to_uppercase());
        assert_contains(text, &format!("#ifndef {guard}\n#define {guard}\n"));
        assert!(text.trim_end().ends_with("#endif"));
        assert_contains(text, "#define SBE_ONE_DEF static inline");
        for include in [
            "messageHeader.h",
            "side.h",
            "decimal.h",
            "flags.h",
            "varStringEncoding.h",
        ] {
            assert_contains(text, &format!("#include \"{include}\""));
        }
        assert_contains(
            text,
            &format!("struct {m}\n{{\n    char *buffer;\n    uint64_t buffer_length;\n    uint64_t offset;\n    uint64_t position;\n    uint64_t acting_block_length;\n    uint64_t acting_version;\n}};"),
        );
        assert_contains(
            text,
            &format!("struct {m}_string_view\n{{\n    const char *data;\n    size_t length;\n}};"),
        );
        for function in [
            "wrap_and_apply_header",
            "wrap_for_encode",
            "wrap_for_decode",
            "sbe_block_length",
            "sbe_template_id",
            "sbe_schema_id",
            "sbe_schema_version",
            "encoded_length",
            "sbe_position",
            "set_sbe_position",
            "sbe_rewind",
            "reset",
            "copy",
        ] {
            let name = format!("{m}_{function}(");
            assert!(
                text.contains(&format!(" {name}")) || text.contains(&format!("*{name}")),
                "missing {name}"
            );
        }
        let macro_name = format!("RUSTERON_FIXTURE_{}_SBE_TEMPLATE_ID", message.name.to_uppercase());
        assert_contains(text, &format!("#define {macro_name} (((uint16_t){}))", message.id));
        assert_contains(
            text,
            &format!(
                "SBE_ONE_DEF uint16_t {m}_sbe_block_length(void)\n{{\n    return ((uint16_t){});",
                message.block_length
            ),
        );
        for field in &message.body.fields {
            let p = &field.name;
            assert_contains(text, &format!("{m}_{p}_id(void)"));
            assert_contains(text, &format!("{m}_{p}_since_version(void)"));
            assert_contains(
                text,
                &format!("{m}_{p}_encoding_offset(void)\n{{\n    return {};", field.offset),
            );
            let constant = field.presence == Presence::Constant;
            match &field.ty {
                FieldType::Encoding(_) | FieldType::Enum(_) if !constant => {
                    assert_contains(text, &format!("*{m}_set_{p}(\n"));
                    assert_contains(text, &format!(" {m}_{p}(\n    const struct {m} *const codec"));
                }
                FieldType::Set(_) | FieldType::Composite(_) => {
                    assert_contains(text, &format!("*{m}_{p}(\n    struct {m} *const codec,"));
                }
                _ => assert_contains(text, &format!("{m}_{p}(")),
            }
        }
        for var in &message.body.var_data {
            let v = &var.name;
            for function in [
                format!("*{m}_put_{v}(\n    struct {m} *const codec,\n    const char *src,"),
                format!(
                    "uint64_t {m}_get_{v}(\n    struct {m} *const codec,\n    char *dst,\n    const uint64_t length)"
                ),
                format!("struct {m}_string_view {m}_get_{v}_as_string_view(\n    struct {m} *const codec)"),
                format!(" {m}_{v}_length(\n    const struct {m} *const codec)"),
                format!("const char *{m}_{v}_character_encoding(void)"),
            ] {
                assert_contains(text, &function);
            }
        }
        for group in &message.body.groups {
            let g = format!("{m}_{}", group.name);
            for function in [
                format!("struct {g}\n{{"),
                format!(
                    "*{m}_get_{}(\n    struct {m} *const codec,\n    struct {g} *const property)",
                    group.name
                ),
                format!("*{g}_set_count(\n    struct {m} *const codec,"),
                format!("bool {g}_has_next("),
                format!("*{g}_next("),
                format!("uint64_t {g}_count("),
                format!("*{g}_for_each("),
            ] {
                assert_contains(text, &function);
            }
        }
    }
}

#[test]
fn enums_sets_and_composites_declare_what_sbe_declares() {
    let files = files();
    let side = file(&files, "side");
    assert_contains(side, "enum rusteron_fixture_side\n{\n    rusteron_fixture_side_BUY = ((uint8_t)1),\n    rusteron_fixture_side_SELL = ((uint8_t)2),\n    rusteron_fixture_side_NULL_VALUE = ((uint8_t)255)\n};");
    assert_contains(side, "SBE_ONE_DEF bool rusteron_fixture_side_get(\n    const uint8_t value,\n    enum rusteron_fixture_side *const out)");
    assert_contains(side, "errno = E103;");
    assert_contains(
        file(&files, "status"),
        "rusteron_fixture_status_CANCELLED = INT32_C(-5),\n    rusteron_fixture_status_NULL_VALUE = INT32_MIN\n",
    );
    assert_contains(file(&files, "grade"), "rusteron_fixture_grade_A = ((char)65),");

    let order = file(&files, "order");
    assert_contains(order, "SBE_ONE_DEF bool rusteron_fixture_order_side(\n    const struct rusteron_fixture_order *const codec,\n    enum rusteron_fixture_side *const out)");
    assert_contains(order, "SBE_ONE_DEF enum rusteron_fixture_side rusteron_fixture_order_fixedSide_const_value(void)\n{\n    return rusteron_fixture_side_SELL;");
    assert_contains(
        order,
        "SBE_ONE_DEF uint16_t rusteron_fixture_order_magic(void)\n{\n    return ((uint16_t)4242);",
    );
    assert_contains(order, "int32_t val = SBE_LITTLE_ENDIAN_ENCODE_32(value);");
    assert_contains(order, "return SBE_LITTLE_ENDIAN_ENCODE_64(val);");
    assert_contains(order, "union rusteron_fixture_order_double_as_uint val;");
    assert_contains(order, "if (codec->acting_version < 2)\n    {\n        *out = rusteron_fixture_status_NULL_VALUE;\n        return true;\n    }");
    assert_contains(order, "if (length > UINT32_C(1024))\n    {\n        errno = E109;");
    assert_contains(order, "if (count < 1 || count > 10)\n    {\n        errno = E110;");

    let flags = file(&files, "flags");
    assert_contains(
        flags,
        "SBE_ONE_DEF bool rusteron_fixture_flags_iceberg(\n    const struct rusteron_fixture_flags *const codec)",
    );
    assert_contains(
        flags,
        "SBE_ONE_DEF struct rusteron_fixture_flags *rusteron_fixture_flags_set_iceberg(",
    );
    let header = file(&files, "messageHeader");
    assert_contains(
        header,
        "SBE_ONE_DEF uint64_t rusteron_fixture_messageHeader_encoded_length(void)\n{\n    return 8;",
    );
    assert_contains(header, "SBE_ONE_DEF struct rusteron_fixture_messageHeader *rusteron_fixture_messageHeader_wrap(\n    struct rusteron_fixture_messageHeader *const codec,\n    char *buffer,\n    const uint64_t offset,\n    const uint64_t acting_version,\n    const uint64_t buffer_length)");
    assert_contains(
        header,
        "SBE_ONE_DEF uint16_t rusteron_fixture_messageHeader_sbe_schema_id(void)\n{\n    return ((uint16_t)42);",
    );
    let booster = file(&files, "booster");
    assert_contains(
        booster,
        "#include \"boostType.h\"\n#include \"decimal.h\"\n#include \"flags.h\"\n",
    );
    assert_contains(booster, "SBE_ONE_DEF const char *rusteron_fixture_booster_kind(void)");
}

/// The C compiler (`$CC`, else `cc`), if one runs.
fn c_compiler() -> Option<String> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let works = Command::new(&cc)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    works.is_ok_and(|s| s.success()).then_some(cc)
}

/// A fresh directory holding `files`.
fn write_tree(name: &str, files: &[GeneratedFile]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rusteron-sbe-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for f in files {
        let path = dir.join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &f.contents).unwrap();
    }
    dir
}

/// Runs the C compiler on `source` (with the headers in `include`) with every warning an
/// error, producing `output` (an executable, or nothing with `-fsyntax-only`).
fn compile(cc: &str, include: &Path, source: &Path, args: &[&str], output: Option<&Path>) {
    let mut command = Command::new(cc);
    command
        .args(["-Wall", "-Wextra", "-Werror"])
        .args(args)
        .arg("-I")
        .arg(include)
        .arg(source);
    if let Some(output) = output {
        command.arg("-o").arg(output);
    }
    let result = command.output().expect("run the C compiler");
    assert!(
        result.status.success(),
        "{} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&result.stderr)
    );
}

const STRICT_C: &[&str] = &["-x", "c", "-std=c11", "-Wpedantic"];

fn run(exe: &Path, arg: &str, input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new(exe)
        .arg(arg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{} {arg} exited with {}",
        exe.display(),
        output.status
    );
    output.stdout
}

#[test]
fn headers_compile_strictly_as_c_and_as_cpp() {
    let Some(cc) = c_compiler() else {
        eprintln!("no C compiler: skipping");
        return;
    };
    let files = files();
    let dir = write_tree("strict", &files);
    let mut all = String::new();
    for f in &files {
        all.push_str(&format!("#include \"{}\"\n", f.path));
    }
    all.push_str("int main(void) { return 0; }\n");
    let source = dir.join("all.c");
    std::fs::write(&source, &all).unwrap();
    compile(&cc, &dir, &source, STRICT_C, Some(&dir.join("all-c")));
    compile(&cc, &dir, &source, &["-x", "c++", "-std=c++11", "-fsyntax-only"], None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn c_and_rust_codecs_agree_byte_for_byte() {
    let Some(cc) = c_compiler() else {
        eprintln!("no C compiler: skipping");
        return;
    };
    let dir = write_tree("roundtrip", &files());
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sbe/order_sample.c");
    let exe = dir.join("order_sample");
    compile(&cc, &dir, &source, STRICT_C, Some(&exe));

    let mut rust = [0u8; 512];
    let length = encode_order(&mut rust).unwrap();
    let from_c = run(&exe, "encode", b"");
    assert_eq!(
        from_c,
        &rust[..length],
        "C and Rust encode the sample order identically"
    );

    let printed = String::from_utf8(run(&exe, "decode", &rust[..length])).unwrap();
    let expected = "\
header=101 1 42 3
orderId=18446744073709551614
price=1234567e-3
side=1
flags=101 raw=129
symbol=RUSTERON
quantity=-42 timestamp=1700000000000000000
limitPrice=null
magic=4242 venue=XLON
fixedSide=2
ratio=0.25 optionalRatio=1.5
matrix=1,-2,300 out_of_range=0
grade=B
booster=S 200 -12345e-2 hidden=1 spare=beef kind=K
wide=11
maybeCount=7 status=-5
reserved=-1
legs=2
leg=10 side=2 errno_e103=0
fill=100 note=first
fill=200 note=δεύτερο
legNote=leg one (7)
leg=20 side=-1 errno_e103=1
fill=300 note=
legNote=leg two (7)
text=héllo
blob=4 4:000102ff
extra=v3 only
";
    assert_eq!(printed, format!("{expected}encoded={length}\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn big_endian_schemas_swap_bytes() {
    let Some(cc) = c_compiler() else {
        eprintln!("no C compiler: skipping");
        return;
    };
    let schema = r#"<sbe:messageSchema xmlns:sbe="http://fixprotocol.io/2016/sbe" package="be" id="7" version="1" byteOrder="bigEndian">
  <types>
    <composite name="messageHeader">
      <type name="blockLength" primitiveType="uint16"/>
      <type name="templateId" primitiveType="uint16"/>
      <type name="schemaId" primitiveType="uint16"/>
      <type name="version" primitiveType="uint16"/>
    </composite>
  </types>
  <sbe:message name="Sample" id="258">
    <field name="a" id="1" type="uint32"/>
    <field name="b" id="2" type="int16"/>
    <field name="c" id="3" type="double"/>
  </sbe:message>
</sbe:messageSchema>"#;
    let files = generate_c_codecs_with_namespace(schema, None).unwrap();
    assert_contains(&files[1].contents, "SBE_BIG_ENDIAN_ENCODE_32(value)");
    let dir = write_tree("big-endian", &files);
    let source = dir.join("sample.c");
    std::fs::write(
        &source,
        r#"#include <stdio.h>
#include "c/be/sample.h"
int main(void)
{
    char buf[64];
    struct be_sample s;
    struct be_messageHeader h;
    if (NULL == be_sample_wrap_and_apply_header(&s, buf, 0, sizeof(buf), &h)) return 1;
    be_sample_set_a(&s, 0x01020304u);
    be_sample_set_b(&s, -2);
    be_sample_set_c(&s, 1.0);
    if (be_sample_a(&s) != 0x01020304u || be_sample_b(&s) != -2 || be_sample_c(&s) != 1.0) return 2;
    fwrite(buf, 1, 8 + be_sample_encoded_length(&s), stdout);
    return 0;
}
"#,
    )
    .unwrap();
    let exe = dir.join("sample");
    compile(&cc, &dir, &source, STRICT_C, Some(&exe));
    let bytes = run(&exe, "", b"");
    assert_eq!(
        bytes,
        [
            0, 14, 1, 2, 0, 7, 0, 1, // header: blockLength 14, templateId 258, schemaId 7, version 1
            1, 2, 3, 4, 0xff, 0xfe, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0,
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
