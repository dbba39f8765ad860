//! Authentication and authorisation against the embedded Rust archive, through the
//! unchanged C archive client and this crate's `CredentialsSupplier`: credentials accepted
//! or rejected, challenge/response (one and two rounds, right and wrong answers), a session
//! the authenticator never decides, and per-principal authorisation of requests.

mod e2e_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use e2e_support::*;
use rusteron_archive::*;
use rusteron_archive::server::ArchivingMediaDriver;
use rusteron_archive::server::{
    AuthDecision, Authenticator, AuthenticatorSupplier, AuthorisationService, SessionProxy, SimpleAuthenticator,
};

/// Connects over IPC with `supplier` answering for the client.
fn connect_with<S: CredentialsSupplier + Send + 'static>(
    aeron: &Aeron,
    supplier: S,
) -> Result<AeronArchive, AeronCError> {
    let ctx = context(aeron, None)?;
    let mut handler = Handlers::leak(supplier);
    ctx.set_credentials_supplier(Some(&handler))?;
    // The context keeps the supplier alive from here on.
    handler.release();
    AeronArchive::connect(&ctx)
}

/// Connect credentials, and the answer to a challenge computed from the challenge; keeps
/// every challenge it was given.
#[derive(Clone)]
struct Answering {
    credentials: &'static [u8],
    challenges: Arc<Mutex<Vec<Vec<u8>>>>,
    answer: fn(&[u8]) -> Vec<u8>,
}

impl Answering {
    fn new(credentials: &'static [u8], answer: fn(&[u8]) -> Vec<u8>) -> Self {
        Answering {
            credentials,
            challenges: Arc::default(),
            answer,
        }
    }
}

impl CredentialsSupplier for Answering {
    fn encoded_credentials(&mut self) -> Option<Vec<u8>> {
        Some(self.credentials.to_vec())
    }

    fn on_challenge(&mut self, encoded_challenge: &[u8]) -> Option<Vec<u8>> {
        self.challenges.lock().unwrap().push(encoded_challenge.to_vec());
        Some((self.answer)(encoded_challenge))
    }
}

fn reversed(challenge: &[u8]) -> Vec<u8> {
    challenge.iter().rev().copied().collect()
}

fn rejection_message(err: &AeronCError) -> String {
    err.message().unwrap_or("").to_string()
}

/// The error of a connect that must fail.
fn refused(result: Result<AeronArchive, AeronCError>) -> AeronCError {
    match result {
        Ok(_) => panic!("the archive must refuse the client"),
        Err(err) => err,
    }
}

fn assert_rejected(result: Result<AeronArchive, AeronCError>, started: Instant) {
    let err = refused(result);
    assert!(
        rejection_message(&err).contains("authentication rejected"),
        "unexpected error: {err:?}"
    );
    // Refused with an answer, not by the 5 s message timeout.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
}

/// The sessions of refused or closed clients go away.
fn assert_sessions_drain(archiving: &ArchivingMediaDriver, expected: usize) {
    wait_until("control sessions to drain", || {
        archiving.archive().control_sessions() == expected
    });
}

#[test]
fn credentials_are_checked_at_connect() {
    let archiving = ArchivingMediaDriver::launch_for_tests_with(|options| {
        options.authenticator =
            AuthenticatorSupplier::new(|| SimpleAuthenticator::with_credentials([b"user:pass".to_vec()]));
    })
    .unwrap();
    let aeron = client(&archiving);

    let archive = connect_with(&aeron, StaticCredentials::new("user:pass")).expect("good credentials connect");
    assert_eq!(archive.get_archive_id(), archiving.archive().archive_id());
    // The authenticated session serves requests.
    let err = archive.get_start_position(42).unwrap_err();
    assert_eq!(
        err.archive_error_code(),
        Some(ArchiveErrorCode::UnknownRecording),
        "{err:?}"
    );

    let started = Instant::now();
    assert_rejected(connect_with(&aeron, StaticCredentials::new("user:wrong")), started);
    let started = Instant::now();
    assert_rejected(AeronArchive::connect(&context(&aeron, None).unwrap()), started);

    // Only the accepted client keeps a session.
    assert_sessions_drain(&archiving, 1);
    drop(archive);
    assert_sessions_drain(&archiving, 0);
}

type Nonces = std::collections::HashMap<i64, (Vec<u8>, usize)>;

/// Challenges every client with a fresh nonce and accepts the nonce reversed.
fn challenging(rounds: usize) -> AuthenticatorSupplier {
    AuthenticatorSupplier::new(move || {
        // Per session: the nonce sent and its round.
        let nonces: Arc<Mutex<Nonces>> = Arc::default();
        let on_connect = nonces.clone();
        SimpleAuthenticator::new(
            move |session, credentials| {
                if credentials != b"guest" {
                    return AuthDecision::Reject;
                }
                let nonce = format!("nonce-{session}-1").into_bytes();
                on_connect.lock().unwrap().insert(session, (nonce.clone(), 1));
                AuthDecision::Challenge(nonce)
            },
            move |session, answer| {
                let mut nonces = nonces.lock().unwrap();
                let Some((nonce, round)) = nonces.remove(&session) else {
                    return AuthDecision::Reject;
                };
                if answer != reversed(&nonce).as_slice() {
                    return AuthDecision::Reject;
                }
                if round == rounds {
                    return AuthDecision::Authenticate(b"guest".to_vec());
                }
                let next = format!("nonce-{session}-{}", round + 1).into_bytes();
                nonces.insert(session, (next.clone(), round + 1));
                AuthDecision::Challenge(next)
            },
        )
    })
}

#[test]
fn challenge_response_with_the_right_answer_connects() {
    let archiving = ArchivingMediaDriver::launch_for_tests_with(|o| o.authenticator = challenging(1)).unwrap();
    let aeron = client(&archiving);
    let supplier = Answering::new(b"guest", reversed);
    let challenges = supplier.challenges.clone();
    let archive = connect_with(&aeron, supplier).expect("the right answer connects");
    assert_eq!(archive.get_archive_id(), archiving.archive().archive_id());
    let err = archive.get_stop_position(7).unwrap_err();
    assert_eq!(
        err.archive_error_code(),
        Some(ArchiveErrorCode::UnknownRecording),
        "{err:?}"
    );
    // The client saw exactly the challenge the archive sent for its session.
    let challenges = challenges.lock().unwrap().clone();
    assert_eq!(challenges.len(), 1, "{challenges:?}");
    assert!(challenges[0].starts_with(b"nonce-") && challenges[0].ends_with(b"-1"));
}

#[test]
fn challenge_response_in_two_rounds_connects() {
    let archiving = ArchivingMediaDriver::launch_for_tests_with(|o| o.authenticator = challenging(2)).unwrap();
    let aeron = client(&archiving);
    let supplier = Answering::new(b"guest", reversed);
    let challenges = supplier.challenges.clone();
    let archive = connect_with(&aeron, supplier).expect("two right answers connect");
    assert_eq!(archive.get_archive_id(), archiving.archive().archive_id());
    let challenges = challenges.lock().unwrap().clone();
    assert_eq!(challenges.len(), 2, "{challenges:?}");
    assert!(challenges[1].ends_with(b"-2"), "{challenges:?}");
}

#[test]
fn challenge_response_with_a_wrong_answer_is_rejected() {
    let archiving = ArchivingMediaDriver::launch_for_tests_with(|o| o.authenticator = challenging(1)).unwrap();
    let aeron = client(&archiving);

    let wrong = Answering::new(b"guest", |challenge| challenge.to_vec());
    let challenges = wrong.challenges.clone();
    let started = Instant::now();
    assert_rejected(connect_with(&aeron, wrong), started);
    assert_eq!(challenges.lock().unwrap().len(), 1, "challenged before the rejection");

    // A client that cannot answer (the default `on_challenge`) sends an empty answer.
    let started = Instant::now();
    assert_rejected(connect_with(&aeron, StaticCredentials::new("guest")), started);

    // Bad connect credentials are rejected without a challenge.
    let stranger = Answering::new(b"stranger", reversed);
    let challenges = stranger.challenges.clone();
    let started = Instant::now();
    assert_rejected(connect_with(&aeron, stranger), started);
    assert!(challenges.lock().unwrap().is_empty());

    assert_sessions_drain(&archiving, 0);
    // The archive still serves well-behaved clients.
    connect_with(&aeron, Answering::new(b"guest", reversed)).expect("connect after rejections");
}

/// Never decides: sessions stay waiting until the archive's connect timeout closes them.
struct Undecided {
    connect_requests: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Authenticator for Undecided {
    fn on_connect_request(&mut self, _session_id: i64, encoded_credentials: &[u8], _now: Instant) {
        self.connect_requests.lock().unwrap().push(encoded_credentials.to_vec());
    }
    fn on_challenge_response(&mut self, _: i64, _: &[u8], _: Instant) {}
    fn on_connected_session(&mut self, _: &mut SessionProxy<'_>, _: Instant) {}
    fn on_challenged_session(&mut self, _: &mut SessionProxy<'_>, _: Instant) {}
}

#[test]
fn a_session_the_authenticator_never_decides_is_closed_after_the_connect_timeout() {
    let connect_requests: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let seen = connect_requests.clone();
    let archiving = ArchivingMediaDriver::launch_for_tests_with(move |o| {
        o.connect_timeout = Duration::from_millis(500);
        o.authenticator = AuthenticatorSupplier::new(move || Undecided {
            connect_requests: seen.clone(),
        });
    })
    .unwrap();
    let aeron = client(&archiving);
    let ctx = context(&aeron, None).unwrap();
    ctx.set_message_timeout_ns(1_500_000_000).unwrap();
    let mut handler = Handlers::leak(StaticCredentials::new("who-knows"));
    ctx.set_credentials_supplier(Some(&handler)).unwrap();
    handler.release();
    let err = refused(AeronArchive::connect(&ctx));
    assert!(
        err.is_archive_timeout() || err.kind() == AeronErrorType::TimedOut,
        "{err:?}"
    );
    assert_eq!(connect_requests.lock().unwrap().as_slice(), [b"who-knows".to_vec()]);
    assert_sessions_drain(&archiving, 0);
}

#[test]
fn requests_are_authorised_per_principal() {
    let archiving = ArchivingMediaDriver::launch_for_tests_with(|o| {
        o.authenticator = AuthenticatorSupplier::new(|| {
            SimpleAuthenticator::with_credentials([b"admin".to_vec(), b"reader".to_vec()])
        });
        // Readers may do anything but start recordings.
        o.authorisation = AuthorisationService::new(|action, principal| {
            principal == b"admin" || !action.name.starts_with("StartRecordingRequest")
        });
    })
    .unwrap();
    let aeron = client(&archiving);

    let reader = connect_with(&aeron, StaticCredentials::new("reader")).expect("reader connects");
    let err = reader
        .start_recording(
            c"aeron:ipc",
            1001,
            SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL,
            false,
        )
        .unwrap_err();
    assert_eq!(
        err.archive_error_code(),
        Some(ArchiveErrorCode::UnauthorisedAction),
        "{err:?}"
    );
    assert!(rejection_message(&err).contains("unauthorised action"), "{err:?}");
    // Other requests still reach the archive.
    let err = reader.get_start_position(42).unwrap_err();
    assert_eq!(
        err.archive_error_code(),
        Some(ArchiveErrorCode::UnknownRecording),
        "{err:?}"
    );

    let admin = connect_with(&aeron, StaticCredentials::new("admin")).expect("admin connects");
    let subscription_id = admin
        .start_recording(
            c"aeron:ipc",
            1001,
            SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL,
            false,
        )
        .expect("admin may record");
    admin.stop_recording_subscription(subscription_id).unwrap();
}

#[test]
fn deny_all_refuses_even_the_archive_id_request_of_a_connect() {
    let archiving =
        ArchivingMediaDriver::launch_for_tests_with(|o| o.authorisation = AuthorisationService::deny_all()).unwrap();
    let aeron = client(&archiving);
    let err = refused(AeronArchive::connect(&context(&aeron, None).unwrap()));
    assert!(rejection_message(&err).contains("unauthorised action"), "{err:?}");
}
