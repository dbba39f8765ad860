//! The Rust codecs generated for the fixture schema: the checked-in copy is current, and
//! messages round-trip through it (every field kind, groups, var data, enums with unknown
//! values, versioning, and short or corrupt buffers giving errors rather than panics).
//!
//! After changing the generator, refresh the checked-in codecs with
//! `SBE_BLESS=1 cargo test -p rusteron-code-gen --test sbe_rust`.

use std::path::Path;

use rusteron_code_gen::sbe::{generate_c_codecs_with_namespace, generate_rust_codecs};

#[allow(dead_code)]
mod fixture {
    include!("fixtures/sbe/fixture_codecs.rs");
}

use fixture::*;

const SCHEMA: &str = include_str!("fixtures/sbe/fixture-schema.xml");

#[test]
fn checked_in_codecs_are_current() {
    let generated = generate_rust_codecs(SCHEMA).expect("fixture schema generates");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sbe/fixture_codecs.rs");
    if std::env::var_os("SBE_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write fixture codecs");
    }
    let checked_in = std::fs::read_to_string(&path).expect("read fixture codecs");
    assert!(
        checked_in == generated,
        "{} is stale: regenerate it with SBE_BLESS=1 cargo test -p rusteron-code-gen --test sbe_rust",
        path.display()
    );
}

/// The checked-in codecs compile as a library's public module with warnings (missing docs
/// included) denied: nothing in the output relies on the `#[allow(dead_code)]` above.
#[test]
fn generated_code_compiles_without_warnings() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    if !std::process::Command::new(&rustc)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("no rustc: skipping");
        return;
    }
    let dir = std::env::temp_dir().join(format!("rusteron-sbe-rustc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let codecs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sbe/fixture_codecs.rs");
    let lib = dir.join("lib.rs");
    std::fs::write(
        &lib,
        format!(
            "//! Fixture codecs.\n\n/// The codecs.\npub mod codecs {{\n    include!({:?});\n}}\n",
            codecs
        ),
    )
    .unwrap();
    let output = std::process::Command::new(&rustc)
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "--crate-name",
            "fixture_codecs",
        ])
        .args([
            "--emit",
            "metadata",
            "-D",
            "warnings",
            "-D",
            "missing_docs",
            "--out-dir",
        ])
        .arg(&dir)
        .arg(&lib)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(
        generate_rust_codecs(SCHEMA).unwrap(),
        generate_rust_codecs(SCHEMA).unwrap()
    );
    assert_eq!(
        generate_c_codecs_with_namespace(SCHEMA, None).unwrap(),
        generate_c_codecs_with_namespace(SCHEMA, None).unwrap()
    );
}

include!("fixtures/sbe/order_sample.rs");

#[test]
fn order_round_trips_every_field_kind() {
    let mut buf = [0u8; 512];
    let length = encode_order(&mut buf).unwrap();

    let header = MessageHeader::decode(&buf, 0).unwrap();
    assert_eq!(
        header,
        MessageHeader {
            block_length: 101,
            template_id: 1,
            schema_id: 42,
            version: 3
        }
    );
    assert_eq!(&buf[..8], &[101, 0, 1, 0, 42, 0, 3, 0]);
    assert_eq!(OrderDecoder::SBE_BLOCK_LENGTH, 101);
    assert_eq!(OrderEncoder::SBE_TEMPLATE_ID, 1);
    assert_eq!(
        (SBE_SCHEMA_ID, SBE_SCHEMA_VERSION, SBE_SEMANTIC_VERSION),
        (42, 3, "1.2")
    );

    let mut order = OrderDecoder::wrap_with_header(&buf[..length], 0).unwrap();
    assert_eq!(order.acting_version(), 3);
    assert_eq!(order.acting_block_length(), 101);
    assert_eq!(order.order_id(), u64::MAX - 1);
    assert_eq!(
        order.price(),
        Decimal {
            mantissa: 1_234_567,
            exponent: -3
        }
    );
    assert_eq!(order.side(), Side::Buy);
    let flags = order.flags();
    assert!(flags.urgent() && flags.iceberg() && !flags.hidden());
    assert_eq!(flags, Flags(0x81));
    assert_eq!(&order.symbol(), b"RUSTERON");
    assert_eq!(order.quantity(), -42);
    assert_eq!(order.timestamp(), 1_700_000_000_000_000_000);
    assert_eq!(order.limit_price(), None);
    assert_eq!(order.magic(), 4242);
    assert_eq!(order.venue(), "XLON");
    assert_eq!(order.fixed_side(), Side::Sell);
    assert_eq!(order.ratio(), 0.25);
    assert_eq!(order.optional_ratio(), Some(1.5));
    assert_eq!(order.matrix(), [1, -2, 300]);
    assert_eq!(order.grade(), Grade::B);
    assert_eq!(order.grade_raw(), b'B');
    assert_eq!(order.booster(), booster());
    assert_eq!(Booster::KIND, "K");
    assert_eq!(order.wide(), WideFlags(0x8000_0001));
    assert_eq!(order.maybe_count(), Some(7));
    assert_eq!(order.status(), Status::Cancelled);
    assert_eq!(order.status_raw(), -5);
    assert_eq!(order.reserved(), -1);

    {
        let mut legs = order.legs().unwrap();
        assert_eq!(legs.count(), 2);
        legs.advance().unwrap();
        assert_eq!((legs.leg_id(), legs.leg_side()), (10, Side::Sell));
        assert_eq!(
            legs.leg_price(),
            Decimal {
                mantissa: 5,
                exponent: 1
            }
        );
        {
            let mut fills = legs.fills().unwrap();
            let mut seen = Vec::new();
            while fills.has_next() {
                fills.advance().unwrap();
                seen.push((fills.fill_qty(), fills.fill_note_as_str().unwrap().to_string()));
            }
            assert_eq!(seen, vec![(100, "first".to_string()), (200, "δεύτερο".to_string())]);
            assert_eq!(fills.advance().unwrap_err(), SbeCodecError::GroupExhausted { count: 2 });
        }
        assert_eq!(legs.leg_note_length().unwrap(), 7);
        assert_eq!(legs.leg_note().unwrap(), b"leg one");
        legs.advance().unwrap();
        assert_eq!(legs.leg_id(), 20);
        assert_eq!(legs.leg_side(), Side::NullVal, "an unknown value decodes to NullVal");
        assert_eq!(legs.leg_side_raw(), 77);
        {
            let mut fills = legs.fills().unwrap();
            fills.advance().unwrap();
            assert_eq!((fills.fill_qty(), fills.fill_note().unwrap()), (300, &b""[..]));
            assert!(!fills.has_next());
        }
        assert_eq!(legs.leg_note_as_str().unwrap(), "leg two");
        assert!(!legs.has_next());
    }
    assert_eq!(order.text_as_str().unwrap(), "héllo");
    assert_eq!(order.blob().unwrap(), &[0, 1, 2, 255]);
    assert_eq!(order.extra_as_str().unwrap(), "v3 only");
    assert_eq!(MessageHeader::ENCODED_LENGTH + order.encoded_length(), length);
}

#[test]
fn byte_layout_matches_the_schema_offsets() {
    let mut buf = [0u8; 512];
    let length = encode_order(&mut buf).unwrap();
    let body = &buf[8..];
    assert_eq!(&body[0..8], &(u64::MAX - 1).to_le_bytes());
    assert_eq!(&body[8..16], &1_234_567i64.to_le_bytes());
    assert_eq!(body[16], (-3i8) as u8);
    assert_eq!((body[17], body[18]), (1, 0x81));
    assert_eq!(&body[19..27], b"RUSTERON");
    assert_eq!(&body[27..31], &(-42i32).to_le_bytes());
    assert_eq!(
        &body[39..43],
        &(-1i32).to_le_bytes(),
        "a null optional is its nullValue"
    );
    assert_eq!(&body[43..51], &0.25f64.to_le_bytes());
    assert_eq!(&body[51..55], &1.5f32.to_le_bytes());
    assert_eq!(&body[55..61], &[1, 0, 0xfe, 0xff, 0x2c, 0x01]);
    assert_eq!(body[61], b'B');
    assert_eq!((body[62], body[63]), (b'S', 200), "booster: boostType, horsePower");
    assert_eq!(body[73], 0x02, "booster flags");
    assert_eq!(
        &body[76..78],
        &0xBEEFu16.to_le_bytes(),
        "booster spare at its explicit offset 14"
    );
    assert_eq!(&body[84..88], &(-5i32).to_le_bytes());
    assert_eq!(body[100], 0xff, "reserved at its explicit offset 100");
    // legs group header: blockLength 14, numInGroup 2.
    assert_eq!(&body[101..105], &[14, 0, 2, 0]);
    // first leg's fills: smallGroupSize blockLength 4, numInGroup 2.
    assert_eq!(&body[105 + 14..105 + 16], &[4, 2]);
    // the message ends with blob (u16 length) and extra (u32 length).
    assert_eq!(&buf[length - 7 - 4 - 4 - 2..length - 7 - 4], &[4, 0, 0, 1, 2, 255]);
    assert_eq!(&buf[length - 7 - 4..length], b"\x07\0\0\0v3 only");
}

#[test]
fn older_versions_read_fields_and_groups_as_absent() {
    let mut buf = [0u8; 512];
    let length = encode_order(&mut buf).unwrap();
    // Decode the v3 bytes as if written by version 1, which has neither `status` nor `extra`.
    let mut order = OrderDecoder::wrap(&buf[8..length], 0, 101, 1).unwrap();
    assert_eq!(order.status(), Status::NullVal);
    assert_eq!(order.status_raw(), i32::MIN);
    let before = order.encoded_length();
    {
        let mut legs = order.legs().unwrap();
        while legs.has_next() {
            legs.advance().unwrap();
            let mut fills = legs.fills().unwrap();
            while fills.has_next() {
                fills.advance().unwrap();
                fills.fill_note().unwrap();
            }
            legs.leg_note().unwrap();
        }
    }
    assert!(order.encoded_length() > before);
    order.text().unwrap();
    order.blob().unwrap();
    let position = order.encoded_length();
    assert_eq!(order.extra_length().unwrap(), 0);
    assert_eq!(order.extra().unwrap(), b"");
    assert_eq!(order.encoded_length(), position, "an absent var field consumes nothing");

    // Heartbeat.entries is since version 2: absent in version 1, present in version 2.
    let mut hb_buf = [0u8; 64];
    let mut hb = HeartbeatEncoder::wrap_and_apply_header(&mut hb_buf, 0).unwrap();
    hb.set_sequence(9);
    hb.entries_count(1).unwrap().advance().unwrap().set_value(-9);
    let hb_len = 8 + hb.encoded_length();
    let mut v1 = HeartbeatDecoder::wrap(&hb_buf[8..hb_len], 0, 4, 1).unwrap();
    assert_eq!(v1.entries().unwrap().count(), 0);
    let mut v2 = HeartbeatDecoder::wrap_with_header(&hb_buf[..hb_len], 0).unwrap();
    let mut entries = v2.entries().unwrap();
    assert_eq!(entries.count(), 1);
    assert_eq!(entries.advance().unwrap().value(), -9);
}

#[test]
fn explicit_offsets_and_block_length() {
    let mut buf = [0u8; 32];
    let mut legacy = LegacyEncoder::wrap_and_apply_header(&mut buf, 0).unwrap();
    legacy.set_first(7).set_second(-8);
    assert_eq!(legacy.encoded_length(), 24);
    assert_eq!(&buf[8 + 4..8 + 8], &7i32.to_le_bytes());
    assert_eq!(&buf[8 + 16..8 + 24], &(-8i64).to_le_bytes());
    let legacy = LegacyDecoder::wrap_with_header(&buf, 0).unwrap();
    assert_eq!((legacy.first(), legacy.second()), (7, -8));
}

#[test]
fn message_names_by_template_id() {
    assert_eq!(sbe_message_name(OrderEncoder::SBE_TEMPLATE_ID), Some("Order"));
    assert_eq!(sbe_message_name(0), None);
    assert_eq!(sbe_message_name(u16::MAX), None);
}

#[test]
fn enums_and_sets_convert_both_ways() {
    assert_eq!(Side::from_value(2), Side::Sell);
    assert_eq!(Side::from(99u8), Side::NullVal);
    assert_eq!(u8::from(Side::NullVal), 255);
    assert_eq!(Status::NullVal.value(), i32::MIN);
    assert_eq!(Status::from_value(-5), Status::Cancelled);
    assert_eq!(Grade::from_value(b'A'), Grade::A);
    assert_eq!(Grade::NullVal.value(), 0);
    assert_eq!(BoostType::Turbo.value(), b'T');
    assert_eq!(Side::default(), Side::NullVal);
    let mut flags = Flags::default();
    flags.set_hidden(true).set_iceberg(true);
    assert_eq!(flags.0, 0b1000_0010);
    flags.set_hidden(false);
    assert_eq!(flags, Flags(0x80));
}

#[test]
fn short_buffers_and_bad_input_give_errors() {
    let mut tiny = [0u8; 50];
    assert!(matches!(
        OrderEncoder::wrap_and_apply_header(&mut tiny, 0),
        Err(SbeCodecError::BufferTooShort {
            needed: 109,
            available: 50
        })
    ));
    assert!(matches!(
        OrderEncoder::wrap_and_apply_header(&mut tiny, usize::MAX),
        Err(SbeCodecError::BufferTooShort { .. })
    ));
    assert!(OrderDecoder::wrap(&tiny, 0, 101, 3).is_err());

    let mut buf = [0u8; 8 + 101 + 4 + 3];
    let mut order = OrderEncoder::wrap_and_apply_header(&mut buf, 0).unwrap();
    assert!(matches!(
        order.put_text(b"four"),
        Err(SbeCodecError::BufferTooShort { .. })
    ));
    assert!(matches!(
        order.put_text(&[b'x'; 1025]),
        Err(SbeCodecError::LengthOutOfRange {
            length: 1025,
            max: 1024
        })
    ));
    assert!(order.legs_count(1).is_ok());

    let mut buf = [0u8; 256];
    let mut order = OrderEncoder::wrap_and_apply_header(&mut buf, 0).unwrap();
    let mut legs = order.legs_count(1).unwrap();
    legs.advance().unwrap();
    assert_eq!(
        legs.fills_count(0).unwrap_err(),
        SbeCodecError::CountOutOfRange {
            count: 0,
            min: 1,
            max: 10
        }
    );
    assert_eq!(
        legs.fills_count(11).unwrap_err(),
        SbeCodecError::CountOutOfRange {
            count: 11,
            min: 1,
            max: 10
        }
    );

    let mut buf = [0u8; 512];
    let length = encode_order(&mut buf).unwrap();
    assert_eq!(
        HeartbeatDecoder::wrap_with_header(&buf[..length], 0).unwrap_err(),
        SbeCodecError::UnexpectedTemplateId { expected: 2, found: 1 }
    );
    let mut wrong_schema = buf;
    wrong_schema[4] = 43;
    assert_eq!(
        OrderDecoder::wrap_with_header(&wrong_schema[..length], 0).unwrap_err(),
        SbeCodecError::UnexpectedSchemaId {
            expected: 42,
            found: 43
        }
    );

    // A var field whose length runs past the end of the buffer.
    let mut order_bytes = buf[..length].to_vec();
    let text_at = length - (4 + "héllo".len() + 2 + 4 + 4 + 7);
    order_bytes[text_at..text_at + 4].copy_from_slice(&5000u32.to_le_bytes());
    let mut order = OrderDecoder::wrap_with_header(&order_bytes, 0).unwrap();
    skip_legs(&mut order).unwrap();
    assert!(matches!(order.text(), Err(SbeCodecError::BufferTooShort { .. })));

    // Text that is not UTF-8.
    let mut buf = [0u8; 256];
    let mut order = OrderEncoder::wrap_and_apply_header(&mut buf, 0).unwrap();
    order.legs_count(0).unwrap();
    order.put_text(&[0xff, 0xfe]).unwrap();
    let length = 8 + order.encoded_length();
    let mut order = OrderDecoder::wrap_with_header(&buf[..length], 0).unwrap();
    skip_legs(&mut order).unwrap();
    assert_eq!(order.text_as_str().unwrap_err(), SbeCodecError::InvalidUtf8);
}

fn skip_legs(order: &mut OrderDecoder<'_>) -> Result<(), SbeCodecError> {
    let mut legs = order.legs()?;
    while legs.has_next() {
        legs.advance()?;
        let mut fills = legs.fills()?;
        while fills.has_next() {
            fills.advance()?;
            fills.fill_note()?;
        }
        legs.leg_note()?;
    }
    Ok(())
}

/// Reads everything a decoder offers, stopping at the first error.
fn read_all(bytes: &[u8]) -> Result<(), SbeCodecError> {
    let mut order = OrderDecoder::wrap_with_header(bytes, 0)?;
    let _ = (
        order.order_id(),
        order.price(),
        order.side(),
        order.flags(),
        order.symbol(),
    );
    let _ = (
        order.limit_price(),
        order.optional_ratio(),
        order.matrix(),
        order.booster(),
    );
    let _ = (order.status(), order.maybe_count(), order.wide(), order.reserved());
    skip_legs(&mut order)?;
    order.text_as_str()?;
    order.blob()?;
    order.extra()?;
    Ok(())
}

#[test]
fn truncated_and_corrupted_messages_never_panic() {
    let mut buf = [0u8; 512];
    let length = encode_order(&mut buf).unwrap();
    assert_eq!(read_all(&buf[..length]), Ok(()));
    for cut in 0..length {
        assert!(read_all(&buf[..cut]).is_err(), "truncated to {cut} bytes");
    }
    for i in 8..length {
        for value in [0x00, 0x7f, 0xff] {
            let mut corrupt = buf[..length].to_vec();
            corrupt[i] = value;
            let _ = read_all(&corrupt);
        }
    }
}
