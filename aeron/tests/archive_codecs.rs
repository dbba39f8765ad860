//! The archive SBE codec headers the build generated (from Aeron's schema, with
//! `rusteron_code_gen::sbe`) encode and decode correctly: a small C program compiled against
//! them with the system C compiler encodes requests whose bytes are checked against offsets
//! computed by hand from the schema, and decodes responses built here byte by byte, calling the
//! codecs exactly as the archive C client does. Every archive client source is also compiled
//! against them with undeclared functions as errors.
#![cfg(feature = "archive")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Directory holding `c/aeron_archive_client/*.h` (set by the build script).
const SBE_INCLUDE: &str = env!("AERON_SBE_INCLUDE");
/// `aeron-client/src/main/c` of the Aeron tree (set by the build script).
const CLIENT_INCLUDE: &str = env!("AERON_CLIENT_INCLUDE");

const PROGRAM: &str = r#"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "c/aeron_archive_client/messageHeader.h"
#include "c/aeron_archive_client/startRecordingRequest2.h"
#include "c/aeron_archive_client/controlResponse.h"
#include "c/aeron_archive_client/recordingDescriptor.h"

#define P(name) aeron_archive_client_##name

static int start_recording(void)
{
    char buf[256];
    memset(buf, 0xAA, sizeof(buf));
    struct P(startRecordingRequest2) codec;
    struct P(messageHeader) hdr;
    const char *channel = "aeron:udp?endpoint=localhost:40123";
    if (NULL == P(startRecordingRequest2_wrap_and_apply_header)(&codec, buf, 0, sizeof(buf), &hdr)) return 2;
    P(startRecordingRequest2_set_controlSessionId)(&codec, INT64_C(0x0102030405060708));
    P(startRecordingRequest2_set_correlationId)(&codec, -2);
    P(startRecordingRequest2_set_streamId)(&codec, 1001);
    P(startRecordingRequest2_set_sourceLocation)(&codec, P(sourceLocation_REMOTE));
    P(startRecordingRequest2_set_autoStop)(&codec, P(booleanType_TRUE));
    if (NULL == P(startRecordingRequest2_put_channel)(&codec, channel, (uint32_t)strlen(channel))) return 3;
    fwrite(buf, 1, P(messageHeader_encoded_length)() + P(startRecordingRequest2_encoded_length)(&codec), stdout);
    return 0;
}

static int control_response(void)
{
    char buf[256];
    memset(buf, 0xAA, sizeof(buf));
    struct P(controlResponse) codec;
    struct P(messageHeader) hdr;
    if (NULL == P(controlResponse_wrap_and_apply_header)(&codec, buf, 0, sizeof(buf), &hdr)) return 2;
    P(controlResponse_set_controlSessionId)(&codec, 7);
    P(controlResponse_set_correlationId)(&codec, 8);
    P(controlResponse_set_relevantId)(&codec, 9);
    P(controlResponse_set_code)(&codec, P(controlResponseCode_ERROR));
    P(controlResponse_set_version)(&codec, 0x010203);
    if (NULL == P(controlResponse_put_errorMessage)(&codec, "bad", 3)) return 3;
    fwrite(buf, 1, P(messageHeader_encoded_length)() + P(controlResponse_encoded_length)(&codec), stdout);
    return 0;
}

static int decode(void)
{
    char buf[1024];
    size_t length = fread(buf, 1, sizeof(buf), stdin);
    struct P(messageHeader) hdr;
    if (NULL == P(messageHeader_wrap)(&hdr, buf, 0, P(messageHeader_sbe_schema_version)(), length)) return 2;
    if (P(messageHeader_schemaId)(&hdr) != P(messageHeader_sbe_schema_id)()) return 3;
    uint16_t block_length = P(messageHeader_blockLength)(&hdr);
    uint16_t version = P(messageHeader_version)(&hdr);
    switch (P(messageHeader_templateId)(&hdr))
    {
        case AERON_ARCHIVE_CLIENT_CONTROL_RESPONSE_SBE_TEMPLATE_ID:
        {
            struct P(controlResponse) r;
            if (NULL == P(controlResponse_wrap_for_decode)(&r, buf, P(messageHeader_encoded_length)(), block_length, version, length)) return 4;
            int32_t code = -1;
            bool known = P(controlResponse_code)(&r, (enum P(controlResponseCode) *)&code);
            char message[64];
            uint32_t message_length = P(controlResponse_errorMessage_length)(&r);
            uint64_t copied = P(controlResponse_get_errorMessage)(&r, message, sizeof(message));
            printf(
                "controlResponse session=%" PRId64 " correlation=%" PRId64 " relevant=%" PRId64 " code=%d known=%d version=%d message=%.*s (%u) block=%u\n",
                P(controlResponse_controlSessionId)(&r),
                P(controlResponse_correlationId)(&r),
                P(controlResponse_relevantId)(&r),
                code,
                known,
                P(controlResponse_version)(&r),
                (int)copied,
                message,
                message_length,
                (unsigned)P(controlResponse_sbe_block_length)());
            return 0;
        }
        case AERON_ARCHIVE_CLIENT_RECORDING_DESCRIPTOR_SBE_TEMPLATE_ID:
        {
            struct P(recordingDescriptor) d;
            if (NULL == P(recordingDescriptor_wrap_for_decode)(&d, buf, P(messageHeader_encoded_length)(), block_length, version, length)) return 4;
            printf(
                "recordingDescriptor recording=%" PRId64 " start=%" PRId64 " stop=%" PRId64 " stream=%d mtu=%d",
                P(recordingDescriptor_recordingId)(&d),
                P(recordingDescriptor_startPosition)(&d),
                P(recordingDescriptor_stopPosition)(&d),
                P(recordingDescriptor_streamId)(&d),
                P(recordingDescriptor_mtuLength)(&d));
            struct P(recordingDescriptor_string_view) view;
            view = P(recordingDescriptor_get_strippedChannel_as_string_view)(&d);
            printf(" stripped=%.*s", (int)view.length, view.data);
            view = P(recordingDescriptor_get_originalChannel_as_string_view)(&d);
            printf(" original=%.*s", (int)view.length, view.data);
            view = P(recordingDescriptor_get_sourceIdentity_as_string_view)(&d);
            printf(" source=%.*s", (int)view.length, view.data);
            view = P(recordingDescriptor_get_sourceIdentity_as_string_view)(&d);
            printf(" past_end=%s\n", NULL == view.data && errno == E100 ? "E100" : "data");
            return 0;
        }
        default:
            return 5;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) return 1;
    if (0 == strcmp(argv[1], "start_recording")) return start_recording();
    if (0 == strcmp(argv[1], "control_response")) return control_response();
    if (0 == strcmp(argv[1], "decode")) return decode();
    return 1;
}
"#;

fn cc() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".to_string())
}

/// Compiles [`PROGRAM`] once per test into `dir`.
fn build_program(dir: &Path) -> PathBuf {
    let source = dir.join("codecs.c");
    std::fs::write(&source, PROGRAM).unwrap();
    let exe = dir.join("codecs");
    let output = Command::new(cc())
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror"])
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
        "compiling the codec program failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    exe
}

fn run(exe: &Path, mode: &str, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(exe)
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "`codecs {mode}` exited with {}", output.status);
    output.stdout
}

/// A message header as the schema lays it out: four little-endian uint16.
fn header(block_length: u16, template_id: u16) -> Vec<u8> {
    [block_length, template_id, 101, 14]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

fn var_ascii(text: &str) -> Vec<u8> {
    let mut out = (text.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(text.as_bytes());
    out
}

#[test]
fn start_recording_request2_bytes_match_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_program(dir.path());
    let bytes = run(&exe, "start_recording", b"");
    let channel = "aeron:udp?endpoint=localhost:40123";
    // StartRecordingRequest2 (id 63): controlSessionId int64 @0, correlationId int64 @8,
    // streamId int32 @16, sourceLocation int32 @20, autoStop int32 @24: block length 28,
    // then channel as varAsciiEncoding (uint32 length, bytes).
    let mut expected = header(28, 63);
    expected.extend_from_slice(&0x0102030405060708i64.to_le_bytes());
    expected.extend_from_slice(&(-2i64).to_le_bytes());
    expected.extend_from_slice(&1001i32.to_le_bytes());
    expected.extend_from_slice(&1i32.to_le_bytes()); // SourceLocation.REMOTE
    expected.extend_from_slice(&1i32.to_le_bytes()); // BooleanType.TRUE
    expected.extend_from_slice(&var_ascii(channel));
    assert_eq!(bytes, expected);
    assert_eq!(bytes.len(), 8 + 28 + 4 + channel.len());
}

#[test]
fn control_response_bytes_match_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_program(dir.path());
    let bytes = run(&exe, "control_response", b"");
    // ControlResponse (id 1): controlSessionId @0, correlationId @8, relevantId @16 (int64),
    // code int32 @24, version int32 @28: block length 32, then errorMessage.
    let mut expected = header(32, 1);
    for v in [7i64, 8, 9] {
        expected.extend_from_slice(&v.to_le_bytes());
    }
    expected.extend_from_slice(&1i32.to_le_bytes()); // ControlResponseCode.ERROR
    expected.extend_from_slice(&0x010203i32.to_le_bytes());
    expected.extend_from_slice(&var_ascii("bad"));
    assert_eq!(bytes, expected);
}

fn control_response(code: i32, version: u16, block_length: u16) -> Vec<u8> {
    let mut bytes = header(block_length, 1);
    bytes[6..8].copy_from_slice(&version.to_le_bytes());
    for v in [-5i64, 77, 1234] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes.extend_from_slice(&code.to_le_bytes());
    if block_length >= 32 {
        bytes.extend_from_slice(&0x0a0b0ci32.to_le_bytes());
    }
    bytes.extend_from_slice(&var_ascii("recording unknown"));
    bytes
}

#[test]
fn decodes_control_responses_built_byte_by_byte() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_program(dir.path());
    let out = String::from_utf8(run(&exe, "decode", &control_response(2, 14, 32))).unwrap();
    assert_eq!(
        out,
        "controlResponse session=-5 correlation=77 relevant=1234 code=2 known=1 version=658188 message=recording unknown (17) block=32\n"
    );
    // An unknown code: the enum getter reports failure (as the C client checks).
    let out = String::from_utf8(run(&exe, "decode", &control_response(42, 14, 32))).unwrap();
    assert!(out.contains(" known=0 "), "{out}");
    // Version 3 predates `version` (sinceVersion 4) and its block is 28 bytes: the getter gives
    // the null value 0 and the var data is found after the shorter block.
    let out = String::from_utf8(run(&exe, "decode", &control_response(0, 3, 28))).unwrap();
    assert_eq!(
        out,
        "controlResponse session=-5 correlation=77 relevant=1234 code=0 known=1 version=0 message=recording unknown (17) block=32\n"
    );
}

#[test]
fn decodes_a_recording_descriptor_built_byte_by_byte() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_program(dir.path());
    // RecordingDescriptor (id 22): seven int64 (controlSessionId, correlationId, recordingId,
    // startTimestamp, stopTimestamp, startPosition, stopPosition) then six int32
    // (initialTermId, segmentFileLength, termBufferLength, mtuLength, sessionId, streamId):
    // block length 80, then strippedChannel, originalChannel, sourceIdentity.
    let mut bytes = header(80, 22);
    for v in [1i64, 2, 3, 4, 5, 4096, -1] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    for v in [0i32, 1 << 27, 1 << 16, 1408, 99, 1001] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    assert_eq!(bytes.len(), 8 + 80);
    bytes.extend_from_slice(&var_ascii("aeron:ipc"));
    bytes.extend_from_slice(&var_ascii("aeron:ipc?term-length=64k"));
    bytes.extend_from_slice(&var_ascii("aeron:ipc"));
    let out = String::from_utf8(run(&exe, "decode", &bytes)).unwrap();
    assert_eq!(
        out,
        "recordingDescriptor recording=3 start=4096 stop=-1 stream=1001 mtu=1408 stripped=aeron:ipc original=aeron:ipc?term-length=64k source=aeron:ipc past_end=E100\n"
    );
}

/// Every archive client source compiles against the generated headers with calls to
/// undeclared functions, pointer mismatches and int/pointer conversions as errors.
#[test]
fn archive_client_sources_compile_against_the_headers() {
    let aeron_root = Path::new(CLIENT_INCLUDE)
        .ancestors()
        .nth(4)
        .expect("aeron root")
        .to_path_buf();
    let client_dir = aeron_root.join("aeron-archive/src/main/c/client");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&client_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    sources.sort();
    assert!(
        sources.len() >= 17,
        "archive client sources in {}",
        client_dir.display()
    );
    for source in &sources {
        let output = Command::new(cc())
            .args([
                "-std=c11",
                "-fsyntax-only",
                "-D_DEFAULT_SOURCE",
                "-D_FILE_OFFSET_BITS=64",
            ])
            .args(["-DAERON_VERSION_TXT=\"0\"", "-DAERON_VERSION_GITSHA=\"0\""])
            .args([
                "-DAERON_VERSION_MAJOR=0",
                "-DAERON_VERSION_MINOR=0",
                "-DAERON_VERSION_PATCH=0",
            ])
            .args([
                "-Werror=implicit-function-declaration",
                "-Werror=incompatible-pointer-types",
                "-Werror=int-conversion",
            ])
            .arg("-I")
            .arg(&client_dir)
            .arg("-I")
            .arg(SBE_INCLUDE)
            .arg("-I")
            .arg(CLIENT_INCLUDE)
            .arg(source)
            .output()
            .expect("run the C compiler");
        assert!(
            output.status.success(),
            "{} does not compile against the generated codecs:\n{}",
            source.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
