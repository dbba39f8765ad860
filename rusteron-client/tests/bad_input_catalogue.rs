//! A catalogue of bad inputs across the client and the media driver: each gives a typed
//! error of a known kind, with a message naming the problem, within a bound.
//!
//! Cases already covered elsewhere are not repeated here:
//! - `bad_input.rs`: malformed channels (`aeron:foo`, `aeron:udp?endpoint=`, `not-a-channel`),
//!   unknown media (`aeron:tcp`), conflicting term lengths on one endpoint, no driver in an
//!   empty directory (driver timeout), interior NUL in a channel and a counter label;
//! - `publication.rs` (`offer_errors_are_typed`, `add_publication_reports_driver_errors_...`):
//!   offer of max message length + 1, `try_claim` over the MTU, `offerv` of 17 buffers and
//!   a released supplier on a publication, calls on a closed publication, an empty param
//!   value, a zero add timeout;
//! - `counters.rs` (`bad_counter_arguments_are_typed_errors`): key of 113 bytes, label of
//!   381 bytes, NUL in a label, counter ids out of range for `counter_value`/`counter_label`;
//! - `uri.rs`, `prop_uri.rs`: `ChannelUri` parse and put errors; `subscription.rs`: an empty
//!   MDS destination, a closed subscription's polls; `cnc.rs`: `AeronCnc::open` on an empty
//!   directory; `safety.rs`: adding a publication on a closed client;
//! - `rusteron-media-driver/tests/aeronmd.rs`: aeronmd's bad flags, threading modes and
//!   timeouts.
//!
//! Each group test counts its cases; `the_catalogue_has_at_least_30_cases` adds them up.

use std::ffi::{CStr, CString};
use std::time::{Duration, Instant};

use rusteron_client::*;
use rusteron_media_driver::testing::{client, driver_and_client, free_udp_port, subscribe, wait_until, TIMEOUT};
use rusteron_media_driver::{AeronDriver, EmbeddedDriverOptions};

/// A rejection that does not wait for a timeout must come within this bound.
const PROMPT: Duration = Duration::from_secs(3);

/// Counts and checks the cases of one group.
struct Catalogue {
    group: &'static str,
    cases: usize,
}

impl Catalogue {
    fn new(group: &'static str) -> Self {
        Catalogue { group, cases: 0 }
    }

    /// Runs `attempt`; it must fail with `kind`, a message containing `needle`, within `bound`.
    fn rejects<T>(
        &mut self,
        case: &str,
        kind: AeronErrorType,
        needle: &str,
        bound: Duration,
        attempt: impl FnOnce() -> Result<T, AeronCError>,
    ) -> AeronCError {
        let start = Instant::now();
        let result = attempt();
        let elapsed = start.elapsed();
        let group = self.group;
        let e = match result {
            Ok(_) => panic!("{group}: {case}: accepted"),
            Err(e) => e,
        };
        assert_eq!(e.kind(), kind, "{group}: {case}: {e}");
        let message = e.message().unwrap_or_default();
        assert!(
            message.contains(needle),
            "{group}: {case}: {needle:?} not in {message:?}"
        );
        assert!(elapsed < bound, "{group}: {case}: took {elapsed:?} (bound {bound:?})");
        e
    }

    /// Counts one catalogue case (a case may check several calls).
    fn case(&mut self) {
        self.cases += 1;
    }

    fn finish(self, expected: usize) {
        assert_eq!(self.cases, expected, "{}: case count", self.group);
    }
}

fn c(text: &str) -> CString {
    CString::new(text).expect("no NUL")
}

const DRIVER_PUBLICATION_CASES: usize = 20;

/// Publication parameters the driver rejects (the subscription side ignores most of them).
#[test]
fn the_driver_rejects_bad_publication_parameters() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let mut catalogue = Catalogue::new("publication parameters");
    let generic = AeronErrorType::GenericError;
    let udp = |params: &str| format!("aeron:udp?endpoint=localhost:{}|{params}", free_udp_port());
    let cases: Vec<(String, &str)> = vec![
        ("aeron:ipc?term-length=65537".into(), "term length not a power of 2"),
        ("aeron:ipc?term-length=32k".into(), "less than min length of 65536"),
        (
            "aeron:ipc?term-length=2g".into(),
            "greater than max length of 1073741824",
        ),
        ("aeron:ipc?term-length=abc".into(), "could not parse term-length=abc"),
        (
            "aeron:ipc?term-length=-65536".into(),
            "could not parse term-length=-65536",
        ),
        (
            udp("mtu=65536"),
            "mtuLength must be a > HEADER_LENGTH and <= MAX_UDP_PAYLOAD_LENGTH",
        ),
        (udp("mtu=1000"), "mtuLength must be a multiple of FRAME_ALIGNMENT"),
        (udp("mtu=16"), "mtuLength must be a > HEADER_LENGTH"),
        ("aeron:ipc?mtu=99999999999".into(), "mtuLength must be"),
        ("aeron:ipc?session-id=abc".into(), "could not parse session-id=abc"),
        ("aeron:ipc?linger=abc".into(), "could not parse linger=abc"),
        ("aeron:ipc?init-term-id=5".into(), "must be used as a complete set"),
        (
            "aeron:ipc?init-term-id=0|term-id=0|term-offset=7".into(),
            "term-offset=7 must be multiple of FRAME_ALIGNMENT",
        ),
        (udp("max-resend=0"), "invalid max-resend=0"),
        (udp("sparse=maybe"), "could not parse sparse=maybe"),
        (udp("session-id=tag:1"), "must reference a network publication"),
        (
            "aeron:ipc?response-correlation-id=abc".into(),
            "invalid response-correlation-id",
        ),
        (
            udp("untethered-window-limit-timeout=abc"),
            "could not parse untethered-window-limit-timeout=abc",
        ),
        (udp("tags=1,2,3,4"), "Entity tag invalid"),
        (udp("so-rcvbuf=abc"), "could not parse so-rcvbuf=abc"),
    ];
    for (i, (channel, needle)) in cases.iter().enumerate() {
        let channel = c(channel);
        let stream = 10_000 + i as i32;
        catalogue.rejects(&format!("publication on {channel:?}"), generic, needle, PROMPT, || {
            aeron.add_publication(&channel, stream, TIMEOUT)
        });
        catalogue.rejects(&format!("exclusive on {channel:?}"), generic, needle, PROMPT, || {
            aeron.add_exclusive_publication(&channel, stream, TIMEOUT)
        });
        catalogue.case();
    }
    // The client keeps working after all those rejections.
    aeron.add_publication(c"aeron:ipc", 10_999, TIMEOUT)?;
    catalogue.finish(DRIVER_PUBLICATION_CASES);
    Ok(())
}

const CHANNEL_CASES: usize = 10;

/// Channels no publication or subscription can use.
#[test]
fn the_driver_rejects_unusable_channels_for_every_kind() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let mut catalogue = Catalogue::new("channels");
    let long = format!("aeron:ipc?alias={}", "a".repeat(uri::MAX_URI_LENGTH));
    let cases: Vec<(String, AeronErrorType, &str)> = vec![
        (
            "".into(),
            AeronErrorType::InvalidChannel,
            "invalid URI scheme or transport",
        ),
        (
            long,
            AeronErrorType::InvalidChannel,
            "exceeds max supported length (4095)",
        ),
        ("aeron-spy:aeron:ipc".into(), AeronErrorType::InvalidChannel, "invalid"),
        (
            "aeron:udp?control-mode=dynamic".into(),
            AeronErrorType::InvalidChannel,
            "explicit control expected with dynamic control mode",
        ),
        (
            "aeron:udp?endpoint=localhost:notaport".into(),
            AeronErrorType::GenericError,
            "port invalid: localhost:notaport",
        ),
        (
            "aeron:udp?endpoint=localhost:70000".into(),
            AeronErrorType::GenericError,
            "port out of range: '70000'",
        ),
        (
            "aeron:udp?endpoint=localhost".into(),
            AeronErrorType::GenericError,
            "port invalid: ''",
        ),
        (
            format!("aeron:udp?endpoint=localhost:{}|interface=999.0.0.1", free_udp_port()),
            AeronErrorType::UnknownHost,
            "Unable to resolve host",
        ),
        (
            format!("aeron:udp?endpoint=[::1:{}", free_udp_port()),
            AeronErrorType::UnknownHost,
            "Unable to resolve host",
        ),
    ];
    for (i, (channel, kind, needle)) in cases.iter().enumerate() {
        let channel = c(channel);
        let stream = 11_000 + i as i32;
        let shown = format!("{:.60}", channel.to_string_lossy());
        catalogue.rejects(&format!("publication on {shown}"), *kind, needle, PROMPT, || {
            aeron.add_publication(&channel, stream, TIMEOUT)
        });
        catalogue.rejects(&format!("exclusive on {shown}"), *kind, needle, PROMPT, || {
            aeron.add_exclusive_publication(&channel, stream, TIMEOUT)
        });
        catalogue.rejects(&format!("subscription on {shown}"), *kind, "", PROMPT, || {
            subscribe(&aeron, &channel, stream)
        });
        catalogue.case();
    }
    // A subscription parameter a publication ignores.
    let channel = c(&format!(
        "aeron:udp?endpoint=localhost:{}|reliable=maybe",
        free_udp_port()
    ));
    catalogue.rejects(
        "subscription with reliable=maybe",
        AeronErrorType::GenericError,
        "could not parse reliable=maybe as bool",
        PROMPT,
        || subscribe(&aeron, &channel, 11_100),
    );
    catalogue.case();

    // Tolerated, and so documented here: unknown parameters and any stream id.
    aeron.add_publication(c"aeron:ipc?no-such-param=1", 11_101, TIMEOUT)?;
    for stream in [0, -1, i32::MIN, i32::MAX] {
        aeron.add_publication(c"aeron:ipc", stream, TIMEOUT)?;
        subscribe(&aeron, c"aeron:ipc", stream)?;
    }
    catalogue.finish(CHANNEL_CASES);
    Ok(())
}

const PUBLICATION_LIMIT_CASES: usize = 6;

/// Lengths beyond a publication's limits, checked in C without a driver round trip.
#[test]
fn publication_length_limits_are_publication_errors() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let mut catalogue = Catalogue::new("publication limits");
    let stream = 12_000;
    let publication = aeron.add_publication(c"aeron:ipc", stream, TIMEOUT)?;
    let exclusive = aeron.add_exclusive_publication(c"aeron:ipc", stream, TIMEOUT)?;
    let subscription = subscribe(&aeron, c"aeron:ipc", stream)?;
    wait_until("connected", || publication.is_connected() && exclusive.is_connected());
    let constants = exclusive.constants()?;
    let (max_message, max_payload) = (constants.max_message_length(), constants.max_payload_length());
    let none = Handlers::no_reserved_value_supplier_handler();
    let instant = Duration::from_millis(100);
    let error = AeronErrorType::PublicationError;
    let too_long = vec![7u8; max_message + 1];

    catalogue.rejects("exclusive try_claim of max payload + 1", error, "", instant, || {
        exclusive.try_claim(max_payload + 1)
    });
    catalogue.case();
    catalogue.rejects("exclusive offer of max message + 1", error, "", instant, || {
        exclusive.offer(&too_long, none)
    });
    catalogue.case();
    catalogue.rejects("exclusive offer_once of max message + 1", error, "", instant, || {
        exclusive.offer_once(&too_long, |_: &[u8]| 0)
    });
    catalogue.case();
    let half = vec![1u8; max_message / 2 + 1];
    catalogue.rejects("offerv of two halves over the max", error, "", instant, || {
        publication.offerv(&[&half, &half], none)
    });
    catalogue.case();
    catalogue.rejects(
        "exclusive append_padding of max message + 1",
        error,
        "",
        instant,
        || exclusive.append_padding(max_message + 1),
    );
    catalogue.case();
    let many = [&b"x"[..]; MAX_OFFERV_BUFFERS + 1];
    catalogue.rejects(
        "exclusive offerv of 17 buffers",
        AeronErrorType::InvalidArgument,
        "at most 16 buffers",
        instant,
        || exclusive.offerv(&many, none),
    );
    catalogue.case();

    // The edges that are valid, so documented here: empty messages and claims, 16 buffers.
    let mut positions = vec![publication.offer(b"", none)?];
    positions.push(publication.offerv(&[], none)?);
    positions.push(publication.offerv(&[b"", b""], none)?);
    positions.push(publication.offerv(&[&b"y"[..]; MAX_OFFERV_BUFFERS], none)?);
    let claim = publication.try_claim(0)?;
    assert!(claim.is_empty());
    claim.commit()?;
    exclusive.try_claim(max_payload)?.abort()?;
    exclusive.append_padding(max_payload + 1)?;
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let mut lengths = Vec::new();
    wait_until("the edge messages", || {
        subscription
            .poll_once(|b: &[u8], _: AeronHeader| lengths.push(b.len()), 10)
            .expect("poll");
        lengths.len() >= 5
    });
    assert_eq!(&lengths[..5], &[0, 0, 0, MAX_OFFERV_BUFFERS, 0]);
    catalogue.finish(PUBLICATION_LIMIT_CASES);
    Ok(())
}

const CLOSED_AND_RELEASED_CASES: usize = 10;

/// Closed clients and subscriptions, released handlers, a client started twice.
#[test]
fn closed_resources_and_released_handlers_are_typed_errors() -> Result<(), AeronCError> {
    let (driver, aeron) = driver_and_client()?;
    let mut catalogue = Catalogue::new("closed and released");
    let instant = Duration::from_millis(100);
    let closed = AeronErrorType::ResourceClosed;
    let invalid = AeronErrorType::InvalidArgument;

    let doomed = client(&driver)?;
    let subscription = subscribe(&doomed, c"aeron:ipc", 13_000)?;
    doomed.close()?;
    catalogue.rejects("add_counter on a closed client", closed, "is closed", instant, || {
        doomed.add_counter(1, b"", "x", TIMEOUT)
    });
    catalogue.case();
    catalogue.rejects(
        "exclusive publication on a closed client",
        closed,
        "is closed",
        instant,
        || doomed.add_exclusive_publication(c"aeron:ipc", 13_000, TIMEOUT),
    );
    catalogue.case();
    catalogue.rejects(
        "controlled poll on a subscription of a closed client",
        closed,
        "is closed",
        instant,
        || {
            subscription.controlled_poll_once(
                |_: &[u8], _: AeronHeader| ControlledPollAction::AERON_ACTION_CONTINUE,
                10,
            )
        },
    );
    catalogue.case();
    catalogue.rejects(
        "block poll on a subscription of a closed client",
        closed,
        "is closed",
        instant,
        || subscription.block_poll_once(|_: &[u8], _: i32, _: i32| {}, 4096),
    );
    catalogue.case();

    let live = subscribe(&aeron, c"aeron:ipc", 13_001)?;
    let mut image_handler = Handlers::leak(|_: AeronSubscription, _: AeronImage| {});
    image_handler.release();
    catalogue.rejects(
        "subscription with a released image handler",
        invalid,
        "released",
        instant,
        || {
            aeron.add_subscription(
                c"aeron:ipc",
                13_002,
                Some(&image_handler),
                Handlers::no_unavailable_image_handler(),
                TIMEOUT,
            )
        },
    );
    catalogue.case();
    let mut fragment_handler = Handlers::leak(|_: &[u8], _: AeronHeader| {});
    fragment_handler.release();
    catalogue.rejects(
        "fragment assembler over a released handler",
        invalid,
        "released",
        instant,
        || AeronFragmentAssembler::new(Some(&fragment_handler)),
    );
    catalogue.case();
    let mut controlled = Handlers::leak(|_: &[u8], _: AeronHeader| ControlledPollAction::AERON_ACTION_CONTINUE);
    controlled.release();
    catalogue.rejects(
        "controlled poll with a released handler",
        invalid,
        "released",
        instant,
        || live.controlled_poll(Some(&controlled), 10),
    );
    catalogue.case();
    let mut block = Handlers::leak(|_: &[u8], _: i32, _: i32| {});
    block.release();
    catalogue.rejects(
        "block poll with a released handler",
        invalid,
        "released",
        instant,
        || live.block_poll(Some(&block), 4096),
    );
    catalogue.case();
    let mut error_handler = Handlers::leak(|_: i32, _: &str| {});
    error_handler.release();
    let ctx = AeronContext::new()?;
    catalogue.rejects(
        "context with a released error handler",
        invalid,
        "released",
        instant,
        || ctx.set_error_handler(Some(&error_handler)),
    );
    catalogue.case();

    let twice = client(&driver)?;
    catalogue.rejects(
        "starting a client twice",
        AeronErrorType::Errno(22),
        "must be in AERON_AGENT_STATE_INITED",
        instant,
        || twice.start(),
    );
    catalogue.case();
    // The started client still works.
    twice.add_publication(c"aeron:ipc", 13_003, TIMEOUT)?;
    catalogue.finish(CLOSED_AND_RELEASED_CASES);
    Ok(())
}

const CONTEXT_CASES: usize = 5;

fn connect(dir: &CStr, driver_timeout_ms: u64) -> Result<Aeron, AeronCError> {
    let ctx = AeronContext::new()?;
    ctx.set_dir(dir)?;
    ctx.set_driver_timeout_ms(driver_timeout_ms)?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

/// Client contexts pointing nowhere, or configured to fail.
#[test]
fn bad_client_contexts_fail_within_their_driver_timeout() -> Result<(), AeronCError> {
    let (driver, _aeron) = driver_and_client()?;
    let mut catalogue = Catalogue::new("client contexts");
    let timeout = AeronErrorType::ClientErrorDriverTimeout;
    // The connection attempt gives up after the driver timeout (300 ms here).
    let bound = Duration::from_millis(300) + PROMPT;

    catalogue.rejects(
        "set_dir to a missing directory",
        timeout,
        "CnC file not created",
        bound,
        || connect(c"/nonexistent/rusteron/aeron", 300),
    );
    catalogue.case();
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    let file_c = c(&file.path().to_string_lossy());
    catalogue.rejects(
        "set_dir to a regular file",
        timeout,
        "CnC file not created",
        bound,
        || connect(&file_c, 300),
    );
    catalogue.case();
    catalogue.rejects(
        "a driver timeout of 0 ms against a live driver",
        timeout,
        "no driver heartbeat detected after: 0ms",
        PROMPT,
        || connect(&driver.dir_c_string(), 0),
    );
    catalogue.case();
    catalogue.rejects(
        "an unknown client idle strategy",
        AeronErrorType::Errno(22),
        "could not find idle strategy object no-such-idle",
        PROMPT,
        || {
            let ctx = AeronContext::new()?;
            ctx.set_dir(&driver.dir_c_string())?;
            ctx.set_idle_strategy(c"no-such-idle")?;
            Aeron::new(&ctx)
        },
    );
    catalogue.case();
    catalogue.rejects(
        "AeronCnc::open on a missing directory",
        timeout,
        "Timed out waiting for CnC file",
        Duration::from_millis(100) + PROMPT,
        || AeronCnc::open("/nonexistent/rusteron/aeron", Duration::from_millis(100)),
    );
    catalogue.case();
    assert!(
        file.path().exists(),
        "a client never touches the file it was pointed at"
    );
    catalogue.finish(CONTEXT_CASES);
    Ok(())
}

const DRIVER_OPTION_CASES: usize = 13;

/// `EmbeddedDriverOptions` and driver context values the C driver refuses at start.
#[test]
fn bad_embedded_driver_options_fail_to_launch() -> Result<(), AeronCError> {
    let mut catalogue = Catalogue::new("driver options");
    let einval = AeronErrorType::Errno(22);
    for (length, needle) in [
        (65_537, "term length not a power of 2: length=65537"),
        (1024, "term length less than min length of 65536"),
        (2 << 30, "term length greater than max length of 1073741824"),
    ] {
        let options = EmbeddedDriverOptions {
            term_buffer_length: length,
            ..EmbeddedDriverOptions::default()
        };
        catalogue.rejects(&format!("term length {length}"), einval, needle, PROMPT, || {
            options.launch()
        });
        catalogue.case();
    }
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    let options = EmbeddedDriverOptions {
        dir: Some(file.path().join("aeron")),
        ..EmbeddedDriverOptions::default()
    };
    catalogue.rejects(
        "a directory under a regular file",
        AeronErrorType::Errno(20),
        "could not recreate aeron dir",
        PROMPT,
        || options.launch(),
    );
    assert!(file.path().exists());
    catalogue.case();
    let options = EmbeddedDriverOptions {
        idle_strategy: "no-such-idle".into(),
        ..EmbeddedDriverOptions::default()
    };
    catalogue.rejects(
        "an unknown idle strategy",
        einval,
        "could not find idle strategy",
        PROMPT,
        || options.launch(),
    );
    catalogue.case();
    let options = EmbeddedDriverOptions {
        client_liveness_timeout_ns: 0,
        ..EmbeddedDriverOptions::default()
    };
    catalogue.rejects(
        "a client liveness timeout of 0",
        einval,
        "client_liveness_timeout_ns=0 <= timer_interval_ns",
        PROMPT,
        || options.launch(),
    );
    catalogue.case();

    type Setter = fn(&rusteron_media_driver::AeronDriverContext) -> Result<i32, AeronCError>;
    let settings: [(&str, Setter, &str); 7] = [
        (
            "mtu 65536",
            |c| c.set_mtu_length(65_536),
            "mtuLength must be a > HEADER_LENGTH",
        ),
        (
            "mtu 100",
            |c| c.set_mtu_length(100),
            "mtuLength must be a multiple of FRAME_ALIGNMENT",
        ),
        ("ipc mtu 1 MiB", |c| c.set_ipc_mtu_length(1 << 20), "mtuLength must be"),
        (
            "file page size 3",
            |c| c.set_file_page_size(3),
            "file_page_size less than min size",
        ),
        (
            "counters buffer of 0",
            |c| c.set_counters_buffer_length(0),
            "counters_values_buffer_length less than min size",
        ),
        (
            "error buffer of 0",
            |c| c.set_error_buffer_length(0),
            "error_buffer_length less than min size",
        ),
        (
            "command buffer of 1000",
            |c| c.set_to_conductor_buffer_length(1000),
            "to_driver_buffer_length less than min size",
        ),
    ];
    for (case, set, needle) in settings {
        catalogue.rejects(case, einval, needle, PROMPT, || {
            let context = EmbeddedDriverOptions::default().context()?;
            set(&context)?;
            AeronDriver::launch_embedded(context)
        });
        catalogue.case();
    }
    catalogue.finish(DRIVER_OPTION_CASES);
    Ok(())
}

#[test]
fn the_catalogue_has_at_least_30_cases() {
    let total = DRIVER_PUBLICATION_CASES
        + CHANNEL_CASES
        + PUBLICATION_LIMIT_CASES
        + CLOSED_AND_RELEASED_CASES
        + CONTEXT_CASES
        + DRIVER_OPTION_CASES;
    assert!(total >= 30, "{total}");
    assert_eq!(total, 64);
}

/// The generated counters-reader accessors pass C's bare `-1` for an id out of range through
/// `AeronCError::from_last_error`, which reads whatever error the thread had before: kind
/// `Unknown(0)` "no error" on a fresh thread, or a stale one (here `InvalidChannel` from the
/// rejected channel). They should be `InvalidArgument`, as `counter_value` and
/// `counter_label` are. Repro: `reader.counter_state(-1)` right after a failed
/// `add_publication(c"aeron:bogus", ..)` gives `InvalidChannel`.
#[test]
fn counters_reader_accessors_reject_bad_ids_as_invalid_argument() -> Result<(), AeronCError> {
    let (_driver, aeron) = driver_and_client()?;
    let reader = aeron.counters_reader().expect("reader");
    let _ = aeron.add_publication(c"aeron:bogus", 1, TIMEOUT);
    let max = reader.max_counter_id();
    for id in [-1, max + 1] {
        for (what, result) in [
            ("counter_state", reader.counter_state(id).map(i64::from)),
            ("counter_type_id", reader.counter_type_id(id).map(i64::from)),
            ("counter_owner_id", reader.counter_owner_id(id)),
            ("counter_reference_id", reader.counter_reference_id(id)),
            ("counter_registration_id", reader.counter_registration_id(id)),
            ("free_for_reuse_deadline_ms", reader.free_for_reuse_deadline_ms(id)),
        ] {
            let e = result.expect_err(what);
            assert_eq!(e.kind(), AeronErrorType::InvalidArgument, "{what}({id}): {e}");
        }
    }
    Ok(())
}

/// `EmbeddedDriverOptions` always sets `dir_delete_on_start`, so a `dir` that names an
/// existing regular file makes the driver delete that file before failing (Errno 17).
/// Repro: `EmbeddedDriverOptions { dir: Some(<a NamedTempFile's path>), .. }.launch()`
/// returns `Errno(17)` and the file is gone.
#[test]
fn a_regular_file_given_as_the_driver_dir_is_not_deleted() {
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(file.path(), b"precious").expect("write");
    let options = EmbeddedDriverOptions {
        dir: Some(file.path().to_path_buf()),
        ..EmbeddedDriverOptions::default()
    };
    let result = options.launch();
    assert!(result.is_err(), "a file is not a directory");
    assert_eq!(std::fs::read(file.path()).ok().as_deref(), Some(&b"precious"[..]));
}
