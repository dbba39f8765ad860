//! Property tests of [`ChannelUri`]: generated valid channels print and parse back to the
//! same value, and arbitrary text (NUL, separators, unicode, near the length limit) never
//! panics: it parses, or fails with `InvalidChannel` / `InvalidArgument`.
//!
//! Case counts are bounded so the whole file runs in a few seconds on two cores.

use std::ffi::CString;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rusteron_client::uri::MAX_URI_LENGTH;
use rusteron_client::*;

/// Cases per property.
const CASES: u32 = 512;

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Bytes the C parameter parser treats specially (or that cannot be in a C string).
fn is_reserved(c: char) -> bool {
    matches!(c, '?' | '|' | '=' | '\0')
}

/// A parameter key: Aeron-like names plus arbitrary non-reserved text (unicode included).
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(vec![
            "endpoint", "control", "control-mode", "interface", "term-length", "mtu", "ttl", "alias",
            "reliable", "session-id", "tags", "linger", "sparse", "eos", "tether", "group",
        ])
        .prop_map(str::to_owned),
        2 => "[a-z][a-z0-9-]{0,15}",
        1 => any::<String>().prop_map(|s| s.chars().filter(|c| !is_reserved(*c)).take(12).collect::<String>())
            .prop_filter("non-empty", |s| !s.is_empty()),
    ]
}

/// A parameter value: Aeron-like values plus arbitrary non-reserved text.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "(localhost|127\\.0\\.0\\.1|224\\.0\\.1\\.1|\\[::1\\]):[0-9]{1,5}",
        2 => "[0-9]{1,10}(k|m|g)?",
        1 => proptest::sample::select(vec!["true", "false", "dynamic", "manual", "response"]).prop_map(str::to_owned),
        2 => any::<String>().prop_map(|s| s.chars().filter(|c| !is_reserved(*c)).take(24).collect::<String>())
            .prop_filter("non-empty", |s| !s.is_empty()),
    ]
}

#[derive(Debug, Clone)]
struct Generated {
    spy: bool,
    media: Media,
    params: Vec<(String, String)>,
}

fn generated() -> impl Strategy<Value = Generated> {
    (
        any::<bool>(),
        prop_oneof![Just(Media::Ipc), Just(Media::Udp)],
        proptest::collection::vec((key(), value()), 0..8),
    )
        .prop_map(|(spy, media, mut params)| {
            // UDP needs at least one parameter (`aeron:udp` alone is invalid).
            if media == Media::Udp && params.is_empty() {
                params.push(("endpoint".into(), "localhost:40123".into()));
            }
            Generated { spy, media, params }
        })
}

/// What the channel text of `g` is, built by hand (not through `Display`).
fn text_of(g: &Generated) -> String {
    let mut text = String::new();
    if g.spy {
        text.push_str("aeron-spy:");
    }
    text.push_str(match g.media {
        Media::Ipc => "aeron:ipc",
        _ => "aeron:udp",
    });
    for (i, (k, v)) in g.params.iter().enumerate() {
        text.push(if i == 0 { '?' } else { '|' });
        text.push_str(k);
        text.push('=');
        text.push_str(v);
    }
    text
}

/// The parameters with the last value of each repeated key, in first-seen order (what the
/// driver, and `ChannelUri`, keep).
fn last_wins(params: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in params {
        match out.iter_mut().find(|(key, _)| key == k) {
            Some((_, value)) => value.clone_from(v),
            None => out.push((k.clone(), v.clone())),
        }
    }
    out
}

fn params_of(uri: &ChannelUri) -> Vec<(String, String)> {
    uri.params().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(left: T, right: T, what: &str) -> Result<(), TestCaseError> {
    if left == right {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!("{what}: {left:?} != {right:?}")))
    }
}

#[test]
fn generated_channels_parse_print_and_parse_back_equal() {
    runner()
        .run(&generated(), |g| {
            let text = text_of(&g);
            let parsed = ChannelUri::parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
            expect_eq(parsed.is_spy(), g.spy, "spy")?;
            expect_eq(parsed.media(), g.media, "media")?;
            let expected = last_wins(&g.params);
            expect_eq(params_of(&parsed), expected.clone(), "params")?;
            // Print → parse gives the same value; with distinct keys the text itself.
            let printed = parsed.to_string();
            if expected.len() == g.params.len() {
                expect_eq(printed.as_str(), text.as_str(), "printed text")?;
            }
            let reparsed = ChannelUri::parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed:?}: {e}")))?;
            expect_eq(&reparsed, &parsed, "reparsed")?;
            expect_eq(
                parsed.to_c_string().map_err(|e| TestCaseError::fail(e.to_string()))?,
                CString::new(printed).unwrap(),
                "C string",
            )?;
            // Built with `new` + `put`, the same channel.
            let mut built = ChannelUri::new(g.media);
            built.set_spy(g.spy);
            for (k, v) in &g.params {
                built
                    .put(k, v)
                    .map_err(|e| TestCaseError::fail(format!("put {k:?}={v:?}: {e}")))?;
            }
            expect_eq(&built, &parsed, "built with put")?;
            // `get` sees the last value of every key; `remove` then `get` sees nothing.
            for (k, v) in &expected {
                expect_eq(built.get(k), Some(v.as_str()), "get")?;
                expect_eq(built.remove(k).as_deref(), Some(v.as_str()), "remove")?;
                expect_eq(built.get(k), None, "get after remove")?;
            }
            Ok(())
        })
        .unwrap();
}

/// Fragments that exercise the parser's states: scheme pieces, separators, NUL, unicode.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "aeron:",
            "aeron-spy:",
            "ipc",
            "udp",
            "tcp",
            "?",
            "|",
            "=",
            "\0",
            "endpoint",
            "localhost:1",
            "é",
            "🚀",
            " ",
            "\u{feff}",
            "\u{7f}",
            "%00",
            "\\",
            "aeron:udp?",
            "aeron:ipc?",
            "||",
            "==",
            "?=",
        ])
        .prop_map(str::to_owned),
        any::<String>().prop_map(|s| s.chars().take(6).collect::<String>()),
    ]
}

fn arbitrary_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::collection::vec(fragment(), 0..12).prop_map(|parts| parts.concat()),
        1 => any::<String>(),
        1 => (fragment(), 4080usize..4110).prop_map(|(tail, n)| {
            let mut text = String::from("aeron:ipc?alias=");
            while text.len() < n {
                text.push('a');
            }
            text.push_str(&tail);
            text
        }),
    ]
}

/// Checks one outcome of `ChannelUri::parse(text)`: a typed error, or a channel that prints
/// and parses back equal.
fn check_parse_outcome(text: &str) -> Result<(), TestCaseError> {
    let outcome = std::panic::catch_unwind(|| ChannelUri::parse(text))
        .map_err(|_| TestCaseError::fail(format!("ChannelUri::parse panicked on {text:?}")))?;
    match outcome {
        Ok(uri) => {
            prop_assert!(text.len() <= MAX_URI_LENGTH, "accepted {} bytes", text.len());
            prop_assert!(!text.contains('\0'), "accepted a NUL: {text:?}");
            let printed = uri.to_string();
            let reparsed = ChannelUri::parse(&printed)
                .map_err(|e| TestCaseError::fail(format!("{text:?} parsed, but its print {printed:?} fails: {e}")))?;
            expect_eq(&reparsed, &uri, "reparsed")?;
            for (k, v) in uri.params() {
                prop_assert!(!k.is_empty() && !v.is_empty(), "empty part in {text:?}");
                prop_assert!(!k.contains(['|', '=', '\0']) && !v.contains(['|', '\0']), "{k:?}={v:?}");
            }
        }
        Err(e) => {
            let kind = e.kind();
            prop_assert!(
                matches!(kind, AeronErrorType::InvalidChannel | AeronErrorType::InvalidArgument),
                "{text:?}: unexpected kind {kind:?} ({e})"
            );
            if text.contains('\0') && text.len() <= MAX_URI_LENGTH {
                expect_eq(kind, AeronErrorType::InvalidArgument, "kind for a NUL")?;
            } else {
                expect_eq(kind, AeronErrorType::InvalidChannel, "kind")?;
            }
            prop_assert!(e.message().is_some_and(|m| !m.is_empty()), "no message for {text:?}");
        }
    }
    Ok(())
}

#[test]
fn arbitrary_text_parses_or_fails_with_a_typed_error() {
    runner()
        .run(&arbitrary_text(), |text| check_parse_outcome(&text))
        .unwrap();
}

#[test]
fn arbitrary_bytes_through_cstr_never_panic() {
    let bytes = proptest::collection::vec(
        prop_oneof![
            3 => any::<u8>().prop_filter("no NUL", |b| *b != 0),
            1 => proptest::sample::select(b"aeron:ipc?=|\xff\xc3".to_vec()),
        ],
        0..64,
    );
    runner()
        .run(
            &(prop_oneof![Just(b"aeron:ipc?alias=".to_vec()), Just(Vec::new())], bytes),
            |(prefix, tail)| {
                let text = CString::new([prefix, tail].concat()).unwrap();
                let outcome = std::panic::catch_unwind(|| ChannelUri::try_from(text.as_c_str()))
                    .map_err(|_| TestCaseError::fail(format!("try_from panicked on {text:?}")))?;
                match (text.to_str(), outcome) {
                    (Err(_), Ok(uri)) => Err(TestCaseError::fail(format!("non-UTF-8 {text:?} accepted as {uri}"))),
                    (Err(_), Err(e)) => expect_eq(e.kind(), AeronErrorType::InvalidArgument, "kind for non-UTF-8"),
                    (Ok(s), outcome) => {
                        expect_eq(outcome, ChannelUri::parse(s), "same as parse")?;
                        check_parse_outcome(s)
                    }
                }
            },
        )
        .unwrap();
}

#[test]
fn put_accepts_exactly_the_parts_without_separators() {
    let part = prop_oneof![key(), fragment(), Just(String::new())];
    runner()
        .run(&(generated(), part.clone(), part), |(g, k, v)| {
            let mut uri = ChannelUri::parse(&text_of(&g)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let before = uri.clone();
            let valid = |s: &str| !s.is_empty() && !s.contains(is_reserved);
            match uri.put(&k, &v) {
                Ok(_) => {
                    prop_assert!(valid(&k) && valid(&v), "put accepted {k:?}={v:?}");
                    expect_eq(uri.get(&k), Some(v.as_str()), "get after put")?;
                    let reparsed =
                        ChannelUri::parse(&uri.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    expect_eq(&reparsed, &uri, "reparsed after put")?;
                }
                Err(e) => {
                    prop_assert!(!(valid(&k) && valid(&v)), "put rejected {k:?}={v:?}: {e}");
                    expect_eq(e.kind(), AeronErrorType::InvalidArgument, "kind")?;
                    expect_eq(&uri, &before, "unchanged after a rejected put")?;
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_length_limit_is_exact() {
    for total in MAX_URI_LENGTH - 3..=MAX_URI_LENGTH + 3 {
        let mut text = String::from("aeron:ipc?alias=");
        text.extend(std::iter::repeat('x').take(total - text.len()));
        assert_eq!(text.len(), total);
        let result = ChannelUri::parse(&text);
        if total <= MAX_URI_LENGTH {
            let uri = result.unwrap_or_else(|e| panic!("{total} bytes: {e}"));
            assert_eq!(uri.to_string(), text);
            assert_eq!(uri.to_c_string().expect("fits").as_bytes().len(), total);
        } else {
            assert_eq!(result.expect_err("too long").kind(), AeronErrorType::InvalidChannel);
        }
    }
    // A channel built with put past the limit cannot become a C string.
    let mut uri = ChannelUri::new(Media::Ipc);
    uri.put("alias", &"y".repeat(MAX_URI_LENGTH))
        .expect("put does not check the total length");
    assert_eq!(
        uri.to_c_string().expect_err("too long").kind(),
        AeronErrorType::InvalidChannel
    );
}

/// A UDP channel whose parameter list C reads as empty (`aeron:udp?`, `aeron:udp?endpoint`)
/// would print as `aeron:udp`, which does not parse: parse → print → parse must not fail
/// (regression test: such channels are rejected like `aeron:udp`).
#[test]
fn udp_without_parameters_is_rejected_or_round_trips() {
    for text in ["aeron:udp?", "aeron:udp?endpoint", "aeron-spy:aeron:udp?x"] {
        assert!(
            ChannelUri::parse(text).is_err() || text.starts_with("aeron-spy"),
            "{text:?} accepted"
        );
        if let Ok(uri) = ChannelUri::parse(text) {
            let printed = uri.to_string();
            assert_eq!(
                ChannelUri::parse(&printed).as_ref(),
                Ok(&uri),
                "{text:?} parsed, its print {printed:?} does not"
            );
        }
    }
}
